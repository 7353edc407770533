/**
 * The API's whole configuration, read once from environment variables at init.
 * A missing or invalid value throws ConfigError naming the variable, so a bad deploy fails
 * loudly at cold start instead of answering requests with a half-configured signer.
 */
import { MEDIA_PATH_PREFIX_VARIABLE, mediaKeyPrefixProblem, mediaPathPrefix } from './media-paths';
import {
  ABUSE_DEFAULTS,
  type IntegerSetting,
  type SharingAction,
  STREAM_LIMIT_POLICY,
  type StreamLimitPolicy,
} from './abuse-defaults';
import { readAccessLayers } from './access-layers-config';
import type { DomainRestriction } from './domain-restriction';
import { isVideoPattern, PLAN_LIMITS, PLAN_NAME, type Plan, VIDEO_PATTERN_RULE } from './entitlement-rules';

export type { SharingAction };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** JWS algorithms we can ever accept: asymmetric only, so HS/RS confusion and `none` are impossible. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type JwsAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export type HashAlgorithm = 'SHA1' | 'SHA256';

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

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): ApiConfig {
  const config = readConfig(env);
  const { maxSessionsPerHour, maxConcurrentStreams } = config.abuse;
  // A session cap below the stream limit would make the stream limit unreachable.
  if (maxSessionsPerHour < maxConcurrentStreams)
    throw new ConfigError(
      ABUSE_DEFAULTS.maxSessionsPerHour.variable,
      `must be at least ${ABUSE_DEFAULTS.maxConcurrentStreams.variable} (${maxConcurrentStreams}), got ${maxSessionsPerHour}`,
    );
  return config;
}

