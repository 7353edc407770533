/**
 * A minimal ISO BMFF (MP4) box walker and writer: enough to rewrite an init segment's sample
 * entry and a fragment's `traf` for CENC. Boxes are read into a tree; only the containers this
 * code descends into are split into children, every other box keeps its payload bytes as read.
 */

export interface Mp4Box {
  type: string;
  /** Offset of the box's first byte (its size field) in the buffer it was read from. */
  start: number;
  /** Bytes the box occupied when read (header included). */
  size: number;
  /** The payload after the header (and, for containers, before any children). */
  payload: Buffer;
  /** Child boxes of a container; undefined for a leaf. */
  children?: Mp4Box[];
}

/** Boxes whose payload is nothing but child boxes. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'moof', 'traf', 'mvex', 'sinf', 'schi']);

/**
 * Containers with fixed fields before their children: `stsd` (full box header + entry count), and
 * visual sample entries (78 bytes: SampleEntry's 8 and VisualSampleEntry's 70, ISO/IEC 14496-12 §12.1.3).
 */
const PREFIXED_CONTAINERS: Record<string, number> = { stsd: 8, avc1: 78, avc3: 78, encv: 78 };

export class Mp4FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Mp4FormatError';
  }
}

/** The boxes in `bytes[from, to)`, read recursively into the containers above. */
export function readBoxes(bytes: Buffer, from = 0, to = bytes.length): Mp4Box[] {
  const boxes: Mp4Box[] = [];
  let offset = from;
  while (offset < to) {
    if (to - offset < 8) throw new Mp4FormatError(`truncated box header at offset ${offset}`);
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    let header = 8;
    if (size === 1) {
      if (to - offset < 16) throw new Mp4FormatError(`truncated large box header at offset ${offset}`);
      const large = bytes.readBigUInt64BE(offset + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4FormatError(`box ${type} too large`);
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = to - offset; // "extends to the end of the file"
    }
    if (size < header || offset + size > to)
      throw new Mp4FormatError(`box ${type} at offset ${offset} has size ${size}, beyond its parent`);
    const bodyStart = offset + header;
    const end = offset + size;
    const prefix = CONTAINERS.has(type) ? 0 : PREFIXED_CONTAINERS[type];
    if (prefix === undefined) {
      boxes.push({ type, start: offset, size, payload: bytes.subarray(bodyStart, end) });
    } else {
      if (end - bodyStart < prefix) throw new Mp4FormatError(`box ${type} at offset ${offset} is too short`);
      boxes.push({
        type,
        start: offset,
        size,
        payload: bytes.subarray(bodyStart, bodyStart + prefix),
        children: readBoxes(bytes, bodyStart + prefix, end),
      });
    }
    offset = end;
  }
  return boxes;
}

/** The box's bytes: header, payload, then its children, each written again. */
export function writeBox(box: Pick<Mp4Box, 'type' | 'payload' | 'children'>): Buffer {
  const body = Buffer.concat([box.payload, ...(box.children ?? []).map(writeBox)]);
  return boxBytes(box.type, body);
}

export function writeBoxes(boxes: readonly Pick<Mp4Box, 'type' | 'payload' | 'children'>[]): Buffer {
  return Buffer.concat(boxes.map(writeBox));
}

/** A box of `type` holding `body`, with a 32-bit size (a 64-bit one beyond 4 GiB). */
export function boxBytes(type: string, body: Buffer): Buffer {
  if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Mp4FormatError(`invalid box type "${type}"`);
  if (body.length + 8 <= 0xffffffff) {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(body.length + 8, 0);
    header.write(type, 4, 'latin1');
    return Buffer.concat([header, body]);
  }
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1, 0);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(body.length + 16), 8);
  return Buffer.concat([header, body]);
}

/** A full box's payload: version, 24-bit flags, then `body`. */
export function fullBoxPayload(version: number, flags: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return Buffer.concat([header, body]);
}

export function fullBoxHeader(payload: Buffer): { version: number; flags: number } {
  if (payload.length < 4) throw new Mp4FormatError('full box shorter than its version and flags');
  const word = payload.readUInt32BE(0);
  return { version: word >>> 24, flags: word & 0xffffff };
}

/** The first child of `type`, or undefined. */
export function child(box: Mp4Box, type: string): Mp4Box | undefined {
  return box.children?.find((candidate) => candidate.type === type);
}

/** The first child of `type`; a format error naming the path when there is none. */
export function requireChild(box: Mp4Box, type: string): Mp4Box {
  const found = child(box, type);
  if (found === undefined) throw new Mp4FormatError(`${box.type} has no ${type}`);
  return found;
}

/** The box at a path of types below `boxes` (e.g. ['moov', 'trak', 'mdia']), first match at each step. */
export function findPath(boxes: readonly Mp4Box[], path: readonly string[]): Mp4Box | undefined {
  let current: Mp4Box | undefined = boxes.find((box) => box.type === path[0]);
  for (const type of path.slice(1)) {
    if (current === undefined) return undefined;
    current = child(current, type);
  }
  return current;
}
