/**
 * The CENC encrypter's edge cases on synthetic fragments (built here byte by byte) and on the
 * committed demo-3 init segment; the samples are read back and decrypted by an independent
 * reader (cenc-inspect.ts) that finds the IVs through saiz/saio as Chromium does.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CLEARKEY_SYSTEM_ID,
  type ContentKey,
  encryptedPlaylist,
  encryptFragments,
  encryptInitSegment,
  IvSequence,
  MAX_CLEAR_RUN,
  subsamplesOf,
  type TrackInfo,
} from '../../local/drm/cenc-encrypter';
import { Mp4FormatError, readBoxes, writeBoxes } from '../../local/drm/mp4-boxes';
import { boxesIn, decryptSegment, fragmentSamples, only } from './cenc-inspect';

const CMAF = resolve(__dirname, '..', '..', 'local', 'content', 'cmaf', 'demo-3');
const TRACK: TrackInfo = { trackId: 1, nalLengthSize: 4, codec: 'avc1.4d401e' };
const KEY: ContentKey = { kid: randomBytes(16), key: randomBytes(16) };

// ---- synthetic fMP4 ------------------------------------------------------------------------------

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length + 8);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

function u32(...values: number[]): Buffer {
  const bytes = Buffer.alloc(4 * values.length);
  values.forEach((value, index) => bytes.writeUInt32BE(value >>> 0, 4 * index));
  return bytes;
}

/** A NAL unit with a 4-byte length: header byte of `type`, then `bodyBytes` random bytes. */
function nal(type: number, bodyBytes: number): Buffer {
  return Buffer.concat([u32(bodyBytes + 1), Buffer.from([0x60 | type]), randomBytes(bodyBytes)]);
}

/** One fragment: moof (mfhd, traf: tfhd default-base-is-moof, tfdt, trun with sizes) + mdat. */
function fragment(sequence: number, samples: Buffer[], trackId = 1, tfhdFlags = 0x20000): Buffer {
  const trun = (dataOffset: number) =>
    box('trun', u32(0x000201, samples.length, dataOffset), ...samples.map((sample) => u32(sample.length)));
  const tfhd =
    tfhdFlags & 0x1 ? box('tfhd', u32(tfhdFlags, trackId), Buffer.alloc(8)) : box('tfhd', u32(tfhdFlags, trackId));
  const moofOf = (dataOffset: number) =>
    box(
      'moof',
      box('mfhd', u32(0, sequence)),
      box('traf', tfhd, box('tfdt', u32(0, sequence * 1000)), trun(dataOffset)),
    );
  const size = moofOf(0).length;
  return Buffer.concat([moofOf(size + 8), box('mdat', ...samples)]);
}

/** A sidx (version 0) in front of `fragments`, one reference per fragment. */
function sidx(fragments: Buffer[]): Buffer {
  const references = fragments.map((bytes) => u32(bytes.length & 0x7fffffff, 1000, 0x90000000));
  const countWord = Buffer.from([0, 0, 0, fragments.length]);
  return box('sidx', u32(0, 1, 1000, 0, 0), countWord, ...references);
}

function keyFrame(): Buffer {
  return Buffer.concat([nal(7, 20), nal(8, 4), nal(6, 30), nal(5, 1000 + Math.floor(Math.random() * 500))]);
}

function mdatPayloads(segment: Buffer): Buffer[] {
  return boxesIn(segment)
    .filter((found) => found.type === 'mdat')
    .map((found) => segment.subarray(found.body, found.end));
}

// ---- tests ---------------------------------------------------------------------------------------

