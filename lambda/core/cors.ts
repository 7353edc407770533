/**
 * The CORS contract for apps on other origins (docs/api.md, "Apps on another origin"): which
 * origins may call, with which methods and headers, and the answer to each request. One module
 * for both sides: the distribution's response headers policies and the HTTP API's preflight
 * answer (lib/delivery.ts, lib/playback-api.ts) are built from these constants, and the local edge
 * (local/edge-server.ts) answers with `corsAnswer`. No dependency, so synth and local mode load it.
 */

/** What the `/api/*` answers allow: the API's methods and the headers the client sends. */
export const API_CORS = {
  methods: ['GET', 'POST', 'DELETE'],
  /** Authorization carries the bearer token; Content-Type a JSON or licence body. */
  headers: ['authorization', 'content-type'],
  /** Read by the client across origins (Retry-After's backoff, the server Date its clock skew, the RFC 6750 challenge). */
  exposed: ['date', 'retry-after', 'www-authenticate'],
} as const;

/**
 * Media (`/media/*`, `/drm/*`): GET and HEAD only. A player's media requests are simple requests
 * (no custom header; a single `Range` is safelisted), so they need no preflight: a behaviour with
 * trusted key groups would refuse an unsigned OPTIONS anyway.
 */
export const MEDIA_CORS = {
  methods: ['GET', 'HEAD'],
  headers: ['range'],
  exposed: ['content-length', 'content-range'],
} as const;

export type CorsRules = typeof API_CORS | typeof MEDIA_CORS;

/** How long a browser may reuse a preflight answer (Chromium caps it at 7200 s). */
export const CORS_MAX_AGE_SECONDS = 600;

/** Enough for a few apps; CloudFront takes a bounded list per policy. */
export const MAX_ALLOWED_ORIGINS = 20;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `value` is not an exact origin a deployment may allow, or undefined when it is one:
 * `https://host[:port]` in its serialized form (lower case, no default port, no path, query,
 * credentials or wildcard); `http://` only for a loopback host (an app in development).
 */
export function originProblem(value: string): string | undefined {
  if (value.includes('*')) return 'must be an exact origin: wildcards are not allowed with credentials';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an origin such as https://app.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// origin';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return 'must be https:// (http:// only for localhost, 127.0.0.1 or [::1])';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.origin !== value)
    return `must be the origin alone, as browsers send it (scheme://host[:port], no path or trailing "/"): "${url.origin}"`;
  return undefined;
}

export interface CorsRequest {
  method: string;
  /** The `Origin` header, if any. */
  origin: string | undefined;
  /** `Access-Control-Request-Method`, present on a preflight. */
  requestMethod: string | undefined;
}

export interface CorsAnswer {
  /** A preflight (OPTIONS with Access-Control-Request-Method): answer it with 204 and these headers, nothing else. */
  preflight: boolean;
  /** Headers to add to the response (none when the origin is not allowed). */
  headers: Record<string, string>;
}

/**
 * The CORS headers for one request: an allowed origin is echoed exactly, with credentials; any
 * other origin gets no CORS header, so the browser refuses the app's call. `Vary: Origin` always,
 * so no cache serves one origin's answer to another.
 */
export function corsAnswer(allowedOrigins: readonly string[], rules: CorsRules, request: CorsRequest): CorsAnswer {
  const preflight = request.method === 'OPTIONS' && request.requestMethod !== undefined;
  const headers: Record<string, string> = { vary: 'Origin' };
  if (request.origin === undefined || !allowedOrigins.includes(request.origin)) return { preflight, headers };
  headers['access-control-allow-origin'] = request.origin;
  headers['access-control-allow-credentials'] = 'true';
  if (preflight) {
    headers['access-control-allow-methods'] = [...rules.methods, 'OPTIONS'].join(', ');
    headers['access-control-allow-headers'] = rules.headers.join(', ');
    headers['access-control-max-age'] = String(CORS_MAX_AGE_SECONDS);
  } else {
    headers['access-control-expose-headers'] = rules.exposed.join(', ');
  }
  return { preflight, headers };
}
