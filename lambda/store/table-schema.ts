/**
 * The access-state table's key schema, shared by the runtime stores (lambda/store/token-state.ts,
 * lambda/store/user-state.ts) and the CDK table (lib/), so the two can never disagree.
 *
 * One table, one string partition key, every item expiring through the TTL attribute. Keys are
 * hashes of issuer + subject (+ jti): two users whose IdP reuses a `jti` never share state, and
 * no user or token id is stored in a key.
 * - `tok#<hash(iss, sub, jti)>`: one token, which is one playback session. `revokedAt` when
 *   revoked, `endedAt` when the stream limit ended its session (evict-oldest); the networks and
 *   countries it was presented from (sharing detection); with edge revocation on, the grants
 *   issued to it (`<expiresAt>.<grant id>`, lambda/core/edge-deny-list.ts), its user's id and
 *   its `iat`, indexed by user (`byUser`, keys only) so a user's cut-off finds every session.
 * - `usr#<hash(iss, sub)>`: one user. `revokedBefore` cut-off (tokens with `iat` before it are
 *   revoked); the set of active playback sessions with one `e_<session>` expiry each
 *   (concurrent-stream limit); `r_<window start>` call counts (per-user rate limit); `version`,
 *   bumped by every write, for the rare read-modify-write.
 */
import { sessionId, userId, type TokenRef, type UserRef } from '../core/access-state';

export const STATE_TABLE = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
} as const;

export const TOKEN_ATTRIBUTES = {
  revokedAt: 'revokedAt',
  endedAt: 'endedAt',
  networks: 'networks',
  countries: 'countries',
  grants: 'grants',
  user: 'user',
  iat: 'iat',
} as const;

/** Global secondary index of token items by their user's id (keys only): read by edge revocation. */
export const BY_USER_INDEX = { name: 'byUser', partitionKey: TOKEN_ATTRIBUTES.user } as const;

export const USER_ATTRIBUTES = {
  revokedBefore: 'revokedBefore',
  sessions: 'sessions',
  version: 'version',
} as const;

export type { TokenRef, UserRef };
export const tokenKey = (token: TokenRef): string => `tok#${sessionId(token)}`;
/** A session's item: the token item, whose key holds the session id. */
export const sessionKey = (session: string): string => `tok#${session}`;
export const userKey = (user: UserRef): string => `usr#${userId(user)}`;
export const sessionExpiryAttribute = (session: string): string => `e_${session}`;
export const rateAttribute = (windowStart: number): string => `r_${windowStart}`;
