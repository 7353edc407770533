/**
 * lambda/store/dynamo-call.ts against a real dynalite table: a conditional write refused by its
 * condition is an outcome carrying the item as it stood (read back only when the server did not
 * return it, and only when asked), never an error; a real failure is StoreUnavailable with the SDK
 * error as its cause (fail closed), on both paths.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StoreUnavailable } from '../../lambda/core/errors';
import { createDynamoClient, DynamoCaller } from '../../lambda/store/dynamo-call';
import { STATE_TABLE } from '../../lambda/store/table-schema';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import { countOperations, type OperationCounter } from '../support/dynamo-operations';

const TABLE = 'dynamo-call';
let dynamo: LocalDynamo;
let counter: OperationCounter;
let caller: DynamoCaller;

beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  counter = await countOperations(dynamo.endpoint);
  caller = callerOf(TABLE, counter.endpoint);
});
afterAll(async () => {
  caller.client.destroy();
  await counter.close();
  await dynamo.stop();
});

function callerOf(table: string, endpoint: string): DynamoCaller {
  return new DynamoCaller(
    createDynamoClient({ tableName: table, endpoint, region: 'us-east-1', timeoutMs: 5000 }),
    table,
    5000,
  );
}

/** Sets `n` on `key`'s item only if it is absent or lower. */
const setIfHigher = (table: string, key: string, value: number) =>
  new UpdateItemCommand({
    TableName: table,
    Key: { [STATE_TABLE.partitionKey]: { S: key } },
    UpdateExpression: 'SET #n = :n',
    ConditionExpression: 'attribute_not_exists(#n) OR #n < :n',
    ExpressionAttributeNames: { '#n': 'n' },
    ExpressionAttributeValues: { ':n': { N: String(value) } },
    ReturnValues: 'ALL_NEW',
  });

test('written: the SDK’s output; refused: the item as it stood, read back once (dynalite returns none)', async () => {
  const key = `usr#${randomUUID()}`;
  counter.reset();
  const written = await caller.conditional((client, options) => client.send(setIfHigher(TABLE, key, 5), options), key);
  expect(written).toMatchObject({ kind: 'written', output: { Attributes: { n: { N: '5' } } } });
  const refused = await caller.conditional((client, options) => client.send(setIfHigher(TABLE, key, 3), options), key);
  expect(refused).toEqual({
    kind: 'condition-failed',
    item: { [STATE_TABLE.partitionKey]: { S: key }, n: { N: '5' } },
  });
  expect(counter.operations).toEqual(['UpdateItem', 'UpdateItem', 'GetItem']);
});

test('refused without a key to read: no read, no item', async () => {
  const key = `usr#${randomUUID()}`;
  await caller.send((client, options) => client.send(setIfHigher(TABLE, key, 5), options));
  counter.reset();
  const refused = await caller.conditional((client, options) => client.send(setIfHigher(TABLE, key, 3), options));
  expect(refused).toEqual({ kind: 'condition-failed', item: undefined });
  expect(counter.operations).toEqual(['UpdateItem']);
});

test('refused with the item returned (as DynamoDB does with ReturnValuesOnConditionCheckFailure): no read', async () => {
  const item = { [STATE_TABLE.partitionKey]: { S: 'usr#x' }, n: { N: '9' } };
  const refusing = new DynamoCaller({} as DynamoDBClient, TABLE, 1000);
  const outcome = await refusing.conditional(async () => {
    throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });
  }, 'usr#x');
  // A read would have gone to the empty client above and failed: the outcome is the returned item.
  expect(outcome).toEqual({ kind: 'condition-failed', item });
});

test('a real failure is StoreUnavailable with the SDK error as its cause, conditional or not', async () => {
  const missing = callerOf('no-such-table', dynamo.endpoint);
  try {
    const write = (client: DynamoDBClient, options: { abortSignal: AbortSignal }) =>
      client.send(setIfHigher('no-such-table', 'usr#x', 1), options);
    for (const attempt of [
      () => missing.conditional(write, 'usr#x'),
      () => missing.send(write),
      () => missing.get('usr#x'),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).cause).toBeInstanceOf(ResourceNotFoundException);
    }
  } finally {
    missing.client.destroy();
  }
});

test('send is for writes without a condition: a refusal there is a failure too (fail closed)', async () => {
  const key = `usr#${randomUUID()}`;
  await caller.send((client, options) => client.send(setIfHigher(TABLE, key, 5), options));
  const error = await caller
    .send((client, options) => client.send(setIfHigher(TABLE, key, 3), options))
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(StoreUnavailable);
  expect((error as StoreUnavailable).cause).toBeInstanceOf(ConditionalCheckFailedException);
});
