/**
 * The revocation table's key schema, shared by the runtime store (lambda/core/revocation-store.ts)
 * and the CDK table (lib/), so the two can never disagree.
 *
 * One table, one string partition key, two item kinds:
 * - `jti#<jti>`: one revoked token; `expiresAt` (TTL) = the token's `exp`, after which it is useless anyway.
 * - `sub#<sub>`: a per-user cut-off; every token of `sub` with `iat < revokedBefore` is revoked.
 */
export const REVOCATION_TABLE = {
  partitionKey: 'pk',
  /** DynamoDB TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
  /** Per-user cut-off (epoch seconds) on `sub#` items. */
  revokedBeforeAttribute: 'revokedBefore',
} as const;

export const jtiKey = (jti: string): string => `jti#${jti}`;
export const subKey = (sub: string): string => `sub#${sub}`;
