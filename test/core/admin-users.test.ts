/**
 * The admin routes about one user (lambda/core/api/admin-users.ts) through the revocations
 * function, on a real dynalite: the read answers what the user's item holds, the lift removes
 * only the cut-off (a token revoked by jti stays revoked), both refuse a token without the admin
 * scope and a malformed `{sub}`, and neither creates an item for an unknown user.
 */
import { apiEvent, bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, ISSUER, mint } from '../support/tokens';
import { sessionId } from '../../lambda/core/access-state';
import type { UserStateAnswer } from '../../lambda/core/user-state';

const idp = idpKey('ES256');
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ idpKeys: [idp] });
});
afterAll(() => harness.close());

const admin = () => mint(idp, { claims: { scope: 'streamgate:admin', sub: 'ops' } });
const STATE = '/api/v1/users/{sub}/sessions';
const LIFT = '/api/v1/revocations/users/{sub}';
const call = async (method: 'GET' | 'DELETE', path: string, sub: string, token?: string) =>
  harness.api.revocations(apiEvent(method, path, { authorization: bearer(token ?? (await admin())) }, { sub }));
const body = <T>(response: { body?: string }) => JSON.parse(response.body ?? '{}') as T;
const userToken = (sub: string, jti: string, iat?: number) =>
  mint(idp, { claims: { sub, jti, scope: 'stream:play', videos: ['demo-1'], ...(iat ? { iat } : {}) } });

test("the read answers the user's sessions by id, with the revocation marks and grants the item holds", async () => {
  for (const jti of ['one', 'two'])
    expect(
      (await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await userToken('rita', jti)) })))
        .statusCode,
    ).toBe(200);
  const revoked = await harness.api.revocations(
    apiEvent('POST', '/api/v1/revocations', {
      authorization: bearer(await admin()),
      body: '{"sub":"rita","jti":"one"}',
    }),
  );
  expect(revoked.statusCode).toBe(201);
  const answer = await call('GET', STATE, 'rita');
  expect(answer.statusCode).toBe(200);
  const state = body<UserStateAnswer>(answer);
  const [one, two] = ['one', 'two'].map((jti) => sessionId({ iss: ISSUER, sub: 'rita', jti }));
  expect(state).toMatchObject({ iss: ISSUER, sub: 'rita', known: true });
  expect(Object.fromEntries(state.sessions.map((s) => [s.session, s.revokedUntil !== undefined]))).toEqual({
    [one]: true,
    [two]: false,
  });
  expect(state.sessions.every((s) => s.grants.length === 1 && s.grants[0].live)).toBe(true);
});

test('the lift removes the cut-off only: a token revoked by jti stays refused, the others play again', async () => {
  const iat = Math.floor(Date.now() / 1000) - 60;
  const kept = await userToken('lena', 'kept', iat);
  const single = await userToken('lena', 'single', iat);
  await harness.api.revocations(
    apiEvent('POST', '/api/v1/revocations', {
      authorization: bearer(await admin()),
      body: '{"sub":"lena","jti":"single"}',
    }),
  );
  await harness.api.revocations(
    apiEvent('POST', '/api/v1/revocations', { authorization: bearer(await admin()), body: '{"sub":"lena"}' }),
  );
  const play = async (token: string) =>
    (await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }))).statusCode;
  expect([await play(kept), await play(single)]).toEqual([401, 401]);
  const cutoff = body<UserStateAnswer>(await call('GET', STATE, 'lena')).revokedBefore;
  const lifted = await call('DELETE', LIFT, 'lena');
  expect([lifted.statusCode, body(lifted)]).toEqual([200, { lifted: { iss: ISSUER, sub: 'lena', before: cutoff } }]);
  expect([await play(kept), await play(single)]).toEqual([200, 401]);
});

test('an unknown user: the read says nothing is stored, the lift changes nothing and creates no item', async () => {
  expect(body(await call('DELETE', LIFT, 'nobody'))).toEqual({ lifted: { iss: ISSUER, sub: 'nobody', before: null } });
  expect(body(await call('GET', STATE, 'nobody'))).toMatchObject({ known: false, sessions: [], liveSlots: 0 });
});

test('both refuse a token without the admin scope (403) and a malformed sub (400)', async () => {
  const viewer = await userToken('eve', 'eve-1');
  for (const path of [STATE, LIFT]) {
    const method = path === STATE ? 'GET' : 'DELETE';
    expect((await call(method, path, 'alice', viewer)).statusCode).toBe(403);
    expect((await call(method, path, 'a\u0000b')).statusCode).toBe(400);
    expect((await call(method, path, 'x'.repeat(257))).statusCode).toBe(400);
  }
});
