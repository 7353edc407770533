/**
 * Published vectors, byte for byte. aws-sdk-js-v3: signatures over the aws-sdk-js-v3
 * test key (packages/cloudfront-signer/src/sign.spec.ts); only its public half is in the repo,
 * derived from the published private key. The AWS docs' cookie policy, whose signature is a
 * placeholder, so it is re-signed here to prove the IpAddress-before-DateLessThan key order.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { checkSignedAccess, type AccessDecision } from '../../local/edge/cloudfront-access';
import { parseKeyGroup } from '../../local/edge/key-group';
import { cookieHeader, handSign, requestFor, sdkTestPublicKeyPem, trustedMap } from './edge-test-kit';

const SDK_KEY_ID = 'APKAEIBAERJR2EXAMPLE';
const SDK_URL = 'https://d111111abcdef8.cloudfront.net/private-content/private.jpeg';
const EXPIRES = 1577836800; // "2020-01-01"
const BEFORE = EXPIRES - 1;

const CANNED_POLICY =
  '{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/private-content/private.jpeg","Condition":{"DateLessThan":{"AWS:EpochTime":1577836800}}}]}';
const SHA1_SIGNATURE =
  'NOai~fCNG523XBDM03BnCCZFJ0527Mdd31dfH5rqm1ewjuTt2uo8Eq9FCxFdKQhe2x-b2WXsaAuSa5lTQUtQrRAWmqTVxY-T9I8O0A26QI8agkU5TCA4EBwCaI6C8kvL5kpgQselQxP0j51842oCHXMCg2zSscihgPdi5Ml5QU0RTFPpSphxZRlLkhQSjcjAPSJwlvvuceogycsXHYMlqvfn1hv7DzPjF-53Xg1NSodBrs~IgG0zNsokIrv91xIdpNTOEIuovKLtsgPTE1UYMT880TqNrZFx56oPDmEwgBAf9jHJ2zyJvnj3f7XPsb46ofOp9eniUKAAh-zdOrCRbw__';
const SHA256_SIGNATURE =
  's8wfd5pn6qSmt8zgS4V5C5Vua~p~DjRB0uXXYB4r~oHEAJTPZQJ5fBNMpnqnTGvWQnQ9oddcxfBkl0bGG40~qU1F2WdwVYiZ3bLgH~sJ5JEhTOuLhL52victpEhcVI0NE84SdHFhXDGsvz7T2yxjHQOLzcHHbS8wmHwazYfboZiryaGFtAY-FhhmBcg2MHTxztL63WFrotXPiFl9Xlf5OSUPz--wUoL3R3NFf5tmuFmNwFAS4Mwv~p1M~MGFTdEPDNO-EVC83h792zNIq2bMDBvvDXTIFHIiOw7BRPiwMmOIInO9dMsmUGNYiTOwfa-lt19gb2i1MRg4AK-UIfbJfg__';
const IP_POLICY_B64 =
  'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9kMTExMTExYWJjZGVmOC5jbG91ZGZyb250Lm5ldC9wcml2YXRlLWNvbnRlbnQvcHJpdmF0ZS5qcGVnIiwiQ29uZGl0aW9uIjp7IkRhdGVMZXNzVGhhbiI6eyJBV1M6RXBvY2hUaW1lIjoxNTc3ODM2ODAwfSwiSXBBZGRyZXNzIjp7IkFXUzpTb3VyY2VJcCI6IjEwLjAuMC4wLzMyIn19fV19';
const IP_POLICY_SIGNATURE =
  'DTxGqnE6oKIfJYVszIM4aJ8fGgick6hqsRKqgbn-Miy1eXR0fdWm36KHZXuuYrZe5~nlR2qMvtDfb6Vuyv0jcRlSykLd-MHpcZHmZQLQdfBIxeqW~OKxvUEHFe5ZmOs4cqaOWY5F8vWTLqJ3EItX94ttULf4S7ak0fZrzt0gCqafk6JI8y5KDmwSqd7JVGrn2eQShulJZq7yYHjD4IqKHklRZ4XwSXbRa-15EJVhuKgsyCZMek-npVqjeVCWCbSRl8DBdUgq~UocDkBOilnsYvySnrGAAw9QynTOAI58smiSC~Y4DvfuqqXiAovtlSA4faZ38GcR4TlP~cUAgc~Slg__';

const denied = (code: string): AccessDecision =>
  expect.objectContaining({ allowed: false, status: 403, code }) as AccessDecision;

describe('aws-sdk-js-v3 test key vectors (from cloudfront-signer sign.spec.ts)', () => {
  const trusted = parseKeyGroup({ keys: [{ id: SDK_KEY_ID, publicKeyPem: sdkTestPublicKeyPem() }] }, 'fixture');
  const cannedUrl = (signature: string, extra = '') =>
    `${SDK_URL}?Expires=${EXPIRES}&Key-Pair-Id=${SDK_KEY_ID}&Signature=${signature}${extra}`;

  it('loads the committed public key: RSA-2048, the modulus of the published key', () => {
    const key = trusted.get(SDK_KEY_ID)?.publicKey;
    expect(key?.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(sdkTestPublicKeyPem()).toContain('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuHfxvylv0Igf');
  });

  it('allows the RSA-SHA1 canned URL (in the SDK spec parameter order) before 2020-01-01', () => {
    expect(checkSignedAccess(requestFor(cannedUrl(SHA1_SIGNATURE), { nowSeconds: BEFORE }), trusted)).toEqual({
      allowed: true,
      via: 'url',
      policy: 'canned',
    });
  });

  it('allows the RSA-SHA256 canned URL with Hash-Algorithm=SHA256 before 2020-01-01', () => {
    const req = requestFor(cannedUrl(SHA256_SIGNATURE, '&Hash-Algorithm=SHA256'), { nowSeconds: BEFORE });
    expect(checkSignedAccess(req, trusted)).toEqual({ allowed: true, via: 'url', policy: 'canned' });
  });

  it('allows the custom IpAddress 10.0.0.0/32 URL from 10.0.0.0 only', () => {
    const url = `${SDK_URL}?Policy=${IP_POLICY_B64}&Key-Pair-Id=${SDK_KEY_ID}&Signature=${IP_POLICY_SIGNATURE}`;
    expect(checkSignedAccess(requestFor(url, { nowSeconds: BEFORE, clientIp: '10.0.0.0' }), trusted)).toEqual({
      allowed: true,
      via: 'url',
      policy: 'custom',
    });
    expect(checkSignedAccess(requestFor(url, { nowSeconds: BEFORE, clientIp: '10.0.0.1' }), trusted)).toEqual(
      denied('AccessDenied'),
    );
  });

  it('accepts the same canned signatures as signed cookies (cookie signature == URL signature)', () => {
    const sha1 = cookieHeader({
      'CloudFront-Expires': EXPIRES,
      'CloudFront-Signature': SHA1_SIGNATURE,
      'CloudFront-Key-Pair-Id': SDK_KEY_ID,
    });
    const sha256 = `${cookieHeader({
      'CloudFront-Expires': EXPIRES,
      'CloudFront-Signature': SHA256_SIGNATURE,
      'CloudFront-Key-Pair-Id': SDK_KEY_ID,
    })}; CloudFront-Hash-Algorithm=SHA256`;
    for (const header of [sha1, sha256]) {
      expect(checkSignedAccess(requestFor(SDK_URL, { nowSeconds: BEFORE, cookieHeader: header }), trusted)).toEqual({
        allowed: true,
        via: 'cookie',
        policy: 'canned',
      });
    }
  });

  it('denies all three at now = 1577836800 ([U] now == DateLessThan counts as expired)', () => {
    const urls = [
      cannedUrl(SHA1_SIGNATURE),
      cannedUrl(SHA256_SIGNATURE, '&Hash-Algorithm=SHA256'),
      `${SDK_URL}?Policy=${IP_POLICY_B64}&Key-Pair-Id=${SDK_KEY_ID}&Signature=${IP_POLICY_SIGNATURE}`,
    ];
    for (const url of urls) {
      const req = requestFor(url, { nowSeconds: EXPIRES, clientIp: '10.0.0.0' });
      expect(checkSignedAccess(req, trusted)).toEqual(denied('AccessDenied'));
    }
  });

  it('denies the SHA-1 vector labelled SHA256 and the SHA-256 vector unlabelled', () => {
    for (const url of [cannedUrl(SHA1_SIGNATURE, '&Hash-Algorithm=SHA256'), cannedUrl(SHA256_SIGNATURE)]) {
      expect(checkSignedAccess(requestFor(url, { nowSeconds: BEFORE }), trusted)).toEqual(denied('AccessDenied'));
    }
  });

  it('rebuilds the canned policy byte for byte as the vectors were signed', () => {
    const ipPolicy = Buffer.from(IP_POLICY_B64.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '='), 'base64');
    expect(ipPolicy.toString('utf8')).toBe(
      CANNED_POLICY.replace('}}}]}', '},"IpAddress":{"AWS:SourceIp":"10.0.0.0/32"}}}]}'),
    );
  });
});

describe('AWS docs custom-policy cookie (AWS CloudFront Developer Guide, custom-policy signed cookies)', () => {
  const DOC_POLICY_B64 =
    'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cDovL2QxMTExMTFhYmNkZWY4LmNsb3VkZnJvbnQubmV0L2dhbWVfZG93bmxvYWQuemlwIiwiQ29uZGl0aW9uIjp7IklwQWRkcmVzcyI6eyJBV1M6U291cmNlSXAiOiIxOTIuMC4yLjAvMjQifSwiRGF0ZUxlc3NUaGFuIjp7IkFXUzpFcG9jaFRpbWUiOjE0MjY1MDAwMDB9fX1dfQ__';
  const DOC_POLICY =
    '{"Statement":[{"Resource":"http://d111111abcdef8.cloudfront.net/game_download.zip","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateLessThan":{"AWS:EpochTime":1426500000}}}]}';
  const DOC_URL = 'http://d111111abcdef8.cloudfront.net/game_download.zip';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const trusted = trustedMap('K2DOCSEXAMPLE', createPublicKey(privateKey));
  // The docs' signature is a placeholder; sign the exact decoded bytes with a test key instead.
  const header = cookieHeader({
    'CloudFront-Policy': DOC_POLICY_B64,
    'CloudFront-Signature': handSign(DOC_POLICY, privateKey),
    'CloudFront-Key-Pair-Id': 'K2DOCSEXAMPLE',
  });

  it('decodes to the documented policy, IpAddress before DateLessThan', () => {
    const decoded = Buffer.from(DOC_POLICY_B64.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '='), 'base64');
    expect(decoded.toString('utf8')).toBe(DOC_POLICY);
  });

  it('allows a 192.0.2.0/24 viewer before 1426500000 whatever the key order inside Condition', () => {
    const req = requestFor(DOC_URL, { cookieHeader: header, clientIp: '192.0.2.55', nowSeconds: 1426499999 });
    expect(checkSignedAccess(req, trusted)).toEqual({ allowed: true, via: 'cookie', policy: 'custom' });
  });

  it('denies a viewer outside 192.0.2.0/24, and everyone at 1426500000', () => {
    const outside = requestFor(DOC_URL, { cookieHeader: header, clientIp: '192.0.3.1', nowSeconds: 1426499999 });
    const late = requestFor(DOC_URL, { cookieHeader: header, clientIp: '192.0.2.55', nowSeconds: 1426500000 });
    expect(checkSignedAccess(outside, trusted)).toEqual(denied('AccessDenied'));
    expect(checkSignedAccess(late, trusted)).toEqual(denied('AccessDenied'));
  });
});
