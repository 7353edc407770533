/**
 * Property test: random and mutated tokens, headers, paths and queries thrown at the real
 * playback handler never yield a 200, never a 5xx other than 503, and never throw.
 */
import fc from 'fast-check';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');
let harness: Harness;
let valid: string;
beforeAll(async () => {
  harness = await startHarness({ idpKeys: [idp] });
  valid = await mint(idp, { claims: { videos: ['demo-1'] } });
});
afterAll(() => harness.close());

/**
 * The valid token itself, spelled otherwise: the last base64url character of the signature carries
 * bits that decoders ignore (15 of a token's single-character flips), so it is rightly accepted.
 */
const respelling = (token: string): boolean => {
  const [header, payload, signature] = token.split('.');
  const [validHeader, validPayload, validSignature] = valid.split('.');
  return (
    header === validHeader &&
    payload === validPayload &&
    /^[A-Za-z0-9_-]+$/.test(signature ?? '') &&
    Buffer.from(signature, 'base64url').equals(Buffer.from(validSignature, 'base64url'))
  );
};

/** Changes a valid token in the ways an attacker would: flip, cut, splice, re-encode parts. */
const mutatedToken = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([at, xor]) => {
        const chars = [...valid];
        const index = at % chars.length;
        chars[index] = String.fromCharCode(chars[index].charCodeAt(0) ^ xor);
        return chars.join('');
      })
      .filter((token) => !respelling(token)),
    fc.nat().map((at) => valid.slice(0, at % valid.length)),
    fc.string().map((text) => `${valid.split('.').slice(0, 2).join('.')}.${text}`),
    fc.json().map((json) => `${valid.split('.')[0]}.${Buffer.from(json).toString('base64url')}.${valid.split('.')[2]}`),
    fc.json().map((json) => `${Buffer.from(json).toString('base64url')}.${valid.split('.')[1]}.${valid.split('.')[2]}`),
    fc.array(fc.base64String(), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
  );

const authorization = (): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    fc.string(),
    fc.string({ unit: 'binary' }),
    mutatedToken().map(bearer),
    mutatedToken().map((token) => `bearer  ${token}`),
    fc.string({ maxLength: 20000 }).map((text) => `Bearer ${text}`),
  );

const videoId = fc.oneof(
  fc.constant('demo-2'),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('..', '%2e%2e', 'demo-1/../demo-2', '*'),
);
const query = fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), { nil: undefined });
const headers = fc.dictionary(
  fc.constantFrom('cloudfront-viewer-address', 'x-forwarded-for', 'cookie', 'x-origin-verify', 'content-type'),
  fc.string({ maxLength: 100 }),
);

test('random and mutated requests never get a 200, a 5xx other than 503, or a throw', async () => {
  await fc.assert(
    fc.asyncProperty(authorization(), videoId, query, headers, async (auth, video, q, extra) => {
      const event: APIGatewayProxyEventV2 = playbackEvent(video, { authorization: auth, query: q, headers: extra });
      const response = await harness.api.playback(event);
      expect(response.statusCode).not.toBe(200);
      expect(response.statusCode === 503 || response.statusCode < 500).toBe(true);
      expect(response.cookies ?? []).toEqual([]);
      expect(() => JSON.parse(response.body ?? '')).not.toThrow();
    }),
    { numRuns: 400 },
  );
});

test('the unmodified token is accepted for its own video (the property above is not vacuous)', async () => {
  const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(valid) }));
  expect(response.statusCode).toBe(200);
});
