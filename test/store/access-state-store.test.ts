/**
 * The access-state store against a real dynalite table: one store per limits configuration, the
 * verdicts it answers and the user item it leaves (read back with GetItem), the limits under
 * parallel calls, the `denied` marker the stream is filtered on, the grant buckets, the pruning
 * of dead weight, and the DynamoDB operations each call makes (counted on the wire).
 * Timestamps are real (seconds since the epoch at the start of the run) and passed as nowSeconds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AccessLimits,
  type CallerCall,
  type PlaybackCall,
  sessionId,
  type UserRef,
} from '../../lambda/core/access-state';
import { grantId, parseGrantRecord } from '../../lambda/core/edge-deny-list';
import { AccessStateStore } from '../../lambda/store/access-state-store';
import { deadWeight, itemBytes, pruningPays } from '../../lambda/store/item-hygiene';
import { userSnapshot } from '../../lambda/store/deny-list-replicator';
import { createDynamoClient, DynamoCaller, type Item } from '../../lambda/store/dynamo-call';
import {
  grantsAttribute,
  rateAttribute,
  sessionAttribute,
  sessionsSeenAttribute,
  STATE_TABLE,
  USER_ATTRIBUTES,
  userKey,
} from '../../lambda/store/table-schema';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import { countOperations, type OperationCounter } from '../support/dynamo-operations';
import { FAIL_ON_HYGIENE_ERROR } from '../support/hygiene';

const TABLE = 'access-state-store';
const NOW = Math.floor(Date.now() / 1000);
/** The API's figures: tokens live an hour at most, 30 s clock tolerance, grants 5 minutes. */
const TOKEN_LIFETIME = 3600;
const TOLERANCE = 30;
const GRANT_TTL = 300;
const BUCKET = GRANT_TTL + 300;
const keepUntil = (now: number): number => now + TOKEN_LIFETIME + 2 * TOLERANCE + 86400;
const revokeUntil = (now: number): number => now + TOKEN_LIFETIME + 2 * TOLERANCE;
const bucketOf = (expiresAt: number): number => expiresAt - (expiresAt % BUCKET);
const hourOf = (now: number): number => now - (now % 3600);

const OFF: AccessLimits = {
  rateLimit: 0,
  rateWindowSeconds: 60,
  maxStreams: 0,
  sharing: { maxNetworks: 0, maxCountries: 1, action: 'alert' },
  grantBucketSeconds: BUCKET,
  // The growth caps at their largest unless a test sets them: each test's own churn stays below.
  maxSessionsPerHour: 200,
  maxGrantsPerBucket: 500,
};
const NET_A = '198.51.100.0/24';
const NET_B = '203.0.113.0/24';
const NET_C = '192.0.2.0/24';

let dynamo: LocalDynamo;
let raw: DynamoCaller;
const callers: DynamoCaller[] = [];

function caller(endpoint = dynamo.endpoint): DynamoCaller {
  const created = new DynamoCaller(
    createDynamoClient({ tableName: TABLE, endpoint, region: 'us-east-1', timeoutMs: 5000 }),
    TABLE,
    5000,
  );
  callers.push(created);
  return created;
}
const storeWith = (limits: Partial<AccessLimits>, endpoint?: string): AccessStateStore =>
  new AccessStateStore(caller(endpoint), { ...OFF, ...limits }, FAIL_ON_HYGIENE_ERROR);

beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  raw = caller();
});
afterAll(async () => {
  for (const created of callers) created.client.destroy();
  await dynamo.stop();
});

/** A new user per test: the table is shared by the whole file. */
const newUser = (): UserRef => ({ iss: 'https://idp.test.example', sub: `viewer-${randomUUID()}` });

interface Token {
  user: UserRef;
  session: string;
  iat: number;
}
function token(user: UserRef, iat = NOW - 60): Token {
  return { user, session: sessionId({ ...user, jti: randomUUID() }), iat };
}

/** A grant as the API records it: the id of a (random, signature-sized) CloudFront signature. */
const grant = (expiresAt: number) => ({ id: grantId(randomBytes(64).toString('base64')), expiresAt });

function callerCall(t: Token, now = NOW, extra: Partial<CallerCall> = {}): CallerCall {
  return {
    user: t.user,
    session: t.session,
    iat: t.iat,
    nowSeconds: now,
    counted: true,
    keepUntil: keepUntil(now),
    ...extra,
  };
}

/** A playback call as the API makes it at `now`: one grant of GRANT_TTL seconds, presented from NET_A in NL. */
function playback(t: Token, now = NOW, extra: Partial<PlaybackCall> = {}): PlaybackCall {
  return {
    ...callerCall(t, now),
    presentation: { network: NET_A, country: 'NL' },
    sessionKeepUntil: t.iat + TOKEN_LIFETIME + TOLERANCE,
    slotUntil: now + GRANT_TTL,
    grants: [grant(now + GRANT_TTL)],
    revokeUntil: revokeUntil(now),
    ...extra,
  };
}

const read = (user: UserRef): Promise<Item | undefined> => raw.get(userKey(user));
const numberAt = (item: Item | undefined, name: string): number | undefined =>
  item?.[name]?.N === undefined ? undefined : Number(item[name].N);
const setAt = (item: Item | undefined, name: string): string[] => [...(item?.[name]?.SS ?? [])].sort();
const slot = (session: string) => sessionAttribute('slot', session);
const revokedMark = (session: string) => sessionAttribute('revoked', session);
const endedMark = (session: string) => sessionAttribute('ended', session);
const { sessions: SESSIONS, denied: DENIED, revokedBefore: BEFORE, version: VERSION } = USER_ATTRIBUTES;
const sorted = (values: string[]): string[] => [...values].sort();

