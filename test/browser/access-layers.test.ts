/**
 * Domain restriction and device binding as viewers meet them, in real headless Chromium against
 * the local stack (the real viewer-request function, built as deployed, in the local edge).
 *
 * Domain restriction (only the service's own site allowed, requests without site headers refused):
 * the player page on the service's origin plays, by cookies and by signed URL; a page on another
 * origin (a second loopback server, same site so SameSite=Strict cookies still go) holding a valid
 * grant is refused at its first media request, by the function, in both modes.
 *
 * Device binding: a grant copied into a second browser context with another User-Agent is refused
 * at the edge, by cookies and by signed URL, while the browser that asked for it keeps playing
 * through a refresh and a key rotation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { launchChromium } from '../support/browser-fixture';

const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const HLS = readFileSync(require.resolve('hls.js/dist/hls.min.js'), 'utf8');
/** Another site's page: plays a manifest URL with hls.js, the signed query (URL mode) appended to every request. */
const FOREIGN_PAGE = `<!doctype html><video id="video" muted></video><script src="/hls.js"></script><script>
window.play = function (manifestUrl, query) {
  var hls = new Hls({ xhrSetup: function (xhr, url) {
    xhr.withCredentials = true;
    if (query && url.indexOf('Signature=') === -1) xhr.open('GET', url + (url.indexOf('?') === -1 ? '?' : '&') + query, true);
  } });
  hls.loadSource(manifestUrl);
  hls.attachMedia(document.getElementById('video'));
};
</script>`;

let browser: Browser;
let logs: LogCapture;
beforeAll(async () => {
  browser = await launchChromium();
  logs = new LogCapture();
});
afterAll(async () => {
  await browser?.close();
  logs?.stop();
});

async function openPlayer(stack: LocalStack, context: BrowserContext): Promise<{ page: Page; token: () => string }> {
  const page = await context.newPage();
  let token = '';
  page.on('response', (response) => {
    if (response.url().endsWith('/idp/token'))
      void response.json().then((body: { access_token: string }) => {
        token = body.access_token;
      });
  });
  await page.goto(stack.url);
  await page.click('#signin-alice');
  await page.waitForFunction(() => document.querySelector('#signed-in-as')?.textContent?.includes('alice'));
  return { page, token: () => token };
}

async function playUntil(page: Page, videoId: string, seconds: number): Promise<void> {
  await page.click(`button.play[data-video="${videoId}"]`);
  await page.waitForFunction(
    (target) => (document.querySelector('#video') as HTMLVideoElement).currentTime > target,
    seconds,
    { timeout: 20000 },
  );
}

/** A GET from inside the page, with whatever cookies the browser holds. */
const fetchStatus = (page: Page, url: string) =>
  page.evaluate((target) => fetch(target, { cache: 'no-store' }).then((response) => response.status), url);

/** What a media request answered (same origin): its status and the function's reason header. */
async function denial(response: Response): Promise<[number, string | undefined]> {
  return [response.status(), (await response.allHeaders())['x-streamgate-denied']];
}

