/**
 * What the tests that build the real MediaSigner directly share: a signing config (media on
 * https://video.example.com, 5-minute grants, no IP binding) and a new key of a type CloudFront
 * accepts, with its public half for verifying what the signer hands out.
 */
import type { KeyObject } from 'node:crypto';
import { type CloudFrontKeyAlgorithm, generateCloudFrontKeyPair } from '../../lambda/core/cloudfront-key-types';
import type { SigningConfig } from '../../lambda/core/config';
import type { SigningKey } from '../../lambda/runtime/signing-key';

export const MEDIA_BASE = 'https://video.example.com';

export function signingConfig(overrides: Partial<SigningConfig> = {}): SigningConfig {
  return {
    mediaBaseUrl: MEDIA_BASE,
    manifestName: 'index.m3u8',
    ttlSeconds: 300,
    bindViewerIp: false,
    key: { kind: 'file', path: '(in memory)' },
    keyRefreshSeconds: 60,
    hashAlgorithm: 'SHA256',
    ...overrides,
  };
}

export function newSigningKey(
  algorithm: CloudFrontKeyAlgorithm,
  keyPairId = 'KTEST',
): SigningKey & { publicKey: KeyObject } {
  const { privateKey, publicKey } = generateCloudFrontKeyPair(algorithm);
  return {
    keyPairId,
    privateKey,
    publicKey,
    type: algorithm === 'RSA_2048' ? 'rsa-2048' : 'ecdsa-p256',
    hashAlgorithm: 'SHA256',
  };
}
