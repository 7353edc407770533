/**
 * The media signer (lambda/core/media-signer.ts) on its own: the policy it decides (one folder,
 * expiry capped by the token, optional IPv4 binding, the same grant for the same session and
 * interval), checked by decoding what it hands out and verifying each signature with node:crypto
 * and the public key, for each key type CloudFront accepts. Through the API:
 * test/core/playback-grants.test.ts and test/core/drm-grants.test.ts.
 */
import { createVerify } from 'node:crypto';
import { CLOUDFRONT_KEY_ALGORITHMS } from '../../lambda/core/cloudfront-key-types';
import { InvalidRequest } from '../../lambda/core/errors';
import { MediaSigner, type SignRequest } from '../../lambda/core/media-signer';
import { MEDIA_BASE, newSigningKey, signingConfig } from '../support/media-signers';

const NOW = 1_800_000_000;

const request = (overrides: Partial<SignRequest> = {}): SignRequest => ({
  videoId: 'demo-1',
  nowSeconds: NOW,
  notAfterSeconds: NOW + 3600,
  viewerIp: undefined,
  policySeed: 'session-1',
  ...overrides,
});

/** CloudFront's URL-safe base64 (+ → -, = → _, / → ~) back to bytes. */
const cloudFrontBase64 = (value: string): Buffer =>
  Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

interface Policy {
  Statement: { Resource: string; Condition: Record<string, Record<string, string | number>> }[];
}

/** A cookie set's values and attributes, from its `Set-Cookie` strings. */
function cookieSet(cookies: string[]): { values: Map<string, string>; attributes: Set<string> } {
  const values = new Map<string, string>();
  const attributes = new Set<string>();
  for (const cookie of cookies) {
    const [pair, ...rest] = cookie.split('; ');
    const at = pair.indexOf('=');
    values.set(pair.slice(0, at), pair.slice(at + 1));
    for (const attribute of rest) attributes.add(attribute);
  }
  return { values, attributes };
}

