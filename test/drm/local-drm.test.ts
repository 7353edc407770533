/**
 * Local DRM at start: keys made once into the git-ignored local folder (0600) and reused, the
 * committed clear CMAF encrypted with them (again only when the source or key changes), and the
 * encrypted copy served by the real local stack's edge under /drm/<videoId>/ with the same
 * signed-cookie rules as /media/ (the viewer-request function rewriting to /out/v1/ on the way).
 */
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KEY_GROUP_FILE, PRIVATE_KEY_FILE } from '../../local/cloudfront-keys';
import { DRM_KEY_FILE, readDrmKeys } from '../../local/drm/drm-keys';
import { prepareLocalDrm, requestKey } from '../../local/drm/local-drm';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { rawGet } from '../support/raw-http';

const REPO = resolve(__dirname, '..', '..');
const CONTENT = join(REPO, 'local', 'content');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-drm-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const keyIdInPlaylist = (dir: string) =>
  /KEYID=0x([0-9a-f]{32})/.exec(readFileSync(join(dir, 'drm', 'demo-3', 'index.m3u8'), 'utf8'))?.[1];

describe('prepareLocalDrm', () => {
  it('makes a random key for each DRM video of the catalog into a 0600 key file, and encrypts with it', () => {
    const dir = tempDir();
    const drm = prepareLocalDrm(dir, CONTENT);
    expect(drm.videoIds).toEqual(['demo-3']);
    const file = join(dir, DRM_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readDrmKeys(file)?.get('demo-3');
    expect(stored).toHaveLength(1);
    expect(keyIdInPlaylist(dir)).toBe(stored?.[0].kid.toString('hex'));
    expect(drm.codecs.get('demo-3')).toBe('avc1.4d401e');
    // Another folder, another key: nothing about the key comes from the repository.
    const other = tempDir();
    prepareLocalDrm(other, CONTENT);
    expect(keyIdInPlaylist(other)).not.toBe(keyIdInPlaylist(dir));
    expect(readDrmKeys(join(other, DRM_KEY_FILE))?.get('demo-3')?.[0].key).not.toEqual(stored?.[0].key);
  });

  it('gets the key through a SPEKE v2.0 exchange with the local key provider, whose pssh and key tag it uses', () => {
    const dir = tempDir();
    const drm = prepareLocalDrm(dir, CONTENT);
    const [stored] = drm.keys.keysOf('demo-3') ?? [];
    const granted = requestKey(drm.keyProvider, 'demo-3', stored.kid);
    expect(granted.key).toEqual(stored.key);
    const playlist = readFileSync(join(dir, 'drm', 'demo-3', 'index.m3u8'), 'utf8');
    expect(playlist.split('\n')).toContain(granted.hlsKeyTag);
    expect(readFileSync(join(dir, 'drm', 'demo-3', 'init.mp4')).includes(granted.pssh)).toBe(true);
  });

  it('reuses the key and the encrypted copy on the next start', () => {
    const dir = tempDir();
    prepareLocalDrm(dir, CONTENT);
    const segment = join(dir, 'drm', 'demo-3', 'segment_000.m4s');
    const before = { bytes: readFileSync(segment), mtime: statSync(segment).mtimeMs, kid: keyIdInPlaylist(dir) };
    const again = prepareLocalDrm(dir, CONTENT);
    expect(keyIdInPlaylist(dir)).toBe(before.kid);
    expect(statSync(segment).mtimeMs).toBe(before.mtime);
    expect(readFileSync(segment)).toEqual(before.bytes);
    expect(
      again.licenceServer.answer(
        'demo-3',
        JSON.stringify({ kids: [Buffer.from(before.kid ?? '', 'hex').toString('base64url')] }),
      ).ok,
    ).toBe(true);
  });

  it('encrypts again when the key file changes or the copy is gone', () => {
    const dir = tempDir();
    prepareLocalDrm(dir, CONTENT);
    const first = keyIdInPlaylist(dir);
    rmSync(join(dir, DRM_KEY_FILE));
    prepareLocalDrm(dir, CONTENT);
    const second = keyIdInPlaylist(dir);
    expect(second).not.toBe(first);
    rmSync(join(dir, 'drm', 'demo-3'), { recursive: true });
    prepareLocalDrm(dir, CONTENT);
    expect(keyIdInPlaylist(dir)).toBe(second);
  });

  it('names the key file when it is not valid, rather than making new keys over it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, DRM_KEY_FILE), '{"videos":{"demo-3":[{"kid":"00","key":"11"}]}}');
    expect(() => prepareLocalDrm(dir, CONTENT)).toThrow(new RegExp(`${DRM_KEY_FILE}: not a valid DRM key file`));
  });

  it('names the missing source when the catalog lists a DRM video without clear CMAF', () => {
    const content = tempDir();
    writeFileSync(
      join(content, 'catalog.json'),
      JSON.stringify([{ id: 'demo-9', title: 't', encrypted: true, drm: 'clearkey' }]),
    );
    expect(() => prepareLocalDrm(tempDir(), content)).toThrow(
      /demo-9 is a DRM video in the catalog, but .*cmaf.*demo-9 has no clear CMAF/,
    );
  });

  it('keeps keys and the encrypted copy out of git: the default local folder is ignored', () => {
    const paths = [`.local/${DRM_KEY_FILE}`, '.local/drm/demo-3/init.mp4'];
    const ignored = spawnSync('git', ['check-ignore', ...paths], { cwd: REPO, encoding: 'utf8' });
    expect(ignored.stdout.trim().split('\n')).toEqual(paths);
  });
});

