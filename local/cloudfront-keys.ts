/**
 * Local mode's CloudFront key pair: generated on first start into the git-ignored local folder
 * (private key 0600) with a key-group file the local edge trusts, and reused on later starts.
 * The API reads the active slot, `signing-key.json` (the same key document the deployed secret
 * holds: private key + key pair id); `npm run rotate-keys` (local/signing-key-rotation.ts)
 * replaces it the way the deployed rotation does.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCloudFrontKeyPair } from '../lambda/core/cloudfront-key-types';
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

export function ensureCloudFrontKey(dir: string): LocalCloudFrontKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const activeKeyFile = join(dir, ACTIVE_KEY_FILE);
  const keyGroupFile = join(dir, KEY_GROUP_FILE);
  const active = existsSync(activeKeyFile) ? keyVersionOf(readFileSync(activeKeyFile, 'utf8'), 'local') : undefined;
  if (active?.keyPairId !== undefined)
    return { keyPairId: active.keyPairId, privateKeyFile: activeKeyFile, keyGroupFile };

  // RSA-2048: the default key type (docs/design.md), and the cheaper one to verify at the edge.
  const pem = readOrCreatePrivateKeyPem(
    join(dir, PRIVATE_KEY_FILE),
    () => generateCloudFrontKeyPair('RSA_2048').privateKey,
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
