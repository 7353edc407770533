/**
 * DRM in real headless Chromium: the client library's hls.js adapter plays the CENC-encrypted
 * demo-3 through EME ClearKey, its licences fetched through the licence proxy with the viewer's
 * token, from the local stack (edge, API, ClearKey server). The page shows the library's words
 * for each refusal; the tests read what the page shows and what the video element did.
 *
 * The playback session and the licence requests take their tokens from separate functions here,
 * so a licence can be refused while the session's grant stands (revoked, not entitled, store down).
 */
import type { Page } from 'playwright-core';
import { clientScriptBundle, useClientStackInChromium } from '../support/browser-fixture';

// Tokens here play from node and ask for licences from the page (another loopback address):
// no sharing record to judge them by; test/core/licence-proxy.test.ts covers the sharing verdict.
const suite = useClientStackInChromium({ apiEnv: { SHARING_MAX_NETWORKS: '0' } }, { setupTimeoutMs: 90000 });
let bundle: string;
beforeAll(() => {
  bundle = clientScriptBundle();
});

interface PageState {
  time: number;
  frames: number;
  paused: boolean;
  message: string;
  kind: string | undefined;
  /** Which call the shown refusal came from: `licence` or `playback`. */
  source: string | undefined;
  licences: number[];
}

/** The client library's words for an API answer, as the page's own copy of it says them. */
function wordsFor(page: Page, status: number, error: string, reason?: string): Promise<string> {
  return page.evaluate(
    ([status, error, reason]) =>
      (window as unknown as { StreamgateClient: typeof import('../../client/src') }).StreamgateClient.licenceDenialOf(
        Number(status),
        { error, reason: reason === '' ? undefined : reason, error_description: '' },
        undefined,
      ).message,
    [String(status), error, reason ?? ''],
  );
}

