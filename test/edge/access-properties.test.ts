/**
 * Property tests: whatever a viewer sends in the query and the Cookie header, the access check
 * answers a well-formed decision, and nothing but a genuinely signed request is allowed. Mutations
 * are single alphanumeric edits, so none of them is a no-op the edge could rightly ignore (such as
 * whitespace around a cookie or an empty `&&` pair).
 */
import fc from 'fast-check';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { checkSignedAccess, type AccessDecision, type EdgeRequest } from '../../local/edge/cloudfront-access';
import {
  NOW,
  ORIGIN,
  at,
  cookieHeader,
  customPolicy,
  generateTestKey,
  requestFor,
  type TestKey,
} from './edge-test-kit';

const KEYS: TestKey[] = [generateTestKey('RSA-2048', 'K2PROPRSA'), generateTestKey('EC P-256', 'K2PROPEC')];
const TRUSTED = new Map([...KEYS[0].trusted, ...KEYS[1].trusted]);
const SEGMENT = `${ORIGIN}/media/v1/seg-1.ts`;
const EXPIRES = NOW + 300;
const DENIAL_CODES = ['MissingKey', 'InvalidKey', 'MalformedSignature', 'MalformedPolicy', 'AccessDenied'];

function checkDenied(req: EdgeRequest): void {
  let decision: AccessDecision | undefined;
  expect(() => {
    decision = checkSignedAccess(req, TRUSTED);
  }).not.toThrow();
  expect(decision?.allowed).toBe(false);
  if (decision !== undefined && !decision.allowed) {
    expect(decision.status).toBe(403);
    expect(DENIAL_CODES).toContain(decision.code);
  }
}

const alnum = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.split(''));

/** One edit of `text`: replace a character, insert an alphanumeric one, or delete a non-space one. */
const edit = (text: string) =>
  fc
    .record({ kind: fc.constantFrom('replace', 'delete', 'insert'), at: fc.nat({ max: text.length - 1 }), char: alnum })
    .filter((m) => (m.kind === 'replace' ? text[m.at] !== m.char : m.kind === 'insert' || text[m.at] !== ' '))
    .map((m) => {
      if (m.kind === 'insert') return text.slice(0, m.at) + m.char + text.slice(m.at);
      return text.slice(0, m.at) + (m.kind === 'replace' ? m.char : '') + text.slice(m.at + 1);
    });

const signingNames = fc.constantFrom('Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm', 'lang', 'x');
const cookieNames = fc.constantFrom(
  'CloudFront-Expires',
  'CloudFront-Policy',
  'CloudFront-Signature',
  'CloudFront-Key-Pair-Id',
  'CloudFront-Hash-Algorithm',
  'session',
);
const values = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('K2PROPRSA', 'K2PROPEC', 'SHA256', 'SHA1', String(EXPIRES), '2147483647', 'e30_', 'AAAA'),
  fc.base64String().map((s) => s.replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~')),
);

describe('access check properties', () => {
  it('never throws and never allows for random queries and Cookie headers', () => {
    const pairs = (names: fc.Arbitrary<string>, sep: string) =>
      fc.array(fc.tuple(names, values).map(([n, v]) => `${n}=${v}`)).map((list) => list.join(sep));
    fc.assert(
      fc.property(
        pairs(signingNames, '&'),
        fc.oneof(pairs(cookieNames, '; '), fc.string({ unit: 'binary' })),
        fc.oneof(fc.constant('203.0.113.7'), fc.string()),
        fc.oneof(fc.constant(NOW), fc.double()),
        (query, cookies, clientIp, nowSeconds) => {
          checkDenied(requestFor(`${SEGMENT}?${query}`, { cookieHeader: cookies, clientIp, nowSeconds }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws and never allows for arbitrary raw paths, hosts and cookie bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string(),
        fc.string({ unit: 'binary' }),
        (rawPath, host, cookies) => {
          checkDenied({
            scheme: 'https',
            host,
            rawPath,
            cookieHeader: cookies,
            clientIp: '203.0.113.7',
            nowSeconds: NOW,
          });
          checkDenied({
            scheme: 'https',
            host: 'd111111abcdef8.cloudfront.net',
            rawPath: `/${rawPath}`,
            cookieHeader: cookies,
            clientIp: '203.0.113.7',
            nowSeconds: NOW,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  describe.each(KEYS)('with a $label key', (key) => {
    const credentials = { keyPairId: key.id, privateKey: key.privateKeyPem };
    const policy = customPolicy({
      resource: `${ORIGIN}/media/v1/*`,
      dateLessThan: EXPIRES,
      sourceIp: '203.0.113.0/24',
    });
    // A wildcard Resource rightly admits other paths, so the URL mutations use an exact one.
    const exactPolicy = customPolicy({ resource: SEGMENT, dateLessThan: EXPIRES, dateGreaterThan: NOW - 1 });
    const signedUrls = [
      getSignedUrl({ url: `${SEGMENT}?lang=en`, dateLessThan: at(EXPIRES), ...credentials }),
      getSignedUrl({ url: SEGMENT, dateLessThan: at(EXPIRES), ...credentials, algorithm: 'SHA256' }),
      getSignedUrl({ url: SEGMENT, policy: exactPolicy, ...credentials }),
    ];
    const cookieHeaders = [
      cookieHeader(getSignedCookies({ url: SEGMENT, dateLessThan: at(EXPIRES), ...credentials })),
      cookieHeader(getSignedCookies({ policy, ...credentials, algorithm: 'SHA256' })),
    ];

    it('allows the unmutated signed URLs and cookies (the baseline of the mutations)', () => {
      for (const url of signedUrls) expect(checkSignedAccess(requestFor(url), TRUSTED).allowed).toBe(true);
      for (const header of cookieHeaders) {
        expect(checkSignedAccess(requestFor(SEGMENT, { cookieHeader: header }), TRUSTED).allowed).toBe(true);
      }
    });

    it('denies every single-character mutation of a signed URL path or query', () => {
      const rawPaths = signedUrls.map((url) => requestFor(url).rawPath);
      fc.assert(
        fc.property(fc.constantFrom(...rawPaths).chain(edit), (rawPath) => {
          checkDenied({ ...requestFor(SEGMENT), rawPath });
        }),
        { numRuns: 1500 },
      );
    });

    it('denies every single-character mutation of a signed Cookie header', () => {
      fc.assert(
        fc.property(fc.constantFrom(...cookieHeaders).chain(edit), (header) => {
          checkDenied(requestFor(SEGMENT, { cookieHeader: header }));
        }),
        { numRuns: 1500 },
      );
    });
  });
});
