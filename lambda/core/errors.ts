/**
 * One error type per outcome of an API call. Each knows its HTTP status and its RFC 6750 / API
 * contract error code, so handlers map errors to responses and never guess.
 */
import { types } from 'node:util';

export type ApiErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'forbidden'
  | 'concurrency_limit'
  | 'session_ended'
  | 'sharing_suspected'
  | 'rate_limited'
  | 'too_many_sessions'
  | 'too_many_grants'
  | 'session_not_playing'
  | 'insufficient_user_authentication'
  | 'rental_expired'
  | 'too_many_rentals'
  | 'temporarily_unavailable'
  | 'not_found'
  | 'payload_too_large'
  | 'licence_refused'
  | 'bad_gateway'
  | 'gateway_timeout';

/**
 * Finer reasons for logs and metrics (`Reason` dimension). Low cardinality by construction.
 */
export type DenialReason =
  | 'missing_token'
  | 'malformed_token'
  | 'oversize_token'
  | 'bad_signature'
  | 'disallowed_algorithm'
  | 'disallowed_header'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  /** Not an access token: header `typ` or `token_use` is not the configured one. */
  | 'wrong_token_type'
  | 'missing_claim'
  | 'lifetime_too_long'
  | 'revoked'
  | 'not_entitled'
  | 'bad_request'
  | 'origin_not_verified'
  /** The page asking is on a site the deployment does not allow (domain restriction). */
  | 'site_not_allowed'
  | 'rate_limited'
  | 'concurrency_limit'
  | 'session_ended'
  | 'sharing_suspected'
  | 'store_unavailable'
  | 'store_contention'
  | 'too_many_sessions'
  | 'too_many_grants'
  | 'session_not_playing'
  /** RFC 9470: the title needs a stronger or more recent sign-in than the token's (lambda/core/step-up.ts). */
  | 'step_up_required'
  /** The rental's windows are over (lambda/core/rentals.ts). */
  | 'rental_expired'
  | 'too_many_rentals'
  | 'keys_unavailable'
  | 'signing_key_unavailable'
  | 'not_found'
  | 'payload_too_large'
  | 'licence_refused'
  | 'upstream_credential_refused'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'upstream_unavailable';

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: ApiErrorCode;
  /** When set, the response carries `Retry-After`. */
  readonly retryAfterSeconds?: number;
  constructor(
    readonly reason: DenialReason,
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = new.target.name;
  }
}

/** 400: the request itself is malformed (bad videoId, bad query or body). */
export class InvalidRequest extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_request' as const;
  constructor(description: string) {
    super('bad_request', description);
  }
}

/**
 * 401: no usable bearer token. `missing_token` is the RFC 6750 §3.1 case where the challenge
 * carries no error code.
 */
export class InvalidToken extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_token' as const;
}

/** 403: a valid token that lacks the scope or the entitlement for this resource. */
export class InsufficientScope extends ApiError {
  readonly status = 403;
  readonly code = 'insufficient_scope' as const;
  constructor(description: string) {
    super('not_entitled', description);
  }
}

/** 403: the request did not come through our CloudFront distribution. */
export class OriginNotVerified extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden' as const;
  constructor() {
    super('origin_not_verified', 'requests must come through the streamgate distribution');
  }
}

/** 403: the call came from a page on a site the deployment does not allow (lambda/core/domain-restriction.ts). */
export class SiteNotAllowed extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden' as const;
  constructor() {
    super('site_not_allowed', 'this service plays only on the sites it allows; open the player on one of them');
  }
}

/** 403: the user already has the maximum number of active playback sessions. */
export class ConcurrencyLimit extends ApiError {
  readonly status = 403;
  readonly code = 'concurrency_limit' as const;
  constructor(limit: number) {
    super(
      'concurrency_limit',
      `already playing on ${limit} sessions, the most allowed; stop one (or log out there) and retry`,
    );
  }
}

/** 403: the stream limit (evict-oldest) ended this token's session when its user started another. */
export class SessionEnded extends ApiError {
  readonly status = 403;
  readonly code = 'session_ended' as const;
  constructor() {
    super(
      'session_ended',
      'this playback session was ended because the same account started watching on another device; sign in again to watch here',
    );
  }
}

/** 403: this token is being presented from more networks or countries than one viewer would use. */
export class SharingSuspected extends ApiError {
  readonly status = 403;
  readonly code = 'sharing_suspected' as const;
  constructor() {
    super('sharing_suspected', 'this token is already in use from too many networks or countries');
  }
}

