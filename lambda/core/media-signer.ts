/**
 * Signs CloudFront access to one video: custom-policy signed cookies, or a signed manifest URL
 * plus the query the player appends to every media request. Signing is done by
 * @aws-sdk/cloudfront-signer; this module only decides the policy (resource, expiry, IP).
 */
import { createHash, randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import type { SigningConfig } from './config';
import { mediaPathPrefix, videoFolder } from './media-paths';
import type { DrmVideo } from './drm-config';
import { grantId } from './edge-deny-list';
import { InvalidRequest } from './errors';
import { liveRefreshAfter, type LiveScope } from './live-grants';
import type { SigningKey } from './signing-key-shape';

export interface SignRequest {
  videoId: string;
  nowSeconds: number;
  /** Upper bound for the expiry: access never outlives the token that asked for it. */
  notAfterSeconds: number;
  viewerIp: string | undefined;
  /**
   * Makes the policy a function of the request: the same seed (the session) and request give the
   * same policy, so a refresh inside a grant interval re-issues the same grant. Random without.
   */
  policySeed?: string;
  /** A live channel's grant (lambda/core/live-grants.ts): its folders instead of the video's, jittered refresh. */
  live?: LiveScope;
}

export interface SignedGrant {
  manifestUrl: string;
  expiresAt: number;
  refreshAfter: number;
  /** `Set-Cookie` values (cookie delivery). */
  cookies: string[];
  /** Query string without `?` (URL delivery). */
  signedQuery?: string;
  /** For a video in the DRM catalog: its packaged manifest (signed, URL delivery) and that query. */
  drm?: { manifestUrl: string; signedQuery?: string };
  /** The grant's ids at the edge, one per policy it holds (lambda/core/edge-deny-list.ts). */
  grantIds: string[];
  /** For a live channel: its start-over manifest when the grant covers it (signed, URL delivery). */
  live?: { startOver?: { manifestUrl: string; signedQuery?: string } };
}

export class MediaSigner {
  private readonly activeKey: () => SigningKey;

  /** `key`: a fixed key, or the active slot's key that a rotation switches (runtime/signing-key.ts). */
  constructor(
    private readonly config: SigningConfig,
    key: SigningKey | { current(): SigningKey },
    /** Videos packaged with DRM under `/drm/` (lambda/core/drm-config.ts); the others get `/media/` only. */
    private readonly drmCatalog: ReadonlyMap<string, DrmVideo> = new Map(),
  ) {
    this.activeKey = 'current' in key ? () => key.current() : () => key;
  }

  mediaPrefix(videoId: string): string {
    return videoFolder(this.config.mediaPathPrefix ?? mediaPathPrefix(), videoId);
  }

  /**
   * One cookie set per path prefix: the video's `/media/` folder and, for a DRM video, each of its
   * `/drm/` prefixes. Each set's Path and policy Resource name that prefix only, so the browser
   * sends each set only under its own prefix and no set opens anything else.
   */
  signCookies(request: SignRequest): SignedGrant {
    const drm = request.live === undefined ? this.drmCatalog.get(request.videoId) : undefined;
    const prefixes =
      request.live !== undefined ? [...request.live.paths] : [this.mediaPrefix(request.videoId), ...(drm?.paths ?? [])];
    // Every set expires together: the same request, the same clock.
    const policies = prefixes.map((prefix) => ({ prefix, ...this.policyFor(request, prefix) }));
    const { expiresAt, refreshAfter } = policies[0];
    const sets = policies.map(({ prefix, policy }) => this.cookieSet(policy, prefix));
    const startOver = request.live?.startOverManifest;
    return {
      manifestUrl: this.manifestUrl(request),
      expiresAt,
      refreshAfter,
      cookies: sets.flatMap((set) => set.cookies),
      grantIds: sets.map((set) => set.grantId),
      ...(drm !== undefined ? { drm: { manifestUrl: `${this.config.mediaBaseUrl}${drm.manifest}` } } : {}),
      ...(request.live !== undefined
        ? {
            live:
              startOver === undefined ? {} : { startOver: { manifestUrl: `${this.config.mediaBaseUrl}${startOver}` } },
          }
        : {}),
    };
  }

  /**
   * A signed manifest URL and the query for its folder. For a DRM video the `drm` part signs the
   * manifest's own `/drm/` prefix (with URL delivery a player appends one query to every request).
   */
  signUrl(request: SignRequest): SignedGrant {
    const folder = request.live?.paths[0] ?? this.mediaPrefix(request.videoId);
    const { policy, expiresAt, refreshAfter } = this.policyFor(request, folder);
    const manifestUrl = getSignedUrl({ url: this.manifestUrl(request), policy, ...this.credentials() });
    const query = new URL(manifestUrl).searchParams;
    const signedQuery = new URL(manifestUrl).search.slice(1);
    const drm = request.live === undefined ? this.drmCatalog.get(request.videoId) : undefined;
    const grant: SignedGrant = {
      manifestUrl,
      expiresAt,
      refreshAfter,
      cookies: [],
      signedQuery,
      grantIds: [grantId(query.get('Policy') ?? '')],
    };
    if (request.live !== undefined) return this.withStartOverUrl(request, request.live, grant);
    if (drm === undefined) return grant;
    const prefix = drm.paths.find((path) => drm.manifest.startsWith(path)) ?? drm.paths[0];
    const drmUrl = getSignedUrl({
      url: `${this.config.mediaBaseUrl}${drm.manifest}`,
      policy: this.policyFor(request, prefix).policy,
      ...this.credentials(),
    });
    const drmQuery = new URL(drmUrl).searchParams;
    return {
      ...grant,
      grantIds: [...grant.grantIds, grantId(drmQuery.get('Policy') ?? '')],
      drm: { manifestUrl: drmUrl, signedQuery: new URL(drmUrl).search.slice(1) },
    };
  }

  /** A live grant in URL delivery: the start-over manifest signed for its own folder, when allowed. */
  private withStartOverUrl(request: SignRequest, live: LiveScope, grant: SignedGrant): SignedGrant {
    if (live.startOverManifest === undefined || live.paths[1] === undefined) return { ...grant, live: {} };
    const url = getSignedUrl({
      url: `${this.config.mediaBaseUrl}${live.startOverManifest}`,
      policy: this.policyFor(request, live.paths[1]).policy,
      ...this.credentials(),
    });
    return {
      ...grant,
      grantIds: [...grant.grantIds, grantId(new URL(url).searchParams.get('Policy') ?? '')],
      live: { startOver: { manifestUrl: url, signedQuery: new URL(url).search.slice(1) } },
    };
  }

  /** One prefix's cookies and the id of their policy. */
  private cookieSet(policy: string, prefix: string): { cookies: string[]; grantId: string } {
    const signed = getSignedCookies({ policy, ...this.credentials() });
    const attributes = [`Path=${prefix}`, 'Secure', 'HttpOnly', 'SameSite=Strict'];
    if (this.config.cookieDomain !== undefined) attributes.push(`Domain=${this.config.cookieDomain}`);
    const cookies = Object.entries(signed)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name, value]) => [`${name}=${value}`, ...attributes].join('; '));
    return { cookies, grantId: grantId(String(signed['CloudFront-Policy'])) };
  }

  private manifestUrl(request: SignRequest): string {
    if (request.live !== undefined) return `${this.config.mediaBaseUrl}${request.live.manifest}`;
    return `${this.config.mediaBaseUrl}${this.mediaPrefix(request.videoId)}${this.config.manifestName}`;
  }

  /** When a grant for `request` expires: minutes from now, never after the token. */
  expiryFor(request: SignRequest): number {
    return Math.min(request.nowSeconds + this.config.ttlSeconds, request.notAfterSeconds);
  }

  /**
   * The signer types its key as PEM text and would re-parse it on every call (17x slower for
   * P-256 here, see bench/). Node's createSign accepts a KeyObject in the same slot, so we hand
   * it the key parsed once per load; the cookie tests verify every signature independently.
   */
  private credentials(): { keyPairId: string; privateKey: string; algorithm: SigningKey['hashAlgorithm'] } {
    const key = this.activeKey();
    return { keyPairId: key.keyPairId, privateKey: key.privateKey as unknown as string, algorithm: key.hashAlgorithm };
  }

  /** Custom policy: a wildcard over one folder of the video, expiring in minutes, optionally bound to the viewer's IPv4. */
  private policyFor(request: SignRequest, prefix: string): { policy: string; expiresAt: number; refreshAfter: number } {
    const expiresAt = this.expiryFor(request);
    // A live audience joins together: its refreshes are spread (live-grants.ts), VOD's at 80 %.
    const refreshAfter =
      request.live !== undefined
        ? liveRefreshAfter(request.nowSeconds, expiresAt, request.policySeed ?? '')
        : request.nowSeconds + Math.floor((expiresAt - request.nowSeconds) * 0.8);
    const condition: Record<string, Record<string, string | number>> = {
      DateLessThan: { 'AWS:EpochTime': expiresAt },
      // A random instant in the past: it changes nothing about when the grant is valid, but makes
      // An instant in the past: it changes nothing about when the grant is valid, but makes every
      // policy, so every grant id (its hash), unique per session and interval: revoking one
      // viewer's grant at the edge never denies another's otherwise identical policy, and a
      // refresh within the interval is the same grant (no new record, no new deny-list entry).
      DateGreaterThan: { 'AWS:EpochTime': 1 + this.pastInstant(request, prefix, expiresAt) },
    };
    if (this.config.bindViewerIp) condition.IpAddress = { 'AWS:SourceIp': `${this.ipv4(request.viewerIp)}/32` };
    const resource = `${this.config.mediaBaseUrl}${prefix}*`;
    const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: condition }] });
    return { policy, expiresAt, refreshAfter };
  }

  /** Below `nowSeconds - 3600`: random, or from the seed (as unpredictable to others, as unique per session). */
  private pastInstant(request: SignRequest, prefix: string, expiresAt: number): number {
    const range = Math.max(1, request.nowSeconds - 3600);
    if (request.policySeed === undefined) return randomInt(range);
    const digest = createHash('sha256')
      .update(JSON.stringify([request.policySeed, prefix, expiresAt]))
      .digest();
    return digest.readUIntBE(0, 6) % range;
  }

  private ipv4(viewerIp: string | undefined): string {
    if (viewerIp !== undefined && isIPv4(viewerIp)) return viewerIp;
    // CloudFront's IpAddress condition is IPv4-only: a cookie bound to an IPv6 address could never verify.
    throw new InvalidRequest('this service binds media access to an IPv4 address; connect over IPv4 and retry');
  }
}
