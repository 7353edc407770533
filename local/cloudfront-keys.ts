/**
 * Local mode's CloudFront key pair: generated on first start into the git-ignored local folder
 * (private key 0600) with a key-group file the local edge trusts, and reused on later starts.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCloudFrontKeyPair } from '../lambda/core/cloudfront-key-types';
import { readOrCreatePrivateKeyPem } from './private-key-file';

export interface LocalCloudFrontKey {
  keyPairId: string;
  privateKeyFile: string;
  keyGroupFile: string;
}

export const PRIVATE_KEY_FILE = 'cloudfront-private.pem';
export const KEY_GROUP_FILE = 'key-group.json';

export function ensureCloudFrontKey(dir: string): LocalCloudFrontKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKeyFile = join(dir, PRIVATE_KEY_FILE);
  const keyGroupFile = join(dir, KEY_GROUP_FILE);
  // RSA-2048: the default key type (docs/design.md), and the cheaper one to verify at the edge.
  const pem = readOrCreatePrivateKeyPem(privateKeyFile, () => generateCloudFrontKeyPair('RSA_2048').privateKey);
  const activeId = activeKeyId(keyGroupFile);
  if (activeId !== undefined) return { keyPairId: activeId, privateKeyFile, keyGroupFile };

  const keyPairId = `KLOCAL${randomBytes(5).toString('hex').toUpperCase()}`;
  const publicKeyPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString().trim();
  writeFileSync(keyGroupFile, `${JSON.stringify({ keys: [{ id: keyPairId, publicKeyPem }] }, null, 2)}\n`);
  return { keyPairId, privateKeyFile, keyGroupFile };
}

/** The first key of an existing key-group file is the one local mode signs with. */
function activeKeyId(keyGroupFile: string): string | undefined {
  if (!existsSync(keyGroupFile)) return undefined;
  const parsed = JSON.parse(readFileSync(keyGroupFile, 'utf8')) as { keys?: { id?: unknown }[] };
  const id = parsed.keys?.[0]?.id;
  return typeof id === 'string' ? id : undefined;
}
