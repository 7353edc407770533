/**
 * lambda/store/state-verdicts.ts: the verdicts judged on an item as a write answered it (the item
 * a refused write returns, or the one a count left), on items built here attribute by attribute
 * in the table's layout. Pure: the store's behaviour against dynalite is
 * test/store/access-state-store.test.ts.
 */
import type { AccessLimits, LicenceCall, LogoutCall, PlaybackCall } from '../../lambda/core/access-state';
import type { Item } from '../../lambda/store/dynamo-call';
import { FIRST_PLAYBACK_ATTEMPT, grantBuckets, type PlaybackAttempt } from '../../lambda/store/state-expressions';
import {
  admittedPlayback,
  callerRefusal,
  callerVerdict,
  countedCallerRefusal,
  licenceVerdict,
  loggedOut,
  refusedLogout,
  refusedPlayback,
} from '../../lambda/store/state-verdicts';
import {
  grantsAttribute,
  rateAttribute,
  sessionAttribute,
  sessionsSeenAttribute,
  USER_ATTRIBUTES,
} from '../../lambda/store/table-schema';

const NOW = 1_800_000_030;
const WINDOW = NOW - (NOW % 60);
const HOUR = NOW - (NOW % 3600);
const OFF: AccessLimits = {
  rateLimit: 0,
  rateWindowSeconds: 60,
  maxStreams: 0,
  streamLimitPolicy: 'reject-newest',
  sharing: { maxNetworks: 0, maxCountries: 0, action: 'alert' },
  grantBucketSeconds: 600,
  maxSessionsPerHour: 3,
  maxGrantsPerBucket: 2,
};
const S = 'S'.repeat(22);
const OTHER = 'O'.repeat(22);
const THIRD = 'T'.repeat(22);
const { revokedBefore: BEFORE, sessions: SESSIONS, version: VERSION } = USER_ATTRIBUTES;
const NET_A = '198.51.100.0/24';
const NET_B = '203.0.113.0/24';

function playback(extra: Partial<PlaybackCall> = {}): PlaybackCall {
  return {
    user: { iss: 'https://idp.test.example', sub: 'viewer' },
    session: S,
    iat: NOW - 60,
    nowSeconds: NOW,
    counted: true,
    keepUntil: NOW + 86400,
    presentation: { network: NET_A, country: 'NL' },
    sessionKeepUntil: NOW + 3600,
    slotUntil: NOW + 300,
    grants: [],
    revokeUntil: NOW + 3700,
    ...extra,
  };
}
const licence = (extra: Partial<LicenceCall> = {}): LicenceCall => ({ ...playback(), ...extra });
const logout = (extra: Partial<LogoutCall> = {}): LogoutCall => ({ ...playback(), ...extra });
const n = (value: number) => ({ N: String(value) });
const ss = (...members: string[]) => ({ SS: members });

