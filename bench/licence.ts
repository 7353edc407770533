/**
 * Licence proxy overhead: a ClearKey licence asked through the licence route (token verified;
 * revocation by token and by user checked and the user's rate-limit counter written in one
 * conditional write; entitlement; then the licence server over loopback HTTP) against the same licence asked of the local ClearKey server
 * directly, 16 in flight, in alternating rounds of the same run. Target: the proxy adds at most
 * 2x the licence server's own time per licence.
 *
 * dynalite runs in its own process (its CPU is not the measured thread's); the ClearKey server
 * runs in this process for both lines alike. A vendor's licence server answers in tens of
 * milliseconds, the local one in well under one, so this is the harshest ratio the proxy can get.
 */
import { randomBytes } from 'node:crypto';
import { createLicenceRoute } from '../lambda/runtime/runtime';
import { ensureStateTable } from '../local/dynamo-server';
import { ClearKeyLicenceServer, startClearKeyServer } from '../local/drm/clearkey-server';
import { apiEnv, bearer, cloudFrontKey, LogCapture, licenceEvent, TABLE } from '../test/support/harness';
import { idpKey, mint } from '../test/support/tokens';
import { startDynaliteProcess } from './dynalite-process';
import { alternating, report } from './measure';
import { licenceStoreCalls } from './store-calls';
import { loadConfig } from '../lambda/core/config';

const CONCURRENCY = 16;
const ROUNDS = 5;
/** Enough users that none reaches the rate limit (60 a minute) at full speed. */
const USERS = 1500;
const CREDENTIAL = randomBytes(24).toString('base64url');

export async function benchLicence(seconds: number): Promise<void> {
  const key = { kid: randomBytes(16), key: randomBytes(16) };
  const licences = new ClearKeyLicenceServer((videoId) => (videoId === 'demo-3' ? [key] : undefined));
  const server = await startClearKeyServer(licences, {
    credential: { header: 'x-clearkey-credential', value: CREDENTIAL },
  });
  const body = JSON.stringify({ kids: [key.kid.toString('base64url')], type: 'temporary' });
  const idp = idpKey('ES256');
  const tokens = await Promise.all(
    Array.from({ length: USERS }, (_, index) => mint(idp, { claims: { sub: `viewer-${index}`, videos: ['demo-3'] } })),
  );
  const dynamo = await startDynaliteProcess();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const logs = new LogCapture({ keep: false });
  logs.logger.setLogLevel('ERROR');
  const env = apiEnv({
    dynamoEndpoint: dynamo.endpoint,
    idpKeys: [idp],
    signingKeyFile: cloudFrontKey('ecdsa-p256').file,
    extra: {
      RATE_LIMIT_PER_WINDOW: '60',
      // This function signs nothing, so the tokens never play: no sharing record to judge licences by.
      SHARING_MAX_NETWORKS: '0',
      DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
      LICENCE_UPSTREAMS: JSON.stringify({
        clearkey: { url: `${server.url}/clearkey/{videoId}`, header: 'x-clearkey-credential', secretEnv: 'BENCH_CK' },
      }),
      BENCH_CK: CREDENTIAL,
    },
  });
  // The licence function as deployed: it reads no signing key.
  const licence = await createLicenceRoute({ env, logger: logs.logger });

  let failed = 0;
  let next = 0;
  const direct = async () => {
    const response = await fetch(`${server.url}/clearkey/demo-3`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-clearkey-credential': CREDENTIAL },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 200) failed += 1;
  };
  const proxied = async () => {
    next = (next + 1) % tokens.length;
    const response = await licence.handle(
      licenceEvent('demo-3', 'clearkey', {
        authorization: bearer(tokens[next]),
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    if (response.statusCode !== 200) failed += 1;
  };
  // Steady state: every user's items exist, every token's signature check is cached.
  for (let index = 0; index < tokens.length; index += CONCURRENCY)
    await Promise.all(Array.from({ length: CONCURRENCY }, () => proxied()));
  failed = 0;

  const store = licenceStoreCalls(loadConfig(env), tokens, () => {
    failed += 1;
  });
  const [upstream, proxy, storeAlone] = await alternating(
    [
      ['licence server directly (ClearKey over loopback HTTP)', direct],
      ['through the licence proxy (checks, then the same server)', proxied],
      ["the proxy's store call alone (one UpdateItem)", store],
    ],
    ROUNDS,
    seconds / 2,
    CONCURRENCY,
  );
  logs.stop();
  await server.close();
  dynamo.stop();

  console.log(
    `\nlicence proxy: ${CONCURRENCY} in flight, median of ${ROUNDS} alternating rounds${failed > 0 ? `; ${failed} calls failed` : ''}`,
  );
  report(upstream, [proxy, storeAlone]);
  // Time per licence at this concurrency (in flight / rate): what the proxy adds, against the server's own.
  const perCall = (rate: { perSecond: number }) => (CONCURRENCY * 1000) / rate.perSecond;
  const own = perCall(upstream);
  const added = perCall(proxy) - own;
  const storeTime = perCall(storeAlone);
  console.log(
    `  per licence: the server's own ${own.toFixed(2)} ms; the proxy adds ${added.toFixed(2)} ms` +
      ` = ${(added / own).toFixed(2)}x the server's own time (target <= 2x),` +
      ` of which the store emulator ${storeTime.toFixed(2)} ms; the proxy's own code ${(added - storeTime).toFixed(2)} ms` +
      ` = ${((added - storeTime) / own).toFixed(2)}x`,
  );
}

if (require.main === module) {
  benchLicence(Number(process.env.BENCH_SECONDS ?? '2')).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
