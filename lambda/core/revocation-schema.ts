/**
 * The revocation table's key schema, shared by the runtime store (lambda/core/revocation-store.ts)
 * and the CDK table (lib/), so the two can never disagree.
 *
 * One table, one string partition key, every item expiring through the TTL attribute:
 * - `jti#<jti>`: one revoked token; `expiresAt` = the token's `exp`, after which it is useless anyway.
 * - `sub#<sub>`: a per-user cut-off; every token of `sub` with `iat < revokedBefore` is revoked.
 * - `use#<jti>`: the networks and countries a token was presented from (sharing detection).
 * - `streams#<sub>`: a user's active playback sessions, jti → expiry (concurrent-stream limit).
 * - `rate#<sub>#<window start>`: a user's API calls in one fixed window (per-user rate limit).
 */
export const REVOCATION_TABLE = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
  /** Per-user cut-off (epoch seconds) on `sub#` items. */
  revokedBeforeAttribute: 'revokedBefore',
} as const;

/** Attributes of the abuse-defence items. */
export const ABUSE_ATTRIBUTES = {
  networks: 'networks',
  countries: 'countries',
  sessions: 'sessions',
  version: 'version',
  hits: 'hits',
} as const;

export const jtiKey = (jti: string): string => `jti#${jti}`;
export const subKey = (sub: string): string => `sub#${sub}`;
export const usageKey = (jti: string): string => `use#${jti}`;
export const streamsKey = (sub: string): string => `streams#${sub}`;
export const rateKey = (sub: string, windowStart: number): string => `rate#${sub}#${windowStart}`;
