/**
 * The live client matrix in Debian Chromium: hls.js, Shaka Player and video.js, each wired by its
 * streamgate-client adapter, play the local live channel (live-1: a sliding window of 2 s
 * segments, through the real edge, viewer-request function and deny-list) in cookie and in
 * signed-URL mode, with 5-second grants so that at least three refreshes happen while the window
 * slides, and stop as `revoked` within seconds of an admin revocation. One browser, one page per
 * player, one player playing at a time (the machine's cores are shared).
 *
 * Media answers may include the local edge's 503 when its viewer-request function runs out of time
 * on a busy machine (as CloudFront's would); the players retry those. A 403 fails a test.
 */
import { useClientStackInChromium } from '../support/browser-fixture';
import type { PlayerName, Run } from './client-matrix-page';
import {
  DELIVERIES,
  type MediaResponse,
  mediaResponse,
  observe,
  openPlayerPages,
  PLAYERS,
  type PlayerPage,
  startRun,
  sub,
  until as untilObserved,
} from './matrix-driver';

const TTL_SECONDS = 5; // the API's minimum: a refresh every 2.5 to 4 s (live jitter)
const CHANNEL = 'live-1';
const LIVE_FOLDER = `/live/${CHANNEL}/hls/`;

const api: string[] = [];
const suite = useClientStackInChromium(
  { signedTtlSeconds: TTL_SECONDS, apiEnv: { RATE_LIMIT_PER_WINDOW: '300' } },
  { setupTimeoutMs: 60000 },
);
let pages = new Map<PlayerName, PlayerPage>();

beforeAll(async () => {
  pages = await openPlayerPages(suite.browser, suite.env.apiBase, async (response, media) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/api/')) api.push(`${response.status()} ${url.pathname} at ${Date.now()}`);
    if (!url.pathname.startsWith('/live/')) return;
    const entry = mediaResponse(response);
    media.push(entry);
    if (response.status() === 403) {
      const policy = url.searchParams.get('Policy');
      const expiry =
        policy === null
          ? ''
          : /"AWS:EpochTime":(\d+)/.exec(
              Buffer.from(policy.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '='), 'base64').toString(),
            )?.[1];
      entry.detail = `expires ${expiry}000 denied ${response.headers()['x-streamgate-denied'] ?? ''} grants`;
    }
    if (url.pathname.endsWith('.m3u8') && response.status() === 200) {
      const text = await response.text().catch(() => '');
      const sequence = /^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(text)?.[1];
      if (sequence !== undefined) entry.mediaSequence = Number(sequence);
    }
  });
}, 60000);

const start = (player: PlayerName, run: Omit<Run, 'player'>): Promise<PlayerPage> =>
  startRun(pages.get(player) as PlayerPage, player, run);

/** As the driver's, and on a timeout says what the edge refused and what the API answered. */
const until: typeof untilObserved = (target, done, timeoutMs) =>
  untilObserved(target, done, timeoutMs, () => {
    const refused = target.media
      .filter((entry) => entry.status >= 400)
      .map((entry) => `${entry.status} ${entry.path} at ${entry.at} ${entry.detail ?? ''}`);
    return `; media refused: ${refused.join(', ')}; api: ${api.join(', ')}`;
  });

describe.each(PLAYERS)('%s', (player) => {
  describe.each(DELIVERIES)('× %s', (delivery) => {
    const signedAsExpected = (entry: MediaResponse) => entry.signed === (delivery === 'url');

    test(`${player} × ${delivery} × plays live-1 as live through ≥ 3 grant refreshes while the window slides`, async () => {
      const target = await start(player, { delivery, videoId: CHANNEL, sub: sub(player, delivery, 'live') });
      const playing = await until(target, (o) => o.progressed > 0.5, 25000);
      const startedAt = Date.now();
      // Three refreshes after the first grant (each at 50–80 % of 5 s), and the first grant expired.
      const observed = await until(
        target,
        (o) => o.grants >= 4 && Date.now() - startedAt > 2 * TTL_SECONDS * 1000,
        30000,
      );
      const elapsed = (Date.now() - startedAt) / 1000;
      expect(observed.errors).toEqual([]);
      expect(observed.stopped).toBe(false);
      expect(observed.paused).toBe(false);
      expect(observed.longestStallMs).toBeLessThan(1500);
      // The live timeline: currentTime moves on with the clock, and the live edge with it.
      expect(observed.currentTime - playing.currentTime).toBeGreaterThan(elapsed * 0.7);
      expect(observed.seekableEnd - playing.seekableEnd).toBeGreaterThan(elapsed * 0.5);
      // The playlist was fetched again and again, its media sequence advancing (one per 2 s).
      // Every playlist since the start (the first, fetched before playing, may be recorded a
      // moment later: its body is read after the response event).
      const sequences = target.media.flatMap((entry) => entry.mediaSequence ?? []);
      expect(Math.max(...sequences) - Math.min(...sequences)).toBeGreaterThanOrEqual(Math.floor(elapsed / 2) - 1);
      const live = target.media.filter((entry) => entry.path.startsWith(LIVE_FOLDER));
      expect(live.filter((entry) => entry.path.endsWith('.ts') && entry.status === 200).length).toBeGreaterThan(3);
      expect(target.media.filter((entry) => entry.status === 403)).toEqual([]);
      expect(target.media.filter((entry) => !signedAsExpected(entry))).toEqual([]);
    }, 70000);

    test(`${player} × ${delivery} × admin revocation mid-event: stops as revoked within seconds`, async () => {
      const viewer = sub(player, delivery, 'live-revoked');
      const target = await start(player, { delivery, videoId: CHANNEL, sub: viewer });
      await until(target, (o) => o.progressed > 0.5, 25000);
      const revokedAt = Date.now();
      expect((await suite.env.revokeUser(viewer)).status).toBe(201);
      const observed = await until(target, (o) => o.stopped, 6000);
      expect(observed.denial).toMatchObject({ kind: 'revoked', status: 401, code: 'invalid_token', action: 'sign-in' });
      expect((observed.stoppedAt ?? 0) - revokedAt).toBeLessThan(5000);
      await new Promise((wake) => setTimeout(wake, 500));
      expect((await observe(target)).paused).toBe(true);
    }, 40000);
  });
});
