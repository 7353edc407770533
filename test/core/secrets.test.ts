/**
 * Deployed mode reads the CloudFront private key and the origin-verify values (current and, during
 * a rotation, previous) from Secrets Manager, once per process. Secrets Manager is the one AWS
 * boundary that cannot exist here, so a loopback server answers its JSON protocol (GetSecretValue,
 * by staging label) and counts the calls.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createApi, createLicenceRoute } from '../../lambda/runtime/runtime';
import { ensureStateTable, startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import { apiEnv, bearer, cloudFrontKey, LogCapture, licenceEvent, playbackEvent, TABLE } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');
const key = cloudFrontKey('rsa-2048');
const ORIGIN_SECRET = 'a-long-random-origin-verify-value';
const PREVIOUS_ORIGIN_SECRET = 'the-origin-verify-value-before-rotation';
const SIGNING_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing';
const ORIGIN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin';
const ROTATED_ORIGIN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-rotated';
/** Each secret's versions by staging label; a label not listed answers ResourceNotFoundException, as Secrets Manager does. */
const SECRETS: Record<string, Record<string, string>> = {
  [SIGNING_ARN]: {
    AWSCURRENT: JSON.stringify({ privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) }),
  },
  [ORIGIN_ARN]: { AWSCURRENT: ORIGIN_SECRET },
  [ROTATED_ORIGIN_ARN]: { AWSCURRENT: ORIGIN_SECRET, AWSPREVIOUS: PREVIOUS_ORIGIN_SECRET },
};

let server: Server;
let reads: string[] = [];
let dynamo: LocalDynamo;
let secrets: SecretsManagerClient;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { SecretId, VersionStage = 'AWSCURRENT' } = JSON.parse(body) as { SecretId: string; VersionStage?: string };
      reads.push(`${SecretId} ${VersionStage}`);
      const value = SECRETS[SecretId]?.[VersionStage];
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || value === undefined) {
        res
          .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ ARN: SecretId, Name: 'x', SecretString: value }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  secrets = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await dynamo.stop();
});
beforeEach(() => {
  reads = [];
});

const deployedEnv = () => {
  const env: Record<string, string | undefined> = apiEnv({
    dynamoEndpoint: dynamo.endpoint,
    idpKeys: [idp],
    signingKeyFile: '',
    extra: {
      SIGNING_KEY_SECRET_ARN: SIGNING_ARN,
      ORIGIN_VERIFY_SECRET_ARN: ORIGIN_ARN,
    },
  });
  delete env.SIGNING_KEY_FILE;
  return env;
};

test('the signing key and origin-verify value are read from Secrets Manager once per process (within the key refresh period)', async () => {
  const logs = new LogCapture();
  const api = await createApi({ env: deployedEnv(), logger: logs.logger, secrets });
  const headers = { 'x-origin-verify': ORIGIN_SECRET };
  for (let call = 0; call < 3; call += 1) {
    expect(
      (await api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)), headers }))).statusCode,
    ).toBe(200);
  }
  expect(reads.sort()).toEqual([
    `${ORIGIN_ARN} AWSCURRENT`,
    `${ORIGIN_ARN} AWSPENDING`,
    `${ORIGIN_ARN} AWSPREVIOUS`,
    `${SIGNING_ARN} AWSCURRENT`,
  ]);
  expect(logs.text()).not.toContain(ORIGIN_SECRET);
  logs.stop();
});

test('a request without the origin-verify header (it bypassed CloudFront) is refused with 403', async () => {
  const logs = new LogCapture();
  const api = await createApi({ env: deployedEnv(), logger: logs.logger, secrets });
  const token = await mint(idp);
  for (const headers of [{}, { 'x-origin-verify': 'guess' }, { 'x-origin-verify': `${ORIGIN_SECRET}x` }] as Record<
    string,
    string
  >[]) {
    const response = await api.playback(playbackEvent('demo-1', { authorization: bearer(token), headers }));
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'forbidden' });
    expect(response.cookies ?? []).toEqual([]);
  }
  logs.stop();
});

test('origin-verify rotation overlap: edges still sending the previous value are served, so a rotation causes no 403 burst', async () => {
  const logs = new LogCapture();
  const api = await createApi({
    env: { ...deployedEnv(), ORIGIN_VERIFY_SECRET_ARN: ROTATED_ORIGIN_ARN },
    logger: logs.logger,
    secrets,
  });
  for (const value of [ORIGIN_SECRET, PREVIOUS_ORIGIN_SECRET]) {
    const response = await api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(idp)), headers: { 'x-origin-verify': value } }),
    );
    expect(response.statusCode).toBe(200);
  }
  logs.stop();
});

