/**
 * lambda/store/item-hygiene.ts: what on a user item is dead weight, its billed size, when a prune
 * pays and what it removes; and, against a real dynalite table behind a proxy that throttles the
 * prune write, that a failed prune never fails the viewer's call, is logged without a key or id
 * and counted as StatePruneFailed (EMF through Powertools, as deployed), and that the next call
 * prunes again.
 */
import { randomUUID } from 'node:crypto';
import { type AccessLimits, type PlaybackCall, sessionId, type UserRef } from '../../lambda/core/access-state';
import { EmfSignals, METRIC } from '../../lambda/core/metrics';
import { AccessStateStore } from '../../lambda/store/access-state-store';
import { createDynamoClient, DynamoCaller, type Item } from '../../lambda/store/dynamo-call';
import {
  closedRentalsPlan,
  deadWeight,
  itemBytes,
  loggedAndCounted,
  PRUNE_BATCH,
  PRUNE_FAILED_MESSAGE,
  prunePlan,
  pruningPays,
  WRITE_UNIT_BYTES,
} from '../../lambda/store/item-hygiene';
import {
  grantsAttribute,
  rateAttribute,
  rentalAttribute,
  sessionAttribute,
  sessionsSeenAttribute,
  USER_ATTRIBUTES,
  userKey,
} from '../../lambda/store/table-schema';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import { countOperations } from '../support/dynamo-operations';
import { LogCapture } from '../support/harness';

const NOW = Math.floor(Date.now() / 1000);
const HOUR = 3600;
const LIMITS: AccessLimits = {
  rateLimit: 1000,
  rateWindowSeconds: 60,
  maxStreams: 20,
  streamLimitPolicy: 'reject-newest',
  sharing: { maxNetworks: 3, maxCountries: 2, action: 'alert' },
  grantBucketSeconds: 600,
  maxSessionsPerHour: 200,
  maxGrantsPerBucket: 500,
};
const session = (n: number): string => `S${String(n).padStart(21, '0')}`;
const sorted = (values: readonly string[]): string[] => [...values].sort();

describe('dead weight', () => {
  test('a session is dead once every time it carries has passed; its slot goes with it, a live one stays', () => {
    const dead = session(1);
    const live = session(2);
    const item: Item = {
      [sessionAttribute('keepUntil', dead)]: { N: String(NOW - 10) },
      [sessionAttribute('slot', dead)]: { N: String(NOW - 100) },
      [sessionAttribute('networks', dead)]: { SS: ['198.51.100.0/24'] },
      [sessionAttribute('keepUntil', live)]: { N: String(NOW + 10) },
      [sessionAttribute('slot', live)]: { N: String(NOW - 100) },
      [USER_ATTRIBUTES.sessions]: { SS: [dead, live] },
    };
    const weight = deadWeight(item, NOW, LIMITS);
    expect(sorted(weight.attributes)).toEqual(
      sorted([sessionAttribute('keepUntil', dead), sessionAttribute('slot', dead), sessionAttribute('networks', dead)]),
    );
    expect(weight.slots).toEqual([dead]);
    // Names plus values: "k_"+22 and 10 digits, "e_"+22 and 10 digits, "n_"+22 and the network, the slot member.
    expect(weight.bytes).toBe(24 + 10 + 24 + 10 + 24 + '198.51.100.0/24'.length + 22);
  });

  test('a revocation or end mark keeps its session alive until it runs out', () => {
    for (const mark of ['revoked', 'ended'] as const) {
      const s = session(3);
      const item: Item = {
        [sessionAttribute('keepUntil', s)]: { N: String(NOW - 10) },
        [sessionAttribute(mark, s)]: { N: String(NOW + 10) },
      };
      expect(deadWeight(item, NOW, LIMITS).attributes).toEqual([]);
      expect(sorted(deadWeight(item, NOW + 11, LIMITS).attributes)).toEqual(sorted(Object.keys(item)));
    }
  });

  test('grant buckets two widths past, rate counters two windows past and hour sets past their hour are dead', () => {
    const bucket = NOW - (NOW % LIMITS.grantBucketSeconds);
    const window = NOW - (NOW % LIMITS.rateWindowSeconds);
    const hour = NOW - (NOW % HOUR);
    const item: Item = {
      [grantsAttribute(bucket - 3 * LIMITS.grantBucketSeconds)]: { SS: ['a'] },
      [grantsAttribute(bucket)]: { SS: ['b'] },
      [rateAttribute(window - 3 * LIMITS.rateWindowSeconds)]: { N: '1' },
      [rateAttribute(window)]: { N: '1' },
      [sessionsSeenAttribute(hour - HOUR)]: { SS: [session(4)] },
      [sessionsSeenAttribute(hour)]: { SS: [session(5)] },
    };
    expect(sorted(deadWeight(item, NOW, LIMITS).attributes)).toEqual(
      sorted([
        grantsAttribute(bucket - 3 * LIMITS.grantBucketSeconds),
        rateAttribute(window - 3 * LIMITS.rateWindowSeconds),
        sessionsSeenAttribute(hour - HOUR),
      ]),
    );
    expect(deadWeight(undefined, NOW, LIMITS)).toEqual({ attributes: [], slots: [], rentals: [], bytes: 0 });
  });

  it('closed rentals (past their latest end) are dead, with their set members; open ones stay', () => {
    const item: Item = {
      [rentalAttribute('closed')]: { N: String(NOW - 100) },
      [rentalAttribute('open')]: { N: String(NOW + 100) },
      [USER_ATTRIBUTES.rentals]: { SS: [`closed.${NOW - 1}`, `open.${NOW + 100}`] },
    };
    const dead = deadWeight(item, NOW, LIMITS);
    expect(dead.attributes).toEqual([rentalAttribute('closed')]);
    expect(dead.rentals).toEqual([`closed.${NOW - 1}`]);
    expect(closedRentalsPlan(item, NOW)).toEqual({
      attributes: [rentalAttribute('closed')],
      slots: [],
      rentals: [`closed.${NOW - 1}`],
    });
  });
});

