/**
 * The one check of a key against the types CloudFront accepts in a key group
 * (lambda/core/cloudfront-key-types.ts): RSA-2048 and ECDSA P-256, public or private, and every
 * other key refused with what it is and what would be accepted. Real node:crypto keys.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  CLOUDFRONT_KEY_ALGORITHMS,
  cloudFrontKeyAlgorithmOf,
  generateCloudFrontKeyPair,
  isCloudFrontKeyAlgorithm,
  unacceptedKeyReason,
} from '../../lambda/core/cloudfront-key-types';

test.each(CLOUDFRONT_KEY_ALGORITHMS)(
  'a %s pair it generates is of that type, private and public half alike',
  (algorithm) => {
    const { privateKey, publicKey } = generateCloudFrontKeyPair(algorithm);
    expect(cloudFrontKeyAlgorithmOf(privateKey)).toBe(algorithm);
    expect(cloudFrontKeyAlgorithmOf(publicKey)).toBe(algorithm);
    expect(unacceptedKeyReason(privateKey)).toBeUndefined();
  },
);

test('keys of other sizes, curves and kinds are refused, each saying what it is and what is accepted', () => {
  const refused = [
    [generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'RSA-1024; only RSA-2048 is accepted'],
    [generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey, 'RSA-3072; only RSA-2048 is accepted'],
    [generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey, 'EC secp384r1; only EC P-256 is accepted'],
    [generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey, 'EC secp256k1; only EC P-256 is accepted'],
    [generateKeyPairSync('ed25519').privateKey, 'a ed25519 key; only RSA-2048 or EC P-256 is accepted'],
  ] as const;
  for (const [key, reason] of refused) {
    expect(cloudFrontKeyAlgorithmOf(key)).toBeUndefined();
    expect(unacceptedKeyReason(key)).toBe(reason);
  }
});

test('only the deploy config names of the accepted types are key algorithms', () => {
  expect(CLOUDFRONT_KEY_ALGORITHMS.filter(isCloudFrontKeyAlgorithm)).toEqual(['RSA_2048', 'ECDSA_P256']);
  for (const value of ['rsa_2048', 'RSA-2048', 'ECDSA_P384', 'ES256', '', undefined, 2048]) {
    expect(isCloudFrontKeyAlgorithm(value)).toBe(false);
  }
});
