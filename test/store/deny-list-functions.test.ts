/**
 * The deployed deny-list functions end to end on loopback: user items written by the real
 * AccessStateStore on a dynalite table, each write's item images read back before and after it
 * (GetItem) and delivered as the table's stream does (NEW_AND_OLD_IMAGES, filtered to writes
 * whose new image carries `denied`), through the stream function (its replicator reads nothing
 * from the table) into a KeyValueStore API served locally; the batch-failure contract; the
 * sweeper; the EMF metrics they print; and the environment they refuse.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type AccessLimits, type PlaybackCall, sessionId, type UserRef } from '../../lambda/core/access-state';
import { ConfigError } from '../../lambda/core/config';
import { grantId, type IssuedGrant } from '../../lambda/core/edge-deny-list';
import { DENY_LIST_METRIC } from '../../lambda/core/metric-names';
import { DenyListRuntime, loadDenyListConfig } from '../../lambda/runtime/deny-list-runtime';
import { AccessStateStore } from '../../lambda/store/access-state-store';
import { createDynamoClient, DynamoCaller, type Item } from '../../lambda/store/dynamo-call';
import { FAIL_ON_HYGIENE_ERROR } from '../support/hygiene';
import { STATE_TABLE, USER_ATTRIBUTES, userKey } from '../../lambda/store/table-schema';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import { LogCapture } from '../support/harness';
import { FakeKvsServer, TEST_KVS_ARN } from '../support/kvs-server';

const TABLE = 'deny-list-functions';
const NOW = Math.floor(Date.now() / 1000);
const TOLERANCE = 30;
const KEEP_UNTIL = NOW + 3600 + 2 * TOLERANCE + 86400;
const REVOKE_UNTIL = NOW + 3600 + 2 * TOLERANCE;
const LIMITS: AccessLimits = {
  rateLimit: 0,
  rateWindowSeconds: 60,
  maxStreams: 0,
  sharing: { maxNetworks: 0, maxCountries: 1, action: 'alert' },
  grantBucketSeconds: 600,
  maxSessionsPerHour: 200,
  maxGrantsPerBucket: 500,
};

let dynamo: LocalDynamo;
let table: DynamoCaller;
/** The API's store; `evicting` ends the oldest session beyond one stream; `counting` has a rate limit. */
let store: AccessStateStore;
let evicting: AccessStateStore;
let counting: AccessStateStore;
let kvs: FakeKvsServer;
let logs: LogCapture;

beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  table = new DynamoCaller(
    createDynamoClient({ tableName: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1', timeoutMs: 5000 }),
    TABLE,
    5000,
  );
  store = new AccessStateStore(table, LIMITS, FAIL_ON_HYGIENE_ERROR);
  evicting = new AccessStateStore(
    table,
    { ...LIMITS, maxStreams: 1, streamLimitPolicy: 'evict-oldest' },
    FAIL_ON_HYGIENE_ERROR,
  );
  counting = new AccessStateStore(table, { ...LIMITS, rateLimit: 100 }, FAIL_ON_HYGIENE_ERROR);
});
afterAll(async () => {
  table.client.destroy();
  await dynamo.stop();
});

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
      EDGE_DENY_LIST_KVS_ARN: TEST_KVS_ARN,
      JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE),
      DENY_LIST_SWEEP_MIN_BYTES: '0',
    },
    logger: logs.logger,
    metrics: logs.metrics,
    now: () => NOW,
    kvsClient: kvs.client(),
    sleep: async () => undefined,
  });

/** A new user per test (the table is shared by the file), and tokens (sessions) of theirs. */
const newUser = (): UserRef => ({ iss: 'https://idp.test.example', sub: `viewer-${randomUUID()}` });
interface Token {
  user: UserRef;
  session: string;
  iat: number;
}
const token = (user: UserRef, iat = NOW - 60): Token => ({
  user,
  session: sessionId({ ...user, jti: randomUUID() }),
  iat,
});
/** A grant as the API issues it: the id of its signed policy (random bytes stand in for one: the store sees only ids). */
const grant = (expiresAt: number): IssuedGrant => ({ id: grantId(randomBytes(64).toString('base64')), expiresAt });

function playback(t: Token, grants: IssuedGrant[], slotUntil = NOW + 300): PlaybackCall {
  return {
    user: t.user,
    session: t.session,
    iat: t.iat,
    nowSeconds: NOW,
    counted: true,
    keepUntil: KEEP_UNTIL,
    presentation: { network: '198.51.100.0/24' },
    sessionKeepUntil: t.iat + 3600 + TOLERANCE,
    slotUntil,
    grants,
    revokeUntil: REVOKE_UNTIL,
  };
}

