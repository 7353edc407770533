/**
 * The deploy build of the player page, served the way the distribution serves it: the built
 * folder's static files only (with the page's security headers), on the origin of the API and the
 * media (the local stack, loopback HTTP). The viewer's app is another origin (127.0.0.1 vs
 * localhost); it opens the player with window.open and hands the token over by postMessage.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DEFAULT_PLAYER_CSP } from '../../lib/page-headers';
import { buildPlayerPage } from '../../web/build';
import { consoleLines, screenshotPath, useLocalStackInChromium } from '../support/browser-fixture';

const SIGNED_TTL_SECONDS = 5;

/** The viewer's app: it got the viewer's token from its IdP and answers the player's requests. */
const HOST_PAGE = `<!doctype html><title>app</title><script>
  window.hostToken = '';
  window.tokenRequests = 0;
  window.fromPlayer = [];
  window.openPlayer = (url) => {
    const playerOrigin = new URL(url).origin;
    const player = window.open(url, 'player');
    window.addEventListener('message', (event) => {
      if (event.source !== player || event.origin !== playerOrigin) return;
      window.fromPlayer.push(event.data);
      if (event.data && event.data.type === 'streamgate:token-request') {
        window.tokenRequests += 1;
        player.postMessage(
          window.hostToken
            ? { type: 'streamgate:token', id: event.data.id, token: window.hostToken }
            : { type: 'streamgate:signed-out', id: event.data.id },
          playerOrigin,
        );
      }
    });
  };
</script>`;

let hostServer: Server;
let hostPort: number;
let webDir: string;
let built: string[];
beforeAll(async () => {
  hostServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(HOST_PAGE));
  await new Promise<void>((done) => hostServer.listen(0, '127.0.0.1', done));
  hostPort = (hostServer.address() as AddressInfo).port;
  webDir = join(mkdtempSync(join(tmpdir(), 'streamgate-page-')), 'web');
  buildPlayerPage({ target: 'deploy', outDir: webDir, hostOrigins: [`http://127.0.0.1:${hostPort}`] });
  built = readdirSync(webDir).sort();
});
const suite = useLocalStackInChromium(() => ({ signedTtlSeconds: SIGNED_TTL_SECONDS, webDir }), {
  setupTimeoutMs: 60000,
});
afterAll(async () => {
  await new Promise((done) => hostServer?.close(done));
});

