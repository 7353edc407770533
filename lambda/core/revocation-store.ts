/**
 * DynamoDB-backed revocation: per token (`jti`) and per user (`sub` cut-off). Every failure or
 * timeout is RevocationUnavailable, so callers fail closed: nothing is signed while the
 * revocation status is unknown, and a revocation that was not written is reported, not dropped.
 */
import {
  BatchGetItemCommand,
  DynamoDBClient,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DynamoCaller } from './dynamo-call';
import type { StoreConfig } from './config';
import { RevocationUnavailable } from './errors';
import { jtiKey, REVOCATION_TABLE, subKey } from './revocation-schema';

export type RevocationStatus = 'active' | 'token-revoked' | 'user-revoked';

export interface TokenIdentity {
  jti: string;
  sub: string;
  iat: number;
}

export interface RevocationStore {
  /** Reads the token's and the user's revocation items in one round trip. */
  status(token: TokenIdentity): Promise<RevocationStatus>;
  /** Revokes one token until `expiresAt` (epoch s). Idempotent; keeps the later expiry. */
  revokeToken(jti: string, expiresAt: number): Promise<void>;
  /** Revokes every token of `sub` issued before `before` (epoch s). Idempotent; keeps the later cut-off. */
  revokeUser(sub: string, before: number, expiresAt: number): Promise<void>;
}

const { partitionKey: PK, ttlAttribute: TTL, revokedBeforeAttribute: BEFORE } = REVOCATION_TABLE;

export function createDynamoClient(config: StoreConfig): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    endpoint: config.endpoint,
    // Local mode talks to dynalite, which accepts any credentials; never look for real ones there.
    credentials: config.endpoint !== undefined ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: config.timeoutMs, requestTimeout: config.timeoutMs },
  });
}

export class DynamoRevocationStore implements RevocationStore {
  constructor(private readonly dynamo: DynamoCaller) {}

  async status(token: TokenIdentity): Promise<RevocationStatus> {
    const keys = [{ [PK]: { S: jtiKey(token.jti) } }, { [PK]: { S: subKey(token.sub) } }];
    const items = await this.batchGet(keys);
    if (items.some((item) => item[PK]?.S === jtiKey(token.jti))) return 'token-revoked';
    const userItem = items.find((item) => item[PK]?.S === subKey(token.sub));
    const before = Number(userItem?.[BEFORE]?.N);
    if (userItem !== undefined && (!Number.isFinite(before) || token.iat < before)) return 'user-revoked';
    return 'active';
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    await this.keepLater(jtiKey(jti), TTL, expiresAt, {});
  }

  async revokeUser(sub: string, before: number, expiresAt: number): Promise<void> {
    await this.keepLater(subKey(sub), BEFORE, before, { [TTL]: expiresAt });
  }

  /** Consistent reads of both keys; unprocessed keys get one more try, then we fail closed. */
  private async batchGet(keys: Record<string, AttributeValue>[]): Promise<Record<string, AttributeValue>[]> {
    const table = this.dynamo.tableName;
    const found: Record<string, AttributeValue>[] = [];
    let pending = keys;
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      const keysNow = pending;
      const output = await this.dynamo.send((client, options) =>
        client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keysNow, ConsistentRead: true } } }), options),
      );
      found.push(...(output.Responses?.[table] ?? []));
      pending = output.UnprocessedKeys?.[table]?.Keys ?? [];
    }
    if (pending.length > 0) throw new RevocationUnavailable('revocation keys left unprocessed');
    return found;
  }

  /** Sets `attribute` to `value` unless the item already holds a later value (then a no-op, not an error). */
  private async keepLater(key: string, attribute: string, value: number, extra: Record<string, number>): Promise<void> {
    const names: Record<string, string> = { '#a': attribute };
    const values: Record<string, AttributeValue> = { ':v': { N: String(value) } };
    const sets = ['#a = :v'];
    Object.entries(extra).forEach(([name, extraValue], index) => {
      names[`#e${index}`] = name;
      values[`:e${index}`] = { N: String(extraValue) };
      sets.push(`#e${index} = :e${index}`);
    });
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: key } },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_not_exists(#a) OR #a < :v',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    await this.dynamo.sendConditional((client, options) => client.send(update, options));
  }
}
