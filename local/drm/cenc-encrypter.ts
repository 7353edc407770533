/**
 * Common Encryption of fragmented H.264 MP4 (CMAF) with the `cenc` scheme, ISO/IEC 23001-7:
 * AES-128-CTR, one counter stream per sample starting at its 8-byte IV ‖ 8 zero bytes, and
 * subsample encryption: each NAL unit's length field and header byte stay clear, so do non-VCL
 * NAL units (SPS, PPS, SEI...), and only the slice data is encrypted.
 *
 * The init segment gets an `encv` sample entry carrying `sinf` (`frma` = the original format,
 * `schm` = cenc 1.0, `schi`/`tenc` = the default key id, 8-byte IVs) and a ClearKey `pssh` naming
 * the key id. Each `traf` gets `senc` (IV and subsamples per sample) with the `saiz`/`saio` that
 * locate that data, its `trun` data offsets move by what the `moof` grew, a `sidx` in front has
 * its sizes grown to match, and `mfra` (absolute offsets gone stale) is dropped.
 *
 * Why it exists: no packager available here writes valid fragmented CENC (docs/drm.md).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  boxBytes,
  child,
  fullBoxHeader,
  fullBoxPayload,
  Mp4FormatError,
  type Mp4Box,
  readBoxes,
  requireChild,
  writeBox,
  writeBoxes,
} from './mp4-boxes';

export interface ContentKey {
  /** 16-byte key id (the KID in `tenc`, `pssh`, the playlist and the licence request). */
  kid: Buffer;
  /** 16-byte AES-128 content key. */
  key: Buffer;
}

/** W3C EME ClearKey's DRM system id, as a `pssh` names it. */
export const CLEARKEY_SYSTEM_ID = Buffer.from('1077efecc0b24d02ace33c1e52e2fb4b', 'hex');
const IV_SIZE = 8;
const AES_BLOCK = 16;
/** `BytesOfClearData` is a 16-bit field. */
export const MAX_CLEAR_RUN = 0xffff;
/** `saiz` sizes are 8-bit: 8 (IV) + 2 + 6 per subsample ≤ 255. */
const MAX_SUBSAMPLES = Math.floor((255 - IV_SIZE - 2) / 6);
const VISUAL_AVC_ENTRIES = new Set(['avc1', 'avc3']);

/** What the fragments' encryption needs from the init segment. */
export interface TrackInfo {
  trackId: number;
  /** Bytes of each NAL unit's length prefix (avcC lengthSizeMinusOne + 1). */
  nalLengthSize: number;
  /** RFC 6381 codec string from avcC, e.g. avc1.4d401e. */
  codec: string;
  /** `trex` defaults, used where a fragment gives no sample size. */
  defaultSampleSize?: number;
}

export interface Subsample {
  clear: number;
  protected: number;
}

/**
 * Per-sample IVs: a 64-bit counter from a random start, so no two samples under one key share an
 * IV (and with the block counter in the low 8 bytes, no two samples share a counter block).
 */
export class IvSequence {
  private next: bigint;

  constructor(start: Buffer = randomBytes(IV_SIZE)) {
    if (start.length !== IV_SIZE) throw new RangeError(`an IV start must be ${IV_SIZE} bytes`);
    this.next = start.readBigUInt64BE(0);
  }

  take(): Buffer {
    const iv = Buffer.alloc(IV_SIZE);
    iv.writeBigUInt64BE(this.next);
    this.next = (this.next + 1n) & 0xffffffffffffffffn;
    return iv;
  }
}

function checkKey(key: ContentKey): void {
  if (key.kid.length !== 16 || key.key.length !== 16)
    throw new RangeError('a content key and its id are 16 bytes each');
}

// ---- init segment --------------------------------------------------------------------------------

/**
 * The init segment with an encrypted sample entry and a `pssh`, and what fragments need. The
 * `pssh` is the one given (a whole box, as a SPEKE key provider returns it) or else a ClearKey one.
 */
