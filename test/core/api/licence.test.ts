/**
 * lambda/core/api/licence.ts: `POST /api/v1/licence/{videoId}/{drmSystem}`, on real tokens, the
 * real access-state store and a real licence server on loopback. What the route itself decides:
 * the order of its checks (size, token, entitlement, a session playback admitted), that nothing
 * reaches the licence server before they all pass, and how each outcome is signalled (a licence
 * server's failure never counted as a viewer's denial). The proxy's own rules are
 * test/core/licence-proxy.test.ts's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LicenceRoute } from '../../../lambda/core/api/licence';
import { PlaybackRoute } from '../../../lambda/core/api/playback';
import type { HttpResponse } from '../../../lambda/core/http';
import { LicenceProxy } from '../../../lambda/core/licence-proxy';
import { HttpLicenceUpstream } from '../../../lambda/runtime/http-licence-upstream';
import { bearer, licenceEvent, playbackEvent } from '../../support/harness';
import { startRouteKit, type RouteKit } from '../../support/route-kit';
import { idpKey, ISSUER, mint } from '../../support/tokens';

const idp = idpKey('ES256');
const NOW = Math.floor(Date.now() / 1000);
const LICENCE = Buffer.from('widevine-licence-bytes');

let kit: RouteKit;
let server: Server;
let licence: LicenceRoute;
let playback: PlaybackRoute;
let upstreamFails = false;
const received: Buffer[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(Buffer.concat(chunks));
      if (upstreamFails) res.writeHead(500, { 'content-type': 'text/plain' }).end('licence server down');
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(LICENCE);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/widevine/{videoId}`;
  kit = await startRouteKit({
    idpKeys: [idp],
    now: () => NOW,
    extraEnv: {
      MAX_CONCURRENT_STREAMS: '2',
      SHARING_MAX_NETWORKS: '0',
      DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
      LICENCE_UPSTREAMS: JSON.stringify({ widevine: { url } }),
    },
  });
  const proxy = new LicenceProxy(kit.drm, { widevine: new HttpLicenceUpstream({ url, maxAnswerBytes: 65536 }) });
  licence = new LicenceRoute({ ...kit.deps, licences: proxy });
  playback = new PlaybackRoute({ ...kit.deps, signer: await kit.signer(), drm: kit.drm });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  await kit.close();
});
beforeEach(() => {
  kit.signals.clear();
  received.length = 0;
  upstreamFails = false;
});

const ask = (token: string | undefined, body: string | Buffer = 'challenge', videoId = 'demo-3') =>
  licence.handle(
    licenceEvent(videoId, 'widevine', {
      authorization: token === undefined ? undefined : bearer(token),
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(body).toString('utf8'),
    }),
  );
const json = (response: HttpResponse) => JSON.parse(response.body ?? '') as Record<string, unknown>;
/** A token whose session playback admitted. */
async function playing(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  const token = await mint(idp, { now: NOW, claims: { sub, ...claims } });
  expect((await playback.handle(playbackEvent('demo-3', { authorization: bearer(token) }))).statusCode).toBe(200);
  kit.signals.clear();
  return token;
}

test("a session playback admitted gets the licence server's answer, and the call is signalled as issued", async () => {
  const token = await playing('ada');
  const response = await ask(token, 'the-challenge');
  expect(response.statusCode).toBe(200);
  expect(Buffer.from(response.body ?? '', response.isBase64Encoded ? 'base64' : 'utf8')).toEqual(LICENCE);
  expect(received.map(String)).toEqual(['the-challenge']);
  expect(kit.signals.emitted).toEqual([{ kind: 'licence-issued', upstreamMs: expect.any(Number) }]);
});

test('a token whose session playback never admitted is 403 session_not_playing; the licence server is never asked', async () => {
  const response = await ask(await mint(idp, { now: NOW, claims: { sub: 'bo' } }));
  expect(response.statusCode).toBe(403);
  expect(json(response)).toMatchObject({ reason: 'session_not_playing' });
  expect(received).toEqual([]);
  expect(kit.signals.emitted).toEqual([
    { kind: 'licence-denied', reason: 'session_not_playing', status: 403, upstreamMs: undefined },
  ]);
});

test('entitlement is checked before the session: a token not entitled to the video is told so', async () => {
  const response = await ask(await mint(idp, { now: NOW, claims: { sub: 'cy', videos: ['demo-1'] } }));
  expect(response.statusCode).toBe(403);
  expect(json(response)).toMatchObject({ reason: 'not_entitled' });
  expect(received).toEqual([]);
});

test('an oversized request is 413 before any token is read', async () => {
  const response = await ask(undefined, Buffer.alloc(kit.drm.maxBodyBytes + 1, 'a'));
  expect(response.statusCode).toBe(413);
  expect(received).toEqual([]);
});

test('a revoked session gets no more licences: 401 revoked, signalled as a viewer denial', async () => {
  const token = await playing('dee');
  await kit.deps.access.revokeUser({ iss: ISSUER, sub: 'dee' }, NOW + 3600, NOW, NOW + 86_400);
  const response = await ask(token);
  expect(response.statusCode).toBe(401);
  expect(json(response)).toMatchObject({ reason: 'revoked' });
  expect(received).toEqual([]);
  expect(kit.signals.kinds()).toEqual(['revoked-token-reuse', 'licence-denied']);
});

test("the licence server's failure is a 5xx signalled as an upstream failure, never as the viewer's denial", async () => {
  const token = await playing('eli');
  upstreamFails = true;
  const response = await ask(token);
  expect(response.statusCode).toBeGreaterThanOrEqual(500);
  expect(response.body).not.toContain('licence server down');
  expect(kit.signals.emitted).toEqual([
    expect.objectContaining({ kind: 'licence-upstream-failed', status: response.statusCode }),
  ]);
});
