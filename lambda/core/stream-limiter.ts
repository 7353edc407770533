/**
 * Concurrent-stream limit per user: at most N playback sessions whose access is unexpired. A
 * session is one token (`jti`): a refresh renews its slot, logging out frees it. The session
 * map is read, pruned of expired entries and written back under an optimistic version check.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoCaller } from './dynamo-call';
import { RevocationUnavailable } from './errors';
import { ABUSE_ATTRIBUTES, REVOCATION_TABLE, streamsKey } from './revocation-schema';

export interface Admission {
  admitted: boolean;
  /** Active sessions after this call (this one included when admitted). */
  active: number;
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
    if (this.maxStreams === 0) return { admitted: true, active: 0 };
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const { sessions, version } = await this.read(sub);
      const active = new Map([...sessions].filter(([, expiry]) => expiry > nowSeconds));
      if (!active.has(jti) && active.size >= this.maxStreams) return { admitted: false, active: active.size };
      active.set(jti, Math.max(until, active.get(jti) ?? 0));
      if (await this.write(sub, active, version)) return { admitted: true, active: active.size };
    }
    // Lost the race every time: the state is unknown, so fail closed like any store failure.
    throw new RevocationUnavailable('concurrent updates to the stream sessions');
  }

  /** Frees the slot of `jti` (logout). */
  async release(sub: string, jti: string): Promise<void> {
    if (this.maxStreams === 0) return;
    const release = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: streamsKey(sub) } },
      UpdateExpression: 'REMOVE #s.#j ADD #v :one',
      ConditionExpression: 'attribute_exists(#s)',
      ExpressionAttributeNames: { '#s': SESSIONS, '#j': jti, '#v': VERSION },
      ExpressionAttributeValues: { ':one': { N: '1' } },
    });
    await this.dynamo.sendConditional((client, options) => client.send(release, options));
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