export function encryptInitSegment(
  init: Buffer,
  key: Pick<ContentKey, 'kid'>,
  options: { pssh?: Buffer } = {},
): { bytes: Buffer; track: TrackInfo } {
  if (key.kid.length !== 16) throw new RangeError('a key id is 16 bytes');
  const pssh = options.pssh === undefined ? undefined : readBoxes(options.pssh);
  if (pssh !== undefined && (pssh.length !== 1 || pssh[0].type !== 'pssh'))
    throw new Mp4FormatError('the pssh given is not one pssh box');
  const boxes = readBoxes(init).filter((box) => box.type !== 'mfra');
  const moov = boxes.find((box) => box.type === 'moov');
  if (moov === undefined) throw new Mp4FormatError('init segment has no moov');
  const traks = moov.children?.filter((box) => box.type === 'trak') ?? [];
  if (traks.length !== 1) throw new Mp4FormatError(`expected one track, found ${traks.length}`);
  const trak = traks[0];
  const stsd = requireChild(requireChild(requireChild(requireChild(trak, 'mdia'), 'minf'), 'stbl'), 'stsd');
  const entries = stsd.children ?? [];
  if (entries.length === 0) throw new Mp4FormatError('stsd has no sample entry');
  let nalLengthSize = 0;
  let codec = '';
  for (const entry of entries) {
    if (entry.type === 'encv') throw new Mp4FormatError('the track is already encrypted');
    if (!VISUAL_AVC_ENTRIES.has(entry.type))
      throw new Mp4FormatError(`unsupported sample entry ${entry.type} (H.264 only)`);
    const avcC = requireChild(entry, 'avcC').payload;
    if (avcC.length < 5) throw new Mp4FormatError('avcC too short');
    nalLengthSize = (avcC[4] & 0x03) + 1;
    codec = `${entry.type}.${avcC.subarray(1, 4).toString('hex')}`;
    const original = entry.type;
    entry.type = 'encv';
    entry.children = [...(entry.children ?? []), protectionScheme(original, key.kid)];
  }
  if (nalLengthSize === 3) throw new Mp4FormatError('3-byte NAL lengths are not valid H.264 in MP4');
  const trackId = tkhdTrackId(requireChild(trak, 'tkhd'));
  const trex = (child(moov, 'mvex')?.children ?? []).find(
    (box) => box.type === 'trex' && box.payload.readUInt32BE(4) === trackId,
  );
  const defaultSampleSize = trex === undefined ? undefined : trex.payload.readUInt32BE(16);
  const psshBox = pssh?.[0] ?? { type: 'pssh', start: 0, size: 0, payload: clearKeyPsshPayload(key.kid) };
  moov.children = [...(moov.children ?? []), psshBox];
  return { bytes: writeBoxes(boxes), track: { trackId, nalLengthSize, codec, defaultSampleSize } };
}

function protectionScheme(originalFormat: string, kid: Buffer): Mp4Box {
  const leaf = (type: string, payload: Buffer): Mp4Box => ({ type, start: 0, size: 0, payload });
  const schemeType = Buffer.alloc(8);
  schemeType.write('cenc', 0, 'latin1');
  schemeType.writeUInt32BE(0x00010000, 4); // version 1.0
  // tenc v0: two reserved bytes, isProtected = 1, Per_Sample_IV_Size = 8, default KID.
  const tenc = fullBoxPayload(0, 0, Buffer.concat([Buffer.from([0, 0, 1, IV_SIZE]), kid]));
  return {
    type: 'sinf',
    start: 0,
    size: 0,
    payload: Buffer.alloc(0),
    children: [
      leaf('frma', Buffer.from(originalFormat, 'latin1')),
      leaf('schm', fullBoxPayload(0, 0, schemeType)),
      { type: 'schi', start: 0, size: 0, payload: Buffer.alloc(0), children: [leaf('tenc', tenc)] },
    ],
  };
}

/** A version-1 `pssh` for ClearKey: the system id and the key ids, no data (W3C "cenc" init data). */
export function clearKeyPsshPayload(...kids: Buffer[]): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(kids.length);
  return fullBoxPayload(1, 0, Buffer.concat([CLEARKEY_SYSTEM_ID, count, ...kids, Buffer.alloc(4)]));
}

function tkhdTrackId(tkhd: Mp4Box): number {
  const { version } = fullBoxHeader(tkhd.payload);
  return tkhd.payload.readUInt32BE(version === 1 ? 20 : 12);
}

// ---- samples -------------------------------------------------------------------------------------

/**
 * How one AVC sample (length-prefixed NAL units) splits into clear and protected byte runs: VCL
 * NAL units (types 1-5) keep their length and header byte clear and have the rest encrypted in
 * whole AES blocks (the few leftover bytes stay clear at the front, as common packagers do);
 * everything else is clear. Clear runs longer than 16 bits allow are split.
 */