describe('admission and refusals', () => {
  let store: AccessStateStore;
  beforeAll(() => {
    store = storeWith({});
  });

  test('a first call with no item is admitted, and its one write creates the item', async () => {
    const user = newUser();
    const t = token(user);
    const call = playback(t);
    expect(await read(user)).toBeUndefined();
    expect(await store.authorize(call)).toEqual({ outcome: 'admitted' });
    const [issued] = call.grants ?? [];
    expect(await read(user)).toEqual({
      [STATE_TABLE.partitionKey]: { S: userKey(user) },
      [STATE_TABLE.ttlAttribute]: { N: String(keepUntil(NOW)) },
      [VERSION]: { N: '1' },
      [grantsAttribute(bucketOf(issued.expiresAt))]: {
        SS: [`${t.session}.${t.iat}.${issued.expiresAt}.${issued.id}`],
      },
      [sessionsSeenAttribute(hourOf(NOW))]: { SS: [t.session] },
    });
  });

  test('a session revoked (x_) is refused as revoked on every route; the user’s other sessions are not', async () => {
    const user = newUser();
    const [revoked, other] = [token(user), token(user)];
    expect(await store.authorize(playback(revoked))).toEqual({ outcome: 'admitted' });
    expect(await store.revokeSession(user, revoked.session, NOW, revokeUntil(NOW), keepUntil(NOW))).toBe(true);
    expect(await store.authorize(playback(revoked))).toEqual({ outcome: 'revoked' });
    expect(await store.admit(callerCall(revoked))).toEqual({ outcome: 'revoked' });
    expect(await store.authorize(playback(other))).toEqual({ outcome: 'admitted' });
    expect(await store.admit(callerCall(other))).toEqual({ outcome: 'admitted' });
  });

  test('the cut-off refuses tokens issued before it; one issued at or after it is admitted', async () => {
    const user = newUser();
    const cutoff = NOW - 30;
    const [before, at, after] = [token(user, cutoff - 1), token(user, cutoff), token(user, NOW - 5)];
    expect(await store.authorize(playback(before))).toEqual({ outcome: 'admitted' });
    await store.revokeUser(user, cutoff, NOW, keepUntil(NOW));
    expect(numberAt(await read(user), BEFORE)).toBe(cutoff);
    expect(await store.authorize(playback(before))).toEqual({ outcome: 'revoked' });
    expect(await store.admit(callerCall(before))).toEqual({ outcome: 'revoked' });
    expect(await store.authorize(playback(at))).toEqual({ outcome: 'admitted' });
    expect(await store.authorize(playback(after))).toEqual({ outcome: 'admitted' });
    expect(await store.admit(callerCall(after))).toEqual({ outcome: 'admitted' });
  });

  test('revokeSession is idempotent: true the first time, false the second, one write in all', async () => {
    const user = newUser();
    const t = token(user);
    expect(await store.revokeSession(user, t.session, NOW, revokeUntil(NOW), keepUntil(NOW))).toBe(true);
    const first = await read(user);
    expect(numberAt(first, revokedMark(t.session))).toBe(revokeUntil(NOW));
    expect(numberAt(first, DENIED)).toBe(NOW);
    expect(await store.revokeSession(user, t.session, NOW + 5, revokeUntil(NOW + 5), keepUntil(NOW + 5))).toBe(false);
    expect(await read(user)).toEqual(first);
  });

  test('revokeUser keeps the later cut-off', async () => {
    const user = newUser();
    await store.revokeUser(user, NOW - 10, NOW, keepUntil(NOW));
    await store.revokeUser(user, NOW - 100, NOW, keepUntil(NOW));
    expect(numberAt(await read(user), BEFORE)).toBe(NOW - 10);
    await store.revokeUser(user, NOW, NOW, keepUntil(NOW));
    expect(numberAt(await read(user), BEFORE)).toBe(NOW);
  });

  test('`denied` is set by a revoking write and removed by the next ordinary one', async () => {
    const user = newUser();
    const [revoked, other] = [token(user), token(user)];
    await store.authorize(playback(other));
    expect((await read(user))?.[DENIED]).toBeUndefined();
    await store.revokeSession(user, revoked.session, NOW, revokeUntil(NOW), keepUntil(NOW));
    expect(numberAt(await read(user), DENIED)).toBe(NOW);
    await store.authorize(playback(other, NOW + 1));
    expect((await read(user))?.[DENIED]).toBeUndefined();
    await store.revokeUser(user, NOW - 120, NOW + 2, keepUntil(NOW + 2));
    expect(numberAt(await read(user), DENIED)).toBe(NOW + 2);
    await store.authorize(playback(other, NOW + 3));
    expect((await read(user))?.[DENIED]).toBeUndefined();
  });
});

describe('rate limit', () => {
  const LIMIT = 3;
  let store: AccessStateStore;
  beforeAll(() => {
    store = storeWith({ rateLimit: LIMIT, rateWindowSeconds: 60 });
  });
  const windowStart = NOW - (NOW % 60);

  test('exactly the limit is admitted per window, then rate-limited until the window ends', async () => {
    const user = newUser();
    const t = token(user);
    const verdicts: { outcome: string }[] = [];
    for (let index = 0; index < LIMIT; index += 1)
      verdicts.push(index % 2 === 0 ? await store.authorize(playback(t)) : await store.admit(callerCall(t)));
    expect(verdicts).toEqual(Array(LIMIT).fill({ outcome: 'admitted' }));
    const retryAfterSeconds = Math.max(1, windowStart + 60 - NOW);
    expect(await store.authorize(playback(t))).toEqual({ outcome: 'rate-limited', retryAfterSeconds });
    expect(await store.admit(callerCall(t))).toEqual({ outcome: 'rate-limited', retryAfterSeconds });
    // A refused playback records nothing; a refused admit is counted (it counts, then judges).
    expect(numberAt(await read(user), rateAttribute(windowStart))).toBe(LIMIT + 1);
    // A call the API does not count is not refused by the rate.
    expect(await store.admit(callerCall(t, NOW, { counted: false }))).toEqual({ outcome: 'admitted' });

    // The next window: admitted again, and the previous window's counter goes.
    expect(await store.admit(callerCall(t, windowStart + 60))).toEqual({ outcome: 'admitted' });
    const item = await read(user);
    expect(numberAt(item, rateAttribute(windowStart + 60))).toBe(1);
    expect(item?.[rateAttribute(windowStart)]).toBeUndefined();
  });
});

