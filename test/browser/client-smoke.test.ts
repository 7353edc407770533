/**
 * A smoke test of the script-tag IIFE in real headless Chromium with hls.js (the full matrix with
 * Shaka and video.js is part 2): the page, on the stack's origin, gets a dev IdP token, creates a
 * session, attaches hls.js and plays, in cookie and in URL mode.
 */
import { clientScriptBundle, useClientStackInChromium } from '../support/browser-fixture';

const suite = useClientStackInChromium({}, { setupTimeoutMs: 60000 });
let bundle: string;
beforeAll(() => {
  bundle = clientScriptBundle();
});

async function play(
  delivery: 'cookie' | 'url',
): Promise<{ time: number; media: Array<{ path: string; status: number; signed: boolean }> }> {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  // A blank page of our own on the stack's origin (the API's and media's), with no CSP.
  await page.route(`${suite.env.apiBase}/client-smoke.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><video id="v" muted></video>' }),
  );
  const media: Array<{ path: string; status: number; signed: boolean }> = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/media/'))
      media.push({ path: url.pathname, status: response.status(), signed: url.searchParams.has('Signature') });
  });
  await page.goto(`${suite.env.apiBase}/client-smoke.html`);
  await page.addScriptTag({ url: '/vendor/hls.min.js' });
  await page.addScriptTag({ content: bundle });
  const time = await page.evaluate(async (mode) => {
    const { createPlaybackSession, attachHlsJs } = (
      window as unknown as { StreamgateClient: typeof import('../../client/src') }
    ).StreamgateClient;
    const Hls = (window as unknown as { Hls: new () => import('../../client/src').HlsLike }).Hls;
    const getToken = async () => {
      const response = await fetch('/idp/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: `smoke-${mode}`, videos: ['demo-1'] }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const video = document.getElementById('v') as HTMLVideoElement;
    const session = createPlaybackSession({
      apiBase: mode === 'cookie' ? '' : location.origin,
      videoId: 'demo-1',
      getToken,
      delivery: mode,
    }); // '': the page's origin
    await attachHlsJs(new Hls(), session, video);
    await video.play();
    await new Promise<void>((done, fail) => {
      const started = Date.now();
      const check = () =>
        video.currentTime > 2
          ? done()
          : Date.now() - started > 20000
            ? fail(new Error(`stuck at ${video.currentTime}`))
            : setTimeout(check, 100);
      check();
    });
    session.stop();
    return video.currentTime;
  }, delivery);
  await context.close();
  return { time, media };
}

test('cookie mode: hls.js plays demo-1 with the cookies, no query on any request', async () => {
  const { time, media } = await play('cookie');
  expect(time).toBeGreaterThan(2);
  expect(media.filter((entry) => entry.path.endsWith('.m2ts')).length).toBeGreaterThanOrEqual(2);
  // Nothing refused by the edge, and no signature on any request.
  expect(media.filter((entry) => entry.status === 403 || entry.signed)).toEqual([]);
}, 60000);

test('URL mode: hls.js plays demo-1 with the signed query on the manifest and every segment', async () => {
  const { time, media } = await play('url');
  expect(time).toBeGreaterThan(2);
  expect(media.filter((entry) => entry.path.endsWith('.m2ts')).length).toBeGreaterThanOrEqual(2);
  // Nothing refused, and the signature on every request, manifest and segments alike.
  expect(media.filter((entry) => entry.status === 403 || !entry.signed)).toEqual([]);
}, 60000);
