/**
 * lambda/core/api/session.ts: `DELETE /api/v1/session`, the holder revoking its own token, on real
 * tokens and the real access-state store. The token is refused everywhere afterwards, a repeated
 * logout is still 204, and logout is counted in the user's rate limit.
 */
import { SessionRoute } from '../../../lambda/core/api/session';
import { apiEvent, bearer } from '../../support/harness';
import { startRouteKit, type RouteKit } from '../../support/route-kit';
import { idpKey, mint } from '../../support/tokens';

const idp = idpKey('ES256');
const NOW = Math.floor(Date.now() / 1000);

let kit: RouteKit;
let route: SessionRoute;
beforeAll(async () => {
  kit = await startRouteKit({
    idpKeys: [idp],
    now: () => NOW,
    extraEnv: { RATE_LIMIT_PER_WINDOW: '3', STREAM_LIMIT_CLAIM: 'max_streams' },
  });
  route = new SessionRoute(kit.deps);
});
afterAll(() => kit.close());
beforeEach(() => kit.signals.clear());

const logout = (authorization?: string) => route.handle(apiEvent('DELETE', '/api/v1/session', { authorization }));
const adminCheck = (token: string) =>
  kit.deps.caller.authenticateAdmin({
    event: apiEvent('POST', '/api/v1/revocations', { authorization: bearer(token) }),
    now: NOW,
    context: Object.freeze({ operation: 'revoke' as const, requestId: 'r' }),
    reached: (context) => context,
  });

test('logout is 204 with no body, and the token is revoked for every other route', async () => {
  const token = await mint(idp, { now: NOW, claims: { sub: 'ops-a', scope: 'streamgate:admin' } });
  await expect(adminCheck(token)).resolves.toBeDefined();
  const response = await logout(bearer(token));
  expect(response.statusCode).toBe(204);
  expect(response.body).toBeUndefined();
  await expect(adminCheck(token)).rejects.toMatchObject({ status: 401, reason: 'revoked' });
});

test('logging out again with the revoked token is still 204 (idempotent), not an error', async () => {
  const token = await mint(idp, { now: NOW, claims: { sub: 'frank' } });
  expect((await logout(bearer(token))).statusCode).toBe(204);
  expect((await logout(bearer(token))).statusCode).toBe(204);
  // No revoked-token reuse is signalled for it: a repeated logout is no attack.
  expect(kit.signals.kinds()).toEqual([]);
});

test('a token with a malformed stream-limit claim can still log out', async () => {
  const token = await mint(idp, { now: NOW, claims: { sub: 'gina', max_streams: 'lots' } });
  expect((await logout(bearer(token))).statusCode).toBe(204);
});

test('logout is counted in the user rate limit: past it, 429 with Retry-After', async () => {
  const tokens = await Promise.all([1, 2, 3, 4].map(() => mint(idp, { now: NOW, claims: { sub: 'hank' } })));
  const statuses: number[] = [];
  let last: Awaited<ReturnType<typeof logout>> | undefined;
  for (const token of tokens) {
    last = await logout(bearer(token));
    statuses.push(last.statusCode);
  }
  expect(statuses).toEqual([204, 204, 204, 429]);
  expect(JSON.parse(last?.body ?? '')).toMatchObject({ error: 'rate_limited' });
  expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
});

test('no token, or a forged one, is 401 with its RFC 6750 challenge, and nothing is revoked', async () => {
  const missing = await logout();
  expect(missing.statusCode).toBe(401);
  expect(missing.headers['www-authenticate']).toBe('Bearer realm="streamgate"');
  const victim = await mint(idp, { now: NOW, claims: { sub: 'ops-b', scope: 'streamgate:admin', jti: 'ops-b-1' } });
  const forged = await mint(idpKey('ES256', idp.kid), {
    now: NOW,
    claims: { sub: 'ops-b', scope: 'streamgate:admin', jti: 'ops-b-1' },
  });
  const refused = await logout(bearer(forged));
  expect(refused.statusCode).toBe(401);
  expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="streamgate", error="invalid_token"/);
  await expect(adminCheck(victim)).resolves.toBeDefined();
});
