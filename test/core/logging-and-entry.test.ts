/**
 * Logs name jti and sub but never carry a whole token, signature, cookie or key; and the real
 * Lambda entry modules (lambda/handlers/*) answer from the environment alone.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureStateTable, startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import {
  apiEnv,
  apiEvent,
  bearer,
  LogCapture,
  playbackEvent,
  startHarness,
  TABLE,
  cloudFrontKey,
} from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('RS256');

test('logs carry jti and sub, and no token, signature, cookie value or key', async () => {
  const harness = await startHarness({ idpKeys: [idp] });
  const jti = randomUUID();
  const token = await mint(idp, { claims: { jti, sub: 'carol' } });
  const granted = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }));
  const denied = await harness.api.playback(
    playbackEvent('demo-1', { authorization: bearer(`${token.slice(0, -4)}AAAA`) }),
  );
  await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
  const text = harness.logs.text();
  await harness.close();

  expect(granted.statusCode).toBe(200);
  expect(denied.statusCode).toBe(401);
  const records = harness.logs.records();
  expect(records.find((record) => record.message === 'playback authorized')).toMatchObject({
    jti,
    sub: 'carol',
    videoId: 'demo-1',
  });
  expect(records.find((record) => record.message === 'session ended')).toMatchObject({ jti, sub: 'carol' });
  expect(records.find((record) => record.message === 'request denied')).toMatchObject({
    reason: 'bad_signature',
    tokenFingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
  });

  const secrets = [
    token,
    token.split('.')[2],
    ...(granted.cookies ?? []).map((cookie) => cookie.split(';')[0].split('=')[1]),
  ];
  const pem = readFileSync(harness.signingKey.file, 'utf8').split('\n')[1];
  for (const secret of [...secrets, pem]) expect(text).not.toContain(secret);
});

describe('the Lambda entry modules', () => {
  let dynamo: LocalDynamo;
  const saved = { ...process.env };
  beforeAll(async () => {
    dynamo = await startDynalite();
    await ensureStateTable(dynamo.endpoint, TABLE);
    Object.assign(
      process.env,
      apiEnv({ dynamoEndpoint: dynamo.endpoint, idpKeys: [idp], signingKeyFile: cloudFrontKey('rsa-2048').file }),
    );
  });
  afterAll(async () => {
    process.env = saved;
    await dynamo.stop();
  });

  test('playback, session and revocations handlers build the API from the environment and answer', async () => {
    const logs = new LogCapture();
    const playback = (await import('../../lambda/handlers/playback')).handler;
    const session = (await import('../../lambda/handlers/session')).handler;
    const revocations = (await import('../../lambda/handlers/revocations')).handler;
    const token = await mint(idp);
    expect((await playback(playbackEvent('demo-1', { authorization: bearer(token) }))).statusCode).toBe(200);
    expect((await session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }))).statusCode).toBe(
      204,
    );
    expect((await playback(playbackEvent('demo-1', { authorization: bearer(token) }))).statusCode).toBe(401);
    const admin = await mint(idp, { claims: { scope: 'streamgate:admin' } });
    const body = JSON.stringify({ sub: 'mallory' });
    expect(
      (await revocations(apiEvent('POST', '/api/v1/revocations', { authorization: bearer(admin), body }))).statusCode,
    ).toBe(201);
    logs.stop();
  });

  test('session and revocations never load the signing key (they are not granted its secret)', async () => {
    const logs = new LogCapture();
    const saved = { ...process.env };
    // A secret no one can read here (no AWS credentials, no endpoint): any attempt would fail init.
    delete process.env.SIGNING_KEY_FILE;
    process.env.SIGNING_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unreachable';
    process.env.AWS_ACCESS_KEY_ID = '';
    let session: ((event: ReturnType<typeof apiEvent>) => Promise<{ statusCode: number }>) | undefined;
    let revocations: typeof session;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      session = (require('../../lambda/handlers/session') as typeof import('../../lambda/handlers/session')).handler;
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      revocations = (require('../../lambda/handlers/revocations') as typeof import('../../lambda/handlers/revocations'))
        .handler;
    });
    const token = await mint(idp);
    expect((await session?.(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) })))?.statusCode).toBe(
      204,
    );
    const admin = await mint(idp, { claims: { scope: 'streamgate:admin' } });
    const body = JSON.stringify({ sub: 'mallory', jti: 'some-token' });
    expect(
      (await revocations?.(apiEvent('POST', '/api/v1/revocations', { authorization: bearer(admin), body })))
        ?.statusCode,
    ).toBe(201);
    process.env = saved;
    logs.stop();
  });
});
