/**
 * The deployed deny-list functions end to end on loopback: stream records of the state table
 * (as Lambda delivers them) through the replicator, reading a real dynalite table with the
 * `byUser` index, into a KeyValueStore API served locally; the batch-failure contract; the
 * sweeper; the EMF metrics they print; and the environment they refuse.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { ConfigError } from '../../lambda/core/config';
import { DENY_LIST_METRIC } from '../../lambda/core/metric-names';
import { DenyListRuntime, loadDenyListConfig } from '../../lambda/runtime/deny-list-runtime';
import type { Item } from '../../lambda/store/dynamo-call';
import { BY_USER_INDEX, STATE_TABLE } from '../../lambda/store/table-schema';
import { type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import { LogCapture } from '../support/harness';
import { FakeKvsServer, TEST_KVS_ARN } from '../support/kvs-server';

const TABLE = 'deny-list-functions';
const NOW = 1_800_000_000;
const id = (n: number): string => `g${String(n).padStart(21, '0')}`;

let dynamo: LocalDynamo;
let kvs: FakeKvsServer;
let logs: LogCapture;

beforeAll(async () => {
  dynamo = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: BY_USER_INDEX.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_USER_INDEX.name,
          KeySchema: [{ AttributeName: BY_USER_INDEX.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // Two sessions of user u1 (one issued before the cut-off), one of u2.
  const sessions: [string, string, number, string[]][] = [
    ['tok#s1', 'u1', NOW - 600, [`${NOW + 120}.${id(11)}`, `${NOW - 100}.${id(12)}`]],
    ['tok#s2', 'u1', NOW - 10, [`${NOW + 120}.${id(21)}`]],
    ['tok#s3', 'u2', NOW - 600, [`${NOW + 120}.${id(31)}`]],
  ];
  for (const [pk, user, iat, grants] of sessions) {
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: pk }, user: { S: user }, iat: { N: String(iat) }, grants: { SS: grants } },
      }),
    );
  }
  client.destroy();
});
afterAll(() => dynamo.stop());

beforeEach(async () => {
  kvs = new FakeKvsServer();
  await kvs.start();
  logs = new LogCapture();
});
afterEach(async () => {
  logs.stop();
  await kvs.stop();
});

const runtime = (): DenyListRuntime =>
  new DenyListRuntime({
    env: {
      REVOCATION_TABLE_NAME: TABLE,
      EDGE_DENY_LIST_KVS_ARN: TEST_KVS_ARN,
      JWT_CLOCK_TOLERANCE_SECONDS: '30',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DENY_LIST_SWEEP_MIN_BYTES: '0',
    },
    logger: logs.logger,
    now: () => NOW,
    kvsClient: kvs.client(),
    sleep: async () => undefined,
  });

let sequence = 100;
function record(pk: string, oldImage: Item | undefined, newImage: Item | undefined): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `e${sequence}`,
    eventName: oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY',
    dynamodb: {
      Keys: { pk: { S: pk } },
      OldImage: oldImage as never,
      NewImage: newImage as never,
      SequenceNumber: String(sequence),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
const session = (grants: string[], extra: Item = {}): Item => ({ grants: { SS: grants }, ...extra });

/** Sums of each metric over the EMF documents printed. */
function metricSums(): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const doc of logs.records()) {
    const directives = (doc._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined)
      ?.CloudWatchMetrics;
    for (const metric of directives?.flatMap((directive) => directive.Metrics) ?? [])
      sums[metric.Name] = (sums[metric.Name] ?? 0) + Number(doc[metric.Name]);
  }
  return sums;
}