describe('sharing detection', () => {
  test('bounded (action deny): a network or country beyond the limits is refused with the sets, nothing recorded', async () => {
    const store = storeWith({ sharing: { maxNetworks: 2, maxCountries: 1, action: 'deny' } });
    const user = newUser();
    const t = token(user);
    const from = (network: string, country: string) => playback(t, NOW, { presentation: { network, country } });
    expect(await store.authorize(from(NET_A, 'NL'))).toEqual({ outcome: 'admitted' });
    expect(await store.authorize(from(NET_B, 'NL'))).toEqual({ outcome: 'admitted' });
    const recorded = await read(user);
    expect(setAt(recorded, sessionAttribute('networks', t.session))).toEqual(sorted([NET_A, NET_B]));
    expect(setAt(recorded, sessionAttribute('countries', t.session))).toEqual(['NL']);
    expect(numberAt(recorded, sessionAttribute('keepUntil', t.session))).toBe(t.iat + TOKEN_LIFETIME + TOLERANCE);

    expect(await store.authorize(from(NET_C, 'NL'))).toEqual({
      outcome: 'sharing-suspected',
      sharing: { suspected: true, networks: sorted([NET_A, NET_B, NET_C]), countries: ['NL'] },
    });
    expect(await store.authorize(from(NET_A, 'DE'))).toEqual({
      outcome: 'sharing-suspected',
      sharing: { suspected: true, networks: sorted([NET_A, NET_B]), countries: ['DE', 'NL'] },
    });
    expect(await read(user)).toEqual(recorded);
    // A network already seen is still admitted.
    expect(await store.authorize(from(NET_B, 'NL'))).toEqual({ outcome: 'admitted' });
    // Sets are per session: another session of the user starts afresh.
    expect(
      await store.authorize(playback(token(user), NOW, { presentation: { network: NET_C, country: 'DE' } })),
    ).toEqual({
      outcome: 'admitted',
    });
  });

  test('action alert: the suspected presentation is recorded and admitted, with `sharing` set (networks and countries)', async () => {
    const store = storeWith({ sharing: { maxNetworks: 2, maxCountries: 1, action: 'alert' } });
    const user = newUser();
    const t = token(user);
    const from = (network: string, country: string) => playback(t, NOW, { presentation: { network, country } });
    await store.authorize(from(NET_A, 'NL'));
    await store.authorize(from(NET_B, 'NL'));
    expect(await store.authorize(from(NET_C, 'NL'))).toEqual({
      outcome: 'admitted',
      sharing: { suspected: true, networks: sorted([NET_A, NET_B, NET_C]), countries: ['NL'] },
    });
    expect(setAt(await read(user), sessionAttribute('networks', t.session))).toEqual(sorted([NET_A, NET_B, NET_C]));
    expect(await store.authorize(from(NET_A, 'DE'))).toEqual({
      outcome: 'admitted',
      sharing: { suspected: true, networks: sorted([NET_A, NET_B, NET_C]), countries: ['DE', 'NL'] },
    });
    expect(setAt(await read(user), sessionAttribute('countries', t.session))).toEqual(['DE', 'NL']);
  });
});

describe('stream slots', () => {
  test('reject-newest: a session beyond the limit is refused streams-full; the admitted ones renew', async () => {
    const store = storeWith({ maxStreams: 2, streamLimitPolicy: 'reject-newest' });
    const user = newUser();
    const [first, second, third] = [token(user), token(user), token(user)];
    expect(await store.authorize(playback(first))).toEqual({ outcome: 'admitted' });
    expect(await store.authorize(playback(second))).toEqual({ outcome: 'admitted' });
    expect(await store.authorize(playback(third))).toEqual({ outcome: 'streams-full' });
    expect(await store.authorize(playback(first, NOW + 10))).toEqual({ outcome: 'admitted' });
    const item = await read(user);
    expect(setAt(item, SESSIONS)).toEqual(sorted([first.session, second.session]));
    expect(numberAt(item, slot(first.session))).toBe(NOW + 10 + GRANT_TTL);
    expect(numberAt(item, slot(second.session))).toBe(NOW + GRANT_TTL);
    expect(item?.[slot(third.session)]).toBeUndefined();
  });

  test('expired slots are dropped to make room, and the call is admitted', async () => {
    const store = storeWith({ maxStreams: 2, streamLimitPolicy: 'reject-newest' });
    const user = newUser();
    const [expired, live, newcomer] = [token(user), token(user), token(user)];
    await store.authorize(playback(expired, NOW - GRANT_TTL - 10));
    await store.authorize(playback(live));
    expect(await store.authorize(playback(newcomer))).toEqual({ outcome: 'admitted' });
    const item = await read(user);
    expect(setAt(item, SESSIONS)).toEqual(sorted([live.session, newcomer.session]));
    expect(item?.[slot(expired.session)]).toBeUndefined();
    expect(numberAt(item, slot(newcomer.session))).toBe(NOW + GRANT_TTL);
    // Nothing was ended: an expired slot is not an eviction.
    expect(item?.[endedMark(expired.session)]).toBeUndefined();
    expect(item?.[DENIED]).toBeUndefined();
  });

  test('evict-oldest ends the session whose slot runs out first, in one write, and the ended session is refused', async () => {
    const counter = await countOperations(dynamo.endpoint);
    try {
      const store = storeWith({ maxStreams: 2, streamLimitPolicy: 'evict-oldest' }, counter.endpoint);
      const user = newUser();
      const [older, newer, newcomer] = [token(user), token(user), token(user)];
      // `older` calls last, but its slot runs out first (shorter grant): expiry decides, not call order.
      await store.authorize(playback(newer, NOW, { slotUntil: NOW + 200 }));
      await store.authorize(playback(older, NOW, { slotUntil: NOW + 100 }));
      const before = await read(user);
      counter.reset();

      const call = playback(newcomer);
      expect(await store.authorize(call)).toEqual({ outcome: 'admitted', evicted: older.session });
      // Refused, the item read (dynalite returns no item with a refusal), then the one rewrite.
      expect(counter.operations).toEqual(['UpdateItem', 'GetItem', 'UpdateItem']);
      const after = await read(user);
      expect(numberAt(after, VERSION)).toBe((numberAt(before, VERSION) ?? 0) + 1);
      expect(numberAt(after, endedMark(older.session))).toBe(call.revokeUntil);
      expect(numberAt(after, DENIED)).toBe(NOW);
      expect(after?.[slot(older.session)]).toBeUndefined();
      expect(setAt(after, SESSIONS)).toEqual(sorted([newer.session, newcomer.session]));
      expect(numberAt(after, slot(newcomer.session))).toBe(NOW + GRANT_TTL);
      expect(numberAt(after, slot(newer.session))).toBe(NOW + 200);
      // The same write recorded the newcomer's grant, next to the ended session's.
      expect(userSnapshot(after as Item).grants.map((g) => g.session)).toEqual(
        expect.arrayContaining([older.session, newer.session, newcomer.session]),
      );

      expect(await store.authorize(playback(older, NOW + 1))).toEqual({ outcome: 'ended' });
      expect(await store.admit(callerCall(older, NOW + 1))).toEqual({ outcome: 'ended' });
      expect(await store.authorize(playback(newer, NOW + 1))).toEqual({ outcome: 'admitted' });
    } finally {
      await counter.close();
    }
  });
});

