/**
 * The encrypted demo-3, as `npm start` makes it from the committed clear CMAF, is really CENC:
 * its samples differ from the clear ones, `tenc`/`pssh`/the playlist carry the key id, ffmpeg
 * (an independent decoder) decodes it with the key to frames whose MD5s equal the clear source's,
 * and without the key (or with another) it does not. Also a multi-fragment file ffmpeg makes here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encryptFragments, encryptInitSegment, IvSequence } from '../../local/drm/cenc-encrypter';
import { randomContentKey } from '../../local/drm/drm-keys';
import { packageVideo, playlistFiles } from '../../local/drm/local-drm';
import { ffmpegPath } from '../support/ffmpeg-binary';
import { boxesIn, decryptSegment, fragmentSamples, only } from './cenc-inspect';

const SOURCE = resolve(__dirname, '..', '..', 'local', 'content', 'cmaf', 'demo-3');
const KEY = randomContentKey();
const work = mkdtempSync(join(tmpdir(), 'streamgate-cenc-'));
const codec = packageVideo(SOURCE, join(work, 'drm'), join(work, 'state'), 'demo-3', KEY);
const OUT = join(work, 'drm', 'demo-3');
const { initUri, segmentUris } = playlistFiles(readFileSync(join(SOURCE, 'index.m3u8'), 'utf8'));
const clearFile = (name: string) => readFileSync(join(SOURCE, name));
const encryptedFile = (name: string) => readFileSync(join(OUT, name));

afterAll(() => rmSync(work, { recursive: true, force: true }));

const mdats = (segment: Buffer) =>
  boxesIn(segment)
    .filter((found) => found.type === 'mdat')
    .map((found) => segment.subarray(found.body, found.end));

describe('encrypted demo-3 (structure)', () => {
  it('has the clear copy’s files, with codec avc1.4d401e', () => {
    expect(segmentUris.length).toBeGreaterThanOrEqual(3);
    expect(codec).toBe('avc1.4d401e');
    for (const name of [initUri, ...segmentUris]) expect(encryptedFile(name).length).toBeGreaterThan(0);
  });

  it('differs from the clear source in every sample that has slice data, and only there', () => {
    for (const uri of segmentUris) {
      const encrypted = encryptedFile(uri);
      const clear = clearFile(uri);
      const [clearMdat] = mdats(clear);
      const [encryptedMdat] = mdats(encrypted);
      expect(encryptedMdat.length).toBe(clearMdat.length);
      const samples = fragmentSamples(encrypted).flat();
      expect(samples.length).toBeGreaterThan(40); // 2 s at 24 fps
      const mdatStart = samples[0].at;
      for (const sample of samples) {
        const protectedBytes = sample.subsamples.reduce((sum, run) => sum + run.protected, 0);
        expect(protectedBytes).toBeGreaterThan(0);
        const from = sample.at - mdatStart;
        expect(encryptedMdat.subarray(from, from + sample.size)).not.toEqual(
          clearMdat.subarray(from, from + sample.size),
        );
      }
      // An independent AES-CTR decryption (IVs found through saio/saiz) gives the clear samples back.
      expect(mdats(decryptSegment(encrypted, KEY.key))).toEqual([clearMdat]);
    }
  });

  it('carries the key id in tenc, in the ClearKey pssh and in the playlist’s KEYID', () => {
    const init = encryptedFile(initUri);
    const moov = only(boxesIn(init), 'moov');
    const pssh = only(boxesIn(init, moov.body, moov.end), 'pssh');
    expect(init.subarray(pssh.body + 4, pssh.body + 20).toString('hex')).toBe('1077efecc0b24d02ace33c1e52e2fb4b');
    expect(init.subarray(pssh.body + 24, pssh.body + 40)).toEqual(KEY.kid);
    const tencAt = init.indexOf('tenc', 0, 'latin1');
    expect(tencAt).toBeGreaterThan(0);
    expect(init.subarray(tencAt + 4 + 4 + 4, tencAt + 4 + 4 + 4 + 16)).toEqual(KEY.kid);
    const playlist = encryptedFile('index.m3u8').toString('utf8');
    expect(playlist).toContain(`KEYID=0x${KEY.kid.toString('hex')}`);
    expect(playlist).toContain('METHOD=SAMPLE-AES-CTR,KEYFORMAT="org.w3.clearkey"');
    expect(playlist).not.toContain(KEY.key.toString('hex'));
    for (const name of [initUri, ...segmentUris, 'index.m3u8']) {
      expect(encryptedFile(name).includes(KEY.key)).toBe(false); // the key itself is nowhere in the content
    }
  });
});

/** The system's ffmpeg, or the static build npm installs (test/support/ffmpeg-binary.ts): never skipped. */
const FFMPEG = ffmpegPath();

