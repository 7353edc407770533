/**
 * The `reason` of every API error body (`{"error", "reason", "error_description"}`): a stable,
 * documented code a client switches on (docs/api.md#errors), where `error_description` is prose
 * that may be reworded at any time. Finer than `error` where a client acts differently (revoked
 * vs. signed out), coarser than the internal `DenialReason` where the detail would help someone
 * probe (which token check failed) or only names our internals (which dependency is down).
 *
 * streamgate-client keeps its own copy of this list (client/src/reason-codes.ts: the browser
 * package cannot import from here); test/client/reason-codes.test.ts checks the two agree.
 * No imports beyond types, so anything (the client test, docs checks) can load it.
 */
import type { DenialReason } from './errors';

/** Every wire reason with the one HTTP status it comes with. Adding a reason is one line here. */
export const WIRE_REASONS = {
  bad_request: 400,
  missing_token: 401,
  malformed_token: 401,
  expired: 401,
  token_rejected: 401,
  revoked: 401,
  step_up_required: 401,
  not_entitled: 403,
  origin_not_verified: 403,
  site_not_allowed: 403,
  concurrency_limit: 403,
  session_ended: 403,
  sharing_suspected: 403,
  session_not_playing: 403,
  licence_refused: 403,
  rental_expired: 403,
  not_found: 404,
  payload_too_large: 413,
  rate_limited: 429,
  too_many_sessions: 429,
  too_many_grants: 429,
  too_many_rentals: 429,
  internal_error: 500,
  upstream_error: 502,
  unavailable: 503,
  upstream_timeout: 504,
} as const satisfies Record<string, number>;

export type WireReason = keyof typeof WIRE_REASONS;

/**
 * The wire reason of each internal reason. Exhaustive by type: a new `DenialReason` does not
 * compile until it is given one here (one line), so no refusal reaches the wire without a code.
 */
const WIRE_REASON_OF: Record<DenialReason, WireReason> = {
  bad_request: 'bad_request',
  missing_token: 'missing_token',
  // The token's shape: checked before any key is used, and the caller already knows it.
  malformed_token: 'malformed_token',
  oversize_token: 'malformed_token',
  // Reached only after the signature verified, and the caller can act on it (get a fresh token).
  expired: 'expired',
  // One code for every check of the token's trust and claims, so a forger cannot tell which one
  // stopped the token (an unknown kid from a bad signature, an algorithm the key would not take).
  bad_signature: 'token_rejected',
  unknown_key: 'token_rejected',
  disallowed_algorithm: 'token_rejected',
  disallowed_header: 'token_rejected',
  wrong_token_type: 'token_rejected',
  wrong_issuer: 'token_rejected',
  wrong_audience: 'token_rejected',
  missing_claim: 'token_rejected',
  lifetime_too_long: 'token_rejected',
  not_yet_valid: 'token_rejected',
  revoked: 'revoked',
  not_entitled: 'not_entitled',
  origin_not_verified: 'origin_not_verified',
  site_not_allowed: 'site_not_allowed',
  concurrency_limit: 'concurrency_limit',
  session_ended: 'session_ended',
  sharing_suspected: 'sharing_suspected',
  licence_refused: 'licence_refused',
  not_found: 'not_found',
  payload_too_large: 'payload_too_large',
  rate_limited: 'rate_limited',
  upstream_error: 'upstream_error',
  upstream_timeout: 'upstream_timeout',
  // Which dependency failed is ours to know (logs, metrics, alarms): the client's answer is the
  // same (retry after Retry-After), and an attacker leaning on one learns nothing from the code.
  store_unavailable: 'unavailable',
  store_contention: 'rate_limited',
  upstream_credential_refused: 'upstream_error',
  too_many_sessions: 'too_many_sessions',
  too_many_grants: 'too_many_grants',
  session_not_playing: 'session_not_playing',
  step_up_required: 'step_up_required',
  rental_expired: 'rental_expired',
  too_many_rentals: 'too_many_rentals',
  keys_unavailable: 'unavailable',
  signing_key_unavailable: 'unavailable',
  upstream_unavailable: 'unavailable',
};

export function wireReasonOf(reason: DenialReason): WireReason {
  return WIRE_REASON_OF[reason];
}

/** The reason of the 500 answer to an unexpected failure (not an ApiError). */
export const INTERNAL_ERROR_REASON: WireReason = 'internal_error';
