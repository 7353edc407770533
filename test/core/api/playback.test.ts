/**
 * lambda/core/api/playback.ts: `POST /api/v1/playback/{videoId}`, on real tokens, the real
 * CloudFront signer and the real access-state store. What the route itself decides: nothing is
 * signed unless every check passes, a grant never outlives its token, a DRM video's licence URLs
 * come from the routes module, the stream limit and the sharing action apply, and each outcome
 * is signalled. (What a grant opens is test/core/playback-grants.test.ts's.)
 */
import { PlaybackRoute } from '../../../lambda/core/api/playback';
import type { HttpResponse } from '../../../lambda/core/http';
import { bearer, MEDIA_BASE_URL, playbackEvent } from '../../support/harness';
import { startRouteKit, type RouteKit } from '../../support/route-kit';
import { idpKey, mint } from '../../support/tokens';

const idp = idpKey('ES256');
const NOW = Math.floor(Date.now() / 1000);

let kit: RouteKit;
let route: PlaybackRoute;
beforeAll(async () => {
  kit = await startRouteKit({
    idpKeys: [idp],
    now: () => NOW,
    extraEnv: {
      MAX_CONCURRENT_STREAMS: '1',
      SHARING_MAX_NETWORKS: '1',
      SHARING_ACTION: 'revoke-token',
      DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
      LICENCE_UPSTREAMS: JSON.stringify({ clearkey: { url: 'https://licences.example/clearkey/{videoId}' } }),
    },
  });
  route = new PlaybackRoute({ ...kit.deps, signer: await kit.signer(), drm: kit.drm });
});
afterAll(() => kit.close());
beforeEach(() => kit.signals.clear());

const play = (videoId: string, token: string, options: { query?: Record<string, string>; sourceIp?: string } = {}) =>
  route.handle(playbackEvent(videoId, { authorization: bearer(token), ...options }));
const json = (response: HttpResponse) => JSON.parse(response.body ?? '') as Record<string, unknown>;

test('an entitled, unrevoked token gets its signed grant, and the call is signalled as authorized', async () => {
  const response = await play('demo-1', await mint(idp, { now: NOW, claims: { sub: 'ann' } }));
  expect(response.statusCode).toBe(200);
  expect(json(response)).toMatchObject({ videoId: 'demo-1', manifestUrl: `${MEDIA_BASE_URL}/media/demo-1/index.m3u8` });
  expect((response.cookies ?? []).map((cookie) => cookie.split('=')[0]).sort()).toEqual([
    'CloudFront-Hash-Algorithm',
    'CloudFront-Key-Pair-Id',
    'CloudFront-Policy',
    'CloudFront-Signature',
  ]);
  expect(kit.signals.kinds()).toEqual(['authorized']);
  expect(kit.signals.flushes).toBe(1);
});

test('a grant never outlives its token: a token with a minute left gets a minute', async () => {
  const response = await play('demo-1', await mint(idp, { now: NOW, lifetime: 60, claims: { sub: 'ben' } }));
  expect(json(response).expiresAt).toBe(new Date((NOW + 60) * 1000).toISOString());
});

test('?delivery=url answers a signed query and sets no cookie', async () => {
  const response = await play('demo-1', await mint(idp, { now: NOW, claims: { sub: 'cleo' } }), {
    query: { delivery: 'url' },
  });
  expect(response.statusCode).toBe(200);
  expect(response.cookies).toBeUndefined();
  expect(json(response).signedQuery).toMatch(/Signature=/);
});

test("a DRM video's answer names the licence URL of each configured DRM system, from the declared route", async () => {
  const response = await play('demo-3', await mint(idp, { now: NOW, claims: { sub: 'dan' } }));
  expect(response.statusCode).toBe(200);
  expect(json(response).drm).toMatchObject({
    licenceUrls: { clearkey: `${MEDIA_BASE_URL}/api/v1/licence/demo-3/clearkey` },
  });
});

test('a token not entitled to the video is 403, signed nothing, and took no stream slot', async () => {
  const token = await mint(idp, { now: NOW, claims: { sub: 'eve', videos: ['demo-2'] } });
  const refused = await play('demo-1', token);
  expect(refused.statusCode).toBe(403);
  expect(json(refused)).toMatchObject({ error: 'insufficient_scope', reason: 'not_entitled' });
  expect(refused.cookies).toBeUndefined();
  expect(kit.signals.emitted).toEqual([
    { kind: 'denied', reason: 'not_entitled', status: 403, latencyMs: expect.any(Number) },
  ]);
  // The user's one slot is still free for a video the token may play.
  expect((await play('demo-2', token)).statusCode).toBe(200);
});

test('past the stream limit, a new session is refused (concurrency_limit), signed nothing, and signalled', async () => {
  expect((await play('demo-1', await mint(idp, { now: NOW, claims: { sub: 'fay' } }))).statusCode).toBe(200);
  kit.signals.clear();
  const second = await play('demo-1', await mint(idp, { now: NOW, claims: { sub: 'fay' } }));
  expect(second.statusCode).toBe(403);
  expect(json(second)).toMatchObject({ error: 'concurrency_limit', reason: 'concurrency_limit' });
  expect(second.cookies).toBeUndefined();
  expect(kit.signals.kinds()).toEqual(['concurrency-limited', 'denied']);
});

test('a token presented from a second network is refused and, with revoke-token, never plays again', async () => {
  const token = await mint(idp, { now: NOW, claims: { sub: 'gus' } });
  expect((await play('demo-1', token, { sourceIp: '198.51.100.7' })).statusCode).toBe(200);
  kit.signals.clear();
  const shared = await play('demo-1', token, { sourceIp: '203.0.113.50' });
  expect(shared.statusCode).toBe(403);
  expect(json(shared)).toMatchObject({ reason: 'sharing_suspected' });
  expect(kit.signals.emitted[0]).toEqual({ kind: 'sharing-suspected', action: 'revoke-token' });
  const again = await play('demo-1', token, { sourceIp: '198.51.100.7' });
  expect(again.statusCode).toBe(401);
  expect(json(again)).toMatchObject({ reason: 'revoked' });
  expect(again.cookies).toBeUndefined();
});

test('a bad video id is 400 before the token is even read', async () => {
  const response = await route.handle(playbackEvent('../etc', {}));
  expect(response.statusCode).toBe(400);
  expect(json(response)).toMatchObject({ error: 'invalid_request' });
});