/** Opens the test page, plays demo-3 with DRM, the session token and the licence token given. */
async function open(sessionToken: string, licenceToken: string, beforeLicence?: () => Promise<void>): Promise<Page> {
  const page = await suite.browser.newPage();
  // Runs in the test process, awaited by the page before each licence request.
  if (beforeLicence !== undefined) await page.exposeFunction('beforeLicence', beforeLicence);
  await page.route(`${suite.env.apiBase}/drm-test.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><video id="v" muted></video><p id="message" role="status"></p>',
    }),
  );
  await page.goto(`${suite.env.apiBase}/drm-test.html`);
  await page.addScriptTag({ url: '/vendor/hls.min.js' });
  await page.addScriptTag({ content: bundle });
  await page.evaluate(
    async ({ sessionToken, licenceToken }) => {
      const { createPlaybackSession, attachHlsJsDrm } = (
        window as unknown as { StreamgateClient: typeof import('../../client/src') }
      ).StreamgateClient;
      const Hls = (window as unknown as { Hls: new () => import('../../client/src').HlsLike }).Hls;
      const state = window as unknown as { licenceToken: string; licences: number[]; session: unknown };
      state.licenceToken = licenceToken;
      state.licences = [];
      const message = document.getElementById('message') as HTMLElement;
      const video = document.getElementById('v') as HTMLVideoElement;
      const session = createPlaybackSession({ apiBase: '', videoId: 'demo-3', getToken: () => sessionToken });
      state.session = session;
      session.on('stop', (denial) => {
        if (denial === undefined) return;
        message.textContent = denial.message;
        message.dataset.kind = denial.kind;
        message.dataset.source = 'playback';
      });
      const originalOpen = XMLHttpRequest.prototype.open;
      XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, _method: string, url: string | URL) {
        if (String(url).includes('/api/v1/licence/'))
          this.addEventListener('loadend', () => state.licences.push(this.status));
        // biome-ignore lint/complexity/noArguments: pass every argument through unchanged
        return originalOpen.apply(this, arguments as unknown as Parameters<typeof originalOpen>);
      } as typeof XMLHttpRequest.prototype.open;
      try {
        await attachHlsJsDrm(new Hls(), session, video, {
          getToken: async () => {
            await (window as unknown as { beforeLicence?: () => Promise<void> }).beforeLicence?.();
            return state.licenceToken;
          },
          onDenied: (denial) => {
            message.textContent = denial.message;
            message.dataset.kind = denial.kind;
            message.dataset.source = 'licence';
          },
        });
        await video.play().catch(() => undefined);
      } catch (error) {
        message.textContent = (error as Error).message;
      }
    },
    { sessionToken, licenceToken },
  );
  return page;
}

function state(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const video = document.getElementById('v') as HTMLVideoElement;
    return {
      time: video.currentTime,
      frames: video.getVideoPlaybackQuality().totalVideoFrames,
      paused: video.paused,
      message: document.getElementById('message')?.textContent ?? '',
      kind: document.getElementById('message')?.dataset.kind,
      source: document.getElementById('message')?.dataset.source,
      licences: (window as unknown as { licences: number[] }).licences,
    };
  });
}

/** The page state after `ms`, to show that nothing moved. */
async function after(page: Page, ms: number): Promise<PageState> {
  await page.waitForTimeout(ms);
  return state(page);
}

test('demo-3 plays through EME ClearKey: time advances, frames are decoded, the licence came through the proxy', async () => {
  const token = await suite.env.token('drm-alice', ['demo-3']);
  const page = await open(token, token);
  await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 2, undefined, {
    timeout: 30000,
  });
  const played = await state(page);
  expect(played.frames).toBeGreaterThan(0);
  expect(played.licences).toEqual([200]);
  expect(played.message).toBe('');
  await page.close();
}, 60000);

test('a licence request with a revoked token: refused, nothing decoded, the page says the session ended', async () => {
  const token = await suite.env.token('drm-bob', ['demo-3']);
  const revoked = await suite.env.token('drm-bob', ['demo-3']);
  expect((await suite.env.logout(revoked)).status).toBe(204);
  const page = await open(token, revoked);
  await page.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, {
    timeout: 30000,
  });
  const shown = await after(page, 1500);
  expect(shown.kind).toBe('revoked');
  expect(shown.message).toBe(await wordsFor(page, 401, 'invalid_token', 'revoked'));
  expect(shown.licences).toContain(401);
  expect(shown.frames).toBe(0);
  expect(shown.time).toBe(0);
  await page.close();
}, 60000);

test('a licence request with a token not entitled to demo-3: refused, nothing decoded, the page says why', async () => {
  const page = await open(
    await suite.env.token('drm-carol', ['demo-3']),
    await suite.env.token('drm-carol', ['demo-1']),
  );
  await page.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, {
    timeout: 30000,
  });
  const shown = await after(page, 1500);
  expect(shown.kind).toBe('not-entitled');
  expect(shown.message).toBe(await wordsFor(page, 403, 'insufficient_scope'));
  expect(shown.licences).toContain(403);
  expect(shown.frames).toBe(0);
  await page.close();
}, 60000);

test('a viewer not entitled at all: the playback call is refused first, and the page says why', async () => {
  const token = await suite.env.token('drm-dave', ['demo-1']);
  const page = await open(token, token);
  await page.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, {
    timeout: 30000,
  });
  const shown = await after(page, 500);
  expect(shown.kind).toBe('not-entitled');
  expect(shown.message).toBe(await wordsFor(page, 403, 'insufficient_scope'));
  expect(shown.licences).toEqual([]);
  expect(shown.frames).toBe(0);
  await page.close();
}, 60000);

test('the revocation store down at licence time: 503, no licence, the page says the service is unavailable', async () => {
  const token = await suite.env.token('drm-erin', ['demo-3']);
  let stopped = false;
  const viewer = await open(token, token, async () => {
    if (stopped) return;
    stopped = true;
    await suite.env.stopStore();
  });
  try {
    await viewer.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, {
      timeout: 30000,
    });
    const shown = await state(viewer);
    expect(shown.kind).toBe('unavailable');
    expect(shown.message).toBe(await wordsFor(viewer, 503, 'temporarily_unavailable'));
    expect(shown.licences).toContain(503);
    expect(shown.frames).toBe(0);
  } finally {
    await suite.env.restartStore();
    await viewer.close();
  }
}, 60000);

/** The licence token's own playback call, as an app makes before asking for licences with it. */
function playAs(token: string): Promise<Response> {
  return fetch(`${suite.env.apiBase}/api/v1/playback/demo-3`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
}

/**
 * Keeps the licence token's own session playing (its grant refreshed as its player
 * would: every 4 s, inside the 10 s grant and well under the per-user rate limit), so its stream slot
 * stays live while the page asks for licences with it; until stopped.
 */
function keepPlaying(token: string): { stop(): void } {
  const timer = setInterval(() => void playAs(token).catch(() => undefined), 4000);
  timer.unref(); // a failed test must not keep the run alive
  return { stop: () => clearInterval(timer) };
}

test('a licence renewal refused mid-play (the licence token revoked) stops playback and says why', async () => {
  const sessionToken = await suite.env.token('drm-frank', ['demo-3']);
  const licenceToken = await suite.env.token('drm-frank', ['demo-3']);
  // A licence belongs to a session playback admitted: the licence token plays too (its own session).
  expect((await playAs(licenceToken)).status).toBe(200);
  const playing = keepPlaying(licenceToken);
  const page = await open(sessionToken, licenceToken);
  await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 1, undefined, {
    timeout: 30000,
  });
  expect((await suite.env.logout(licenceToken)).status).toBe(204);
  // A grant refresh (as at refreshAfter) renews the licence.
  await page.evaluate(() => (window as unknown as { session: { refresh(): void } }).session.refresh());
  await page.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, {
    timeout: 20000,
  });
  const stopped = await state(page);
  expect(stopped.kind).toBe('revoked');
  expect(stopped.source).toBe('licence');
  expect(stopped.message).toBe(await wordsFor(page, 401, 'invalid_token', 'revoked'));
  expect(stopped.paused).toBe(true);
  const later = await after(page, 1500);
  expect(later.time).toBe(stopped.time);
  playing.stop();
  await page.close();
}, 60000);

test('a grant refresh refused mid-play (the session token revoked) stops DRM playback too, and says why', async () => {
  const sessionToken = await suite.env.token('drm-grace', ['demo-3']);
  const licenceToken = await suite.env.token('drm-grace', ['demo-3']);
  // A licence belongs to a session playback admitted: the licence token plays too (its own session).
  expect((await playAs(licenceToken)).status).toBe(200);
  const playing = keepPlaying(licenceToken);
  const page = await open(sessionToken, licenceToken);
  await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 1, undefined, {
    timeout: 30000,
  });
  expect((await suite.env.logout(sessionToken)).status).toBe(204);
  await page.evaluate(() => (window as unknown as { session: { refresh(): void } }).session.refresh());
  await page.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, {
    timeout: 20000,
  });
  const stopped = await state(page);
  expect(stopped.kind).toBe('revoked');
  expect(stopped.source).toBe('playback');
  expect(stopped.paused).toBe(true);
  const later = await after(page, 1500);
  expect(later.time).toBe(stopped.time);
  playing.stop();
  await page.close();
}, 60000);
