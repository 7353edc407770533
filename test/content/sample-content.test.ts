import { createDecipheriv } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';

// The committed sample content (scripts/make-sample-content.sh) is what the local edge serves and
// the browser tests play; these checks keep a regenerated or hand-edited copy coherent.

const contentDir = resolve(__dirname, '../../local/content');
const mediaDir = join(contentDir, 'media');
const cmafDir = join(contentDir, 'cmaf');
const MAX_TOTAL_BYTES = 2 * 1024 * 1024;
const TS_PACKET = 188;

interface CatalogEntry {
  id: string;
  title: string;
  encrypted: boolean;
  /** DRM videos: served only encrypted, under /drm/<id>/, from the clear CMAF in cmaf/<id>/. */
  drm?: 'clearkey';
  /** Live channels: played out from the loop in live/<id>/ (local/live/), never served as it is. */
  live?: true;
}

interface KeyTag {
  method: string;
  uri?: string;
  iv?: string;
}

interface Segment {
  uri: string;
  duration: number;
  mediaSequence: number;
  key?: KeyTag;
}

interface Playlist {
  lines: string[];
  /** Every URI the playlist references: segments, keys, init sections, variants. */
  uris: string[];
  segments: Segment[];
  targetDuration: number;
}

function attributes(list: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
    found.set(match[1], match[2].replace(/^"(.*)"$/, '$1'));
  }
  return found;
}

function parsePlaylist(text: string): Playlist {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const uris: string[] = [];
  const segments: Segment[] = [];
  let targetDuration = NaN;
  let sequence = 0;
  let duration = NaN;
  let key: KeyTag | undefined;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.split(':')[1]);
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = Number(line.split(':')[1]);
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice('#EXTINF:'.length));
    else if (line.startsWith('#EXT-X-KEY:')) {
      const attrs = attributes(line.slice('#EXT-X-KEY:'.length));
      key =
        attrs.get('METHOD') === 'NONE'
          ? undefined
          : { method: attrs.get('METHOD') ?? '', uri: attrs.get('URI'), iv: attrs.get('IV') };
    }
    if (line.startsWith('#')) {
      const uri = /URI="([^"]*)"/.exec(line)?.[1];
      if (uri !== undefined) uris.push(uri);
      continue;
    }
    uris.push(line);
    segments.push({ uri: line, duration, mediaSequence: sequence, key });
    sequence += 1;
    duration = NaN;
  }
  return { lines, uris, segments, targetDuration };
}

function readCatalog(): CatalogEntry[] {
  return JSON.parse(readFileSync(join(contentDir, 'catalog.json'), 'utf8')) as CatalogEntry[];
}

function readPlaylist(videoId: string, dir = mediaDir): Playlist {
  return parsePlaylist(readFileSync(join(dir, videoId, 'index.m3u8'), 'utf8'));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** The IV per RFC 8216 §5.2: the tag's IV, else the segment's media sequence number, big-endian in 16 bytes. */
function ivFor(segment: Segment): Buffer {
  const hex = segment.key?.iv;
  if (hex !== undefined) return Buffer.from(hex.replace(/^0x/i, '').padStart(32, '0'), 'hex');
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(segment.mediaSequence), 8);
  return iv;
}

function expectTransportStream(bytes: Buffer): void {
  expect(bytes.length).toBeGreaterThan(0);
  expect(bytes.length % TS_PACKET).toBe(0);
  for (let offset = 0; offset < bytes.length; offset += TS_PACKET) {
    if (bytes[offset] !== 0x47) throw new Error(`no TS sync byte at offset ${offset}`);
  }
}

const catalog = readCatalog();
const videoIds = catalog.filter((entry) => entry.drm === undefined && entry.live !== true).map((entry) => entry.id);
const liveIds = catalog.filter((entry) => entry.live === true).map((entry) => entry.id);
const drmVideoIds = catalog.filter((entry) => entry.drm !== undefined).map((entry) => entry.id);

