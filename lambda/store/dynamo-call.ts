/**
 * One way to call DynamoDB for every store on the table: a per-call deadline, and any failure
 * turned into StoreUnavailable so callers fail closed (nothing is signed on an unknown state).
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

/** A conditional write's answer: written (with what the SDK returned), or refused with the item as it was. */
export type ConditionalOutcome<T> = { written: true; output: T } | { written: false; item: Item | undefined };

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
      return await call(this.client, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new StoreUnavailable(error instanceof Error ? `${error.name}: ${error.message}` : String(error), {
        cause: error,
      });
    }
  }

  /** Like send, but a failed condition is an answer (false), not an error. */
  async sendConditional(call: Call<unknown>): Promise<boolean> {
    return (await this.attempt(call)).written;
  }

  /**
   * A conditional write that, when refused, answers the item as it stood: DynamoDB returns it with
   * the refusal (ReturnValuesOnConditionCheckFailure = ALL_OLD) at no extra cost; a server that
   * does not (dynalite) costs one consistent read.
   */
  async attempt<T>(call: Call<T>, key?: string): Promise<ConditionalOutcome<T>> {
    try {
      return { written: true, output: await this.send(call) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const refusal = (error as StoreUnavailable).cause as ConditionalCheckFailedException;
      if (refusal.Item !== undefined || key === undefined) return { written: false, item: refusal.Item };
      return { written: false, item: await this.get(key) };
    }
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
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof StoreUnavailable && error.cause instanceof ConditionalCheckFailedException;
}

export function numberOf(item: Item | undefined, attribute: string): number | undefined {
  const raw = item?.[attribute]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
