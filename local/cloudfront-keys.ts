/**
 * Local mode's CloudFront key pair: generated on first start into the git-ignored local folder
 * (private key 0600) with a key-group file the local edge trusts, and reused on later starts.
 * The API reads the active slot, `signing-key.json` (the same key document the deployed secret
 * holds: private key + key pair id); `npm run rotate-keys` (local/signing-key-rotation.ts)
 * replaces it the way the deployed rotation does. The key type is RSA-2048 unless
 * STREAMGATE_KEY_ALGORITHM says ECDSA_P256 (the deployed `signing.keyAlgorithm`); a folder whose
 * key is of the other type is switched by a rotation at start (local/signing-key-rotation.ts).
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLOUDFRONT_KEY_ALGORITHMS,
  type CloudFrontKeyAlgorithm,
  generateCloudFrontKeyPair,
  isCloudFrontKeyAlgorithm,
} from '../lambda/core/cloudfront-key-types';
import { keyVersionOf } from '../lambda/core/signing-key-rotation';
import { createFileOnce } from './atomic-file';
import { readOrCreatePrivateKeyPem } from './private-key-file';

export interface LocalCloudFrontKey {
  keyPairId: string;
  /** The active slot's key document, what the API signs with (SIGNING_KEY_FILE). */
  privateKeyFile: string;
  keyGroupFile: string;
}

/** The first key pair, as PEM (kept: older local folders and the bench read it). */
export const PRIVATE_KEY_FILE = 'cloudfront-private.pem';
export const KEY_GROUP_FILE = 'key-group.json';
/** The active slot (AWSCURRENT deployed). */
export const ACTIVE_KEY_FILE = 'signing-key.json';
/** Every public key "in the account", with the name the rotation gave it (the key group file has ids only). */
export const PUBLIC_KEYS_FILE = 'public-keys.json';

/** The environment variable that picks local mode's key type (`npm start`, `npm run rotate-keys`). */
export const KEY_ALGORITHM_VARIABLE = 'STREAMGATE_KEY_ALGORITHM';

/** The key type local mode signs with: the variable's value, RSA_2048 when unset. */
export function localKeyAlgorithm(value: string | undefined): CloudFrontKeyAlgorithm {
  if (value === undefined || value === '') return 'RSA_2048';
  if (isCloudFrontKeyAlgorithm(value)) return value;
  throw new Error(`${KEY_ALGORITHM_VARIABLE}: must be one of ${CLOUDFRONT_KEY_ALGORITHMS.join(', ')}, got "${value}"`);
}

/** The folder's active key, made on first use (of `algorithm`); an existing key is kept whatever its type. */
export function ensureCloudFrontKey(dir: string, algorithm: CloudFrontKeyAlgorithm = 'RSA_2048'): LocalCloudFrontKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const activeKeyFile = join(dir, ACTIVE_KEY_FILE);
  const keyGroupFile = join(dir, KEY_GROUP_FILE);
  const active = existsSync(activeKeyFile) ? keyVersionOf(readFileSync(activeKeyFile, 'utf8'), 'local') : undefined;
  if (active?.keyPairId !== undefined)
    return { keyPairId: active.keyPairId, privateKeyFile: activeKeyFile, keyGroupFile };

  const pem = readOrCreatePrivateKeyPem(
    join(dir, PRIVATE_KEY_FILE),
    () => generateCloudFrontKeyPair(algorithm).privateKey,
  );
  const publicKeyPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString().trim();
  let keyPairId = firstKeyId(keyGroupFile);
  if (keyPairId === undefined) {
    keyPairId = `KLOCAL${randomBytes(5).toString('hex').toUpperCase()}`;
    writeFileSync(keyGroupFile, `${JSON.stringify({ keys: [{ id: keyPairId, publicKeyPem }] }, null, 2)}\n`);
  }
  const publicKeysFile = join(dir, PUBLIC_KEYS_FILE);
  if (!existsSync(publicKeysFile)) {
    const keys = [{ id: keyPairId, name: 'local-initial', publicKeyPem }];
    writeFileSync(publicKeysFile, `${JSON.stringify({ keys }, null, 2)}\n`);
  }
  const now = Math.floor(Date.now() / 1000);
  const document = { privateKey: pem, keyPairId, versionId: 'local-initial', createdAt: now, activatedAt: now };
  // Two processes starting at once on a fresh folder write the same document: the first one wins.
  createFileOnce(activeKeyFile, `${JSON.stringify(document, null, 2)}\n`, 0o600);
  const written = keyVersionOf(readFileSync(activeKeyFile, 'utf8'), 'local');
  return { keyPairId: written?.keyPairId ?? keyPairId, privateKeyFile: activeKeyFile, keyGroupFile };
}

/** The first key of an existing key-group file is the one a fresh folder signs with. */
function firstKeyId(keyGroupFile: string): string | undefined {
  if (!existsSync(keyGroupFile)) return undefined;
  const parsed = JSON.parse(readFileSync(keyGroupFile, 'utf8')) as { keys?: { id?: unknown }[] };
  const id = parsed.keys?.[0]?.id;
  return typeof id === 'string' ? id : undefined;
}
