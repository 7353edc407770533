/**
 * Stand-in installs for the binary lookups' tests (test/support/ffmpeg-binary.test.ts,
 * test/browser/browser-binary.test.ts): runnable files named like the real binaries, in a
 * folder of the suite's own that is removed after it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const NODE_MODULES = resolve(__dirname, '..', '..', 'node_modules');

export interface FakeInstalls {
  /** The suite's own folder. */
  readonly work: string;
  /** A folder holding runnable stand-ins named like the real binaries. */
  fakeInstall(): string;
  /** Everything a machine could offer: variables naming installed binaries, and both on PATH. */
  everythingInstalled(): NodeJS.ProcessEnv;
}

/** Call at a suite's top level: its folder is removed after the suite. */
export function fakeInstalls(): FakeInstalls {
  const work = mkdtempSync(join(tmpdir(), 'streamgate-binaries-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const fakeInstall = (): string => {
    const dir = mkdtempSync(join(work, 'bin-'));
    for (const name of ['ffmpeg', 'chromium']) writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return dir;
  };
  return {
    work,
    fakeInstall,
    everythingInstalled: () => {
      const dir = fakeInstall();
      return {
        PATH: `${dir}:/usr/local/bin:/usr/bin:/bin`,
        FFMPEG_PATH: join(dir, 'ffmpeg'),
        CHROMIUM_PATH: join(dir, 'chromium'),
      };
    },
  };
}
