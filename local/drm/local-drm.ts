/**
 * Local DRM: the catalog's DRM videos, encrypted with CENC from their committed clear CMAF into
 * the git-ignored local folder. Their keys come from the local SPEKE v2.0 key provider (a CPIX
 * exchange, as MediaPackage gets its keys), which keeps them in the local key file; the ClearKey
 * licence server hands them out per video from the same file. Run at start, under the local
 * folder's lock.
 *
 * The packaged copy is served by the local edge under `/drm/<videoId>/...`, which the
 * viewer-request function rewrites to `/out/v1/<videoId>/...`, MediaPackage's egress path: the
 * folder here plays MediaPackage's part.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIfPresent } from '../atomic-file';
import {
  type ContentKey,
  encryptedPlaylist,
  encryptFragments,
  encryptInitSegment,
  IvSequence,
  type TrackInfo,
} from './cenc-encrypter';
import { ClearKeyLicenceServer } from './clearkey-server';
import { type KeyResponse, keyRequestXml, readKeyResponse, SPEKE_VERSION } from './cpix';
import { DRM_KEY_FILE, DrmKeyFile } from './drm-keys';
import { SpekeKeyProvider } from './speke-key-provider';

/** Bumped when the encrypter's output changes, so existing copies are made again. */
const PACKAGER_VERSION = 1;
export const PACKAGED_DIR = 'drm';
const STATE_DIR = 'drm-state';
const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

export interface CatalogEntry {
  id: string;
  title: string;
  encrypted: boolean;
  drm?: 'clearkey';
}

export interface LocalDrm {
  /** Folder the local edge serves as MediaPackage's `/out/v1/`. */
  packagedDir: string;
  keyFile: string;
  /** DRM video ids. */
  videoIds: string[];
  /** The key store the SPEKE key provider writes and the licence server reads. */
  keys: DrmKeyFile;
  keyProvider: SpekeKeyProvider;
  licenceServer: ClearKeyLicenceServer;
  /** Codec string of each DRM video (from its avcC), for players that need it up front. */
  codecs: ReadonlyMap<string, string>;
}

/** `contentDir` holds catalog.json and cmaf/<videoId>/; `dir` is the git-ignored local folder. */
export function prepareLocalDrm(dir: string, contentDir: string): LocalDrm {
  const catalog = JSON.parse(readFileSync(join(contentDir, 'catalog.json'), 'utf8')) as CatalogEntry[];
  const videoIds = catalog.filter((entry) => entry.drm === 'clearkey').map((entry) => entry.id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, DRM_KEY_FILE);
  const keys = new DrmKeyFile(keyFile);
  const keyProvider = new SpekeKeyProvider(keys);
  const packagedDir = join(dir, PACKAGED_DIR);
  const codecs = new Map<string, string>();
  for (const videoId of videoIds) {
    const sourceDir = join(contentDir, 'cmaf', videoId);
    if (!existsSync(join(sourceDir, 'index.m3u8')))
      throw new Error(
        `${videoId} is a DRM video in the catalog, but ${sourceDir} has no clear CMAF (run scripts/make-sample-content.sh)`,
      );
    // The key id of an earlier start, else a new one; the provider makes the key for it.
    const kid = keys.keysOf(videoId)?.[0]?.kid ?? randomBytes(16);
    const granted = requestKey(keyProvider, videoId, kid);
    codecs.set(videoId, packageVideo(sourceDir, packagedDir, join(dir, STATE_DIR), videoId, { kid, ...granted }));
  }
  return {
    packagedDir,
    keyFile,
    videoIds,
    keys,
    keyProvider,
    licenceServer: new ClearKeyLicenceServer((videoId) => keys.keysOf(videoId)),
    codecs,
  };
}

/** One SPEKE v2.0 exchange: the CPIX request for `kid`, and the key and signalling read back. */
export function requestKey(provider: SpekeKeyProvider, videoId: string, kid: Buffer): KeyResponse {
  const answer = provider.answer(keyRequestXml(videoId, kid), SPEKE_VERSION);
  if (answer.status !== 200)
    throw new Error(`the SPEKE key provider refused ${videoId}: ${answer.status} ${answer.body}`);
  return readKeyResponse(answer.body, videoId, kid);
}

