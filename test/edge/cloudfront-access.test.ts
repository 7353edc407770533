/**
 * Conformance of the local edge's access check with CloudFront's signed URL / signed cookie rules
 * (docs/cloudfront-rules.md). Passing requests are signed by @aws-sdk/cloudfront-signer and,
 * in the "hand-signed" block, by node:crypto directly. Every rule runs with an RSA-2048 and an EC
 * P-256 key. A test whose expectation rests on an unverified fact says [U] in its name.
 */
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { getSignedCookies, getSignedUrl, type CloudfrontSignerAlgorithm } from '@aws-sdk/cloudfront-signer';
import { checkSignedAccess, type AccessDecision, type EdgeRequest } from '../../local/edge/cloudfront-access';
import {
  NOW,
  ORIGIN,
  VIEWER_IP,
  at,
  cannedPolicy,
  cookieHeader,
  customPolicy,
  generateTestKey,
  handSign,
  paramOf,
  requestFor,
  toBase64Url,
  trustedMap,
  withParam,
  type TestKey,
} from './edge-test-kit';

const EXPIRES = NOW + 300;
const SEGMENT = `${ORIGIN}/media/v1/hls/720p/seg-00042.ts`;

const ALLOW_URL_CANNED: AccessDecision = { allowed: true, via: 'url', policy: 'canned' };
const ALLOW_URL_CUSTOM: AccessDecision = { allowed: true, via: 'url', policy: 'custom' };
const ALLOW_COOKIE_CANNED: AccessDecision = { allowed: true, via: 'cookie', policy: 'canned' };
const ALLOW_COOKIE_CUSTOM: AccessDecision = { allowed: true, via: 'cookie', policy: 'custom' };

function denied(code: string): AccessDecision {
  return expect.objectContaining({ allowed: false, status: 403, code }) as AccessDecision;
}

const KEYS: TestKey[] = [generateTestKey('RSA-2048', 'K2RSATESTKEY01'), generateTestKey('EC P-256', 'K2ECTESTKEY01')];

/**
 * A P-256 canned URL for SEGMENT signed once (only the public half is here) and chosen for a
 * Signature that holds `-`, `~` and padding `_`: a fresh P-256 signature is 70-72 random bytes and
 * may hold none of them (~1.5%), so its standard-alphabet or unpadded spelling would not differ.
 */
const P256_VECTOR = {
  url: `${SEGMENT}?Expires=${EXPIRES}&Key-Pair-Id=K2ECVECTOR01&Signature=MEQCIB0JGyqqpDbFNERC37WL-OEVK0On3nuqrZvj9D70fYNSAiAvN3gu5G7WUq7yvkIwyC2lYyehonOBqT23sRBD~Z16mA__`,
  trusted: trustedMap(
    'K2ECVECTOR01',
    createPublicKey({
      key: Buffer.from(
        'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmrfeVfAr6CyO2MAK/4Du7fMv6cSjSNxT9eZJQar49svYRF0jqQQFmSq9gIwy8Ads65sxR7DQHgnKrMGXIAJP/w==',
        'base64',
      ),
      format: 'der',
      type: 'spki',
    }),
  ),
};

