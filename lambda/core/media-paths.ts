/**
 * The media path layout, one contract for every layer: the CDK behaviours (lib/delivery.ts), the
 * signer's grant scope and manifest URL (media-signer.ts), the local edge (local/edge), and the
 * client (it takes the folder from the manifest URL the API returns, so it needs no copy).
 *
 * A video's objects live in the media bucket under `<keyPrefix><videoId>/`, and viewers request
 * them at `/<keyPrefix><videoId>/` on the distribution: the path is the key, so no origin path or
 * rewrite stands between what a grant covers and what S3 serves. A team with its catalogue under
 * `hls/` sets the key prefix `hls/`; grants then cover `/hls/<videoId>/*` and nothing else.
 */

/** The key prefix (and so the public path) of media objects unless the deployment names another. */
export const DEFAULT_MEDIA_KEY_PREFIX = 'media/';

/** Lambda environment variable carrying the public path prefix (`/media/`). */
export const MEDIA_PATH_PREFIX_VARIABLE = 'MEDIA_PATH_PREFIX';

/**
 * One or more lower-case path segments, each ending in `/`: `media/`, `hls/`, `catalog/v2/`.
 * Nothing that decodes or normalises differently (no dots, percent signs, upper case) and no empty
 * segment, so the CloudFront path pattern, the signed Resource and the S3 key agree byte for byte.
 */
export const MEDIA_KEY_PREFIX_PATTERN = /^(?:[a-z0-9](?:[a-z0-9_-]{0,62})\/){1,4}$/;
export const MEDIA_KEY_PREFIX_RULE =
  'one to four lower-case segments of letters, digits, "-" or "_", each ending in "/" (e.g. "media/", "hls/")';

/**
 * First path segments the distribution already routes elsewhere: a media prefix there would
 * shadow the API, the MediaPackage behaviour or MediaPackage's egress path.
 */
export const RESERVED_FIRST_SEGMENTS: readonly string[] = ['api', 'drm', 'out', 'local', 'idp', 'web', 'live'];

/** Why `keyPrefix` cannot be a media key prefix, or undefined when it can. */
export function mediaKeyPrefixProblem(keyPrefix: string): string | undefined {
  if (!MEDIA_KEY_PREFIX_PATTERN.test(keyPrefix)) return `must be ${MEDIA_KEY_PREFIX_RULE}, got "${keyPrefix}"`;
  const first = keyPrefix.slice(0, keyPrefix.indexOf('/'));
  if (RESERVED_FIRST_SEGMENTS.includes(first))
    return `must not start with "${first}/", which streamgate routes elsewhere (reserved: ${RESERVED_FIRST_SEGMENTS.join(', ')})`;
  return undefined;
}

/** The public path prefix of a key prefix: `media/` → `/media/`. */
export function mediaPathPrefix(keyPrefix: string = DEFAULT_MEDIA_KEY_PREFIX): string {
  return `/${keyPrefix}`;
}

/** The folder one grant opens: `/media/` + `demo-1` → `/media/demo-1/`. */
export function videoFolder(pathPrefix: string, videoId: string): string {
  return `${pathPrefix}${videoId}/`;
}

/** CloudFront path patterns of the media behaviours: manifests first (matched in order), then the rest. */
export function mediaBehaviourPatterns(pathPrefix: string): { manifests: string[]; media: string } {
  return { manifests: [`${pathPrefix}*.m3u8`, `${pathPrefix}*.mpd`], media: `${pathPrefix}*` };
}

/** MediaPackage content: `/drm/<rest>` on the distribution, rewritten to the packager's egress path. */
export const DRM_PATH_PREFIX = '/drm/';
/** MediaPackage's egress prefix, which the viewer-request function rewrites `/drm/` to. */
export const PACKAGER_EGRESS_PREFIX = '/out/v1/';

/**
 * Live channels: `/live/<channel>/<endpoint>/…` on the distribution, MediaPackage v2's
 * `/out/v1/<channel group>/<channel>/<endpoint>/…` at the origin (the origin path `/out/v1` and a
 * channel group named `live`), so no rewrite stands between a grant's folder and the packager's.
 */
export const LIVE_PATH_PREFIX = '/live/';
