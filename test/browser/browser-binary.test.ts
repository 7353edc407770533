/**
 * The lookup of Chromium (test/support/browser-binary.ts): CHROMIUM_PATH wins and is checked,
 * PATH comes next, and `STREAMGATE_NO_SYSTEM_BINARIES=1` really hides every installed copy,
 * leaving the one `npm ci` brought, unpacked once (however many runs start at once) and run as
 * installed. It runs that Chromium, so it is a browser suite; ffmpeg's lookup is
 * test/support/ffmpeg-binary.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium } from '../support/browser-binary';
import { fakeInstalls, NODE_MODULES } from '../support/fake-binaries';

const { work, fakeInstall, everythingInstalled } = fakeInstalls();
const npmChromiumHere = process.platform === 'linux' && process.arch === 'x64';

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
