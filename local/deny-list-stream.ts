/**
 * Local mode's stand-in for the state table's DynamoDB stream (dynalite has none): a middleware
 * on the API's DynamoDB client that, after every write that revokes or ends something (it sets
 * `denied`, the attribute the deployed stream is filtered on, and its condition held), reads the
 * item back and hands it to the same DenyListReplicator the deployed stream Lambda runs, which
 * writes the local KeyValueStore.
 *
 * Unlike the deployed stream it runs before the API answers, so locally a revocation reaches the
 * edge within the revocation call itself; a failure is logged and retried, never surfaced to the
 * caller (the revocation itself is stored: a retry of the call would find nothing left to write).
 *
 * The local store lives in memory, so at start `rebuildDenyList` hands every user item in the
 * table to the same replicator as if just created: the entries it answers are exactly those the
 * stream wrote for revocations whose grants are still valid, so a restart forgets none.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBClient, paginateScan, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { DenyEntry, DenyListWriter } from '../lambda/core/edge-deny-list';
import { DenyListReplicator } from '../lambda/store/deny-list-replicator';
import { createDynamoClient, DynamoCaller } from '../lambda/store/dynamo-call';
import { STATE_TABLE, USER_ATTRIBUTES } from '../lambda/store/table-schema';

const RETRIES = 5;

export interface DenyListStreamOptions {
  endpoint: string;
  tableName: string;
  writer: DenyListWriter;
  toleranceSeconds: number;
  logger?: Logger;
}

function replication(options: DenyListStreamOptions): { dynamo: DynamoCaller; replicator: DenyListReplicator } {
  const dynamo = new DynamoCaller(
    createDynamoClient({
      tableName: options.tableName,
      endpoint: options.endpoint,
      region: 'us-east-1',
      timeoutMs: 5000,
    }),
    options.tableName,
    5000,
  );
  const replicator = new DenyListReplicator(options.writer, {
    toleranceSeconds: options.toleranceSeconds,
    now: () => Math.floor(Date.now() / 1000),
  });
  return { dynamo, replicator };
}

/**
 * Writes the entries every user item in the table calls for (its revoked and ended sessions'
 * grants, and those issued before its cut-off, still valid), and answers them. A failure throws:
 * the stack must not serve with a deny-list it could not rebuild.
 */
export async function rebuildDenyList(options: DenyListStreamOptions): Promise<DenyEntry[]> {
  const { dynamo, replicator } = replication(options);
  const written: DenyEntry[] = [];
  // Every item: the replicator itself skips those that are not a user's.
  const pages = paginateScan({ client: dynamo.client }, { TableName: options.tableName, ConsistentRead: true });
  for await (const page of pages)
    for (const item of page.Items ?? []) {
      const key = item[STATE_TABLE.partitionKey]?.S;
      if (key !== undefined) written.push(...(await replicator.onChange(key, undefined, item)));
    }
  return written;
}

/** Attaches the replication to `client` (the API's). */
export function attachDenyListStream(client: DynamoDBClient, options: DenyListStreamOptions): void {
  const { dynamo, replicator } = replication(options);
  const replicate = async (key: string): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await replicator.onChange(key, undefined, await dynamo.get(key));
        return;
      } catch (error) {
        options.logger?.error('deny-list replication failed', {
          attempt,
          error: error instanceof Error ? error.message : String(error),
        });
        if (attempt >= RETRIES) return;
        await new Promise((done) => setTimeout(done, 100 * 2 ** attempt));
      }
    }
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as Partial<UpdateItemCommandInput>;
      const key = input.Key?.[STATE_TABLE.partitionKey]?.S;
      if (context.commandName === 'UpdateItemCommand' && key !== undefined && revokes(input)) {
        await replicate(key);
      }
      return result;
    },
    { step: 'initialize', name: 'streamgateLocalDenyListStream' },
  );
}

/** Whether the write SETs `denied` (the expression names it through a placeholder). */
function revokes(input: Partial<UpdateItemCommandInput>): boolean {
  const expression = input.UpdateExpression ?? '';
  return Object.entries(input.ExpressionAttributeNames ?? {}).some(
    ([placeholder, name]) =>
      name === USER_ATTRIBUTES.denied &&
      new RegExp(`(?:^|[\\s,])${placeholder.replace(/[^#\w]/g, '')}\\s*=`).test(expression),
  );
}