describe('the refusals every route makes', () => {
  test('revoked by its own mark, ended by the stream limit, revoked by the cut-off; nothing on the item admits', () => {
    const call = playback();
    expect(callerRefusal({ [sessionAttribute('revoked', S)]: n(NOW + 10) }, call, OFF)).toEqual({ outcome: 'revoked' });
    expect(callerRefusal({ [sessionAttribute('ended', S)]: n(NOW + 10) }, call, OFF)).toEqual({ outcome: 'ended' });
    expect(callerRefusal({ [BEFORE]: n(call.iat + 1) }, call, OFF)).toEqual({ outcome: 'revoked' });
    // Issued at the cut-off: not before it.
    expect(callerRefusal({ [BEFORE]: n(call.iat) }, call, OFF)).toBeUndefined();
    // An unreadable cut-off refuses (fail closed).
    expect(callerRefusal({ [BEFORE]: { N: 'not a number' } }, call, OFF)).toEqual({ outcome: 'revoked' });
    // Another session's marks are not this one's.
    expect(callerRefusal({ [sessionAttribute('revoked', OTHER)]: n(NOW + 10) }, call, OFF)).toBeUndefined();
    expect(callerRefusal(undefined, call, OFF)).toBeUndefined();
  });

  test('the rate limit: at the limit before the count refuses; after a count, only past it; uncounted calls never', () => {
    const limits = { ...OFF, rateLimit: 5 };
    const at = (count: number): Item => ({ [rateAttribute(WINDOW)]: n(count) });
    const limited = { outcome: 'rate-limited', retryAfterSeconds: WINDOW + 60 - NOW };
    expect(callerRefusal(at(4), playback(), limits)).toBeUndefined();
    expect(callerRefusal(at(5), playback(), limits)).toEqual(limited);
    expect(callerRefusal(at(5), playback({ counted: false }), limits)).toBeUndefined();
    expect(countedCallerRefusal(at(5), playback(), limits)).toBeUndefined();
    expect(countedCallerRefusal(at(6), playback(), limits)).toEqual(limited);
    expect(callerVerdict(at(6), playback(), limits, true)).toEqual(limited);
    expect(callerVerdict(at(5), playback(), limits, true)).toEqual({ outcome: 'admitted' });
    // The previous window's count does not count; with no limit nothing does.
    expect(callerRefusal({ [rateAttribute(WINDOW - 60)]: n(99) }, playback(), limits)).toBeUndefined();
    expect(callerRefusal(at(99), playback(), OFF)).toBeUndefined();
  });
});

