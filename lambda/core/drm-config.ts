/**
 * The DRM part of the API's configuration, read once at init from two JSON variables:
 *
 * - `DRM_CATALOG`: which videos are DRM-protected and where their packaged content lives under
 *   `/drm/`. A playback call for one of them also signs access to those path prefixes; a licence
 *   request is only forwarded for a video listed here.
 * - `LICENCE_UPSTREAMS`: per DRM system, the licence server the proxy forwards to and the header
 *   carrying its credential (a Secrets Manager secret when deployed).
 *
 * Kept apart from config.ts so a deployment without DRM reads nothing new. Every problem throws
 * ConfigError naming the variable and the entry, so a bad deploy fails at cold start.
 */
import { VIDEO_ID } from './entitlement-rules';
import { ConfigError, type Env, EnvReader } from './env-reader';
import { SHARED_INTEGER_SETTINGS } from './settings-contract';

export const DRM_SYSTEMS = ['clearkey', 'widevine', 'playready', 'fairplay'] as const;
export type DrmSystem = (typeof DRM_SYSTEMS)[number];

export function isDrmSystem(value: unknown): value is DrmSystem {
  return typeof value === 'string' && (DRM_SYSTEMS as readonly string[]).includes(value);
}

export interface DrmVideo {
  /** Path prefixes under `/drm/`, each ending in `/`; one signed cookie set per prefix. */
  readonly paths: readonly string[];
  /** The manifest's path, inside one of `paths`. */
  readonly manifest: string;
  /**
   * Key ids (32 lower-case hex digits) of this video. When listed, a ClearKey licence request
   * naming any other key id is refused by the proxy itself, before the licence server sees it.
   */
  readonly keyIds?: readonly string[];
}

/** Where the proxy forwards one DRM system's licence requests. */
export interface LicenceUpstreamConfig {
  /** https URL (http on loopback only); `{videoId}` in it is replaced by the video's id. */
  readonly url: string;
  /** Header that carries the credential. */
  readonly header?: string;
  /** Secrets Manager secret holding the credential (deployed). */
  readonly secretArn?: string;
  /** Environment variable holding the credential (local mode and tests only). */
  readonly secretEnv?: string;
  /**
   * The statuses by which this licence server says it refused the proxy's own credential (a 502
   * upstream failure, alarmed), not the viewer's request (403 `licence_refused`).
   * @default DEFAULT_CREDENTIAL_REFUSED_STATUSES
   */
  readonly credentialRefusedStatuses?: readonly number[];
}

/**
 * 401 (no valid credential) and 403 (the credential is known but refused: expired, revoked, as
 * API gateways answer a wrong API key). A vendor that answers 403 for a refused device instead
 * lists only 401 (its `credentialRefusedStatuses`), else viewers would page the on-call.
 */
export const DEFAULT_CREDENTIAL_REFUSED_STATUSES: readonly number[] = [401, 403];

export interface DrmConfig {
  readonly catalog: ReadonlyMap<string, DrmVideo>;
  readonly upstreams: Readonly<Partial<Record<DrmSystem, LicenceUpstreamConfig>>>;
  /** Bound on one licence server call, connection included. */
  readonly timeoutMs: number;
  /** Largest licence request body accepted (larger is 413 before any check). */
  readonly maxBodyBytes: number;
  /** Largest licence answer relayed (larger is 502). */
  readonly maxAnswerBytes: number;
}

