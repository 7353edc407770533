/**
 * A private key kept in a local (git-ignored) file: read if present, else generated and stored
 * with mode 0600. Creation is atomic, so two processes starting at once on an empty folder end
 * up with the same key.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createFileOnce, readIfPresent } from './atomic-file';

/** The PEM at `path`, creating it from `generate()` if there is none yet. */
export function readOrCreatePrivateKeyPem(path: string, generate: () => KeyObject): string {
  return readIfPresent(path) ?? createKeyFile(path, generate);
}

function createKeyFile(path: string, generate: () => KeyObject): string {
  const pem = generate().export({ type: 'pkcs8', format: 'pem' }).toString();
  return createFileOnce(path, pem, 0o600) ? pem : readFileSync(path, 'utf8');
}