describe('subsamplesOf', () => {
  it('keeps SPS, PPS and SEI clear, and the length + header of each slice', () => {
    const sps = nal(7, 20);
    const pps = nal(8, 4);
    const slice = nal(5, 160); // body 160 = 10 AES blocks: nothing left over
    const runs = subsamplesOf(Buffer.concat([sps, pps, slice]), 4);
    expect(runs).toEqual([{ clear: sps.length + pps.length + 5, protected: 160 }]);
  });

  it('encrypts whole AES blocks of a slice and leaves the remainder clear at its front', () => {
    const runs = subsamplesOf(Buffer.concat([nal(1, 100), nal(1, 33)]), 4);
    expect(runs).toEqual([
      { clear: 5 + 4, protected: 96 },
      { clear: 5 + 1, protected: 32 },
    ]);
  });

  it('leaves a slice of fewer than 16 body bytes wholly clear', () => {
    expect(subsamplesOf(nal(1, 15), 4)).toEqual([{ clear: 20, protected: 0 }]);
  });

  it(`splits a clear run longer than ${MAX_CLEAR_RUN} bytes into 16-bit pieces`, () => {
    const sei = nal(6, 140_000);
    const slice = nal(5, 64);
    const runs = subsamplesOf(Buffer.concat([sei, slice]), 4);
    expect(runs).toEqual([
      { clear: MAX_CLEAR_RUN, protected: 0 },
      { clear: MAX_CLEAR_RUN, protected: 0 },
      { clear: sei.length + 5 - 2 * MAX_CLEAR_RUN, protected: 64 },
    ]);
    expect(runs.every((run) => run.clear <= 0xffff)).toBe(true);
    // A trailing clear run is split too, and the runs still cover the sample exactly.
    const clearOnly = subsamplesOf(nal(6, 70_000), 4);
    expect(clearOnly).toEqual([
      { clear: MAX_CLEAR_RUN, protected: 0 },
      { clear: 70_005 - MAX_CLEAR_RUN, protected: 0 },
    ]);
  });

  it('honours 1- and 2-byte NAL length fields', () => {
    const twoByte = Buffer.concat([Buffer.from([0, 33, 0x65]), randomBytes(32)]);
    expect(subsamplesOf(twoByte, 2)).toEqual([{ clear: 3, protected: 32 }]);
    const oneByte = Buffer.concat([Buffer.from([17, 0x41]), randomBytes(16)]);
    expect(subsamplesOf(oneByte, 1)).toEqual([{ clear: 2, protected: 16 }]);
  });

  it('refuses a NAL length beyond its sample, a truncated length and a zero length', () => {
    const slice = nal(5, 40);
    expect(() => subsamplesOf(slice.subarray(0, slice.length - 1), 4)).toThrow(Mp4FormatError);
    expect(() => subsamplesOf(Buffer.concat([slice, Buffer.from([0, 0])]), 4)).toThrow(Mp4FormatError);
    expect(() => subsamplesOf(Buffer.concat([u32(0), slice]), 4)).toThrow(Mp4FormatError);
  });
});

