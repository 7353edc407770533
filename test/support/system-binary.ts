/**
 * The lookup rule that Chromium and ffmpeg share (test/support/browser-binary.ts,
 * test/support/ffmpeg-binary.ts): an explicit path from the environment, else a system install,
 * else the copy an npm package ships. `STREAMGATE_NO_SYSTEM_BINARIES=1` hides the first two, so
 * a run can prove that `npm ci` alone brings everything the tests need (`.ci/run` does).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export const HIDE_SYSTEM_BINARIES = 'STREAMGATE_NO_SYSTEM_BINARIES';

export type BinarySource = 'environment' | 'system' | 'npm';

export interface FoundBinary {
  path: string;
  source: BinarySource;
}

/** Whether this run must use only the npm-shipped binaries (`STREAMGATE_NO_SYSTEM_BINARIES=1`). */
export function systemBinariesHidden(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[HIDE_SYSTEM_BINARIES];
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(
    `${HIDE_SYSTEM_BINARIES} must be 1 (use only npm-shipped binaries) or 0, not ${JSON.stringify(value)}`,
  );
}

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, process.platform === 'win32' ? constants.R_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path a variable such as `FFMPEG_PATH` names, checked: a set variable that names nothing
 * runnable is an error naming it, never a silent fall-back to another binary.
 */
export function binaryFromEnvironment(variable: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  if (!isAbsolute(value) || !isExecutableFile(value)) {
    throw new Error(`${variable}=${value} is not an executable file (give an absolute path, or unset it)`);
  }
  return value;
}

/**
 * The first of `names` on PATH (PATHEXT's suffixes on Windows), so a developer's PATH decides,
 * else the first executable among the usual install locations `paths` (for a PATH without them).
 */
export function firstInstalled(
  paths: string[],
  names: string[],
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter((dir) => isAbsolute(dir));
  const suffixes = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE').split(';')] : [''];
  for (const dir of dirs) {
    for (const name of names) {
      for (const suffix of suffixes) {
        const candidate = join(dir, name + suffix);
        if (isExecutableFile(candidate)) return candidate;
      }
    }
  }
  return paths.find((path) => existsSync(path) && isExecutableFile(path));
}