describe('the local edge serves /drm/<videoId>/ with signed cookies', () => {
  let stack: LocalStack;
  let dir: string;
  let origin: string;

  beforeAll(async () => {
    dir = tempDir();
    stack = await startLocalStack({ dir, port: 0, logger: new LogCapture().logger });
    origin = `http://localhost:${stack.port}`;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Cookies for a custom policy on `resource`, signed with the stack's own CloudFront key. */
  function cookiesFor(resource: string): string {
    const keyPairId = (JSON.parse(readFileSync(join(dir, KEY_GROUP_FILE), 'utf8')) as { keys: { id: string }[] })
      .keys[0].id;
    const policy = JSON.stringify({
      Statement: [
        { Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 300 } } },
      ],
    });
    const cookies = getSignedCookies({
      policy,
      keyPairId,
      privateKey: readFileSync(join(dir, PRIVATE_KEY_FILE), 'utf8'),
    });
    return Object.entries(cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  const get = (path: string, cookie?: string) =>
    fetch(`${origin}${path}`, { headers: cookie === undefined ? {} : { cookie } });

  it('serves the encrypted playlist, init and segments to cookies for /drm/demo-3/*', async () => {
    const cookie = cookiesFor(`${origin}/drm/demo-3/*`);
    for (const name of ['index.m3u8', 'init.mp4', 'segment_000.m4s', 'segment_002.m4s']) {
      const response = await get(`/drm/demo-3/${name}`, cookie);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(
        readFileSync(join(stack.drm.packagedDir, 'demo-3', name)),
      );
    }
    const playlist = await (await get('/drm/demo-3/index.m3u8', cookie)).text();
    expect(playlist).toContain(`KEYID=0x${stack.drm.keys.keysOf('demo-3')?.[0].kid.toString('hex')}`);
  });

  it('refuses without cookies, with cookies for another path, and on a non-canonical path', async () => {
    expect((await get('/drm/demo-3/index.m3u8')).status).toBe(403);
    expect((await get('/drm/demo-3/index.m3u8', cookiesFor(`${origin}/drm/demo-1/*`))).status).toBe(403);
    expect((await get('/drm/demo-3/index.m3u8', cookiesFor(`${origin}/media/demo-3/*`))).status).toBe(403);
    const everything = cookiesFor(`${origin}/drm/*`);
    for (const traversal of [
      '/drm/demo-3/../demo-3/index.m3u8',
      '/drm/demo-3/%2E%2E/demo-3/index.m3u8',
      '/drm//demo-3/index.m3u8',
    ]) {
      const raw = await rawGet(stack.port, traversal, { host: `localhost:${stack.port}`, cookie: everything });
      expect(raw.status).toBe(403);
    }
    expect((await get('/drm/demo-3/nothing.m4s', everything)).status).toBe(404);
  });

  it('has no clear copy of a DRM video anywhere it serves', async () => {
    const everything = cookiesFor(`${origin}/*`);
    expect((await get('/media/demo-3/index.m3u8', everything)).status).toBe(404);
    expect((await get('/media/demo-3/init.mp4', everything)).status).toBe(404);
    expect((await get('/out/v1/demo-3/index.m3u8', everything)).status).toBe(404);
  });
});
