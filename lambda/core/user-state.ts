/**
 * What an operator sees of one user (`GET /api/v1/users/{sub}/sessions`, `streamgate sessions`):
 * the user's one item in the API's terms, read by the store from the key it hashes from the
 * issuer and `sub` (nobody computes a hash by hand). Sessions are named by their session id (a
 * hash of issuer, `sub` and `jti`: the store never holds a jti); `jtiSession` tells which id a
 * known jti has.
 */

/** One playback session (token) of the user, as its item records it. */
export interface SessionState {
  /** The session id (lambda/core/access-state.ts `sessionId`). */
  session: string;
  /** Its stream slot runs until then (epoch s), while it holds one. */
  slotUntil?: number;
  /** Revoked (admin by jti, logout, a sharing action): the mark lasts until then. */
  revokedUntil?: number;
  /** Ended by the stream limit (evict-oldest): the mark lasts until then. */
  endedUntil?: number;
  /** Networks and countries it was presented from (sharing detection on). */
  networks: string[];
  countries: string[];
  /** Its grants the edge may have to deny, newest expiry last. */
  grants: GrantState[];
}

export interface GrantState {
  /** The grant id the edge's deny-list is keyed by. */
  id: string;
  /** The `iat` of the token it was issued to (a cut-off later than it denies it). */
  iat: number;
  expiresAt: number;
  /** Not expired at the time of the read. */
  live: boolean;
}

export interface UserState {
  /** Whether the store holds an item for the user at all (never called, or expired: false). */
  known: boolean;
  /** The cut-off: every token issued before it is refused. */
  revokedBefore?: number;
  /** When the item expires (the store's TTL). */
  keepUntil?: number;
  /** Sessions with any state, those holding a live slot first. */
  sessions: SessionState[];
  /** Live stream slots (with a stream limit). */
  liveSlots: number;
  /** Calls counted in the current rate window. */
  callsThisWindow?: number;
}

/** The answer of the read route: the user's state and when it was read (epoch s). */
export interface UserStateAnswer extends UserState {
  iss: string;
  sub: string;
  readAt: string;
}

export function userStateAnswer(iss: string, sub: string, state: UserState, nowSeconds: number): UserStateAnswer {
  return { iss, sub, readAt: new Date(nowSeconds * 1000).toISOString(), ...state };
}
