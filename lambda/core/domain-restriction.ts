/**
 * Domain restriction: which sites may play. A deployment lists exact origins
 * (`https://host[:port]`); the distribution's own host is always allowed. The viewer-request
 * function (edge-function/viewer-request.js, `foreignSite`) applies these same rules to every
 * media request, cookies and signed URLs alike; the API applies them to the playback call
 * (test/edge/access-layers.test.ts runs both over the same cases).
 *
 * Browsers set Origin, Referer and Sec-Fetch-Site and pages cannot forge them; a non-browser
 * client can send anything, so this keeps a grant from playing on another web page, not from a
 * script (docs/access-layers.md).
 */

/** A request carrying none of the three headers: native apps, some players, a typed URL. */
export type MissingSiteHeaders = 'allow' | 'deny';

export interface DomainRestriction {
  /** Exact origins allowed besides the service's own host, lower-case, no trailing slash. */
  readonly sites: readonly string[];
  readonly missing: MissingSiteHeaders;
}

/** Why a request shows a site not allowed; undefined when allowed. Same names as the function logs. */
export type ForeignSite = 'origin' | 'referer' | 'fetch-site' | 'no-site';

/** `scheme://host[:port]` of a URL, lower-case, or '' when it has none. */
export function originOf(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)/i.exec(url);
  return match === null ? '' : match[1].toLowerCase();
}

/** Whether `origin` (lower-case) is the service's own host (`host`, lower-case, any scheme) or listed. */
function allowed(origin: string, host: string, sites: readonly string[]): boolean {
  return origin !== '' && (origin.slice(origin.indexOf('://') + 3) === host || sites.includes(origin));
}

/**
 * The rules, in order: an Origin, when sent, must be allowed (`null` never is); so must a
 * Referer's origin; with either present and allowed the request is allowed; else Sec-Fetch-Site
 * `same-origin` is the service's own page, `same-site`/`cross-site` another page that hid itself
 * (refused); nothing at all (or `none`, a typed URL) follows `missing`.
 */
export function foreignSite(
  headers: { origin?: string; referer?: string; secFetchSite?: string; host: string },
  restriction: DomainRestriction,
): ForeignSite | undefined {
  const origin = headers.origin ?? '';
  const referer = headers.referer ?? '';
  const site = headers.secFetchSite ?? '';
  const host = headers.host.toLowerCase();
  if (origin !== '' && !allowed(origin.toLowerCase(), host, restriction.sites)) return 'origin';
  if (referer !== '' && !allowed(originOf(referer), host, restriction.sites)) return 'referer';
  if (origin !== '' || referer !== '' || site === 'same-origin') return undefined;
  if (site === 'same-site' || site === 'cross-site') return 'fetch-site';
  return restriction.missing === 'deny' ? 'no-site' : undefined;
}

/** An allowed site as the settings take it: `http(s)://host[:port]`, lower-case, nothing after. */
export const SITE_ORIGIN = /^https?:\/\/[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$/;
