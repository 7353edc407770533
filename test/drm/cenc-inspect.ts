/**
 * An independent reader of CENC fragments for the tests: it walks boxes itself (not with the
 * encrypter's walker), finds each sample's IV and subsamples through `saiz`/`saio` (as Chromium
 * does) and checks that they are the bytes `senc` holds, then decrypts with AES-128-CTR.
 */
import { createDecipheriv } from 'node:crypto';

export interface RawBox {
  type: string;
  start: number;
  end: number;
  /** First byte after the header. */
  body: number;
}

export function boxesIn(bytes: Buffer, from = 0, to = bytes.length): RawBox[] {
  const found: RawBox[] = [];
  for (let at = from; at < to; ) {
    const size = bytes.readUInt32BE(at);
    if (size < 8 || at + size > to) throw new Error(`bad box size ${size} at ${at}`);
    found.push({ type: bytes.toString('latin1', at + 4, at + 8), start: at, end: at + size, body: at + 8 });
    at += size;
  }
  return found;
}

export function only(boxes: RawBox[], type: string): RawBox {
  const matching = boxes.filter((box) => box.type === type);
  if (matching.length !== 1) throw new Error(`expected one ${type}, found ${matching.length}`);
  return matching[0];
}

export interface SampleCrypto {
  /** Absolute offset of the sample in the segment. */
  at: number;
  size: number;
  iv: Buffer;
  subsamples: { clear: number; protected: number }[];
}

/** Per fragment, each sample's place and the auxiliary information that encrypts it. */
export function fragmentSamples(segment: Buffer): SampleCrypto[][] {
  const fragments: SampleCrypto[][] = [];
  for (const moof of boxesIn(segment).filter((box) => box.type === 'moof')) {
    const traf = only(boxesIn(segment, moof.body, moof.end), 'traf');
    const children = boxesIn(segment, traf.body, traf.end);
    const tfhd = only(children, 'tfhd');
    const tfhdFlags = segment.readUInt32BE(tfhd.body) & 0xffffff;
    if (!(tfhdFlags & 0x20000)) throw new Error('expected default-base-is-moof');
    const trun = only(children, 'trun');
    const trunFlags = segment.readUInt32BE(trun.body) & 0xffffff;
    const count = segment.readUInt32BE(trun.body + 4);
    let cursor = trun.body + 8;
    let at = moof.start + segment.readInt32BE(cursor);
    cursor += 4;
    if (trunFlags & 0x4) cursor += 4;
    const places: { at: number; size: number }[] = [];
    for (let index = 0; index < count; index += 1) {
      if (trunFlags & 0x100) cursor += 4;
      const size = segment.readUInt32BE(cursor);
      cursor += 4;
      if (trunFlags & 0x400) cursor += 4;
      if (trunFlags & 0x800) cursor += 4;
      places.push({ at, size });
      at += size;
    }
    const saiz = only(children, 'saiz');
    const defaultInfoSize = segment[saiz.body + 4];
    const infoCount = segment.readUInt32BE(saiz.body + 5);
    if (infoCount !== count) throw new Error(`saiz counts ${infoCount} samples, trun ${count}`);
    const infoSizes = Array.from({ length: count }, (_, i) => defaultInfoSize || segment[saiz.body + 9 + i]);
    const saio = only(children, 'saio');
    if (segment.readUInt32BE(saio.body + 4) !== 1) throw new Error('expected one saio entry');
    let info = moof.start + segment.readUInt32BE(saio.body + 8);
    const senc = only(children, 'senc');
    if (info !== senc.body + 8) throw new Error(`saio points at ${info}, senc's first IV is at ${senc.body + 8}`);
    const samples: SampleCrypto[] = [];
    for (let index = 0; index < count; index += 1) {
      const iv = segment.subarray(info, info + 8);
      const subsampleCount = segment.readUInt16BE(info + 8);
      if (8 + 2 + 6 * subsampleCount !== infoSizes[index]) throw new Error(`saiz size wrong for sample ${index}`);
      const subsamples = Array.from({ length: subsampleCount }, (_, i) => ({
        clear: segment.readUInt16BE(info + 10 + 6 * i),
        protected: segment.readUInt32BE(info + 12 + 6 * i),
      }));
      samples.push({ ...places[index], iv: Buffer.from(iv), subsamples });
      info += infoSizes[index];
    }
    if (info !== senc.end) throw new Error('senc holds more than the samples use');
    fragments.push(samples);
  }
  return fragments;
}

/** The segment with every sample decrypted in place (CTR from IV ‖ 0, running across subsamples). */
export function decryptSegment(segment: Buffer, key: Buffer): Buffer {
  const clear = Buffer.from(segment);
  for (const sample of fragmentSamples(segment).flat()) {
    const decipher = createDecipheriv('aes-128-ctr', key, Buffer.concat([sample.iv, Buffer.alloc(8)]));
    let at = sample.at;
    for (const run of sample.subsamples) {
      at += run.clear;
      decipher.update(segment.subarray(at, at + run.protected)).copy(clear, at);
      at += run.protected;
    }
    if (at !== sample.at + sample.size) throw new Error('subsamples do not cover the sample');
  }
  return clear;
}

/** The samples' bytes (in trun order) of every fragment: what a decoder receives. */
export function sampleBytes(segment: Buffer, places: { at: number; size: number }[]): Buffer[] {
  return places.map(({ at, size }) => segment.subarray(at, at + size));
}
