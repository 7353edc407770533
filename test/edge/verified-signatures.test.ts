/**
 * The edge's verified-signature cache saves the public-key operation only: every request still
 * gets the policy's conditions checked, a bad signature is never remembered, and a key replaced
 * under the same Key-Pair-Id starts from nothing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { checkSignedAccess, VerifiedSignatures } from '../../local/edge/cloudfront-access';
import {
  cookieHeader,
  customPolicy,
  generateTestKey,
  handSign,
  NOW,
  ORIGIN,
  requestFor,
  toBase64Url,
  trustedMap,
  VIEWER_IP,
} from './edge-test-kit';

const key = generateTestKey('RSA-2048', 'K2CACHETEST');
const policy = customPolicy({ resource: `${ORIGIN}/media/a/*`, dateLessThan: NOW + 60, sourceIp: `${VIEWER_IP}/32` });
const cookies = cookieHeader({
  'CloudFront-Policy': toBase64Url(policy),
  'CloudFront-Signature': handSign(policy, key.privateKey),
  'CloudFront-Key-Pair-Id': key.id,
});

test('a remembered signature still has its dates, IP and resource checked on every request', () => {
  const verified = new VerifiedSignatures();
  const allow = (url: string, extra = {}) =>
    checkSignedAccess(requestFor(url, { cookieHeader: cookies, ...extra }), key.trusted, verified).allowed;
  expect(allow(`${ORIGIN}/media/a/seg-1.ts`)).toBe(true);
  expect(allow(`${ORIGIN}/media/a/seg-2.ts`)).toBe(true);
  expect(allow(`${ORIGIN}/media/b/seg-1.ts`)).toBe(false);
  expect(allow(`${ORIGIN}/media/a/seg-1.ts`, { nowSeconds: NOW + 60 })).toBe(false);
  expect(allow(`${ORIGIN}/media/a/seg-1.ts`, { clientIp: '198.51.100.1' })).toBe(false);
});

test('a bad signature is refused every time, never remembered', () => {
  const verified = new VerifiedSignatures();
  const forged = cookies.replace(/CloudFront-Signature=([^;]{10})/, 'CloudFront-Signature=AAAAAAAAAA');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    expect(
      checkSignedAccess(requestFor(`${ORIGIN}/media/a/seg-1.ts`, { cookieHeader: forged }), key.trusted, verified)
        .allowed,
    ).toBe(false);
  }
});

test('a key replaced under the same Key-Pair-Id does not inherit what the old key verified', () => {
  const verified = new VerifiedSignatures();
  const request = requestFor(`${ORIGIN}/media/a/seg-1.ts`, { cookieHeader: cookies });
  expect(checkSignedAccess(request, key.trusted, verified).allowed).toBe(true);
  const replaced = trustedMap(key.id, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
  expect(checkSignedAccess(request, replaced, verified).allowed).toBe(false);
});

test('the cache is bounded per key', () => {
  const verified = new VerifiedSignatures(2);
  const entries = ['a', 'b', 'c'];
  for (const entry of entries) verified.add(key.trusted.get(key.id)!.publicKey, entry);
  expect(entries.map((entry) => verified.has(key.trusted.get(key.id)!.publicKey, entry))).toEqual([false, true, true]);
});
