/**
 * lambda/core/api/route-deps.ts: every route of a process is built over one pipeline and one set
 * of caller steps. Routes built from one `routeDeps` share its origin check, its clock, its
 * signals and its access state: what one route writes, the others see.
 */
import { OriginVerifier } from '../../../lambda/core/origin-verify';
import { TokenVerifier } from '../../../lambda/core/token-verifier';
import { RevocationsRoute } from '../../../lambda/core/api/revocations';
import { routeDeps } from '../../../lambda/core/api/route-deps';
import { SessionRoute } from '../../../lambda/core/api/session';
import { apiEvent, bearer } from '../../support/harness';
import { RecordedSignals, startRouteKit, type RouteKit } from '../../support/route-kit';
import { idpKey, mint } from '../../support/tokens';

const idp = idpKey('ES256');
const NOW = Math.floor(Date.now() / 1000);
const ORIGIN_SECRET = 'origin-verify-value-for-route-deps';

let kit: RouteKit;
beforeAll(async () => {
  kit = await startRouteKit({ idpKeys: [idp], now: () => NOW });
});
afterAll(() => kit.close());

async function routes(options: { now?: number; originVerify?: OriginVerifier } = {}) {
  const signals = new RecordedSignals();
  const deps = routeDeps({
    config: kit.config,
    verifier: new TokenVerifier(kit.config.token),
    access: kit.deps.access,
    logger: kit.logs.logger,
    signals,
    now: () => options.now ?? NOW,
    originVerify: options.originVerify,
  });
  return { deps, signals, session: new SessionRoute(deps), revocations: new RevocationsRoute(deps) };
}

const origin = { 'x-origin-verify': ORIGIN_SECRET };
const logout = (token: string, headers: Record<string, string> = origin) =>
  apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token), headers });
const revoke = (token: string, body: unknown, headers: Record<string, string> = origin) =>
  apiEvent('POST', '/api/v1/revocations', { authorization: bearer(token), headers, body: JSON.stringify(body) });

test('hands every route the config, access state, logger and signals it was given', async () => {
  const { deps, signals } = await routes();
  expect(deps.config).toBe(kit.config);
  expect(deps.access).toBe(kit.deps.access);
  expect(deps.logger).toBe(kit.logs.logger);
  expect(deps.signals).toBe(signals);
});

test('every route built from it applies its one origin check, and flushes its one signals instance', async () => {
  const { session, revocations, signals } = await routes({
    originVerify: await OriginVerifier.create(async () => ({ current: ORIGIN_SECRET })),
  });
  const token = await mint(idp, { now: NOW, claims: { sub: 'dora' } });
  expect((await session.handle(logout(token, {}))).statusCode).toBe(403);
  expect((await revocations.handle(revoke(token, { sub: 'x' }, {}))).statusCode).toBe(403);
  expect((await session.handle(logout(token))).statusCode).toBe(204);
  expect(signals.flushes).toBe(3);
});

test('every route built from it reads its one clock', async () => {
  // Its clock an hour ahead of the token's: both routes find the token expired.
  const { session, revocations } = await routes({ now: NOW + 3600 });
  const token = await mint(idp, { now: NOW, lifetime: 900 });
  for (const response of [
    await session.handle(logout(token, {})),
    await revocations.handle(revoke(token, { sub: 'x' }, {})),
  ]) {
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ reason: 'expired' });
  }
});

test('what one route writes to the access state, another route of the same deps sees', async () => {
  const { session, revocations } = await routes();
  const admin = await mint(idp, { now: NOW, claims: { sub: 'ops', scope: 'streamgate:admin' } });
  expect((await revocations.handle(revoke(admin, { sub: 'erin' }, {}))).statusCode).toBe(201);
  // The admin logs out through the session route; the revocations route then refuses its token.
  expect((await session.handle(logout(admin, {}))).statusCode).toBe(204);
  const refused = await revocations.handle(revoke(admin, { sub: 'erin' }, {}));
  expect(refused.statusCode).toBe(401);
  expect(JSON.parse(refused.body ?? '')).toMatchObject({ error: 'invalid_token', reason: 'revoked' });
});
