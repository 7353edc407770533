/**
 * lambda/store/state-stores.ts: the access-state store built from the API's configuration in one
 * place. Its limits are the configured ones, and it reads and writes the configured table
 * through the configured endpoint (dynalite here), failing closed when that table is not there.
 */
import type { AccessState } from '../../lambda/core/access-state';
import { callerCall } from '../../lambda/core/access-state';
import { loadConfig } from '../../lambda/core/config';
import { accessLimits, createStateStores } from '../../lambda/store/state-stores';
import { ensureStateTable, startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import { apiEnv, cloudFrontKey, TABLE } from '../support/harness';
import { FAIL_ON_HYGIENE_ERROR } from '../support/hygiene';
import { idpKey, ISSUER } from '../support/tokens';

const NOW = 1_800_000_000;
const idp = idpKey('ES256');
const signingKey = cloudFrontKey('ecdsa-p256');

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
});
afterAll(() => dynamo.stop());

const configWith = (extra: Record<string, string>) =>
  loadConfig(apiEnv({ dynamoEndpoint: dynamo.endpoint, idpKeys: [idp], signingKeyFile: signingKey.file, extra }));

const call = (access: AccessState, sub: string) =>
  access.admit(
    callerCall({ iss: ISSUER, sub, jti: `${sub}-1`, iat: NOW - 5 }, NOW, {
      maxLifetimeSeconds: 3600,
      clockToleranceSeconds: 30,
    }),
  );

test('the limits are the configured ones; grant buckets are a grant lifetime plus a clock margin wide', () => {
  const config = configWith({
    RATE_LIMIT_PER_WINDOW: '7',
    RATE_LIMIT_WINDOW_SECONDS: '90',
    MAX_CONCURRENT_STREAMS: '2',
    STREAM_LIMIT_POLICY: 'evict-oldest',
    SHARING_MAX_NETWORKS: '4',
    MAX_SESSIONS_PER_HOUR: '11',
    MAX_GRANTS_PER_BUCKET: '40',
    SIGNED_TTL_SECONDS: '120',
  });
  expect(accessLimits(config)).toEqual({
    rateLimit: 7,
    rateWindowSeconds: 90,
    maxStreams: 2,
    streamLimitPolicy: 'evict-oldest',
    sharing: config.abuse.sharing,
    grantBucketSeconds: 120 + 300,
    maxSessionsPerHour: 11,
    maxGrantsPerBucket: 40,
  });
  expect(config.abuse.sharing.maxNetworks).toBe(4);
});

test('the store it builds enforces the configured limits on the configured table', async () => {
  const stores = createStateStores(configWith({ RATE_LIMIT_PER_WINDOW: '2' }), FAIL_ON_HYGIENE_ERROR);
  try {
    const outcomes = [];
    for (let index = 0; index < 3; index += 1) outcomes.push((await call(stores.access, 'quinn')).outcome);
    expect(outcomes).toEqual(['admitted', 'admitted', 'rate-limited']);
    await stores.access.revokeUser({ iss: ISSUER, sub: 'rosa' }, NOW, NOW, NOW + 86_400);
    expect((await call(stores.access, 'rosa')).outcome).toBe('revoked');
  } finally {
    stores.dynamo.client.destroy();
  }
});

test('a configured table that does not exist fails closed: the call is refused as a store outage', async () => {
  const stores = createStateStores(configWith({ REVOCATION_TABLE_NAME: 'no-such-table' }), FAIL_ON_HYGIENE_ERROR);
  try {
    await expect(call(stores.access, 'sam')).rejects.toMatchObject({ status: 503, reason: 'store_unavailable' });
  } finally {
    stores.dynamo.client.destroy();
  }
});
