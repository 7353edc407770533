/**
 * The API's whole configuration, read once from environment variables at init.
 * A missing or invalid value throws ConfigError naming the variable, so a bad deploy fails
 * loudly at cold start instead of answering requests with a half-configured signer.
 */
import { MEDIA_PATH_PREFIX_VARIABLE, mediaKeyPrefixProblem, mediaPathPrefix } from './media-paths';
import { ABUSE_DEFAULTS, type SharingAction, STREAM_LIMIT_POLICY, type StreamLimitPolicy } from './abuse-defaults';
import { readAccessLayers } from './access-layers-config';
import type { DomainRestriction } from './domain-restriction';
import { isVideoPattern, PLAN_LIMITS, PLAN_NAME, type Plan, VIDEO_PATTERN_RULE } from './entitlement-rules';
import { ConfigError, type Env, EnvReader } from './env-reader';
import {
  ASYMMETRIC_ALGORITHMS,
  CLAIM_NAME,
  DEFAULT_ALGORITHMS,
  HASH_ALGORITHM,
  type JwsAlgorithm,
  jwksUrlProblem,
  MAX_CLIENT_IDS,
  MAX_SCOPE_CLAIMS,
  SHARED_INTEGER_SETTINGS,
  TOKEN,
  TOKEN_TEXT,
} from './settings-contract';

export type { SharingAction };
export { ASYMMETRIC_ALGORITHMS, ConfigError, type JwsAlgorithm };

export type HashAlgorithm = (typeof HASH_ALGORITHM.allowed)[number];

/** Where the IdP's public keys come from: exactly one source. */
export type JwtKeySource =
  | { kind: 'jwks-url'; url: URL; timeoutMs: number; cacheMaxAgeMs: number; cooldownMs: number }
  | { kind: 'jwks'; jwks: string }
  | { kind: 'pem'; pem: string; kid?: string };

/** Where the CloudFront signing private key comes from: exactly one source. */
export type SigningKeySource = { kind: 'secret'; secretArn: string } | { kind: 'file'; path: string };

export interface TokenConfig {
  issuer: string;
  /** Value `aud` must contain; absent only when `clientId` and `tokenUse` pin the token instead (Cognito). */
  audience?: string;
  /** When set, the claim `clientIdClaim` must equal one of these exactly (Cognito access tokens: `client_id`). */
  clientIds?: string[];
  clientIdClaim: string;
  /** When set, the `token_use` claim must equal it (Cognito: `access`, which refuses its ID tokens). */
  tokenUse?: string;
  /** When set, the header `typ` must be this media type (RFC 9068: `at+jwt`). */
  tokenType?: string;
  /**
   * Refuse tokens without `jti` (true), or give such a token an id derived from its signed content
   * (false; lambda/core/token-verifier.ts `derivedTokenId`) so it can still be revoked on its own.
   */
  requireJti: boolean;
  keys: JwtKeySource;
  algorithms: JwsAlgorithm[];
  clockToleranceSeconds: number;
  maxLifetimeSeconds: number;
  maxTokenBytes: number;
  /** How long a verified token's signature check is reused (0 = never); at most the key-set cache age. */
  cacheSeconds: number;
  cacheEntries: number;
}

export interface EntitlementConfig {
  /** Claims whose scopes count, together (Entra ID: `scp` for users, `roles` for apps). */
  scopeClaims: string[];
  videosClaim: string;
  /** Refuse tokens without the videos claim (true), or let them play every video (false). */
  requireVideosClaim: boolean;
  /** Whether playback needs `playScope` (false only for an IdP that issues no scopes, e.g. Sign in with Google). */
  requirePlayScope: boolean;
  playScope: string;
  adminScope: string;
  /** Claim naming the token's plan(s): a string or an array of names (groups, roles). */
  planClaim: string;
  /** Plans by name (lambda/core/entitlement-rules.ts); a Map, so a claim "__proto__" finds nothing. */
  plans: ReadonlyMap<string, Plan>;
  /** The plan of a token that names no known plan and carries no videos claim. */
  defaultPlan?: string;
  /** A claim giving the user's own stream limit, over the plan's; capped at `streamLimitClaimMax`. */
  streamLimitClaim?: string;
  streamLimitClaimMax: number;
}

