/**
 * What a caller may ask the dev IdP for, checked once for every entry point (HTTP, CLI, code),
 * so a bad request gets the same specific message wherever it came from.
 */
import { VIDEO_ID } from '../../lambda/core/entitlement-rules';
import { DEV_IDP_ACR, DEV_IDP_DEFAULT_SCOPE, DEV_IDP_SECOND_FACTOR_CODE } from './defaults';

export interface TokenRequest {
  sub: string;
  /** Space-separated scopes. @default 'stream:play' */
  scope?: string;
  /** Videos the token entitles: ids, or `'*'` for all. @default no `videos` claim */
  videos?: readonly string[] | '*';
  /** Lifetime, 10 to 3600. @default 900 */
  ttlSeconds?: number;
  /** @default a random UUID */
  jti?: string;
  /**
   * The authentication levels asked for, by preference (space-separated, as RFC 9470's
   * `acr_values`): the first one the dev IdP offers is signed in at. @default a plain sign-in
   */
  acrValues?: string;
  /** The second factor's code, needed for DEV_IDP_ACR.secondFactor. */
  secondFactor?: string;
  /** Rentals the token carries (lambda/core/rentals.ts claim): `[{video, rented_at}]`. */
  rentals?: readonly { video: string; rented_at: number }[];
  /** When the viewer signed in (epoch s); code and CLI only. @default now: every token request is a sign-in */
  authTime?: number;
}

export type ValidTokenRequest = Required<Pick<TokenRequest, 'sub' | 'scope' | 'ttlSeconds'>> &
  Omit<TokenRequest, 'sub' | 'scope' | 'ttlSeconds'>;

export const DEFAULT_TTL_SECONDS = 900;
export const MIN_TTL_SECONDS = 10;
export const MAX_TTL_SECONDS = 3600;

const SUB = /^[A-Za-z0-9_.@-]{1,64}$/;
// RFC 6749 §3.3 scope-token characters, space-separated.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;
const JTI = /^[\x21-\x7e]{1,128}$/;
const MAX_SCOPE_LENGTH = 512;
const MAX_VIDEOS = 1000;

/** 400 `invalid_request`, with a message naming the field and what it must be. */
export class TokenRequestError extends Error {
  readonly status = 400;
  readonly code = 'invalid_request';
  constructor(message: string) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/**
 * Checks an untrusted request and fills in defaults.
 * @param allowJti whether the caller may choose the `jti` (code and CLI yes, HTTP no).
 */
export function parseTokenRequest(input: unknown, allowJti: boolean): ValidTokenRequest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TokenRequestError('request must be a JSON object such as {"sub": "alice", "videos": ["demo-1"]}');
  }
  const { sub, scope, videos, ttlSeconds, jti, acrValues, secondFactor, rentals, authTime, ...rest } = input as Record<
    string,
    unknown
  >;
  const common = 'sub, scope, videos, ttlSeconds, acrValues, secondFactor, rentals';
  const allowed = allowJti ? `${common}, jti, authTime` : common;
  const unknown =
    Object.keys(rest)[0] ??
    (!allowJti && jti !== undefined ? 'jti' : undefined) ??
    (!allowJti && authTime !== undefined ? 'authTime' : undefined);
  if (unknown !== undefined)
    throw new TokenRequestError(`unknown field "${unknown.slice(0, 32)}" (allowed: ${allowed})`);

  if (sub === undefined) throw new TokenRequestError('"sub" is required');
  const levels = optional(
    acrValues,
    isAcrValues,
    '"acrValues" must be space-separated acr values, at most 512 characters',
  );
  const code = optional(secondFactor, isString, '"secondFactor" must be a string');
  signInLevel(levels, code); // a failed sign-in is refused here, whatever the entry point
  return {
    sub: checked(sub, isSub, `"sub" must match ${SUB.source}`),
    scope:
      optional(
        scope,
        isScope,
        `"scope" must be space-separated scope tokens (RFC 6749 §3.3), at most ${MAX_SCOPE_LENGTH} characters`,
      ) ?? DEV_IDP_DEFAULT_SCOPE,
    ttlSeconds:
      optional(
        ttlSeconds,
        isTtl,
        `"ttlSeconds" must be a whole number from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}`,
      ) ?? DEFAULT_TTL_SECONDS,
    videos: optional(
      videos,
      isVideos,
      `"videos" must be "*" or an array of at most ${MAX_VIDEOS} ids matching ${VIDEO_ID.source}`,
    ),
    jti: optional(jti, isJti, '"jti" must be 1 to 128 printable ASCII characters without spaces'),
    ...(levels !== undefined ? { acrValues: levels } : {}),
    ...(code !== undefined ? { secondFactor: code } : {}),
    rentals: optional(
      rentals,
      isRentals,
      `"rentals" must be an array of at most ${MAX_VIDEOS} {"video": <id>, "rented_at": <epoch seconds>}`,
    ),
    authTime: optional(authTime, isEpoch, '"authTime" must be whole epoch seconds'),
  };
}

/**
 * The level the viewer signs in at: the first of `acrValues` the dev IdP offers; the second
 * factor's level only with its code (a wrong code is a failed sign-in, as at a real IdP).
 */
export function signInLevel(acrValues: string | undefined, secondFactor: string | undefined): string {
  if (acrValues === undefined) return DEV_IDP_ACR.signIn;
  const offered: string[] = Object.values(DEV_IDP_ACR);
  const level = acrValues.split(' ').find((value) => offered.includes(value));
  if (level === undefined)
    throw new TokenRequestError(`"acrValues" names no level the dev IdP offers (${offered.join(', ')})`);
  if (level === DEV_IDP_ACR.secondFactor && secondFactor !== DEV_IDP_SECOND_FACTOR_CODE)
    throw new TokenRequestError(
      secondFactor === undefined
        ? `"secondFactor" is required for ${level}: the dev IdP's code`
        : '"secondFactor" is not the dev IdP\'s code',
    );
  return level;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isAcrValues(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_SCOPE_LENGTH && SCOPE.test(value);
}

function isEpoch(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isRentals(value: unknown): value is { video: string; rented_at: number }[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_VIDEOS &&
    value.every(
      (entry) =>
        typeof entry === 'object' &&
        entry !== null &&
        Object.keys(entry).length === 2 &&
        typeof entry.video === 'string' &&
        VIDEO_ID.test(entry.video) &&
        isEpoch(entry.rented_at),
    )
  );
}

function checked<T>(value: unknown, valid: (value: unknown) => value is T, message: string): T {
  if (!valid(value)) throw new TokenRequestError(message);
  return value;
}

function optional<T>(value: unknown, valid: (value: unknown) => value is T, message: string): T | undefined {
  return value === undefined ? undefined : checked(value, valid, message);
}

function isSub(value: unknown): value is string {
  return typeof value === 'string' && SUB.test(value);
}

function isScope(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_SCOPE_LENGTH && SCOPE.test(value);
}

function isVideos(value: unknown): value is string[] | '*' {
  return (
    value === '*' ||
    (Array.isArray(value) &&
      value.length <= MAX_VIDEOS &&
      value.every((id) => typeof id === 'string' && VIDEO_ID.test(id)))
  );
}

function isJti(value: unknown): value is string {
  return typeof value === 'string' && JTI.test(value);
}

function isTtl(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_TTL_SECONDS && value <= MAX_TTL_SECONDS;
}
