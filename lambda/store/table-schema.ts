/**
 * The access-state table's key schema, shared by the runtime stores (lambda/store/token-state.ts,
 * lambda/store/user-state.ts) and the CDK table (lib/), so the two can never disagree.
 *
 * One table, one string partition key, every item expiring through the TTL attribute. Keys are
 * hashes of issuer + subject (+ jti): two users whose IdP reuses a `jti` never share state, and
 * no user or token id is stored in a key.
 * - `tok#<hash(iss, sub, jti)>`: one token. `revokedAt` when revoked; the networks and countries
 *   it was presented from (sharing detection).
 * - `usr#<hash(iss, sub)>`: one user. `revokedBefore` cut-off (tokens with `iat` before it are
 *   revoked); the set of active playback sessions with one `e_<session>` expiry each
 *   (concurrent-stream limit); `r_<window start>` call counts (per-user rate limit); `version`,
 *   bumped by every write, for the rare read-modify-write.
 */
import { createHash } from 'node:crypto';

export const STATE_TABLE = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
} as const;

export const TOKEN_ATTRIBUTES = {
  revokedAt: 'revokedAt',
  networks: 'networks',
  countries: 'countries',
} as const;

export const USER_ATTRIBUTES = {
  revokedBefore: 'revokedBefore',
  sessions: 'sessions',
  version: 'version',
} as const;

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
export const tokenKey = (token: TokenRef): string => `tok#${sessionId(token)}`;
export const userKey = (user: UserRef): string => `usr#${digest([user.iss, user.sub])}`;
export const sessionExpiryAttribute = (session: string): string => `e_${session}`;
export const rateAttribute = (windowStart: number): string => `r_${windowStart}`;
