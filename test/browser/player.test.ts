/**
 * The player page (the local build of web/, made by the stack) in real headless Chromium against
 * the local stack on loopback: it signs in with the dev IdP, gets cookies from the real API through
 * streamgate-client, plays through the local edge, and shows any denial over the video.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { denial, type DenialKind } from '../../client/src/denial';
import {
  openPlayerPage,
  playUntil,
  screenshotPath,
  signIn,
  statusFromPage as fetchStatus,
  useLocalStackInChromium,
} from '../support/browser-fixture';

const SIGNED_TTL_SECONDS = 6;

const suite = useLocalStackInChromium({
  signedTtlSeconds: SIGNED_TTL_SECONDS,
  // Each test signs alice in afresh (a new session) while earlier sessions' cookies still live.
  apiEnv: { MAX_CONCURRENT_STREAMS: '20', MAX_SESSIONS_PER_HOUR: '200', MAX_GRANTS_PER_BUCKET: '500' },
});

interface Seen {
  url: string;
  status: number;
  method: string;
}

async function openPlayer(): Promise<{ context: BrowserContext; page: Page; seen: Seen[] }> {
  const seen: Seen[] = [];
  const { context, page } = await openPlayerPage(suite.browser, suite.stack.url, {
    beforeLoad: (page) =>
      page.on('response', (response) =>
        seen.push({
          url: new URL(response.url()).pathname,
          status: response.status(),
          method: response.request().method(),
        }),
      ),
  });
  return { context, page, seen };
}

test('sign in and play video A: currentTime passes 2 s and every segment is answered 200', async () => {
  const { context, page, seen } = await openPlayer();
  await signIn(page, 'alice');
  await playUntil(page, 'demo-1', 2.2);
  const media = seen.filter((entry) => entry.url.startsWith('/media/demo-1/'));
  expect(media.some((entry) => entry.url.endsWith('.m3u8'))).toBe(true);
  expect(media.filter((entry) => entry.url.endsWith('.m2ts')).length).toBeGreaterThanOrEqual(2);
  expect(media.every((entry) => entry.status === 200)).toBe(true);
  expect(await page.textContent('#status')).toContain('Playing');
  await page.screenshot({ path: screenshotPath('player.png'), fullPage: true });
  await context.close();
});

test('without signing in, the manifest and a segment are 403 from the edge', async () => {
  const { context, page } = await openPlayer();
  expect(await fetchStatus(page, '/media/demo-1/index.m3u8')).toBe(403);
  expect(await fetchStatus(page, '/media/demo-1/segment_000.m2ts')).toBe(403);
  await context.close();
});

test("with cookies for video A, B's manifest and B's key are 403", async () => {
  const { context, page } = await openPlayer();
  await signIn(page, 'alice');
  await playUntil(page, 'demo-1', 0.5);
  expect(await fetchStatus(page, '/media/demo-1/index.m3u8')).toBe(200);
  expect(await fetchStatus(page, '/media/demo-2/index.m3u8')).toBe(403);
  expect(await fetchStatus(page, '/media/demo-2/key.bin')).toBe(403);
  await context.close();
});

test('the AES-128 encrypted video decrypts and plays, its key fetched with the cookies', async () => {
  const { context, page, seen } = await openPlayer();
  await signIn(page, 'alice');
  await playUntil(page, 'demo-2', 2.2);
  expect(seen.find((entry) => entry.url === '/media/demo-2/key.bin')?.status).toBe(200);
  expect(seen.filter((entry) => entry.url.startsWith('/media/demo-2/')).every((entry) => entry.status === 200)).toBe(
    true,
  );
  await context.close();
});

test('the DRM video (demo-3, CENC) plays on the page through EME ClearKey, its licence from the licence proxy', async () => {
  const { context, page, seen } = await openPlayer();
  await signIn(page, 'alice');
  await playUntil(page, 'demo-3', 2.2);
  const frames = await page.evaluate(
    () => (document.querySelector('#video') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames,
  );
  expect(frames).toBeGreaterThan(24);
  expect(seen.find((entry) => entry.method === 'POST' && entry.url === '/api/v1/licence/demo-3/clearkey')?.status).toBe(
    200,
  );
  expect(seen.filter((entry) => entry.url.startsWith('/drm/demo-3/')).every((entry) => entry.status === 200)).toBe(
    true,
  );
  await context.close();
});

test('a viewer not entitled to a video is told so and gets no cookies for it', async () => {
  const { context, page } = await openPlayer();
  await signIn(page, 'bob');
  await page.click('button.play[data-video="demo-2"]');
  await page.waitForFunction(() => document.querySelector('#last-api')?.getAttribute('data-status') === '403');
  expect(await page.textContent('#status')).toContain('Not entitled');
  // Said over the video, with the action that helps.
  expect(await page.isVisible('#notice')).toBe(true);
  expect(await page.textContent('#notice-message')).toBe("Your account doesn't include this video.");
  expect(await page.textContent('#notice-action')).toBe('Pick another video');
  await page.click('#notice-action');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-video'))).toBe('demo-1');
  expect(await fetchStatus(page, '/media/demo-2/index.m3u8')).toBe(403);
  await context.close();
});

/** Nothing wider than its box, the page no wider than the window, and the notice inside the window. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) problems.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
    for (const panel of Array.from(document.querySelectorAll<HTMLElement>('.panel, .state dd, .notice')))
      if (panel.scrollWidth > panel.clientWidth)
        problems.push(`${panel.id || panel.className} ${panel.scrollWidth} > ${panel.clientWidth}`);
    const notice = document.getElementById('notice') as HTMLElement;
    if (!notice.hidden) {
      const box = notice.getBoundingClientRect();
      if (box.top < -1 || box.left < -1 || box.bottom > innerHeight + 1 || box.right > innerWidth + 1)
        problems.push(`notice outside the window: ${JSON.stringify(box)} in ${innerWidth}x${innerHeight}`);
      const action = (document.getElementById('notice-action') as HTMLElement).getBoundingClientRect();
      if (!(document.getElementById('notice-action') as HTMLElement).hidden && action.bottom > box.bottom)
        problems.push('the action button is cut off');
    }
    return problems;
  });
}

test('on a phone, the longest reason of all, with its button, fits over the video', async () => {
  const kinds: DenialKind[] = [
    'signed-out',
    'revoked',
    'session-ended',
    'not-entitled',
    'too-many-streams',
    'sharing',
    'rate-limited',
    'unavailable',
    'bad-request',
    'media-denied',
    'network',
  ];
  const longest = kinds.map((kind) => denial(kind).message).sort((a, b) => b.length - a.length)[0];
  const { context, page } = await openPlayerPage(suite.browser, suite.stack.url, {
    context: { viewport: { width: 320, height: 640 }, isMobile: true },
  });
  await page.evaluate((message) => {
    (document.getElementById('notice-message') as HTMLElement).textContent = message;
    (document.getElementById('notice-action') as HTMLElement).textContent = 'Try again';
    (document.getElementById('notice-action') as HTMLElement).hidden = false;
    (document.getElementById('notice') as HTMLElement).hidden = false;
  }, longest);
  expect(await layoutProblems(page)).toEqual([]);
  await context.close();
});

for (const [width, height] of [
  [1366, 768],
  [390, 844],
] as const) {
  test(`at ${width}×${height}: a revocation's reason and action are over the video, above the fold, and nothing overflows`, async () => {
    const { context, page } = await openPlayerPage(suite.browser, suite.stack.url, {
      context: { viewport: { width, height }, isMobile: width < 500 },
    });
    await signIn(page, 'alice');
    // URL mode: the longest "last API call" line.
    await page.check('#delivery-url');
    await playUntil(page, 'demo-1', 0.5);
    expect(await layoutProblems(page)).toEqual([]);
    // Revoked by an admin (the page's demo button): refused at the edge or at the next refresh.
    await page.click('#revoke-everywhere');
    await page.waitForSelector('#notice:not([hidden])', { timeout: (SIGNED_TTL_SECONDS + 5) * 1000 });
    expect(await page.textContent('#notice-message')).toBe('Your access was revoked. Sign in again to watch.');
    expect(await page.textContent('#notice-action')).toBe('Sign in again');
    expect(await page.textContent('#status')).toMatch(/revoked/);
    expect(await layoutProblems(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath(`player-revoked-${width}x${height}.png`) });
    await page.click('#notice-action');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('signin-alice');
    await context.close();
  }, 40000);
}

test('log out with the clip fully buffered: within a second the video is paused and emptied, the page is signed out, and nothing more is asked', async () => {
  const { context, page, seen } = await openPlayer();
  await signIn(page, 'alice');
  await playUntil(page, 'demo-1', 0.5);
  // The whole clip is buffered: nothing the player still needs has to pass the edge or the API.
  await page.waitForFunction(() => {
    const video = document.querySelector('#video') as HTMLVideoElement;
    return video.buffered.length > 0 && video.buffered.end(video.buffered.length - 1) >= video.duration - 0.1;
  });
  const clickedAt = Date.now();
  await page.click('#logout');
  await page.waitForFunction(
    () => {
      const video = document.querySelector('#video') as HTMLVideoElement;
      return (
        video.paused &&
        video.readyState === HTMLMediaElement.HAVE_NOTHING &&
        !document.querySelector('#status')?.textContent?.includes('Playing')
      );
    },
    undefined,
    { timeout: 1000 },
  );
  expect(Date.now() - clickedAt).toBeLessThan(1000);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'Signed out');
  expect(await page.textContent('#signed-in-as')).toBe('nobody');
  expect(await page.textContent('#notice-message')).toBe('You signed out. Sign in to watch.');
  expect(await page.textContent('#notice-action')).toBe('Sign in again');
  expect(await page.isDisabled('#logout')).toBe(true);
  const logout = seen.filter((entry) => entry.method === 'DELETE' && entry.url === '/api/v1/session');
  expect(logout.map((entry) => entry.status)).toEqual([204]);
  // Past a refresh's time: the stopped player asked the API and the edge for nothing more.
  const answered = seen.length;
  await page.waitForTimeout(SIGNED_TTL_SECONDS * 1000);
  expect(seen.slice(answered)).toEqual([]);
  expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).paused)).toBe(true);
  expect(await page.textContent('#status')).toBe('Signed out');
  await context.close();
}, 40000);

test('cookie refresh keeps a video playing past more than one cookie lifetime', async () => {
  const { context, page, seen } = await openPlayer();
  await signIn(page, 'alice');
  await playUntil(page, 'demo-1', 0.5);
  await page.waitForTimeout(SIGNED_TTL_SECONDS * 2500);
  const refreshes = seen.filter((entry) => entry.url === '/api/v1/playback/demo-1' && entry.status === 200);
  expect(refreshes.length).toBeGreaterThanOrEqual(3);
  // The first cookies expired long ago; media still opens, so the refreshed ones are in place.
  expect(await fetchStatus(page, '/media/demo-1/segment_001.m2ts')).toBe(200);
  expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).paused)).toBe(false);
  expect(await page.textContent('#status')).toContain('Playing');
  expect((await page.textContent('#error'))?.trim()).toBe('');
  await context.close();
}, 40000);

test('signed-URL delivery plays with the query appended to every media request', async () => {
  const { context, page, seen } = await openPlayer();
  await signIn(page, 'alice');
  await page.check('#delivery-url');
  await playUntil(page, 'demo-2', 2.2);
  const media = seen.filter((entry) => entry.url.startsWith('/media/demo-2/'));
  expect(media.length).toBeGreaterThanOrEqual(3);
  expect(media.every((entry) => entry.status === 200)).toBe(true);
  expect(await context.cookies()).toEqual([]);
  await context.close();
});

test('the local monitor page shows authorized and denied counts by reason', async () => {
  const { context, page } = await openPlayer();
  await signIn(page, 'bob');
  await page.click('button.play[data-video="demo-2"]');
  await page.waitForFunction(() => document.querySelector('#last-api')?.getAttribute('data-status') === '403');
  const monitor = await context.newPage();
  await monitor.goto(`${suite.stack.url}local/monitor`);
  await monitor.waitForSelector('#reasons tr[data-reason="not_entitled"]');
  expect(Number(await monitor.textContent('#authorized'))).toBeGreaterThanOrEqual(1);
  expect(
    Number(await monitor.textContent('#reasons tr[data-reason="not_entitled"] td:last-child')),
  ).toBeGreaterThanOrEqual(1);
  expect(await monitor.textContent('#recent')).toContain('not_entitled');
  await monitor.screenshot({ path: screenshotPath('monitor.png'), fullPage: true });
  await context.close();
});