describe('limits under 20 parallel calls', () => {
  test('exactly maxStreams sessions are admitted', async () => {
    const store = storeWith({ maxStreams: 3, streamLimitPolicy: 'reject-newest' });
    const user = newUser();
    const tokens = Array.from({ length: 20 }, () => token(user));
    const verdicts = await Promise.all(tokens.map((t) => store.authorize(playback(t))));
    const admitted = tokens.filter((_, index) => verdicts[index].outcome === 'admitted');
    expect(admitted).toHaveLength(3);
    expect(verdicts.filter((v) => v.outcome === 'streams-full')).toHaveLength(17);
    expect(setAt(await read(user), SESSIONS)).toEqual(sorted(admitted.map((t) => t.session)));
  });

  test('evict-oldest: never more than maxStreams slots, every eviction marked, contention answered as StoreContention (a 429, see test/core/security-review.test.ts)', async () => {
    const store = storeWith({ maxStreams: 2, streamLimitPolicy: 'evict-oldest' });
    const user = newUser();
    const tokens = Array.from({ length: 20 }, () => token(user));
    const results = await Promise.allSettled(
      tokens.map((t, index) => store.authorize(playback(t, NOW, { slotUntil: NOW + 100 + index }))),
    );
    const verdicts = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).name] : []));
    expect(new Set(failures)).toEqual(new Set(failures.length > 0 ? ['StoreContention'] : []));
    expect(verdicts.every((verdict) => verdict.outcome === 'admitted')).toBe(true);
    const evicted = verdicts.flatMap((verdict) =>
      verdict.outcome === 'admitted' && verdict.evicted ? [verdict.evicted] : [],
    );
    const item = await read(user);
    const stored = setAt(item, SESSIONS);
    expect(stored).toHaveLength(2);
    // Every admitted session holds a slot or was ended by a later one, and every end is on the item.
    expect(verdicts).toHaveLength(stored.length + evicted.length);
    expect(sorted(Object.keys(item ?? {}).filter((name) => name.startsWith('z_')))).toEqual(
      sorted(evicted.map(endedMark)),
    );
  });

  test('exactly rateLimit calls are admitted', async () => {
    const store = storeWith({ rateLimit: 5, rateWindowSeconds: 60 });
    const user = newUser();
    const t = token(user);
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0 ? store.authorize(playback(t)) : store.admit(callerCall(t)),
      ),
    );
    expect(verdicts.filter((v) => v.outcome === 'admitted')).toHaveLength(5);
    expect(verdicts.filter((v) => v.outcome === 'rate-limited')).toHaveLength(15);
    // Every admit is counted, refused or not; a playback only when admitted.
    const admittedPlaybacks = verdicts.filter((v, index) => index % 2 === 0 && v.outcome === 'admitted').length;
    expect(numberAt(await read(user), rateAttribute(NOW - (NOW % 60)))).toBe(10 + admittedPlaybacks);
  });
});

describe('logout', () => {
  let store: AccessStateStore;
  beforeAll(() => {
    store = storeWith({ rateLimit: 10, rateWindowSeconds: 60, maxStreams: 2 });
  });
  const windowStart = NOW - (NOW % 60);
  const logoutCall = (t: Token, now = NOW) => ({
    ...callerCall(t, now),
    sessionKeepUntil: t.iat + TOKEN_LIFETIME + TOLERANCE,
  });

  test('revokes the session, frees its slot, counts the call; alreadyRevoked the second time', async () => {
    const user = newUser();
    const [leaving, staying] = [token(user), token(user)];
    await store.authorize(playback(leaving));
    await store.authorize(playback(staying));
    expect(await store.logout(logoutCall(leaving))).toEqual({ outcome: 'done', alreadyRevoked: false });
    const item = await read(user);
    expect(numberAt(item, revokedMark(leaving.session))).toBe(leaving.iat + TOKEN_LIFETIME + TOLERANCE);
    expect(setAt(item, SESSIONS)).toEqual([staying.session]);
    expect(item?.[slot(leaving.session)]).toBeUndefined();
    expect(numberAt(item, rateAttribute(windowStart))).toBe(3);
    expect(numberAt(item, DENIED)).toBe(NOW);

    expect(await store.logout(logoutCall(leaving))).toEqual({ outcome: 'done', alreadyRevoked: true });
    expect(numberAt(await read(user), rateAttribute(windowStart))).toBe(4);
    expect(await store.authorize(playback(leaving))).toEqual({ outcome: 'revoked' });
    // The freed slot is taken by a new session.
    expect(await store.authorize(playback(token(user)))).toEqual({ outcome: 'admitted' });
  });

  test('a user cut off already: done, alreadyRevoked, without a write', async () => {
    const user = newUser();
    const t = token(user, NOW - 600);
    await store.authorize(playback(t));
    await store.revokeUser(user, NOW - 60, NOW, keepUntil(NOW));
    const before = await read(user);
    const counter = await countOperations(dynamo.endpoint);
    try {
      const watched = storeWith({ rateLimit: 10, rateWindowSeconds: 60, maxStreams: 2 }, counter.endpoint);
      expect(await watched.logout(logoutCall(t))).toEqual({ outcome: 'done', alreadyRevoked: true });
      expect(counter.operations).toEqual(['UpdateItem', 'GetItem']);
    } finally {
      await counter.close();
    }
    expect(await read(user)).toEqual(before);
  });

  test('over the rate limit: rate-limited, nothing revoked', async () => {
    const limited = storeWith({ rateLimit: 1, rateWindowSeconds: 60, maxStreams: 2 });
    const user = newUser();
    const t = token(user);
    await limited.authorize(playback(t));
    expect(await limited.logout(logoutCall(t))).toEqual({
      outcome: 'rate-limited',
      retryAfterSeconds: Math.max(1, windowStart + 60 - NOW),
    });
    expect((await read(user))?.[revokedMark(t.session)]).toBeUndefined();
  });

  test('with no limits configured at all', async () => {
    const plain = storeWith({});
    const user = newUser();
    const t = token(user);
    await plain.authorize(playback(t));
    expect(await plain.logout(logoutCall(t))).toEqual({ outcome: 'done', alreadyRevoked: false });
    expect(await plain.authorize(playback(t))).toEqual({ outcome: 'revoked' });
  });

  test('a session that never played, of a user with no item yet: revoked all the same', async () => {
    const user = newUser();
    const t = token(user);
    expect(await store.logout(logoutCall(t))).toEqual({ outcome: 'done', alreadyRevoked: false });
    const item = await read(user);
    expect(numberAt(item, revokedMark(t.session))).toBe(t.iat + TOKEN_LIFETIME + TOLERANCE);
    expect(item?.[SESSIONS]).toBeUndefined();
    expect(await store.authorize(playback(t))).toEqual({ outcome: 'revoked' });
  });
});

