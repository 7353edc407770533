/**
 * A 503 keeps the dependency failure behind it: the error's ES2022 `cause` is the original error,
 * the log line that records the 5xx names the cause's class and message, and the wire body is
 * unchanged (the cause is never sent to a client).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateCloudFrontKeyPair } from '../../lambda/core/cloudfront-key-types';
import { loadConfig } from '../../lambda/core/config';
import type { DrmConfig } from '../../lambda/core/drm-config';
import {
  causeSummary,
  KeysUnavailable,
  SigningKeyUnavailable,
  StoreUnavailable,
  UpstreamUnavailable,
} from '../../lambda/core/errors';
import { errorResponse } from '../../lambda/core/http';
import { LicenceProxy } from '../../lambda/core/licence-proxy';
import { TokenVerifier } from '../../lambda/core/token-verifier';
import { ActiveSigningKey } from '../../lambda/runtime/signing-key';
import { DynamoCaller } from '../../lambda/store/dynamo-call';
import { bearer, playbackEvent, startHarness } from '../support/harness';
import { AUDIENCE, idpKey, ISSUER, mint } from '../support/tokens';

const idp = idpKey('ES256');
let server: Server;
let missingJwks: string;

beforeAll(async () => {
  // A key set URL that answers 404: jose's fetch fails with its own error class.
  server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  missingJwks = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** The body the same error class answers without any cause: what a client got before causes existed. */
function bareBody(error: KeysUnavailable | StoreUnavailable): unknown {
  const bare = error instanceof StoreUnavailable ? new StoreUnavailable('') : new KeysUnavailable('');
  return JSON.parse(errorResponse(bare).body ?? '');
}

test('a failed JWKS fetch is KeysUnavailable whose cause is the fetch error itself', async () => {
  const verifier = new TokenVerifier(
    loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS_URL: missingJwks,
      REVOCATION_TABLE_NAME: 'table',
      MEDIA_BASE_URL: 'https://media.test.example',
      SIGNING_KEY_PAIR_ID: 'K1',
      SIGNING_KEY_FILE: '/unused',
    }).token,
  );
  const token = await mint(idp);
  const error = await verifier.verify(token, Math.floor(Date.now() / 1000)).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(KeysUnavailable);
  const cause = (error as KeysUnavailable).cause;
  expect(cause).toBeInstanceOf(Error);
  expect((cause as Error).name).toMatch(/^JOSE|^JWKS/);
  expect(causeSummary(error as KeysUnavailable)).toEqual({
    name: (cause as Error).name,
    message: (cause as Error).message,
  });
});

test('a failed store call is StoreUnavailable whose cause is the SDK error itself', async () => {
  const sdkError = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
  });
  const caller = new DynamoCaller({} as DynamoDBClient, 'table', 1000);
  const error = await caller
    .send(async () => {
      throw sdkError;
    })
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(StoreUnavailable);
  expect((error as StoreUnavailable).cause).toBe(sdkError);
  // The wire body is the one every StoreUnavailable has: nothing of the cause.
  const body = errorResponse(error as StoreUnavailable).body ?? '';
  expect(JSON.parse(body)).toEqual(bareBody(error as StoreUnavailable));
  expect(body).not.toContain('ProvisionedThroughput');
});

