/**
 * One streamgate per local folder. Its persisted dynalite is LevelDB, which admits one process
 * and tells a second one so only through a stack trace; this lock says it in one sentence. The
 * file holds the owner's pid; a lock whose owner died (a crash, kill -9) is taken over.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFileOnce, readIfPresent } from './atomic-file';

export const LOCK_FILE = 'streamgate.lock';

/** The folder is held by a live process. */
export class FolderInUse extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `another streamgate (pid ${pid}) is running on ${dir}; stop it or set STREAMGATE_LOCAL_DIR to another folder`,
    );
    this.name = 'FolderInUse';
  }
}

export interface FolderLock {
  /** Removes the lock if this process still holds it. */
  release(): void;
}

export function lockFolder(dir: string): FolderLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, LOCK_FILE);
  // Two tries: the second after removing a dead owner's lock. Two processes taking over the
  // same dead lock at once could both succeed; LevelDB's own lock still stops the second.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (createFileOnce(file, `${process.pid}\n`, 0o644)) return { release: () => releaseIfOwned(file) };
    const owner = ownerOf(file);
    if (owner !== undefined && isRunning(owner)) throw new FolderInUse(dir, owner);
    rmSync(file, { force: true });
  }
  throw new Error(`${file}: another process keeps taking this lock; stop the other streamgate or delete the file`);
}

function ownerOf(file: string): number | undefined {
  const pid = Number(readIfPresent(file)?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Signal 0 checks that the process exists; EPERM means it does, under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOwned(file: string): void {
  if (ownerOf(file) === process.pid) rmSync(file, { force: true });
}
