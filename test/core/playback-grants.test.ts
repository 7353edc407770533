/**
 * What a successful playback call grants, checked independently of the signer: cookies and
 * signed URLs are decoded and their signatures verified with node:crypto and the public key.
 */
import { createVerify, type KeyObject } from 'node:crypto';
import type { HttpResponse } from '../../lambda/core/http';
import {
  bearer,
  MEDIA_BASE_URL,
  KEY_PAIR_ID,
  playbackEvent,
  startHarness,
  type Harness,
  type SigningKeyKind,
} from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');

interface Policy {
  Statement: {
    Resource: string;
    Condition: { DateLessThan: { 'AWS:EpochTime': number }; IpAddress?: { 'AWS:SourceIp': string } };
  }[];
}

/** CloudFront's URL-safe base64 (`+`→`-`, `=`→`_`, `/`→`~`), undone. */
const cloudFrontBase64 = (value: string): Buffer =>
  Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

function parseSetCookie(header: string): { name: string; value: string; attributes: string[] } {
  const [pair, ...attributes] = header.split('; ');
  const index = pair.indexOf('=');
  return { name: pair.slice(0, index), value: pair.slice(index + 1), attributes };
}

function cookiesOf(response: HttpResponse): Map<string, { value: string; attributes: string[] }> {
  return new Map(
    (response.cookies ?? []).map((header) => {
      const { name, ...rest } = parseSetCookie(header);
      return [name, rest];
    }),
  );
}

function verifySignature(
  policyBytes: Buffer,
  signature: string,
  publicKey: KeyObject,
  hash: 'sha1' | 'sha256',
): boolean {
  return createVerify(hash).update(policyBytes).verify(publicKey, cloudFrontBase64(signature));
}

