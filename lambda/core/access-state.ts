/**
 * What the API needs from its state store, in the API's own terms: one check per call, its
 * verdict and the ids it is keyed by. All of a user's state (revocation by token and by user,
 * sharing detection, rate limit, stream slots, the grants the edge may have to deny) lives on
 * the user's one item, so every call is one conditional write (lambda/store/access-state-store.ts);
 * the API decides on the verdicts.
 */
import { createHash } from 'node:crypto';
import type { SharingConfig, StreamLimitPolicy } from './config';
import type { IssuedGrant } from './edge-deny-list';
import type { UserState } from './user-state';

/** A token as the store knows it: who issued it, to whom, which one. */
export interface TokenRef {
  iss: string;
  sub: string;
  jti: string;
}

export type UserRef = Pick<TokenRef, 'iss' | 'sub'>;

/** 132 bits of SHA-256, base64url: collision-free for this use, short enough for many per item. */
function digest(parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

/** A token's playback session id: stable across its refreshes, unique per issuer + subject + jti. */
export const sessionId = (token: TokenRef): string => digest([token.iss, token.sub, token.jti]);
/** A user's id in the store: unique per issuer + subject. */
export const userId = (user: UserRef): string => digest([user.iss, user.sub]);

export interface Presentation {
  network: string;
  country?: string;
}

export interface SharingVerdict {
  suspected: boolean;
  /** Networks and countries seen, the new ones included when suspected. */
  networks: string[];
  countries: string[];
}

/** A call's refusal the store can decide: revoked (token or user), ended by the stream limit, or over the rate. */
export type Refusal =
  | { outcome: 'revoked' }
  /** The stream limit (evict-oldest) ended this session. */
  | { outcome: 'ended' }
  | { outcome: 'rate-limited'; retryAfterSeconds: number };

/** Who calls and when: every call checks the user's cut-off and this token's own revocation. */
export interface CallerCall {
  user: UserRef;
  /** The calling token's session (lambda/core/access-state.ts `sessionId`). */
  session: string;
  /** The calling token's `iat`: refused when the user's cut-off is later. */
  iat: number;
  nowSeconds: number;
  /** Whether the call counts in the per-user rate limit. */
  counted: boolean;
  /** The user item's expiry if this call writes it (never earlier than any before it). */
  keepUntil: number;
}

/** A playback call: checks as CallerCall, and records the session's presentation, slot and grants. */
export interface PlaybackCall extends CallerCall {
  /** Where the token is presented from (recorded only with sharing detection on). */
  presentation: Presentation;
  /** The session's state is useless after this (its token's expiry plus the tolerance). */
  sessionKeepUntil: number;
  /** Take, or renew, the session's stream slot until then (the grant's expiry). */
  slotUntil: number;
  /** The grants issued by this call, recorded for the edge's deny-list (with edge revocation on). */
  grants?: IssuedGrant[];
  /** How long an eviction's mark must last: past the expiry of any token valid now. */
  revokeUntil: number;
  /** This user's stream limit (its plan or own claim, lambda/core/entitlement.ts); absent = `limits.maxStreams`. */
  maxStreams?: number;
  /** Record the session's start (step-up rules judge sign-in ages: lambda/core/step-up.ts), and how late it may be. */
  sessionStart?: SessionStart;
  /** The call plays a rental: record its first play, and admit only within its window (lambda/core/rentals.ts). */
  rental?: RentalPlay;
}

/** A session's start as step-up judges it: recorded once, by the session's first admitted playback. */
export interface SessionStart {
  /** The session must have started by then (`auth_time` + max age); absent = no age judged for this title. */
  latestStart?: number;
}

/** A playback of a rental, as the store records and judges it. */
export interface RentalPlay {
  /** The rental's id (lambda/core/rentals.ts `Rental.id`). */
  id: string;
  /** A first play must happen by then. */
  startBy: number;
  /** The rental's end if this call is its first play (now + its play window). */
  endIfStartedNow: number;
  /** The record is dead after this (the latest the rental can end). */
  keepUntil: number;
  /** The call's grant expiry: admitted only when the rental lasts at least as long. */
  grantExpiresAt: number;
}

/** Refusals by the title's own rules (step-up, rentals), decided on the user's item. */
export type TitleRefusal =
  /** The session started (or would start now) later than its sign-in allows. */
  | { outcome: 'step-up-required' }
  /** The rental is over: never started in time (no `endedAt`), or played out at `endedAt`. */
  | { outcome: 'rental-expired'; endedAt?: number }
  /** The rental ends before the grant would: sign again, ending at `endsAt`, and retry. */
  | { outcome: 'rental-ends'; endsAt: number }
  /** The user item records as many rentals as it may; the first to close frees one. */
  | { outcome: 'too-many-rentals'; limit: number; retryAfterSeconds: number };

/**
 * Refused because the user's item would grow past its budget (lambda/store/access-state-store.ts):
 * too many distinct sessions this hour, or too many grants expiring in one bucket.
 */
export type GrowthRefusal =
  | { outcome: 'too-many-sessions'; limit: number; retryAfterSeconds: number }
  | { outcome: 'too-many-grants'; limit: number; retryAfterSeconds: number };

export type PlaybackVerdict =
  | Refusal
  | GrowthRefusal
  | TitleRefusal
  /** Presented from more networks or countries than allowed; nothing recorded (action: revoke-*). */
  | { outcome: 'sharing-suspected'; sharing: SharingVerdict }
  /** At the stream limit with reject-newest. */
  | { outcome: 'streams-full' }
  /**
   * Recorded. `evicted`: the session evict-oldest ended to make room; `sharing`: a suspicion the
   * `alert` action let through (recorded all the same).
   */
  | { outcome: 'admitted'; evicted?: string; sharing?: SharingVerdict };

export type CallerVerdict = Refusal | { outcome: 'admitted' };

/** Logout: checks as CallerCall; frees the session's slot where the user has a stream limit. */
export type LogoutCall = CallerCall & Pick<PlaybackCall, 'sessionKeepUntil' | 'maxStreams'>;

export type LogoutVerdict =
  | { outcome: 'rate-limited'; retryAfterSeconds: number }
  | Extract<GrowthRefusal, { outcome: 'too-many-sessions' }>
  /** Done: the session is revoked and its slot freed; `alreadyRevoked` when it was so before. */
  | { outcome: 'done'; alreadyRevoked: boolean };

/** A licence call: the caller's checks, and where it comes from (judged against what playback admitted). */
export interface LicenceCall extends CallerCall {
  presentation: Presentation;
  /** The caller's stream limit (its plan or own claim), as playback applied it; absent: the default. */
  maxStreams?: number;
  /** Step-up: the session must have started by `latestStart` (as playback judged it). */
  sessionStart?: SessionStart;
  /** A rental's licence: only once playback started it, and not after its end. */
  rental?: Pick<RentalPlay, 'id'>;
}

export type LicenceVerdict =
  | Refusal
  /** The session holds no live stream slot: playback never admitted it, or its slot ran out. */
  | { outcome: 'not-playing' }
  /** From a network or country playback did not admit for this session. */
  | { outcome: 'sharing-suspected'; sharing: SharingVerdict }
  | Exclude<TitleRefusal, { outcome: 'rental-ends' | 'too-many-rentals' }>
  /** `rentalEndsAt`: the rental's recorded end (a licence must not outlive it). */
  | { outcome: 'admitted'; rentalEndsAt?: number };

export interface AccessLimits {
  /** Calls per window; 0 = unlimited. */
  rateLimit: number;
  rateWindowSeconds: number;
  /** Active playback sessions; 0 = unlimited. */
  maxStreams: number;
  /** At the limit: refuse the new session, or end the oldest. @default 'reject-newest' */
  streamLimitPolicy?: StreamLimitPolicy;
  sharing: SharingConfig;
  /**
   * Width of the time buckets grants are recorded in: at least a grant's lifetime plus any clock
   * tolerance, so a bucket two behind the current one holds only dead grants.
   */
  grantBucketSeconds: number;
  /** Distinct sessions (tokens) that may write the user's item in one clock hour (playback, logout). */
  maxSessionsPerHour: number;
  /** Grant records one bucket (grants expiring in it) may hold for the user. */
  maxGrantsPerBucket: number;
  /** Rentals one user item records at once (lambda/core/rentals.ts); @default 20 */
  maxRentals?: number;
}

/** The access state (implemented over DynamoDB in lambda/store/access-state-store.ts). */
export interface AccessState {
  /** Playback: check everything, record the presentation, slot and grants; one conditional write. */
  authorize(call: PlaybackCall): Promise<PlaybackVerdict>;
  /** Any other call: cut-off, the token's own revocation and the rate limit. */
  admit(call: CallerCall): Promise<CallerVerdict>;
  /** A licence: as admit, and only for a session playback admitted (a live slot, a network it recorded); one write. */
  licence(call: LicenceCall): Promise<LicenceVerdict>;
  /** The holder ends its own session: revoked, slot freed, counted in the rate limit. */
  logout(call: LogoutCall): Promise<LogoutVerdict>;
  /** Revokes one session (admin by jti, a sharing action); false when it already was. */
  revokeSession(
    user: UserRef,
    session: string,
    nowSeconds: number,
    revokeUntil: number,
    keepUntil: number,
  ): Promise<boolean>;
  /** Revokes every token of `user` issued before `before` (epoch s); keeps the later cut-off. */
  revokeUser(user: UserRef, before: number, nowSeconds: number, keepUntil: number): Promise<void>;
  /** Admin: the user's item in the API's terms (lambda/core/user-state.ts); one consistent read. */
  userState(user: UserRef, nowSeconds: number): Promise<UserState>;
  /** Admin: removes the user's cut-off; answers the one removed (undefined: there was none). */
  liftCutoff(user: UserRef, keepUntil: number): Promise<number | undefined>;
  readonly limits: AccessLimits;
}

/** The token rules the store's timings derive from (lambda/core/config.ts `token`). */
export interface TokenTimes {
  maxLifetimeSeconds: number;
  clockToleranceSeconds: number;
}

/** Extra life for user items so a later raise of the max token lifetime cannot resurrect a token. */
const REVOCATION_MARGIN_SECONDS = 86400;

/** Until when a revocation made at `now` must be remembered: past the expiry of any token valid now. */
export function revokeUntil(now: number, times: TokenTimes): number {
  return now + times.maxLifetimeSeconds + 2 * times.clockToleranceSeconds;
}

/**
 * A user item written at `now` must outlive every token its cut-off can refuse (issued before
 * `now`, live for the max lifetime) and every mark it holds: each write pushes it later.
 */
export function userKeepUntil(now: number, times: TokenTimes): number {
  return revokeUntil(now, times) + REVOCATION_MARGIN_SECONDS;
}

/** A session's state is useless once its token is expired beyond the tolerance. */
export function sessionKeepUntil(token: { exp: number }, times: TokenTimes): number {
  return Math.ceil(token.exp) + times.clockToleranceSeconds;
}

/** A session gets a new grant at most once per this fraction of the grant lifetime. */
const GRANT_INTERVAL_FRACTION = 5;

/**
 * When a session's grant is issued, as the signer dates it: the start of the session's current
 * grant interval (a fifth of the grant lifetime, in step with the token's `iat`). Every call of
 * the session inside one interval gets the same policy, so the same grant (identity, record and
 * deny-list entry): a refresh there adds nothing to the user's item. The grant keeps at least
 * four fifths of its lifetime; the player's next refresh (at 80 %) falls in a later interval.
 */
export function grantIssuedAt(token: { iat: number }, now: number, ttlSeconds: number): number {
  const interval = Math.max(1, Math.floor(ttlSeconds / GRANT_INTERVAL_FRACTION));
  const since = now - Math.floor(token.iat);
  return now - (((since % interval) + interval) % interval);
}

/** The caller's own check: its cut-off and revocation, counted in its rate limit, the item kept as long as needed. */
export function callerCall(token: TokenRef & { iat: number }, now: number, times: TokenTimes): CallerCall {
  return {
    user: token,
    session: sessionId(token),
    iat: token.iat,
    nowSeconds: now,
    counted: true,
    keepUntil: userKeepUntil(now, times),
  };
}
