/**
 * The lookups of Chromium and ffmpeg (browser-binary.ts, ffmpeg-binary.ts): an explicit variable
 * wins and is checked, PATH comes next, and `STREAMGATE_NO_SYSTEM_BINARIES=1` really hides every
 * installed copy, leaving the ones `npm ci` brought, which run as installed (npm may skip their
 * install scripts). `.ci/run` relies on that hiding to prove a fresh machine needs nothing else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findChromium } from './browser-binary';
import { findFfmpeg } from './ffmpeg-binary';

const NODE_MODULES = resolve(__dirname, '..', '..', 'node_modules');
const work = mkdtempSync(join(tmpdir(), 'streamgate-binaries-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder holding runnable stand-ins named like the real binaries. */
function fakeInstall(): string {
  const dir = mkdtempSync(join(work, 'bin-'));
  for (const name of ['ffmpeg', 'chromium']) writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return dir;
}

/** Everything a machine could offer: variables naming installed binaries, and both on PATH. */
function everythingInstalled(): NodeJS.ProcessEnv {
  const dir = fakeInstall();
  return {
    PATH: `${dir}:/usr/local/bin:/usr/bin:/bin`,
    FFMPEG_PATH: join(dir, 'ffmpeg'),
    CHROMIUM_PATH: join(dir, 'chromium'),
  };
}

const npmChromiumHere = process.platform === 'linux' && process.arch === 'x64';

describe('ffmpeg lookup', () => {
  it('takes FFMPEG_PATH first, then ffmpeg on PATH', () => {
    const env = everythingInstalled();
    expect(findFfmpeg(env)).toEqual({ path: env.FFMPEG_PATH, source: 'environment' });
    const dir = fakeInstall();
    expect(findFfmpeg({ PATH: `${dir}:/usr/bin` })).toEqual({ path: join(dir, 'ffmpeg'), source: 'system' });
  });

  it('refuses an FFMPEG_PATH that names nothing runnable, naming the variable', () => {
    expect(() => findFfmpeg({ FFMPEG_PATH: join(work, 'missing', 'ffmpeg') })).toThrow(
      /FFMPEG_PATH=.*not an executable/,
    );
    expect(() => findFfmpeg({ FFMPEG_PATH: 'ffmpeg' })).toThrow(/FFMPEG_PATH=ffmpeg .*absolute/);
  });

  it('with system binaries hidden, uses the npm-shipped build, which decodes CENC and encodes H.264', () => {
    const found = findFfmpeg({ ...everythingInstalled(), STREAMGATE_NO_SYSTEM_BINARIES: '1' });
    expect(found.source).toBe('npm');
    expect(found.path.startsWith(join(NODE_MODULES, '@ffmpeg-installer'))).toBe(true);
    const mov = spawnSync(found.path, ['-hide_banner', '-h', 'demuxer=mov'], { encoding: 'utf8' });
    expect(mov.status).toBe(0);
    expect(mov.stdout).toContain('decryption_key');
    expect(spawnSync(found.path, ['-hide_banner', '-h', 'encoder=libx264'], { encoding: 'utf8' }).stdout).toContain(
      'libx264',
    );
  });
});

describe('Chromium lookup', () => {
  it('takes CHROMIUM_PATH first, then chromium on PATH', async () => {
    const env = everythingInstalled();
    expect((await findChromium(env)).executablePath).toBe(env.CHROMIUM_PATH);
    const dir = fakeInstall();
    await expect(findChromium({ PATH: `${dir}:/usr/bin` })).resolves.toMatchObject({
      executablePath: join(dir, 'chromium'),
      source: 'system',
    });
  });

  it('refuses a CHROMIUM_PATH that names nothing runnable, and an unknown hiding value, naming the variable', async () => {
    await expect(findChromium({ CHROMIUM_PATH: join(work, 'missing') })).rejects.toThrow(
      /CHROMIUM_PATH=.*not an executable/,
    );
    await expect(findChromium({ STREAMGATE_NO_SYSTEM_BINARIES: 'yes' })).rejects.toThrow(
      /STREAMGATE_NO_SYSTEM_BINARIES must be 1/,
    );
  });

  it('with system binaries hidden, uses the npm-shipped Chromium (Linux x64), or says what to install', async () => {
    const hidden = findChromium({ ...everythingInstalled(), STREAMGATE_NO_SYSTEM_BINARIES: '1' });
    if (!npmChromiumHere) {
      await expect(hidden).rejects.toThrow(/Linux x64 only .*CHROMIUM_PATH/);
      return;
    }
    const found = await hidden;
    expect(found.source).toBe('npm');
    expect(found.executablePath.startsWith(join(NODE_MODULES, '.cache', 'streamgate-chromium'))).toBe(true);
    const version = spawnSync(found.executablePath, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, ...found.env },
    });
    expect(version.stdout).toMatch(/^Chromium \d+\./);
    // None of the package's Lambda-only switches that would weaken what the browser tests prove.
    expect(found.args).not.toContain('--disable-web-security');
    expect(found.args).not.toContain('--single-process');
    expect(found.args.filter((arg) => arg.startsWith('--disable-features'))).toEqual([]);
  }, 120000);

  (npmChromiumHere ? it : it.skip)(
    'two first runs at once unpack one complete copy, and clear a long-abandoned partial one',
    async () => {
      const cache = join(work, 'cache');
      mkdirSync(cache);
      const abandoned = join(cache, '1.0.0-x64.unpacking-old');
      const recent = join(cache, '1.0.0-x64.unpacking-now');
      for (const dir of [abandoned, recent]) mkdirSync(dir);
      const twoHoursAgo = Date.now() / 1000 - 7200;
      utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
      const env = { STREAMGATE_NO_SYSTEM_BINARIES: '1' };
      const [first, second] = await Promise.all([findChromium(env, cache), findChromium(env, cache)]);
      expect(second.executablePath).toBe(first.executablePath);
      expect(existsSync(first.executablePath)).toBe(true);
      const names = readdirSync(cache);
      expect(names.filter((name) => !name.includes('.unpacking-'))).toHaveLength(1);
      expect(names.filter((name) => name.includes('.unpacking-'))).toEqual(['1.0.0-x64.unpacking-now']);
      expect(spawnSync(first.executablePath, ['--version'], { env: { ...process.env, ...first.env } }).status).toBe(0);
    },
    120000,
  );
});