export function subsamplesOf(sample: Buffer, nalLengthSize: number): Subsample[] {
  const result: Subsample[] = [];
  let clear = 0;
  const push = (protectedBytes: number): void => {
    while (clear > MAX_CLEAR_RUN) {
      result.push({ clear: MAX_CLEAR_RUN, protected: 0 });
      clear -= MAX_CLEAR_RUN;
    }
    result.push({ clear, protected: protectedBytes });
    clear = 0;
  };
  let position = 0;
  while (position < sample.length) {
    if (position + nalLengthSize > sample.length) throw new Mp4FormatError('truncated NAL length in a sample');
    const nalSize = sample.readUIntBE(position, nalLengthSize);
    const end = position + nalLengthSize + nalSize;
    if (nalSize === 0 || end > sample.length) throw new Mp4FormatError('NAL unit size beyond its sample');
    const nalType = sample[position + nalLengthSize] & 0x1f;
    const body = nalSize - 1;
    const protectedBytes = nalType >= 1 && nalType <= 5 ? body - (body % AES_BLOCK) : 0;
    clear += nalLengthSize + nalSize - protectedBytes;
    if (protectedBytes > 0) push(protectedBytes);
    position = end;
  }
  if (clear > 0) push(0);
  return result;
}

/** Encrypts `sample` in place: one AES-CTR stream from IV ‖ 0, running on across its protected runs. */
export function encryptSampleInPlace(sample: Buffer, subsamples: readonly Subsample[], key: Buffer, iv: Buffer): void {
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.concat([iv, Buffer.alloc(16 - iv.length)]));
  let position = 0;
  for (const { clear, protected: length } of subsamples) {
    position += clear;
    if (length > 0) cipher.update(sample.subarray(position, position + length)).copy(sample, position);
    position += length;
  }
  if (position !== sample.length) throw new Mp4FormatError('subsamples do not cover the sample');
}

// ---- fragments -----------------------------------------------------------------------------------

interface TrunSample {
  /** Offset of the sample in the input buffer. */
  at: number;
  size: number;
}

/**
 * Encrypts every fragment (`moof` + `mdat`) of a media segment or fragmented file. `ivs` carries
 * on across calls, so pass the same sequence for every segment encrypted under one key.
 */
export function encryptFragments(media: Buffer, track: TrackInfo, key: ContentKey, ivs: IvSequence): Buffer {
  checkKey(key);
  const output = Buffer.from(media); // mdat payloads are encrypted in this copy, in place
  const boxes = readBoxes(media);
  const growth = new Map<number, number>(); // moof start (input offset) → bytes it grew
  const written = new Map<Mp4Box, Buffer>();
  for (const box of boxes) {
    if (box.type !== 'moof') continue;
    const bytes = encryptFragment(box, media, output, track, key, ivs);
    written.set(box, bytes);
    growth.set(box.start, bytes.length - box.size);
  }
  if (growth.size === 0) throw new Mp4FormatError('no moof in the media segment');
  const parts: Buffer[] = [];
  for (const box of boxes) {
    if (box.type === 'mfra') continue;
    const replaced = written.get(box);
    if (replaced !== undefined) parts.push(replaced);
    else if (box.type === 'sidx') parts.push(patchSidx(box, growth));
    else parts.push(output.subarray(box.start, box.start + box.size));
  }
  return Buffer.concat(parts);
}

