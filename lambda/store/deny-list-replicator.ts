/**
 * Carries revocations from the source of truth (the state table) to the edge's deny-list. Fed
 * one changed item at a time, with its image before and after the change: by the table's
 * DynamoDB stream (NEW_AND_OLD_IMAGES) when deployed, by the local replicator in local mode.
 *
 * - a token (session) item that became revoked or ended: deny its grants still valid;
 * - a user item whose cut-off rose: find the user's sessions through the `byUser` index and
 *   deny the still-valid grants of every session issued before the cut-off.
 * A failure throws: the stream retries the batch (and alarms when it gives up), so no
 * revocation is lost; the puts are idempotent, so a retry is harmless.
 */
import { BatchGetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  denyEntries,
  newlyDenied,
  parseGrantRecord,
  raisedCutoff,
  type DenyEntry,
  type DenyListWriter,
  type IssuedGrant,
  type SessionSnapshot,
} from '../core/edge-deny-list';
import { numberOf, type DynamoCaller, type Item } from './dynamo-call';
import { BY_USER_INDEX, STATE_TABLE, TOKEN_ATTRIBUTES, USER_ATTRIBUTES } from './table-schema';

const { partitionKey: PK } = STATE_TABLE;
/** BatchGetItem's limit per request. */
const BATCH_GET_LIMIT = 100;

export interface ReplicatorOptions {
  /** Added to every grant's expiry: CloudFront's clock may run behind ours. */
  toleranceSeconds: number;
  now: () => number;
}

export class DenyListReplicator {
  constructor(
    private readonly dynamo: DynamoCaller,
    private readonly writer: DenyListWriter,
    private readonly options: ReplicatorOptions,
  ) {}

  /** One changed item (either image may be missing: created, or deleted by TTL). Answers what it denied. */
  async onChange(key: string, before: Item | undefined, after: Item | undefined): Promise<DenyEntry[]> {
    if (after === undefined) return [];
    const entries = key.startsWith('tok#')
      ? this.sessionEntries(before, after)
      : key.startsWith('usr#')
        ? await this.userEntries(key.slice(4), before, after)
        : [];
    if (entries.length > 0) await this.writer.put(entries);
    return entries;
  }

  private sessionEntries(before: Item | undefined, after: Item): DenyEntry[] {
    const reason = newlyDenied(before === undefined ? undefined : sessionSnapshot(before), sessionSnapshot(after));
    if (reason === undefined) return [];
    return denyEntries(sessionSnapshot(after).grants, reason, this.options.now(), this.options.toleranceSeconds);
  }

  private async userEntries(userId: string, before: Item | undefined, after: Item): Promise<DenyEntry[]> {
    const cutoff = raisedCutoff(userCutoff(before), userCutoff(after) ?? {});
    if (cutoff === undefined) return [];
    const grants: IssuedGrant[] = [];
    for (const session of await this.sessionsOf(userId)) {
      const iat = numberOf(session, TOKEN_ATTRIBUTES.iat);
      if (iat !== undefined && iat < cutoff) grants.push(...sessionSnapshot(session).grants);
    }
    return denyEntries(grants, 'revoked', this.options.now(), this.options.toleranceSeconds);
  }

  /** Every session item of the user: keys from the index, items read consistently from the table. */
  private async sessionsOf(userId: string): Promise<Item[]> {
    const keys: string[] = [];
    let start: Item | undefined;
    do {
      const page = await this.dynamo.send((client, options) =>
        client.send(
          new QueryCommand({
            TableName: this.dynamo.tableName,
            IndexName: BY_USER_INDEX.name,
            KeyConditionExpression: '#u = :u',
            ExpressionAttributeNames: { '#u': BY_USER_INDEX.partitionKey },
            ExpressionAttributeValues: { ':u': { S: userId } },
            ExclusiveStartKey: start,
          }),
          options,
        ),
      );
      for (const item of page.Items ?? []) if (item[PK]?.S !== undefined) keys.push(item[PK].S);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    const items: Item[] = [];
    for (let index = 0; index < keys.length; index += BATCH_GET_LIMIT) {
      let pending: Item[] = keys.slice(index, index + BATCH_GET_LIMIT).map((key) => ({ [PK]: { S: key } }));
      while (pending.length > 0) {
        const batch = pending;
        const output = await this.dynamo.send((client, options) =>
          client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.dynamo.tableName]: { Keys: batch, ConsistentRead: true } },
            }),
            options,
          ),
        );
        items.push(...(output.Responses?.[this.dynamo.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.dynamo.tableName]?.Keys ?? [];
      }
    }
    return items;
  }
}

export function sessionSnapshot(item: Item): SessionSnapshot {
  const grants = (item[TOKEN_ATTRIBUTES.grants]?.SS ?? [])
    .map(parseGrantRecord)
    .filter((grant): grant is IssuedGrant => grant !== undefined);
  return {
    revokedAt: numberOf(item, TOKEN_ATTRIBUTES.revokedAt),
    endedAt: numberOf(item, TOKEN_ATTRIBUTES.endedAt),
    grants,
  };
}

function userCutoff(item: Item | undefined): { revokedBefore?: number } | undefined {
  return item === undefined ? undefined : { revokedBefore: numberOf(item, USER_ATTRIBUTES.revokedBefore) };
}
