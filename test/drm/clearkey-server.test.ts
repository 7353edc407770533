/**
 * The local ClearKey licence server over real loopback HTTP: W3C EME ClearKey JSON in and out,
 * keys only of the video named, every malformed request refused with its own error.
 */
import { createDecipheriv, createCipheriv, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { randomContentKey } from '../../local/drm/drm-keys';
import {
  ClearKeyLicenceServer,
  MAX_LICENCE_REQUEST_BYTES,
  type RunningClearKeyServer,
  startClearKeyServer,
} from '../../local/drm/clearkey-server';
import { malformedClearKeyRequests } from '../support/clearkey-requests';

const DEMO_3 = [randomContentKey()];
const OTHER = [randomContentKey(), randomContentKey()];
const licences = new ClearKeyLicenceServer((videoId) => ({ 'demo-3': DEMO_3, 'demo-9': OTHER })[videoId]);
const CREDENTIAL = { header: 'x-upstream-key', value: randomBytes(24).toString('base64url') };
let open: RunningClearKeyServer;
let guarded: RunningClearKeyServer;

beforeAll(async () => {
  open = await startClearKeyServer(licences);
  guarded = await startClearKeyServer(licences, { credential: CREDENTIAL });
});
afterAll(async () => {
  await open.close();
  await guarded.close();
});

const b64url = (bytes: Buffer) => bytes.toString('base64url');

async function post(
  videoId: string,
  body: string | Buffer,
  options: { server?: RunningClearKeyServer; headers?: Record<string, string>; method?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${(options.server ?? open).url}/clearkey/${videoId}`, {
    method: options.method ?? 'POST',
    headers: options.headers,
    body: options.method === 'GET' ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
  });
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const requestFor = (...kids: Buffer[]) => JSON.stringify({ kids: kids.map(b64url), type: 'temporary' });

describe('ClearKey licence server', () => {
  it('answers a W3C ClearKey request with the video’s key (kty oct, base64url k and kid, temporary)', async () => {
    const { status, json } = await post('demo-3', requestFor(DEMO_3[0].kid));
    expect(status).toBe(200);
    expect(json).toEqual({
      keys: [{ kty: 'oct', k: b64url(DEMO_3[0].key), kid: b64url(DEMO_3[0].kid) }],
      type: 'temporary',
    });
    // The key it hands out decrypts what the content key encrypted.
    const k = Buffer.from((json.keys as { k: string }[])[0].k, 'base64url');
    const iv = randomBytes(16);
    const secret = createCipheriv('aes-128-ctr', DEMO_3[0].key, iv).update('frame data');
    expect(createDecipheriv('aes-128-ctr', k, iv).update(secret).toString()).toBe('frame data');
  });

  it('answers several of the same video’s key ids, once each, "type" optional', async () => {
    const { status, json } = await post(
      'demo-9',
      JSON.stringify({ kids: [b64url(OTHER[1].kid), b64url(OTHER[0].kid), b64url(OTHER[1].kid)] }),
    );
    expect(status).toBe(200);
    expect((json.keys as { kid: string }[]).map((key) => key.kid)).toEqual([
      b64url(OTHER[1].kid),
      b64url(OTHER[0].kid),
    ]);
  });

  it('refuses, 403 key-id-not-for-video, a key id of another video, even beside one of its own', async () => {
    for (const body of [
      requestFor(OTHER[0].kid),
      requestFor(DEMO_3[0].kid, OTHER[1].kid),
      requestFor(randomBytes(16)),
    ]) {
      const { status, json } = await post('demo-3', body);
      expect(status).toBe(403);
      expect(json.error).toBe('key-id-not-for-video');
      expect(JSON.stringify(json)).not.toContain(b64url(DEMO_3[0].key));
      expect(JSON.stringify(json)).not.toContain(b64url(OTHER[0].key));
      expect(JSON.stringify(json)).not.toContain(b64url(OTHER[1].key));
    }
  });

  it('refuses, 404 unknown-video, a video with no keys', async () => {
    const { status, json } = await post('demo-1', requestFor(DEMO_3[0].kid));
    expect(status).toBe(404);
    expect(json.error).toBe('unknown-video');
  });

  it.each([
    ['dot', 'demo%2E3'],
    ['encoded slash', 'demo-3%2F..'],
    ['space', 'demo%203'],
    ['too long', 'a'.repeat(129)],
  ])('refuses, 400 invalid-video-id, a video id with a %s', async (_name, videoId) => {
    const { status, json } = await post(videoId, requestFor(DEMO_3[0].kid));
    expect(status).toBe(400);
    expect(json.error).toBe('invalid-video-id');
  });

  const kid = b64url(DEMO_3[0].kid);
  it.each(malformedClearKeyRequests(kid))('refuses, 400 malformed-request, %s', async (_name, body) => {
    const { status, json } = await post('demo-3', body);
    expect(status).toBe(400);
    expect(json.error).toBe('malformed-request');
    expect(JSON.stringify(json)).not.toContain(b64url(DEMO_3[0].key));
  });

  it(`refuses, 413, a body over ${MAX_LICENCE_REQUEST_BYTES} bytes, declared or streamed`, async () => {
    const big = JSON.stringify({ kids: [kid], type: 'temporary', pad: 'x'.repeat(MAX_LICENCE_REQUEST_BYTES) });
    const declared = await post('demo-3', big);
    expect(declared.status).toBe(413);
    expect(declared.json.error).toBe('request-too-large');
    // Chunked, with no Content-Length: cut off once the limit is passed.
    const streamed = await new Promise<number>((done, fail) => {
      const req = request(`${open.url}/clearkey/demo-3`, { method: 'POST' }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      for (let i = 0; i < 10; i += 1) req.write('x'.repeat(1000));
      req.end();
    });
    expect(streamed).toBe(413);
  });

  it('answers 404 not-found outside /clearkey/, and 400 for a raw ".." video id', async () => {
    const outside = await fetch(`${open.url}/licence`, { method: 'POST', body: '{}' });
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { error: string }).error).toBe('not-found');
    const raw = await new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(`${open.url}/`, { method: 'POST', path: '/clearkey/..' }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', fail);
      req.end(requestFor(DEMO_3[0].kid));
    });
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body).error).toBe('invalid-video-id');
  });

  it('refuses, 405, anything but POST', async () => {
    const { status, json } = await post('demo-3', '', { method: 'GET' });
    expect(status).toBe(405);
    expect(json.error).toBe('method-not-allowed');
  });

  it('with a credential configured, refuses 401 a missing or wrong one and answers the right one', async () => {
    const body = requestFor(DEMO_3[0].kid);
    expect((await post('demo-3', body, { server: guarded })).status).toBe(401);
    const wrong = await post('demo-3', body, {
      server: guarded,
      headers: { [CREDENTIAL.header]: `${CREDENTIAL.value}x` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('unauthorized');
    const right = await post('demo-3', body, { server: guarded, headers: { [CREDENTIAL.header]: CREDENTIAL.value } });
    expect(right.status).toBe(200);
  });

  it('gives the same answers in process as over HTTP', () => {
    const answer = licences.answer('demo-3', requestFor(DEMO_3[0].kid));
    expect(answer.ok && answer.licence.keys[0].k).toBe(b64url(DEMO_3[0].key));
    const refused = licences.answer('demo-3', new TextEncoder().encode(requestFor(OTHER[0].kid)));
    expect(refused).toEqual(expect.objectContaining({ ok: false, status: 403, refusal: 'key-id-not-for-video' }));
  });
});
