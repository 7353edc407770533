/**
 * The CloudFront signing key: loaded once per process (Secrets Manager when deployed, a
 * git-ignored file locally), parsed once into a KeyObject, and never logged.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, type HashAlgorithm, type SigningConfig } from '../core/config';
import { readSecret } from './secrets';

/** The two key types CloudFront accepts in a key group. */
export type SigningKeyType = 'rsa-2048' | 'ecdsa-p256';

export interface SigningKey {
  keyPairId: string;
  privateKey: KeyObject;
  type: SigningKeyType;
  hashAlgorithm: HashAlgorithm;
}

/** Parses a PEM private key and checks it is one CloudFront accepts; `source` names where it came from. */
export function parsePrivateKey(pem: string, source: string): { privateKey: KeyObject; type: SigningKeyType } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    // The parser's message may quote key bytes: never pass it on.
    throw new ConfigError(source, 'does not hold a readable PEM private key');
  }
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return { privateKey, type: 'rsa-2048' };
  if (privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return { privateKey, type: 'ecdsa-p256' };
  throw new ConfigError(source, 'must be an RSA-2048 or ECDSA P-256 private key (the types CloudFront accepts)');
}

export async function loadSigningKey(config: SigningConfig, secrets: () => SecretsManagerClient): Promise<SigningKey> {
  const source = config.key;
  let pem: string;
  if (source.kind === 'file') {
    // Read synchronously: once per process, at init, and node:fs/promises costs a cold start more to load.
    try {
      pem = readFileSync(source.path, 'utf8');
    } catch {
      throw new ConfigError('SIGNING_KEY_FILE', `cannot read ${source.path}`);
    }
  } else {
    pem = pemFromSecret(await readSecret(secrets(), source.secretArn, 'SIGNING_KEY_SECRET_ARN'));
  }
  const variable = source.kind === 'file' ? 'SIGNING_KEY_FILE' : 'SIGNING_KEY_SECRET_ARN';
  return { keyPairId: config.keyPairId, hashAlgorithm: config.hashAlgorithm, ...parsePrivateKey(pem, variable) };
}

/** The secret holds the PEM itself, or JSON `{"privateKey": "<PEM>"}`. */
function pemFromSecret(secret: string | undefined): string {
  if (secret === undefined) throw new ConfigError('SIGNING_KEY_SECRET_ARN', 'secret has no string value');
  if (!secret.trimStart().startsWith('{')) return secret;
  try {
    const parsed: unknown = JSON.parse(secret);
    const pem = (parsed as { privateKey?: unknown }).privateKey;
    if (typeof pem === 'string') return pem;
  } catch {
    // fall through to the error below
  }
  throw new ConfigError('SIGNING_KEY_SECRET_ARN', 'secret JSON must have a "privateKey" string');
}
