/**
 * The API's error `reason` codes (docs/api.md#errors) and what each means to a viewer. The API
 * defines them in lambda/core/reason-codes.ts; this package is built and published alone, so it
 * keeps this copy, and test/client/reason-codes.test.ts fails when the two lists differ.
 */
import type { DenialAction, DenialKind } from './denial-kinds';

/** For each reason: the kind of denial, and the action when it is not the kind's own. */
export const REASON_KINDS = {
  bad_request: ['bad-request'],
  missing_token: ['signed-out'],
  malformed_token: ['signed-out'],
  expired: ['signed-out'],
  token_rejected: ['signed-out'],
  revoked: ['revoked'],
  step_up_required: ['step-up'],
  rental_expired: ['rental-expired'],
  not_entitled: ['not-entitled'],
  // Not the viewer's entitlement: nothing they can pick fixes it.
  origin_not_verified: ['not-entitled', 'none'],
  // The page is on a site the service does not allow: nothing the viewer picks here fixes it.
  site_not_allowed: ['not-entitled', 'none'],
  licence_refused: ['not-entitled', 'none'],
  concurrency_limit: ['too-many-streams'],
  session_ended: ['session-ended'],
  // Licence route: the session holds no stream (refused or stopped); start playback again.
  session_not_playing: ['session-ended'],
  sharing_suspected: ['sharing'],
  not_found: ['bad-request'],
  payload_too_large: ['bad-request'],
  rate_limited: ['rate-limited'],
  // Growth caps of one account (docs/cost.md): the same answer as a rate limit, later.
  too_many_sessions: ['rate-limited'],
  too_many_grants: ['rate-limited'],
  too_many_rentals: ['rate-limited'],
  internal_error: ['unavailable'],
  upstream_error: ['unavailable'],
  unavailable: ['unavailable'],
  upstream_timeout: ['unavailable'],
} as const satisfies Record<string, readonly [DenialKind] | readonly [DenialKind, DenialAction]>;

export type ApiReason = keyof typeof REASON_KINDS;

const REASONS: ReadonlySet<string> = new Set(Object.keys(REASON_KINDS));

export const isApiReason = (value: unknown): value is ApiReason => typeof value === 'string' && REASONS.has(value);