describe('grants', () => {
  let store: AccessStateStore;
  beforeAll(() => {
    store = storeWith({});
  });

  test('recorded as <session>.<iat>.<expiresAt>.<id> in the bucket of their expiry', async () => {
    const user = newUser();
    const t = token(user);
    const media = grant(NOW + GRANT_TTL);
    const drm = grant(NOW + GRANT_TTL);
    await store.authorize(playback(t, NOW, { grants: [media, drm] }));
    const records = setAt(await read(user), grantsAttribute(bucketOf(NOW + GRANT_TTL)));
    expect(records).toEqual(sorted([media, drm].map((g) => `${t.session}.${t.iat}.${g.expiresAt}.${g.id}`)));
    expect(records.map(parseGrantRecord)).toEqual(
      expect.arrayContaining([
        { session: t.session, iat: t.iat, ...media },
        { session: t.session, iat: t.iat, ...drm },
      ]),
    );
  });

  test('a token whose iat has a fraction (JWT NumericDate allows it): its grant is still readable by the deny-list', async () => {
    const user = newUser();
    const t = { ...token(user), iat: NOW - 59.5 };
    await store.authorize(playback(t));
    expect(await store.authorize(playback(t))).toEqual({ outcome: 'admitted' });
    const snapshot = userSnapshot((await read(user)) as Item);
    expect(snapshot.grants).toHaveLength(2);
    expect(snapshot.grants.every((g) => g.session === t.session)).toBe(true);
  });

  test('a write drops the buckets two or more widths behind the current one; the one just behind stays', async () => {
    const user = newUser();
    const t = token(user);
    const oldest = bucketOf(NOW + GRANT_TTL);
    await store.authorize(playback(t, NOW));
    // A call in the next bucket, its grant expiring there.
    const mid = oldest + BUCKET;
    await store.authorize(playback(t, mid, { grants: [grant(mid + 5)] }));
    expect(Object.keys((await read(user)) ?? {}).filter((name) => name.startsWith('g_'))).toEqual(
      expect.arrayContaining([grantsAttribute(oldest), grantsAttribute(mid)]),
    );
    // Two widths after the first bucket: it holds only dead grants and goes; `mid` is one behind and stays.
    const later = oldest + 2 * BUCKET + 1;
    await store.authorize(playback(t, later, { grants: [grant(later + GRANT_TTL)] }));
    const buckets = Object.keys((await read(user)) ?? {})
      .filter((name) => name.startsWith('g_'))
      .sort();
    expect(buckets).toEqual(sorted([grantsAttribute(mid), grantsAttribute(bucketOf(later + GRANT_TTL))]));
  });
});

