/**
 * Local DRM end to end over real loopback HTTP: a dev IdP token, the playback API's cookie sets
 * (sent back per Path, as a browser does), the local edge serving the CENC-encrypted demo-3 under
 * `/drm/`, and a licence through the licence proxy from the local ClearKey server, whose key is
 * the one in the local key file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';

let stack: LocalStack;
let logs: LogCapture;
beforeAll(async () => {
  logs = new LogCapture();
  stack = await startLocalStack({ dir: mkdtempSync(join(tmpdir(), 'streamgate-drm-')), port: 0, logger: logs.logger });
}, 60000);
afterAll(async () => {
  await stack.close();
  logs.stop();
});

/** The Cookie header a browser would send for `path`: the cookies whose Path prefixes it, longest first. */
function cookiesFor(setCookies: string[], path: string): string {
  return setCookies
    .map((line) => ({ pair: line.split('; ')[0], path: /Path=([^;]+)/.exec(line)?.[1] ?? '/' }))
    .filter((cookie) => path.startsWith(cookie.path))
    .sort((a, b) => b.path.length - a.path.length)
    .map((cookie) => cookie.pair)
    .join('; ');
}

const licenceRequest = (kid: Buffer) => JSON.stringify({ kids: [kid.toString('base64url')], type: 'temporary' });

test('demo-3: the /drm/ manifest and its segments with the grant, a licence with the right key through the proxy', async () => {
  const token = await stack.idp.issueToken({ sub: 'drm-viewer', videos: ['demo-3'] });
  const granted = await fetch(`${stack.url}api/v1/playback/demo-3`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(granted.status).toBe(200);
  const body = (await granted.json()) as { drm: { manifestUrl: string; licenceUrls: Record<string, string> } };
  expect(new URL(body.drm.manifestUrl).pathname).toBe('/drm/demo-3/index.m3u8');
  const setCookies = granted.headers.getSetCookie();

  const manifest = await fetch(body.drm.manifestUrl, { headers: { cookie: cookiesFor(setCookies, '/drm/demo-3/') } });
  expect(manifest.status).toBe(200);
  const playlist = await manifest.text();
  expect(playlist).toContain('METHOD=SAMPLE-AES-CTR');
  const files = playlist
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .concat(/URI="([^"]+)"/.exec(playlist.split('\n').find((line) => line.startsWith('#EXT-X-MAP')) ?? '')?.[1] ?? []);
  expect(files.length).toBeGreaterThan(1);
  for (const file of files) {
    const path = `/drm/demo-3/${file}`;
    expect(
      (await fetch(`${stack.url}${path.slice(1)}`, { headers: { cookie: cookiesFor(setCookies, path) } })).status,
    ).toBe(200);
    // Without the grant: CloudFront's 403.
    expect((await fetch(`${stack.url}${path.slice(1)}`)).status).toBe(403);
  }

  const [key] = stack.drm.keys.keysOf('demo-3') ?? [];
  const licence = await fetch(body.drm.licenceUrls.clearkey, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: licenceRequest(key.kid),
  });
  expect(licence.status).toBe(200);
  expect(await licence.json()).toEqual({
    keys: [{ kty: 'oct', kid: key.kid.toString('base64url'), k: key.key.toString('base64url') }],
    type: 'temporary',
  });
});

test('a token for demo-1 only gets no /drm/ cookie for demo-3 and no licence', async () => {
  const token = await stack.idp.issueToken({ sub: 'clear-viewer', videos: ['demo-1'] });
  const play = await fetch(`${stack.url}api/v1/playback/demo-1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(play.headers.getSetCookie().every((line) => line.includes('Path=/media/demo-1/'))).toBe(true);
  const [key] = stack.drm.keys.keysOf('demo-3') ?? [];
  const licence = await fetch(`${stack.url}api/v1/licence/demo-3/clearkey`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: licenceRequest(key.kid),
  });
  expect(licence.status).toBe(403);
  expect(await licence.text()).not.toContain(key.key.toString('base64url'));
});

test('the licence server itself refuses a caller without the proxy credential', async () => {
  const [key] = stack.drm.keys.keysOf('demo-3') ?? [];
  const direct = await fetch(`${stack.licenceServerUrl}/clearkey/demo-3`, {
    method: 'POST',
    body: licenceRequest(key.kid),
  });
  expect(direct.status).toBe(401);
  expect(await direct.text()).not.toContain(key.key.toString('base64url'));
});
