/**
 * Files that several local processes may write (local/atomic-file.ts): one is created once and
 * whole or not at all, a replacement is whole, and no temporary file is left behind either way.
 * Real files in a folder of the test's own.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileOnce, readIfPresent, writeAtomically } from '../../local/atomic-file';

const folder = () => mkdtempSync(join(tmpdir(), 'streamgate-atomic-'));

test('created once: the first writer wins, a second leaves the file as it is, and no temporary file stays', () => {
  const dir = folder();
  const path = join(dir, 'settings.json');
  expect(createFileOnce(path, '{"first":true}', 0o600)).toBe(true);
  expect(createFileOnce(path, '{"second":true}', 0o600)).toBe(false);
  expect(readFileSync(path, 'utf8')).toBe('{"first":true}');
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(['settings.json']);
});

test('a failure other than "exists" is thrown, not taken for a lost race', () => {
  const missing = join(folder(), 'no-such-folder', 'file');
  expect(() => createFileOnce(missing, 'x', 0o600)).toThrow(/ENOENT/);
});

test('replaced whole, with the mode asked for (0600 unless told), and no temporary file stays', () => {
  const dir = folder();
  const path = join(dir, 'key.pem');
  writeFileSync(path, 'old', { mode: 0o644 });
  writeAtomically(path, 'new');
  expect(readFileSync(path, 'utf8')).toBe('new');
  expect(statSync(path).mode & 0o777).toBe(0o600);
  writeAtomically(path, 'newer', 0o640);
  expect(statSync(path).mode & 0o777).toBe(0o640);
  expect(readdirSync(dir)).toEqual(['key.pem']);
});

test('read if present: the text, undefined when there is no file, and any other failure thrown', () => {
  const dir = folder();
  writeFileSync(join(dir, 'present'), 'text');
  expect(readIfPresent(join(dir, 'present'))).toBe('text');
  expect(readIfPresent(join(dir, 'absent'))).toBeUndefined();
  mkdirSync(join(dir, 'a-folder'));
  expect(() => readIfPresent(join(dir, 'a-folder'))).toThrow(/EISDIR/);
});