export interface SigningConfig {
  /** Scheme and host the viewer uses for media, e.g. `https://d111111abcdef8.cloudfront.net`. */
  mediaBaseUrl: string;
  /**
   * Public path prefix of media folders (lambda/core/media-paths.ts), e.g. `/media/`.
   * @default '/media/'
   */
  mediaPathPrefix?: string;
  manifestName: string;
  ttlSeconds: number;
  cookieDomain?: string;
  bindViewerIp: boolean;
  /** The key pair id when the key source does not name it (a bare PEM); a key document's own id wins. */
  keyPairId?: string;
  key: SigningKeySource;
  /** How long a signer uses a loaded key before re-reading the active slot (rotation picks it up). */
  keyRefreshSeconds: number;
  hashAlgorithm: HashAlgorithm;
}

export interface StoreConfig {
  tableName: string;
  /** Local mode only: a DynamoDB-compatible endpoint such as dynalite. */
  endpoint?: string;
  region: string;
  timeoutMs: number;
}

export interface SharingConfig {
  /** Suspected above this many distinct networks (IPv4 /24, IPv6 /48) per token; 0 turns detection off. */
  maxNetworks: number;
  /** Suspected above this many distinct countries per token. */
  maxCountries: number;
  action: SharingAction;
}

export interface AbuseConfig {
  sharing: SharingConfig;
  /** Active playback sessions per user; 0 = unlimited. */
  maxConcurrentStreams: number;
  /** API calls per user per window; 0 = unlimited. */
  rateLimit: number;
  rateWindowSeconds: number;
  /** Distinct sessions per user per clock hour (playback or logout). */
  maxSessionsPerHour: number;
  /** Grant records per user per grant bucket. */
  maxGrantsPerBucket: number;
  /** At the stream limit: refuse the new session, or end the oldest one (at the edge too) and admit the new. */
  streamLimitPolicy: StreamLimitPolicy;
}

export type { StreamLimitPolicy };

export interface ApiConfig {
  token: TokenConfig;
  entitlement: EntitlementConfig;
  signing: SigningConfig;
  store: StoreConfig;
  abuse: AbuseConfig;
  /** Whether grants are recorded for the edge's deny-list (EDGE_DENY_LIST, default on). */
  edgeDenyList: boolean;
  /** Sites allowed to call for playback (DOMAIN_RESTRICTION_SITES, DOMAIN_RESTRICTION_MISSING); absent = off. */
  domainRestriction?: DomainRestriction;
  /** Whether grants carry a device tag (DEVICE_BINDING on; keys from DEVICE_KEY_SECRET_ARN or DEVICE_KEY_FILE). */
  deviceBinding: boolean;
  /** Header carrying the viewer's country as CloudFront saw it. */
  viewerCountryHeader: string;
  /** Header carrying the viewer's address as CloudFront saw it (`ip:port`); falls back to the source IP. */
  viewerIpHeader: string;
  /** When set, requests must carry `x-origin-verify` equal to this secret's value (they came through CloudFront). */
  originVerifySecretArn?: string;
}

export function loadConfig(env: Env = process.env): ApiConfig {
  const config = readConfig(new EnvReader(env));
  const { maxSessionsPerHour, maxConcurrentStreams } = config.abuse;
  // A session cap below the stream limit would make the stream limit unreachable.
  if (maxSessionsPerHour < maxConcurrentStreams)
    throw new ConfigError(
      ABUSE_DEFAULTS.maxSessionsPerHour.variable,
      `must be at least ${ABUSE_DEFAULTS.maxConcurrentStreams.variable} (${maxConcurrentStreams}), got ${maxSessionsPerHour}`,
    );
  return config;
}

