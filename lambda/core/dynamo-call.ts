/**
 * One way to call DynamoDB for every store on the table: a per-call deadline, and any failure
 * turned into StoreUnavailable so callers fail closed (nothing is signed on an unknown state).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RevocationUnavailable } from './errors';

export class DynamoCaller {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs one SDK call under the deadline; failure or timeout throws RevocationUnavailable with the SDK error as cause. */
  async send<T>(call: (client: DynamoDBClient, options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await call(this.client, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const failure = new RevocationUnavailable(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      failure.cause = error;
      throw failure;
    }
  }

  /** Like send, but a failed condition is an answer (false), not an error. */
  async sendConditional(call: (client: DynamoDBClient, options: { abortSignal: AbortSignal }) => Promise<unknown>): Promise<boolean> {
    try {
      await this.send(call);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof RevocationUnavailable && error.cause instanceof ConditionalCheckFailedException;
}
