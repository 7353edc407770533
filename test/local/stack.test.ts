/**
 * Local mode end to end over real loopback HTTP: the dev IdP's token, the real API behind the
 * API Gateway adapter, and the local edge enforcing CloudFront's rules on the sample content.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogCapture } from '../support/harness';
import { cookieHeaderOf, play as playOn } from '../support/local-grants';
import { startLocalStack, type LocalStack } from '../../local/stack';

let stack: LocalStack;
let logs: LogCapture;
beforeAll(async () => {
  logs = new LogCapture();
  // Several tests play as alice at once; the stream limit itself is tested in test/core.
  stack = await startLocalStack({
    dir: mkdtempSync(join(tmpdir(), 'streamgate-local-')),
    port: 0,
    apiEnv: { MAX_CONCURRENT_STREAMS: '20', MAX_SESSIONS_PER_HOUR: '200', MAX_GRANTS_PER_BUCKET: '500' },
    logger: logs.logger,
    metrics: logs.metrics,
  });
});
afterAll(async () => {
  await stack.close();
  logs.stop();
});

const token = (sub: string, videos: string[]) => stack.idp.issueToken({ sub, videos });
const cookieHeader = cookieHeaderOf;
const play = (bearer: string, videoId: string, query = ''): Promise<Response> => playOn(stack, bearer, videoId, query);

async function segmentNames(videoId: string, cookie: string): Promise<string[]> {
  const manifest = await (await fetch(`${stack.url}media/${videoId}/index.m3u8`, { headers: { cookie } })).text();
  return manifest.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

test('with cookies from the API, the manifest, every segment and the AES key are served', async () => {
  const granted = await play(await token('alice', ['demo-1', 'demo-2']), 'demo-2');
  expect(granted.status).toBe(200);
  const cookie = cookieHeader(granted);
  const segments = await segmentNames('demo-2', cookie);
  expect(segments.length).toBeGreaterThan(0);
  for (const name of [...segments, 'key.bin']) {
    const media = await fetch(`${stack.url}media/demo-2/${name}`, { headers: { cookie } });
    expect(media.status).toBe(200);
    expect((await media.arrayBuffer()).byteLength).toBeGreaterThan(0);
  }
});

test("without cookies the manifest and a segment are 403 with CloudFront's XML body", async () => {
  for (const path of ['media/demo-1/index.m3u8', 'media/demo-1/segment_000.m2ts']) {
    const denied = await fetch(`${stack.url}${path}`);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toBe('text/xml');
    expect(await denied.text()).toContain('<Code>MissingKey</Code>');
  }
});

test('cookies for one video do not open another video or its key', async () => {
  const cookie = cookieHeader(await play(await token('alice', ['demo-1', 'demo-2']), 'demo-1'));
  for (const path of ['media/demo-2/index.m3u8', 'media/demo-2/key.bin']) {
    const denied = await fetch(`${stack.url}${path}`, { headers: { cookie } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('<Code>AccessDenied</Code>');
  }
});

test('signed-URL delivery: the manifest URL works as is, segments with signedQuery appended', async () => {
  const granted = await play(await token('bob', ['demo-1']), 'demo-1', '?delivery=url');
  expect(granted.status).toBe(200);
  expect(granted.headers.getSetCookie()).toEqual([]);
  const body = (await granted.json()) as { manifestUrl: string; signedQuery: string };
  expect((await fetch(body.manifestUrl)).status).toBe(200);
  expect((await fetch(`${stack.url}media/demo-1/segment_000.m2ts?${body.signedQuery}`)).status).toBe(200);
  expect((await fetch(`${stack.url}media/demo-1/segment_000.m2ts`)).status).toBe(403);
});

test('logout revokes the token: the next refresh is 401 invalid_token', async () => {
  const bearer = await token('carol', ['demo-1']);
  expect((await play(bearer, 'demo-1')).status).toBe(200);
  const logout = await fetch(`${stack.url}api/v1/session`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${bearer}` },
  });
  expect(logout.status).toBe(204);
  const refused = await play(bearer, 'demo-1');
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
});

test('path traversal under /media never leaves the content folder', async () => {
  const cookie = cookieHeader(await play(await token('alice', ['demo-1']), 'demo-1'));
  for (const path of ['media/demo-1/..%2F..%2F..%2Fpackage.json', 'media/demo-1/%2e%2e/%2e%2e/%2e%2e/package.json']) {
    const response = await fetch(`${stack.url}${path}`, { headers: { cookie } });
    expect([403, 404]).toContain(response.status);
    expect(await response.text()).not.toContain('"name": "streamgate"');
  }
});

test('unknown API routes answer 404 like API Gateway; the player page carries its CSP', async () => {
  expect((await fetch(`${stack.url}api/v1/nothing`, { method: 'POST' })).status).toBe(404);
  const page = await fetch(stack.url);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect((await fetch(`${stack.url}vendor/hls.min.js`)).status).toBe(200);
});

test('the local API prints the same EMF metrics as the Lambdas, and /local/monitor.json counts them', async () => {
  await play(await token('dave', ['demo-1']), 'demo-1');
  await play(await token('dave', ['demo-1']), 'demo-2');
  const emf = logs.records().filter((record) => typeof record._aws === 'object');
  expect(emf.some((record) => record.PlaybackAuthorized === 1)).toBe(true);
  expect(emf.some((record) => record.Reason === 'not_entitled' && record.PlaybackDenied === 1)).toBe(true);
  const snapshot = (await (await fetch(`${stack.url}local/monitor.json`)).json()) as {
    authorized: number;
    denied: Record<string, number>;
  };
  expect(snapshot.authorized).toBeGreaterThanOrEqual(1);
  expect(snapshot.denied.not_entitled).toBeGreaterThanOrEqual(1);
  expect((await fetch(`${stack.url}local/monitor`)).status).toBe(200);
});
