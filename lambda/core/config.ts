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
  audience: string;
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
  scopeClaim: string;
  videosClaim: string;
  /** Refuse tokens without the videos claim (true), or let them play every video (false). */
  requireVideosClaim: boolean;
  playScope: string;
  adminScope: string;
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
  /** Header carrying the viewer's country as CloudFront saw it. */
  viewerCountryHeader: string;
  /** Header carrying the viewer's address as CloudFront saw it (`ip:port`); falls back to the source IP. */
  viewerIpHeader: string;
  /** When set, requests must carry `x-origin-verify` equal to this secret's value (they came through CloudFront). */
  originVerifySecretArn?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): ApiConfig {
  const read = new EnvReader(env);
  const jwtKeys = read.jwtKeySource();
  return {
    token: {
      issuer: read.required('JWT_ISSUER'),
      audience: read.required('JWT_AUDIENCE'),
      keys: jwtKeys,
      algorithms: read.algorithms('JWT_ALGORITHMS', ['RS256', 'ES256']),
      clockToleranceSeconds: read.integer('JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
      maxLifetimeSeconds: read.integer('JWT_MAX_LIFETIME_SECONDS', 3600, 60, 86400),
      maxTokenBytes: read.integer('JWT_MAX_TOKEN_BYTES', 8192, 512, 65536),
      cacheSeconds: read.verifiedCacheSeconds(jwtKeys),
      cacheEntries: read.integer('JWT_VERIFIED_CACHE_ENTRIES', 10000, 1, 1000000),
    },
    entitlement: {
      scopeClaim: read.claimName('SCOPE_CLAIM', 'scope'),
      videosClaim: read.claimName('VIDEOS_CLAIM', 'videos'),
      requireVideosClaim: read.boolean('REQUIRE_VIDEOS_CLAIM', true),
      playScope: read.optional('PLAY_SCOPE') ?? 'stream:play',
      adminScope: read.optional('ADMIN_SCOPE') ?? 'streamgate:admin',
    },
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
  };
}

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
    if (!/^[A-Za-z0-9_:./-]{1,128}$/.test(value)) throw new ConfigError(name, `is not a usable claim name: "${value}"`);
    return value;
  }

  /** A public media path prefix such as `/media/` (its key prefix checked by media-paths.ts). */
  mediaPathPrefix(name: string): string {
    const value = this.optional(name) ?? mediaPathPrefix();
    const problem = value.startsWith('/') ? mediaKeyPrefixProblem(value.slice(1)) : 'must start with "/"';
    if (problem !== undefined) throw new ConfigError(name, `${problem} (the public path form, e.g. /media/)`);
    return value;
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
