/**
 * The compatibility matrix in Debian Chromium: hls.js, Shaka Player and video.js, each wired by its
 * streamgate-client adapter, in cookie and in signed-URL mode, against one local stack (real API,
 * dynalite, local edge) with 5-second grants so refreshes happen during the tests. One browser,
 * one page per player; every test is named player × delivery × event.
 *
 * Two tests answer media requests with 403 from the test (Playwright's route), standing in for
 * an edge that refuses a grant for a reason the API does not share: the client must ask the API at
 * once. The "revoked at the edge" tests use the real edge's deny-list.
 * Other media answers may include the local edge's 503 when its viewer-request function runs out
 * of time on a busy machine (as CloudFront's would); the players retry those. A 403 fails a test.
 */
import { useClientStackInChromium } from '../support/browser-fixture';
import type { PlayerName, Run } from './client-matrix-page';
import {
  DELIVERIES,
  MATRIX_PAGE,
  type MediaResponse,
  mediaResponse,
  observe,
  openPlayerPages,
  PLAYERS,
  type PlayerPage,
  startRun,
  sub,
  until,
} from './matrix-driver';

const TTL_SECONDS = 5; // the API's minimum

const suite = useClientStackInChromium(
  {
    signedTtlSeconds: TTL_SECONDS,
    apiEnv: { RATE_LIMIT_PER_WINDOW: '200' },
  },
  { setupTimeoutMs: 60000 },
);
let pages = new Map<PlayerName, PlayerPage>();

beforeAll(async () => {
  pages = await openPlayerPages(suite.browser, suite.env.apiBase, (response, media) => {
    if (new URL(response.url()).pathname.startsWith('/media/')) media.push(mediaResponse(response));
  });
}, 60000);

/** A case may route the page's requests: each start drops those routes and serves the blank page again. */
function start(player: PlayerName, run: Omit<Run, 'player'>): Promise<PlayerPage> {
  const target = pages.get(player) as PlayerPage;
  return startRun(target, player, run, async () => {
    await target.page.unrouteAll({ behavior: 'ignoreErrors' });
    await target.page.route(`${suite.env.apiBase}/matrix.html`, (route) => route.fulfill(MATRIX_PAGE));
  });
}