function readConfig(read: EnvReader): ApiConfig {
  const jwtKeys = jwtKeySource(read);
  return {
    token: {
      issuer: read.required('JWT_ISSUER'),
      ...audienceOrClient(read),
      tokenType: read.optionalText(TOKEN_TEXT.tokenType),
      requireJti: read.boolean('JWT_REQUIRE_JTI', true),
      keys: jwtKeys,
      algorithms: algorithms(read, 'JWT_ALGORITHMS'),
      clockToleranceSeconds: read.integer(TOKEN.clockToleranceSeconds),
      maxLifetimeSeconds: read.integer(TOKEN.maxLifetimeSeconds),
      maxTokenBytes: read.integer(TOKEN.maxTokenBytes),
      cacheSeconds: verifiedCacheSeconds(read, jwtKeys),
      cacheEntries: read.integer(TOKEN.verifiedCacheEntries),
    },
    entitlement: entitlement(read),
    signing: {
      mediaBaseUrl: baseUrl(read, 'MEDIA_BASE_URL'),
      mediaPathPrefix: publicMediaPathPrefix(read, MEDIA_PATH_PREFIX_VARIABLE),
      manifestName: manifestName(read, 'MANIFEST_NAME', 'index.m3u8'),
      ttlSeconds: read.integer(SHARED_INTEGER_SETTINGS['signing.ttlSeconds']),
      cookieDomain: cookieDomain(read, 'COOKIE_DOMAIN'),
      bindViewerIp: read.boolean('SIGN_BIND_VIEWER_IP', false),
      keyPairId: read.optionalText({
        variable: 'SIGNING_KEY_PAIR_ID',
        pattern: /^[A-Z0-9]{1,64}$/,
        what: 'a CloudFront public key id such as K2JCJMDEHXQW5F',
      }),
      key: signingKeySource(read),
      keyRefreshSeconds: read.integer(SHARED_INTEGER_SETTINGS['signing.keyRefreshSeconds']),
      hashAlgorithm: read.oneOf(HASH_ALGORITHM),
    },
    store: {
      tableName: read.text({
        variable: 'REVOCATION_TABLE_NAME',
        pattern: /^[A-Za-z0-9_.-]{3,255}$/,
        what: 'a DynamoDB table name',
      }),
      endpoint: httpUrl(read, 'DYNAMODB_ENDPOINT'),
      region: read.optional('AWS_REGION') ?? 'us-east-1',
      timeoutMs: read.integer({ variable: 'STORE_TIMEOUT_MS', fallback: 1000, min: 50, max: 10000 }),
    },
    abuse: {
      sharing: {
        maxNetworks: read.integer(ABUSE_DEFAULTS.sharingMaxNetworks),
        maxCountries: read.integer(ABUSE_DEFAULTS.sharingMaxCountries),
        action: read.oneOf(ABUSE_DEFAULTS.sharingAction),
      },
      maxConcurrentStreams: read.integer(ABUSE_DEFAULTS.maxConcurrentStreams),
      rateLimit: read.integer(ABUSE_DEFAULTS.rateLimitPerWindow),
      rateWindowSeconds: read.integer(ABUSE_DEFAULTS.rateWindowSeconds),
      maxSessionsPerHour: read.integer(ABUSE_DEFAULTS.maxSessionsPerHour),
      maxGrantsPerBucket: read.integer(ABUSE_DEFAULTS.maxGrantsPerBucket),
      streamLimitPolicy: read.oneOf(STREAM_LIMIT_POLICY),
    },
    viewerCountryHeader: (read.optional('VIEWER_COUNTRY_HEADER') ?? 'cloudfront-viewer-country').toLowerCase(),
    viewerIpHeader: (read.optional('VIEWER_IP_HEADER') ?? 'cloudfront-viewer-address').toLowerCase(),
    originVerifySecretArn: read.optional('ORIGIN_VERIFY_SECRET_ARN'),
    // Record every grant's id so a revocation can reach the edge's deny-list (lambda/core/edge-deny-list.ts).
    edgeDenyList: read.oneOf({ variable: 'EDGE_DENY_LIST', allowed: ['on', 'off'] as const, fallback: 'on' }) === 'on',
    ...readAccessLayers(
      (name) => read.optional(name),
      (variable, problem) => new ConfigError(variable, problem),
    ),
  };
}

function claimName(read: EnvReader, name: string, fallback: string): string {
  const value = read.optional(name) ?? fallback;
  if (!CLAIM_NAME.test(value)) throw new ConfigError(name, `is not a usable claim name: "${value}"`);
  return value;
}

function optionalClaimName(read: EnvReader, name: string): string | undefined {
  return read.optional(name) === undefined ? undefined : claimName(read, name, '');
}

/** A public media path prefix such as `/media/` (its key prefix checked by media-paths.ts). */
function publicMediaPathPrefix(read: EnvReader, name: string): string {
  const value = read.optional(name) ?? mediaPathPrefix();
  const problem = value.startsWith('/') ? mediaKeyPrefixProblem(value.slice(1)) : 'must start with "/"';
  if (problem !== undefined) throw new ConfigError(name, `${problem} (the public path form, e.g. /media/)`);
  return value;
}