/** `/drm/` then plain segments, ending in `/`: nothing a normaliser could read differently. */
const DRM_PREFIX = /^\/drm\/([A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}\/){1,8}$/;
const MANIFEST = /^\/drm\/([A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}\/){1,8}[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const KEY_ID = /^[0-9a-f]{32}$/;
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

export function loadDrmConfig(env: Env = process.env): DrmConfig {
  const read = new EnvReader(env);
  return {
    catalog: drmCatalog(read.optional('DRM_CATALOG')),
    upstreams: licenceUpstreams(read.optional('LICENCE_UPSTREAMS')),
    timeoutMs: read.integer(SHARED_INTEGER_SETTINGS['drm.licenceTimeoutMs']),
    maxBodyBytes: read.integer(SHARED_INTEGER_SETTINGS['drm.licenceMaxBodyBytes']),
    maxAnswerBytes: read.integer({ variable: 'LICENCE_MAX_ANSWER_BYTES', fallback: 65536, min: 1024, max: 1048576 }),
  };
}

/** `{"<videoId>": {"paths": ["/drm/.../"], "manifest": "/drm/.../index.m3u8", "keyIds"?: [...]}}` */
export function drmCatalog(raw: string | undefined): ReadonlyMap<string, DrmVideo> {
  const name = 'DRM_CATALOG';
  const parsed = jsonObject(name, raw);
  const catalog = new Map<string, DrmVideo>();
  const allPaths: string[] = [];
  for (const [videoId, entry] of Object.entries(parsed)) {
    const where = `entry "${videoId.slice(0, 64)}"`;
    if (!VIDEO_ID.test(videoId)) throw new ConfigError(name, `${where}: not a video id (A-Z, a-z, 0-9, "_", "-")`);
    if (!isRecord(entry)) throw new ConfigError(name, `${where}: must be an object`);
    const { paths, manifest, keyIds, ...rest } = entry;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw new ConfigError(name, `${where}: unknown field "${extra.slice(0, 32)}"`);
    if (!Array.isArray(paths) || paths.length < 1 || paths.length > 4)
      throw new ConfigError(name, `${where}: "paths" must list 1 to 4 path prefixes`);
    for (const path of paths) {
      if (typeof path !== 'string' || !DRM_PREFIX.test(path))
        throw new ConfigError(name, `${where}: "${String(path).slice(0, 64)}" must look like /drm/<folder>/`);
      // Nested prefixes would put two cookie sets on one request, and only the first counts.
      const clash = allPaths.find((other) => other.startsWith(path) || path.startsWith(other));
      if (clash !== undefined) throw new ConfigError(name, `${where}: "${path}" overlaps "${clash}"`);
      allPaths.push(path);
    }
    if (typeof manifest !== 'string' || !MANIFEST.test(manifest) || !paths.some((p) => manifest.startsWith(p)))
      throw new ConfigError(name, `${where}: "manifest" must be a file path inside one of its "paths"`);
    if (
      keyIds !== undefined &&
      (!Array.isArray(keyIds) || !keyIds.every((id) => typeof id === 'string' && KEY_ID.test(id)))
    )
      throw new ConfigError(name, `${where}: "keyIds" must be key ids of 32 lower-case hex digits`);
    catalog.set(videoId, { paths, manifest, ...(keyIds !== undefined ? { keyIds } : {}) });
  }
  return catalog;
}

/**
 * `{"clearkey": {"url": "...", "header"?: "...", "secretArn"?: "...", "secretEnv"?: "...",
 * "credentialRefusedStatuses"?: [401, ...]}, ...}`
 */
export function licenceUpstreams(raw: string | undefined): Partial<Record<DrmSystem, LicenceUpstreamConfig>> {
  const name = 'LICENCE_UPSTREAMS';
  const parsed = jsonObject(name, raw);
  const upstreams: Partial<Record<DrmSystem, LicenceUpstreamConfig>> = {};
  for (const [system, entry] of Object.entries(parsed)) {
    const where = `entry "${system.slice(0, 32)}"`;
    if (!isDrmSystem(system)) throw new ConfigError(name, `${where}: not one of ${DRM_SYSTEMS.join(', ')}`);
    if (!isRecord(entry)) throw new ConfigError(name, `${where}: must be an object`);
    const { url, header, secretArn, secretEnv, credentialRefusedStatuses, ...rest } = entry;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw new ConfigError(name, `${where}: unknown field "${extra.slice(0, 32)}"`);
    if (typeof url !== 'string' || !usableUrl(url))
      throw new ConfigError(name, `${where}: "url" must be an https URL (http on loopback only) without credentials`);
    if (header !== undefined && (typeof header !== 'string' || !HEADER_NAME.test(header)))
      throw new ConfigError(name, `${where}: "header" must be a header name`);
    if (secretArn !== undefined && (typeof secretArn !== 'string' || !SECRET_ARN.test(secretArn)))
      throw new ConfigError(name, `${where}: "secretArn" must be a Secrets Manager secret ARN`);
    if (secretEnv !== undefined && (typeof secretEnv !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(secretEnv)))
      throw new ConfigError(name, `${where}: "secretEnv" must be an environment variable name`);
    if (secretArn !== undefined && secretEnv !== undefined)
      throw new ConfigError(name, `${where}: give "secretArn" or "secretEnv", not both`);
    // A credential needs a header to travel in, and a header without a credential means nothing.
    if ((header === undefined) !== (secretArn === undefined && secretEnv === undefined))
      throw new ConfigError(name, `${where}: "header" and a credential ("secretArn" or "secretEnv") go together`);
    upstreams[system] = {
      url,
      header,
      secretArn,
      secretEnv,
      credentialRefusedStatuses: refusedStatuses(name, where, credentialRefusedStatuses),
    };
  }
  return upstreams;
}

/**
 * 1 to 8 distinct 4xx statuses; not 400 or 413, which keep their meaning (the request is malformed,
 * too large), nor 404, which a vendor answers for an unknown video or key.
 */
function refusedStatuses(name: string, where: string, value: unknown): readonly number[] | undefined {
  if (value === undefined) return undefined;
  const usable = (status: unknown): boolean =>
    Number.isInteger(status) &&
    (status as number) >= 401 &&
    (status as number) <= 499 &&
    ![404, 413].includes(status as number);
  if (
    !Array.isArray(value) ||
    value.length < 1 ||
    value.length > 8 ||
    !value.every(usable) ||
    new Set(value).size !== value.length
  )
    throw new ConfigError(
      name,
      `${where}: "credentialRefusedStatuses" must list 1 to 8 distinct statuses from 401 to 499, other than 404 and 413`,
    );
  return value as number[];
}

function usableUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value.replaceAll('{videoId}', 'x'));
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
}

/** The variable `name`'s JSON object, read as the environment is (blank or unset: `{}`). */
function jsonObject(name: string, raw: string | undefined): Record<string, unknown> {
  return new EnvReader({ [name]: raw }).jsonObject(name);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