/** ffmpeg's per-frame MD5s of an MP4 piped in (ffmpeg 5.1 misreads long fragmented files read by seeking). */
function frameMd5s(mp4: Buffer, decryptionKey?: Buffer): { md5s: string[]; errors: string } {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (decryptionKey !== undefined) args.push('-decryption_key', decryptionKey.toString('hex'));
  args.push('-i', 'pipe:0', '-map', '0:v', '-f', 'framemd5', 'pipe:1');
  const run = spawnSync(FFMPEG, args, { input: mp4, maxBuffer: 64 * 1024 * 1024 });
  const md5s = run.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => /^\d/.test(line))
    .map((line) => line.split(',').pop()?.trim() ?? '');
  return { md5s, errors: run.stderr.toString('utf8') };
}

describe('encrypted demo-3 decoded by ffmpeg', () => {
  const clearFrames = (uris: string[]) => frameMd5s(Buffer.concat([clearFile(initUri), ...uris.map(clearFile)])).md5s;
  const encrypted = (uris: string[]) => Buffer.concat([encryptedFile(initUri), ...uris.map(encryptedFile)]);

  it.each(segmentUris.map((uri) => [uri]))('init + %s decrypts to the clear frames', (uri) => {
    const expected = clearFrames([uri]);
    expect(expected.length).toBeGreaterThan(40);
    const { md5s, errors } = frameMd5s(encrypted([uri]), KEY.key);
    expect(errors).toBe('');
    expect(md5s).toEqual(expected);
  });

  it('the whole video (all segments in one stream) decrypts to the clear frames', () => {
    const expected = clearFrames(segmentUris);
    expect(frameMd5s(encrypted(segmentUris), KEY.key).md5s).toEqual(expected);
  });

  it('without the key, or with another, ffmpeg reports decode errors and no frame matches', () => {
    const expected = new Set(clearFrames(segmentUris));
    for (const key of [undefined, randomContentKey().key]) {
      const { md5s, errors } = frameMd5s(encrypted(segmentUris), key);
      expect(errors).toMatch(/error|corrupt|invalid/i);
      expect(md5s.filter((md5) => expected.has(md5))).toEqual([]);
    }
  });

  it('a file of many fragments (ffmpeg-made here, with sidx) decrypts to the clear frames', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamgate-frag-'));
    try {
      const file = join(dir, 'fragmented.mp4');
      const made = spawnSync(FFMPEG, [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi'],
        ...['-i', 'testsrc2=size=160x90:rate=24:duration=3', '-c:v', 'libx264', '-threads', '1', '-g', '12'],
        ...['-bf', '2', '-movflags', '+frag_keyframe+empty_moov+default_base_moof+global_sidx', file],
      ]);
      expect(made.stderr.toString()).toBe('');
      const clear = readFileSync(file);
      const top = boxesIn(clear);
      expect(top.filter((found) => found.type === 'moof').length).toBeGreaterThanOrEqual(5);
      const initEnd = only(top, 'moov').end;
      const { bytes, track } = encryptInitSegment(clear.subarray(0, initEnd), KEY);
      const fragments = encryptFragments(clear.subarray(initEnd), track, KEY, new IvSequence());
      // The sidx in front now indexes the grown fragments: each reference spans one moof + mdat.
      const found = boxesIn(fragments);
      expect(found.map((box) => box.type)).not.toContain('mfra');
      const index = only(found, 'sidx');
      const countAt = index.body + 4 + 8 + (fragments[index.body] === 0 ? 8 : 16) + 2;
      const spans = found
        .filter((box) => box.type === 'moof')
        .map((moof, i) => found.filter((box) => box.type === 'mdat')[i].end - moof.start);
      expect(fragments.readUInt16BE(countAt)).toBe(spans.length);
      spans.forEach((span, i) => {
        expect(fragments.readUInt32BE(countAt + 2 + 12 * i) & 0x7fffffff).toBe(span);
      });
      const expected = frameMd5s(clear).md5s;
      expect(expected.length).toBe(72);
      expect(frameMd5s(Buffer.concat([bytes, fragments]), KEY.key).md5s).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
