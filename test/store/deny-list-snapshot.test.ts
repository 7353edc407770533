/**
 * What the deny-list makes of one change of a user's item, as pure functions: the snapshot read
 * from an item (userSnapshot) and the entries a before/after pair calls for (grantsToDeny).
 */
import {
  grantRecord,
  grantsToDeny,
  parseGrantRecord,
  type RecordedGrant,
  type UserSnapshot,
} from '../../lambda/core/edge-deny-list';
import { userSnapshot } from '../../lambda/store/deny-list-replicator';
import type { Item } from '../../lambda/store/dynamo-call';
import { grantsAttribute, sessionAttribute, USER_ATTRIBUTES } from '../../lambda/store/table-schema';

const NOW = 1_800_000_000;
const TOLERANCE = 30;
const session = (letter: string): string => letter.repeat(22);
const id = (n: number): string => `g${String(n).padStart(21, '0')}`;
const [S1, S2, S3] = [session('a'), session('b'), session('c')];

/** Grants: S1 issued long ago (two, one of them expired), S2 a minute ago, S3 just now. */
const GRANTS: RecordedGrant[] = [
  { session: S1, iat: NOW - 600, expiresAt: NOW + 120, id: id(11) },
  { session: S1, iat: NOW - 600, expiresAt: NOW - 100, id: id(12) },
  { session: S2, iat: NOW - 60, expiresAt: NOW + 240, id: id(21) },
  { session: S3, iat: NOW, expiresAt: NOW + 300, id: id(31) },
];
const snapshot = (parts: Partial<UserSnapshot> = {}): UserSnapshot => ({
  revoked: new Set(),
  ended: new Set(),
  grants: GRANTS,
  ...parts,
});
const deny = (before: UserSnapshot | undefined, after: UserSnapshot) => grantsToDeny(before, after, NOW, TOLERANCE);

describe('grantsToDeny', () => {
  test('a newly revoked session: its live grants, expiry plus the tolerance; nobody else’s', () => {
    expect(deny(snapshot(), snapshot({ revoked: new Set([S1]) }))).toEqual([
      { key: id(11), reason: 'revoked', expiresAt: NOW + 120 + TOLERANCE },
    ]);
  });

  test('a session revoked before this change: nothing again', () => {
    const revoked = snapshot({ revoked: new Set([S1]) });
    expect(deny(revoked, revoked)).toEqual([]);
    // ...but another one revoked by this change is.
    expect(deny(revoked, snapshot({ revoked: new Set([S1, S2]) }))).toEqual([
      { key: id(21), reason: 'revoked', expiresAt: NOW + 240 + TOLERANCE },
    ]);
  });

  test('no image before (created, or unknown): every revoked or ended session is denied', () => {
    expect(deny(undefined, snapshot({ revoked: new Set([S1]), ended: new Set([S2]) }))).toEqual([
      { key: id(11), reason: 'revoked', expiresAt: NOW + 120 + TOLERANCE },
      { key: id(21), reason: 'ended', expiresAt: NOW + 240 + TOLERANCE },
    ]);
  });

  test('a newly ended session: reason ended; not if it was ended or revoked before', () => {
    expect(deny(snapshot(), snapshot({ ended: new Set([S2]) }))).toEqual([
      { key: id(21), reason: 'ended', expiresAt: NOW + 240 + TOLERANCE },
    ]);
    expect(deny(snapshot({ ended: new Set([S2]) }), snapshot({ ended: new Set([S2]) }))).toEqual([]);
    expect(
      deny(snapshot({ revoked: new Set([S2]) }), snapshot({ revoked: new Set([S2]), ended: new Set([S2]) })),
    ).toEqual([]);
  });

  test('a session revoked after it was ended (logout of an evicted one): denied again, as revoked', () => {
    expect(
      deny(snapshot({ ended: new Set([S2]) }), snapshot({ ended: new Set([S2]), revoked: new Set([S2]) })),
    ).toEqual([{ key: id(21), reason: 'revoked', expiresAt: NOW + 240 + TOLERANCE }]);
  });

  test('a raised cut-off denies only the sessions issued before it (not at, not after)', () => {
    expect(deny(snapshot(), snapshot({ revokedBefore: NOW - 60 }))).toEqual([
      { key: id(11), reason: 'revoked', expiresAt: NOW + 120 + TOLERANCE },
    ]);
    expect(deny(snapshot({ revokedBefore: NOW - 600 }), snapshot({ revokedBefore: NOW + 1 }))).toEqual([
      { key: id(11), reason: 'revoked', expiresAt: NOW + 120 + TOLERANCE },
      { key: id(21), reason: 'revoked', expiresAt: NOW + 240 + TOLERANCE },
      { key: id(31), reason: 'revoked', expiresAt: NOW + 300 + TOLERANCE },
    ]);
  });

  test('a cut-off not raised by this change (unchanged, or lower) denies nothing', () => {
    const cut = snapshot({ revokedBefore: NOW + 1 });
    expect(deny(cut, cut)).toEqual([]);
    expect(deny(cut, snapshot({ revokedBefore: NOW - 60 }))).toEqual([]);
  });

  test('expired grants are skipped: a grant is denied while its expiry plus the tolerance is ahead', () => {
    const edge = (expiresAt: number): RecordedGrant[] => [{ session: S1, iat: NOW - 600, expiresAt, id: id(1) }];
    const revoke = (grants: RecordedGrant[]) =>
      deny(snapshot({ grants }), snapshot({ grants, revoked: new Set([S1]) })).map((entry) => entry.key);
    expect(revoke(edge(NOW - TOLERANCE + 1))).toEqual([id(1)]);
    expect(revoke(edge(NOW - TOLERANCE))).toEqual([]);
  });

  test('a change that revokes nothing denies nothing', () => {
    expect(deny(snapshot(), snapshot())).toEqual([]);
    expect(deny(undefined, snapshot())).toEqual([]);
  });
});