describe('when pruning pays', () => {
  /** An item of `bytes` billed bytes: one string attribute (a 1-character name). */
  const itemOf = (bytes: number): Item => ({ a: { S: 'x'.repeat(bytes - 1) } });

  test('only when removing the dead bytes lowers the billed 1 KB units', () => {
    expect(itemBytes(itemOf(2 * WRITE_UNIT_BYTES + 10))).toBe(2 * WRITE_UNIT_BYTES + 10);
    // 2058 bytes bill 3 units; removing 10 leaves 2048 (2 units), removing 9 leaves 2049 (3).
    expect(pruningPays(itemOf(2 * WRITE_UNIT_BYTES + 10), 10)).toBe(true);
    expect(pruningPays(itemOf(2 * WRITE_UNIT_BYTES + 10), 9)).toBe(false);
    expect(pruningPays(itemOf(500), 499)).toBe(false);
    expect(pruningPays(itemOf(2 * WRITE_UNIT_BYTES), 0)).toBe(false);
  });

  test('a plan removes at most PRUNE_BATCH attributes, and there is none while pruning does not pay', () => {
    const window = NOW - (NOW % LIMITS.rateWindowSeconds);
    const counters = (count: number): Item =>
      Object.fromEntries(
        Array.from({ length: count }, (_, n) => [
          rateAttribute(window - (n + 3) * LIMITS.rateWindowSeconds),
          { N: '1' },
        ]),
      );
    // 14-byte names plus 1-digit values: 60 counters are under 1 KB, nothing to save.
    expect(prunePlan(counters(60), NOW, LIMITS)).toBeUndefined();
    const plan = prunePlan(counters(200), NOW, LIMITS);
    expect(plan?.attributes).toHaveLength(PRUNE_BATCH);
    expect(plan?.slots).toEqual([]);
  });
});