describe.each(PLAYERS)('%s', (player) => {
  describe.each(DELIVERIES)('× %s', (delivery) => {
    const signedAsExpected = (entry: MediaResponse) => entry.signed === (delivery === 'url');

    test(`${player} × ${delivery} × plays the clear sample (demo-1)`, async () => {
      const target = await start(player, { delivery, videoId: 'demo-1', sub: sub(player, delivery, 'clear') });
      const observed = await until(target, (o) => o.progressed > 2, 20000);
      expect(observed.stopped).toBe(false);
      const media = target.media.filter((entry) => entry.path.startsWith('/media/demo-1/'));
      expect(media.filter((entry) => entry.path.endsWith('.m2ts')).length).toBeGreaterThanOrEqual(1);
      expect(media.filter((entry) => entry.status === 403 || !signedAsExpected(entry))).toEqual([]);
    }, 30000);

    test(`${player} × ${delivery} × plays the AES-128 sample (demo-2), key fetched with the grant`, async () => {
      const target = await start(player, { delivery, videoId: 'demo-2', sub: sub(player, delivery, 'aes') });
      const observed = await until(target, (o) => o.progressed > 2, 20000);
      expect(observed.stopped).toBe(false);
      const media = target.media.filter((entry) => entry.path.startsWith('/media/demo-2/'));
      expect(media.find((entry) => entry.path === '/media/demo-2/key.bin')?.status).toBe(200);
      expect(media.filter((entry) => entry.status === 403 || !signedAsExpected(entry))).toEqual([]);
    }, 30000);

    test(`${player} × ${delivery} × survives grant refreshes mid-playback without a stall`, async () => {
      const target = await start(player, { delivery, videoId: 'demo-1', sub: sub(player, delivery, 'refresh') });
      await until(target, (o) => o.progressed > 0.5, 20000);
      const startedAt = Date.now();
      // Two refreshes at 80 % of a 5 s grant: the first grant has expired by the end.
      const observed = await until(
        target,
        (o) => o.grants >= 3 && Date.now() - startedAt > 2 * TTL_SECONDS * 1000,
        20000,
      );
      expect(observed.stopped).toBe(false);
      expect(observed.paused).toBe(false);
      expect(observed.longestStallMs).toBeLessThan(1500);
      expect(observed.progressed).toBeGreaterThan(((Date.now() - startedAt) / 1000) * 0.7);
      expect(target.media.filter((entry) => entry.status === 403)).toEqual([]);
      expect(target.media.filter((entry) => !signedAsExpected(entry))).toEqual([]);
    }, 40000);

    test(`${player} × ${delivery} × revocation (admin, POST /api/v1/revocations): stops at the next refresh as revoked`, async () => {
      const viewer = sub(player, delivery, 'revoked');
      const target = await start(player, { delivery, videoId: 'demo-1', sub: viewer });
      await until(target, (o) => o.progressed > 0.5, 20000);
      expect((await suite.env.revokeUser(viewer)).status).toBe(201);
      const observed = await until(target, (o) => o.stopped, TTL_SECONDS * 1000 + 3000);
      expect(observed.denial).toMatchObject({ kind: 'revoked', status: 401, code: 'invalid_token', action: 'sign-in' });
      expect(observed.denial?.message).toMatch(/revoked/i);
      await new Promise((wake) => setTimeout(wake, 500));
      expect((await observe(target)).paused).toBe(true);
    }, 40000);

    test(`${player} × ${delivery} × media 403 (edge refusal) then a fresh grant: asks the API at once and plays on`, async () => {
      const target = await start(player, { delivery, videoId: 'demo-1', sub: sub(player, delivery, 'edge403') });
      // The first request for the second segment is refused, as an edge would refuse a stale grant.
      let refused = 0;
      await target.page.route('**/media/demo-1/segment_001.m2ts*', (route) => {
        if (refused > 0) return route.continue();
        refused += 1;
        return route.fulfill({ status: 403, contentType: 'text/plain', body: 'AccessDenied' });
      });
      const observed = await until(target, (o) => o.checks >= 1 && o.progressed > 4, 20000);
      expect(refused).toBe(1);
      expect(observed.stopped).toBe(false);
      expect(observed.grants).toBeGreaterThanOrEqual(2);
      const served = target.media.filter((entry) => entry.path === '/media/demo-1/segment_001.m2ts');
      expect(served.map((entry) => entry.status)).toEqual(expect.arrayContaining([403, 200]));
    }, 40000);

    test(`${player} × ${delivery} × media 403 that a fresh grant does not cure: stops as media-denied`, async () => {
      const target = await start(player, {
        delivery,
        videoId: 'demo-1',
        sub: sub(player, delivery, 'denied'),
        hold: true,
      });
      await target.page.route('**/media/demo-1/segment_001.m2ts*', (route) =>
        route.fulfill({ status: 403, contentType: 'text/plain', body: 'AccessDenied' }),
      );
      await target.page.evaluate(() => (window as unknown as { matrix: { release(): void } }).matrix.release());
      const observed = await until(target, (o) => o.stopped, 20000);
      expect(observed.checks).toBeGreaterThanOrEqual(1);
      expect(observed.denial).toMatchObject({ kind: 'media-denied', status: 403, action: 'retry-later' });
    }, 40000);

    test(`${player} × ${delivery} × revoked at the edge: the media 403 makes it ask the API, and it stops as revoked at once`, async () => {
      const viewer = sub(player, delivery, 'edgerevoked');
      // Granted, then revoked before the player loads any media: the real edge's deny-list
      // (the viewer-request function over the KeyValueStore) refuses the grant's media.
      const target = await start(player, { delivery, videoId: 'demo-1', sub: viewer, hold: true });
      expect((await suite.env.revokeUser(viewer)).status).toBe(201);
      await target.page.evaluate(() => (window as unknown as { matrix: { release(): void } }).matrix.release());
      const observed = await until(target, (o) => o.stopped, 20000);
      expect(observed.checks).toBe(1);
      expect(observed.denial).toMatchObject({ kind: 'revoked', status: 401, code: 'invalid_token', action: 'sign-in' });
      const firstRefusal = target.media.find((entry) => entry.status === 403)?.at ?? 0;
      expect(firstRefusal).toBeGreaterThan(0);
      // Long before the scheduled refresh (80 % of 5 s).
      expect((observed.stoppedAt ?? 0) - firstRefusal).toBeLessThan(1500);
    }, 40000);
  });
});