describe('dead weight and pruning', () => {
  const LIMITS: Partial<AccessLimits> = {
    rateLimit: 1000,
    rateWindowSeconds: 60,
    maxStreams: 20,
    sharing: { maxNetworks: 3, maxCountries: 2, action: 'alert' },
  };
  /** Two hours ago: every session and grant of then is dead now, the item itself (kept a day) is not. */
  const PAST = NOW - 2 * 3600;

  /** `count` sessions played two hours ago, each with two grants, from two networks. */
  async function pastSessions(store: AccessStateStore, user: UserRef, count: number): Promise<Token[]> {
    const tokens = Array.from({ length: count }, () => token(user, PAST - 60));
    for (const t of tokens) {
      await store.authorize(playback(t, PAST, { grants: [grant(PAST + GRANT_TTL), grant(PAST + GRANT_TTL)] }));
      await store.authorize(playback(t, PAST + 1, { presentation: { network: NET_B, country: 'NL' }, grants: [] }));
    }
    return tokens;
  }
  const deadNames = (tokens: Token[]): string[] =>
    tokens.flatMap((t) =>
      (['slot', 'networks', 'countries', 'keepUntil'] as const).map((kind) => sessionAttribute(kind, t.session)),
    );

  test('while pruning would not lower the billed size nothing is pruned; once it would, the dead attributes go and the live ones stay', async () => {
    const counter = await countOperations(dynamo.endpoint);
    try {
      const store = storeWith(LIMITS, counter.endpoint);
      const light = newUser();
      const heavy = newUser();
      const lightDead = await pastSessions(store, light, 1);
      const heavyDead = await pastSessions(store, heavy, 8);

      const lightBefore = (await read(light)) as Item;
      const heavyBefore = (await read(heavy)) as Item;
      const pastAttributes = [
        grantsAttribute(bucketOf(PAST + GRANT_TTL)),
        // The later of the two calls' windows (a write drops the previous window's counter).
        rateAttribute(PAST + 1 - ((PAST + 1) % 60)),
        sessionsSeenAttribute(hourOf(PAST)),
      ];
      expect(sorted(deadWeight(lightBefore, NOW, { ...OFF, ...LIMITS }).attributes)).toEqual(
        sorted([...deadNames(lightDead), ...pastAttributes]),
      );
      expect(pruningPays(lightBefore, deadWeight(lightBefore, NOW, { ...OFF, ...LIMITS }).bytes)).toBe(false);
      const heavyWeight = deadWeight(heavyBefore, NOW, { ...OFF, ...LIMITS });
      expect(sorted(heavyWeight.attributes)).toEqual(sorted([...deadNames(heavyDead), ...pastAttributes]));
      expect(sorted(heavyWeight.slots)).toEqual(sorted(heavyDead.map((t) => t.session)));
      expect(pruningPays(heavyBefore, heavyWeight.bytes)).toBe(true);

      // Now: one live session each.
      const lightLive = token(light);
      counter.reset();
      expect(await store.authorize(playback(lightLive))).toEqual({ outcome: 'admitted' });
      expect(counter.operations).toEqual(['UpdateItem']);
      const lightAfter = (await read(light)) as Item;
      // The hour's session set two hours back is dropped by name, by the write itself.
      const pastSeen = sessionsSeenAttribute(hourOf(PAST));
      expect(lightAfter[pastSeen]).toBeUndefined();
      for (const name of [...deadNames(lightDead), ...pastAttributes].filter((name) => name !== pastSeen))
        expect(lightAfter[name]).toEqual(lightBefore[name]);
      expect(setAt(lightAfter, SESSIONS)).toEqual(sorted([...lightDead, lightLive].map((t) => t.session)));

      const heavyLive = token(heavy);
      counter.reset();
      expect(await store.authorize(playback(heavyLive))).toEqual({ outcome: 'admitted' });
      expect(counter.operations).toEqual(['UpdateItem', 'UpdateItem']);
      const heavyAfter = (await read(heavy)) as Item;
      for (const name of [...deadNames(heavyDead), ...pastAttributes]) expect(heavyAfter[name]).toBeUndefined();
      expect(setAt(heavyAfter, SESSIONS)).toEqual([heavyLive.session]);
      expect(numberAt(heavyAfter, slot(heavyLive.session))).toBe(NOW + GRANT_TTL);
      expect(setAt(heavyAfter, sessionAttribute('networks', heavyLive.session))).toEqual([NET_A]);
      expect(numberAt(heavyAfter, sessionAttribute('keepUntil', heavyLive.session))).toBe(
        heavyLive.iat + TOKEN_LIFETIME + TOLERANCE,
      );
      expect(setAt(heavyAfter, grantsAttribute(bucketOf(NOW + GRANT_TTL)))).toHaveLength(1);
      expect(numberAt(heavyAfter, rateAttribute(NOW - (NOW % 60)))).toBe(1);
      expect(numberAt(heavyAfter, STATE_TABLE.ttlAttribute)).toBe(keepUntil(NOW));
      expect(deadWeight(heavyAfter, NOW, { ...OFF, ...LIMITS })).toEqual({
        attributes: [],
        slots: [],
        rentals: [],
        bytes: 0,
      });
    } finally {
      await counter.close();
    }
  });

  test('a revocation mark outlives its session’s other state until every token it could be has expired', () => {
    const session = 'S'.repeat(22);
    const item: Item = {
      [sessionAttribute('keepUntil', session)]: { N: String(NOW - 10) },
      [sessionAttribute('networks', session)]: { SS: [NET_A] },
      [revokedMark(session)]: { N: String(NOW + 10) },
    };
    expect(deadWeight(item, NOW, OFF).attributes).toEqual([]);
    expect(sorted(deadWeight(item, NOW + 11, OFF).attributes)).toEqual(sorted(Object.keys(item)));
  });
});

describe('item expiry', () => {
  test('each write keeps the item at least as long as every mark on it, and later calls push it later', async () => {
    const store = storeWith({
      rateLimit: 10,
      maxStreams: 2,
      sharing: { maxNetworks: 2, maxCountries: 1, action: 'deny' },
    });
    const user = newUser();
    const t = token(user);
    const expiries: number[] = [];
    const check = async (): Promise<void> => {
      const item = (await read(user)) as Item;
      const expiry = numberAt(item, STATE_TABLE.ttlAttribute) ?? 0;
      expiries.push(expiry);
      for (const [name, value] of Object.entries(item))
        if (/^[exzk]_/.test(name)) expect(Number(value.N)).toBeLessThan(expiry);
    };
    await store.authorize(playback(t));
    await check();
    await store.admit(callerCall(t, NOW + 5));
    await check();
    await store.revokeSession(user, token(user).session, NOW + 10, revokeUntil(NOW + 10), keepUntil(NOW + 10));
    await check();
    await store.revokeUser(user, NOW - 300, NOW + 15, keepUntil(NOW + 15));
    await check();
    await store.logout({ ...callerCall(t, NOW + 20), sessionKeepUntil: t.iat + TOKEN_LIFETIME + TOLERANCE });
    await check();
    expect(expiries).toEqual([...expiries].sort((a, b) => a - b));
    expect(new Set(expiries).size).toBe(expiries.length);
  });
});