/**
 * 403 (licence route): the token's session holds no live stream slot: playback refused it (the
 * stream limit) or it stopped refreshing. A licence belongs to a session playback admitted.
 */
export class SessionNotPlaying extends ApiError {
  readonly status = 403;
  readonly code = 'session_not_playing' as const;
  constructor() {
    super(
      'session_not_playing',
      'this session is not playing: a licence is issued only to a session playback admitted and still holds a stream for; start playback first',
    );
  }
}

/**
 * 401 (RFC 9470): the token's sign-in does not meet the title's requirement: an `acr` outside
 * `acrValues`, or (`maxAgeSeconds`) a sign-in older than that when the session started, or no
 * `auth_time` to tell. The challenge names what a new token must meet (lambda/core/http.ts).
 */
export class StepUpRequired extends ApiError {
  readonly status = 401;
  readonly code = 'insufficient_user_authentication' as const;
  constructor(
    description: string,
    /** Acceptable `acr` values, in order of preference. */
    readonly acrValues: readonly string[] | undefined,
    /** Seconds a sign-in may be old when a session of this title starts. */
    readonly maxAgeSeconds: number | undefined,
  ) {
    super('step_up_required', description);
  }
}

/** 403: the token rents this title, and the rental is over (never started in time, or played out). */
export class RentalExpired extends ApiError {
  readonly status = 403;
  readonly code = 'rental_expired' as const;
  constructor(description: string) {
    super('rental_expired', description);
  }
}

/** 429: the user has as many rentals recorded as a user item may hold; the oldest window closes first. */
export class TooManyRentals extends ApiError {
  readonly status = 429;
  readonly code = 'too_many_rentals' as const;
  constructor(
    limit: number,
    override readonly retryAfterSeconds: number,
  ) {
    super(
      'too_many_rentals',
      `this account has ${limit} rentals started or open to start, the most recorded at once; retry in ${retryAfterSeconds} s`,
    );
  }
}

/** 429: the user started more distinct sessions (tokens) this hour than allowed. */
export class TooManySessions extends ApiError {
  readonly status = 429;
  readonly code = 'too_many_sessions' as const;
  constructor(
    limit: number,
    override readonly retryAfterSeconds: number,
  ) {
    super(
      'too_many_sessions',
      `this account used ${limit} sessions this hour, the most allowed; retry in ${retryAfterSeconds} s`,
    );
  }
}

/** 429: the user was issued more grants expiring in the same few minutes than allowed. */
export class TooManyGrants extends ApiError {
  readonly status = 429;
  readonly code = 'too_many_grants' as const;
  constructor(
    limit: number,
    override readonly retryAfterSeconds: number,
  ) {
    super(
      'too_many_grants',
      `this account was issued ${limit} grants in the last minutes, the most allowed; retry in ${retryAfterSeconds} s`,
    );
  }
}

/** 429: the user called the API too often in the current window. */
export class RateLimited extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited' as const;
  constructor(override readonly retryAfterSeconds: number) {
    super('rate_limited', `too many requests; retry in ${retryAfterSeconds} s`);
  }
}

/** 503: a dependency we must consult could not be read, so we fail closed and sign nothing. */
export class DependencyUnavailable extends ApiError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable' as const;
  override readonly retryAfterSeconds: number = 5;
}

/** 503: the revocation store could not be read or written (fail closed). */
export class StoreUnavailable extends DependencyUnavailable {
  constructor(
    readonly causeMessage: string,
    options?: { cause?: unknown },
  ) {
    super('store_unavailable', 'revocation status cannot be checked right now; retry shortly', options);
  }
}

/**
 * 429: many calls of one user changed the same item at once and this one lost every retry. The
 * store works: the caller sent too much at once, so a 4xx (never counted as a server fault, so
 * one user cannot page the on-call), and a retry a second later succeeds.
 */
export class StoreContention extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited' as const;
  override readonly retryAfterSeconds: number = 1;
  constructor() {
    super('store_contention', 'too many simultaneous calls for this account; retry in a second');
  }
}

/** 503: the IdP's key set could not be fetched, so no token can be verified. */
export class KeysUnavailable extends DependencyUnavailable {
  constructor(
    readonly causeMessage: string,
    options?: { cause?: unknown },
  ) {
    super('keys_unavailable', 'token signing keys cannot be fetched right now; retry shortly', options);
  }
}

