/**
 * Logout and revocation as a person sees them on the local demo page, in real headless Chromium:
 * grants live 5 minutes here and the 6 s clips are fully buffered, so a stop within seconds can
 * only come from the page itself (the viewer's own logout) or from the edge's deny-list (another
 * window of the same viewer, revoked), never from a grant expiring or a scheduled refresh.
 * The screenshots of README's player section come from here (test-output/, copied to docs/img/).
 */
import type { Page } from 'playwright-core';
import {
  openPlayerPage,
  screenshotPath,
  signIn,
  statusFromPage as mediaStatus,
  useLocalStackInChromium,
} from '../support/browser-fixture';

const SIGNED_TTL_SECONDS = 300;
const VIEWPORT = { width: 1366, height: 768 };

const suite = useLocalStackInChromium({ signedTtlSeconds: SIGNED_TTL_SECONDS });

interface Watching {
  page: Page;
  /** Every media answer (path, status), in order. */
  media: Array<{ path: string; status: number }>;
  /** Every playback API answer's status, in order. */
  playback: number[];
  close(): Promise<void>;
}

/** A window of its own (a browser context: its own cookies and token), signed in as alice, playing demo-1 fully buffered. */
async function aliceWatching(): Promise<Watching> {
  const media: Watching['media'] = [];
  const playback: number[] = [];
  const { context, page } = await openPlayerPage(suite.browser, suite.stack.url, {
    context: { viewport: VIEWPORT },
    beforeLoad: (page) =>
      page.on('response', (response) => {
        const path = new URL(response.url()).pathname;
        if (path.startsWith('/media/')) media.push({ path, status: response.status() });
        if (path.startsWith('/api/v1/playback/')) playback.push(response.status());
      }),
  });
  await signIn(page, 'alice');
  await page.click('button.play[data-video="demo-1"]');
  await page.waitForFunction(
    () => {
      const video = document.querySelector('#video') as HTMLVideoElement;
      const buffered = video.buffered.length > 0 ? video.buffered.end(video.buffered.length - 1) : 0;
      return video.currentTime > 0.5 && buffered >= video.duration - 0.1;
    },
    undefined,
    { timeout: 20000 },
  );
  return { page, media, playback, close: () => context.close() };
}

const videoState = (page: Page) =>
  page.evaluate(() => {
    const video = document.querySelector('#video') as HTMLVideoElement;
    return {
      paused: video.paused,
      src: video.currentSrc,
      status: document.querySelector('#status')?.textContent ?? '',
      expiresIn: Number(document.querySelector('#cookie-expiry')?.getAttribute('data-seconds') ?? 0),
    };
  });

test("the viewer's own logout: the video stops within a second and the page is signed out; the window's grant is then refused at the edge, minutes before it expires", async () => {
  const watching = await aliceWatching();
  const { page } = watching;
  expect((await videoState(page)).expiresIn).toBeGreaterThan(SIGNED_TTL_SECONDS - 30);
  expect(await mediaStatus(page, '/media/demo-1/segment_001.m2ts')).toBe(200);
  const clickedAt = Date.now();
  await page.click('#logout');
  await page.waitForFunction(
    () => {
      const video = document.querySelector('#video') as HTMLVideoElement;
      return video.paused && video.readyState === HTMLMediaElement.HAVE_NOTHING;
    },
    undefined,
    { timeout: 1000 },
  );
  expect(Date.now() - clickedAt).toBeLessThan(1000);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'Signed out');
  expect(await page.textContent('#notice-message')).toBe('You signed out. Sign in to watch.');
  expect(await page.textContent('#signed-in-as')).toBe('nobody');
  await page.screenshot({ path: screenshotPath('player-signed-out-1366x768.png'), fullPage: true });
  // The cookies still in the window are good for minutes by their dates; the edge refuses them now.
  await page.waitForFunction(
    () => fetch('/media/demo-1/segment_001.m2ts', { cache: 'no-store' }).then((response) => response.status === 403),
    undefined,
    { polling: 250, timeout: 5000 },
  );
  expect(await mediaStatus(page, '/media/demo-1/index.m3u8')).toBe(403);
  await watching.close();
}, 60000);

test('revoked everywhere from one window: the other window of the same viewer, its clip fully buffered and its grant minutes from expiry, is refused at the edge at its next media request and says access was revoked', async () => {
  const phone = await aliceWatching();
  const laptop = await aliceWatching();
  const before = await videoState(phone.page);
  expect(before.paused).toBe(false);
  expect(before.expiresIn).toBeGreaterThan(SIGNED_TTL_SECONDS - 60);
  const refreshesBefore = phone.playback.length;
  const mediaBefore = phone.media.length;

  const revokedAt = Date.now();
  const [revocation] = await Promise.all([
    laptop.page.waitForResponse((response) => response.url().endsWith('/api/v1/revocations')),
    laptop.page.click('#revoke-everywhere'),
  ]);
  expect(revocation.status()).toBe(201);

  // One loop of the clip (6 s) brings the phone's next segment request to the edge.
  await phone.page.waitForSelector('#notice:not([hidden])', { timeout: 15000 });
  const stoppedAfterMs = Date.now() - revokedAt;
  expect(await phone.page.textContent('#notice-message')).toBe('Your access was revoked. Sign in again to watch.');
  expect(await phone.page.textContent('#notice-action')).toBe('Sign in again');
  expect(await phone.page.textContent('#status')).toBe('Stopped: access revoked');
  expect(await phone.page.getAttribute('#last-api', 'data-reason')).toBe('revoked');
  const after = await videoState(phone.page);
  expect(after.paused).toBe(true);
  // The edge refused a media request first; only then did the page ask the API (401, revoked).
  const refusedAt = phone.media.findIndex((entry, index) => index >= mediaBefore && entry.status === 403);
  expect(refusedAt).toBeGreaterThanOrEqual(mediaBefore);
  expect(phone.media[refusedAt].path).toMatch(/^\/media\/demo-1\//);
  expect(phone.playback.slice(refreshesBefore)).toEqual([401]);
  expect(stoppedAfterMs).toBeLessThan(15000);
  await phone.page.screenshot({ path: screenshotPath('player-revoked-elsewhere-1366x768.png'), fullPage: true });

  // The window that revoked is the same viewer: it stops the same way.
  await laptop.page.waitForSelector('#notice:not([hidden])', { timeout: 15000 });
  expect(await laptop.page.textContent('#status')).toBe('Stopped: access revoked');
  await phone.close();
  await laptop.close();
}, 90000);
