/**
 * lambda/core/api/revocations.ts: `POST /api/v1/revocations`, an admin revoking one token
 * (`{sub, jti}`) or every token of a user issued before a cut-off (`{sub, before?}`), on real
 * tokens and the real access-state store. Every malformed body is a 400 that says what is wrong,
 * and nothing is written for it.
 */
import { RevocationsRoute } from '../../../lambda/core/api/revocations';
import type { HttpResponse } from '../../../lambda/core/http';
import { apiEvent, bearer } from '../../support/harness';
import { startRouteKit, type RouteKit } from '../../support/route-kit';
import { idpKey, ISSUER, mint } from '../../support/tokens';

const idp = idpKey('ES256');
const NOW = Math.floor(Date.now() / 1000);
const TOLERANCE = 20;

let kit: RouteKit;
let route: RevocationsRoute;
let admin: string;
beforeAll(async () => {
  kit = await startRouteKit({
    idpKeys: [idp],
    now: () => NOW,
    extraEnv: { JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE) },
  });
  route = new RevocationsRoute(kit.deps);
  admin = await mint(idp, { now: NOW, claims: { sub: 'ops', scope: 'streamgate:admin' } });
});
afterAll(() => kit.close());

const revoke = (body: string, token = admin, base64 = false): Promise<HttpResponse> => {
  const event = apiEvent('POST', '/api/v1/revocations', { authorization: bearer(token), body });
  if (base64) {
    event.body = Buffer.from(body).toString('base64');
    event.isBase64Encoded = true;
  }
  return route.handle(event);
};
const json = (response: HttpResponse) => JSON.parse(response.body ?? '') as Record<string, unknown>;

/** Whether `token` still passes the caller checks every route makes (an admin token, to ask). */
async function passes(token: string): Promise<boolean> {
  try {
    await kit.deps.caller.authenticateAdmin({
      event: apiEvent('POST', '/api/v1/revocations', { authorization: bearer(token) }),
      now: NOW,
      context: Object.freeze({ operation: 'revoke' as const, requestId: 'r' }),
      reached: (context) => context,
    });
    return true;
  } catch (error) {
    expect(error).toMatchObject({ status: 401, reason: 'revoked' });
    return false;
  }
}
const adminOf = (sub: string, claims: Record<string, unknown> = {}) =>
  mint(idp, { now: NOW, claims: { sub, scope: 'streamgate:admin', ...claims } });

test('{sub, jti} revokes that one token of that user, and answers 201 naming it', async () => {
  const [target, sibling] = [await adminOf('ivy', { jti: 'ivy-1' }), await adminOf('ivy', { jti: 'ivy-2' })];
  const response = await revoke(JSON.stringify({ sub: 'ivy', jti: 'ivy-1' }));
  expect(response.statusCode).toBe(201);
  expect(json(response)).toEqual({ revoked: { iss: ISSUER, sub: 'ivy', jti: 'ivy-1' } });
  expect(await passes(target)).toBe(false);
  expect(await passes(sibling)).toBe(true);
});

test('{sub} revokes every token of the user issued so far: the cut-off is past any iat that verifies now', async () => {
  const issuedAhead = await mint(idp, {
    now: NOW,
    claims: { sub: 'jack', scope: 'streamgate:admin', iat: NOW + TOLERANCE, nbf: NOW },
  });
  const issuedNow = await adminOf('jack');
  const response = await revoke(JSON.stringify({ sub: 'jack' }));
  expect(response.statusCode).toBe(201);
  expect(json(response)).toEqual({ revoked: { iss: ISSUER, sub: 'jack', before: NOW + TOLERANCE + 1 } });
  expect([await passes(issuedNow), await passes(issuedAhead)]).toEqual([false, false]);
});

test('{sub, before} revokes the tokens issued before the cut-off only', async () => {
  const older = await mint(idp, { now: NOW - 600, lifetime: 1800, claims: { sub: 'kate', scope: 'streamgate:admin' } });
  const newer = await adminOf('kate');
  expect((await revoke(JSON.stringify({ sub: 'kate', before: NOW - 60 }))).statusCode).toBe(201);
  expect([await passes(older), await passes(newer)]).toEqual([false, true]);
});

test('a cut-off later than any token verified now could carry is refused, naming the bound', async () => {
  const response = await revoke(JSON.stringify({ sub: 'liam', before: NOW + TOLERANCE + 2 }));
  expect(response.statusCode).toBe(400);
  expect(json(response).error_description).toBe(`"before" must not be later than now + ${TOLERANCE + 1} s`);
});

test('a base64-encoded body (as API Gateway may hand it over) is read the same', async () => {
  const target = await adminOf('mia', { jti: 'mia-1' });
  expect((await revoke(JSON.stringify({ sub: 'mia', jti: 'mia-1' }), admin, true)).statusCode).toBe(201);
  expect(await passes(target)).toBe(false);
});

test.each([
  ['not JSON', '{sub: nina}', 'body must be JSON'],
  ['not an object', '["nina"]', 'body must be a JSON object'],
  ['null', 'null', 'body must be a JSON object'],
  ['an unknown field', '{"sub":"nina","reason":"x"}', 'unknown field "reason"'],
  ['no sub', '{"jti":"nina-1"}', '"sub" is required'],
  ['a sub that is no identifier', '{"sub":""}', '"sub" must be a string of 1 to 256 characters'],
  ['a sub with a control character', '{"sub":"ni\\u0000na"}', '"sub" must be a string of 1 to 256 characters'],
  ['a jti that is no identifier', '{"sub":"nina","jti":7}', '"jti" must be a string of 1 to 256 characters'],
  ['both jti and before', '{"sub":"nina","jti":"nina-1","before":1}', 'give "jti" (one token) or "before"'],
  ['a fractional before', '{"sub":"nina","before":1.5}', '"before" must be a whole number of epoch seconds'],
  ['a negative before', '{"sub":"nina","before":-1}', '"before" must be a whole number of epoch seconds'],
  ['a body over 4096 bytes', JSON.stringify({ sub: 'nina', jti: 'x'.repeat(4100) }), 'body is larger than 4096 bytes'],
])('a body with %s is 400 invalid_request saying so, and revokes nothing', async (_, body, says) => {
  const nina = await adminOf('nina', { jti: 'nina-1' });
  const response = await revoke(body);
  expect(response.statusCode).toBe(400);
  expect(json(response)).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining(says) });
  expect(await passes(nina)).toBe(true);
});

test('a caller without the admin scope is 403 insufficient_scope, and revokes nothing', async () => {
  const viewer = await mint(idp, { now: NOW, claims: { sub: 'olga' } });
  const target = await adminOf('pete');
  const response = await revoke(JSON.stringify({ sub: 'pete' }), viewer);
  expect(response.statusCode).toBe(403);
  expect(json(response)).toMatchObject({ error: 'insufficient_scope' });
  expect(await passes(target)).toBe(true);
});
