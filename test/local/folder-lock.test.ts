/**
 * One streamgate per local folder (local/folder-lock.ts): the lock names its owner, a live owner
 * keeps it and is named in one sentence, a dead owner's or an unreadable lock is taken over, and
 * only the owner's release removes it. `npm start` itself, twice on one folder:
 * test/local/npm-start.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderInUse, LOCK_FILE, lockFolder } from '../../local/folder-lock';

const folder = () => join(mkdtempSync(join(tmpdir(), 'streamgate-lock-')), 'local');

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('the lock holds its owner; a second taker is refused naming the owner and the way out; release frees it', () => {
  const dir = folder();
  const lock = lockFolder(dir);
  expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
  expect(() => lockFolder(dir)).toThrow(FolderInUse);
  expect(() => lockFolder(dir)).toThrow(
    `another streamgate (pid ${process.pid}) is running on ${dir}; stop it or set STREAMGATE_LOCAL_DIR to another folder`,
  );
  lock.release();
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  lockFolder(dir).release();
});

test("a dead owner's lock, or one that names no process, is taken over", () => {
  for (const content of [`${deadPid()}\n`, 'not a pid\n', '']) {
    const dir = folder();
    lockFolder(dir).release();
    writeFileSync(join(dir, LOCK_FILE), content);
    const lock = lockFolder(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  }
});

test('a release after another process took the lock over leaves its lock alone', () => {
  const dir = folder();
  const lock = lockFolder(dir);
  // Another process's lock now (as after a takeover): pid 1 is always running.
  writeFileSync(join(dir, LOCK_FILE), '1\n');
  lock.release();
  expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('1\n');
  expect(() => lockFolder(dir)).toThrow('another streamgate (pid 1) is running on');
});