describe('encryptFragments', () => {
  const fragments = [0, 1, 2].map((sequence) => fragment(sequence + 1, [keyFrame(), nal(1, 400), nal(1, 7)]));
  const clear = Buffer.concat([sidx(fragments), ...fragments, box('mfra', box('mfro', u32(0, 16)))]);
  const ivs = new IvSequence(Buffer.from('00000000fffffffe', 'hex'));
  const encrypted = encryptFragments(clear, TRACK, KEY, ivs);
  const perFragment = fragmentSamples(encrypted);

  it('writes senc, saiz and saio in every traf, saio pointing at the first IV in senc', () => {
    // fragmentSamples throws unless saio's offset, counted from the moof, lands on senc's first IV.
    expect(perFragment).toHaveLength(3);
    expect(perFragment.map((samples) => samples.length)).toEqual([3, 3, 3]);
  });

  it('drops mfra and keeps the order sidx, (moof, mdat)×3', () => {
    expect(boxesIn(encrypted).map((found) => found.type)).toEqual([
      'sidx',
      'moof',
      'mdat',
      'moof',
      'mdat',
      'moof',
      'mdat',
    ]);
  });

  it("moves each trun's data offset by what its moof grew: samples still start at the mdat payload", () => {
    const found = boxesIn(encrypted);
    perFragment.forEach((samples, index) => {
      const mdat = found.filter((candidate) => candidate.type === 'mdat')[index];
      expect(samples[0].at).toBe(mdat.body);
      expect(samples[samples.length - 1].at + samples[samples.length - 1].size).toBe(mdat.end);
    });
  });

  it('grows the sidx references to the new fragment sizes', () => {
    const found = boxesIn(encrypted);
    const index = only(found, 'sidx');
    const moofs = found.filter((candidate) => candidate.type === 'moof');
    const mdats = found.filter((candidate) => candidate.type === 'mdat');
    expect(encrypted.readUInt32BE(index.body + 16)).toBe(0); // first_offset: the fragments follow the sidx
    for (let reference = 0; reference < 3; reference += 1) {
      const word = encrypted.readUInt32BE(index.body + 24 + 12 * reference);
      expect(word & 0x7fffffff).toBe(mdats[reference].end - moofs[reference].start);
    }
  });

  it('decrypts (independent reader, AES-CTR from IV ‖ 0 across subsamples) to the clear samples', () => {
    expect(mdatPayloads(decryptSegment(encrypted, KEY.key))).toEqual(mdatPayloads(clear));
  });

  it('changes every protected byte range and no clear one', () => {
    const clearMdats = mdatPayloads(clear);
    perFragment.forEach((samples, index) => {
      const mdatStart = samples[0].at;
      for (const sample of samples) {
        let at = sample.at;
        for (const run of sample.subsamples) {
          const original = clearMdats[index].subarray(at - mdatStart, at - mdatStart + run.clear + run.protected);
          const now = encrypted.subarray(at, at + run.clear + run.protected);
          expect(now.subarray(0, run.clear)).toEqual(original.subarray(0, run.clear));
          if (run.protected > 0) expect(now.subarray(run.clear)).not.toEqual(original.subarray(run.clear));
          at += run.clear + run.protected;
        }
      }
    });
  });

  it('gives every sample its own IV from the sequence, wrapping at 64 bits, and carries on across calls', () => {
    const ivHex = perFragment.flat().map((sample) => sample.iv.toString('hex'));
    expect(ivHex.slice(0, 3)).toEqual(['00000000fffffffe', '00000000ffffffff', '0000000100000000']);
    expect(new Set(ivHex).size).toBe(ivHex.length);
    const next = fragmentSamples(encryptFragments(fragments[0], TRACK, KEY, ivs))[0][0].iv.toString('hex');
    expect(next).toBe('0000000100000007');
    const wrapping = new IvSequence(Buffer.from('ffffffffffffffff', 'hex'));
    expect([wrapping.take().toString('hex'), wrapping.take().toString('hex')]).toEqual([
      'ffffffffffffffff',
      '0000000000000000',
    ]);
  });

  it('uses a per-sample saiz table when sizes differ and the default size when they are equal', () => {
    const saizOf = (segment: Buffer) => {
      const traf = only(boxesIn(segment, only(boxesIn(segment), 'moof').body), 'traf');
      const saiz = only(boxesIn(segment, traf.body, traf.end), 'saiz');
      return { defaultSize: segment[saiz.body + 4], length: saiz.end - saiz.start };
    };
    const twoSlices = Buffer.concat([nal(5, 96), nal(5, 96)]);
    const mixed = encryptFragments(fragment(1, [twoSlices, nal(1, 400)]), TRACK, KEY, new IvSequence());
    expect(saizOf(mixed)).toEqual({ defaultSize: 0, length: 8 + 4 + 1 + 4 + 2 });
    const even = encryptFragments(fragment(1, [nal(1, 400), nal(1, 300)]), TRACK, KEY, new IvSequence());
    expect(saizOf(even)).toEqual({ defaultSize: 16, length: 8 + 4 + 1 + 4 });
  });

  it('refuses what it cannot encrypt correctly, naming why', () => {
    const one = fragment(1, [keyFrame()]);
    expect(() =>
      encryptFragments(encryptFragments(one, TRACK, KEY, new IvSequence()), TRACK, KEY, new IvSequence()),
    ).toThrow(/already encrypted/);
    expect(() => encryptFragments(fragment(1, [keyFrame()], 1, 0x20001), TRACK, KEY, new IvSequence())).toThrow(
      /base-data-offset/,
    );
    expect(() => encryptFragments(fragment(1, [keyFrame()], 2), TRACK, KEY, new IvSequence())).toThrow(/track 2/);
    expect(() => encryptFragments(one.subarray(0, one.length - 10), TRACK, KEY, new IvSequence())).toThrow(
      Mp4FormatError,
    );
    expect(() => encryptFragments(box('mdat', keyFrame()), TRACK, KEY, new IvSequence())).toThrow(/no moof/);
    // Two truns naming the same bytes: encrypting them twice would decrypt to neither.
    const sample = keyFrame();
    const twice = (dataOffset: number) =>
      box(
        'moof',
        box('mfhd', u32(0, 1)),
        box(
          'traf',
          box('tfhd', u32(0x20000, 1)),
          box('trun', u32(0x201, 1, dataOffset), u32(sample.length)),
          box('trun', u32(0x201, 1, dataOffset), u32(sample.length)),
        ),
      );
    const overlapping = Buffer.concat([twice(twice(0).length + 8), box('mdat', sample)]);
    expect(() => encryptFragments(overlapping, TRACK, KEY, new IvSequence())).toThrow(/overlap/);
    expect(() => encryptFragments(one, TRACK, { kid: KEY.kid, key: Buffer.alloc(15) }, new IvSequence())).toThrow(
      RangeError,
    );
  });

  it('leaves the input untouched', () => {
    const copy = Buffer.from(clear);
    encryptFragments(clear, TRACK, KEY, new IvSequence());
    expect(clear).toEqual(copy);
  });
});