describe('sample content', () => {
  it('lists demo-1 (clear) and demo-2 (encrypted) in the catalog with titles', () => {
    expect(catalog.map(({ id, encrypted }) => ({ id, encrypted }))).toEqual(
      expect.arrayContaining([
        { id: 'demo-1', encrypted: false },
        { id: 'demo-2', encrypted: true },
        { id: 'demo-3', encrypted: true },
      ]),
    );
    expect(catalog.find((entry) => entry.id === 'demo-3')?.drm).toBe('clearkey');
    for (const entry of catalog) {
      expect(entry.id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      expect(typeof entry.title).toBe('string');
      expect(entry.title.length).toBeGreaterThan(0);
    }
    const allIds = catalog.map((entry) => entry.id);
    expect(new Set(allIds).size).toBe(allIds.length);
  });

  it('has one live loop per live entry: 2 s clear MPEG-TS segments, a keyframe-aligned VOD playlist', () => {
    expect(liveIds).toEqual(['live-1']);
    expect(readdirSync(join(contentDir, 'live')).sort()).toEqual(liveIds);
    for (const id of liveIds) {
      const playlist = readPlaylist(id, join(contentDir, 'live'));
      expect(playlist.targetDuration).toBe(2);
      expect(playlist.segments.length).toBeGreaterThanOrEqual(4);
      for (const segment of playlist.segments) {
        expect(segment.duration).toBeCloseTo(2, 3);
        expectTransportStream(readFileSync(join(contentDir, 'live', id, segment.uri)));
      }
    }
  });

  it('has exactly one media folder per non-DRM entry, and one clear CMAF source folder per DRM entry', () => {
    expect(readdirSync(mediaDir).sort()).toEqual([...videoIds].sort());
    // A DRM video has no /media/ copy: its clear source must never be served as it is.
    expect(readdirSync(cmafDir).sort()).toEqual([...drmVideoIds].sort());
  });

  it('stays within 2 MB in total', () => {
    const total = filesUnder(contentDir).reduce((sum, path) => sum + statSync(path).size, 0);
    expect(total).toBeLessThanOrEqual(MAX_TOTAL_BYTES);
  });

  it('names no file like TypeScript, since tsconfig includes local/ and tsc would parse it', () => {
    expect(filesUnder(contentDir).filter((path) => /\.[cm]?tsx?$/.test(path))).toEqual([]);
  });

  describe.each(videoIds)('%s', (videoId) => {
    const folder = join(mediaDir, videoId);
    const playlist = readPlaylist(videoId);

    it('is a complete VOD playlist of about 6 s in segments within the target duration', () => {
      expect(playlist.lines[0]).toBe('#EXTM3U');
      expect(playlist.lines).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      expect(playlist.lines[playlist.lines.length - 1]).toBe('#EXT-X-ENDLIST');
      const total = playlist.segments.reduce((sum, segment) => sum + segment.duration, 0);
      expect(total).toBeGreaterThanOrEqual(5);
      expect(total).toBeLessThanOrEqual(7);
      for (const segment of playlist.segments) {
        expect(Math.round(segment.duration)).toBeLessThanOrEqual(playlist.targetDuration);
      }
    });

    it('references only relative URIs that resolve to committed files, and every file is referenced', () => {
      for (const uri of playlist.uris) {
        expect(uri).not.toMatch(/^[a-z][a-z0-9+.-]*:|^\/|\?|#/i);
        const normalized = posix.normalize(uri);
        expect(normalized.startsWith('..')).toBe(false);
        expect(existsSync(join(folder, normalized))).toBe(true);
      }
      const referenced = new Set(['index.m3u8', ...playlist.uris.map((uri) => posix.normalize(uri))]);
      const committed = filesUnder(folder).map((path) =>
        path
          .slice(folder.length + 1)
          .split('\\')
          .join('/'),
      );
      expect(committed.filter((name) => !referenced.has(name))).toEqual([]);
    });

    it('is encrypted exactly when the catalog says so', () => {
      const entry = catalog.find((candidate) => candidate.id === videoId);
      expect(playlist.segments.some((segment) => segment.key !== undefined)).toBe(entry?.encrypted);
    });
  });

  it('serves demo-1 segments as clear MPEG-TS', () => {
    for (const segment of readPlaylist('demo-1').segments) {
      expectTransportStream(readFileSync(join(mediaDir, 'demo-1', segment.uri)));
    }
  });

  it('encrypts every demo-2 segment with AES-128 under the relative key URI key.bin', () => {
    const playlist = readPlaylist('demo-2');
    expect(playlist.lines.filter((line) => line.startsWith('#EXT-X-KEY:'))).not.toHaveLength(0);
    for (const segment of playlist.segments) {
      expect(segment.key).toEqual(expect.objectContaining({ method: 'AES-128', uri: 'key.bin' }));
    }
    expect(readFileSync(join(mediaDir, 'demo-2', 'key.bin'))).toHaveLength(16);
  });

  it('decrypts every demo-2 segment (AES-128-CBC, IV per the HLS spec) to an MPEG-TS packet stream', () => {
    const key = readFileSync(join(mediaDir, 'demo-2', 'key.bin'));
    const { segments } = readPlaylist('demo-2');
    expect(segments.length).toBeGreaterThan(0);
    for (const segment of segments) {
      const encrypted = readFileSync(join(mediaDir, 'demo-2', segment.uri));
      // Ciphertext alone is not a TS stream; the key and IV are what make it one.
      expect(encrypted[0] === 0x47 && encrypted[TS_PACKET] === 0x47).toBe(false);
      const decipher = createDecipheriv('aes-128-cbc', key, ivFor(segment));
      expectTransportStream(Buffer.concat([decipher.update(encrypted), decipher.final()]));
    }
  });

  describe.each(drmVideoIds)('%s (clear CMAF source of a DRM video)', (videoId) => {
    const folder = join(cmafDir, videoId);
    const playlist = readPlaylist(videoId, cmafDir);

    it('is a clear fMP4 VOD playlist of about 6 s with an init section, every file referenced', () => {
      expect(playlist.lines).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      expect(playlist.lines[playlist.lines.length - 1]).toBe('#EXT-X-ENDLIST');
      expect(playlist.lines).toContain('#EXT-X-MAP:URI="init.mp4"');
      expect(playlist.segments.every((segment) => segment.key === undefined)).toBe(true);
      const total = playlist.segments.reduce((sum, segment) => sum + segment.duration, 0);
      expect(total).toBeGreaterThanOrEqual(5);
      expect(total).toBeLessThanOrEqual(7);
      const referenced = new Set(['index.m3u8', ...playlist.uris]);
      expect(readdirSync(folder).sort()).toEqual([...referenced].sort());
    });

    it('holds fragmented MP4: an init with moov, segments of moof + mdat', () => {
      const boxTypes = (bytes: Buffer): string[] => {
        const types: string[] = [];
        for (let offset = 0; offset < bytes.length; offset += bytes.readUInt32BE(offset)) {
          types.push(bytes.toString('latin1', offset + 4, offset + 8));
        }
        return types;
      };
      expect(boxTypes(readFileSync(join(folder, 'init.mp4')))).toEqual(expect.arrayContaining(['ftyp', 'moov']));
      for (const segment of playlist.segments) {
        const types = boxTypes(readFileSync(join(folder, segment.uri)));
        expect(types).toEqual(expect.arrayContaining(['moof', 'mdat']));
      }
    });
  });
});