/** `JWT_AUDIENCE`, or (Cognito access tokens carry no `aud`) both `JWT_CLIENT_ID` and `JWT_TOKEN_USE`. */
function audienceOrClient(read: EnvReader): Pick<TokenConfig, 'audience' | 'clientIds' | 'clientIdClaim' | 'tokenUse'> {
  const audience = read.optionalText(TOKEN_TEXT.audience);
  const clientIds = read.optional(TOKEN_TEXT.clientId.variable)?.split(',');
  if (
    clientIds !== undefined &&
    (clientIds.length > MAX_CLIENT_IDS || !clientIds.every((id) => TOKEN_TEXT.clientId.pattern.test(id)))
  )
    throw new ConfigError(
      TOKEN_TEXT.clientId.variable,
      `must be 1 to ${MAX_CLIENT_IDS} comma-separated client ids without spaces, got "${clientIds.join(',')}"`,
    );
  const tokenUse = read.optionalText(TOKEN_TEXT.tokenUse);
  if (audience === undefined && (clientIds === undefined || tokenUse === undefined)) {
    throw new ConfigError(
      TOKEN_TEXT.audience.variable,
      'is required but not set (without it, set both JWT_CLIENT_ID and JWT_TOKEN_USE, as for Cognito access tokens)',
    );
  }
  return { audience, clientIds, clientIdClaim: claimName(read, 'JWT_CLIENT_ID_CLAIM', 'client_id'), tokenUse };
}

function entitlement(read: EnvReader): EntitlementConfig {
  const scopeClaims = (read.optional('SCOPE_CLAIM') ?? 'scope').split(',').map((part) => part.trim());
  const badClaim = scopeClaims.find((claim) => !CLAIM_NAME.test(claim));
  if (badClaim !== undefined || scopeClaims.length > MAX_SCOPE_CLAIMS)
    throw new ConfigError(
      'SCOPE_CLAIM',
      `must be 1 to ${MAX_SCOPE_CLAIMS} comma-separated claim names, got "${badClaim ?? scopeClaims.join(',')}"`,
    );
  const planMap = plans(read, 'ENTITLEMENT_PLANS');
  const defaultPlan = read.optional('DEFAULT_PLAN');
  if (defaultPlan !== undefined && !planMap.has(defaultPlan))
    throw new ConfigError('DEFAULT_PLAN', `names no plan of ENTITLEMENT_PLANS: "${defaultPlan}"`);
  const requireVideosClaim = read.boolean('REQUIRE_VIDEOS_CLAIM', true);
  if (defaultPlan !== undefined && !requireVideosClaim)
    throw new ConfigError(
      'DEFAULT_PLAN',
      'cannot be combined with REQUIRE_VIDEOS_CLAIM=false (which plays every video)',
    );
  const { min, max, fallback } = PLAN_LIMITS.streamLimitClaimMax;
  return {
    scopeClaims,
    videosClaim: claimName(read, 'VIDEOS_CLAIM', 'videos'),
    requireVideosClaim,
    requirePlayScope: read.boolean('REQUIRE_PLAY_SCOPE', true),
    playScope: read.optional('PLAY_SCOPE') ?? 'stream:play',
    adminScope: read.optional('ADMIN_SCOPE') ?? 'streamgate:admin',
    planClaim: claimName(read, 'PLAN_CLAIM', 'plan'),
    plans: planMap,
    defaultPlan,
    streamLimitClaim: optionalClaimName(read, 'STREAM_LIMIT_CLAIM'),
    streamLimitClaimMax: read.integer({ variable: 'STREAM_LIMIT_CLAIM_MAX', fallback, min, max }),
  };
}

/** `{"<plan>": {"videos": ["series-12-*", "trailer-1"], "maxStreams": 2}, ...}` */
function plans(read: EnvReader, name: string): Map<string, Plan> {
  if (read.optional(name) === undefined) return new Map();
  const entries = Object.entries(read.jsonObject(name, 'a JSON object of plans by name'));
  if (entries.length > PLAN_LIMITS.plans) throw new ConfigError(name, `holds more than ${PLAN_LIMITS.plans} plans`);
  const result = new Map<string, Plan>();
  for (const [planName, value] of entries) {
    const where = `plan "${planName.slice(0, 64)}"`;
    if (!PLAN_NAME.test(planName))
      throw new ConfigError(name, `${where}: a name is 1 to 128 characters without control characters`);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new ConfigError(name, `${where}: must be {"videos": [...], "maxStreams"?: n}`);
    const { videos, maxStreams, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw new ConfigError(name, `${where}: unknown field "${extra.slice(0, 32)}" (expected videos, maxStreams)`);
    if (!Array.isArray(videos) || videos.length === 0 || videos.length > PLAN_LIMITS.videos)
      throw new ConfigError(name, `${where}: videos must list 1 to ${PLAN_LIMITS.videos} entries`);
    const bad = videos.findIndex((entry) => !isVideoPattern(entry));
    if (bad !== -1) throw new ConfigError(name, `${where}: videos[${bad}] must be ${VIDEO_PATTERN_RULE}`);
    const limits = PLAN_LIMITS.maxStreams;
    if (
      maxStreams !== undefined &&
      !(Number.isInteger(maxStreams) && (maxStreams as number) >= limits.min && (maxStreams as number) <= limits.max)
    )
      throw new ConfigError(name, `${where}: maxStreams must be a whole number from ${limits.min} to ${limits.max}`);
    result.set(planName, {
      videos: videos as string[],
      ...(maxStreams === undefined ? {} : { maxStreams: maxStreams as number }),
    });
  }
  return result;
}

function manifestName(read: EnvReader, name: string, fallback: string): string {
  const value = read.optional(name) ?? fallback;
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(value) || value.startsWith('.')) {
    throw new ConfigError(name, `must be a plain file name such as index.m3u8, got "${value}"`);
  }
  return value;
}