test('a failed signing-key re-read is SigningKeyUnavailable whose cause is the failure behind it', async () => {
  const privateKey = generateCloudFrontKeyPair('ECDSA_P256').privateKey.export({ type: 'pkcs8', format: 'pem' });
  const denied = Object.assign(new Error('User is not authorized to perform GetSecretValue'), {
    name: 'AccessDeniedException',
  });
  let failing = false;
  let now = 0;
  const client = {
    send: async () => {
      if (failing) throw denied;
      return { SecretString: JSON.stringify({ privateKey: privateKey.toString(), keyPairId: 'K1' }) };
    },
  } as unknown as SecretsManagerClient;
  const active = await ActiveSigningKey.create(
    {
      mediaBaseUrl: 'https://media.test.example',
      manifestName: 'index.m3u8',
      ttlSeconds: 300,
      bindViewerIp: false,
      key: { kind: 'secret', secretArn: 'arn' },
      keyRefreshSeconds: 60,
      hashAlgorithm: 'SHA256',
    },
    () => client,
    () => now,
  );
  failing = true;
  now = 61_000;
  const error = await active.refresh().catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SigningKeyUnavailable);
  // The load failed with the secret reader's error, which names the SDK error's class; that is the cause.
  const cause = (error as SigningKeyUnavailable).cause as Error;
  expect(cause).toBeInstanceOf(Error);
  expect(cause.message).toContain('AccessDeniedException');
  // ...and the SDK error itself stays behind the secret reader's, to the log line.
  expect(cause.cause).toBe(denied);
  expect(causeSummary(error as SigningKeyUnavailable)).toEqual({
    name: cause.name,
    message: cause.message,
    cause: { name: 'AccessDeniedException', message: denied.message },
  });
});

test('an unreachable licence server is UpstreamUnavailable whose cause is the connection error', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'FetchError' });
  const config: DrmConfig = {
    catalog: new Map(),
    upstreams: {},
    timeoutMs: 2000,
    maxBodyBytes: 1024,
    maxAnswerBytes: 1024,
  };
  const proxy = new LicenceProxy(config, {
    clearkey: {
      call: async () => {
        throw refused;
      },
    },
  });
  const error = await proxy
    .forward({ videoId: 'v', drmSystem: 'clearkey', body: Buffer.from('{}'), contentType: undefined }, () => undefined)
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(UpstreamUnavailable);
  expect((error as UpstreamUnavailable).cause).toBe(refused);
});

test('a cause message is bounded and never carries a token', () => {
  const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
  const error = new KeysUnavailable('x', { cause: new Error(`bad answer for ${token} ${'y'.repeat(1000)}`) });
  const summary = causeSummary(error);
  expect(summary?.message).not.toContain(token);
  expect(summary?.message).not.toContain('c2lnbmF0dXJl');
  expect(summary?.message.length).toBeLessThanOrEqual(301);
  expect(causeSummary(new KeysUnavailable('x'))).toBeUndefined();
});

test("the logged 503 names the cause's class and message; the client's body does not", async () => {
  const harness = await startHarness({ idpKeys: [idp], extraEnv: { JWT_JWKS: '', JWT_JWKS_URL: missingJwks } });
  const token = await mint(idp);
  const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }));
  const records = harness.logs.records();
  const text = harness.logs.text();
  await harness.close();

  expect(response.statusCode).toBe(503);
  const denied = records.find((record) => record.reason === 'keys_unavailable');
  expect(denied).toMatchObject({
    status: 503,
    cause: { name: expect.stringMatching(/^JOSE|^JWKS/), message: expect.any(String) },
  });
  const cause = denied?.cause as { name: string; message: string };
  expect(cause.message.length).toBeGreaterThan(0);
  // The body is exactly the one a KeysUnavailable always had: no cause, no stack.
  const expected = new KeysUnavailable('');
  expect(JSON.parse(response.body ?? '')).toEqual(bareBody(expected));
  expect(response.body).not.toContain(cause.name);
  expect(response.body).not.toContain(cause.message);
  // The log carries no stack and no token.
  expect(text).not.toContain(token);
  expect(text).not.toMatch(/\n\s+at /);
});

test('a 4xx log line carries no cause field', async () => {
  const harness = await startHarness({ idpKeys: [idp] });
  const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer('not.a.token') }));
  const records = harness.logs.records();
  await harness.close();
  expect(response.statusCode).toBe(401);
  const denied = records.find((record) => record.message === 'request denied');
  expect(denied).toBeDefined();
  expect(denied).not.toHaveProperty('cause');
});