describe('a refused playback write', () => {
  const step = (item: Item | undefined, limits: AccessLimits, attempt: PlaybackAttempt = FIRST_PLAYBACK_ATTEMPT) =>
    refusedPlayback(item, playback(), limits, attempt);

  test('an ordinary refusal is the verdict, before any growth cap or limit', () => {
    const item: Item = {
      [sessionAttribute('revoked', S)]: n(NOW + 10),
      [sessionsSeenAttribute(HOUR)]: ss('a', 'b', 'c'),
    };
    expect(step(item, OFF)).toEqual({ kind: 'verdict', verdict: { outcome: 'revoked' } });
  });

  test('the hour’s session set full refuses a new session, with when the hour ends; one already in it passes', () => {
    const full: Item = { [sessionsSeenAttribute(HOUR)]: ss('a', 'b', 'c') };
    expect(step(full, OFF)).toEqual({
      kind: 'verdict',
      verdict: { outcome: 'too-many-sessions', limit: 3, retryAfterSeconds: HOUR + 3600 - NOW },
    });
    expect(step({ [sessionsSeenAttribute(HOUR)]: ss('a', 'b', S) }, OFF).kind).toBe('retry');
  });

  test('a grant bucket without room refuses new grants; grants already recorded pass', () => {
    const call = playback({ grants: [{ id: 'g'.repeat(27), expiresAt: NOW + 300 }] });
    const [[start, [record]]] = [...grantBuckets(call, OFF.grantBucketSeconds)];
    const full: Item = { [grantsAttribute(start)]: ss('x', 'y') };
    expect(refusedPlayback(full, call, OFF, FIRST_PLAYBACK_ATTEMPT)).toEqual({
      kind: 'verdict',
      verdict: { outcome: 'too-many-grants', limit: 2, retryAfterSeconds: start + 600 - (NOW + 300) },
    });
    const recorded: Item = { [grantsAttribute(start)]: ss('x', record) };
    expect(refusedPlayback(recorded, call, OFF, FIRST_PLAYBACK_ATTEMPT).kind).toBe('retry');
  });

  test('beyond the sharing limits: `deny` refuses with the sets; `alert` retries unbounded, carrying the suspicion', () => {
    const seen: Item = { [sessionAttribute('networks', S)]: ss(NET_B), [sessionAttribute('countries', S)]: ss('NL') };
    const sharing = { suspected: true, networks: [NET_A, NET_B].sort(), countries: ['NL'] };
    const deny = { ...OFF, sharing: { maxNetworks: 1, maxCountries: 1, action: 'deny' as const } };
    expect(step(seen, deny)).toEqual({ kind: 'verdict', verdict: { outcome: 'sharing-suspected', sharing } });
    const alert = { ...deny, sharing: { ...deny.sharing, action: 'alert' as const } };
    const next = step(seen, alert);
    expect(next).toEqual({ kind: 'retry', attempt: { ...FIRST_PLAYBACK_ATTEMPT, bounded: false, suspicion: sharing } });
    // Admitted on that retry: the verdict carries the suspicion.
    if (next.kind === 'retry') expect(admittedPlayback(next.attempt)).toMatchObject({ outcome: 'admitted', sharing });
  });

  test('`alert`, unbounded: a set full at twice the limit is left alone from then on', () => {
    const alert = { ...OFF, sharing: { maxNetworks: 1, maxCountries: 1, action: 'alert' as const } };
    const unbounded: PlaybackAttempt = { ...FIRST_PLAYBACK_ATTEMPT, bounded: false };
    const full: Item = { [sessionAttribute('networks', S)]: ss(NET_B, '192.0.2.0/24') };
    expect(step(full, alert, unbounded)).toEqual({
      kind: 'retry',
      attempt: { ...unbounded, unrecorded: { networks: true, countries: false } },
    });
  });

  test('stream slots full of live sessions: reject-newest refuses; evict-oldest rewrites without the oldest', () => {
    const item: Item = {
      [SESSIONS]: ss(OTHER, THIRD),
      [sessionAttribute('slot', OTHER)]: n(NOW + 100),
      [sessionAttribute('slot', THIRD)]: n(NOW + 50),
      [VERSION]: n(7),
    };
    const limits = { ...OFF, maxStreams: 2 };
    expect(step(item, limits)).toEqual({ kind: 'verdict', verdict: { outcome: 'streams-full' } });
    const next = step(item, { ...limits, streamLimitPolicy: 'evict-oldest' });
    expect(next).toEqual({
      kind: 'retry',
      attempt: { ...FIRST_PLAYBACK_ATTEMPT, slots: { kept: [OTHER], dropped: [THIRD], evicted: THIRD, version: 7 } },
    });
    if (next.kind === 'retry') expect(admittedPlayback(next.attempt)).toMatchObject({ evicted: THIRD });
    // The call's own plan limit, when it has one, is the one that counts.
    expect(refusedPlayback(item, playback({ maxStreams: 3 }), limits, FIRST_PLAYBACK_ATTEMPT)).toEqual({
      kind: 'retry',
      attempt: { ...FIRST_PLAYBACK_ATTEMPT, slots: undefined },
    });
  });

  test('stream slots full of expired ones: rewritten without them, nobody evicted', () => {
    const item: Item = {
      [SESSIONS]: ss(OTHER, THIRD),
      [sessionAttribute('slot', OTHER)]: n(NOW - 1),
      [sessionAttribute('slot', THIRD)]: n(NOW + 50),
    };
    expect(step(item, { ...OFF, maxStreams: 2 })).toEqual({
      kind: 'retry',
      attempt: {
        ...FIRST_PLAYBACK_ATTEMPT,
        slots: { kept: [THIRD], dropped: [OTHER], evicted: undefined, version: undefined },
      },
    });
  });

  test('refused for a reason the item no longer shows: retried as the item now is (a slot rewrite dropped)', () => {
    const rewriting: PlaybackAttempt = {
      ...FIRST_PLAYBACK_ATTEMPT,
      slots: { kept: [], dropped: [], evicted: undefined, version: 1 },
    };
    expect(step({}, { ...OFF, maxStreams: 2 }, rewriting)).toEqual({
      kind: 'retry',
      attempt: { ...FIRST_PLAYBACK_ATTEMPT, slots: undefined },
    });
  });
});

