/**
 * Live channels: which playback ids are live, what one channel's grant covers, and when its viewers
 * refresh. Pure; the API reads it at init (LIVE_CHANNELS, START_OVER_SCOPE) and the signer applies it.
 *
 * - A channel is played from one packager endpoint's folder, `path` (e.g. `/live/<channel>/hls/`,
 *   MediaPackage v2's `/out/v1/<group>/<channel>/<endpoint>/` with the distribution's origin path
 *   `/out/v1`). A grant's policy Resource is that folder and nothing else.
 * - Start-over / time-shift (`?aws.manifestsettings=start:<epoch>`) is served by a separate
 *   endpoint under its own folder, `startOverPath`. A signed `Resource …/*` matches any query, so
 *   no policy can exclude a query: start-over is kept out of a grant by path. A token with the
 *   start-over scope gets a second policy for that folder; any other gets none, and the edge refuses
 *   the folder for want of a signature. The live endpoint itself has no start-over window (the
 *   stack creates it so; a brought channel must be set up so: docs/live.md).
 * - Viewers who join together would refresh together: a live grant's `refreshAfter` falls at a
 *   point between 50 % and 80 % of its lifetime, chosen by a hash of the session and the grant's
 *   date, so the same session re-asking in the same interval gets the same answer (no randomness),
 *   and an audience spreads over 30 % of the lifetime instead of one instant.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from './config';
import { parseJsonObject } from './env-reader';
import { LIVE_PATH_PREFIX } from './media-paths';

export const LIVE_CHANNELS_VARIABLE = 'LIVE_CHANNELS';
export const START_OVER_SCOPE_VARIABLE = 'START_OVER_SCOPE';
export const DEFAULT_START_OVER_SCOPE = 'stream:startover';

/** Where in a live grant's lifetime its viewer is told to refresh (fractions of the lifetime). */
export const LIVE_REFRESH_WINDOW = { earliest: 0.5, latest: 0.8 } as const;

/** The query parameters MediaPackage v2 reads (its CDN guide: the only ones in a cache key). */
export const PACKAGER_QUERY_PARAMETERS: readonly string[] = [
  'aws.manifestfilter',
  'aws.manifestsettings',
  '_HLS_msn',
  '_HLS_part',
];
/** The one that asks for a time-shifted (start-over) manifest. */
export const START_OVER_PARAMETER = 'aws.manifestsettings';

export interface LiveChannel {
  /** The live endpoint's folder, `/…/`: the grant's Resource. */
  readonly path: string;
  /** The manifest's file name in that folder (and in `startOverPath`). */
  readonly manifest: string;
  /** The start-over endpoint's folder, only in grants whose token has the start-over scope. */
  readonly startOverPath?: string;
}

/** What one grant for a live channel opens. */
export interface LiveScope {
  /** Folders a policy is signed for: the live one, then start-over when allowed. */
  readonly paths: readonly string[];
  /** The live manifest's path. */
  readonly manifest: string;
  /** The start-over manifest's path, when allowed. */
  readonly startOverManifest?: string;
}

/** `/live/` then plain lower-case segments ending in `/`: nothing a normaliser reads differently. */
const FOLDER = /^\/live\/(?:[a-z0-9][a-z0-9_-]{0,127}\/){1,7}$/;
const FILE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const CHANNEL_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_CHANNELS = 50;

/**
 * `LIVE_CHANNELS`: `{"<channelId>": {"path": "/live/<channel>/<endpoint>/", "manifest":
 * "index.m3u8", "startOverPath"?: "/live/<channel>/<startover-endpoint>/"}}`. `taken`: path
 * prefixes other content is served under (the media prefix, `/drm/`), which no live folder may
 * overlap.
 */
