/**
 * What the API needs from its state store, in the API's own terms: the per-token and per-user
 * checks, their verdicts and the ids they are keyed by. The DynamoDB adapters in lambda/store/
 * implement it; the API decides on the verdicts.
 */
import { createHash } from 'node:crypto';
import type { SharingConfig, StreamLimitPolicy } from './config';
import type { IssuedGrant } from './edge-deny-list';

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

/** Revoked (by admin, logout or a sharing action), or `ended` by the stream limit (evict-oldest). */
export type TokenVerdict = { revoked: true; ended?: boolean } | { revoked: false; sharing: SharingVerdict };

/** What a playback call records on its session (token) item for the edge's deny-list. */
export interface GrantRecord {
  /** One per signature the grant holds (a DRM video's grant has a `/drm/` set too). */
  grants: IssuedGrant[];
  /** The token's user (its id is indexed, so a user's cut-off finds every session) and `iat`. */
  user: UserRef;
  iat: number;
}

export interface UserLimits {
  /** Calls per window; 0 = unlimited. */
  rateLimit: number;
  rateWindowSeconds: number;
  /** Active playback sessions; 0 = unlimited. */
  maxStreams: number;
  /** At the limit: refuse the new session, or end the oldest. @default 'reject-newest' */
  streamLimitPolicy?: StreamLimitPolicy;
}

export interface UserCall {
  user: UserRef;
  /** The calling token's `iat`: refused when the user's cut-off is later. */
  iat: number;
  nowSeconds: number;
  /** Whether the call counts in the per-user rate limit. */
  counted: boolean;
  /** Take, or renew, this session's stream slot until `until` (playback). */
  session?: { id: string; until: number };
  /** Free this session's stream slot (logout). */
  release?: string;
  /** The item's expiry if this call writes it. */
  keepUntil: number;
}

export type UserVerdict =
  | { outcome: 'revoked' }
  | { outcome: 'rate-limited'; retryAfterSeconds: number }
  | { outcome: 'streams-full' }
  /** evict-oldest at the limit: `evict` must be ended first, then `admit` takes its slot. */
  | { outcome: 'evict'; evict: string; admit(): Promise<UserVerdict> }
  | { outcome: 'admitted'; undo(): Promise<void> };

/** Per-token state: revocation and sharing detection (implemented in lambda/store/token-state.ts). */
export interface TokenState {
  check(
    token: TokenRef,
    presentation: Presentation | undefined,
    keepUntil: number,
    record?: GrantRecord,
  ): Promise<TokenVerdict>;
  /** Revoked or ended. */
  isRevoked(token: TokenRef): Promise<boolean>;
  revoke(token: TokenRef, nowSeconds: number, keepUntil: number): Promise<boolean>;
  /** Ends a session the stream limit evicted: its token plays no more, and its grants are denied at the edge. */
  end(session: string, nowSeconds: number): Promise<void>;
  readonly sharing: SharingConfig;
}

/** Per-user state: revocation cut-off, rate limit and stream slots (implemented in lambda/store/user-state.ts). */
export interface UserState {
  check(call: UserCall): Promise<UserVerdict>;
  revoke(user: UserRef, before: number, keepUntil: number): Promise<void>;
  readonly limits: UserLimits;
}
