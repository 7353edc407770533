/**
 * Edge revocation as a viewer sees it, in real headless Chromium on the local player page: grants
 * live 5 minutes here, so a stop within seconds can only come from the edge's deny-list (the
 * viewer-request function over the KeyValueStore), not from a refresh. The video is playing, its
 * next segments still to load (the test holds them back, as a slow network would, then lets them
 * go to the real edge), when the session is revoked; the page stops and says why. Once per key
 * type the API may sign with (RSA-2048, ECDSA P-256).
 */
import type { Page, Route } from 'playwright-core';
import { CLOUDFRONT_KEY_ALGORITHMS } from '../../lambda/core/cloudfront-key-types';
import type { LocalStack } from '../../local/stack';
import { openPlayerPage, useChromium, useLocalStack } from '../support/browser-fixture';

const chromium = useChromium();

interface Held {
  release(): Promise<void>;
  statuses: number[];
}

/** Opens the page signed in as alice, playing demo-1 with segments after the first held back. */
async function playingWithSegmentsHeld(
  stack: LocalStack,
): Promise<{ page: Page; held: Held; token: string; close(): Promise<void> }> {
  const waiting: Route[] = [];
  const statuses: number[] = [];
  let holding = true;
  const { context, page } = await openPlayerPage(chromium.browser, stack.url, {
    beforeLoad: async (page) => {
      await page.route(/\/media\/demo-1\/segment_00[12]\.m2ts/, (route) => {
        if (holding) waiting.push(route);
        else void route.continue();
      });
      page.on('response', (response) => {
        if (/\/media\/demo-1\/segment_/.test(response.url())) statuses.push(response.status());
      });
    },
  });
  const issued = page.waitForResponse((response) => response.url().endsWith('/idp/token'));
  await page.click('#signin-alice');
  const token = ((await (await issued).json()) as { access_token: string }).access_token;
  await page.waitForFunction(() => document.querySelector('#signed-in-as')?.textContent?.includes('alice'));
  await page.click('button.play[data-video="demo-1"]');
  await page.waitForFunction(() => (document.querySelector('#video') as HTMLVideoElement).currentTime > 0.3, null, {
    timeout: 20000,
  });
  const held: Held = {
    statuses,
    release: async () => {
      holding = false;
      for (const route of waiting.splice(0)) await route.continue();
    },
  };
  return { page, held, token, close: () => context.close() };
}

/** Waits for the notice over the video; answers its words and the milliseconds it took. */
async function noticeWithin(page: Page, since: number, timeoutMs: number): Promise<{ text: string; ms: number }> {
  await page.waitForSelector('#notice:not([hidden])', { timeout: timeoutMs });
  return { text: (await page.textContent('#notice-message')) ?? '', ms: Date.now() - since };
}

describe.each(CLOUDFRONT_KEY_ALGORITHMS)('signing with %s', (keyAlgorithm) => {
  const suite = useLocalStack({
    signedTtlSeconds: 300,
    keyAlgorithm,
    apiEnv: { MAX_CONCURRENT_STREAMS: '1', STREAM_LIMIT_POLICY: 'evict-oldest' },
  });

  test('logged out elsewhere: the playing video stops within seconds (grants live 5 minutes) and the page says access was revoked', async () => {
    const { page, held, token, close } = await playingWithSegmentsHeld(suite.stack);
    const revokedAt = Date.now();
    // The same token logged out elsewhere (the page's own Log out stops it at once, not at the edge);
    // the logout answered (the revocation is stored), then the held segments go to the edge.
    const logout = await fetch(`${suite.stack.url}api/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.status).toBe(204);
    await held.release();
    const notice = await noticeWithin(page, revokedAt, 10000);
    expect(notice.text).toBe('Your access was revoked. Sign in again to watch.');
    expect(notice.ms).toBeLessThan(5000);
    expect(held.statuses).toContain(403);
    expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).paused)).toBe(true);
    await close();
  }, 40000);

  test('the same account starts on another device (stream limit 1, evict-oldest): this one stops within seconds and says so', async () => {
    const { page, held, close } = await playingWithSegmentsHeld(suite.stack);
    // Another device of alice's: a new token, a new session, which takes the only slot.
    const phone = await suite.stack.idp.issueToken({ sub: 'alice', videos: ['demo-1', 'demo-2'] });
    const startedAt = Date.now();
    const started = await fetch(`${suite.stack.url}api/v1/playback/demo-1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${phone}` },
    });
    expect(started.status).toBe(200);
    await held.release();
    const notice = await noticeWithin(page, startedAt, 10000);
    expect(notice.text).toMatch(/another device/);
    expect(notice.ms).toBeLessThan(5000);
    expect(held.statuses).toContain(403);
    await close();
  }, 40000);
});
