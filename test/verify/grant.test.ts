/**
 * Reading the API's playback answer and re-presenting a grant (real policy bytes, CloudFront's
 * base64). Grants the real API signs are read by test/verify/verify-local.test.ts.
 */
import {
  cookiesFor,
  credentialsOf,
  fromCloudFrontBase64,
  parseGrant,
  policyExpiry,
  signingValuesOf,
  toCloudFrontBase64,
  withPolicyExpiry,
  withSigningValues,
} from '../../verify/grant';

const policy = toCloudFrontBase64(
  Buffer.from(
    JSON.stringify({
      Statement: [
        {
          Resource: 'https://v.example/media/demo-1/*',
          Condition: { DateLessThan: { 'AWS:EpochTime': 1_900_000_000 } },
        },
      ],
    }),
  ),
);
const setCookies = (prefix: string, signature: string) =>
  [`CloudFront-Policy=${policy}`, `CloudFront-Signature=${signature}`, 'CloudFront-Key-Pair-Id=K1'].map(
    (pair) => `${pair}; Path=${prefix}; Secure; HttpOnly; SameSite=Strict`,
  );
const body = {
  videoId: 'demo-1',
  manifestUrl: 'https://v.example/media/demo-1/index.m3u8',
  expiresAt: '2030-03-17T17:46:40.000Z',
  refreshAfter: '2030-03-17T17:42:40.000Z',
  drm: {
    manifestUrl: 'https://v.example/drm/p/demo-1/index.m3u8',
    licenceUrls: { widevine: 'https://v.example/api/v1/licence/demo-1/widevine' },
  },
};

test("a cookie grant: expiry in epoch seconds, each cookie with its Path, and a browser's choice of cookies per URL", () => {
  const grant = parseGrant(
    body,
    [...setCookies('/media/demo-1/', 'MEDIA~SIG'), ...setCookies('/drm/p/demo-1/', 'DRM-SIG')],
    'cookie',
  );
  expect(grant.expiresAt).toBe(1_900_000_000);
  expect(grant.drm?.licenceUrls).toEqual({ widevine: 'https://v.example/api/v1/licence/demo-1/widevine' });
  expect(credentialsOf(grant).cookie).toBe(
    `CloudFront-Policy=${policy}; CloudFront-Signature=MEDIA~SIG; CloudFront-Key-Pair-Id=K1`,
  );
  expect(cookiesFor(grant, 'https://v.example/drm/p/demo-1/seg.m4s').map((c) => c.value)).toContain('DRM-SIG');
  expect(cookiesFor(grant, 'https://v.example/media/demo-2/index.m3u8')).toEqual([]);
  expect(signingValuesOf(grant)).toEqual({ Policy: policy, Signature: 'MEDIA~SIG', 'Key-Pair-Id': 'K1' });
  // Only the video's own cookies change; the /drm/ ones keep their signature.
  const changed = withSigningValues(grant, { Signature: 'OTHER' });
  expect(signingValuesOf(changed).Signature).toBe('OTHER');
  expect(cookiesFor(changed, '/drm/p/demo-1/x').find((c) => c.name === 'CloudFront-Signature')?.value).toBe('DRM-SIG');
});

test('a signed-URL grant: its query is what every media request carries, and a value is replaced in place', () => {
  const signedQuery = `Policy=${policy}&Signature=S1&Key-Pair-Id=K1&Hash-Algorithm=SHA256`;
  const grant = parseGrant({ ...body, drm: undefined, signedQuery }, [], 'url');
  expect(credentialsOf(grant)).toEqual({ query: signedQuery });
  expect(signingValuesOf(grant)['Hash-Algorithm']).toBe('SHA256');
  expect(withSigningValues(grant, { Signature: 'S2' }).signedQuery).toBe(
    `Policy=${policy}&Signature=S2&Key-Pair-Id=K1&Hash-Algorithm=SHA256`,
  );
  expect(() => parseGrant({ ...body, signedQuery: undefined }, [], 'url')).toThrow('no signedQuery');
});

test("a policy's expiry is moved and re-encoded in CloudFront's alphabet; the base64 round-trips every byte", () => {
  const later = withPolicyExpiry(policy, 1_900_086_400);
  expect(policyExpiry(policy)).toBe(1_900_000_000);
  expect(policyExpiry(later)).toBe(1_900_086_400);
  expect(later).not.toMatch(/[+/=]/);
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
  expect(fromCloudFrontBase64(toCloudFrontBase64(bytes)).equals(bytes)).toBe(true);
});

test('an answer without manifestUrl or expiresAt is not a grant', () => {
  expect(() => parseGrant({ expiresAt: body.expiresAt }, [], 'cookie')).toThrow('no manifestUrl');
  expect(() => parseGrant({ manifestUrl: body.manifestUrl }, [], 'cookie')).toThrow('no ISO 8601 expiresAt');
});
