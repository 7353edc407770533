/**
 * The access-state table's layout, shared by the runtime store (lambda/store/access-state-store.ts),
 * the deny-list replicator and the CDK table (lib/), so they can never disagree.
 *
 * One table, one string partition key, no index, every item expiring through the TTL attribute.
 * ONE ITEM PER USER, `usr#<hash(iss, sub)>`, holds all of that user's state, so a call checks and
 * records it with one conditional write (and a revocation and the grants it must deny are always
 * in the same item image):
 * - `revokedBefore`: the cut-off (tokens with `iat` before it are revoked);
 * - `r_<window start>`: call counts (per-user rate limit);
 * - `h_<hour start>` (string set): the sessions that wrote the item in that clock hour, capped
 *   (the per-user cap on new sessions; the hour before is dropped by the next such write);
 * - `sessions` (string set) and `e_<session>`: the stream slots and each one's expiry;
 * - per session (token), named by its id (`sessionId`, 22 characters):
 *   `x_<session>` revoked (admin by jti, logout, a sharing action) and `z_<session>` ended by the
 *   stream limit, each holding how long the mark must last; `n_`/`c_<session>`: the networks and
 *   countries it was presented from (sharing detection); `k_<session>`: when they become useless;
 * - `g_<bucket start>` (string sets): the grants issued, `<session>.<iat>.<expiresAt>.<grant id>`,
 *   in buckets by expiry, so the write that adds to one bucket drops those two or more behind;
 *   each bucket holds at most the user's grant budget (checked by the write that adds);
 * - `u_<session>`: when the session started (its first admitted playback), where step-up rules
 *   judge sign-in ages (lambda/core/step-up.ts); dropped with the session's other attributes;
 * - `p_<rental id>`: a rental's end, set by its first play (lambda/core/rentals.ts), and
 *   `rentals` (string set, `<rental id>.<keep until>`): the recorded rentals, capped per user, each
 *   dropped once its window is closed whenever it started (lambda/store/title-records.ts);
 * - `version`: bumped by every write that can change the stream slots, for the rare
 *   read-modify-write of the slot set;
 * - `denied`: set by a write that revokes or ends something and removed by every other one, so
 *   the table's stream can be filtered down to revoking writes (a filter cannot name `x_*`).
 * Keys are hashes, so no user or token id is stored in a key.
 */
import { sessionId, userId, type TokenRef, type UserRef } from '../core/access-state';

export const STATE_TABLE = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
} as const;

export const USER_ATTRIBUTES = {
  revokedBefore: 'revokedBefore',
  sessions: 'sessions',
  version: 'version',
  denied: 'denied',
  rentals: 'rentals',
} as const;

/** Prefixes of the per-session attributes (followed by the session id). */
export const SESSION_ATTRIBUTE_PREFIXES = {
  slot: 'e_',
  revoked: 'x_',
  ended: 'z_',
  networks: 'n_',
  countries: 'c_',
  keepUntil: 'k_',
  started: 'u_',
} as const;

export type SessionAttribute = keyof typeof SESSION_ATTRIBUTE_PREFIXES;
export const GRANTS_PREFIX = 'g_';
export const RATE_PREFIX = 'r_';
export const SESSIONS_SEEN_PREFIX = 'h_';
export const RENTAL_PREFIX = 'p_';
/** The sessions cap counts per clock hour. */
export const SESSIONS_SEEN_WINDOW_SECONDS = 3600;

export type { TokenRef, UserRef };
export const userKey = (user: UserRef): string => `usr#${userId(user)}`;
export const sessionAttribute = (kind: SessionAttribute, session: string): string =>
  `${SESSION_ATTRIBUTE_PREFIXES[kind]}${session}`;
export const rateAttribute = (windowStart: number): string => `${RATE_PREFIX}${windowStart}`;
export const grantsAttribute = (bucketStart: number): string => `${GRANTS_PREFIX}${bucketStart}`;
export const rentalAttribute = (rentalId: string): string => `${RENTAL_PREFIX}${rentalId}`;
export const sessionsSeenAttribute = (hourStart: number): string => `${SESSIONS_SEEN_PREFIX}${hourStart}`;
export { sessionId };
