/**
 * Apps on another origin (docs/api.md, "Apps on another origin"), in real headless Chromium: the
 * local stack (real API, dynalite, the local edge with the CORS contract of lambda/core/cors.ts)
 * on `http://localhost:<port>`, and app pages served by loopback servers of the test's own on
 * other ports. An allowed origin plays through streamgate-client (signed URLs from a cross-site
 * origin; signed cookies from a same-site one); an origin not allowed is refused by the browser,
 * and the client says so at once with its `cors` kind instead of retrying as a network failure.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { launchChromium } from '../support/browser-fixture';
import type { CrossOriginObserved, CrossOriginRun } from './cross-origin-page';

const HLS = readFileSync(require.resolve('hls.js/dist/hls.min.js'), 'utf8');

/** An app's origin: a loopback server with one blank page, hls.js and the test's bundled harness. */
async function appServer(
  host: '127.0.0.1' | 'localhost',
  harness: string,
): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(HLS);
    else if (path === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(harness);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script src="/hls.js"></script><script src="/app.js"></script>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { origin: `http://${host}:${(server.address() as AddressInfo).port}`, server };
}

let stack: LocalStack;
let browser: Browser;
let logs: LogCapture;
let apiBase: string;
/** Allowed, cross-site (another host than the stack's `localhost`). */
let crossSite: { origin: string; server: Server };
/** Allowed, same-site (`localhost` on another port): signed cookies reach the edge from here. */
let sameSite: { origin: string; server: Server };
/** Not allowed. */
let stranger: { origin: string; server: Server };

beforeAll(async () => {
  logs = new LogCapture();
  const harness = buildSync({
    entryPoints: [resolve(__dirname, 'cross-origin-page.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    write: false,
  }).outputFiles[0].text;
  crossSite = await appServer('127.0.0.1', harness);
  sameSite = await appServer('localhost', harness);
  stranger = await appServer('127.0.0.1', harness);
  stack = await startLocalStack({
    dir: mkdtempSync(join(tmpdir(), 'streamgate-cors-')),
    port: 0,
    allowedOrigins: [crossSite.origin, sameSite.origin],
    apiEnv: { MAX_CONCURRENT_STREAMS: '20', MAX_SESSIONS_PER_HOUR: '200' },
    logger: logs.logger,
  });
  apiBase = stack.url.replace(/\/$/, '');
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  for (const app of [crossSite, sameSite, stranger]) app?.server.close();
  logs?.stop();
});

async function openApp(origin: string, sub: string, run: Omit<CrossOriginRun, 'apiBase'>): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The app's backend hands the page a token (minted by the dev IdP the stack trusts).
  await page.exposeFunction('appToken', () => stack.idp.issueToken({ sub, videos: ['demo-1'] }));
  await page.goto(`${origin}/`);
  await page.evaluate(
    (value) => (window as unknown as { app: { start(r: CrossOriginRun): Promise<void> } }).app.start(value),
    {
      ...run,
      apiBase,
    },
  );
  return page;
}

const observe = (page: Page): Promise<CrossOriginObserved> =>
  page.evaluate(() => (window as unknown as { app: { observe(): CrossOriginObserved } }).app.observe());

async function until(page: Page, done: (o: CrossOriginObserved) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const observed = await observe(page);
    if (done(observed) || Date.now() > deadline) return observed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a page on an allowed cross-site origin plays in signed-URL mode through the client', async () => {
  const page = await openApp(crossSite.origin, 'alice', { videoId: 'demo-1', delivery: 'url', play: true });
  const observed = await until(page, (o) => o.currentTime > 2 || o.denial !== undefined, 20000);
  expect(observed.denial).toBeUndefined();
  expect(observed.currentTime).toBeGreaterThan(2);
  await page.context().close();
}, 30000);

test('a page on an allowed same-site origin plays in signed-cookie mode (the cookies are SameSite=Strict)', async () => {
  const page = await openApp(sameSite.origin, 'bob', { videoId: 'demo-1', delivery: 'cookie', play: true });
  const observed = await until(page, (o) => o.currentTime > 2 || o.denial !== undefined, 20000);
  expect(observed.denial).toBeUndefined();
  expect(observed.currentTime).toBeGreaterThan(2);
  await page.context().close();
}, 30000);

test("a page on an origin not allowed stops with the client's cors kind within a second, never retried", async () => {
  const page = await openApp(stranger.origin, 'carol', { videoId: 'demo-1', delivery: 'url', play: false });
  const observed = await until(page, (o) => o.denial !== undefined, 5000);
  expect(observed.denial).toMatchObject({ kind: 'cors', action: 'none' });
  expect(observed.retries).toBe(0);
  expect(observed.grants).toBe(0);
  expect((observed.stoppedAt ?? Number.POSITIVE_INFINITY) - observed.startedAt).toBeLessThan(1000);
  await page.context().close();
}, 30000);

test('a page on an allowed origin whose API is down is a network failure (retried), not cors', async () => {
  // Nothing listens on a closed server's port: the probe fails as the call did.
  const dead = await appServer('127.0.0.1', '');
  const deadApi = dead.origin;
  await new Promise<void>((done) => dead.server.close(() => done()));
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.exposeFunction('appToken', () => stack.idp.issueToken({ sub: 'dave', videos: ['demo-1'] }));
  await page.goto(`${crossSite.origin}/`);
  await page.evaluate(
    (value) => (window as unknown as { app: { start(r: CrossOriginRun): Promise<void> } }).app.start(value),
    { apiBase: deadApi, videoId: 'demo-1', delivery: 'url', play: false } satisfies CrossOriginRun,
  );
  const observed = await until(page, (o) => o.retries > 0 || o.denial !== undefined, 5000);
  expect(observed.denial).toBeUndefined();
  expect(observed.retries).toBeGreaterThan(0);
  await context.close();
}, 30000);
