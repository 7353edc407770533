/**
 * A playback grant as the API hands it out (docs/api.md "POST /api/v1/playback/{videoId}"):
 * signed cookies or a signed query, and the ways the battery re-presents it: as sent, on another
 * path, with its policy's expiry changed, with another signature. Pure: no I/O.
 */

export interface Grant {
  videoId: string;
  manifestUrl: string;
  /** Epoch seconds. */
  expiresAt: number;
  delivery: 'cookie' | 'url';
  /** The cookies set, with their Path (a DRM video gets one set per path prefix). */
  cookies: GrantCookie[];
  /** The raw Set-Cookie lines (attributes checked by the playback check). */
  setCookies: string[];
  /** For signed-URL delivery: the query to append to every media request, without `?`. */
  signedQuery?: string;
  drm?: { manifestUrl: string; licenceUrls: Record<string, string>; signedQuery?: string };
}

export interface GrantCookie {
  name: string;
  value: string;
  /** The cookie's Path attribute ('/' when it has none). */
  path: string;
}

/** How one media request presents a grant: a Cookie header or a query string (or neither). */
export interface Credentials {
  cookie?: string;
  query?: string;
}

interface PlaybackBody {
  videoId?: unknown;
  manifestUrl?: unknown;
  expiresAt?: unknown;
  signedQuery?: unknown;
  drm?: { manifestUrl?: unknown; licenceUrls?: unknown; signedQuery?: unknown };
}

/** Reads a 200 playback answer; throws naming what is missing when it is not one. */
export function parseGrant(body: unknown, setCookies: string[], delivery: 'cookie' | 'url'): Grant {
  const answer = (typeof body === 'object' && body !== null ? body : {}) as PlaybackBody;
  if (typeof answer.manifestUrl !== 'string') throw new Error('the playback answer has no manifestUrl');
  const expiresAt = typeof answer.expiresAt === 'string' ? Date.parse(answer.expiresAt) : Number.NaN;
  if (Number.isNaN(expiresAt)) throw new Error('the playback answer has no ISO 8601 expiresAt');
  const cookies = setCookies.flatMap((line): GrantCookie[] => {
    const [pair, ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return [];
    const path = attributes.map((attribute) => attribute.trim()).find((attribute) => /^path=/i.test(attribute));
    return [{ name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path: path?.slice(5) || '/' }];
  });
  if (delivery === 'url' && typeof answer.signedQuery !== 'string')
    throw new Error('the playback answer (delivery=url) has no signedQuery');
  const drm = answer.drm;
  return {
    videoId: typeof answer.videoId === 'string' ? answer.videoId : '',
    manifestUrl: answer.manifestUrl,
    expiresAt: Math.floor(expiresAt / 1000),
    delivery,
    cookies,
    setCookies,
    ...(typeof answer.signedQuery === 'string' ? { signedQuery: answer.signedQuery } : {}),
    ...(drm !== undefined && typeof drm.manifestUrl === 'string'
      ? {
          drm: {
            manifestUrl: drm.manifestUrl,
            licenceUrls: stringRecord(drm.licenceUrls),
            ...(typeof drm.signedQuery === 'string' ? { signedQuery: drm.signedQuery } : {}),
          },
        }
      : {}),
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** The path of an absolute URL or a path, as sent (no normalisation). */
function pathOf(url: string): string {
  const path = url.replace(/^https?:\/\/[^/?#]*/i, '').split('?')[0];
  return path === '' ? '/' : path;
}

/** The cookies a browser would send to a URL: those whose Path is a prefix of its path, longest first. */
export function cookiesFor(grant: Grant, url: string): GrantCookie[] {
  const path = pathOf(url);
  return grant.cookies.filter((cookie) => path.startsWith(cookie.path)).sort((a, b) => b.path.length - a.path.length);
}

/** The Cookie header for some cookies. */
export function cookieHeader(cookies: GrantCookie[]): string {
  return cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
}

/**
 * How the grant is presented on a media request: its signed query, or the cookies a browser
 * would send to `forUrl` (by default the manifest's: the video's own cookies, which the checks
 * also send, on purpose, where a browser would not).
 */
export function credentialsOf(grant: Grant, forUrl: string = grant.manifestUrl): Credentials {
  return grant.delivery === 'url' ? { query: grant.signedQuery } : { cookie: cookieHeader(cookiesFor(grant, forUrl)) };
}

/** A media URL with the credentials' query appended (the player appends `signedQuery` to every request). */
export function withQuery(url: string, query: string | undefined): string {
  if (query === undefined || query === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** The signing values a grant carries, by their cookie names without the `CloudFront-` prefix. */
export interface SigningValues {
  Policy?: string;
  Signature?: string;
  'Key-Pair-Id'?: string;
  'Hash-Algorithm'?: string;
}

export function signingValuesOf(grant: Grant): SigningValues {
  if (grant.delivery === 'url') {
    const values: Record<string, string> = {};
    for (const pair of (grant.signedQuery ?? '').split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0) values[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return values;
  }
  const values: Record<string, string> = {};
  for (const cookie of cookiesFor(grant, grant.manifestUrl))
    if (cookie.name.startsWith('CloudFront-')) values[cookie.name.slice('CloudFront-'.length)] ??= cookie.value;
  return values;
}

/** The same grant with some signing values replaced (the rest kept in place). */
export function withSigningValues(grant: Grant, changes: SigningValues): Grant {
  if (grant.delivery === 'url') {
    const query = (grant.signedQuery ?? '')
      .split('&')
      .map((pair) => {
        const name = pair.slice(0, Math.max(0, pair.indexOf('=')));
        const changed = (changes as Record<string, string | undefined>)[name];
        return changed === undefined ? pair : `${name}=${changed}`;
      })
      .join('&');
    return { ...grant, signedQuery: query };
  }
  const own = new Set(cookiesFor(grant, grant.manifestUrl));
  const cookies = grant.cookies.map((cookie) => {
    const changed = (changes as Record<string, string | undefined>)[cookie.name.slice('CloudFront-'.length)];
    return own.has(cookie) && cookie.name.startsWith('CloudFront-') && changed !== undefined
      ? { ...cookie, value: changed }
      : cookie;
  });
  return { ...grant, cookies };
}

/** CloudFront's URL-safe base64 (`+` → `-`, `=` → `_`, `/` → `~`), both ways. */
export function fromCloudFrontBase64(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

export function toCloudFrontBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}

/** The policy's expiry (`DateLessThan`, epoch seconds), or undefined when it has none. */
export function policyExpiry(policy: string): number | undefined {
  const parsed = JSON.parse(fromCloudFrontBase64(policy).toString('utf8')) as PolicyDocument;
  const value = parsed.Statement?.[0]?.Condition?.DateLessThan?.['AWS:EpochTime'];
  return typeof value === 'number' ? value : undefined;
}

/** The same policy with another expiry, re-encoded (its signature no longer matches). */
export function withPolicyExpiry(policy: string, expiresAt: number): string {
  const parsed = JSON.parse(fromCloudFrontBase64(policy).toString('utf8')) as PolicyDocument;
  const condition = parsed.Statement?.[0]?.Condition;
  if (condition?.DateLessThan === undefined) throw new Error('the policy has no DateLessThan to change');
  condition.DateLessThan['AWS:EpochTime'] = expiresAt;
  return toCloudFrontBase64(Buffer.from(JSON.stringify(parsed)));
}

interface PolicyDocument {
  Statement?: { Resource?: string; Condition?: { DateLessThan?: { 'AWS:EpochTime'?: number } } }[];
}