describe('what one user can grow is bounded (the churn patterns of issue 20)', () => {
  const logoutCall = (t: Token, now: number) => ({
    ...callerCall(t, now),
    sessionKeepUntil: t.iat + TOKEN_LIFETIME + TOLERANCE,
  });
  /** Every session whose state is on the item (a per-session attribute names it). */
  const sessionsOnItem = (item: Item | undefined): Set<string> =>
    new Set(
      Object.keys(item ?? {})
        .filter((name) => /^[exzknc]_/.test(name))
        .map((name) => name.slice(2)),
    );
  const grantRecords = (item: Item | undefined): string[] =>
    Object.entries(item ?? {})
      .filter(([name]) => name.startsWith('g_'))
      .flatMap(([, value]) => value.SS ?? []);
  const hour = hourOf(NOW);

  test('session churn (new token, playback, logout, 58 a minute): the hour’s cap refuses the next session on playback and logout, with when to retry', async () => {
    const CAP = 5;
    const store = storeWith({
      rateLimit: 60,
      maxStreams: 3,
      sharing: { maxNetworks: 3, maxCountries: 1, action: 'alert' },
      maxSessionsPerHour: CAP,
    });
    const user = newUser();
    const verdicts: string[] = [];
    for (let index = 0; index < 58; index += 1) {
      const now = hour + index;
      const t = token(user, now);
      const played = await store.authorize(playback(t, now));
      const loggedOut = await store.logout(logoutCall(t, now));
      verdicts.push(`${played.outcome}/${loggedOut.outcome}`);
    }
    expect(verdicts).toEqual([
      ...Array(CAP).fill('admitted/done'),
      ...Array(58 - CAP).fill('too-many-sessions/too-many-sessions'),
    ]);
    const late = hour + 100;
    expect(await store.authorize(playback(token(user, late), late))).toEqual({
      outcome: 'too-many-sessions',
      limit: CAP,
      retryAfterSeconds: 3600 - 100,
    });
    const item = await read(user);
    expect(setAt(item, sessionsSeenAttribute(hour)).length).toBe(CAP);
    expect(sessionsOnItem(item).size).toBe(CAP);
    // A session of the hour goes on being served, refreshing and logging out.
    // The next hour: new sessions again, and the last hour's set is gone.
    const next = hour + 3600;
    const fresh = token(user, next);
    expect(await store.authorize(playback(fresh, next))).toEqual({ outcome: 'admitted' });
    const after = await read(user);
    expect(after?.[sessionsSeenAttribute(hour)]).toBeUndefined();
    expect(setAt(after, sessionsSeenAttribute(next))).toEqual([fresh.session]);
  });

  test('20 parallel new sessions at the cap: exactly the cap admitted, the rest refused too-many-sessions', async () => {
    const store = storeWith({ maxStreams: 0, maxSessionsPerHour: 6 });
    const user = newUser();
    const tokens = Array.from({ length: 20 }, () => token(user));
    const verdicts = await Promise.all(tokens.map((t) => store.authorize(playback(t))));
    expect(verdicts.filter((v) => v.outcome === 'admitted')).toHaveLength(6);
    expect(verdicts.filter((v) => v.outcome === 'too-many-sessions')).toHaveLength(14);
    expect(setAt(await read(user), sessionsSeenAttribute(hour))).toEqual(
      sorted(tokens.filter((_, index) => verdicts[index].outcome === 'admitted').map((t) => t.session)),
    );
  });

  test('grant churn (58 DRM playbacks of one token, two new grants each): the bucket stops at its budget; a grant already recorded still passes', async () => {
    const BUDGET = 8;
    const store = storeWith({ maxGrantsPerBucket: BUDGET });
    const user = newUser();
    const t = token(user);
    const expiresAt = NOW + GRANT_TTL;
    const calls = Array.from({ length: 58 }, () => playback(t, NOW, { grants: [grant(expiresAt), grant(expiresAt)] }));
    const verdicts: string[] = [];
    for (const call of calls) verdicts.push((await store.authorize(call)).outcome);
    expect(verdicts).toEqual([
      ...Array(BUDGET / 2).fill('admitted'),
      ...Array(58 - BUDGET / 2).fill('too-many-grants'),
    ]);
    const bucket = bucketOf(expiresAt);
    expect(await store.authorize(calls[10])).toEqual({
      outcome: 'too-many-grants',
      limit: BUDGET,
      retryAfterSeconds: Math.max(1, bucket + BUCKET - expiresAt),
    });
    expect(grantRecords(await read(user))).toHaveLength(BUDGET);
    // A refresh that re-issues a recorded grant adds nothing, so the full bucket lets it through.
    expect(await store.authorize(calls[0])).toEqual({ outcome: 'admitted' });
    expect(grantRecords(await read(user))).toHaveLength(BUDGET);
  });

  test('20 parallel calls with new grants at the budget: exactly the budget recorded', async () => {
    const store = storeWith({ maxGrantsPerBucket: 8 });
    const user = newUser();
    const t = token(user);
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => store.authorize(playback(t))));
    expect(verdicts.filter((v) => v.outcome === 'admitted')).toHaveLength(8);
    expect(verdicts.filter((v) => v.outcome === 'too-many-grants')).toHaveLength(12);
    expect(grantRecords(await read(user))).toHaveLength(8);
  });

  test('sharing action alert: a session’s networks are recorded up to twice the limit, the calls still admitted as suspected', async () => {
    const store = storeWith({ sharing: { maxNetworks: 2, maxCountries: 1, action: 'alert' } });
    const user = newUser();
    const t = token(user);
    const networks = Array.from({ length: 10 }, (_, index) => `198.51.${index}.0/24`);
    const verdicts = [];
    for (const network of networks)
      verdicts.push(await store.authorize(playback(t, NOW, { presentation: { network, country: 'NL' }, grants: [] })));
    expect(verdicts.slice(0, 2)).toEqual([{ outcome: 'admitted' }, { outcome: 'admitted' }]);
    for (const verdict of verdicts.slice(2))
      expect(verdict).toMatchObject({ outcome: 'admitted', sharing: { suspected: true } });
    expect(setAt(await read(user), sessionAttribute('networks', t.session))).toEqual(sorted(networks.slice(0, 4)));
  });

  test('both churns together for a simulated hour at the default caps: the item stays within its budget', async () => {
    // The defaults (lambda/core/abuse-defaults.ts): 20 sessions an hour, 32 grants a bucket.
    const store = storeWith({
      rateLimit: 60,
      maxStreams: 3,
      sharing: { maxNetworks: 3, maxCountries: 1, action: 'alert' },
      maxSessionsPerHour: 20,
      maxGrantsPerBucket: 32,
    });
    const user = newUser();
    const start = hour - 1800;
    let largest = 0;
    let sessions = 0;
    let grants = 0;
    // Every 20 s for an hour and a half: a new token plays a DRM video (two grants) from a new network, then logs out.
    for (let at = 0; at < 5400; at += 20) {
      const now = start + at;
      const t = token(user, now);
      const call = playback(t, now, {
        presentation: { network: `198.51.${(at / 20) % 250}.0/24`, country: 'NL' },
        grants: [grant(now + GRANT_TTL), grant(now + GRANT_TTL)],
      });
      if ((await store.authorize(call)).outcome === 'admitted') sessions += 1;
      await store.logout(logoutCall(t, now));
      if (at % 100 !== 0) continue;
      const item = await read(user);
      largest = Math.max(largest, itemBytes(item));
      grants = Math.max(grants, grantRecords(item).length);
      expect(sessionsOnItem(item).size).toBeLessThanOrEqual(2 * 20);
    }
    // At most two hours' caps of sessions admitted (the grant budget refused some more), and
    // never more than three buckets of grants on the item.
    expect(sessions).toBeGreaterThan(20);
    expect(sessions).toBeLessThanOrEqual(40);
    expect(grants).toBeLessThanOrEqual(3 * 32);
    expect(grants).toBeGreaterThan(32);
    expect(largest).toBeLessThan(16 * 1024);
  }, 60_000);
});

