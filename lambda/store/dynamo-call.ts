/**
 * One way to call DynamoDB for every store on the table: a per-call deadline, and any failure
 * turned into StoreUnavailable so callers fail closed (nothing is signed on an unknown state). A
 * conditional write refused by its condition is not a failure: `conditional` answers it as an
 * outcome, with the item that explains it.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { StoreConfig } from '../core/config';
import { StoreUnavailable } from '../core/errors';
import { STATE_TABLE } from './table-schema';

export type Item = Record<string, AttributeValue>;

/**
 * A conditional write's answer: written (with what the SDK returned), or refused by its condition
 * with the item as it stood. A refusal is an answer about the item, not a failure of the store.
 */
export type WriteOutcome<T> = { kind: 'written'; output: T } | { kind: 'condition-failed'; item: Item | undefined };

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

type Call<T> = (client: DynamoDBClient, options: { abortSignal: AbortSignal }) => Promise<T>;

export class DynamoCaller {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs one SDK call under the deadline; failure or timeout throws StoreUnavailable with the SDK error as cause. */
  async send<T>(call: Call<T>): Promise<T> {
    try {
      return await this.run(call);
    } catch (error) {
      throw unavailable(error);
    }
  }

  /**
   * A conditional write. Refused by its condition, it answers the item as it stood: DynamoDB
   * returns it with the refusal (ReturnValuesOnConditionCheckFailure = ALL_OLD) at no extra cost;
   * a server that does not (dynalite) costs one consistent read of `key` (none without a key).
   * Any other failure throws StoreUnavailable, as send.
   */
  async conditional<T>(call: Call<T>, key?: string): Promise<WriteOutcome<T>> {
    let output: T;
    try {
      output = await this.run(call);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
      if (error.Item !== undefined || key === undefined) return { kind: 'condition-failed', item: error.Item };
      return { kind: 'condition-failed', item: await this.get(key) };
    }
    return { kind: 'written', output };
  }

  /** A strongly consistent read of one item. */
  async get(key: string): Promise<Item | undefined> {
    const output = await this.send((client, options) =>
      client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [STATE_TABLE.partitionKey]: { S: key } },
          ConsistentRead: true,
        }),
        options,
      ),
    );
    return output.Item;
  }

  private run<T>(call: Call<T>): Promise<T> {
    return call(this.client, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
  }
}

/** The store-unavailable error for a failed SDK call, keeping the SDK error as its cause. */
function unavailable(error: unknown): StoreUnavailable {
  return new StoreUnavailable(error instanceof Error ? `${error.name}: ${error.message}` : String(error), {
    cause: error,
  });
}

export function numberOf(item: Item | undefined, attribute: string): number | undefined {
  const raw = item?.[attribute]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