function baseUrl(read: EnvReader, name: string): string {
  const value = read.required(name);
  const url = read.optionalUrl(name) as URL;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new ConfigError(
      name,
      `must be a scheme and host only, such as https://d111111abcdef8.cloudfront.net, got "${value}"`,
    );
  }
  return url.origin;
}

function httpUrl(read: EnvReader, name: string): string | undefined {
  const url = read.optionalUrl(name);
  if (url === undefined) return undefined;
  const value = read.required(name);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
  return value;
}

function cookieDomain(read: EnvReader, name: string): string | undefined {
  const value = read.optional(name);
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(value) || value.includes('*')) {
    throw new ConfigError(name, `must be a host name such as video.example.com, got "${value}"`);
  }
  return value;
}

function algorithms(read: EnvReader, name: string): JwsAlgorithm[] {
  const raw = read.optional(name);
  if (raw === undefined) return [...DEFAULT_ALGORITHMS];
  const names = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (names.length === 0) throw new ConfigError(name, 'must list at least one algorithm');
  return names.map((alg) => {
    const known = ASYMMETRIC_ALGORITHMS.find((candidate) => candidate === alg);
    if (known === undefined) {
      // `none` and HS* are refused outright: every key source here is asymmetric.
      throw new ConfigError(name, `"${alg}" is not allowed; choose from ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
    }
    return known;
  });
}

/** A verified token may be reused no longer than the remote key set is cached. */
function verifiedCacheSeconds(read: EnvReader, keys: JwtKeySource): number {
  const seconds = read.integer(TOKEN.verifiedCacheSeconds);
  if (keys.kind === 'jwks-url' && seconds * 1000 > keys.cacheMaxAgeMs) {
    throw new ConfigError(
      TOKEN.verifiedCacheSeconds.variable,
      `must not exceed ${TOKEN.jwksCacheMaxAgeSeconds.variable} (${keys.cacheMaxAgeMs / 1000})`,
    );
  }
  return seconds;
}

function jwtKeySource(read: EnvReader): JwtKeySource {
  const url = read.optional('JWT_JWKS_URL');
  const jwks = read.optional('JWT_JWKS');
  const pem = read.optional('JWT_PUBLIC_KEY_PEM');
  const given = [url, jwks, pem].filter((value) => value !== undefined).length;
  if (given !== 1) {
    throw new ConfigError('JWT_JWKS_URL', 'set exactly one of JWT_JWKS_URL, JWT_JWKS or JWT_PUBLIC_KEY_PEM');
  }
  if (url !== undefined) {
    const problem = jwksUrlProblem(url);
    if (problem !== undefined) throw new ConfigError('JWT_JWKS_URL', problem);
    return {
      kind: 'jwks-url',
      url: new URL(url),
      timeoutMs: read.integer(TOKEN.jwksTimeoutMs),
      cacheMaxAgeMs: read.integer(TOKEN.jwksCacheMaxAgeSeconds) * 1000,
      cooldownMs: read.integer(TOKEN.jwksCooldownSeconds) * 1000,
    };
  }
  if (jwks !== undefined) return { kind: 'jwks', jwks };
  return { kind: 'pem', pem: (pem ?? '').replace(/\\n/g, '\n'), kid: read.optional('JWT_PUBLIC_KEY_KID') };
}

function signingKeySource(read: EnvReader): SigningKeySource {
  const secretArn = read.optional('SIGNING_KEY_SECRET_ARN');
  const path = read.optional('SIGNING_KEY_FILE');
  if ((secretArn === undefined) === (path === undefined)) {
    throw new ConfigError(
      'SIGNING_KEY_SECRET_ARN',
      'set exactly one of SIGNING_KEY_SECRET_ARN (deployed) or SIGNING_KEY_FILE (local)',
    );
  }
  return secretArn !== undefined ? { kind: 'secret', secretArn } : { kind: 'file', path: path ?? '' };
}
