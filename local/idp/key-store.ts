/**
 * The dev IdP's ES256 signing key, kept in a local folder so tokens stay valid across restarts:
 * created on first use, reused afterwards. Creation is atomic, so two processes starting at
 * once on an empty folder end up with the same key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOrCreatePrivateKeyPem } from '../private-key-file';

export const PRIVATE_KEY_FILE = 'dev-idp-es256.private.pem';
export const PUBLIC_JWKS_FILE = 'dev-idp.jwks.json';

export interface SigningKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Reads the key in `dir`, or generates and stores one if there is none yet. */
export function loadOrCreateSigningKey(dir: string): SigningKeyPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, PRIVATE_KEY_FILE);
  const pem = readOrCreatePrivateKeyPem(path, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${path} is not an EC P-256 private key; delete it to have a new one generated`);
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Stores the public key set next to the key, for tools that read a file instead of the endpoint. */
export function writePublicJwks(dir: string, jwks: object): void {
  const temp = join(dir, `.${PUBLIC_JWKS_FILE}.${randomUUID()}`);
  writeFileSync(temp, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  renameSync(temp, join(dir, PUBLIC_JWKS_FILE));
}