describe('stream consumer', () => {
  test('a session revoked in the table: its still-valid grants reach the KeyValueStore, expiry + tolerance', async () => {
    const grants = [`${NOW + 120}.${id(1)}`, `${NOW - 100}.${id(2)}`];
    const response = await runtime().onStreamBatch(
      batch(
        record('tok#a', undefined, session(grants)),
        record('tok#a', session(grants), session(grants, { revokedAt: { N: String(NOW) } })),
      ),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(Object.fromEntries(kvs.entries)).toEqual({ [id(1)]: `revoked ${NOW + 150}` });
    expect(metricSums()).toMatchObject({ [DENY_LIST_METRIC.entriesWritten]: 1 });
  });

  test("a user's cut-off raised: the sessions issued before it, found through byUser, are denied; not the others", async () => {
    const response = await runtime().onStreamBatch(
      batch(record('usr#u1', { revokedBefore: { N: '0' } }, { revokedBefore: { N: String(NOW - 60) } })),
    );
    expect(response.batchItemFailures).toEqual([]);
    // s1 (iat before the cut-off): its live grant; s2 (issued after) and u2's s3 untouched.
    expect(Object.fromEntries(kvs.entries)).toEqual({ [id(11)]: `revoked ${NOW + 150}` });
  });

  test('a write that keeps failing: the record is reported, later ones wait, and the failure is counted', async () => {
    for (let index = 0; index < 20; index += 1) kvs.failures.push({ status: 503, errorType: 'ServiceUnavailable' });
    const first = record('tok#b', undefined, session([`${NOW + 60}.${id(3)}`], { endedAt: { N: String(NOW) } }));
    const second = record('tok#c', undefined, session([`${NOW + 60}.${id(4)}`], { revokedAt: { N: String(NOW) } }));
    const response = await runtime().onStreamBatch(batch(first, second));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: first.dynamodb?.SequenceNumber }]);
    expect(kvs.entries.size).toBe(0);
    // Only the first record was tried (8 attempts, the writer's bound), the second waits for the retry.
    expect(kvs.requests.filter((r) => r.method === 'POST')).toHaveLength(8);
    expect(metricSums()).toMatchObject({ [DENY_LIST_METRIC.writesFailed]: 1, [DENY_LIST_METRIC.entriesWritten]: 0 });
    expect(logs.text()).toMatch(/deny-list write failed/);

    // Lambda's retry from the reported record, once the store answers again.
    kvs.failures.length = 0;
    expect(await runtime().onStreamBatch(batch(first, second))).toEqual({ batchItemFailures: [] });
    expect(Object.fromEntries(kvs.entries)).toEqual({
      [id(3)]: `ended ${NOW + 90}`,
      [id(4)]: `revoked ${NOW + 90}`,
    });
  });

  test('changes that deny nothing (a new session, a rate counter, a TTL delete) write nothing', async () => {
    const response = await runtime().onStreamBatch(
      batch(
        record('tok#d', undefined, session([`${NOW + 60}.${id(5)}`])),
        record('usr#u2', { r_1: { N: '1' } }, { r_1: { N: '2' } }),
        record('tok#e', session([`${NOW + 60}.${id(6)}`], { revokedAt: { N: '1' } }), undefined),
      ),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(kvs.requests).toEqual([]);
  });
});

describe('sweeper', () => {
  test('deletes expired entries, keeps live ones, reports the store size', async () => {
    kvs.entries.set(id(7), `revoked ${NOW - 1}`);
    kvs.entries.set(id(8), `ended ${NOW + 100}`);
    const report = await runtime().sweep();
    expect(report).toMatchObject({ scanned: 2, deleted: 1, storeItems: 1 });
    expect([...kvs.entries.keys()]).toEqual([id(8)]);
    expect(metricSums()).toMatchObject({
      [DENY_LIST_METRIC.entriesSwept]: 1,
      [DENY_LIST_METRIC.storeBytes]: id(8).length + `ended ${NOW + 100}`.length,
    });
  });
});

describe('environment', () => {
  const base = { REVOCATION_TABLE_NAME: TABLE, EDGE_DENY_LIST_KVS_ARN: TEST_KVS_ARN };
  test.each([
    [{ EDGE_DENY_LIST_KVS_ARN: undefined }, 'EDGE_DENY_LIST_KVS_ARN'],
    [{ EDGE_DENY_LIST_KVS_ARN: 'arn:aws:cloudfront::123456789012:distribution/E1' }, 'EDGE_DENY_LIST_KVS_ARN'],
    [{ REVOCATION_TABLE_NAME: '' }, 'REVOCATION_TABLE_NAME'],
    [{ JWT_CLOCK_TOLERANCE_SECONDS: '301' }, 'JWT_CLOCK_TOLERANCE_SECONDS'],
    [{ DENY_LIST_SWEEP_MIN_BYTES: '6000000' }, 'DENY_LIST_SWEEP_MIN_BYTES'],
  ])('%j is refused, naming %s', (override, variable) => {
    const error = (() => {
      try {
        loadDenyListConfig({ ...base, ...override });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });

  test('defaults: 30 s tolerance, 1 s per DynamoDB call, sweep from 1 MB', () => {
    expect(loadDenyListConfig(base)).toMatchObject({ toleranceSeconds: 30, timeoutMs: 1000, sweepMinBytes: 1_000_000 });
  });
});
