/**
 * Revocation through the API against a real dynalite: admin revocations by jti and by user,
 * logout, idempotency, and that a revocation is never weakened by a later, smaller write.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../lambda/store/dynamo-call';
import { sessionAttribute, sessionId, STATE_TABLE, USER_ATTRIBUTES, userKey } from '../../lambda/store/table-schema';
import { apiEvent, bearer, playbackEvent, startHarness, TABLE, type Harness } from '../support/harness';
import { idpKey, ISSUER, mint } from '../support/tokens';

const idp = idpKey('RS256');
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ idpKeys: [idp] });
});
afterAll(() => harness.close());

/** The revocation mark of a token on its user's item. */
const revocationMark = (jti: string, sub = 'alice'): string =>
  sessionAttribute('revoked', sessionId({ iss: ISSUER, sub, jti }));
const subKey = (sub: string): string => userKey({ iss: ISSUER, sub });
const admin = (): Promise<string> => mint(idp, { claims: { scope: 'streamgate:admin', sub: 'ops' } });
const revokeCall = async (body: unknown, token?: string) =>
  harness.api.revocations(
    apiEvent('POST', '/api/v1/revocations', {
      authorization: bearer(token ?? (await admin())),
      body: JSON.stringify(body),
    }),
  );
const play = (token: string) => harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }));

async function storedItem(key: string): Promise<Record<string, { N?: string; S?: string }> | undefined> {
  const client = createDynamoClient({
    tableName: TABLE,
    endpoint: harness.dynamo.endpoint,
    region: 'us-east-1',
    timeoutMs: 1000,
  });
  const output = await client.send(
    new GetItemCommand({ TableName: TABLE, Key: { [STATE_TABLE.partitionKey]: { S: key } }, ConsistentRead: true }),
  );
  client.destroy();
  return output.Item as Record<string, { N?: string; S?: string }> | undefined;
}

describe('POST /api/v1/revocations', () => {
  test('an admin revokes one token by jti: 201, and that token is refused from then on', async () => {
    const jti = randomUUID();
    const viewer = await mint(idp, { claims: { jti } });
    expect((await play(viewer)).statusCode).toBe(200);
    const response = await revokeCall({ sub: 'alice', jti });
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body ?? '{}')).toEqual({ revoked: { iss: ISSUER, sub: 'alice', jti } });
    expect((await play(viewer)).statusCode).toBe(401);
    // Another token of the same user is unaffected.
    expect((await play(await mint(idp))).statusCode).toBe(200);
  });

  test("the jti's mark, and the user item holding it, last until any token carrying it must have expired", async () => {
    const jti = randomUUID();
    const before = Math.floor(Date.now() / 1000);
    await revokeCall({ sub: 'alice', jti });
    const item = await storedItem(subKey('alice'));
    const markedUntil = Number(item?.[revocationMark(jti)]?.N);
    expect(markedUntil).toBeGreaterThanOrEqual(before + 3600 + 30);
    expect(Number(item?.[STATE_TABLE.ttlAttribute]?.N)).toBeGreaterThanOrEqual(markedUntil);
  });

  test('an admin revokes a user: every token issued before the cut-off is refused, newer ones pass', async () => {
    const sub = `viewer-${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const old = await mint(idp, { claims: { sub }, now: now - 60 });
    expect((await play(old)).statusCode).toBe(200);
    expect((await revokeCall({ sub, before: now - 30 })).statusCode).toBe(201);
    expect((await play(old)).statusCode).toBe(401);
    expect((await play(await mint(idp, { claims: { sub }, now }))).statusCode).toBe(200);
  });

  test('revoking a user without "before" cuts off at the current time', async () => {
    const sub = `viewer-${randomUUID()}`;
    const token = await mint(idp, { claims: { sub }, now: Math.floor(Date.now() / 1000) - 5 });
    const response = await revokeCall({ sub });
    expect(response.statusCode).toBe(201);
    expect((await play(token)).statusCode).toBe(401);
  });

  test('is idempotent and never moves a user cut-off backwards', async () => {
    const sub = `viewer-${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    expect((await revokeCall({ sub, before: now })).statusCode).toBe(201);
    expect((await revokeCall({ sub, before: now })).statusCode).toBe(201);
    expect((await revokeCall({ sub, before: now - 600 })).statusCode).toBe(201);
    expect((await storedItem(subKey(sub)))?.[USER_ATTRIBUTES.revokedBefore]?.N).toBe(String(now));
  });

  test('refuses a caller without the admin scope with 403 insufficient_scope', async () => {
    const response = await revokeCall({ sub: 'alice', jti: randomUUID() }, await mint(idp));
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'insufficient_scope' });
  });

  test('refuses an unauthenticated caller with 401', async () => {
    const response = await harness.api.revocations(
      apiEvent('POST', '/api/v1/revocations', { body: JSON.stringify({ jti: 'x' }) }),
    );
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="streamgate"');
  });

  test.each([
    ['not JSON', '{jti:'],
    ['an array', '[]'],
    ['a jti without its sub', JSON.stringify({ jti: 'a' })],
    ['jti and before together', JSON.stringify({ sub: 'b', jti: 'a', before: 1 })],
    ['neither', JSON.stringify({})],
    ['an unknown field', JSON.stringify({ jti: 'a', reason: 'x' })],
    ['a non-string jti', JSON.stringify({ jti: 42 })],
    ['a control character in sub', JSON.stringify({ sub: 'a\u0000b' })],
    ['a fractional before', JSON.stringify({ sub: 'a', before: 1.5 })],
    ['a before in the future', JSON.stringify({ sub: 'a', before: Math.floor(Date.now() / 1000) + 3600 })],
    [
      'a before later than now + tolerance + 1 s',
      JSON.stringify({ sub: 'a', before: Math.floor(Date.now() / 1000) + 40 }),
    ],
  ])('answers 400 invalid_request for a body with %s', async (_case, body) => {
    const response = await harness.api.revocations(
      apiEvent('POST', '/api/v1/revocations', { authorization: bearer(await admin()), body }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'invalid_request' });
  });
});

describe('DELETE /api/v1/session', () => {
  test('logout answers 204 and the token gets no more cookies', async () => {
    const token = await mint(idp);
    expect((await play(token)).statusCode).toBe(200);
    const response = await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
    expect(response.statusCode).toBe(204);
    expect(response.body).toBeUndefined();
    const refused = await play(token);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(JSON.parse(refused.body ?? '{}')).toMatchObject({ error_description: 'token has been revoked' });
  });

  test('logout twice is still 204 (idempotent)', async () => {
    const token = await mint(idp);
    const event = apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) });
    expect((await harness.api.session(event)).statusCode).toBe(204);
    expect((await harness.api.session(event)).statusCode).toBe(204);
  });

  test('logout keeps the revocation until the token expires', async () => {
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(idp, { claims: { jti }, now, lifetime: 600 });
    await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
    const item = await storedItem(subKey('alice'));
    expect(Number(item?.[revocationMark(jti)]?.N)).toBe(now + 600 + 30);
    expect(Number(item?.[STATE_TABLE.ttlAttribute]?.N)).toBeGreaterThanOrEqual(now + 600 + 30);
  });

  test('logout with an invalid token is refused with 401', async () => {
    const response = await harness.api.session(
      apiEvent('DELETE', '/api/v1/session', { authorization: bearer('a.b.c') }),
    );
    expect(response.statusCode).toBe(401);
  });
});
