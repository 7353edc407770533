/**
 * lambda/store/state-expressions.ts: every builder's expressions are well formed (each placeholder
 * defined and each definition used, a condition always asking for the item back), the parts every
 * write has (expiry, version, `denied`), and what the conditions admit and refuse when DynamoDB
 * (a real dynalite table) evaluates them.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AccessLimits, LogoutCall, PlaybackCall } from '../../lambda/core/access-state';
import type { Item } from '../../lambda/store/dynamo-call';
import {
  countWrite,
  FIRST_PLAYBACK_ATTEMPT,
  grantBuckets,
  logoutWrite,
  type PlaybackAttempt,
  playbackWrite,
  pruneWrite,
  rateWindow,
  revokeSessionWrite,
  revokeUserWrite,
  streamLimit,
  type UpdateSpec,
} from '../../lambda/store/state-expressions';
import {
  rateAttribute,
  sessionAttribute,
  sessionsSeenAttribute,
  STATE_TABLE,
  USER_ATTRIBUTES,
} from '../../lambda/store/table-schema';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';

const NOW = 1_800_000_030;
const LIMITS: AccessLimits = {
  rateLimit: 2,
  rateWindowSeconds: 60,
  maxStreams: 1,
  streamLimitPolicy: 'reject-newest',
  sharing: { maxNetworks: 1, maxCountries: 1, action: 'deny' },
  grantBucketSeconds: 600,
  maxSessionsPerHour: 20,
  maxGrantsPerBucket: 8,
};
const OFF: AccessLimits = {
  ...LIMITS,
  rateLimit: 0,
  maxStreams: 0,
  sharing: { maxNetworks: 0, maxCountries: 0, action: 'alert' },
};
const SESSION_A = 'A'.repeat(22);
const SESSION_B = 'B'.repeat(22);
const USER = { iss: 'https://idp.test.example', sub: 'viewer' };
const { denied: DENIED, version: VERSION, sessions: SESSIONS, revokedBefore: BEFORE } = USER_ATTRIBUTES;

function playback(session = SESSION_A, extra: Partial<PlaybackCall> = {}): PlaybackCall {
  return {
    user: USER,
    session,
    iat: NOW - 60,
    nowSeconds: NOW,
    counted: true,
    keepUntil: NOW + 86400,
    presentation: { network: '198.51.100.0/24', country: 'NL' },
    sessionKeepUntil: NOW + 3600,
    slotUntil: NOW + 300,
    grants: [{ id: 'g'.repeat(27), expiresAt: NOW + 300 }],
    revokeUntil: NOW + 3700,
    ...extra,
  };
}
const logout = (session = SESSION_A): LogoutCall => ({ ...playback(session), sessionKeepUntil: NOW + 3600 });

/** Every spec the builders make, over the shapes a call can take. */
function everySpec(): [string, UpdateSpec][] {
  const rewrite: PlaybackAttempt = {
    ...FIRST_PLAYBACK_ATTEMPT,
    slots: { kept: [SESSION_B], dropped: ['C'.repeat(22)], evicted: SESSION_B, version: 3 },
  };
  const alert: PlaybackAttempt = { bounded: false, unrecorded: { networks: true, countries: false } };
  return [
    ['playback, every limit on', playbackWrite(playback(), LIMITS, FIRST_PLAYBACK_ATTEMPT)],
    ['playback, every limit off', playbackWrite(playback(SESSION_A, { grants: [] }), OFF, FIRST_PLAYBACK_ATTEMPT)],
    ['playback, slots rewritten with an eviction', playbackWrite(playback(), LIMITS, rewrite)],
    ['playback, alert beyond the limits', playbackWrite(playback(), LIMITS, alert)],
    ['count', countWrite(playback(), LIMITS)],
    ['logout, every limit on', logoutWrite(logout(), LIMITS)],
    ['logout, every limit off', logoutWrite(logout(), OFF)],
    ['revoke session', revokeSessionWrite(SESSION_A, NOW, NOW + 3700, NOW + 86400)],
    ['revoke user', revokeUserWrite(NOW, NOW, NOW + 86400)],
    ['prune', pruneWrite({ attributes: [rateAttribute(NOW - 600)], slots: [SESSION_B] })],
    ['prune, no slots', pruneWrite({ attributes: [rateAttribute(NOW - 600)], slots: [] })],
  ];
}

const placeholders = (text: string, pattern: RegExp): string[] => [...new Set(text.match(pattern) ?? [])].sort();

