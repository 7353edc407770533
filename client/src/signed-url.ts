/**
 * Signed-URL delivery: the grant's `signedQuery` goes on every media request of the video, and
 * on nothing else. The policy covers `<media origin><prefix><videoId>/*` (docs/api.md), so the
 * query is appended only to URLs of that origin under that folder: never to another origin,
 * another video, the API, or a path that only decodes into the folder.
 */

/** CloudFront's signed-URL parameters, replaced (not repeated) when a URL already has them. */
const SIGNED_PARAMS = ['Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm', 'Expires'];

/**
 * The folder the grant opens: origin + the manifest's folder, `<prefix><videoId>/`. The deployment
 * chooses the media path prefix (`/media/` unless it names another) and the manifest sits at the
 * folder's top (docs/api.md), so the folder is taken from the manifest URL the API returned, never
 * from a prefix the client assumes.
 */
export function mediaScope(manifestUrl: string, videoId: string): { origin: string; prefix: string } {
  const manifest = new URL(manifestUrl);
  const folder = manifest.pathname.slice(0, manifest.pathname.lastIndexOf('/') + 1);
  const segments = folder.split('/').filter((segment) => segment !== '');
  // The video's folder, or a live channel's endpoint folder inside it (`/live/<channel>/<endpoint>/`).
  // A manifest outside its video's folder would widen the scope: fall back to the bare folder name.
  const ownFolder = segments[segments.length - 1] === videoId || segments[segments.length - 2] === videoId;
  return { origin: manifest.origin, prefix: ownFolder ? folder : `/${videoId}/` };
}

/** True when `url` (absolute, or relative to `base`) is under the scope. */
export function inScope(url: string, base: string, scope: { origin: string; prefix: string }): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return undefined;
  }
  // An encoded slash or backslash could be decoded into `..` by a server: refuse such paths.
  if (parsed.origin !== scope.origin || !parsed.pathname.startsWith(scope.prefix) || /%2f|%5c/i.test(parsed.pathname))
    return undefined;
  return parsed;
}

/**
 * `url` with `signedQuery` appended when it is under the scope (any old signature replaced);
 * otherwise `url` unchanged. Relative URLs are resolved against `base` (the manifest URL).
 */
export function appendSignedQuery(
  url: string,
  base: string,
  scope: { origin: string; prefix: string },
  signedQuery: string,
): string {
  const parsed = inScope(url, base, scope);
  if (parsed === undefined || signedQuery === '') return url;
  const kept = parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !SIGNED_PARAMS.includes(pair.split('=')[0]));
  parsed.search = [...kept, signedQuery].join('&');
  return parsed.href;
}
