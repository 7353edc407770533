/**
 * lambda/core/access-state.ts: the ids and times the state store is keyed and kept by. Ids are
 * unambiguous per issuer, subject and token; a revocation outlives every token it can refuse; a
 * session's grant stays the same within one grant interval.
 */
import {
  callerCall,
  grantIssuedAt,
  revokeUntil,
  sessionId,
  sessionKeepUntil,
  userId,
  userKeepUntil,
} from '../../lambda/core/access-state';

const TIMES = { maxLifetimeSeconds: 3600, clockToleranceSeconds: 30 };
const NOW = 1_800_000_000;

describe('ids', () => {
  test('are short base64url digests, stable for the same token and user', () => {
    const token = { iss: 'https://idp/', sub: 'alice', jti: 'j-1' };
    expect(sessionId(token)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sessionId({ ...token })).toBe(sessionId(token));
    expect(userId({ iss: token.iss, sub: token.sub })).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  test('differ for another issuer, subject or token, however the parts are split', () => {
    const ids = new Set([
      sessionId({ iss: 'https://idp/', sub: 'alice', jti: 'j-1' }),
      sessionId({ iss: 'https://other/', sub: 'alice', jti: 'j-1' }),
      sessionId({ iss: 'https://idp/', sub: 'bob', jti: 'j-1' }),
      sessionId({ iss: 'https://idp/', sub: 'alice', jti: 'j-2' }),
      // The same characters split differently are another token.
      sessionId({ iss: 'https://idp/', sub: 'alicej', jti: '-1' }),
      sessionId({ iss: 'https://idp/a', sub: 'lice', jti: 'j-1' }),
    ]);
    expect(ids.size).toBe(6);
    expect(userId({ iss: 'a', sub: 'bc' })).not.toBe(userId({ iss: 'ab', sub: 'c' }));
    // A user's id is not any of its sessions' ids.
    expect(userId({ iss: 'https://idp/', sub: 'alice' })).not.toBe(
      sessionId({ iss: 'https://idp/', sub: 'alice', jti: '' }),
    );
  });
});

describe('how long state is kept', () => {
  test('a revocation made now outlives every token the verifier could still accept', () => {
    const until = revokeUntil(NOW, TIMES);
    // The latest-expiring token valid now: issued the tolerance ahead, living the max lifetime,
    // and accepted the tolerance past its expiry.
    const lastAccepted = NOW + TIMES.clockToleranceSeconds + TIMES.maxLifetimeSeconds + TIMES.clockToleranceSeconds;
    expect(until).toBeGreaterThanOrEqual(lastAccepted);
    expect(userKeepUntil(NOW, TIMES)).toBe(until + 86_400);
  });

  test("a session's state is kept until its token is expired beyond the tolerance, in whole seconds", () => {
    expect(sessionKeepUntil({ exp: NOW + 900 }, TIMES)).toBe(NOW + 930);
    expect(sessionKeepUntil({ exp: NOW + 900.2 }, TIMES)).toBe(NOW + 931);
  });

  test("a caller's call names its user and session, is counted, and keeps the user item as long as a revocation", () => {
    const token = { iss: 'https://idp/', sub: 'alice', jti: 'j-1', iat: NOW - 10 };
    expect(callerCall(token, NOW, TIMES)).toEqual({
      user: token,
      session: sessionId(token),
      iat: NOW - 10,
      nowSeconds: NOW,
      counted: true,
      keepUntil: userKeepUntil(NOW, TIMES),
    });
  });
});

describe('grantIssuedAt', () => {
  const TTL = 300; // intervals of 60 s, in step with the token's iat
  const iat = NOW + 7;

  test('is the same for every call within one interval, and moves on at the next', () => {
    const issued = [0, 1, 30, 59].map((offset) => grantIssuedAt({ iat }, iat + 60 + offset, TTL));
    expect(issued).toEqual([iat + 60, iat + 60, iat + 60, iat + 60]);
    expect(grantIssuedAt({ iat }, iat + 120, TTL)).toBe(iat + 120);
  });

  test('is never later than now and never more than an interval before it, so a grant keeps four fifths of its life', () => {
    for (let offset = -5; offset < 400; offset += 7) {
      const now = iat + offset;
      const issued = grantIssuedAt({ iat }, now, TTL);
      expect(issued).toBeLessThanOrEqual(now);
      expect(now - issued).toBeLessThan(TTL / 5);
    }
  });

  test('still steps for a lifetime shorter than five seconds (one-second intervals)', () => {
    expect(grantIssuedAt({ iat }, iat + 3, 4)).toBe(iat + 3);
  });
});
