/**
 * Concurrent-stream limit per user: at most N playback sessions whose access is unexpired. A
 * session is one token (`jti`): a refresh renews its slot, logging out frees it.
 * Fast path, one conditional write: renew the session, or add it while the map holds fewer than
 * N entries. Only when that condition fails (the map is full, perhaps of expired entries, or
 * does not exist yet) is the map read, pruned and written back under an optimistic version check.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoCaller } from './dynamo-call';
import { RevocationUnavailable } from './errors';
import { ABUSE_ATTRIBUTES, REVOCATION_TABLE, streamsKey } from './revocation-schema';

export interface Admission {
  admitted: boolean;
  /** Undoes an admission when a later check refuses the call: the slot returns to its previous state. */
  rollback(): Promise<void>;
}

const { partitionKey: PK, ttlAttribute: TTL } = REVOCATION_TABLE;
const { sessions: SESSIONS, version: VERSION } = ABUSE_ATTRIBUTES;
const ATTEMPTS = 3;

export class StreamLimiter {
  /** @param maxStreams 0 = unlimited */
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly maxStreams: number,
  ) {}

  /** Admits session `jti` of `sub` until `until` (epoch s) unless the user is at the limit. */
  async admit(sub: string, jti: string, until: number, nowSeconds: number): Promise<Admission> {
    if (this.maxStreams === 0) return { admitted: true, rollback: async () => undefined };
    const fast = await this.renewOrAdd(sub, jti, until);
    if (fast !== 'full') return { admitted: true, rollback: () => this.restore(sub, jti, fast) };
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const { sessions, version } = await this.read(sub);
      const active = new Map([...sessions].filter(([, expiry]) => expiry > nowSeconds));
      const previous = active.get(jti);
      if (previous === undefined && active.size >= this.maxStreams) return { admitted: false, rollback: async () => undefined };
      active.set(jti, Math.max(until, previous ?? 0));
      if (await this.write(sub, active, version)) return { admitted: true, rollback: () => this.restore(sub, jti, previous) };
    }
    // Lost the race every time: the state is unknown, so fail closed like any store failure.
    throw new RevocationUnavailable('concurrent updates to the stream sessions');
  }

  /** Frees the slot of `jti` (logout). */
  async release(sub: string, jti: string): Promise<void> {
    if (this.maxStreams === 0) return;
    await this.restore(sub, jti, undefined);
  }

  /**
   * One conditional write: renew `jti`, or add it while fewer than N entries are stored.
   * Answers the previous expiry of `jti` (undefined if it was new), or 'full' to take the slow path.
   */
  private async renewOrAdd(sub: string, jti: string, until: number): Promise<number | undefined | 'full'> {
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: streamsKey(sub) } },
      UpdateExpression: 'SET #s.#j = :u, #t = :t ADD #v :one',
      ConditionExpression: 'attribute_exists(#s) AND (attribute_exists(#s.#j) OR size(#s) < :max)',
      ExpressionAttributeNames: { '#s': SESSIONS, '#j': jti, '#t': TTL, '#v': VERSION },
      // Every session in the map expires within the signed TTL (at most an hour) of its write.
      ExpressionAttributeValues: { ':u': { N: String(until) }, ':t': { N: String(until + 3600) }, ':one': { N: '1' }, ':max': { N: String(this.maxStreams) } },
      ReturnValues: 'UPDATED_OLD',
    });
    let previous: number | undefined;
    const written = await this.dynamo.sendConditional(async (client, options) => {
      const output = await client.send(update, options);
      const old = output.Attributes?.[SESSIONS]?.M?.[jti]?.N;
      previous = old === undefined ? undefined : Number(old);
    });
    return written ? previous : 'full';
  }

  /** Puts the slot of `jti` back to `previous` (removing it when undefined). */
  private async restore(sub: string, jti: string, previous: number | undefined): Promise<void> {
    const names = { '#s': SESSIONS, '#j': jti, '#v': VERSION };
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: streamsKey(sub) } },
      UpdateExpression: previous === undefined ? 'REMOVE #s.#j ADD #v :one' : 'SET #s.#j = :p ADD #v :one',
      ConditionExpression: 'attribute_exists(#s)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: previous === undefined ? { ':one': { N: '1' } } : { ':one': { N: '1' }, ':p': { N: String(previous) } },
    });
    await this.dynamo.sendConditional((client, options) => client.send(update, options));
  }

  private async read(sub: string): Promise<{ sessions: Map<string, number>; version: number | undefined }> {
    const output = await this.dynamo.send((client, options) =>
      client.send(new GetItemCommand({ TableName: this.dynamo.tableName, Key: { [PK]: { S: streamsKey(sub) } }, ConsistentRead: true }), options),
    );
    const map = output.Item?.[SESSIONS]?.M ?? {};
    const sessions = new Map(Object.entries(map).map(([jti, value]) => [jti, Number(value.N)]));
    const version = output.Item === undefined ? undefined : Number(output.Item[VERSION]?.N ?? 0);
    return { sessions, version };
  }

  private async write(sub: string, sessions: Map<string, number>, version: number | undefined): Promise<boolean> {
    const map: Record<string, AttributeValue> = Object.fromEntries([...sessions].map(([jti, expiry]) => [jti, { N: String(expiry) }]));
    const put = new PutItemCommand({
      TableName: this.dynamo.tableName,
      Item: {
        [PK]: { S: streamsKey(sub) },
        [SESSIONS]: { M: map },
        [VERSION]: { N: String((version ?? 0) + 1) },
        [TTL]: { N: String(Math.max(...sessions.values())) },
      },
      ConditionExpression: version === undefined ? 'attribute_not_exists(#pk)' : '#v = :v',
      ExpressionAttributeNames: version === undefined ? { '#pk': PK } : { '#v': VERSION },
      ...(version === undefined ? {} : { ExpressionAttributeValues: { ':v': { N: String(version) } } }),
    });
    return this.dynamo.sendConditional((client, options) => client.send(put, options));
  }
}
