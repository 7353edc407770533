/**
 * The lookup of ffmpeg (ffmpeg-binary.ts): an explicit variable wins and is checked, PATH comes
 * next, and `STREAMGATE_NO_SYSTEM_BINARIES=1` really hides every installed copy, leaving the one
 * `npm ci` brought, which runs as installed (npm may skip its install script). `.ci/run` relies on
 * that hiding to prove a fresh machine needs nothing else. Chromium's lookup is
 * test/browser/browser-binary.test.ts (it runs the browser).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fakeInstalls, NODE_MODULES } from './fake-binaries';
import { findFfmpeg } from './ffmpeg-binary';

const { work, fakeInstall, everythingInstalled } = fakeInstalls();

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
