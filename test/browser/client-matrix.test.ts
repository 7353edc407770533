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
import { resolve } from 'node:path';
import { buildSync } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { useClientStackInChromium } from '../support/browser-fixture';
import type { Observed, PlayerName, Run } from './client-matrix-page';

const TTL_SECONDS = 5; // the API's minimum
const PLAYERS: PlayerName[] = ['hls.js', 'shaka', 'video.js'];
const DELIVERIES = ['cookie', 'url'] as const;
const SCRIPTS: Record<PlayerName, string> = {
  'hls.js': require.resolve('hls.js/dist/hls.min.js'),
  shaka: require.resolve('shaka-player/dist/shaka-player.compiled.js'),
  'video.js': require.resolve('video.js/dist/video.min.js'),
};

interface MediaResponse {
  path: string;
  status: number;
  signed: boolean;
  at: number;
}
interface PlayerPage {
  context: BrowserContext;
  page: Page;
  media: MediaResponse[];
}

const suite = useClientStackInChromium(
  {
    signedTtlSeconds: TTL_SECONDS,
    apiEnv: { RATE_LIMIT_PER_WINDOW: '200' },
  },
  { setupTimeoutMs: 60000 },
);
let harness: string;
const pages = new Map<PlayerName, PlayerPage>();

beforeAll(async () => {
  harness = buildSync({
    entryPoints: [resolve(__dirname, 'client-matrix-page.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    write: false,
  }).outputFiles[0].text;
  for (const player of PLAYERS) {
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    // A blank page of the test's own on the stack's origin (the API's and the media's).
    await page.route(`${suite.env.apiBase}/matrix.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><div id="players"></div>' }),
    );
    const media: MediaResponse[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/media/'))
        media.push({
          path: url.pathname,
          status: response.status(),
          signed: url.searchParams.has('Signature'),
          at: Date.now(),
        });
    });
    await page.goto(`${suite.env.apiBase}/matrix.html`);
    await page.addScriptTag({ path: SCRIPTS[player] });
    await page.addScriptTag({ content: harness });
    pages.set(player, { context, page, media });
  }
}, 60000);

async function start(player: PlayerName, run: Omit<Run, 'player'>): Promise<PlayerPage> {
  const target = pages.get(player) as PlayerPage;
  await target.page.evaluate(() => (window as unknown as { matrix: { stop(): Promise<void> } }).matrix.stop());
  await target.page.unrouteAll({ behavior: 'ignoreErrors' });
  await target.page.route(`${suite.env.apiBase}/matrix.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><div id="players"></div>' }),
  );
  await target.context.clearCookies();
  target.media.length = 0;
  await target.page.evaluate(
    (value) => (window as unknown as { matrix: { start(run: Run): Promise<void> } }).matrix.start(value),
    { ...run, player },
  );
  return target;
}

const observe = (target: PlayerPage): Promise<Observed> =>
  target.page.evaluate(() => (window as unknown as { matrix: { observe(): Observed } }).matrix.observe());

async function until(target: PlayerPage, done: (observed: Observed) => boolean, timeoutMs: number): Promise<Observed> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const observed = await observe(target);
    if (done(observed)) return observed;
    if (Date.now() > deadline) throw new Error(`timed out; last observed: ${JSON.stringify(observed)}`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

const sub = (...parts: string[]) => parts.join('-').replace(/[^a-z0-9-]/gi, '');

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