function encryptFragment(
  moof: Mp4Box,
  input: Buffer,
  output: Buffer,
  track: TrackInfo,
  key: ContentKey,
  ivs: IvSequence,
): Buffer {
  const trafs = moof.children?.filter((box) => box.type === 'traf') ?? [];
  if (trafs.length !== 1) throw new Mp4FormatError(`expected one traf per moof, found ${trafs.length}`);
  const traf = trafs[0];
  for (const type of ['senc', 'saiz', 'saio']) {
    if (child(traf, type) !== undefined) throw new Mp4FormatError(`the fragment is already encrypted (${type})`);
  }
  const tfhd = readTfhd(requireChild(traf, 'tfhd'));
  if (tfhd.trackId !== track.trackId)
    throw new Mp4FormatError(`traf for track ${tfhd.trackId}, expected ${track.trackId}`);
  const defaultSize = tfhd.defaultSampleSize ?? track.defaultSampleSize;
  const mdatEnd = followingMdatEnd(input, moof);

  // Encrypt each sample, in trun order, and record what senc needs.
  const samples: { iv: Buffer; subsamples: Subsample[] }[] = [];
  let next = moof.start; // data of a trun without data_offset follows the previous one's
  let encryptedUpTo = 0;
  for (const trun of traf.children?.filter((box) => box.type === 'trun') ?? []) {
    const parsed = readTrun(trun, moof.start, next, defaultSize);
    for (const sample of parsed) {
      if (sample.at < moof.start + moof.size || sample.at + sample.size > mdatEnd)
        throw new Mp4FormatError('a sample lies outside the mdat that follows its moof');
      // Overlapping samples would be encrypted twice and decrypt to neither.
      if (sample.at < encryptedUpTo) throw new Mp4FormatError('samples overlap or run backwards');
      encryptedUpTo = sample.at + sample.size;
      const subsamples = subsamplesOf(input.subarray(sample.at, sample.at + sample.size), track.nalLengthSize);
      if (subsamples.length > MAX_SUBSAMPLES) throw new Mp4FormatError(`a sample has ${subsamples.length} subsamples`);
      const iv = ivs.take();
      encryptSampleInPlace(output.subarray(sample.at, sample.at + sample.size), subsamples, key.key, iv);
      samples.push({ iv, subsamples });
      next = sample.at + sample.size;
    }
  }

  const sencBody = Buffer.concat([
    u32(samples.length),
    ...samples.map(({ iv, subsamples }) =>
      Buffer.concat([
        iv,
        u16(subsamples.length),
        ...subsamples.map((s) => Buffer.concat([u16(s.clear), u32(s.protected)])),
      ]),
    ),
  ]);
  const infoSizes = samples.map(({ subsamples }) => IV_SIZE + 2 + 6 * subsamples.length);
  const sameSize = infoSizes.every((size) => size === infoSizes[0]) && infoSizes.length > 0;
  const saiz = fullBoxPayload(
    0,
    0,
    Buffer.concat([
      Buffer.from([sameSize ? infoSizes[0] : 0]),
      u32(samples.length),
      sameSize ? Buffer.alloc(0) : Buffer.from(infoSizes),
    ]),
  );
  const leaf = (type: string, payload: Buffer): Mp4Box => ({ type, start: 0, size: 0, payload });
  const saio = leaf('saio', fullBoxPayload(0, 0, Buffer.concat([u32(1), u32(0)])));
  traf.children = [...(traf.children ?? []), leaf('saiz', saiz), saio, leaf('senc', fullBoxPayload(0, 0x2, sencBody))];

  // Sizes are now fixed: the mdat moves by what the moof grew, and saio points at senc's first IV.
  const grownBy = writeBox(moof).length - moof.size;
  for (const trun of traf.children.filter((box) => box.type === 'trun')) {
    const { flags } = fullBoxHeader(trun.payload);
    if (flags & 0x1) {
      const payload = Buffer.from(trun.payload);
      payload.writeInt32BE(payload.readInt32BE(8) + grownBy, 8);
      trun.payload = payload;
    }
  }
  const draft = writeBox(moof);
  const sencAt = findInWritten(draft, ['moof', 'traf', 'senc']);
  saio.payload = fullBoxPayload(0, 0, Buffer.concat([u32(1), u32(sencAt + 8 + 4 + 4)]));
  return writeBox(moof);
}

interface Tfhd {
  trackId: number;
  defaultSampleSize?: number;
}

function readTfhd(box: Mp4Box): Tfhd {
  const { flags } = fullBoxHeader(box.payload);
  // An explicit base offset is absolute in the file: not what CMAF segments use, and it would not
  // survive the moof growing. Default-base-is-moof (or no base at all) means "from this moof".
  if (flags & 0x1) throw new Mp4FormatError('tfhd base-data-offset is not supported (CMAF uses default-base-is-moof)');
  let offset = 8;
  if (flags & 0x2) offset += 4; // sample_description_index
  if (flags & 0x8) offset += 4; // default_sample_duration
  const defaultSampleSize = flags & 0x10 ? box.payload.readUInt32BE(offset) : undefined;
  return { trackId: box.payload.readUInt32BE(4), defaultSampleSize };
}

function readTrun(box: Mp4Box, moofStart: number, next: number, defaultSize: number | undefined): TrunSample[] {
  const { flags } = fullBoxHeader(box.payload);
  const count = box.payload.readUInt32BE(4);
  let offset = 8;
  let at = next;
  if (flags & 0x1) {
    at = moofStart + box.payload.readInt32BE(offset);
    offset += 4;
  }
  if (flags & 0x4) offset += 4; // first_sample_flags
  const samples: TrunSample[] = [];
  for (let index = 0; index < count; index += 1) {
    if (flags & 0x100) offset += 4;
    let size = defaultSize;
    if (flags & 0x200) {
      size = box.payload.readUInt32BE(offset);
      offset += 4;
    }
    if (flags & 0x400) offset += 4;
    if (flags & 0x800) offset += 4;
    if (size === undefined) throw new Mp4FormatError('no sample size in trun, tfhd or trex');
    samples.push({ at, size });
    at += size;
  }
  return samples;
}