describe('licence: only for a session playback admitted', () => {
  const licenceCall = (t: Token, now = NOW, presentation = { network: NET_A, country: 'NL' }) => ({
    ...callerCall(t, now),
    presentation,
  });

  test('stream limit: the session playback refused (concurrency) gets none; the admitted one does until its slot runs out', async () => {
    const store = storeWith({ rateLimit: 60, maxStreams: 1, streamLimitPolicy: 'reject-newest' });
    const user = newUser();
    const [admitted, refused] = [token(user), token(user)];
    expect(await store.authorize(playback(admitted))).toEqual({ outcome: 'admitted' });
    expect(await store.authorize(playback(refused))).toEqual({ outcome: 'streams-full' });
    expect(await store.licence(licenceCall(refused))).toEqual({ outcome: 'not-playing' });
    expect(await store.licence(licenceCall(admitted))).toEqual({ outcome: 'admitted' });
    // Past its slot (the grant's expiry) without a refresh, the session is no longer playing.
    expect(await store.licence(licenceCall(admitted, NOW + GRANT_TTL))).toEqual({ outcome: 'not-playing' });
    // A token that never called playback at all.
    expect(await store.licence(licenceCall(token(user)))).toEqual({ outcome: 'not-playing' });
  });

  test('sharing deny: a licence from the network (or country) playback refused is refused; from the admitted one it is issued', async () => {
    const store = storeWith({ sharing: { maxNetworks: 1, maxCountries: 1, action: 'deny' } });
    const user = newUser();
    const t = token(user);
    expect(await store.authorize(playback(t))).toEqual({ outcome: 'admitted' });
    expect(await store.authorize(playback(t, NOW, { presentation: { network: NET_B, country: 'NL' } }))).toMatchObject({
      outcome: 'sharing-suspected',
    });
    expect(await store.licence(licenceCall(t, NOW, { network: NET_B, country: 'NL' }))).toEqual({
      outcome: 'sharing-suspected',
      sharing: { suspected: true, networks: sorted([NET_A, NET_B]), countries: ['NL'] },
    });
    expect(await store.licence(licenceCall(t, NOW, { network: NET_A, country: 'DE' }))).toMatchObject({
      outcome: 'sharing-suspected',
    });
    expect(await store.licence(licenceCall(t))).toEqual({ outcome: 'admitted' });
  });

  test('the ordinary refusals come first, as on every route; one write with a rate limit, one read without', async () => {
    const counter = await countOperations(dynamo.endpoint);
    try {
      const store = storeWith({ rateLimit: 60, maxStreams: 2 }, counter.endpoint);
      const user = newUser();
      const t = token(user);
      await store.authorize(playback(t));
      counter.reset();
      expect(await store.licence(licenceCall(t))).toEqual({ outcome: 'admitted' });
      expect(counter.operations).toEqual(['UpdateItem']);
      await store.logout({ ...callerCall(t), sessionKeepUntil: t.iat + TOKEN_LIFETIME + TOLERANCE });
      expect(await store.licence(licenceCall(t))).toEqual({ outcome: 'revoked' });
      const unlimited = storeWith({ maxStreams: 2 }, counter.endpoint);
      counter.reset();
      expect(await unlimited.licence(licenceCall(token(user)))).toEqual({ outcome: 'not-playing' });
      expect(counter.operations).toEqual(['GetItem']);
    } finally {
      await counter.close();
    }
  });
});

describe('DynamoDB operations per call, counted on the wire', () => {
  let counter: OperationCounter;
  beforeAll(async () => {
    counter = await countOperations(dynamo.endpoint);
  });
  afterAll(() => counter.close());

  test('authorize admitted: exactly one UpdateItem, first call and later ones, every limit on', async () => {
    const store = storeWith(
      {
        rateLimit: 10,
        maxStreams: 2,
        streamLimitPolicy: 'evict-oldest',
        sharing: { maxNetworks: 2, maxCountries: 1, action: 'deny' },
      },
      counter.endpoint,
    );
    const t = token(newUser());
    for (const now of [NOW, NOW + 1, NOW + 2]) {
      counter.reset();
      expect(await store.authorize(playback(t, now))).toEqual({ outcome: 'admitted' });
      expect(counter.operations).toEqual(['UpdateItem']);
    }
  });

  test('admit: one UpdateItem with a rate limit, one GetItem without', async () => {
    const t = token(newUser());
    const limited = storeWith({ rateLimit: 10 }, counter.endpoint);
    counter.reset();
    expect(await limited.admit(callerCall(t))).toEqual({ outcome: 'admitted' });
    expect(counter.operations).toEqual(['UpdateItem']);
    const unlimited = storeWith({}, counter.endpoint);
    counter.reset();
    expect(await unlimited.admit(callerCall(t))).toEqual({ outcome: 'admitted' });
    expect(counter.operations).toEqual(['GetItem']);
  });

  test('revokeSession and revokeUser: one UpdateItem each', async () => {
    const user = newUser();
    const store = storeWith({}, counter.endpoint);
    counter.reset();
    expect(await store.revokeSession(user, token(user).session, NOW, revokeUntil(NOW), keepUntil(NOW))).toBe(true);
    await store.revokeUser(user, NOW - 10, NOW, keepUntil(NOW));
    expect(counter.operations).toEqual(['UpdateItem', 'UpdateItem']);
  });
});
