/**
 * The CloudFront signing key: loaded from the active slot (Secrets Manager's AWSCURRENT when
 * deployed, a git-ignored file locally), parsed once per load into a KeyObject, re-read when a
 * rotation may have switched it, and never logged.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cloudFrontKeyAlgorithmOf, type CloudFrontKeyAlgorithm } from '../core/cloudfront-key-types';
import { ConfigError, type SigningConfig } from '../core/config';
import { SigningKeyUnavailable } from '../core/errors';
import type { SigningKey, SigningKeyType } from '../core/signing-key-shape';
import { readSecret } from './secrets';

export type { SigningKey, SigningKeyType };

const SIGNING_KEY_TYPES: Record<CloudFrontKeyAlgorithm, SigningKeyType> = {
  RSA_2048: 'rsa-2048',
  ECDSA_P256: 'ecdsa-p256',
};

/** Parses a PEM private key and checks it is one CloudFront accepts; `source` names where it came from. */
export function parsePrivateKey(pem: string, source: string): { privateKey: KeyObject; type: SigningKeyType } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    // The parser's message may quote key bytes: never pass it on.
    throw new ConfigError(source, 'does not hold a readable PEM private key');
  }
  const algorithm = cloudFrontKeyAlgorithmOf(privateKey);
  if (algorithm !== undefined) return { privateKey, type: SIGNING_KEY_TYPES[algorithm] };
  throw new ConfigError(source, 'must be an RSA-2048 or ECDSA P-256 private key (the types CloudFront accepts)');
}

export async function loadSigningKey(config: SigningConfig, secrets: () => SecretsManagerClient): Promise<SigningKey> {
  const source = config.key;
  const variable = source.kind === 'file' ? 'SIGNING_KEY_FILE' : 'SIGNING_KEY_SECRET_ARN';
  let text: string | undefined;
  if (source.kind === 'file') {
    // Read synchronously: once per refresh, and node:fs/promises costs a cold start more to load.
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (error) {
      throw new ConfigError('SIGNING_KEY_FILE', `cannot read ${source.path}`, { cause: error });
    }
  } else {
    text = await readSecret(secrets(), source.secretArn, 'SIGNING_KEY_SECRET_ARN');
  }
  const document = keyDocument(text, variable);
  const keyPairId = document.keyPairId ?? config.keyPairId;
  if (keyPairId === undefined) {
    throw new ConfigError(
      'SIGNING_KEY_PAIR_ID',
      `is required when ${variable} holds a bare PEM key (a rotated key document names its own key pair id)`,
    );
  }
  return { keyPairId, hashAlgorithm: config.hashAlgorithm, ...parsePrivateKey(document.pem, variable) };
}

/**
 * The active signing key, re-read from its slot at most every `keyRefreshSeconds`: a rotation
 * (lambda/core/signing-key-rotation.ts) switches the slot, and each signer follows within that
 * period, which is part of the overlap the rotation waits before retiring the old key. A signer
 * never uses a key older than the period: when the re-read fails it refuses to sign (503).
 */
export class ActiveSigningKey {
  private loadedAt: number;
  private fileStamp: number | undefined;
  private reloading?: Promise<void>;

  private constructor(
    private key: SigningKey,
    private readonly load: () => Promise<SigningKey>,
    private readonly config: SigningConfig,
    private readonly nowMs: () => number,
  ) {
    this.loadedAt = nowMs();
    this.fileStamp = fileStamp(config);
  }

  static async create(
    config: SigningConfig,
    secrets: () => SecretsManagerClient,
    nowMs: () => number = Date.now,
  ): Promise<ActiveSigningKey> {
    const load = () => loadSigningKey(config, secrets);
    return new ActiveSigningKey(await load(), load, config, nowMs);
  }

  /**
   * The key to sign with now. A key file (local mode) is re-read here when it changed; a secret
   * cannot be read synchronously, so deployed handlers call `refresh()` before signing.
   */
  current(): SigningKey {
    if (this.config.key.kind === 'file') {
      const stamp = fileStamp(this.config);
      if (stamp !== undefined && stamp !== this.fileStamp) {
        // A half-renamed or unreadable file keeps the last good key until the next change.
        try {
          this.key = loadFileKeySync(this.config);
          this.fileStamp = stamp;
          this.loadedAt = this.nowMs();
        } catch {
          // keep the key loaded last
        }
      }
    } else if (this.nowMs() - this.loadedAt > this.config.keyRefreshSeconds * 1000 * 2) {
      throw new SigningKeyUnavailable('the active signing key was not refreshed in time');
    }
    return this.key;
  }

  /** Re-reads the active slot when the key is older than the refresh period. */
  async refresh(): Promise<void> {
    if (this.nowMs() - this.loadedAt < this.config.keyRefreshSeconds * 1000) return;
    this.reloading ??= this.load()
      .then((key) => {
        this.key = key;
        this.loadedAt = this.nowMs();
      })
      .catch((error: unknown) => {
        throw new SigningKeyUnavailable(error instanceof Error ? error.message : 'unknown error', { cause: error });
      })
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }
}

function fileStamp(config: SigningConfig): number | undefined {
  if (config.key.kind !== 'file') return undefined;
  try {
    return statSync(config.key.path).mtimeMs;
  } catch {
    return undefined;
  }
}

function loadFileKeySync(config: SigningConfig): SigningKey {
  const path = config.key.kind === 'file' ? config.key.path : '';
  const document = keyDocument(readFileSync(path, 'utf8'), 'SIGNING_KEY_FILE');
  const keyPairId = document.keyPairId ?? config.keyPairId;
  if (keyPairId === undefined) throw new ConfigError('SIGNING_KEY_PAIR_ID', 'is required for a bare PEM key file');
  return { keyPairId, hashAlgorithm: config.hashAlgorithm, ...parsePrivateKey(document.pem, 'SIGNING_KEY_FILE') };
}

/**
 * The slot holds the PEM itself, or a key document `{"privateKey": "<PEM>", "keyPairId": "K…"}`
 * (what the rotation writes: the key and the id CloudFront knows its public key by, together).
 */
function keyDocument(text: string | undefined, variable: string): { pem: string; keyPairId?: string } {
  if (text === undefined) throw new ConfigError(variable, 'secret has no string value');
  if (!text.trimStart().startsWith('{')) return { pem: text };
  try {
    const parsed = JSON.parse(text) as { privateKey?: unknown; keyPairId?: unknown };
    if (typeof parsed.privateKey === 'string') {
      const keyPairId = parsed.keyPairId;
      if (keyPairId !== undefined && (typeof keyPairId !== 'string' || !/^[A-Z0-9]{1,64}$/.test(keyPairId))) {
        throw new ConfigError(variable, 'key document "keyPairId" must be a CloudFront public key id');
      }
      return { pem: parsed.privateKey, keyPairId };
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // fall through to the error below
  }
  throw new ConfigError(variable, 'secret JSON must have a "privateKey" string');
}
