/**
 * Local DRM content keys, one per DRM video, kept in a git-ignored key file (mode 0600) in the
 * local folder: generated at random on the first start that needs them, reused afterwards. They
 * never enter the repository, so the committed content is clear and its encrypted copy is
 * unlocked only by keys that exist on this machine.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { readIfPresent } from '../atomic-file';
import type { ContentKey } from './cenc-encrypter';

export const DRM_KEY_FILE = 'drm-keys.json';

/** Video id → its content keys. */
export type DrmKeys = ReadonlyMap<string, readonly ContentKey[]>;

interface KeyFileJson {
  videos: Record<string, { kid: string; key: string }[]>;
}

const HEX_16 = /^[0-9a-f]{32}$/;

/** The keys in `file`; an error naming the file when it is not a valid key file, undefined when absent. */
export function readDrmKeys(file: string): DrmKeys | undefined {
  const text = readIfPresent(file);
  if (text === undefined) return undefined;
  const invalid = (why: string) =>
    new Error(`${file}: not a valid DRM key file (${why}); delete it to have new keys made`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  const videos = (parsed as Partial<KeyFileJson> | null)?.videos;
  if (typeof videos !== 'object' || videos === null || Array.isArray(videos)) throw invalid('no "videos" object');
  const keys = new Map<string, ContentKey[]>();
  for (const [videoId, entries] of Object.entries(videos)) {
    if (!Array.isArray(entries) || entries.length === 0) throw invalid(`no keys for ${videoId}`);
    keys.set(
      videoId,
      entries.map((entry) => {
        if (!HEX_16.test(String(entry?.kid)) || !HEX_16.test(String(entry?.key)))
          throw invalid(`${videoId}: kid and key must be 32 lower-case hex digits`);
        return { kid: Buffer.from(entry.kid, 'hex'), key: Buffer.from(entry.key, 'hex') };
      }),
    );
  }
  return keys;
}

/** A fresh random key id and key (tests; local mode gets its keys from the SPEKE key provider). */
export function randomContentKey(): ContentKey {
  return { kid: randomBytes(16), key: randomBytes(16) };
}

/** Writes `keys` to `file` (mode 0600) by a rename, so a crash leaves the old file or the new one. */
export function writeDrmKeys(file: string, keys: DrmKeys): void {
  const json: KeyFileJson = { videos: {} };
  for (const [videoId, entries] of keys) {
    json.videos[videoId] = entries.map(({ kid, key }) => ({ kid: kid.toString('hex'), key: key.toString('hex') }));
  }
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * The key file as a store: keys are looked up by video and key id, and a key made for a new key
 * id is written before it is handed out. The caller holds the local folder's lock, so no other
 * process writes the file meanwhile.
 */
export class DrmKeyFile {
  private keys: Map<string, readonly ContentKey[]>;

  constructor(
    readonly file: string,
    private readonly generateKey: () => Buffer = () => randomBytes(16),
  ) {
    this.keys = new Map(readDrmKeys(file) ?? []);
  }

  /** The video's keys, or undefined. */
  keysOf(videoId: string): readonly ContentKey[] | undefined {
    return this.keys.get(videoId);
  }

  /** The video that owns `kid`, if any: a key id belongs to one video only. */
  ownerOf(kid: Buffer): string | undefined {
    for (const [videoId, entries] of this.keys) if (entries.some((entry) => entry.kid.equals(kid))) return videoId;
    return undefined;
  }

  /** The key of `kid` for `videoId`, made (and stored) if the video has no such key yet. */
  keyFor(videoId: string, kid: Buffer): ContentKey {
    const existing = this.keys.get(videoId)?.find((entry) => entry.kid.equals(kid));
    if (existing !== undefined) return existing;
    const owner = this.ownerOf(kid);
    if (owner !== undefined) throw new Error(`key id ${kid.toString('hex')} belongs to another video`);
    const made: ContentKey = { kid: Buffer.from(kid), key: this.generateKey() };
    const next = new Map(this.keys);
    next.set(videoId, [...(this.keys.get(videoId) ?? []), made]);
    writeDrmKeys(this.file, next);
    this.keys = next;
    return made;
  }
}