describe('domain restriction (own site only, requests without site headers refused)', () => {
  let stack: LocalStack;
  let foreign: Server;
  let foreignUrl: string;
  /** What the edge answered each media request, as it answered (a page cannot read a cross-origin refusal). */
  const served: [number, string][] = [];
  beforeAll(async () => {
    stack = await startLocalStack({
      dir: mkdtempSync(join(tmpdir(), 'streamgate-browser-domain-')),
      port: 0,
      domainRestriction: { sites: [], missingHeaders: 'deny' },
      logger: logs.logger,
      onMedia: (status, path) => served.push([status, path]),
    });
    foreign = createServer((req, res) => {
      if (req.url === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(HLS);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(FOREIGN_PAGE);
    });
    await new Promise<void>((done) => foreign.listen(0, '127.0.0.1', done));
    // localhost, another port: another origin, the same site (so SameSite=Strict cookies are sent).
    foreignUrl = `http://localhost:${(foreign.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((done) => foreign?.close(done));
  });

  /** A valid grant, as the service's own page would get it (its Origin), copied out. */
  async function grant(delivery: 'cookie' | 'url') {
    const token = await stack.idp.issueToken({ sub: 'mallory', videos: ['demo-1'] });
    const answer = await fetch(`${stack.url}api/v1/playback/demo-1${delivery === 'url' ? '?delivery=url' : ''}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, origin: stack.url.slice(0, -1) },
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { manifestUrl: string; signedQuery?: string };
    return { ...body, cookies: answer.headers.getSetCookie() };
  }

  test.each(['cookie', 'url'] as const)(
    "the service's own page plays (%s delivery)",
    async (delivery) => {
      const context = await browser.newContext();
      const { page } = await openPlayer(stack, context);
      if (delivery === 'url') await page.check('#delivery-url');
      const statuses: number[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/media/demo-1/')) statuses.push(response.status());
      });
      await playUntil(page, 'demo-1', 2.2);
      expect(statuses.length).toBeGreaterThanOrEqual(3);
      expect(statuses.every((status) => status === 200)).toBe(true);
      await context.close();
    },
    40000,
  );

  test.each(['cookie', 'url'] as const)(
    'a page on another origin with a valid grant is refused at its first media request (%s delivery)',
    async (delivery) => {
      const issued = await grant(delivery);
      const context = await browser.newContext();
      if (delivery === 'cookie')
        await context.addCookies(
          issued.cookies.map((line) => {
            const [pair] = line.split(';');
            const eq = pair.indexOf('=');
            return {
              name: pair.slice(0, eq),
              value: pair.slice(eq + 1),
              domain: 'localhost',
              path: '/media/demo-1/',
              sameSite: 'Strict' as const,
            };
          }),
        );
      const page = await context.newPage();
      await page.goto(foreignUrl);
      served.length = 0;
      const failed = page.waitForEvent('requestfailed', (request) => request.url().includes('/media/demo-1/'));
      await page.evaluate(
        ([url, query]) => (window as unknown as { play(u: string, q: string): void }).play(url, query),
        [issued.manifestUrl, issued.signedQuery ?? ''],
      );
      // The first media request (the manifest) is refused, and the player gets nothing further.
      expect(new URL((await failed).url()).pathname).toBe('/media/demo-1/index.m3u8');
      expect(served[0]).toEqual([403, expect.stringMatching(/^\/media\/demo-1\/index\.m3u8/)]);
      expect(served.every(([status]) => status === 403)).toBe(true);
      // Refused by the function, not the signature check: the edge names the reason.
      const direct = await fetch(issued.manifestUrl, {
        headers: {
          origin: foreignUrl.slice(0, -1),
          cookie: issued.cookies.map((line) => line.split(';')[0]).join('; '),
        },
      });
      expect([direct.status, direct.headers.get('x-streamgate-denied')]).toEqual([403, 'foreign-site']);
      // The grant itself is valid: the same manifest from the service's own origin is served.
      const own = await context.newPage();
      await own.goto(stack.url);
      expect(await fetchStatus(own, issued.manifestUrl)).toBe(200);
      await context.close();
    },
    40000,
  );
});

describe('device binding', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      dir: mkdtempSync(join(tmpdir(), 'streamgate-browser-device-')),
      port: 0,
      deviceBinding: true,
      logger: logs.logger,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('signed cookies copied into another browser (other User-Agent) are refused at the edge; the original plays on through a refresh and a key rotation', async () => {
    const original = await browser.newContext();
    const { page, token } = await openPlayer(stack, original);
    await playUntil(page, 'demo-1', 1.2);
    const segment = `${stack.url}media/demo-1/segment_002.m2ts`;
    expect(await fetchStatus(page, segment)).toBe(200);

    const copied = await original.cookies();
    expect(copied.map((cookie) => cookie.name)).toContain('Streamgate-Device');
    const other = await browser.newContext({ userAgent: FIREFOX_UA });
    await other.addCookies(copied);
    const thief = await other.newPage();
    await thief.goto(stack.url);
    const refused = thief.waitForResponse((response) => response.url() === segment);
    await fetchStatus(thief, segment);
    expect(await denial(await refused)).toEqual([403, 'device']);

    // A key rotation: the grant in hand (tagged with what is now the previous key) still plays,
    // and so does a refreshed one.
    stack.deviceKeys?.rotate();
    expect(await fetchStatus(page, segment)).toBe(200);
    const refreshed = await page.evaluate(
      (bearer) =>
        fetch('/api/v1/playback/demo-1', { method: 'POST', headers: { authorization: `Bearer ${bearer}` } }).then(
          (response) => response.status,
        ),
      token(),
    );
    expect(refreshed).toBe(200);
    expect(await fetchStatus(page, segment)).toBe(200);
    expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).error)).toBeNull();
    await other.close();
    await original.close();
  }, 60000);

  test('a signed URL copied into another browser is refused at the edge; the original plays', async () => {
    const original = await browser.newContext();
    const { page } = await openPlayer(stack, original);
    await page.check('#delivery-url');
    const urls: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/media/demo-2/') && response.status() === 200) urls.push(response.url());
    });
    await playUntil(page, 'demo-2', 1.2);
    const signed = urls.find((url) => url.includes('.m2ts')) as string;
    expect(signed).toContain('streamgate-device=');
    expect(await original.cookies()).toEqual([]);

    const other = await browser.newContext({ userAgent: FIREFOX_UA });
    const thief = await other.newPage();
    await thief.goto(stack.url);
    const refused = thief.waitForResponse((response) => response.url() === signed);
    await fetchStatus(thief, signed);
    expect(await denial(await refused)).toEqual([403, 'device']);
    expect(await fetchStatus(page, signed)).toBe(200);
    await other.close();
    await original.close();
  }, 60000);
});