describe('grant records', () => {
  test('round trip, and records that are not one are refused', () => {
    for (const grant of GRANTS) expect(parseGrantRecord(grantRecord(grant))).toEqual(grant);
    expect(parseGrantRecord(`${S1}.${NOW}.${NOW}`)).toBeUndefined();
    expect(parseGrantRecord(`short.${NOW}.${NOW}.${id(1)}`)).toBeUndefined();
    expect(parseGrantRecord(`${S1}.-5.${NOW}.${id(1)}`)).toBeUndefined();
  });

  test('a fractional iat is recorded in whole seconds, on the same side of any whole-second cut-off', () => {
    const grant = { session: S1, iat: NOW - 0.5, expiresAt: NOW + 300, id: id(1) };
    const parsed = parseGrantRecord(grantRecord(grant));
    expect(parsed).toEqual({ ...grant, iat: NOW - 1 });
    const grants = [parsed as RecordedGrant];
    // Issued before the cut-off NOW (the store refuses it): denied. Not before NOW - 1: not.
    expect(deny(snapshot({ grants }), snapshot({ grants, revokedBefore: NOW }))).toHaveLength(1);
    expect(deny(snapshot({ grants }), snapshot({ grants, revokedBefore: NOW - 1 }))).toEqual([]);
  });
});

describe('userSnapshot', () => {
  test('reads the cut-off, the revoked and ended sessions and the grants of every bucket; nothing else', () => {
    const item: Item = {
      pk: { S: 'usr#x' },
      [USER_ATTRIBUTES.revokedBefore]: { N: String(NOW - 60) },
      [USER_ATTRIBUTES.sessions]: { SS: [S2, S3] },
      [USER_ATTRIBUTES.denied]: { N: String(NOW) },
      [sessionAttribute('revoked', S1)]: { N: String(NOW + 3600) },
      [sessionAttribute('ended', S2)]: { N: String(NOW + 3600) },
      [sessionAttribute('slot', S3)]: { N: String(NOW + 300) },
      [sessionAttribute('networks', S3)]: { SS: ['198.51.100.0/24'] },
      [sessionAttribute('keepUntil', S3)]: { N: String(NOW + 3630) },
      [grantsAttribute(NOW - (NOW % 600))]: { SS: [grantRecord(GRANTS[0]), grantRecord(GRANTS[1]), 'not-a-record'] },
      [grantsAttribute(NOW - (NOW % 600) + 600)]: { SS: [grantRecord(GRANTS[2]), grantRecord(GRANTS[3])] },
      expiresAt: { N: String(NOW + 90000) },
      version: { N: '7' },
    };
    const read = userSnapshot(item);
    expect(read.revokedBefore).toBe(NOW - 60);
    expect([...read.revoked]).toEqual([S1]);
    expect([...read.ended]).toEqual([S2]);
    expect(read.grants).toEqual(expect.arrayContaining(GRANTS));
    expect(read.grants).toHaveLength(GRANTS.length);
  });

  test('an item with nothing revoked: empty sets, no cut-off', () => {
    expect(userSnapshot({ pk: { S: 'usr#y' }, version: { N: '1' } })).toEqual({
      revokedBefore: undefined,
      revoked: new Set(),
      ended: new Set(),
      grants: [],
    });
  });
});
