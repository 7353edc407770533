/**
 * Canonical request paths, and the object key a `/media/...` path names.
 *
 * CloudFront normalises a request path only to choose the cache behaviour, then forwards the raw
 * path to the origin
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern),
 * and S3 takes the path after the bucket as a literal key: `a/../b` is an object named that, not
 * `b` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). A signed
 * Resource such as `https://host/media/demo-1/*` matches the raw path, so a path that a
 * normalising component could resolve elsewhere must never reach one: it is refused outright.
 *
 * A path is canonical when, split on `/`, every segment after the leading one is non-empty,
 * holds only printable ASCII without a backslash, uses only well-formed percent-escapes that
 * decode to UTF-8, and, decoded once, is neither `.` nor `..` and holds no `/`, `\`, control
 * character or further percent-escape (a second decoder would see `%2e` as a dot).
 *
 * The deployed distribution applies the same rules in its viewer-request function
 * (edge-function/viewer-request.js); this is the local edge's own, independent copy.
 */
import { DEFAULT_MEDIA_KEY_PREFIX, mediaPathPrefix, PACKAGER_EGRESS_PREFIX } from '../../lambda/core/media-paths';

/** Why `path` (without its query, percent-encoded as sent) is not canonical; undefined when it is. */
export function nonCanonicalReason(path: string): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/')) return 'not an absolute path';
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    const reason = segmentReason(segment);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

function segmentReason(raw: string): string | undefined {
  if (raw === '') return 'empty segment';
  if (/[^\x21-\x7e]/.test(raw)) return 'control, space or non-ASCII character';
  if (raw.includes('\\')) return 'backslash';
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return 'invalid percent-encoding';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return 'invalid percent-encoding'; // well-formed escapes, but not UTF-8 (e.g. overlong %c0%ae)
  }
  if (decoded === '.' || decoded === '..') return 'dot segment';
  if (/[/\\]/.test(decoded)) return 'encoded slash or backslash';
  if (/[\x00-\x1f\x7f-\x9f]/.test(decoded)) return 'control character';
  if (PERCENT_ESCAPE.test(decoded)) return 'double percent-encoding';
  return undefined;
}

/** The local edge serves the default layout (lambda/core/media-paths.ts). */
export const MEDIA_PREFIX = mediaPathPrefix(DEFAULT_MEDIA_KEY_PREFIX);

/**
 * The object key a canonical `/media/<key>` path names, percent-decoded once (as S3 decodes the
 * request path into a key); undefined for a non-canonical path or one outside `/media/`.
 */
export function mediaObjectKey(path: string): string | undefined {
  return objectKeyUnder(path, MEDIA_PREFIX);
}

export { PACKAGER_EGRESS_PREFIX };

/** The same for any origin prefix (e.g. `/out/v1/` for the packager's output). */
export function objectKeyUnder(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix) || nonCanonicalReason(path) !== undefined) return undefined;
  return path
    .slice(prefix.length)
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
}