describe.each(KEYS)('with a $label key', (key) => {
  const check = (req: EdgeRequest): AccessDecision => checkSignedAccess(req, key.trusted);
  const credentials = (algorithm?: CloudfrontSignerAlgorithm) => ({
    keyPairId: key.id,
    privateKey: key.privateKeyPem,
    ...(algorithm === undefined ? {} : { algorithm }),
  });
  const cannedUrl = (url: string, algorithm?: CloudfrontSignerAlgorithm, expires = EXPIRES): string =>
    getSignedUrl({ url, dateLessThan: at(expires), ...credentials(algorithm) });
  const policyUrl = (url: string, policy: string, algorithm?: CloudfrontSignerAlgorithm): string =>
    getSignedUrl({ url, policy, ...credentials(algorithm) });
  const policyCookies = (policy: string, algorithm?: CloudfrontSignerAlgorithm): string =>
    cookieHeader(getSignedCookies({ policy, ...credentials(algorithm) }));
  const prefixPolicy = (resource = `${ORIGIN}/media/v1/*`): string => customPolicy({ resource, dateLessThan: EXPIRES });

  describe('canned policy (Expires) signed URL', () => {
    it('allows an SDK-signed canned URL before Expires', () => {
      expect(check(requestFor(cannedUrl(SEGMENT)))).toEqual(ALLOW_URL_CANNED);
      expect(check(requestFor(cannedUrl(SEGMENT), { nowSeconds: EXPIRES - 1 }))).toEqual(ALLOW_URL_CANNED);
    });

    it('denies it when now reaches Expires ([U] now == DateLessThan counts as expired) and after', () => {
      expect(check(requestFor(cannedUrl(SEGMENT), { nowSeconds: EXPIRES }))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(cannedUrl(SEGMENT), { nowSeconds: EXPIRES + 3600 }))).toEqual(denied('AccessDenied'));
    });

    it("keeps the viewer's own query parameters in the rebuilt Resource", () => {
      expect(check(requestFor(cannedUrl(`${SEGMENT}?quality=hd&lang=en`)))).toEqual(ALLOW_URL_CANNED);
    });

    it('denies when a viewer query parameter is changed, added, removed or reordered', () => {
      const signed = cannedUrl(`${SEGMENT}?quality=hd&lang=en`);
      for (const tampered of [
        signed.replace('quality=hd', 'quality=4k'),
        signed.replace('lang=en', 'lang=en&extra=1'),
        signed.replace('quality=hd&', ''),
        signed.replace('quality=hd&lang=en', 'lang=en&quality=hd'),
      ]) {
        expect(check(requestFor(tampered))).toEqual(denied('AccessDenied'));
      }
    });

    it('denies the signature when presented for another path or host', () => {
      const signed = cannedUrl(SEGMENT);
      expect(check(requestFor(signed.replace('seg-00042', 'seg-00043')))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(signed.replace('d111111abcdef8', 'd222222abcdef8')))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(signed.replace('https://', 'http://')))).toEqual(denied('AccessDenied'));
    });

    it('accepts the signing parameters in any order, interleaved with the viewer query', () => {
      const signed = cannedUrl(`${SEGMENT}?a=1&b=2`, 'SHA256');
      const reordered =
        `${SEGMENT}?Signature=${paramOf(signed, 'Signature')}&a=1&Hash-Algorithm=SHA256` +
        `&Key-Pair-Id=${key.id}&b=2&Expires=${EXPIRES}`;
      expect(check(requestFor(reordered))).toEqual(ALLOW_URL_CANNED);
    });

    it('omits the `?` from the rebuilt Resource when only signing parameters were in the query', () => {
      const signedWithout = handSign(cannedPolicy(SEGMENT, EXPIRES), key.privateKey);
      const signedWith = handSign(cannedPolicy(`${SEGMENT}?`, EXPIRES), key.privateKey);
      const urlFor = (sig: string) => `${SEGMENT}?Expires=${EXPIRES}&Signature=${sig}&Key-Pair-Id=${key.id}`;
      expect(check(requestFor(urlFor(signedWithout)))).toEqual(ALLOW_URL_CANNED);
      expect(check(requestFor(urlFor(signedWith)))).toEqual(denied('AccessDenied'));
    });

    it('compares with the URL as sent on the wire: another percent-encoding of the same path is denied', () => {
      const signed = cannedUrl(`${ORIGIN}/media/my video/a~b.ts`);
      expect(signed).toContain('/media/my%20video/a~b.ts?');
      expect(check(requestFor(signed))).toEqual(ALLOW_URL_CANNED);
      expect(check(requestFor(signed.replace('a~b.ts', 'a%7Eb.ts')))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(signed.replace('my%20video', 'my+video')))).toEqual(denied('AccessDenied'));
    });

    it('never matches a canned signature over a wildcard URL against a real URL ([U] inference)', () => {
      const signedForPattern = cannedUrl(`${ORIGIN}/media/v1/*`);
      const query = signedForPattern.slice(signedForPattern.indexOf('?'));
      expect(check(requestFor(`${SEGMENT}${query}`))).toEqual(denied('AccessDenied'));
    });

    it('accepts Expires = 2147483647, the largest 32-bit epoch', () => {
      expect(check(requestFor(cannedUrl(SEGMENT, undefined, 2147483647)))).toEqual(ALLOW_URL_CANNED);
    });

    it.each(['2147483648', '1700000300.0', '1.7e9', '-1', '01700000300', 'soon', ''])(
      'refuses Expires=%p as a malformed policy ([U] code)',
      (expires) => {
        const url = withParam(cannedUrl(SEGMENT), 'Expires', expires);
        expect(check(requestFor(url))).toEqual(denied('MalformedPolicy'));
      },
    );
  });

  describe('custom policy (Policy) signed URL: conditions', () => {
    it('allows before DateLessThan and denies at it ([U] equality is expired)', () => {
      const url = getSignedUrl({
        url: SEGMENT,
        dateLessThan: at(EXPIRES),
        dateGreaterThan: at(NOW - 60),
        ...credentials(),
      });
      expect(paramOf(url, 'Policy')).toBeTruthy();
      expect(check(requestFor(url, { nowSeconds: EXPIRES - 1 }))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { nowSeconds: EXPIRES }))).toEqual(denied('AccessDenied'));
    });

    it('enforces DateGreaterThan strictly: denied at the start second, allowed one second later', () => {
      const url = getSignedUrl({ url: SEGMENT, dateLessThan: at(EXPIRES), dateGreaterThan: at(NOW), ...credentials() });
      expect(check(requestFor(url, { nowSeconds: NOW - 1 }))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(url, { nowSeconds: NOW }))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(url, { nowSeconds: NOW + 1 }))).toEqual(ALLOW_URL_CUSTOM);
    });

    it('allows a viewer inside the IpAddress CIDR and denies one outside it', () => {
      const url = getSignedUrl({
        url: SEGMENT,
        dateLessThan: at(EXPIRES),
        ipAddress: '203.0.113.0/24',
        ...credentials(),
      });
      expect(check(requestFor(url, { clientIp: VIEWER_IP }))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { clientIp: '203.0.113.255' }))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { clientIp: '203.0.114.7' }))).toEqual(denied('AccessDenied'));
    });

    it('binds a bare IP to that one address (/32 added by the SDK)', () => {
      const url = getSignedUrl({ url: SEGMENT, dateLessThan: at(EXPIRES), ipAddress: VIEWER_IP, ...credentials() });
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { clientIp: '203.0.113.8' }))).toEqual(denied('AccessDenied'));
    });

    it('never matches an IPv6 viewer against IpAddress, not even 0.0.0.0/0', () => {
      const url = getSignedUrl({ url: SEGMENT, dateLessThan: at(EXPIRES), ipAddress: '0.0.0.0/0', ...credentials() });
      expect(check(requestFor(url, { clientIp: '198.51.100.1' }))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { clientIp: '2001:db8::7' }))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(url, { clientIp: 'not-an-ip' }))).toEqual(denied('AccessDenied'));
    });

    it('reads an IPv4-mapped IPv6 socket address as the IPv4 viewer it is (local dual-stack socket, [U] for CloudFront)', () => {
      const url = getSignedUrl({ url: SEGMENT, dateLessThan: at(EXPIRES), ipAddress: VIEWER_IP, ...credentials() });
      expect(check(requestFor(url, { clientIp: `::ffff:${VIEWER_IP}` }))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { clientIp: '::ffff:203.0.113.8' }))).toEqual(denied('AccessDenied'));
    });

    it('does not care about key order inside Condition (IpAddress before DateLessThan)', () => {
      const policy = `{"Statement":[{"Resource":"${SEGMENT}","Condition":{"IpAddress":{"AWS:SourceIp":"203.0.113.0/24"},"DateGreaterThan":{"AWS:EpochTime":${NOW - 1}},"DateLessThan":{"AWS:EpochTime":${EXPIRES}}}}]}`;
      expect(check(requestFor(policyUrl(SEGMENT, policy)))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(policyUrl(SEGMENT, policy), { clientIp: '192.0.2.1' }))).toEqual(denied('AccessDenied'));
    });

    it('verifies the policy bytes as sent, whitespace included ([U] CloudFront asks signers to strip it)', () => {
      const policy = JSON.stringify(JSON.parse(prefixPolicy()), null, 2);
      expect(check(requestFor(policyUrl(SEGMENT, policy)))).toEqual(ALLOW_URL_CUSTOM);
    });
  });

  describe('custom policy Resource and wildcards', () => {
    it('matches a Resource without wildcard against the URL with the signing parameters removed', () => {
      const url = policyUrl(
        `${SEGMENT}?lang=en`,
        customPolicy({ resource: `${SEGMENT}?lang=en`, dateLessThan: EXPIRES }),
        'SHA256',
      );
      expect(url).toContain('Hash-Algorithm=SHA256');
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url.replace('lang=en', 'lang=de')))).toEqual(denied('AccessDenied'));
    });

    it('lets `*` match many characters, across `/` and into the viewer query', () => {
      expect(check(requestFor(policyUrl(SEGMENT, prefixPolicy())))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(policyUrl(`${SEGMENT}?start=10`, prefixPolicy())))).toEqual(ALLOW_URL_CUSTOM);
    });

    it('lets `*` match zero characters', () => {
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/v1/`, prefixPolicy())))).toEqual(ALLOW_URL_CUSTOM);
    });

    it('does not let a prefix wildcard reach outside its prefix', () => {
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/v2/seg.ts`, prefixPolicy())))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/v1`, prefixPolicy())))).toEqual(denied('AccessDenied'));
    });

    it('lets `?` match exactly one character', () => {
      const policy = prefixPolicy(`${ORIGIN}/media/seg-?.ts`);
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/seg-7.ts`, policy)))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/seg-.ts`, policy)))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/seg-17.ts`, policy)))).toEqual(denied('AccessDenied'));
    });

    it('matches the documented example `*game_download.zip*` against `example_game_download.zip?license=yes`', () => {
      const policy = prefixPolicy(`${ORIGIN}/*game_download.zip*`);
      expect(check(requestFor(policyUrl(`${ORIGIN}/example_game_download.zip?license=yes`, policy)))).toEqual(
        ALLOW_URL_CUSTOM,
      );
      expect(check(requestFor(policyUrl(`${ORIGIN}/example_game.zip`, policy)))).toEqual(denied('AccessDenied'));
    });

    it('lets `https://*` grant every https URL on any host, and no http URL', () => {
      const policy = prefixPolicy('https://*');
      expect(check(requestFor(policyUrl('https://video.example.com/any/thing.ts', policy)))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(policyUrl('http://video.example.com/any/thing.ts', policy)))).toEqual(
        denied('AccessDenied'),
      );
    });

    it('grants any URL when Resource is omitted, still enforcing DateLessThan', () => {
      const policy = customPolicy({ dateLessThan: EXPIRES });
      const url = policyUrl('http://elsewhere.example:8080/x/y.ts?z=1', policy);
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(url, { nowSeconds: EXPIRES }))).toEqual(denied('AccessDenied'));
    });

    it('matches case-sensitively ([U])', () => {
      const policy = prefixPolicy(`${ORIGIN}/Media/v1/*`);
      expect(check(requestFor(policyUrl(SEGMENT, policy)))).toEqual(denied('AccessDenied'));
    });

    it('matches the percent-encoded wire form, not the decoded path', () => {
      const encoded = prefixPolicy(`${ORIGIN}/media/my%20video/*`);
      const decoded = prefixPolicy(`${ORIGIN}/media/my video/*`);
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/my%20video/a.ts`, encoded)))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(policyUrl(`${ORIGIN}/media/my%20video/a.ts`, decoded)))).toEqual(denied('AccessDenied'));
    });
  });

  describe('custom policy validation', () => {
    const statement = `"Resource":"${SEGMENT}"`;
    const before = `{"DateLessThan":{"AWS:EpochTime":${EXPIRES}}}`;
    it.each([
      [
        'two statements ([U] code; one Statement only)',
        `{"Statement":[{${statement},"Condition":${before}},{${statement},"Condition":${before}}]}`,
      ],
      ['no statement ([U] code)', '{"Statement":[]}'],
      [
        'no DateLessThan ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateGreaterThan":{"AWS:EpochTime":${NOW - 1}}}}]}`,
      ],
      ['no Condition ([U] code)', `{"Statement":[{${statement}}]}`],
      [
        'a quoted EpochTime ([U])',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":"${EXPIRES}"}}}]}`,
      ],
      [
        'an EpochTime above 2147483647 ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":2147483648}}}]}`,
      ],
      [
        'a fractional EpochTime ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}.5}}}]}`,
      ],
      [
        'a negative EpochTime ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":-1}}}]}`,
      ],
      [
        'an unknown condition ([U])',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}},"StringLike":{"a":"b"}}}]}`,
      ],
      [
        'an abbreviated parameter name ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"EpochTime":${EXPIRES}}}}]}`,
      ],
      [
        'an IPv6 SourceIp ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}`,
      ],
      [
        'a SourceIp without mask ([U])',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}},"IpAddress":{"AWS:SourceIp":"${VIEWER_IP}"}}}]}`,
      ],
      [
        'a /33 mask ([U] code)',
        `{"Statement":[{${statement},"Condition":{"DateLessThan":{"AWS:EpochTime":${EXPIRES}},"IpAddress":{"AWS:SourceIp":"10.0.0.0/33"}}}]}`,
      ],
      ['a non-string Resource ([U] code)', `{"Statement":[{"Resource":["${SEGMENT}"],"Condition":${before}}]}`],
      ['an unknown top-level key ([U])', `{"Version":"1","Statement":[{${statement},"Condition":${before}}]}`],
      ['a JSON array ([U] code)', '[]'],
      ['text that is not JSON', 'Statement: everything'],
    ])('refuses a correctly signed policy with %s as MalformedPolicy', (_what, policy) => {
      expect(check(requestFor(policyUrl(SEGMENT, policy)))).toEqual(denied('MalformedPolicy'));
    });

    it('refuses a Policy that is not base64 at all as MalformedPolicy', () => {
      const url = policyUrl(SEGMENT, prefixPolicy());
      expect(check(requestFor(withParam(url, 'Policy', 'not*base64')))).toEqual(denied('MalformedPolicy'));
      expect(check(requestFor(withParam(url, 'Policy', '')))).toEqual(denied('MalformedPolicy'));
    });

    it('refuses a Policy in the standard base64 alphabet or without padding ([U] strict encoding)', () => {
      // Resources of growing length until the encoding has both padding and a `~` (standard `/`).
      const policy = Array.from({ length: 200 }, (_, n) => prefixPolicy(`${ORIGIN}/media/v1/${'?'.repeat(n)}*`)).find(
        (p) => toBase64Url(p).endsWith('_') && toBase64Url(p).includes('~'),
      );
      if (policy === undefined) throw new Error('no suitable policy found');
      const url = policyUrl(SEGMENT, policy);
      const value = paramOf(url, 'Policy');
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CUSTOM);
      expect(check(requestFor(withParam(url, 'Policy', value.replace(/_+$/, ''))))).toEqual(denied('MalformedPolicy'));
      const standard = encodeURIComponent(value.replace(/~/g, '/').replace(/_/g, '='));
      expect(check(requestFor(withParam(url, 'Policy', standard)))).toEqual(denied('MalformedPolicy'));
    });

    it('refuses Policy and Expires together as a malformed policy ([U])', () => {
      const url = withParam(policyUrl(SEGMENT, prefixPolicy()), 'Expires', String(EXPIRES));
      expect(check(requestFor(url))).toEqual(denied('MalformedPolicy'));
    });

    it('refuses a URL with neither Policy nor Expires as a malformed policy ([U] code)', () => {
      const url = withParam(cannedUrl(SEGMENT), 'Expires', undefined);
      expect(check(requestFor(url))).toEqual(denied('MalformedPolicy'));
    });
  });

  describe('hash algorithm', () => {
    it('verifies with SHA-256 when Hash-Algorithm=SHA256, canned and custom', () => {
      expect(check(requestFor(cannedUrl(SEGMENT, 'SHA256')))).toEqual(ALLOW_URL_CANNED);
      expect(check(requestFor(policyUrl(SEGMENT, prefixPolicy(), 'SHA256')))).toEqual(ALLOW_URL_CUSTOM);
    });

    it('verifies with SHA-1 when Hash-Algorithm is absent: a SHA-256 signature without it is denied', () => {
      const url = withParam(cannedUrl(SEGMENT, 'SHA256'), 'Hash-Algorithm', undefined);
      expect(check(requestFor(url))).toEqual(denied('AccessDenied'));
    });

    it('denies a SHA-1 signature labelled Hash-Algorithm=SHA256', () => {
      const url = withParam(cannedUrl(SEGMENT), 'Hash-Algorithm', 'SHA256');
      expect(check(requestFor(url))).toEqual(denied('AccessDenied'));
    });

    it('accepts an explicit Hash-Algorithm=SHA1', () => {
      expect(check(requestFor(withParam(cannedUrl(SEGMENT), 'Hash-Algorithm', 'SHA1')))).toEqual(ALLOW_URL_CANNED);
    });

    it.each(['sha256', 'SHA-256', 'SHA512', 'MD5', ''])(
      'rejects Hash-Algorithm=%p ([U] unknown values rejected)',
      (value) => {
        const url = withParam(cannedUrl(SEGMENT, 'SHA256'), 'Hash-Algorithm', value);
        expect(check(requestFor(url))).toEqual(denied('AccessDenied'));
      },
    );

    it('takes the cookie hash from CloudFront-Hash-Algorithm', () => {
      const cookies = getSignedCookies({ url: SEGMENT, dateLessThan: at(EXPIRES), ...credentials('SHA256') });
      expect(cookies['CloudFront-Hash-Algorithm']).toBe('SHA256');
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(cookies) }))).toEqual(ALLOW_COOKIE_CANNED);
      const { 'CloudFront-Hash-Algorithm': _dropped, ...withoutHash } = cookies;
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(withoutHash) }))).toEqual(denied('AccessDenied'));
      const unknown = { ...cookies, 'CloudFront-Hash-Algorithm': 'SHA512' };
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(unknown) }))).toEqual(denied('AccessDenied'));
    });
  });

  describe('Key-Pair-Id', () => {
    it('answers MissingKey when the signed URL has no Key-Pair-Id', () => {
      expect(check(requestFor(withParam(cannedUrl(SEGMENT), 'Key-Pair-Id', undefined)))).toEqual(denied('MissingKey'));
    });

    it('answers MissingKey when Key-Pair-Id is empty', () => {
      expect(check(requestFor(withParam(cannedUrl(SEGMENT), 'Key-Pair-Id', '')))).toEqual(denied('MissingKey'));
    });

    it('answers MissingKey when there is neither a signed URL nor signed cookies', () => {
      expect(check(requestFor(SEGMENT))).toEqual(denied('MissingKey'));
      expect(check(requestFor(SEGMENT, { cookieHeader: 'session=abc; theme=dark' }))).toEqual(denied('MissingKey'));
    });

    it('answers InvalidKey for a Key-Pair-Id outside the trusted key group', () => {
      expect(check(requestFor(withParam(cannedUrl(SEGMENT), 'Key-Pair-Id', 'K2UNKNOWNKEY')))).toEqual(
        denied('InvalidKey'),
      );
    });

    it('denies a signature made by another key presented under a trusted Key-Pair-Id', () => {
      const impostor = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      const url = `${SEGMENT}?Expires=${EXPIRES}&Signature=${handSign(cannedPolicy(SEGMENT, EXPIRES), impostor)}&Key-Pair-Id=${key.id}`;
      expect(check(requestFor(url))).toEqual(denied('AccessDenied'));
    });

    it('denies a repeated signing parameter ([U] CloudFront behaviour unknown)', () => {
      const url = cannedUrl(SEGMENT);
      expect(check(requestFor(`${url}&Key-Pair-Id=${key.id}`))).toEqual(denied('AccessDenied'));
      expect(check(requestFor(`${url}&Expires=${EXPIRES}`))).toEqual(denied('AccessDenied'));
    });
  });

  describe('Signature encoding', () => {
    // A valid URL whose Signature surely has padding: RSA-2048's 256 bytes always end in `__`.
    const paddedCase = () =>
      key.label === 'RSA-2048'
        ? { url: cannedUrl(SEGMENT), check }
        : { url: P256_VECTOR.url, check: (req: EdgeRequest) => checkSignedAccess(req, P256_VECTOR.trusted) };

    it('answers MalformedSignature for the standard base64 alphabet ([U] strict URL-safe alphabet)', () => {
      const { url, check } = paddedCase();
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CANNED);
      const standard = paramOf(url, 'Signature').replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '=');
      expect(standard).not.toBe(paramOf(url, 'Signature'));
      expect(check(requestFor(withParam(url, 'Signature', encodeURIComponent(standard))))).toEqual(
        denied('MalformedSignature'),
      );
    });

    it('answers MalformedSignature for a signature without its padding ([U] padding required)', () => {
      const { url, check } = paddedCase();
      const unpadded = paramOf(url, 'Signature').replace(/_+$/, '');
      expect(unpadded).not.toBe(paramOf(url, 'Signature'));
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CANNED);
      expect(check(requestFor(withParam(url, 'Signature', unpadded)))).toEqual(denied('MalformedSignature'));
    });

    it('answers MalformedSignature when Signature is missing or empty ([U] code)', () => {
      expect(check(requestFor(withParam(cannedUrl(SEGMENT), 'Signature', undefined)))).toEqual(
        denied('MalformedSignature'),
      );
      expect(check(requestFor(withParam(cannedUrl(SEGMENT), 'Signature', '')))).toEqual(denied('MalformedSignature'));
    });

    it('answers AccessDenied for a well-formed signature over other bytes', () => {
      const url = cannedUrl(SEGMENT);
      const signature = paramOf(url, 'Signature');
      const middle = Math.floor(signature.length / 2);
      const flipped =
        signature.slice(0, middle) + (signature[middle] === 'A' ? 'B' : 'A') + signature.slice(middle + 1);
      expect(check(requestFor(withParam(url, 'Signature', flipped)))).toEqual(denied('AccessDenied'));
    });
  });

  describe('signed cookies', () => {
    it('allows SDK canned cookies for exactly the URL they were signed for', () => {
      const cookies = getSignedCookies({ url: SEGMENT, dateLessThan: at(EXPIRES), ...credentials() });
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(cookies) }))).toEqual(ALLOW_COOKIE_CANNED);
      expect(check(requestFor(SEGMENT.replace('00042', '00043'), { cookieHeader: cookieHeader(cookies) }))).toEqual(
        denied('AccessDenied'),
      );
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(cookies), nowSeconds: EXPIRES }))).toEqual(
        denied('AccessDenied'),
      );
    });

    it('allows SDK custom cookies with a wildcard policy for every file under the prefix, and nothing else', () => {
      const header = policyCookies(prefixPolicy());
      expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(ALLOW_COOKIE_CUSTOM);
      expect(check(requestFor(`${ORIGIN}/media/v1/index.m3u8`, { cookieHeader: header }))).toEqual(ALLOW_COOKIE_CUSTOM);
      expect(check(requestFor(`${ORIGIN}/media/v2/index.m3u8`, { cookieHeader: header }))).toEqual(
        denied('AccessDenied'),
      );
    });

    it('applies DateGreaterThan and IpAddress to cookies', () => {
      const cookies = getSignedCookies({
        url: `${ORIGIN}/media/v1/*`,
        dateLessThan: at(EXPIRES),
        dateGreaterThan: at(NOW - 10),
        ipAddress: '203.0.113.0/24',
        ...credentials(),
      });
      const header = cookieHeader(cookies);
      expect(cookies['CloudFront-Policy']).toBeDefined();
      expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(ALLOW_COOKIE_CUSTOM);
      expect(check(requestFor(SEGMENT, { cookieHeader: header, nowSeconds: NOW - 10 }))).toEqual(
        denied('AccessDenied'),
      );
      expect(check(requestFor(SEGMENT, { cookieHeader: header, clientIp: '192.0.2.1' }))).toEqual(
        denied('AccessDenied'),
      );
    });

    it('uses the first of repeated cookies ([U] first wins): valid first is allowed', () => {
      const header = `${policyCookies(prefixPolicy())}; CloudFront-Signature=AAAA; CloudFront-Key-Pair-Id=K2UNKNOWNKEY`;
      expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(ALLOW_COOKIE_CUSTOM);
    });

    it('uses the first of repeated cookies ([U] first wins): garbage first is denied', () => {
      const header = `CloudFront-Signature=AAAA; ${policyCookies(prefixPolicy())}`;
      expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(denied('AccessDenied'));
    });

    it('parses a messy Cookie header tolerantly (whitespace, empty parts, flags, other cookies)', () => {
      const parts = policyCookies(prefixPolicy()).split('; ');
      const header = `;; theme=dark;flag ;  ${parts.join(' ;\t')} ; other=a=b;`;
      expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(ALLOW_COOKIE_CUSTOM);
    });

    it('matches cookie names case-sensitively ([U])', () => {
      const header = policyCookies(prefixPolicy()).replace('CloudFront-Key-Pair-Id', 'cloudfront-key-pair-id');
      expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(denied('MissingKey'));
    });

    it('does not percent-decode or unquote cookie values ([U])', () => {
      const cookies = getSignedCookies({ policy: prefixPolicy(), ...credentials() });
      const signature = cookies['CloudFront-Signature'];
      const percentFirst = `%${signature.charCodeAt(0).toString(16).toUpperCase()}${signature.slice(1)}`;
      const encoded = { ...cookies, 'CloudFront-Signature': percentFirst };
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(encoded) }))).toEqual(denied('MalformedSignature'));
      const quoted = { ...cookies, 'CloudFront-Signature': `"${signature}"` };
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(quoted) }))).toEqual(denied('MalformedSignature'));
    });

    it('answers MissingKey when the CloudFront-Key-Pair-Id cookie is missing', () => {
      const cookies = getSignedCookies({ policy: prefixPolicy(), ...credentials() });
      const { 'CloudFront-Key-Pair-Id': _dropped, ...rest } = cookies;
      expect(check(requestFor(SEGMENT, { cookieHeader: cookieHeader(rest) }))).toEqual(denied('MissingKey'));
    });

    it('strips Hash-Algorithm from the URL but keeps evaluating cookies when it is the only signing parameter', () => {
      const cookies = getSignedCookies({ url: SEGMENT, dateLessThan: at(EXPIRES), ...credentials('SHA256') });
      const req = requestFor(`${SEGMENT}?Hash-Algorithm=SHA256`, { cookieHeader: cookieHeader(cookies) });
      expect(check(req)).toEqual(ALLOW_COOKIE_CANNED);
    });
  });

  describe('signed URL takes precedence over cookies', () => {
    it.each(['Expires=1', 'Policy=x', 'Signature=x', `Key-Pair-Id=${key.id}`])(
      'ignores valid cookies once the query has %s',
      (param) => {
        const header = policyCookies(prefixPolicy());
        expect(check(requestFor(SEGMENT, { cookieHeader: header }))).toEqual(ALLOW_COOKIE_CUSTOM);
        expect(check(requestFor(`${SEGMENT}?${param}`, { cookieHeader: header }))).toEqual(
          expect.objectContaining({ allowed: false }),
        );
      },
    );

    it('denies an expired signed URL even when valid cookies come with it', () => {
      const req = requestFor(cannedUrl(SEGMENT), {
        cookieHeader: policyCookies(customPolicy({ dateLessThan: EXPIRES + 999 })),
        nowSeconds: EXPIRES,
      });
      expect(check(req)).toEqual(denied('AccessDenied'));
    });

    it('allows a valid signed URL whatever cookies come with it', () => {
      const req = requestFor(cannedUrl(SEGMENT), {
        cookieHeader: 'CloudFront-Key-Pair-Id=K2UNKNOWNKEY; CloudFront-Policy=%%%',
      });
      expect(check(req)).toEqual(ALLOW_URL_CANNED);
    });
  });

  describe('hand-signed with node:crypto (independent of the SDK signer)', () => {
    it('allows a canned URL signed with SHA-1', () => {
      const signature = handSign(cannedPolicy(SEGMENT, EXPIRES), key.privateKey, 'sha1');
      expect(check(requestFor(`${SEGMENT}?Expires=${EXPIRES}&Signature=${signature}&Key-Pair-Id=${key.id}`))).toEqual(
        ALLOW_URL_CANNED,
      );
    });

    it('allows a custom URL signed with SHA-256', () => {
      const policy = prefixPolicy();
      const url = `${SEGMENT}?Policy=${toBase64Url(policy)}&Signature=${handSign(policy, key.privateKey, 'sha256')}&Key-Pair-Id=${key.id}&Hash-Algorithm=SHA256`;
      expect(check(requestFor(url))).toEqual(ALLOW_URL_CUSTOM);
    });

    it('allows canned cookies signed with SHA-256 and custom cookies signed with SHA-1', () => {
      const canned = `CloudFront-Expires=${EXPIRES}; CloudFront-Signature=${handSign(cannedPolicy(SEGMENT, EXPIRES), key.privateKey, 'sha256')}; CloudFront-Key-Pair-Id=${key.id}; CloudFront-Hash-Algorithm=SHA256`;
      expect(check(requestFor(SEGMENT, { cookieHeader: canned }))).toEqual(ALLOW_COOKIE_CANNED);
      const policy = customPolicy({ resource: `${ORIGIN}/media/*`, dateLessThan: EXPIRES, sourceIp: '203.0.113.0/24' });
      const custom = `CloudFront-Policy=${toBase64Url(policy)}; CloudFront-Signature=${handSign(policy, key.privateKey, 'sha1')}; CloudFront-Key-Pair-Id=${key.id}`;
      expect(check(requestFor(SEGMENT, { cookieHeader: custom }))).toEqual(ALLOW_COOKIE_CUSTOM);
    });

    it('produces the same canned signature as the SDK for RSA (PKCS#1 v1.5 is deterministic)', () => {
      if (key.label !== 'RSA-2048') return;
      const fromSdk = paramOf(cannedUrl(SEGMENT), 'Signature');
      expect(handSign(cannedPolicy(SEGMENT, EXPIRES), key.privateKey, 'sha1')).toBe(fromSdk);
    });
  });
});

describe('keys and requests the edge refuses outright', () => {
  it('answers InvalidKey for a trusted key CloudFront would not accept (RSA-1024, EC P-384)', () => {
    for (const privateKey of [
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
    ]) {
      const signature = handSign(cannedPolicy(SEGMENT, EXPIRES), privateKey);
      const req = requestFor(`${SEGMENT}?Expires=${EXPIRES}&Signature=${signature}&Key-Pair-Id=K2WEAK`);
      expect(checkSignedAccess(req, trustedMap('K2WEAK', createPublicKey(privateKey)))).toEqual(denied('InvalidKey'));
    }
  });

  it('denies an ECDSA signature in IEEE-P1363 (r||s) form ([U] CloudFront expects DER)', () => {
    const ec = KEYS[1];
    const policy = cannedPolicy(SEGMENT, EXPIRES);
    const p1363 = toBase64Url(sign('sha1', Buffer.from(policy), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    const url = `${SEGMENT}?Expires=${EXPIRES}&Signature=${p1363}&Key-Pair-Id=${ec.id}`;
    expect(checkSignedAccess(requestFor(url), ec.trusted)).toEqual(denied('AccessDenied'));
  });

  it.each([
    ['an asterisk-form target', { rawPath: '*' }],
    ['an absolute-form target', { rawPath: `${SEGMENT}?Expires=1` }],
    ['a host with a path in it', { host: 'evil.example/x' }],
    ['a NaN clock', { nowSeconds: Number.NaN }],
  ])('denies, without throwing, a request with %s', (_what, overrides) => {
    const rsa = KEYS[0];
    const url = getSignedUrl({
      url: SEGMENT,
      dateLessThan: at(EXPIRES),
      keyPairId: rsa.id,
      privateKey: rsa.privateKeyPem,
    });
    expect(checkSignedAccess({ ...requestFor(url), ...overrides }, rsa.trusted)).toEqual(
      expect.objectContaining({ allowed: false, status: 403 }),
    );
  });
});