let sequence = 100;
/** One write as the table's stream records it: the user item's images just before and just after. */
async function change(user: UserRef, write: () => Promise<unknown>): Promise<DynamoDBRecord> {
  const key = userKey(user);
  const before = await table.get(key);
  await write();
  return record(key, before, await table.get(key));
}
function record(key: string, oldImage: Item | undefined, newImage: Item | undefined): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `e${sequence}`,
    eventName: oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY',
    dynamodb: {
      Keys: { [STATE_TABLE.partitionKey]: { S: key } },
      OldImage: oldImage as never,
      NewImage: newImage as never,
      SequenceNumber: String(sequence),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
/** The event source mapping's filter: only writes whose new image carries `denied` reach the function. */
const passesFilter = (r: DynamoDBRecord): boolean => r.dynamodb?.NewImage?.[USER_ATTRIBUTES.denied]?.N !== undefined;
const streamed = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records.filter(passesFilter) });
const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

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
  test('a session revoked by jti: its still-valid grants reach the KeyValueStore, expiry + tolerance; not the other session’s', async () => {
    const user = newUser();
    const [revoked, other] = [token(user), token(user)];
    const [live, expired, others] = [grant(NOW + 120), grant(NOW - 100), grant(NOW + 120)];
    const played = [
      await change(user, () => store.authorize(playback(revoked, [live, expired]))),
      await change(user, () => store.authorize(playback(other, [others]))),
    ];
    const revocation = await change(user, () =>
      store.revokeSession(user, revoked.session, NOW, REVOKE_UNTIL, KEEP_UNTIL),
    );
    // Playback writes are not revocations: the filter keeps them from the function.
    expect(played.map(passesFilter)).toEqual([false, false]);
    expect(passesFilter(revocation)).toBe(true);

    const response = await runtime().onStreamBatch(streamed(...played, revocation));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(Object.fromEntries(kvs.entries)).toEqual({ [live.id]: `revoked ${NOW + 120 + TOLERANCE}` });
    expect(metricSums()).toMatchObject({ [DENY_LIST_METRIC.entriesWritten]: 1 });
  });

  test('logout: the session’s grants are denied as revoked', async () => {
    const user = newUser();
    const t = token(user);
    const issued = grant(NOW + 300);
    await store.authorize(playback(t, [issued]));
    const logout = await change(user, () =>
      store.logout({
        user,
        session: t.session,
        iat: t.iat,
        nowSeconds: NOW,
        counted: true,
        keepUntil: KEEP_UNTIL,
        sessionKeepUntil: t.iat + 3600 + TOLERANCE,
      }),
    );
    expect(await runtime().onStreamBatch(streamed(logout))).toEqual({ batchItemFailures: [] });
    expect(Object.fromEntries(kvs.entries)).toEqual({ [issued.id]: `revoked ${NOW + 300 + TOLERANCE}` });
  });

  test("a user's cut-off raised: the sessions issued before it are denied; not those issued after, nor other users'", async () => {
    const [user, otherUser] = [newUser(), newUser()];
    const [early, late, otherUsers] = [token(user, NOW - 600), token(user, NOW - 10), token(otherUser, NOW - 600)];
    const [earlyLive, earlyExpired, lateGrant, otherGrant] = [
      grant(NOW + 120),
      grant(NOW - 100),
      grant(NOW + 120),
      grant(NOW + 120),
    ];
    await store.authorize(playback(early, [earlyLive, earlyExpired]));
    await store.authorize(playback(late, [lateGrant]));
    await store.authorize(playback(otherUsers, [otherGrant]));
    const cutoff = await change(user, () => store.revokeUser(user, NOW - 60, NOW, KEEP_UNTIL));

    expect((await runtime().onStreamBatch(streamed(cutoff))).batchItemFailures).toEqual([]);
    expect(Object.fromEntries(kvs.entries)).toEqual({ [earlyLive.id]: `revoked ${NOW + 120 + TOLERANCE}` });
    // The same cut-off again: refused by the store (no write), so nothing streams.
    const again = await change(user, () => store.revokeUser(user, NOW - 60, NOW, KEEP_UNTIL));
    expect(again.dynamodb?.NewImage).toEqual(again.dynamodb?.OldImage);
  });

  test('evict-oldest: the ended session’s grants are denied with reason `ended`, from the one write that admitted the new one', async () => {
    const user = newUser();
    const [oldest, newest] = [token(user), token(user)];
    const [oldGrant, newGrant] = [grant(NOW + 200), grant(NOW + 300)];
    await evicting.authorize(playback(oldest, [oldGrant], NOW + 200));
    let verdict: unknown;
    const eviction = await change(user, async () => {
      verdict = await evicting.authorize(playback(newest, [newGrant]));
    });
    expect(verdict).toEqual({ outcome: 'admitted', evicted: oldest.session });
    expect(passesFilter(eviction)).toBe(true);

    expect(await runtime().onStreamBatch(streamed(eviction))).toEqual({ batchItemFailures: [] });
    expect(Object.fromEntries(kvs.entries)).toEqual({ [oldGrant.id]: `ended ${NOW + 200 + TOLERANCE}` });
  });

  test('a write that keeps failing: the record is reported, later ones wait, and the failure is counted', async () => {
    const [evicted, revoked] = [newUser(), newUser()];
    const [oldest, newest, target] = [token(evicted), token(evicted), token(revoked)];
    const [endedGrant, revokedGrant] = [grant(NOW + 60), grant(NOW + 60)];
    await evicting.authorize(playback(oldest, [endedGrant], NOW + 60));
    const first = await change(evicted, () => evicting.authorize(playback(newest, [grant(NOW + 300)])));
    await store.authorize(playback(target, [revokedGrant]));
    const second = await change(revoked, () =>
      store.revokeSession(revoked, target.session, NOW, REVOKE_UNTIL, KEEP_UNTIL),
    );

    for (let index = 0; index < 20; index += 1) kvs.failures.push({ status: 503, errorType: 'ServiceUnavailable' });
    const response = await runtime().onStreamBatch(streamed(first, second));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: first.dynamodb?.SequenceNumber }]);
    expect(kvs.entries.size).toBe(0);
    // Only the first record was tried (8 attempts, the writer's bound), the second waits for the retry.
    expect(kvs.requests.filter((r) => r.method === 'POST')).toHaveLength(8);
    expect(metricSums()).toMatchObject({ [DENY_LIST_METRIC.writesFailed]: 1, [DENY_LIST_METRIC.entriesWritten]: 0 });
    expect(logs.text()).toMatch(/deny-list write failed/);

    // Lambda's retry from the reported record, once the store answers again.
    kvs.failures.length = 0;
    expect(await runtime().onStreamBatch(streamed(first, second))).toEqual({ batchItemFailures: [] });
    expect(Object.fromEntries(kvs.entries)).toEqual({
      [endedGrant.id]: `ended ${NOW + 60 + TOLERANCE}`,
      [revokedGrant.id]: `revoked ${NOW + 60 + TOLERANCE}`,
    });
  });

  test('changes that deny nothing (a new session, a rate counter, the write after a revocation, a TTL delete) write nothing', async () => {
    const user = newUser();
    const [t, revoked] = [token(user), token(user)];
    const created = await change(user, () => counting.authorize(playback(t, [grant(NOW + 60)])));
    const counted = await change(user, () =>
      counting.admit({ user, session: t.session, iat: t.iat, nowSeconds: NOW, counted: true, keepUntil: KEEP_UNTIL }),
    );
    await counting.revokeSession(user, revoked.session, NOW, REVOKE_UNTIL, KEEP_UNTIL);
    const afterRevocation = await change(user, () => counting.authorize(playback(t, [grant(NOW + 60)])));
    const deleted = record(userKey(user), afterRevocation.dynamodb?.NewImage as Item, undefined);
    expect([created, counted, afterRevocation, deleted].map(passesFilter)).toEqual([false, false, false, false]);

    // Delivered anyway (an unfiltered mapping): the function still denies nothing.
    const response = await runtime().onStreamBatch(batch(created, counted, afterRevocation, deleted));
    expect(response.batchItemFailures).toEqual([]);
    expect(kvs.requests).toEqual([]);
  });
});

describe('sweeper', () => {
  const id = (n: number): string => `g${String(n).padStart(21, '0')}`;
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
  const base = { EDGE_DENY_LIST_KVS_ARN: TEST_KVS_ARN };
  test.each([
    [{ EDGE_DENY_LIST_KVS_ARN: undefined }, 'EDGE_DENY_LIST_KVS_ARN'],
    [{ EDGE_DENY_LIST_KVS_ARN: 'arn:aws:cloudfront::123456789012:distribution/E1' }, 'EDGE_DENY_LIST_KVS_ARN'],
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

  test('defaults: 30 s tolerance, sweep from 1 MB; no table to name (the stream carries the images)', () => {
    expect(loadDenyListConfig(base)).toEqual({ kvsArn: TEST_KVS_ARN, toleranceSeconds: 30, sweepMinBytes: 1_000_000 });
  });
});
