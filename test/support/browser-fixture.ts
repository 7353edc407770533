/**
 * The one browser-test fixture: launches the Chromium that test/support/browser-binary.ts finds
 * (through playwright-core), starts the stack the page talks to, and closes both after the suite;
 * plus the player page's steps the suites share. Only suites under test/browser/ use it, so
 * `npm run test:unit` (which leaves that folder out) needs no browser
 * (test/docs/test-layout.test.ts holds that).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';
import { type ClientStack, type ClientStackOptions, startClientStack } from '../client/stack';
import { chromiumBinary } from './browser-binary';
import { LogCapture } from './harness';

const ROOT = resolve(__dirname, '..', '..');

/** The project's own switches, on any build: the closed network here refuses Chromium's background connections. */
const PROJECT_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium(): Promise<Browser> {
  const binary = await chromiumBinary();
  return chromium.launch({
    executablePath: binary.executablePath,
    headless: true,
    args: [...PROJECT_ARGS, ...binary.args.filter((arg) => !PROJECT_ARGS.includes(arg))],
    env: { ...process.env, ...binary.env },
  });
}

/** What a suite reads from its fixture once its `beforeAll` has run. */
export interface ChromiumFixture {
  readonly browser: Browser;
}
export interface LocalStackFixture {
  readonly stack: LocalStack;
  /** The stack's folder (keys, key group, origin secret, DynamoDB data). */
  readonly dir: string;
  readonly logs: LogCapture;
}
export interface ClientStackFixture {
  readonly env: ClientStack;
}

/** The local stack's options a suite may set; the fixture gives the folder, the port and the logger. */
export type LocalStackSettings = Omit<LocalStackOptions, 'dir' | 'port' | 'logger'>;

export interface SuiteOptions {
  /** The `beforeAll` timeout (starting a stack and a browser on a busy machine). @default the test timeout */
  setupTimeoutMs?: number;
}

/**
 * Values set by `beforeAll` and read by tests: reading one before it is set says so, rather than
 * handing a test `undefined`.
 */
type Settable<T> = { -readonly [K in keyof T]?: T[K] };

function lateValues<T extends object>(): { values: Settable<T>; view: T } {
  const values: Settable<T> = {};
  const view = new Proxy(values, {
    get(target, name) {
      const value = target[name as keyof T];
      if (value === undefined) throw new Error(`browser fixture: ${String(name)} is read before the suite's beforeAll`);
      return value;
    },
  }) as T;
  return { values, view };
}

async function startStack(settings: LocalStackSettings, values: Settable<LocalStackFixture>): Promise<void> {
  const logs = new LogCapture();
  values.logs = logs;
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-browser-'));
  values.dir = dir;
  values.stack = await startLocalStack({ ...settings, dir, port: 0, logger: logs.logger });
}

async function stopStack(values: Settable<LocalStackFixture>): Promise<void> {
  await values.stack?.close();
  values.logs?.stop();
}

/** One Chromium for the suite (or the `describe` it is called in): launched before, closed after. */
export function useChromium(options: SuiteOptions = {}): ChromiumFixture {
  const { values, view } = lateValues<ChromiumFixture>();
  beforeAll(async () => {
    values.browser = await launchChromium();
  }, options.setupTimeoutMs);
  afterAll(async () => {
    await values.browser?.close();
  });
  return view;
}

/**
 * A local stack for the suite (or the `describe` it is called in): a fresh folder, a free port,
 * its logs captured. Settings may be a function, read when the stack starts (after the suite's
 * own earlier `beforeAll`).
 */
export function useLocalStack(
  settings: LocalStackSettings | (() => LocalStackSettings) = {},
  options: SuiteOptions = {},
): LocalStackFixture {
  const { values, view } = lateValues<LocalStackFixture>();
  beforeAll(() => startStack(typeof settings === 'function' ? settings() : settings, values), options.setupTimeoutMs);
  afterAll(() => stopStack(values));
  return view;
}

/** A local stack and one Chromium: the stack starts first, the browser closes first. */
export function useLocalStackInChromium(
  settings: LocalStackSettings | (() => LocalStackSettings) = {},
  options: SuiteOptions = {},
): LocalStackFixture & ChromiumFixture {
  const { values, view } = lateValues<LocalStackFixture & ChromiumFixture>();
  beforeAll(async () => {
    await startStack(typeof settings === 'function' ? settings() : settings, values);
    values.browser = await launchChromium();
  }, options.setupTimeoutMs);
  afterAll(async () => {
    await values.browser?.close();
    await stopStack(values);
  });
  return view;
}

/** The client library's test stack (test/client/stack.ts) and one Chromium, as useLocalStackInChromium. */
export function useClientStackInChromium(
  stackOptions: ClientStackOptions = {},
  options: SuiteOptions = {},
): ClientStackFixture & ChromiumFixture {
  const { values, view } = lateValues<ClientStackFixture & ChromiumFixture>();
  beforeAll(async () => {
    values.env = await startClientStack(stackOptions);
    values.browser = await launchChromium();
  }, options.setupTimeoutMs);
  afterAll(async () => {
    await values.browser?.close();
    await values.env?.close();
  });
  return view;
}

/** The script-tag bundle of streamgate-client as client/build.mjs makes it, in memory (dist/ is the build test's). */
export function clientScriptBundle(): string {
  return buildSync({
    entryPoints: [join(ROOT, 'client', 'src', 'index.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'StreamgateClient',
    target: 'es2020',
    write: false,
  }).outputFiles[0].text;
}

/** Where a screenshot goes: test-output/ (README's images are copied from there to docs/img/). */
export function screenshotPath(name: string): string {
  const output = join(ROOT, 'test-output');
  mkdirSync(output, { recursive: true });
  return join(output, name);
}

/** The console lines a page writes that match `pattern`, from now on (e.g. CSP violations). */
export function consoleLines(page: Page, pattern: RegExp): string[] {
  const lines: string[] = [];
  page.on('console', (message) => {
    if (pattern.test(message.text())) lines.push(message.text());
  });
  return lines;
}

/**
 * The local player page in a window of its own (a browser context: its own cookies and token),
 * loaded and showing its catalogue. `beforeLoad` runs first, to watch or route the page's requests.
 */
export async function openPlayerPage(
  browser: Browser,
  url: string,
  options: { context?: BrowserContextOptions; beforeLoad?: (page: Page) => unknown } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options.context);
  const page = await context.newPage();
  await options.beforeLoad?.(page);
  await page.goto(url);
  await page.waitForSelector('button.play[data-video="demo-1"]');
  return { context, page };
}

/** Signs in on the player page with the dev IdP's button for `user`. */
export async function signIn(page: Page, user: 'alice' | 'bob'): Promise<void> {
  await page.click(`#signin-${user}`);
  await page.waitForFunction((name) => document.querySelector('#signed-in-as')?.textContent?.includes(name), user);
}

/** Presses play on `videoId` and waits for the video's clock to pass `seconds`. */
export async function playUntil(page: Page, videoId: string, seconds: number): Promise<void> {
  await page.click(`button.play[data-video="${videoId}"]`);
  await page.waitForFunction(
    (target) => (document.querySelector('#video') as HTMLVideoElement).currentTime > target,
    seconds,
    { timeout: 20000 },
  );
}

/** The status of a request made from inside the page, with whatever cookies its window holds. */
export const statusFromPage = (page: Page, path: string): Promise<number> =>
  page.evaluate((url) => fetch(url, { cache: 'no-store' }).then((response) => response.status), path);