export function liveChannels(raw: string | undefined, taken: readonly string[] = []): ReadonlyMap<string, LiveChannel> {
  const name = LIVE_CHANNELS_VARIABLE;
  const channels = new Map<string, LiveChannel>();
  if (raw === undefined || raw.trim() === '') return channels;
  const entries = Object.entries(parseJsonObject(name, raw, 'a JSON object of channels by id'));
  if (entries.length > MAX_CHANNELS) throw new ConfigError(name, `holds more than ${MAX_CHANNELS} channels`);
  const folders: string[] = [];
  const claim = (where: string, field: string, folder: unknown): string => {
    if (typeof folder !== 'string' || !FOLDER.test(folder))
      throw new ConfigError(
        name,
        `${where}: "${field}" must be a folder under ${LIVE_PATH_PREFIX} of lower-case segments such as /live/<channel>/<endpoint>/, got ${JSON.stringify(String(folder).slice(0, 64))}`,
      );
    const clash = [...taken, ...folders].find((other) => other.startsWith(folder) || folder.startsWith(other));
    if (clash !== undefined) throw new ConfigError(name, `${where}: "${field}" ${folder} overlaps ${clash}`);
    folders.push(folder);
    return folder;
  };
  for (const [channelId, value] of entries) {
    const where = `channel "${channelId.slice(0, 64)}"`;
    if (!CHANNEL_ID.test(channelId)) throw new ConfigError(name, `${where}: not an id (A-Z, a-z, 0-9, "_", "-")`);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new ConfigError(name, `${where}: must be {"path", "manifest", "startOverPath"?}`);
    const { path, manifest, startOverPath, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw new ConfigError(
        name,
        `${where}: unknown field "${extra.slice(0, 32)}" (expected path, manifest, startOverPath)`,
      );
    if (typeof manifest !== 'string' || !FILE.test(manifest) || manifest.startsWith('.'))
      throw new ConfigError(name, `${where}: "manifest" must be a plain file name such as index.m3u8`);
    const live = claim(where, 'path', path);
    const startOver = startOverPath === undefined ? undefined : claim(where, 'startOverPath', startOverPath);
    channels.set(channelId, { path: live, manifest, ...(startOver !== undefined ? { startOverPath: startOver } : {}) });
  }
  return channels;
}

export interface LiveConfig {
  readonly channels: ReadonlyMap<string, LiveChannel>;
  /** The scope a token needs for its grant to cover a channel's start-over folder. */
  readonly startOverScope: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The live part of the API's configuration; `taken`: the media prefix and `/drm/`. */
export function loadLiveConfig(env: Env, taken: readonly string[]): LiveConfig {
  const scope = env[START_OVER_SCOPE_VARIABLE]?.trim() || DEFAULT_START_OVER_SCOPE;
  if (!/^[\x21-\x7e]{1,128}$/.test(scope))
    throw new ConfigError(START_OVER_SCOPE_VARIABLE, 'must be one scope: 1 to 128 printable characters, no spaces');
  return { channels: liveChannels(env[LIVE_CHANNELS_VARIABLE], taken), startOverScope: scope };
}

/** What a grant for `channel` covers: its live folder, and its start-over folder only when allowed. */
export function liveScope(channel: LiveChannel, startOverAllowed: boolean): LiveScope {
  const startOver = startOverAllowed ? channel.startOverPath : undefined;
  return {
    paths: startOver === undefined ? [channel.path] : [channel.path, startOver],
    manifest: `${channel.path}${channel.manifest}`,
    ...(startOver !== undefined ? { startOverManifest: `${startOver}${channel.manifest}` } : {}),
  };
}

/**
 * When a live grant's viewer should refresh: `issuedAt` plus a fraction of the lifetime in
 * LIVE_REFRESH_WINDOW, from a hash of `seed` (the session) and `issuedAt`. Never before
 * `issuedAt + 1`, never at or after `expiresAt` (for a lifetime of at least 2 s).
 */
export function liveRefreshAfter(issuedAt: number, expiresAt: number, seed: string): number {
  const lifetime = expiresAt - issuedAt;
  const digest = createHash('sha256')
    .update(JSON.stringify(['live-refresh', seed, issuedAt]))
    .digest();
  const unit = digest.readUInt32BE(0) / 0x1_0000_0000; // [0, 1)
  const { earliest, latest } = LIVE_REFRESH_WINDOW;
  const at = issuedAt + Math.floor(lifetime * (earliest + (latest - earliest) * unit));
  return Math.min(Math.max(at, issuedAt + 1), Math.max(issuedAt + 1, expiresAt - 1));
}
