/**
 * Grant ids (lambda/core/edge-deny-list.ts), the key of the edge's deny-list: one per byte string
 * of a signed policy, whatever base64 spelling carries it, the same in the deployed function, and
 * what the signer records for each grant it mints.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { canonicalBase64, grantId, legacyGrantId } from '../../lambda/core/edge-deny-list';
import { MediaSigner } from '../../lambda/core/media-signer';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';
import { newSigningKey, signingConfig } from '../support/media-signers';

/** CloudFront's URL-safe base64: + → -, = → _, / → ~. */
const cloudFront = (bytes: Buffer) =>
  bytes.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');

test('every spelling of the same bytes has one id; different bytes, different ids', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      (a, b) => {
        const bytes = Buffer.from(a);
        const spellings = [
          cloudFront(bytes),
          bytes.toString('base64'),
          bytes.toString('base64').replace(/=+$/, ''),
          encodeURIComponent(bytes.toString('base64')),
        ];
        const ids = new Set(spellings.map((spelling) => grantId(decodeURIComponent(spelling))));
        expect(ids.size).toBe(1);
        if (!Buffer.from(b).equals(bytes)) expect(grantId(cloudFront(Buffer.from(b)))).not.toBe([...ids][0]);
      },
    ),
  );
});

test('the canonical spelling decodes to the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (a) => {
      expect(Buffer.from(canonicalBase64(cloudFront(Buffer.from(a))), 'base64').equals(Buffer.from(a))).toBe(true);
    }),
  );
});

/** The function's verdict on a manifest request carrying these cookies and query fields. */
async function functionStatus(
  ids: ReadonlyMap<string, string>,
  cookies: Record<string, string>,
  querystring: Record<string, string> = {},
): Promise<number> {
  const fn = ViewerRequestFunction.fromFile(undefined, { keyValueStore: { get: (key: string) => ids.get(key) } });
  const field = (record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, { value }]));
  const outcome = await fn.run({
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '127.0.0.1' },
    request: {
      method: 'GET',
      uri: '/media/demo-1/index.m3u8',
      querystring: field(querystring),
      headers: {},
      cookies: field(cookies),
    },
  });
  return outcome.kind === 'response' ? outcome.statusCode : 200;
}

test('the deployed function computes the same id as the API for 200 real policies, cookie or query', async () => {
  const ids = new Map<string, string>();
  const policies = Array.from({ length: 200 }, (_, n) =>
    JSON.stringify({
      Statement: [
        {
          Resource: `https://video.example.com/media/demo-${n}/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': 2_000_000_000 + n }, DateGreaterThan: { 'AWS:EpochTime': n } },
        },
      ],
    }),
  );
  for (const policy of policies) ids.set(grantId(Buffer.from(policy).toString('base64')), `revoked ${2 ** 31}`);
  for (const [n, policy] of policies.entries()) {
    const sent = cloudFront(Buffer.from(policy));
    expect(grantId(sent)).toBe(grantId(Buffer.from(policy).toString('base64')));
    const status = await functionStatus(
      ids,
      n % 2 === 0 ? { 'CloudFront-Policy': sent } : {},
      n % 2 === 1 ? { Policy: sent } : {},
    );
    expect(status).toBe(403);
  }
  expect(await functionStatus(ids, { 'CloudFront-Policy': cloudFront(Buffer.from(`${policies[0]} `)) })).toBe(200);
});

test('an entry written under the id of earlier releases (the signature’s) still denies, by cookie or query', async () => {
  const signature = cloudFront(randomBytes(256));
  const ids = new Map([[legacyGrantId(signature), `revoked ${2 ** 31}`]]);
  expect(await functionStatus(ids, { 'CloudFront-Signature': signature })).toBe(403);
  expect(await functionStatus(ids, {}, { Signature: signature })).toBe(403);
  expect(await functionStatus(ids, { 'CloudFront-Signature': cloudFront(randomBytes(256)) })).toBe(200);
});

test('every grant the signer mints is a custom policy whose id it records, cookies and signed URLs, DRM prefixes too', () => {
  const signer = new MediaSigner(
    signingConfig(),
    newSigningKey('ECDSA_P256'),
    new Map([['demo-3', { manifest: '/drm/demo-3/cmaf/index.m3u8', paths: ['/drm/demo-3/'] }]]),
  );
  const request = { videoId: 'demo-3', nowSeconds: 1_800_000_000, notAfterSeconds: 1_800_003_600, viewerIp: undefined };
  const cookies = signer.signCookies(request);
  const policies = cookies.cookies
    .filter((c) => c.startsWith('CloudFront-Policy='))
    .map((c) => /=([^;]+)/.exec(c)?.[1] ?? '');
  expect(cookies.cookies.some((c) => c.startsWith('CloudFront-Expires='))).toBe(false);
  expect(cookies.grantIds).toEqual(policies.map(grantId));
  expect(new Set(cookies.grantIds).size).toBe(2);
  const url = signer.signUrl(request);
  const queries = [url.signedQuery ?? '', url.drm?.signedQuery ?? ''].map((q) => new URLSearchParams(q));
  expect(queries.every((q) => q.has('Policy') && !q.has('Expires'))).toBe(true);
  expect(url.grantIds).toEqual(queries.map((q) => grantId(q.get('Policy') ?? '')));
});