function readConfig(env: Env): ApiConfig {
  const read = new EnvReader(env);
  const jwtKeys = read.jwtKeySource();
  return {
    token: {
      issuer: read.required('JWT_ISSUER'),
      ...read.audienceOrClient(),
      tokenType: read.optionalPattern('JWT_TYP', /^[A-Za-z0-9.+-]{1,64}$/, 'a media type such as at+jwt'),
      requireJti: read.boolean('JWT_REQUIRE_JTI', true),
      keys: jwtKeys,
      algorithms: read.algorithms('JWT_ALGORITHMS', ['RS256', 'ES256']),
      clockToleranceSeconds: read.integer('JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
      maxLifetimeSeconds: read.integer('JWT_MAX_LIFETIME_SECONDS', 3600, 60, 86400),
      maxTokenBytes: read.integer('JWT_MAX_TOKEN_BYTES', 8192, 512, 65536),
      cacheSeconds: read.verifiedCacheSeconds(jwtKeys),
      cacheEntries: read.integer('JWT_VERIFIED_CACHE_ENTRIES', 10000, 1, 1000000),
    },
    entitlement: read.entitlement(),
    signing: {
      mediaBaseUrl: read.baseUrl('MEDIA_BASE_URL'),
      mediaPathPrefix: read.mediaPathPrefix(MEDIA_PATH_PREFIX_VARIABLE),
      manifestName: read.manifestName('MANIFEST_NAME', 'index.m3u8'),
      ttlSeconds: read.integer('SIGNED_TTL_SECONDS', 300, 5, 3600),
      cookieDomain: read.cookieDomain('COOKIE_DOMAIN'),
      bindViewerIp: read.boolean('SIGN_BIND_VIEWER_IP', false),
      keyPairId: read.optionalPattern(
        'SIGNING_KEY_PAIR_ID',
        /^[A-Z0-9]{1,64}$/,
        'a CloudFront public key id such as K2JCJMDEHXQW5F',
      ),
      key: read.signingKeySource(),
      keyRefreshSeconds: read.integer('SIGNING_KEY_REFRESH_SECONDS', 60, 1, 900),
      hashAlgorithm: read.oneOf('SIGNING_HASH_ALGORITHM', ['SHA1', 'SHA256'] as const, 'SHA256'),
    },
    store: {
      tableName: read.pattern('REVOCATION_TABLE_NAME', /^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name'),
      endpoint: read.optionalUrl('DYNAMODB_ENDPOINT'),
      region: read.optional('AWS_REGION') ?? 'us-east-1',
      timeoutMs: read.integer('STORE_TIMEOUT_MS', 1000, 50, 10000),
    },
    abuse: {
      sharing: {
        maxNetworks: read.setting(ABUSE_DEFAULTS.sharingMaxNetworks),
        maxCountries: read.setting(ABUSE_DEFAULTS.sharingMaxCountries),
        action: read.oneOf(
          ABUSE_DEFAULTS.sharingAction.variable,
          ABUSE_DEFAULTS.sharingAction.allowed,
          ABUSE_DEFAULTS.sharingAction.fallback,
        ),
      },
      maxConcurrentStreams: read.setting(ABUSE_DEFAULTS.maxConcurrentStreams),
      rateLimit: read.setting(ABUSE_DEFAULTS.rateLimitPerWindow),
      rateWindowSeconds: read.setting(ABUSE_DEFAULTS.rateWindowSeconds),
      maxSessionsPerHour: read.setting(ABUSE_DEFAULTS.maxSessionsPerHour),
      maxGrantsPerBucket: read.setting(ABUSE_DEFAULTS.maxGrantsPerBucket),
      streamLimitPolicy: read.oneOf(
        STREAM_LIMIT_POLICY.variable,
        STREAM_LIMIT_POLICY.allowed,
        STREAM_LIMIT_POLICY.fallback,
      ),
    },
    viewerCountryHeader: (read.optional('VIEWER_COUNTRY_HEADER') ?? 'cloudfront-viewer-country').toLowerCase(),
    viewerIpHeader: (read.optional('VIEWER_IP_HEADER') ?? 'cloudfront-viewer-address').toLowerCase(),
    originVerifySecretArn: read.optional('ORIGIN_VERIFY_SECRET_ARN'),
    // Record every grant's id so a revocation can reach the edge's deny-list (lambda/core/edge-deny-list.ts).
    edgeDenyList: read.oneOf('EDGE_DENY_LIST', ['on', 'off'] as const, 'on') === 'on',
    ...readAccessLayers(
      (name) => read.optional(name),
      (variable, problem) => new ConfigError(variable, problem),
    ),
  };
}

/** Claim names: namespaced ones (`https://example.com/plan`, `cognito:groups`) included. */
const CLAIM_NAME = /^[A-Za-z0-9_:./-]{1,128}$/;

class EnvReader {
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new ConfigError(name, 'is required but not set');
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
    return value;
  }

  setting({ variable, fallback, min, max }: IntegerSetting): number {
    return this.integer(variable, fallback, min, max);
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const match = allowed.find((candidate) => candidate === raw);
    if (match === undefined) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return match;
  }

  pattern(name: string, re: RegExp, what: string): string {
    const value = this.required(name);
    if (!re.test(value)) throw new ConfigError(name, `must be ${what}, got "${value}"`);
    return value;
  }

  optionalPattern(name: string, re: RegExp, what: string): string | undefined {
    return this.optional(name) === undefined ? undefined : this.pattern(name, re, what);
  }

  claimName(name: string, fallback: string): string {
    const value = this.optional(name) ?? fallback;
    if (!CLAIM_NAME.test(value)) throw new ConfigError(name, `is not a usable claim name: "${value}"`);
    return value;
  }

  /** A public media path prefix such as `/media/` (its key prefix checked by media-paths.ts). */
  mediaPathPrefix(name: string): string {
    const value = this.optional(name) ?? mediaPathPrefix();
    const problem = value.startsWith('/') ? mediaKeyPrefixProblem(value.slice(1)) : 'must start with "/"';
    if (problem !== undefined) throw new ConfigError(name, `${problem} (the public path form, e.g. /media/)`);
    return value;
  }

  optionalClaimName(name: string): string | undefined {
    return this.optional(name) === undefined ? undefined : this.claimName(name, '');
  }

  /** `JWT_AUDIENCE`, or (Cognito access tokens carry no `aud`) both `JWT_CLIENT_ID` and `JWT_TOKEN_USE`. */
  audienceOrClient(): Pick<TokenConfig, 'audience' | 'clientIds' | 'clientIdClaim' | 'tokenUse'> {
    const audience = this.optionalPattern('JWT_AUDIENCE', /^\S{1,256}$/, 'a non-empty audience without spaces');
    const clientId = this.optionalPattern(
      'JWT_CLIENT_ID',
      /^[^\s,]{1,256}(,[^\s,]{1,256}){0,9}$/,
      '1 to 10 comma-separated client ids without spaces',
    );
    const tokenUse = this.optionalPattern(
      'JWT_TOKEN_USE',
      /^[A-Za-z0-9_.:-]{1,64}$/,
      'a token_use value such as access',
    );
    if (audience === undefined && (clientId === undefined || tokenUse === undefined)) {
      throw new ConfigError(
        'JWT_AUDIENCE',
        'is required but not set (without it, set both JWT_CLIENT_ID and JWT_TOKEN_USE, as for Cognito access tokens)',
      );
    }
    return {
      audience,
      clientIds: clientId?.split(','),
      clientIdClaim: this.claimName('JWT_CLIENT_ID_CLAIM', 'client_id'),
      tokenUse,
    };
  }

  entitlement(): EntitlementConfig {
    const scopeClaims = (this.optional('SCOPE_CLAIM') ?? 'scope').split(',').map((part) => part.trim());
    const badClaim = scopeClaims.find((claim) => !CLAIM_NAME.test(claim));
    if (badClaim !== undefined || scopeClaims.length > 4)
      throw new ConfigError(
        'SCOPE_CLAIM',
        `must be 1 to 4 comma-separated claim names, got "${badClaim ?? scopeClaims.join(',')}"`,
      );
    const plans = this.plans('ENTITLEMENT_PLANS');
    const defaultPlan = this.optional('DEFAULT_PLAN');
    if (defaultPlan !== undefined && !plans.has(defaultPlan))
      throw new ConfigError('DEFAULT_PLAN', `names no plan of ENTITLEMENT_PLANS: "${defaultPlan}"`);
    const requireVideosClaim = this.boolean('REQUIRE_VIDEOS_CLAIM', true);
    if (defaultPlan !== undefined && !requireVideosClaim)
      throw new ConfigError(
        'DEFAULT_PLAN',
        'cannot be combined with REQUIRE_VIDEOS_CLAIM=false (which plays every video)',
      );
    const { min, max, fallback } = PLAN_LIMITS.streamLimitClaimMax;
    return {
      scopeClaims,
      videosClaim: this.claimName('VIDEOS_CLAIM', 'videos'),
      requireVideosClaim,
      requirePlayScope: this.boolean('REQUIRE_PLAY_SCOPE', true),
      playScope: this.optional('PLAY_SCOPE') ?? 'stream:play',
      adminScope: this.optional('ADMIN_SCOPE') ?? 'streamgate:admin',
      planClaim: this.claimName('PLAN_CLAIM', 'plan'),
      plans,
      defaultPlan,
      streamLimitClaim: this.optionalClaimName('STREAM_LIMIT_CLAIM'),
      streamLimitClaimMax: this.integer('STREAM_LIMIT_CLAIM_MAX', fallback, min, max),
    };
  }

  /** `{"<plan>": {"videos": ["series-12-*", "trailer-1"], "maxStreams": 2}, ...}` */
  plans(name: string): Map<string, Plan> {
    const raw = this.optional(name);
    if (raw === undefined) return new Map();
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(name, 'is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new ConfigError(name, 'must be a JSON object of plans by name');
    const entries = Object.entries(parsed);
    if (entries.length > PLAN_LIMITS.plans) throw new ConfigError(name, `holds more than ${PLAN_LIMITS.plans} plans`);
    const plans = new Map<string, Plan>();
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
      plans.set(planName, {
        videos: videos as string[],
        ...(maxStreams === undefined ? {} : { maxStreams: maxStreams as number }),
      });
    }
    return plans;
  }

  manifestName(name: string, fallback: string): string {
    const value = this.optional(name) ?? fallback;
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(value) || value.startsWith('.')) {
      throw new ConfigError(name, `must be a plain file name such as index.m3u8, got "${value}"`);
    }
    return value;
  }

  baseUrl(name: string): string {
    const value = this.required(name);
    const url = parseUrl(name, value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL');
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
      throw new ConfigError(
        name,
        `must be a scheme and host only, such as https://d111111abcdef8.cloudfront.net, got "${value}"`,
      );
    }
    return url.origin;
  }

  optionalUrl(name: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    const url = parseUrl(name, value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
    return value;
  }

  cookieDomain(name: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    if (!/^[A-Za-z0-9.-]{1,253}$/.test(value) || value.includes('*')) {
      throw new ConfigError(name, `must be a host name such as video.example.com, got "${value}"`);
    }
    return value;
  }

  algorithms(name: string, fallback: JwsAlgorithm[]): JwsAlgorithm[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
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
  verifiedCacheSeconds(keys: JwtKeySource): number {
    const seconds = this.integer('JWT_VERIFIED_CACHE_SECONDS', 300, 0, 3600);
    if (keys.kind === 'jwks-url' && seconds * 1000 > keys.cacheMaxAgeMs) {
      throw new ConfigError(
        'JWT_VERIFIED_CACHE_SECONDS',
        `must not exceed JWKS_CACHE_MAX_AGE_SECONDS (${keys.cacheMaxAgeMs / 1000})`,
      );
    }
    return seconds;
  }

  jwtKeySource(): JwtKeySource {
    const url = this.optional('JWT_JWKS_URL');
    const jwks = this.optional('JWT_JWKS');
    const pem = this.optional('JWT_PUBLIC_KEY_PEM');
    const given = [url, jwks, pem].filter((value) => value !== undefined).length;
    if (given !== 1) {
      throw new ConfigError('JWT_JWKS_URL', 'set exactly one of JWT_JWKS_URL, JWT_JWKS or JWT_PUBLIC_KEY_PEM');
    }
    if (url !== undefined) {
      const parsed = parseUrl('JWT_JWKS_URL', url);
      const loopback =
        parsed.hostname === 'localhost' || parsed.hostname === '127.0.0.1' || parsed.hostname === '[::1]';
      if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
        throw new ConfigError('JWT_JWKS_URL', 'must use https (plain http only on loopback, for local mode)');
      }
      return {
        kind: 'jwks-url',
        url: parsed,
        timeoutMs: this.integer('JWKS_TIMEOUT_MS', 2000, 100, 10000),
        cacheMaxAgeMs: this.integer('JWKS_CACHE_MAX_AGE_SECONDS', 600, 30, 86400) * 1000,
        cooldownMs: this.integer('JWKS_COOLDOWN_SECONDS', 30, 1, 3600) * 1000,
      };
    }
    if (jwks !== undefined) return { kind: 'jwks', jwks };
    return { kind: 'pem', pem: (pem ?? '').replace(/\\n/g, '\n'), kid: this.optional('JWT_PUBLIC_KEY_KID') };
  }

  signingKeySource(): SigningKeySource {
    const secretArn = this.optional('SIGNING_KEY_SECRET_ARN');
    const path = this.optional('SIGNING_KEY_FILE');
    if ((secretArn === undefined) === (path === undefined)) {
      throw new ConfigError(
        'SIGNING_KEY_SECRET_ARN',
        'set exactly one of SIGNING_KEY_SECRET_ARN (deployed) or SIGNING_KEY_FILE (local)',
      );
    }
    return secretArn !== undefined ? { kind: 'secret', secretArn } : { kind: 'file', path: path ?? '' };
  }
}

function parseUrl(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(name, `is not a valid URL: "${value}"`);
  }
}
