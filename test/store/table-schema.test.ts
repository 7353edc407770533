/**
 * lambda/store/table-schema.ts: the state table's key and attribute names. A key names no user,
 * every attribute family is told apart by its prefix alone (the deny-list reads a session id as
 * what follows a two-character prefix), and the names fit DynamoDB's limits.
 */
import { sessionId } from '../../lambda/core/access-state';
import { userSnapshot } from '../../lambda/store/deny-list-replicator';
import {
  GRANTS_PREFIX,
  grantsAttribute,
  RATE_PREFIX,
  rateAttribute,
  SESSION_ATTRIBUTE_PREFIXES,
  type SessionAttribute,
  sessionAttribute,
  SESSIONS_SEEN_PREFIX,
  sessionsSeenAttribute,
  USER_ATTRIBUTES,
  userKey,
} from '../../lambda/store/table-schema';

const USER = { iss: 'https://idp.example/', sub: 'alice@example.com' };
const SESSION = sessionId({ ...USER, jti: 'token-1' });
const PREFIXES = [...Object.values(SESSION_ATTRIBUTE_PREFIXES), GRANTS_PREFIX, RATE_PREFIX, SESSIONS_SEEN_PREFIX];

test("a user's key is a hash: neither issuer nor subject is stored in it, and two users never share one", () => {
  const key = userKey(USER);
  expect(key).toMatch(/^usr#[A-Za-z0-9_-]{22}$/);
  expect(key).not.toContain('alice');
  expect(userKey({ ...USER, iss: 'https://other.example/' })).not.toBe(key);
});

test('every attribute family has a prefix of its own, none the start of another or of a fixed attribute', () => {
  expect(new Set(PREFIXES).size).toBe(PREFIXES.length);
  for (const prefix of PREFIXES) {
    expect(prefix).toMatch(/^[a-z]_$/);
    expect(Object.values(USER_ATTRIBUTES).filter((name) => name.startsWith(prefix))).toEqual([]);
  }
});

test('a session attribute read back by its prefix names the session it was written for', () => {
  for (const kind of Object.keys(SESSION_ATTRIBUTE_PREFIXES) as SessionAttribute[]) {
    const name = sessionAttribute(kind, SESSION);
    expect(name.slice(2)).toBe(SESSION);
  }
  // The deny-list reads revoked and ended sessions back from exactly these names.
  const snapshot = userSnapshot({
    [sessionAttribute('revoked', SESSION)]: { N: '1' },
    [sessionAttribute('ended', 'b'.repeat(22))]: { N: '1' },
    [sessionAttribute('slot', 'c'.repeat(22))]: { N: '1' },
  });
  expect([...snapshot.revoked]).toEqual([SESSION]);
  expect([...snapshot.ended]).toEqual(['b'.repeat(22)]);
});

test('windowed attributes are named by their start and stay far inside the 255-byte name limit', () => {
  const start = 1_800_000_000;
  expect([rateAttribute(start), grantsAttribute(start), sessionsSeenAttribute(start)]).toEqual([
    `r_${start}`,
    `g_${start}`,
    `h_${start}`,
  ]);
  const names = [userKey(USER), sessionAttribute('keepUntil', SESSION), grantsAttribute(99_999_999_999)];
  expect(Math.max(...names.map((name) => Buffer.byteLength(name)))).toBeLessThan(64);
});