/** 503: the active CloudFront signing key could not be re-read after a rotation may have replaced it. */
export class SigningKeyUnavailable extends DependencyUnavailable {
  constructor(
    readonly causeMessage: string,
    options?: { cause?: unknown },
  ) {
    super('signing_key_unavailable', 'media access cannot be signed right now; retry shortly', options);
  }
}

/** 404: the route exists but what it names does not (a video without DRM, a DRM system not configured). */
export class NotFound extends ApiError {
  readonly status = 404;
  readonly code = 'not_found' as const;
  constructor(description: string) {
    super('not_found', description);
  }
}

/**
 * 413: the request body is larger than the route accepts; refused before anything reads it. Without
 * `maxBytes`, the licence server refused it as too large (its own cap, which the proxy does not know).
 */
export class PayloadTooLarge extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large' as const;
  constructor(maxBytes?: number) {
    super(
      'payload_too_large',
      maxBytes === undefined
        ? 'body is larger than the licence server accepts'
        : `body is larger than ${maxBytes} bytes`,
    );
  }
}

/**
 * 403: the caller may play the video, but the licence request itself is refused: it names a key
 * of another video, or the licence server said no (its 4xx answer, relayed without its body).
 */
export class LicenceRefused extends ApiError {
  readonly status = 403;
  readonly code = 'licence_refused' as const;
  constructor(description: string) {
    super('licence_refused', description);
  }
}

/**
 * 502: the licence server refused the proxy's own credential (rotated or expired at the vendor).
 * A failure of this service, not a refusal of the viewer: retryable once an operator fixes the
 * credential, counted and alarmed as an upstream failure, and the licence server's status stays
 * in the log (the viewer learns nothing about the vendor's answer).
 */
export class UpstreamCredentialRefused extends ApiError {
  readonly status = 502;
  readonly code = 'bad_gateway' as const;
  override readonly retryAfterSeconds: number = 5;
  constructor() {
    super('upstream_credential_refused', 'the licence service is unavailable right now; retry shortly');
  }
}

/** 502: the licence server answered, but not with a licence (a 5xx, or an answer we cannot relay). */
export class UpstreamBadAnswer extends ApiError {
  readonly status = 502;
  readonly code = 'bad_gateway' as const;
  constructor(description: string) {
    super('upstream_error', description);
  }
}

/** 504: the licence server did not answer within the configured timeout; the request was aborted. */
export class UpstreamTimeout extends ApiError {
  readonly status = 504;
  readonly code = 'gateway_timeout' as const;
  override readonly retryAfterSeconds: number = 2;
  constructor(timeoutMs: number) {
    super('upstream_timeout', `the licence server did not answer within ${timeoutMs} ms; retry shortly`);
  }
}

/** 503: the licence server could not be reached at all (connection refused, DNS, TLS). */
export class UpstreamUnavailable extends DependencyUnavailable {
  constructor(options?: { cause?: unknown }) {
    super('upstream_unavailable', 'the licence server cannot be reached right now; retry shortly', options);
  }
}

/** How long a logged cause message may be: enough for an SDK error, never a whole response body. */
const CAUSE_MESSAGE_MAX = 300;
/** A compact JWS/JWT (three base64url parts, header first): never logged, even inside a message. */
const JWT_LIKE = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

/** How many causes deep a log line follows the chain (an API error, a config error, the SDK error, ...). */
const CAUSE_DEPTH_MAX = 4;

/** One failure of a cause chain as logged: class name, message, and the failure behind it, if any. */
export interface CauseSummary {
  name: string;
  message: string;
  cause?: CauseSummary;
}

/**
 * The dependency failure behind an error, for the log line that records a 5xx: the cause's class
 * name and message (bounded, tokens masked), then its own cause, and so on down the chain (the SDK
 * error behind a config error behind a 503), never a stack. The wire body never carries it.
 */
export function causeSummary(error: Error, depth = CAUSE_DEPTH_MAX): CauseSummary | undefined {
  const cause = error.cause;
  if (cause === undefined || depth === 0) return undefined;
  // isNativeError also knows an Error made in another realm (a vm context, a test sandbox).
  if (!(cause instanceof Error || types.isNativeError(cause)))
    return { name: typeof cause, message: bounded(String(cause)) };
  const deeper = causeSummary(cause, depth - 1);
  return { name: cause.name, message: bounded(cause.message), ...(deeper === undefined ? {} : { cause: deeper }) };
}

function bounded(message: string): string {
  const masked = message.replace(JWT_LIKE, '[token]');
  return masked.length > CAUSE_MESSAGE_MAX ? `${masked.slice(0, CAUSE_MESSAGE_MAX)}…` : masked;
}