describe('well formed', () => {
  test.each(everySpec())('%s: every placeholder defined, every definition used', (_name, spec) => {
    const text = `${spec.UpdateExpression} ${spec.ConditionExpression ?? ''}`;
    expect(placeholders(text, /#a\d+/g)).toEqual(Object.keys(spec.ExpressionAttributeNames).sort());
    expect(placeholders(text, /:v\d+/g)).toEqual(Object.keys(spec.ExpressionAttributeValues).sort());
    // A refusal answers the item it was judged on; an unconditional write asks for nothing.
    expect(spec.ReturnValuesOnConditionCheckFailure).toBe(
      spec.ConditionExpression === undefined ? undefined : 'ALL_OLD',
    );
    // The same attribute never under two placeholders.
    const names = Object.values(spec.ExpressionAttributeNames);
    expect(new Set(names).size).toBe(names.length);
  });

  test.each(everySpec())('%s: `denied` set by a revoking write and removed by any other', (name, spec) => {
    const revokes = /revoke|logout|eviction/.test(name);
    const denied = Object.entries(spec.ExpressionAttributeNames).find(([, attribute]) => attribute === DENIED)?.[0];
    expect(denied).toBeDefined();
    expect(spec.UpdateExpression.includes(`${denied} = `)).toBe(revokes);
    expect(new RegExp(`REMOVE .*${denied}(,|$)`).test(spec.UpdateExpression)).toBe(!revokes);
  });
});

describe('what each write carries', () => {
  const attributes = (spec: UpdateSpec): string[] => Object.values(spec.ExpressionAttributeNames);

  test('a count-only write has no condition, no version bump, and drops only the previous window', () => {
    const spec = countWrite(playback(), LIMITS);
    expect(spec.ConditionExpression).toBeUndefined();
    expect(attributes(spec)).not.toContain(VERSION);
    const window = rateWindow(NOW, 60).start;
    expect(
      attributes(spec)
        .filter((name) => name.startsWith('r_'))
        .sort(),
    ).toEqual([rateAttribute(window), rateAttribute(window - 60)].sort());
  });

  test('a playback write with every limit off still checks the revocations and the hour’s sessions, nothing else', () => {
    const spec = playbackWrite(playback(SESSION_A, { grants: [] }), OFF, FIRST_PLAYBACK_ATTEMPT);
    expect(attributes(spec).sort()).toEqual(
      [
        STATE_TABLE.ttlAttribute,
        VERSION,
        BEFORE,
        sessionAttribute('revoked', SESSION_A),
        sessionAttribute('ended', SESSION_A),
        sessionsSeenAttribute(NOW - (NOW % 3600)),
        sessionsSeenAttribute(NOW - (NOW % 3600) - 3600),
        sessionsSeenAttribute(NOW - (NOW % 3600) - 7200),
        DENIED,
      ].sort(),
    );
  });

  test('the prune removes its attributes and deletes its slot members, with no condition', () => {
    const spec = pruneWrite({ attributes: ['r_1', 'g_2'], slots: [SESSION_B] });
    expect(spec.ConditionExpression).toBeUndefined();
    expect(spec.UpdateExpression).toMatch(/^ADD #a\d+ :v\d+ DELETE #a\d+ :v\d+ REMOVE #a\d+, #a\d+, #a\d+$/);
    expect(Object.values(spec.ExpressionAttributeValues)).toContainEqual({ SS: [SESSION_B] });
    expect(attributes(spec)).toEqual(expect.arrayContaining(['r_1', 'g_2', SESSIONS]));
  });

  test('a call’s stream limit is its own when it has one, else the deployment’s', () => {
    expect(streamLimit({ maxStreams: 3 }, LIMITS)).toBe(3);
    expect(streamLimit({ maxStreams: 0 }, LIMITS)).toBe(0);
    expect(streamLimit({}, LIMITS)).toBe(1);
  });

  test('grants go to the bucket of their expiry, each record once', () => {
    const call = playback(SESSION_A, {
      grants: [
        { id: 'a'.repeat(27), expiresAt: 1200 + 10 },
        { id: 'a'.repeat(27), expiresAt: 1200 + 10 },
        { id: 'b'.repeat(27), expiresAt: 1800 + 5 },
      ],
    });
    const buckets = grantBuckets(call, 600);
    expect([...buckets.keys()]).toEqual([1200, 1800]);
    expect(buckets.get(1200)).toHaveLength(1);
    expect(buckets.get(1800)).toHaveLength(1);
  });
});

describe('evaluated by DynamoDB (dynalite)', () => {
  const TABLE = 'state-expressions';
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await ensureStateTable(dynamo.endpoint, TABLE);
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.stop();
  });

  /** Applies `spec` to `key`'s item: 'written', or 'refused' by its condition. */
  async function apply(key: string, spec: UpdateSpec): Promise<'written' | 'refused'> {
    try {
      await client.send(
        new UpdateItemCommand({ TableName: TABLE, Key: { [STATE_TABLE.partitionKey]: { S: key } }, ...spec }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'refused';
      throw error;
    }
  }
  const read = async (key: string): Promise<Item | undefined> =>
    (
      await client.send(
        new GetItemCommand({ TableName: TABLE, Key: { [STATE_TABLE.partitionKey]: { S: key } }, ConsistentRead: true }),
      )
    ).Item;
  const newKey = (): string => `usr#${randomUUID()}`;

  test('every spec is accepted by DynamoDB on a new item or refused by its condition, never invalid', async () => {
    for (const [, spec] of everySpec()) expect(['written', 'refused']).toContain(await apply(newKey(), spec));
  });

  test('the rate limit: exactly `rateLimit` playback writes a window, then refused', async () => {
    const key = newKey();
    const limits = { ...OFF, rateLimit: 2 };
    const spec = () => playbackWrite(playback(SESSION_A, { grants: [] }), limits, FIRST_PLAYBACK_ATTEMPT);
    expect([await apply(key, spec()), await apply(key, spec()), await apply(key, spec())]).toEqual([
      'written',
      'written',
      'refused',
    ]);
    expect((await read(key))?.[rateAttribute(rateWindow(NOW, 60).start)]).toEqual({ N: '2' });
  });

  test('the stream limit: a second session is refused a slot; the slot rewrite admits it only on the version read', async () => {
    const key = newKey();
    expect(await apply(key, playbackWrite(playback(SESSION_A), LIMITS, FIRST_PLAYBACK_ATTEMPT))).toBe('written');
    expect(await apply(key, playbackWrite(playback(SESSION_B), LIMITS, FIRST_PLAYBACK_ATTEMPT))).toBe('refused');
    const version = Number((await read(key))?.[VERSION]?.N);
    const evict = (at: number): PlaybackAttempt => ({
      ...FIRST_PLAYBACK_ATTEMPT,
      slots: { kept: [], dropped: [SESSION_A], evicted: SESSION_A, version: at },
    });
    const evictLimits: AccessLimits = { ...LIMITS, sharing: OFF.sharing };
    expect(await apply(key, playbackWrite(playback(SESSION_B), evictLimits, evict(version - 1)))).toBe('refused');
    expect(await apply(key, playbackWrite(playback(SESSION_B), evictLimits, evict(version)))).toBe('written');
    const item = await read(key);
    expect(item?.[SESSIONS]).toEqual({ SS: [SESSION_B] });
    expect(item?.[sessionAttribute('ended', SESSION_A)]).toEqual({ N: String(NOW + 3700) });
    expect(item?.[DENIED]).toEqual({ N: String(NOW) });
    // The ended session's own playback is refused by its mark.
    expect(await apply(key, playbackWrite(playback(SESSION_A), evictLimits, FIRST_PLAYBACK_ATTEMPT))).toBe('refused');
  });

  test('sharing: a second network is refused while bounded; beyond the limits (alert) it is recorded up to twice the limit', async () => {
    const key = newKey();
    const limits: AccessLimits = { ...OFF, sharing: { maxNetworks: 1, maxCountries: 1, action: 'alert' } };
    const from = (network: string) => playback(SESSION_A, { grants: [], presentation: { network, country: 'NL' } });
    expect(await apply(key, playbackWrite(from('n1'), limits, FIRST_PLAYBACK_ATTEMPT))).toBe('written');
    expect(await apply(key, playbackWrite(from('n2'), limits, FIRST_PLAYBACK_ATTEMPT))).toBe('refused');
    const beyond: PlaybackAttempt = { ...FIRST_PLAYBACK_ATTEMPT, bounded: false };
    expect(await apply(key, playbackWrite(from('n2'), limits, beyond))).toBe('written');
    expect(await apply(key, playbackWrite(from('n3'), limits, beyond))).toBe('refused');
    expect((await read(key))?.[sessionAttribute('networks', SESSION_A)]?.SS?.sort()).toEqual(['n1', 'n2']);
  });

  test('revocations: a session once, a cut-off only later; a cut-off refuses tokens issued before it', async () => {
    const key = newKey();
    const revoke = () => revokeSessionWrite(SESSION_A, NOW, NOW + 3700, NOW + 86400);
    expect([await apply(key, revoke()), await apply(key, revoke())]).toEqual(['written', 'refused']);
    expect(await apply(key, revokeUserWrite(NOW, NOW, NOW + 86400))).toBe('written');
    expect(await apply(key, revokeUserWrite(NOW - 1, NOW, NOW + 86400))).toBe('refused');
    expect(await apply(key, revokeUserWrite(NOW, NOW, NOW + 86400))).toBe('refused');
    const before = playback(SESSION_B, { iat: NOW - 1, grants: [] });
    expect(await apply(key, playbackWrite(before, OFF, FIRST_PLAYBACK_ATTEMPT))).toBe('refused');
    expect(await apply(key, playbackWrite({ ...before, iat: NOW }, OFF, FIRST_PLAYBACK_ATTEMPT))).toBe('written');
  });

  test('logout revokes the session and frees its slot, even when it is revoked already', async () => {
    const key = newKey();
    expect(await apply(key, playbackWrite(playback(SESSION_A), LIMITS, FIRST_PLAYBACK_ATTEMPT))).toBe('written');
    expect(await apply(key, revokeSessionWrite(SESSION_A, NOW, NOW + 100, NOW + 86400))).toBe('written');
    expect(await apply(key, logoutWrite(logout(SESSION_A), LIMITS))).toBe('written');
    const item = await read(key);
    expect(item?.[SESSIONS]).toBeUndefined();
    expect(item?.[sessionAttribute('slot', SESSION_A)]).toBeUndefined();
    // The earlier mark stays (if_not_exists).
    expect(item?.[sessionAttribute('revoked', SESSION_A)]).toEqual({ N: String(NOW + 100) });
  });
});
