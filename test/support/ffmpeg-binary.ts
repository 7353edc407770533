/**
 * The one place that finds ffmpeg (the independent decoder of the DRM tests): `FFMPEG_PATH`, else
 * the system's (`ffmpeg` on PATH or a usual location), else the static build that
 * `@ffmpeg-installer/ffmpeg` ships for the platform (Linux x64/arm64, macOS, Windows; ffmpeg 4.1,
 * with the mov demuxer's `-decryption_key` and libx264). `STREAMGATE_NO_SYSTEM_BINARIES=1` skips
 * the first two. Run as a script, it prints the path (for shell scripts: `npx tsx <this file>`).
 */
import { chmodSync } from 'node:fs';
import {
  binaryFromEnvironment,
  type FoundBinary,
  firstInstalled,
  isExecutableFile,
  systemBinariesHidden,
} from './system-binary';

const SYSTEM_PATHS = ['/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg', '/opt/homebrew/bin/ffmpeg'];

let found: FoundBinary | undefined;

/** The ffmpeg for this process, looked up once. */
export function ffmpegBinary(): FoundBinary {
  found ??= findFfmpeg();
  return found;
}

/** Just the path, for `spawnSync(ffmpegPath(), …)`. */
export function ffmpegPath(): string {
  return ffmpegBinary().path;
}

/** The lookup itself, for an environment of the caller's. */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FoundBinary {
  if (!systemBinariesHidden(env)) {
    const fromEnvironment = binaryFromEnvironment('FFMPEG_PATH', env);
    if (fromEnvironment !== undefined) return { path: fromEnvironment, source: 'environment' };
    const installed = firstInstalled(process.platform === 'win32' ? [] : SYSTEM_PATHS, ['ffmpeg'], env);
    if (installed !== undefined) return { path: installed, source: 'system' };
  }
  return { path: npmShipped(), source: 'npm' };
}

function npmShipped(): string {
  let path: string;
  try {
    // Resolves the optional dependency for this platform (@ffmpeg-installer/linux-x64, …).
    path = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (error) {
    throw new Error(
      `No ffmpeg: none on this system and @ffmpeg-installer/ffmpeg has none for ${process.platform}-${process.arch} (${String(error)}); install ffmpeg or set FFMPEG_PATH`,
    );
  }
  // The package's own postinstall only sets the execute bit, and npm may skip install scripts.
  if (!isExecutableFile(path)) chmodSync(path, 0o755);
  return path;
}

if (require.main === module) process.stdout.write(`${ffmpegPath()}\n`);
