/**
 * The title rules' records on the user item (lambda/store/title-records.ts), against a real
 * dynalite table through the real store: the session's start and a rental's first play are
 * written by the playback call's one write (counted on the wire), judged from the item a refused
 * write returns, and read by the licence route; closed rentals are pruned, the cap holds.
 */
import { randomUUID } from 'node:crypto';
import type { AccessLimits, LicenceCall, PlaybackCall, UserRef } from '../../lambda/core/access-state';
import { sessionId } from '../../lambda/core/access-state';
import { AccessStateStore } from '../../lambda/store/access-state-store';
import { createDynamoClient, DynamoCaller } from '../../lambda/store/dynamo-call';
import { rentalAttribute, sessionAttribute, USER_ATTRIBUTES, userKey } from '../../lambda/store/table-schema';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import { countOperations, type OperationCounter } from '../support/dynamo-operations';
import { FAIL_ON_HYGIENE_ERROR } from '../support/hygiene';

const TABLE = 'title-records';
const NOW = Math.floor(Date.now() / 1000);
const LIMITS: AccessLimits = {
  rateLimit: 0,
  rateWindowSeconds: 60,
  maxStreams: 0,
  sharing: { maxNetworks: 0, maxCountries: 1, action: 'alert' },
  grantBucketSeconds: 600,
  maxSessionsPerHour: 200,
  maxGrantsPerBucket: 500,
  maxRentals: 2,
};

let dynamo: LocalDynamo;
let counter: OperationCounter;
let store: AccessStateStore;
let raw: DynamoCaller;
beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  counter = await countOperations(dynamo.endpoint);
  const caller = (endpoint: string) =>
    new DynamoCaller(
      createDynamoClient({ tableName: TABLE, endpoint, region: 'us-east-1', timeoutMs: 2000 }),
      TABLE,
      2000,
    );
  store = new AccessStateStore(caller(counter.endpoint), LIMITS, FAIL_ON_HYGIENE_ERROR);
  raw = caller(dynamo.endpoint);
});
afterAll(async () => {
  await counter.close();
  await dynamo.stop();
});

const user = (): UserRef => ({ iss: 'https://idp.test/', sub: randomUUID() });
const playback = (who: UserRef, jti: string, now: number, extra: Partial<PlaybackCall>): PlaybackCall => ({
  user: who,
  session: sessionId({ ...who, jti }),
  iat: now - 10,
  nowSeconds: now,
  counted: true,
  keepUntil: now + 90000,
  presentation: { network: '198.51.100.0/24' },
  sessionKeepUntil: now + 3600,
  slotUntil: now + 300,
  revokeUntil: now + 3660,
  ...extra,
});
const licence = (who: UserRef, jti: string, now: number, extra: Partial<LicenceCall>): LicenceCall => ({
  user: who,
  session: sessionId({ ...who, jti }),
  iat: now - 10,
  nowSeconds: now,
  counted: true,
  keepUntil: now + 90000,
  presentation: { network: '198.51.100.0/24' },
  ...extra,
});
const rental = (id: string, now: number, startBy: number, playFor: number, grantExpiresAt = now + 300) => ({
  id,
  startBy,
  endIfStartedNow: now + playFor,
  keepUntil: startBy + playFor,
  grantExpiresAt,
});

describe('session start (step-up)', () => {
  it('is recorded once by the first playback, in that one write, and judges the session later', async () => {
    const who = user();
    counter.reset();
    expect(await store.authorize(playback(who, 'a', NOW, { sessionStart: {} }))).toMatchObject({ outcome: 'admitted' });
    expect(counter.operations).toEqual(['UpdateItem']);
    const item = await raw.get(userKey(who));
    expect(item?.[sessionAttribute('started', sessionId({ ...who, jti: 'a' }))]?.N).toBe(String(NOW));
    // Later, past its latest start: admitted, since it started by then; its start is not moved.
    const later = { sessionStart: { latestStart: NOW + 5 } };
    expect(await store.authorize(playback(who, 'a', NOW + 600, later))).toMatchObject({ outcome: 'admitted' });
    expect((await raw.get(userKey(who)))?.[sessionAttribute('started', sessionId({ ...who, jti: 'a' }))]?.N).toBe(
      String(NOW),
    );
    // A session that starts past its latest start is refused, and records nothing.
    expect(await store.authorize(playback(who, 'b', NOW + 600, later))).toEqual({ outcome: 'step-up-required' });
    expect(
      (await raw.get(userKey(who)))?.[sessionAttribute('started', sessionId({ ...who, jti: 'b' }))],
    ).toBeUndefined();
    // A session that started after its latest start is refused too.
    const strict = { sessionStart: { latestStart: NOW - 1 } };
    expect(await store.authorize(playback(who, 'a', NOW + 600, strict))).toEqual({ outcome: 'step-up-required' });
  });

  it('gates licences the same way', async () => {
    const who = user();
    await store.authorize(playback(who, 'a', NOW, { sessionStart: {} }));
    const late = { sessionStart: { latestStart: NOW + 5 } };
    expect(await store.licence(licence(who, 'a', NOW + 600, late))).toEqual({ outcome: 'admitted' });
    expect(await store.licence(licence(who, 'b', NOW + 600, late))).toEqual({ outcome: 'step-up-required' });
  });
});