describe('encryptInitSegment (committed demo-3 init)', () => {
  const init = readFileSync(join(CMAF, 'init.mp4'));
  const { bytes, track } = encryptInitSegment(init, KEY);
  const path = (segment: Buffer, types: string[], prefixes: Record<string, number> = {}) => {
    let found = only(boxesIn(segment), types[0]);
    for (const type of types.slice(1)) {
      found = only(boxesIn(segment, found.body + (prefixes[found.type] ?? 0), found.end), type);
    }
    return found;
  };
  const STBL = ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'];

  it('reads the track: id 1, 4-byte NAL lengths, the codec string from avcC', () => {
    expect(track).toEqual(expect.objectContaining({ trackId: 1, nalLengthSize: 4, codec: 'avc1.4d401e' }));
  });

  it('turns avc1 into encv with sinf: frma avc1, schm cenc 1.0, tenc protected, 8-byte IVs, the key id', () => {
    const prefixes = { stsd: 8, encv: 78 };
    const encv = path(bytes, [...STBL, 'encv'], prefixes);
    expect(boxesIn(bytes, encv.body + 78, encv.end).map((found) => found.type)).toEqual(
      expect.arrayContaining(['avcC', 'sinf']),
    );
    const frma = path(bytes, [...STBL, 'encv', 'sinf', 'frma'], prefixes);
    expect(bytes.toString('latin1', frma.body, frma.end)).toBe('avc1');
    const schm = path(bytes, [...STBL, 'encv', 'sinf', 'schm'], prefixes);
    expect(bytes.toString('latin1', schm.body + 4, schm.body + 8)).toBe('cenc');
    expect(bytes.readUInt32BE(schm.body + 8)).toBe(0x00010000);
    const tenc = path(bytes, [...STBL, 'encv', 'sinf', 'schi', 'tenc'], prefixes);
    expect([...bytes.subarray(tenc.body + 6, tenc.body + 8)]).toEqual([1, 8]);
    expect(bytes.subarray(tenc.body + 8, tenc.end)).toEqual(KEY.kid);
  });

  it('adds a version-1 ClearKey pssh to moov naming the key id', () => {
    const pssh = path(bytes, ['moov', 'pssh']);
    expect(bytes[pssh.body]).toBe(1);
    expect(bytes.subarray(pssh.body + 4, pssh.body + 20)).toEqual(CLEARKEY_SYSTEM_ID);
    expect(CLEARKEY_SYSTEM_ID.toString('hex')).toBe('1077efecc0b24d02ace33c1e52e2fb4b');
    expect(bytes.readUInt32BE(pssh.body + 20)).toBe(1);
    expect(bytes.subarray(pssh.body + 24, pssh.body + 40)).toEqual(KEY.kid);
    expect(bytes.readUInt32BE(pssh.body + 40)).toBe(0);
    expect(pssh.end).toBe(pssh.body + 44);
  });

  it('keeps every other box byte for byte and the tree consistent', () => {
    expect(writeBoxes(readBoxes(init))).toEqual(init); // the walker round-trips what it reads
    expect(writeBoxes(readBoxes(bytes))).toEqual(bytes);
    expect(path(bytes, ['ftyp'])).toBeDefined();
    const avcC = (segment: Buffer, entry: string) => path(segment, [...STBL, entry, 'avcC'], { stsd: 8, [entry]: 78 });
    const before = avcC(init, 'avc1');
    const after = avcC(bytes, 'encv');
    expect(bytes.subarray(after.start, after.end)).toEqual(init.subarray(before.start, before.end));
  });

  it('puts a given pssh box (as a key provider returns it) in moov as it is, and refuses one that is not a pssh', () => {
    const given = Buffer.concat([u32(32), Buffer.from('pssh'), u32(0), randomBytes(16), u32(0)]);
    const withGiven = encryptInitSegment(init, KEY, { pssh: given }).bytes;
    expect(withGiven.includes(given)).toBe(true);
    expect(withGiven.includes(CLEARKEY_SYSTEM_ID)).toBe(false);
    expect(() => encryptInitSegment(init, KEY, { pssh: box('free', u32(0)) })).toThrow(/not one pssh box/);
  });

  it('refuses an already encrypted init and a bad key id', () => {
    expect(() => encryptInitSegment(bytes, KEY)).toThrow(/already encrypted/);
    expect(() => encryptInitSegment(init, { kid: Buffer.alloc(8) })).toThrow(RangeError);
    expect(() => encryptInitSegment(box('ftyp', Buffer.from('isom')), KEY)).toThrow(/no moov/);
  });
});