async function mint(sub: string, videos: string[]): Promise<string> {
  const response = await fetch(`${suite.stack.url}idp/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, videos }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

interface Opened {
  app: Page;
  player: Page;
  requests: Array<{ path: string; origin: string; status: number }>;
  cspViolations: string[];
  close(): Promise<void>;
}

async function openFromApp(
  query: string,
  token: string,
  viewport = { width: 1366, height: 768 },
  appHost = '127.0.0.1',
): Promise<Opened> {
  const context = await suite.browser.newContext({ viewport });
  const app = await context.newPage();
  await app.goto(`http://${appHost}:${hostPort}/`);
  await app.evaluate((value) => {
    (window as unknown as { hostToken: string }).hostToken = value;
  }, token);
  const requests: Opened['requests'] = [];
  const popup = context.waitForEvent('page');
  await app.evaluate(
    (url) => (window as unknown as { openPlayer(url: string): void }).openPlayer(url),
    `${suite.stack.url}${query}`,
  );
  const player = await popup;
  player.on('response', (response) => {
    const url = new URL(response.url());
    requests.push({ path: url.pathname, origin: url.origin, status: response.status() });
  });
  const cspViolations = consoleLines(player, /Content.Security.Policy/i);
  await player.waitForLoadState('domcontentloaded');
  return { app, player, requests, cspViolations, close: () => context.close() };
}

const waitPlaying = (page: Page, seconds: number) =>
  page.waitForFunction(
    (target) => (document.querySelector('#video') as HTMLVideoElement).currentTime > target,
    seconds,
    {
      timeout: 20000,
    },
  );

test('the deploy build is the page, its bundle and its styles: no dev IdP, no /local/, no vendor files', () => {
  expect(built).toEqual(['favicon.svg', 'index.html', 'player.js', 'style.css']);
});

test('opened by the app with a token handed over: plays the AES-128 video, refreshes by asking the app again, from static files under the strict CSP', async () => {
  const token = await mint('app-viewer', ['demo-1', 'demo-2']);
  const opened = await openFromApp('?v=demo-2', token);
  const { player, app, requests } = opened;
  const page = await player.request.get(suite.stack.url);
  expect(page.headers()['content-security-policy']).toBe(DEFAULT_PLAYER_CSP);
  await waitPlaying(player, 2);
  expect(await player.textContent('#status')).toContain('Playing');
  expect(await player.isHidden('#notice')).toBe(true);
  // A refresh at 80 % of the grant asks the app for a token again.
  await player.waitForFunction(
    () => Number(document.querySelector('#cookie-expiry')?.getAttribute('data-seconds')) >= 0,
  );
  await app.waitForFunction(() => (window as unknown as { tokenRequests: number }).tokenRequests >= 2, undefined, {
    timeout: SIGNED_TTL_SECONDS * 1000 + 3000,
  });
  expect(requests.find((entry) => entry.path === '/media/demo-2/key.bin')?.status).toBe(200);
  expect(requests.filter((entry) => entry.status === 403)).toEqual([]);
  // Only the distribution's origin, and nothing a deployment lacks.
  expect(requests.filter((entry) => entry.origin !== new URL(suite.stack.url).origin)).toEqual([]);
  expect(requests.filter((entry) => /^\/(idp|local|vendor)\//.test(entry.path))).toEqual([]);
  expect(opened.cspViolations).toEqual([]);
  await opened.close();
}, 40000);

test('an app on an origin the build did not allow never gets asked, so the player gets no token and plays nothing', async () => {
  const token = await mint('other-app-viewer', ['demo-1']);
  const opened = await openFromApp('?v=demo-1', token, undefined, 'localhost');
  await opened.player.waitForTimeout(2000);
  expect(await opened.app.evaluate(() => (window as unknown as { tokenRequests: number }).tokenRequests)).toBe(0);
  expect(opened.requests.filter((entry) => entry.path.startsWith('/api/') || entry.path.startsWith('/media/'))).toEqual(
    [],
  );
  await opened.close();
}, 30000);

test('opened without an app (no opener): says to open it from the app, asks nobody', async () => {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  const paths: string[] = [];
  page.on('request', (request) => paths.push(new URL(request.url()).pathname));
  await page.goto(`${suite.stack.url}?v=demo-1`);
  await page.waitForSelector('#notice:not([hidden])');
  expect(await page.textContent('#notice-message')).toMatch(/Open this player from your app/);
  expect(paths.filter((path) => path.startsWith('/api/'))).toEqual([]);
  await context.close();
});

for (const [width, height] of [
  [1366, 768],
  [390, 844],
] as const) {
  test(`at ${width}×${height}: the app signs the viewer out; the next refresh stops with the reason over the video, and the app is told`, async () => {
    const token = await mint(`leaving-${width}`, ['demo-1']);
    const opened = await openFromApp('?v=demo-1', token, { width, height });
    const { app, player } = opened;
    await waitPlaying(player, 0.5);
    await app.evaluate(() => {
      (window as unknown as { hostToken: string }).hostToken = '';
    });
    await player.waitForSelector('#notice:not([hidden])', { timeout: SIGNED_TTL_SECONDS * 1000 + 5000 });
    expect(await player.textContent('#notice-message')).toBe('Please sign in to watch.');
    expect(await player.textContent('#notice-action')).toBe('Sign in again');
    const problems = await player.evaluate(() => {
      const found: string[] = [];
      const root = document.documentElement;
      if (root.scrollWidth > root.clientWidth) found.push('page wider than the window');
      for (const panel of Array.from(document.querySelectorAll<HTMLElement>('.panel, .state dd, .notice')))
        if (panel.scrollWidth > panel.clientWidth) found.push(`${panel.id || panel.className} overflows`);
      const box = (document.getElementById('notice') as HTMLElement).getBoundingClientRect();
      if (box.top < -1 || box.left < -1 || box.bottom > innerHeight + 1 || box.right > innerWidth + 1)
        found.push('notice off screen');
      return found;
    });
    expect(problems).toEqual([]);
    await player.screenshot({ path: screenshotPath(`deployed-signed-out-${width}x${height}.png`) });
    const told = await app.evaluate(() => (window as unknown as { fromPlayer: Array<{ type: string }> }).fromPlayer);
    expect(told).toContainEqual(
      expect.objectContaining({ type: 'streamgate:stopped', reason: 'signed-out', action: 'sign-in' }),
    );
    // "Sign in again" asks the app to sign the viewer in, then plays again with the token it hands over.
    await app.evaluate(
      (value) => {
        (window as unknown as { hostToken: string }).hostToken = value;
      },
      await mint(`leaving-${width}`, ['demo-1']),
    );
    await player.click('#notice-action');
    await player.waitForSelector('#notice', { state: 'hidden' });
    await waitPlaying(player, 0.5);
    expect(
      await app.evaluate(() => (window as unknown as { fromPlayer: Array<{ type: string }> }).fromPlayer),
    ).toContainEqual(expect.objectContaining({ type: 'streamgate:sign-in' }));
    await opened.close();
  }, 40000);
}
