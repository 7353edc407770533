/**
 * The settings the deploy config, the functions' environment and local mode share: each one's
 * variable, default and range (or pattern), declared once here. The deploy schema
 * (lib/config/*.ts) is built from these, the functions read their variables by them
 * (lambda/core/env-reader.ts), and local mode fills the variables from a config file through the
 * same schema, so a value that synthesizes also starts, locally and deployed.
 * No imports: synth loads nothing of the runtime through it.
 * The abuse defences' settings keep their own module (abuse-defaults.ts), of the same shape.
 */

/** A whole-number setting. */
export interface IntegerSetting {
  /** The Lambda environment variable carrying it. */
  readonly variable: string;
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}

/** One of a fixed list of values. */
export interface ChoiceSetting<T extends string> {
  readonly variable: string;
  readonly fallback: T;
  readonly allowed: readonly T[];
}

/** A text setting: what it must match, and how a message describes that. */
export interface TextSetting {
  readonly variable: string;
  readonly pattern: RegExp;
  /** "a claim name such as scope": completes "must be …". */
  readonly what: string;
}

/** A setting the deploy config also carries, and the dotted path of its field there. */
export type DeployField = `${string}.${string}`;

/** Integer settings that are both a deploy-config field and a function variable, by field. */
export const SHARED_INTEGER_SETTINGS = {
  'jwt.clockToleranceSeconds': { variable: 'JWT_CLOCK_TOLERANCE_SECONDS', fallback: 30, min: 0, max: 300 },
  'jwt.maxLifetimeSeconds': { variable: 'JWT_MAX_LIFETIME_SECONDS', fallback: 3600, min: 60, max: 86400 },
  /** Grant (cookie, signed URL) lifetime. */
  'signing.ttlSeconds': { variable: 'SIGNED_TTL_SECONDS', fallback: 300, min: 5, max: 3600 },
  /** How long a signer uses a loaded key before re-reading the active slot (rotation picks it up). */
  'signing.keyRefreshSeconds': { variable: 'SIGNING_KEY_REFRESH_SECONDS', fallback: 60, min: 10, max: 900 },
  /** Bound on one licence server call; the function's own timeout is 10 s. */
  'drm.licenceTimeoutMs': { variable: 'LICENCE_TIMEOUT_MS', fallback: 3000, min: 100, max: 8000 },
  /** Largest licence request accepted (413 above). */
  'drm.licenceMaxBodyBytes': { variable: 'LICENCE_MAX_BODY_BYTES', fallback: 16384, min: 256, max: 65536 },
} as const satisfies Record<DeployField, IntegerSetting>;

export const TOKEN = {
  clockToleranceSeconds: SHARED_INTEGER_SETTINGS['jwt.clockToleranceSeconds'],
  maxLifetimeSeconds: SHARED_INTEGER_SETTINGS['jwt.maxLifetimeSeconds'],
  /** Largest Authorization header accepted, checked before any parsing. */
  maxTokenBytes: { variable: 'JWT_MAX_TOKEN_BYTES', fallback: 8192, min: 512, max: 65536 },
  /** How long a verified token's signature check is reused (0 = never); at most the key-set cache age. */
  verifiedCacheSeconds: { variable: 'JWT_VERIFIED_CACHE_SECONDS', fallback: 300, min: 0, max: 3600 },
  verifiedCacheEntries: { variable: 'JWT_VERIFIED_CACHE_ENTRIES', fallback: 10000, min: 1, max: 1000000 },
  jwksTimeoutMs: { variable: 'JWKS_TIMEOUT_MS', fallback: 2000, min: 100, max: 10000 },
  jwksCacheMaxAgeSeconds: { variable: 'JWKS_CACHE_MAX_AGE_SECONDS', fallback: 600, min: 30, max: 86400 },
  jwksCooldownSeconds: { variable: 'JWKS_COOLDOWN_SECONDS', fallback: 30, min: 1, max: 3600 },
} as const satisfies Record<string, IntegerSetting>;

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
export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'ES256'];

/** Claim names: namespaced ones (`https://example.com/plan`, `cognito:groups`) included. */
export const CLAIM_NAME = /^[A-Za-z0-9_:./-]{1,128}$/;
export const CLAIM_NAME_RULE = 'a claim name such as scope';

/** The token's text settings, as the deploy config and the variables spell them. */
export const TOKEN_TEXT = {
  audience: { variable: 'JWT_AUDIENCE', pattern: /^\S{1,256}$/, what: 'a non-empty audience without spaces' },
  /** One client id (the variable carries up to 10, comma-separated). */
  clientId: { variable: 'JWT_CLIENT_ID', pattern: /^[^\s,]{1,256}$/, what: 'a client id without spaces or commas' },
  tokenUse: { variable: 'JWT_TOKEN_USE', pattern: /^[A-Za-z0-9_.:-]{1,64}$/, what: 'a token_use value such as access' },
  tokenType: { variable: 'JWT_TYP', pattern: /^[A-Za-z0-9.+-]{1,64}$/, what: 'a media type such as at+jwt' },
} as const satisfies Record<string, TextSetting>;
export const MAX_CLIENT_IDS = 10;
export const MAX_SCOPE_CLAIMS = 4;

/** The grants' hash, as CloudFront names it. */
export const HASH_ALGORITHM = {
  variable: 'SIGNING_HASH_ALGORITHM',
  fallback: 'SHA256',
  allowed: ['SHA1', 'SHA256'],
} as const satisfies ChoiceSetting<'SHA1' | 'SHA256'>;

/**
 * A URL the functions may fetch the IdP's keys from: https, or plain http on a loopback host
 * (only local mode can reach one). Returns the problem, or undefined when usable.
 */
export function jwksUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL: "${value}"`;
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return undefined;
  return 'must use https (plain http only on loopback, for local mode)';
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}