describe('licence', () => {
  const streams = { ...OFF, maxStreams: 2 };
  const sharing = { ...OFF, sharing: { maxNetworks: 2, maxCountries: 1, action: 'deny' as const } };

  test('with a stream limit, only a session holding a live slot', () => {
    const live: Item = { [SESSIONS]: ss(S), [sessionAttribute('slot', S)]: n(NOW + 1) };
    expect(licenceVerdict(live, licence(), streams, false)).toEqual({ outcome: 'admitted' });
    const expired: Item = { [SESSIONS]: ss(S), [sessionAttribute('slot', S)]: n(NOW) };
    expect(licenceVerdict(expired, licence(), streams, false)).toEqual({ outcome: 'not-playing' });
    expect(licenceVerdict(undefined, licence(), streams, false)).toEqual({ outcome: 'not-playing' });
  });

  test('with sharing detection, only from a network (and country) playback recorded', () => {
    const recorded: Item = {
      [sessionAttribute('networks', S)]: ss(NET_A),
      [sessionAttribute('countries', S)]: ss('NL'),
    };
    expect(licenceVerdict(recorded, licence(), sharing, false)).toEqual({ outcome: 'admitted' });
    expect(licenceVerdict({}, licence(), sharing, false)).toEqual({ outcome: 'not-playing' });
    expect(
      licenceVerdict(recorded, licence({ presentation: { network: NET_B, country: 'NL' } }), sharing, false),
    ).toEqual({
      outcome: 'sharing-suspected',
      sharing: { suspected: true, networks: [NET_A, NET_B].sort(), countries: ['NL'] },
    });
    expect(
      licenceVerdict(recorded, licence({ presentation: { network: NET_A, country: 'DE' } }), sharing, false),
    ).toEqual({
      outcome: 'sharing-suspected',
      sharing: { suspected: true, networks: [NET_A], countries: ['DE', 'NL'] },
    });
  });

  test('the caller’s refusal comes first, judged as counted or not', () => {
    const limits = { ...streams, rateLimit: 1 };
    const item: Item = { [rateAttribute(WINDOW)]: n(1), [SESSIONS]: ss(S), [sessionAttribute('slot', S)]: n(NOW + 1) };
    expect(licenceVerdict(item, licence(), limits, true)).toEqual({ outcome: 'admitted' });
    expect(licenceVerdict(item, licence(), limits, false)).toMatchObject({ outcome: 'rate-limited' });
    expect(licenceVerdict({ ...item, [BEFORE]: n(NOW) }, licence(), limits, true)).toEqual({ outcome: 'revoked' });
  });
});

describe('logout', () => {
  test('written: already revoked when the item before it held the session’s mark', () => {
    expect(loggedOut({}, S)).toEqual({ outcome: 'done', alreadyRevoked: false });
    expect(loggedOut(undefined, S)).toEqual({ outcome: 'done', alreadyRevoked: false });
    expect(loggedOut({ [sessionAttribute('revoked', S)]: n(NOW) }, S)).toEqual({
      outcome: 'done',
      alreadyRevoked: true,
    });
  });

  test('refused: by the cut-off it is done already; by the rate or the hour’s sessions, that; otherwise try again', () => {
    const limits = { ...OFF, rateLimit: 1 };
    expect(refusedLogout({ [BEFORE]: n(NOW) }, logout(), limits)).toEqual({ outcome: 'done', alreadyRevoked: true });
    expect(refusedLogout({ [rateAttribute(WINDOW)]: n(1) }, logout(), limits)).toMatchObject({
      outcome: 'rate-limited',
    });
    expect(refusedLogout({ [sessionsSeenAttribute(HOUR)]: ss('a', 'b', 'c') }, logout(), limits)).toMatchObject({
      outcome: 'too-many-sessions',
    });
    expect(refusedLogout({}, logout(), limits)).toBeUndefined();
  });
});
