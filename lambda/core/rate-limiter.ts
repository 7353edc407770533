/**
 * Per-user API rate limit: a fixed-window counter per `sub` in DynamoDB (one atomic ADD per
 * call). Past the limit the caller gets 429 with the seconds left in the window. WAF keeps the
 * per-IP limits; this one follows the user across addresses.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoCaller } from './dynamo-call';
import { RevocationUnavailable } from './errors';
import { ABUSE_ATTRIBUTES, REVOCATION_TABLE, rateKey } from './revocation-schema';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
  hits: number;
}

const { partitionKey: PK, ttlAttribute: TTL } = REVOCATION_TABLE;

export class RateLimiter {
  /** @param limit calls per window; 0 = unlimited */
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly limit: number,
    readonly windowSeconds: number,
  ) {}

  async hit(sub: string, nowSeconds: number): Promise<RateDecision> {
    const windowStart = nowSeconds - (nowSeconds % this.windowSeconds);
    const retryAfterSeconds = Math.max(1, windowStart + this.windowSeconds - nowSeconds);
    if (this.limit === 0) return { allowed: true, retryAfterSeconds, hits: 0 };
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: rateKey(sub, windowStart) } },
      UpdateExpression: 'ADD #h :one SET #t = :t',
      ExpressionAttributeNames: { '#h': ABUSE_ATTRIBUTES.hits, '#t': TTL },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':t': { N: String(windowStart + 2 * this.windowSeconds) } },
      ReturnValues: 'UPDATED_NEW',
    });
    const output = await this.dynamo.send((client, options) => client.send(update, options));
    const hits = Number(output.Attributes?.[ABUSE_ATTRIBUTES.hits]?.N ?? Number.NaN);
    // An unreadable count is an unknown state: fail closed like any store failure.
    if (!Number.isFinite(hits)) throw new RevocationUnavailable('rate counter unreadable');
    return { allowed: hits <= this.limit, retryAfterSeconds, hits };
  }
}
