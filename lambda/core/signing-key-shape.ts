/**
 * What signs a grant: the CloudFront key pair's id and private key, with its type and hash. Here,
 * not in lambda/runtime/signing-key.ts (which loads it), so the signer in core needs nothing from
 * the runtime above it.
 */
import type { KeyObject } from 'node:crypto';
import type { HashAlgorithm } from './config';

/** The two key types CloudFront accepts in a key group. */
export type SigningKeyType = 'rsa-2048' | 'ecdsa-p256';

export interface SigningKey {
  keyPairId: string;
  privateKey: KeyObject;
  type: SigningKeyType;
  hashAlgorithm: HashAlgorithm;
}