describe('a prune write that fails (real dynalite, the prune throttled on the wire)', () => {
  const TABLE = 'item-hygiene';
  const GRANT_TTL = 300;
  let dynamo: LocalDynamo;
  let direct: DynamoCaller;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await ensureStateTable(dynamo.endpoint, TABLE);
    direct = caller(dynamo.endpoint);
  });
  afterAll(async () => {
    direct.client.destroy();
    await dynamo.stop();
  });

  function caller(endpoint: string): DynamoCaller {
    return new DynamoCaller(
      createDynamoClient({ tableName: TABLE, endpoint, region: 'us-east-1', timeoutMs: 5000 }),
      TABLE,
      5000,
    );
  }

  function playback(user: UserRef, jti: string, now: number, network = '198.51.100.0/24'): PlaybackCall {
    const iat = now - 60;
    return {
      user,
      session: sessionId({ ...user, jti }),
      iat,
      nowSeconds: now,
      counted: true,
      keepUntil: now + 2 * 86400,
      presentation: { network, country: 'NL' },
      sessionKeepUntil: iat + HOUR,
      slotUntil: now + GRANT_TTL,
      grants: [{ id: `grant-${jti}`.padEnd(27, 'x'), expiresAt: now + GRANT_TTL }],
      revokeUntil: now + HOUR,
    };
  }

  test('the call is admitted and written, the failure logged (no key, no id) and counted; the next call prunes', async () => {
    const counter = await countOperations(dynamo.endpoint);
    const logs = new LogCapture();
    const client = caller(counter.endpoint);
    try {
      const signals = new EmfSignals(logs.metrics);
      const store = new AccessStateStore(client, LIMITS, loggedAndCounted(logs.logger, signals));
      const user: UserRef = { iss: 'https://idp.test.example', sub: `viewer-${randomUUID()}` };
      const key = userKey(user);
      // Eight sessions played two hours ago, from two networks each: dead now, and over 1 KB.
      const past = NOW - 2 * HOUR;
      const dead = Array.from({ length: 8 }, () => randomUUID());
      for (const jti of dead) {
        expect((await store.authorize(playback(user, jti, past))).outcome).toBe('admitted');
        expect((await store.authorize(playback(user, jti, past + 1, '203.0.113.0/24'))).outcome).toBe('admitted');
      }
      const deadSessions = dead.map((jti) => sessionId({ ...user, jti }));
      const deadNames = deadSessions.flatMap((s) =>
        (['slot', 'networks', 'countries', 'keepUntil'] as const).map((kind) => sessionAttribute(kind, s)),
      );

      // Every UpdateItem after the call's own is throttled: the prune (and the SDK's one retry of it).
      counter.reset();
      counter.failWhen(
        (operation, seen) => operation === 'UpdateItem' && seen.filter((o) => o === 'UpdateItem').length > 1,
      );
      const live = playback(user, randomUUID(), NOW);
      expect(await store.authorize(live)).toEqual({ outcome: 'admitted' });
      signals.flush();
      expect(counter.operations).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem']);

      // The call's own write stands; the dead weight is still there.
      const after = (await direct.get(key)) as Item;
      expect(after[USER_ATTRIBUTES.sessions]?.SS).toContain(live.session);
      expect(Number(after[sessionAttribute('slot', live.session)]?.N)).toBe(NOW + GRANT_TTL);
      for (const name of deadNames) expect(after[name]).toBeDefined();
      // What the failed prune was to remove: what is still dead on the item its call left.
      const plan = prunePlan(after, NOW, LIMITS);
      expect(sorted(plan?.attributes ?? [])).toEqual(expect.arrayContaining(sorted(deadNames)));
      expect(sorted(plan?.slots ?? [])).toEqual(sorted(deadSessions));

      const records = logs.records();
      const warnings = records.filter((record) => record.message === PRUNE_FAILED_MESSAGE);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        level: 'WARN',
        attributes: plan?.attributes.length,
        slots: dead.length,
        error: 'StoreUnavailable',
        cause: { name: 'ProvisionedThroughputExceededException' },
      });
      const line = JSON.stringify(warnings[0]);
      for (const secret of [key, user.sub, live.session, ...(plan?.attributes ?? [])])
        expect(line).not.toContain(secret);
      const emf = records.filter((record) => typeof record._aws === 'object');
      expect(emf.map((record) => record[METRIC.pruneFailed])).toEqual([1]);

      // The fault gone, the next admitted call prunes: two writes, the dead weight removed.
      counter.failWhen(undefined);
      counter.reset();
      expect(await store.authorize(playback(user, randomUUID(), NOW + 1))).toEqual({ outcome: 'admitted' });
      expect(counter.operations).toEqual(['UpdateItem', 'UpdateItem']);
      const pruned = (await direct.get(key)) as Item;
      for (const name of plan?.attributes ?? []) expect(pruned[name]).toBeUndefined();
      expect(pruned[USER_ATTRIBUTES.sessions]?.SS).not.toContain(deadSessions[0]);
      expect(logs.records().filter((record) => record.message === PRUNE_FAILED_MESSAGE)).toHaveLength(1);
    } finally {
      logs.stop();
      client.client.destroy();
      await counter.close();
    }
  });
});
