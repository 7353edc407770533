/**
 * The one place that finds the Chromium the browser tests drive (through playwright-core, which
 * never downloads a browser here): `CHROMIUM_PATH`, else an installed Chromium or Chrome, else the
 * headless Chromium that `@sparticuz/chromium` ships inside its npm package (Linux x64 only),
 * unpacked once per install into node_modules/.cache. `STREAMGATE_NO_SYSTEM_BINARIES=1` skips the
 * first two. Run as a script, it unpacks if needed and prints the path.
 */
import { execFile, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { binaryFromEnvironment, type BinarySource, firstInstalled, systemBinariesHidden } from './system-binary';

export interface ChromiumBinary {
  executablePath: string;
  source: BinarySource;
  /** Switches for this build on top of the project's own (test/support/browser-fixture.ts). */
  args: string[];
  /** Environment the build needs (its bundled libraries or fonts); empty for an installed one. */
  env: Record<string, string>;
}

const ROOT = resolve(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'streamgate-chromium');
const MANIFEST = 'streamgate-chromium.json';

function systemPaths(env: NodeJS.ProcessEnv): string[] {
  if (process.platform === 'darwin') {
    return [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
    ];
  }
  if (process.platform === 'win32') {
    return [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA]
      .filter((dir): dir is string => dir !== undefined)
      .map((dir) => join(dir, 'Google', 'Chrome', 'Application', 'chrome.exe'));
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
}

const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/**
 * @sparticuz/chromium's switches that are for AWS Lambda, not for a test machine, or that would
 * change what the browser tests prove: one process and no zygote (Lambda forbids the sandbox's
 * prctl; on a desktop they make Chromium fragile), web security and mixed-content blocking off
 * (the tests check CORS, cookies and origins as browsers enforce them), the audio service in
 * process and site isolation off (its --disable-features: with it, a video refused its licence
 * advances its clock with no frame decoded, unlike any browser a viewer has), its own headless
 * mode (Playwright sets it) and its GPU emulation (the project runs with --disable-gpu).
 */
const NOT_FOR_TESTS = [
  '--disable-features',
  '--single-process',
  '--no-zygote',
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
  '--headless',
  '--use-gl',
  '--use-angle',
  '--enable-unsafe-swiftshader',
  '--in-process-gpu',
  '--ignore-gpu-blocklist',
];

let found: Promise<ChromiumBinary> | undefined;

/** The Chromium for this process, looked up (and unpacked if need be) once. */
export function chromiumBinary(): Promise<ChromiumBinary> {
  found ??= findChromium();
  return found;
}

/** The lookup itself, for an environment and an unpacking folder of the caller's (the tests' own). */
export async function findChromium(env: NodeJS.ProcessEnv = process.env, cache = CACHE): Promise<ChromiumBinary> {
  if (!systemBinariesHidden(env)) {
    const fromEnvironment = binaryFromEnvironment('CHROMIUM_PATH', env);
    if (fromEnvironment !== undefined)
      return { executablePath: fromEnvironment, source: 'environment', args: [], env: {} };
    const installed = firstInstalled(systemPaths(env), process.platform === 'linux' ? PATH_NAMES : [], env);
    if (installed !== undefined) return { executablePath: installed, source: 'system', args: [], env: {} };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `No Chromium: none installed, and @sparticuz/chromium ships one for Linux x64 only (this is ${process.platform}-${process.arch}). Install Chromium or Google Chrome, or set CHROMIUM_PATH`,
    );
  }
  return npmShipped(cache);
}

interface Manifest {
  /** @sparticuz/chromium's own switches, as it gives them. */
  args: string[];
  /** Set when the system lacks NSS/NSPR/expat and the package's own copies (built for AL2023) are used. */
  bundledLibraries: boolean;
  /** Set when the system has no fontconfig setup and the package's own fonts are used. */
  bundledFonts: boolean;
}

async function npmShipped(cache: string): Promise<ChromiumBinary> {
  const packageDir = resolve(dirname(require.resolve('@sparticuz/chromium')), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(cache, `${version}-${process.arch}`);
  if (!existsSync(join(dir, MANIFEST))) await unpack(join(packageDir, 'bin'), cache, dir);
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  const env: Record<string, string> = {};
  if (manifest.bundledLibraries) env.LD_LIBRARY_PATH = join(dir, 'al2023', 'lib');
  if (manifest.bundledFonts) env.FONTCONFIG_PATH = join(dir, 'fonts');
  const args = manifest.args.filter((arg) => !NOT_FOR_TESTS.some((name) => arg === name || arg.startsWith(`${name}=`)));
  return { executablePath: join(dir, 'chromium'), source: 'npm', args, env };
}

/**
 * The package's executablePath() unpacks into os.tmpdir()/chromium, writing the final name as it
 * goes, so an interrupted or concurrent first run would leave a truncated browser that later runs
 * trust. It runs here in a child (the package is ES modules only) with TMPDIR set to a fresh
 * folder that is renamed into place only when complete: first one wins, others reuse it.
 */
async function unpack(binDir: string, cache: string, dir: string): Promise<void> {
  mkdirSync(cache, { recursive: true });
  removeAbandoned(cache);
  const staging = mkdtempSync(`${dir}.unpacking-`);
  try {
    const script = `
      const { default: chromium, inflate } = await import('@sparticuz/chromium');
      await chromium.executablePath(process.argv[1]);
      await inflate(process.argv[1] + '/al2023.tar.br');
      process.stdout.write(JSON.stringify(chromium.args));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, binDir], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: staging },
      maxBuffer: 1024 * 1024,
    });
    const args = JSON.parse(stdout) as string[];
    const bundledLibraries = !runs(join(staging, 'chromium'), {});
    if (bundledLibraries && !runs(join(staging, 'chromium'), { LD_LIBRARY_PATH: join(staging, 'al2023', 'lib') })) {
      throw new Error(`the npm-shipped Chromium in ${staging} does not start on this system`);
    }
    const bundledFonts = !existsSync('/etc/fonts/fonts.conf');
    // The package's fonts.conf names /tmp/fonts (Lambda's); point it at this folder instead.
    writeFileSync(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify({ args, bundledLibraries, bundledFonts }, null, 2)}\n`);
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another run finished first: its copy is as good as ours.
      if (!existsSync(join(dir, MANIFEST))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function runs(executable: string, env: Record<string, string>): boolean {
  return spawnSync(executable, ['--version'], { env: { ...process.env, ...env }, timeout: 30_000 }).status === 0;
}

/** Unpacking folders a killed run left behind (each is ~200 MB); an hour is far past any unpack. */
function removeAbandoned(cache: string): void {
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    if (name.includes('.unpacking-') && Date.now() - statSync(path).mtimeMs > 3_600_000) {
      rmSync(path, { recursive: true, force: true });
    }
  }
}

if (require.main === module) {
  chromiumBinary().then(
    (binary) => process.stdout.write(`${binary.executablePath}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
