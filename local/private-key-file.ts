/**
 * A private key kept in a local (git-ignored) file: read if present, else generated and stored
 * with mode 0600. Creation is atomic (temp file + link), so two processes starting at once on an
 * empty folder end up with the same key.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** The PEM at `path`, creating it from `generate()` if there is none yet. */
export function readOrCreatePrivateKeyPem(path: string, generate: () => KeyObject): string {
  return readIfPresent(path) ?? createKeyFile(path, generate);
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function createKeyFile(path: string, generate: () => KeyObject): string {
  const pem = generate().export({ type: 'pkcs8', format: 'pem' }).toString();
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, pem, { mode: 0o600 });
  try {
    linkSync(temp, path);
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8');
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}