test('origin-verify rotated after init: a container holding the old value serves edges already sending the new one (one re-read)', async () => {
  const logs = new LogCapture();
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-rotating';
  SECRETS[arn] = { AWSCURRENT: PREVIOUS_ORIGIN_SECRET };
  try {
    const api = await createApi({
      env: { ...deployedEnv(), ORIGIN_VERIFY_SECRET_ARN: arn },
      logger: logs.logger,
      secrets,
    });
    // put-secret-value: the new value becomes AWSCURRENT, the old one AWSPREVIOUS.
    SECRETS[arn] = { AWSCURRENT: ORIGIN_SECRET, AWSPREVIOUS: PREVIOUS_ORIGIN_SECRET };
    reads = [];
    for (const value of [ORIGIN_SECRET, PREVIOUS_ORIGIN_SECRET, ORIGIN_SECRET]) {
      const response = await api.playback(
        playbackEvent('demo-1', { authorization: bearer(await mint(idp)), headers: { 'x-origin-verify': value } }),
      );
      expect(response.statusCode).toBe(200);
    }
    expect(reads.sort()).toEqual([`${arn} AWSCURRENT`, `${arn} AWSPENDING`, `${arn} AWSPREVIOUS`]);
  } finally {
    delete SECRETS[arn];
    logs.stop();
  }
});

test('origin-verify after the overlap ends (AWSPREVIOUS removed): the previous value is refused with 403', async () => {
  const logs = new LogCapture();
  const api = await createApi({ env: deployedEnv(), logger: logs.logger, secrets });
  const response = await api.playback(
    playbackEvent('demo-1', {
      authorization: bearer(await mint(idp)),
      headers: { 'x-origin-verify': PREVIOUS_ORIGIN_SECRET },
    }),
  );
  expect(response.statusCode).toBe(403);
  expect(response.cookies ?? []).toEqual([]);
  logs.stop();
});

test('a missing signing-key secret fails init naming the variable', async () => {
  const logs = new LogCapture();
  const env = {
    ...deployedEnv(),
    SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing',
  };
  await expect(createApi({ env, logger: logs.logger, secrets })).rejects.toThrow(
    /^SIGNING_KEY_SECRET_ARN: cannot be read \(ResourceNotFoundException\)/,
  );
  logs.stop();
});

describe('the licence function (deployed)', () => {
  const LICENCE_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:drm-vendor-Ab12Cd';
  const LICENCE_CREDENTIAL = 'vendor-api-key-that-must-never-be-logged';
  let vendor: Server;
  let seen: (string | undefined)[] = [];
  beforeAll(async () => {
    SECRETS[LICENCE_ARN] = { AWSCURRENT: LICENCE_CREDENTIAL };
    vendor = createServer((req, res) => {
      seen.push(req.headers['x-api-key'] as string | undefined);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(32, 7)));
    });
    await new Promise<void>((done) => vendor.listen(0, '127.0.0.1', done));
  });
  afterAll(() => {
    vendor.closeAllConnections();
    vendor.close();
    delete SECRETS[LICENCE_ARN];
  });
  beforeEach(() => {
    seen = [];
  });

  const licenceEnv = () => {
    const env = deployedEnv();
    // What is read and sent is the point here: no playback beforehand, so no sharing record to judge by.
    env.SHARING_MAX_NETWORKS = '0';
    env.DRM_CATALOG = JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } });
    env.LICENCE_UPSTREAMS = JSON.stringify({
      widevine: {
        url: `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/widevine`,
        header: 'x-api-key',
        secretArn: LICENCE_ARN,
      },
    });
    return env;
  };
  const widevine = async (headers: Record<string, string>) => {
    const event = licenceEvent('demo-3', 'widevine', {
      authorization: bearer(await mint(idp)),
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(64, 1).toString('base64'),
    });
    event.isBase64Encoded = true;
    return event;
  };

  test("reads the vendor's credential once at init, never the signing key, and adds it to each licence call unlogged", async () => {
    const logs = new LogCapture();
    const licence = await createLicenceRoute({ env: licenceEnv(), logger: logs.logger, secrets });
    for (let call = 0; call < 2; call += 1)
      expect((await licence.handle(await widevine({ 'x-origin-verify': ORIGIN_SECRET }))).statusCode).toBe(200);
    expect(seen).toEqual([LICENCE_CREDENTIAL, LICENCE_CREDENTIAL]);
    expect(reads.sort()).toEqual([
      `${LICENCE_ARN} AWSCURRENT`,
      `${ORIGIN_ARN} AWSCURRENT`,
      `${ORIGIN_ARN} AWSPENDING`,
      `${ORIGIN_ARN} AWSPREVIOUS`,
    ]);
    expect(logs.text()).not.toContain(LICENCE_CREDENTIAL);
    logs.stop();
  });

  test('a licence request that bypassed CloudFront is refused with 403 before the vendor is asked', async () => {
    const logs = new LogCapture();
    const licence = await createLicenceRoute({ env: licenceEnv(), logger: logs.logger, secrets });
    for (const headers of [{}, { 'x-origin-verify': 'guess' }] as Record<string, string>[]) {
      const response = await licence.handle(await widevine(headers));
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'forbidden' });
    }
    expect(seen).toEqual([]);
    logs.stop();
  });

  test('an unreadable vendor secret fails init naming the variable', async () => {
    const logs = new LogCapture();
    const env = licenceEnv();
    env.LICENCE_UPSTREAMS = (env.LICENCE_UPSTREAMS ?? '').replace(LICENCE_ARN, `${LICENCE_ARN}x`);
    await expect(createLicenceRoute({ env, logger: logs.logger, secrets })).rejects.toThrow(
      /^LICENCE_UPSTREAMS: cannot be read \(ResourceNotFoundException\)/,
    );
    logs.stop();
  });
});
