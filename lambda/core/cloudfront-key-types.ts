/**
 * The key types CloudFront accepts in a key group for signed URLs and cookies: RSA-2048 and
 * ECDSA P-256 (docs/cloudfront-rules.md, "Encoding, signature, hash and keys"). The one check
 * of a key against them, for every side: the deploy config and the key generator (lib/), the
 * playback function's signing key (signing-key.ts) and the local edge's key group
 * (local/edge/). node:crypto only.
 */
import { generateKeyPairSync, type KeyObject, type KeyPairKeyObjectResult } from 'node:crypto';

/** The deploy config's names of the accepted types (`signing.keyAlgorithm`). */
export const CLOUDFRONT_KEY_ALGORITHMS = ['RSA_2048', 'ECDSA_P256'] as const;
export type CloudFrontKeyAlgorithm = (typeof CLOUDFRONT_KEY_ALGORITHMS)[number];

type KeySpec =
  | { readonly label: string; readonly asymmetricKeyType: 'rsa'; readonly modulusLength: number }
  | { readonly label: string; readonly asymmetricKeyType: 'ec'; readonly namedCurve: string };

/** What each accepted type is, in node:crypto's terms (`prime256v1` is P-256). */
export const CLOUDFRONT_KEY_TYPES: { readonly [A in CloudFrontKeyAlgorithm]: KeySpec } = {
  RSA_2048: { label: 'RSA-2048', asymmetricKeyType: 'rsa', modulusLength: 2048 },
  ECDSA_P256: { label: 'EC P-256', asymmetricKeyType: 'ec', namedCurve: 'prime256v1' },
};

export function isCloudFrontKeyAlgorithm(value: unknown): value is CloudFrontKeyAlgorithm {
  return CLOUDFRONT_KEY_ALGORITHMS.some((algorithm) => algorithm === value);
}

/** Which accepted type a key (public or private) is, or undefined when CloudFront would refuse it. */
export function cloudFrontKeyAlgorithmOf(key: KeyObject): CloudFrontKeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  return CLOUDFRONT_KEY_ALGORITHMS.find((algorithm) => {
    const spec = CLOUDFRONT_KEY_TYPES[algorithm];
    if (spec.asymmetricKeyType !== key.asymmetricKeyType) return false;
    return spec.asymmetricKeyType === 'rsa'
      ? details.modulusLength === spec.modulusLength
      : details.namedCurve === spec.namedCurve;
  });
}

/** Why CloudFront would refuse this key, or undefined when it is of an accepted type. */
export function unacceptedKeyReason(key: KeyObject): string | undefined {
  if (cloudFrontKeyAlgorithmOf(key) !== undefined) return undefined;
  const details = key.asymmetricKeyDetails ?? {};
  const { RSA_2048: rsa, ECDSA_P256: ec } = CLOUDFRONT_KEY_TYPES;
  if (key.asymmetricKeyType === 'rsa') return `RSA-${details.modulusLength ?? '?'}; only ${rsa.label} is accepted`;
  if (key.asymmetricKeyType === 'ec') return `EC ${details.namedCurve ?? '?'}; only ${ec.label} is accepted`;
  return `a ${key.asymmetricKeyType ?? 'unknown'} key; only ${rsa.label} or ${ec.label} is accepted`;
}

/** A new key pair of an accepted type. */
export function generateCloudFrontKeyPair(algorithm: CloudFrontKeyAlgorithm): KeyPairKeyObjectResult {
  const spec = CLOUDFRONT_KEY_TYPES[algorithm];
  return spec.asymmetricKeyType === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: spec.modulusLength })
    : generateKeyPairSync('ec', { namedCurve: spec.namedCurve });
}