interface PackagedState {
  fingerprint: string;
  codec: string;
}

/**
 * Encrypts one video's clear CMAF into `<packagedDir>/<videoId>/` unless a copy made from the
 * same source with the same key is already there. Returns its codec string.
 */
export function packageVideo(
  sourceDir: string,
  packagedDir: string,
  stateDir: string,
  videoId: string,
  key: ContentKey & Partial<Pick<KeyResponse, 'pssh' | 'hlsKeyTag'>>,
): string {
  const fingerprint = sourceFingerprint(sourceDir, key);
  const stateFile = join(stateDir, `${videoId}.json`);
  const outDir = join(packagedDir, videoId);
  const state = readState(stateFile);
  if (state?.fingerprint === fingerprint && existsSync(outDir)) return state.codec;

  const clearPlaylist = readFileSync(join(sourceDir, 'index.m3u8'), 'utf8');
  const { initUri, segmentUris } = playlistFiles(clearPlaylist);
  mkdirSync(packagedDir, { recursive: true, mode: 0o700 });
  // Written aside, then renamed into place: the edge never serves half a copy.
  const temp = join(packagedDir, `.${videoId}.${randomUUID()}.tmp`);
  mkdirSync(temp);
  try {
    const { bytes, track } = encryptInitSegment(readFileSync(join(sourceDir, initUri)), key, { pssh: key.pssh });
    writeFileSync(join(temp, initUri), bytes);
    encryptSegments(sourceDir, temp, segmentUris, track, key);
    writeFileSync(join(temp, 'index.m3u8'), encryptedPlaylist(clearPlaylist, key.kid, key.hlsKeyTag));
    rmSync(outDir, { recursive: true, force: true });
    renameSync(temp, outDir);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(stateFile, `${JSON.stringify({ fingerprint, codec: track.codec } satisfies PackagedState)}\n`);
    return track.codec;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function encryptSegments(
  sourceDir: string,
  outDir: string,
  uris: readonly string[],
  track: TrackInfo,
  key: ContentKey,
): void {
  const ivs = new IvSequence(); // one sequence for the whole video: no IV repeats under its key
  for (const uri of uris) {
    writeFileSync(join(outDir, uri), encryptFragments(readFileSync(join(sourceDir, uri)), track, key, ivs));
  }
}

/** The init section and segments a clear fMP4 playlist names (plain file names in its folder only). */
export function playlistFiles(playlist: string): { initUri: string; segmentUris: string[] } {
  const lines = playlist.split(/\r?\n/).map((line) => line.trim());
  const initUri = lines.map((line) => /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(line)?.[1]).find((uri) => uri !== undefined);
  const segmentUris = lines.filter((line) => line !== '' && !line.startsWith('#'));
  for (const uri of [initUri, ...segmentUris]) {
    if (uri === undefined || !PLAIN_NAME.test(uri) || uri === 'index.m3u8')
      throw new Error(`the clear playlist must name its init section and segments as plain file names (got ${uri})`);
  }
  return { initUri: initUri as string, segmentUris };
}

/** What the encrypted copy depends on: the source files, the key and its signalling, the packager version. */
function sourceFingerprint(
  sourceDir: string,
  key: ContentKey & Partial<Pick<KeyResponse, 'pssh' | 'hlsKeyTag'>>,
): string {
  const hash = createHash('sha256').update(`v${PACKAGER_VERSION}\n`);
  for (const name of readdirSync(sourceDir).sort()) {
    hash.update(`${name}\n`).update(readFileSync(join(sourceDir, name)));
  }
  // Keyed by a hash of the key, not the key: the state file is not a secret.
  hash.update(key.pssh ?? '-').update(key.hlsKeyTag ?? '-');
  return hash.update(key.kid).update(createHash('sha256').update(key.key).digest()).digest('hex');
}

function readState(file: string): PackagedState | undefined {
  try {
    const parsed = JSON.parse(readIfPresent(file) ?? 'null') as Partial<PackagedState> | null;
    return typeof parsed?.fingerprint === 'string' && typeof parsed.codec === 'string'
      ? { fingerprint: parsed.fingerprint, codec: parsed.codec }
      : undefined;
  } catch {
    return undefined; // unreadable state: package again
  }
}