/** End (exclusive) of the mdat's payload right after `moof`. */
function followingMdatEnd(input: Buffer, moof: Mp4Box): number {
  const after = readBoxes(input, moof.start + moof.size, input.length)[0];
  if (after?.type !== 'mdat') throw new Mp4FormatError('a moof is not followed by its mdat');
  return after.start + after.size;
}

/** Offset of a box (by path of types) inside freshly written bytes. */
function findInWritten(bytes: Buffer, path: readonly string[]): number {
  let boxes = readBoxes(bytes);
  let found: Mp4Box | undefined;
  for (const type of path) {
    found = boxes.find((box) => box.type === type);
    if (found === undefined) throw new Mp4FormatError(`written box has no ${type}`);
    boxes = found.children ?? [];
  }
  return (found as Mp4Box).start;
}

/** The `sidx` with first_offset and referenced sizes grown by what the moofs in each range grew. */
function patchSidx(sidx: Mp4Box, growth: ReadonlyMap<number, number>): Buffer {
  const payload = Buffer.from(sidx.payload);
  const { version } = fullBoxHeader(payload);
  const firstOffsetAt = version === 0 ? 16 : 20;
  const readOffset = (): number =>
    version === 0 ? payload.readUInt32BE(firstOffsetAt) : Number(payload.readBigUInt64BE(firstOffsetAt));
  const grownIn = (from: number, to: number): number => {
    let total = 0;
    for (const [start, grown] of growth) if (start >= from && start < to) total += grown;
    return total;
  };
  const firstOffset = readOffset();
  let rangeStart = sidx.start + sidx.size + firstOffset;
  const newFirstOffset = firstOffset + grownIn(sidx.start + sidx.size, rangeStart);
  if (version === 0) payload.writeUInt32BE(newFirstOffset, firstOffsetAt);
  else payload.writeBigUInt64BE(BigInt(newFirstOffset), firstOffsetAt);
  const countAt = firstOffsetAt + (version === 0 ? 4 : 8) + 2;
  const count = payload.readUInt16BE(countAt);
  for (let index = 0; index < count; index += 1) {
    const at = countAt + 2 + index * 12;
    const word = payload.readUInt32BE(at);
    const size = word & 0x7fffffff;
    const newSize = size + grownIn(rangeStart, rangeStart + size);
    if (newSize > 0x7fffffff) throw new Mp4FormatError('sidx referenced size overflows');
    payload.writeUInt32BE(((word & 0x80000000) | newSize) >>> 0, at);
    rangeStart += size;
  }
  return boxBytes('sidx', payload);
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
}

// ---- playlist ------------------------------------------------------------------------------------

/**
 * The encrypted copy's media playlist: the clear one with, before its `#EXT-X-MAP`, the key tag
 * hls.js needs to start EME for ClearKey (it does not read key ids from the `pssh`):
 * SAMPLE-AES-CTR, KEYFORMAT org.w3.clearkey, and the key id as KEYID.
 */
export function encryptedPlaylist(clear: string, kid: Buffer, keyTag = clearKeyHlsKeyTag(kid)): string {
  const lines = clear.split(/\r?\n/);
  const mapAt = lines.findIndex((line) => line.startsWith('#EXT-X-MAP:'));
  if (mapAt === -1) throw new Mp4FormatError('the playlist has no #EXT-X-MAP (not fMP4)');
  if (lines.some((line) => line.startsWith('#EXT-X-KEY:'))) throw new Mp4FormatError('the playlist already has a key');
  if (!keyTag.startsWith('#EXT-X-KEY:') || !keyTag.includes(`KEYID=0x${kid.toString('hex')}`) || /[\r\n]/.test(keyTag))
    throw new Mp4FormatError('the key tag is not one #EXT-X-KEY line naming the key id');
  return [...lines.slice(0, mapAt), keyTag, ...lines.slice(mapAt)].join('\n');
}

/** The ClearKey key tag for a media playlist (`#EXT-X-SESSION-KEY` for a multivariant one). */
export function clearKeyHlsKeyTag(kid: Buffer, tag: 'EXT-X-KEY' | 'EXT-X-SESSION-KEY' = 'EXT-X-KEY'): string {
  return `#${tag}:METHOD=SAMPLE-AES-CTR,KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",URI="data:text/plain;base64,${kid.toString('base64')}",KEYID=0x${kid.toString('hex')}`;
}
