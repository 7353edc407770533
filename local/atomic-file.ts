/**
 * Files that several local processes may create at once: each appears whole (temp file + link)
 * or not at all, so a reader never sees one half-written.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Creates `path` holding `content`; false, leaving it as it is, if it already exists. */
export function createFileOnce(path: string, content: string, mode: number): boolean {
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, content, { mode });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The file's text, or undefined if there is no such file. */
export function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Replaces `path` with `content`: a reader sees the old file or the new one, never half of one. */
export function writeAtomically(path: string, content: string, mode = 0o600): void {
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, content, { mode });
  renameSync(temp, path);
}