describe.each<[SigningKeyKind, 'SHA1' | 'SHA256']>([
  ['rsa-2048', 'SHA1'],
  ['rsa-2048', 'SHA256'],
  ['ecdsa-p256', 'SHA1'],
  ['ecdsa-p256', 'SHA256'],
])('with a %s CloudFront key and %s', (kind, hash) => {
  let harness: Harness;
  const now = Math.floor(Date.now() / 1000);
  beforeAll(async () => {
    harness = await startHarness({
      idpKeys: [idp],
      signingKey: kind,
      extraEnv: { SIGNING_HASH_ALGORITHM: hash },
      now: () => now,
    });
  });
  afterAll(() => harness.close());

  test('signed cookies carry a custom policy for the video folder that verifies with the public key', async () => {
    const response = await harness.api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(idp, { now })) }),
    );
    expect(response.statusCode).toBe(200);
    const cookies = cookiesOf(response);
    const expectedNames = ['CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id'];
    if (hash === 'SHA256') expectedNames.push('CloudFront-Hash-Algorithm');
    expect([...cookies.keys()].sort()).toEqual(expectedNames.sort());
    for (const { attributes } of cookies.values()) {
      expect(attributes).toEqual(['Path=/media/demo-1/', 'Secure', 'HttpOnly', 'SameSite=Strict']);
    }
    expect(cookies.get('CloudFront-Key-Pair-Id')?.value).toBe(KEY_PAIR_ID);
    if (hash === 'SHA256') expect(cookies.get('CloudFront-Hash-Algorithm')?.value).toBe('SHA256');

    const policyBytes = cloudFrontBase64(cookies.get('CloudFront-Policy')?.value ?? '');
    const policy = JSON.parse(policyBytes.toString('utf8')) as Policy;
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0].Resource).toBe(`${MEDIA_BASE_URL}/media/demo-1/*`);
    expect(policy.Statement[0].Condition.DateLessThan['AWS:EpochTime']).toBe(now + 300);
    expect(policy.Statement[0].Condition.IpAddress).toBeUndefined();
    expect(policyBytes.toString('utf8')).not.toMatch(/\s/);

    const signature = cookies.get('CloudFront-Signature')?.value ?? '';
    const digest = hash === 'SHA256' ? 'sha256' : 'sha1';
    expect(verifySignature(policyBytes, signature, harness.signingKey.publicKey, digest)).toBe(true);
    // The signature is over these exact bytes: another video's policy does not verify.
    const otherVideo = Buffer.from(policyBytes.toString('utf8').replace('/demo-1/', '/demo-2/'));
    expect(verifySignature(otherVideo, signature, harness.signingKey.publicKey, digest)).toBe(false);

    const body = JSON.parse(response.body ?? '{}') as Record<string, string>;
    expect(body).toEqual({
      videoId: 'demo-1',
      manifestUrl: `${MEDIA_BASE_URL}/media/demo-1/index.m3u8`,
      expiresAt: new Date((now + 300) * 1000).toISOString(),
      refreshAfter: new Date((now + 240) * 1000).toISOString(),
    });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  test('delivery=url answers a signed manifest URL and the query to append, and sets no cookie', async () => {
    const response = await harness.api.playback(
      playbackEvent('demo-2', { authorization: bearer(await mint(idp, { now })), query: { delivery: 'url' } }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.cookies ?? []).toEqual([]);
    const body = JSON.parse(response.body ?? '{}') as { manifestUrl: string; signedQuery: string };
    const url = new URL(body.manifestUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${MEDIA_BASE_URL}/media/demo-2/index.m3u8`);
    expect(url.search.slice(1)).toBe(body.signedQuery);
    const params = new URLSearchParams(body.signedQuery);
    expect(params.get('Key-Pair-Id')).toBe(KEY_PAIR_ID);
    expect(params.get('Hash-Algorithm')).toBe(hash === 'SHA256' ? 'SHA256' : null);
    // Read the raw values: URLSearchParams would not alter CloudFront's alphabet, but be exact anyway.
    const raw = Object.fromEntries(body.signedQuery.split('&').map((pair) => pair.split('=') as [string, string]));
    const policyBytes = cloudFrontBase64(raw.Policy);
    const policy = JSON.parse(policyBytes.toString('utf8')) as Policy;
    expect(policy.Statement[0].Resource).toBe(`${MEDIA_BASE_URL}/media/demo-2/*`);
    expect(
      verifySignature(policyBytes, raw.Signature, harness.signingKey.publicKey, hash === 'SHA256' ? 'sha256' : 'sha1'),
    ).toBe(true);
  });
});

describe('grant lifetime and binding', () => {
  const now = Math.floor(Date.now() / 1000);
  let bound: Harness;
  beforeAll(async () => {
    bound = await startHarness({
      idpKeys: [idp],
      extraEnv: { SIGN_BIND_VIEWER_IP: 'true', SIGNED_TTL_SECONDS: '120' },
      now: () => now,
    });
  });
  afterAll(() => bound.close());

  const policyOf = (response: HttpResponse): Policy =>
    JSON.parse(cloudFrontBase64(cookiesOf(response).get('CloudFront-Policy')?.value ?? '').toString('utf8')) as Policy;

  test('binds the policy to the viewer address CloudFront reports, as a /32', async () => {
    const response = await bound.api.playback(
      playbackEvent('demo-1', {
        authorization: bearer(await mint(idp, { now })),
        headers: { 'cloudfront-viewer-address': '203.0.113.9:51234' },
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(policyOf(response).Statement[0].Condition.IpAddress).toEqual({ 'AWS:SourceIp': '203.0.113.9/32' });
  });

  test('falls back to the connection source IP when CloudFront reports none', async () => {
    const response = await bound.api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(idp, { now })), sourceIp: '192.0.2.44' }),
    );
    expect(policyOf(response).Statement[0].Condition.IpAddress).toEqual({ 'AWS:SourceIp': '192.0.2.44/32' });
  });

  test('an IPv6 viewer with IP binding on gets a clear 400, not a cookie that can never verify', async () => {
    const response = await bound.api.playback(
      playbackEvent('demo-1', {
        authorization: bearer(await mint(idp, { now })),
        headers: { 'cloudfront-viewer-address': '2001:db8::1:443' },
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.cookies ?? []).toEqual([]);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/IPv4/),
    });
  });

  test('uses the configured TTL and refreshes at 80% of it', async () => {
    const response = await bound.api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(idp, { now })), sourceIp: '192.0.2.1' }),
    );
    expect(policyOf(response).Statement[0].Condition.DateLessThan['AWS:EpochTime']).toBe(now + 120);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({
      refreshAfter: new Date((now + 96) * 1000).toISOString(),
    });
  });

  test('never grants access beyond the token expiry', async () => {
    const token = await mint(idp, { now: now - 880, lifetime: 900 }); // expires in 20 s
    const response = await bound.api.playback(
      playbackEvent('demo-1', { authorization: bearer(token), sourceIp: '192.0.2.1' }),
    );
    expect(response.statusCode).toBe(200);
    expect(policyOf(response).Statement[0].Condition.DateLessThan['AWS:EpochTime']).toBe(now + 20);
  });

  test('a token with videos "*" may play any video', async () => {
    const response = await bound.api.playback(
      playbackEvent('any-video_42', {
        authorization: bearer(await mint(idp, { now, claims: { videos: '*' } })),
        sourceIp: '192.0.2.1',
      }),
    );
    expect(response.statusCode).toBe(200);
  });

  test('a scope claim given as an array is understood', async () => {
    const response = await bound.api.playback(
      playbackEvent('demo-1', {
        authorization: bearer(await mint(idp, { now, claims: { scope: ['openid', 'stream:play'] } })),
        sourceIp: '192.0.2.1',
      }),
    );
    expect(response.statusCode).toBe(200);
  });
});