describe('encryptedPlaylist', () => {
  const clear = readFileSync(join(CMAF, 'index.m3u8'), 'utf8');

  it('puts the SAMPLE-AES-CTR ClearKey key tag with the key id before the init section', () => {
    const lines = encryptedPlaylist(clear, KEY.kid).split('\n');
    const keyAt = lines.findIndex((line) => line.startsWith('#EXT-X-KEY:'));
    expect(lines[keyAt]).toBe(
      `#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",URI="data:text/plain;base64,${KEY.kid.toString('base64')}",KEYID=0x${KEY.kid.toString('hex')}`,
    );
    expect(lines[keyAt + 1]).toBe('#EXT-X-MAP:URI="init.mp4"');
    expect(lines.filter((line) => !line.startsWith('#EXT-X-KEY:'))).toEqual(clear.split('\n'));
  });

  it('uses a given key tag (as a key provider returns it) only if it is one #EXT-X-KEY line naming the key id', () => {
    const tag = `#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,KEYFORMAT="org.w3.clearkey",KEYID=0x${KEY.kid.toString('hex')}`;
    expect(encryptedPlaylist(clear, KEY.kid, tag).split('\n')).toContain(tag);
    expect(() => encryptedPlaylist(clear, KEY.kid, tag.replace(KEY.kid.toString('hex'), '00'.repeat(16)))).toThrow(
      /naming/,
    );
    expect(() => encryptedPlaylist(clear, KEY.kid, `${tag}\n#EXTINF:1,\nx.m4s`)).toThrow(/one #EXT-X-KEY line/);
  });

  it('refuses a playlist without an init section or with a key already', () => {
    expect(() => encryptedPlaylist('#EXTM3U\n#EXTINF:2,\na.ts\n', KEY.kid)).toThrow(/EXT-X-MAP/);
    expect(() => encryptedPlaylist(encryptedPlaylist(clear, KEY.kid), KEY.kid)).toThrow(/already/);
  });
});

describe('encryptSampleInPlace keystream', () => {
  it('matches one AES-CTR stream over the concatenated protected runs (counter = IV ‖ 0)', () => {
    const sample = Buffer.concat([nal(5, 64), nal(1, 48)]);
    const runs = subsamplesOf(sample, 4);
    const iv = randomBytes(8);
    const fragmentBytes = fragment(1, [sample]);
    const encrypted = encryptFragments(fragmentBytes, TRACK, KEY, new IvSequence(iv));
    const [[found]] = fragmentSamples(encrypted);
    const protectedClear = Buffer.concat([sample.subarray(5, 69), sample.subarray(74, 122)]);
    const stream = createCipheriv('aes-128-ctr', KEY.key, Buffer.concat([iv, Buffer.alloc(8)])).update(protectedClear);
    const got = encrypted.subarray(found.at, found.at + found.size);
    expect(Buffer.concat([got.subarray(5, 69), got.subarray(74, 122)])).toEqual(stream);
    expect(runs).toEqual([
      { clear: 5, protected: 64 },
      { clear: 5, protected: 48 },
    ]);
  });
});