describe('rentals', () => {
  it('records the first play once, for any session, and answers its end when a grant would outlive it', async () => {
    const who = user();
    counter.reset();
    expect(
      await store.authorize(playback(who, 'a', NOW, { rental: rental('r1', NOW, NOW + 100, 60, NOW + 60) })),
    ).toMatchObject({
      outcome: 'admitted',
    });
    expect(counter.operations).toEqual(['UpdateItem']);
    expect((await raw.get(userKey(who)))?.[rentalAttribute('r1')]?.N).toBe(String(NOW + 60));
    // Another token, later: the end stays; a grant past it is answered with the end, recording nothing.
    const t = NOW + 30;
    expect(await store.authorize(playback(who, 'b', t, { rental: rental('r1', t, NOW + 100, 60, t + 300) }))).toEqual({
      outcome: 'rental-ends',
      endsAt: NOW + 60,
    });
    expect(
      await store.authorize(playback(who, 'b', t, { rental: rental('r1', t, NOW + 100, 60, NOW + 60) })),
    ).toMatchObject({
      outcome: 'admitted',
    });
    expect(await store.licence(licence(who, 'b', t, { rental: { id: 'r1' } }))).toEqual({
      outcome: 'admitted',
      rentalEndsAt: NOW + 60,
    });
    // At and after the end: over, for playback and licences alike.
    const over = NOW + 60;
    expect(
      await store.authorize(playback(who, 'b', over, { rental: rental('r1', over, NOW + 100, 60, over + 300) })),
    ).toEqual({
      outcome: 'rental-expired',
      endedAt: NOW + 60,
    });
    expect(await store.licence(licence(who, 'b', over, { rental: { id: 'r1' } }))).toEqual({
      outcome: 'rental-expired',
      endedAt: NOW + 60,
    });
    // A licence for a rental playback never started: not playing.
    expect(await store.licence(licence(who, 'b', t, { rental: { id: 'r2' } }))).toEqual({ outcome: 'not-playing' });
  });

  it('refuses a first play after the start window', async () => {
    const who = user();
    expect(await store.authorize(playback(who, 'a', NOW, { rental: rental('r1', NOW, NOW - 1, 60) }))).toEqual({
      outcome: 'rental-expired',
    });
    expect((await raw.get(userKey(who)))?.[rentalAttribute('r1')]).toBeUndefined();
  });

  it('caps the open rentals per user, and prunes closed ones when the cap is reached', async () => {
    const who = user();
    expect(
      await store.authorize(playback(who, 'a', NOW, { rental: rental('r1', NOW, NOW + 10, 20, NOW + 20) })),
    ).toMatchObject({
      outcome: 'admitted',
    });
    expect(
      await store.authorize(playback(who, 'a', NOW, { rental: rental('r2', NOW, NOW + 50, 20, NOW + 20) })),
    ).toMatchObject({
      outcome: 'admitted',
    });
    expect(
      await store.authorize(playback(who, 'a', NOW, { rental: rental('r3', NOW, NOW + 50, 20, NOW + 20) })),
    ).toEqual({
      outcome: 'too-many-rentals',
      limit: 2,
      retryAfterSeconds: 30,
    });
    // r1 closes at NOW + 30 (its start window's end plus its play window): then r3 fits, and r1 is gone.
    const later = NOW + 31;
    expect(
      await store.authorize(playback(who, 'a', later, { rental: rental('r3', later, later + 50, 20, later + 20) })),
    ).toMatchObject({ outcome: 'admitted' });
    const item = await raw.get(userKey(who));
    expect(item?.[rentalAttribute('r1')]).toBeUndefined();
    expect([...(item?.[USER_ATTRIBUTES.rentals]?.SS ?? [])].sort()).toEqual([`r2.${NOW + 70}`, `r3.${later + 70}`]);
  });
});