describe.each(CLOUDFRONT_KEY_ALGORITHMS)('signing with %s', (algorithm) => {
  const key = newSigningKey(algorithm);

  test('cookies: one folder of one video, until the grant expires, signed by the key, and no wider', () => {
    const grant = new MediaSigner(signingConfig(), key).signCookies(request());
    const { values, attributes } = cookieSet(grant.cookies);
    expect([...attributes]).toEqual(['Path=/media/demo-1/', 'Secure', 'HttpOnly', 'SameSite=Strict']);
    expect(values.get('CloudFront-Key-Pair-Id')).toBe('KTEST');
    const policyBytes = cloudFrontBase64(values.get('CloudFront-Policy') ?? '');
    const policy = JSON.parse(policyBytes.toString('utf8')) as Policy;
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0].Resource).toBe(`${MEDIA_BASE}/media/demo-1/*`);
    expect(policy.Statement[0].Condition.DateLessThan).toEqual({ 'AWS:EpochTime': NOW + 300 });
    expect(Number(policy.Statement[0].Condition.DateGreaterThan['AWS:EpochTime'])).toBeLessThanOrEqual(NOW - 3600);
    const signature = cloudFrontBase64(values.get('CloudFront-Signature') ?? '');
    expect(createVerify('sha256').update(policyBytes).verify(key.publicKey, signature)).toBe(true);
    const wider = Buffer.from(policyBytes.toString('utf8').replace('/media/demo-1/*', '/media/*'));
    expect(createVerify('sha256').update(wider).verify(key.publicKey, signature)).toBe(false);
    expect(grant.manifestUrl).toBe(`${MEDIA_BASE}/media/demo-1/index.m3u8`);
  });

  test('a signed URL carries the same kind of policy, and its query is what the player appends', () => {
    const grant = new MediaSigner(signingConfig({ mediaPathPrefix: '/hls/' }), key).signUrl(request());
    const url = new URL(grant.manifestUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${MEDIA_BASE}/hls/demo-1/index.m3u8`);
    expect(grant.signedQuery).toBe(url.search.slice(1));
    expect(grant.cookies).toEqual([]);
    const policyBytes = cloudFrontBase64(url.searchParams.get('Policy') ?? '');
    expect((JSON.parse(policyBytes.toString('utf8')) as Policy).Statement[0].Resource).toBe(
      `${MEDIA_BASE}/hls/demo-1/*`,
    );
    expect(url.searchParams.get('Key-Pair-Id')).toBe('KTEST');
    const signature = cloudFrontBase64(url.searchParams.get('Signature') ?? '');
    expect(createVerify('sha256').update(policyBytes).verify(key.publicKey, signature)).toBe(true);
  });
});

test('a grant never outlives the token that asked for it, and is refreshed at 80 % of its life', () => {
  const signer = new MediaSigner(signingConfig(), newSigningKey('ECDSA_P256'));
  expect(signer.signCookies(request())).toMatchObject({ expiresAt: NOW + 300, refreshAfter: NOW + 240 });
  expect(signer.signCookies(request({ notAfterSeconds: NOW + 100 }))).toMatchObject({
    expiresAt: NOW + 100,
    refreshAfter: NOW + 80,
  });
});

test('the same session in the same interval gets the same grant; another session or interval, another one', () => {
  const signer = new MediaSigner(signingConfig(), newSigningKey('ECDSA_P256'));
  const first = signer.signCookies(request());
  expect(signer.signCookies(request()).grantIds).toEqual(first.grantIds);
  expect(signer.signCookies(request({ policySeed: 'session-2' })).grantIds).not.toEqual(first.grantIds);
  expect(signer.signCookies(request({ nowSeconds: NOW + 1 })).grantIds).not.toEqual(first.grantIds);
});

test('bound to the viewer: an IPv4 viewer gets a /32 condition; an IPv6 or unknown one is refused, not left unbound', () => {
  const signer = new MediaSigner(signingConfig({ bindViewerIp: true }), newSigningKey('ECDSA_P256'));
  const { values } = cookieSet(signer.signCookies(request({ viewerIp: '198.51.100.7' })).cookies);
  const policy = JSON.parse(cloudFrontBase64(values.get('CloudFront-Policy') ?? '').toString('utf8')) as Policy;
  expect(policy.Statement[0].Condition.IpAddress).toEqual({ 'AWS:SourceIp': '198.51.100.7/32' });
  for (const viewerIp of ['2001:db8::1', undefined]) {
    expect(() => signer.signCookies(request({ viewerIp }))).toThrow(InvalidRequest);
    expect(() => signer.signUrl(request({ viewerIp }))).toThrow(/binds media access to an IPv4 address/);
  }
});

test('a cookie domain, when configured, is on every cookie', () => {
  const grant = new MediaSigner(signingConfig({ cookieDomain: 'example.com' }), newSigningKey('RSA_2048')).signCookies(
    request(),
  );
  expect(grant.cookies.length).toBeGreaterThan(0);
  expect(grant.cookies.every((cookie) => cookie.endsWith('; Domain=example.com'))).toBe(true);
});

test('with the active slot, each grant is signed by the key active at that moment', () => {
  let active = newSigningKey('RSA_2048', 'KOLD');
  const signer = new MediaSigner(signingConfig(), { current: () => active });
  expect(cookieSet(signer.signCookies(request()).cookies).values.get('CloudFront-Key-Pair-Id')).toBe('KOLD');
  active = newSigningKey('ECDSA_P256', 'KNEW');
  const { values } = cookieSet(signer.signCookies(request()).cookies);
  expect(values.get('CloudFront-Key-Pair-Id')).toBe('KNEW');
  const signature = cloudFrontBase64(values.get('CloudFront-Signature') ?? '');
  const policyBytes = cloudFrontBase64(values.get('CloudFront-Policy') ?? '');
  expect(createVerify('sha256').update(policyBytes).verify(active.publicKey, signature)).toBe(true);
});
