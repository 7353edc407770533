import { randomBytes } from 'node:crypto';
import { createApi } from '../lambda/runtime/runtime';
import { ensureStateTable } from '../local/dynamo-server';
import { ClearKeyLicenceServer, startClearKeyServer } from '../local/drm/clearkey-server';
import { apiEnv, bearer, cloudFrontKey, LogCapture, licenceEvent, TABLE } from '../test/support/harness';
import { idpKey, mint } from '../test/support/tokens';
import { startDynaliteProcess } from './dynalite-process';
import { measure } from './measure';
const CREDENTIAL = randomBytes(24).toString('base64url');
async function main() {
  const key = { kid: randomBytes(16), key: randomBytes(16) };
  const licences = new ClearKeyLicenceServer((v) => (v === 'demo-3' ? [key] : undefined));
  const server = await startClearKeyServer(licences, {
    credential: { header: 'x-clearkey-credential', value: CREDENTIAL },
  });
  const body = JSON.stringify({ kids: [key.kid.toString('base64url')], type: 'temporary' });
  const idp = idpKey('ES256');
  const tokens = await Promise.all(
    Array.from({ length: 1500 }, (_, i) => mint(idp, { claims: { sub: `viewer-${i}`, videos: ['demo-3'] } })),
  );
  const dynamo = await startDynaliteProcess();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const logs = new LogCapture();
  logs.logger.setLogLevel('ERROR');
  const env = apiEnv({
    dynamoEndpoint: dynamo.endpoint,
    idpKeys: [idp],
    signingKeyFile: cloudFrontKey('ecdsa-p256').file,
    extra: {
      RATE_LIMIT_PER_WINDOW: '60',
      DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
      LICENCE_UPSTREAMS: JSON.stringify({
        clearkey: { url: `${server.url}/clearkey/{videoId}`, header: 'x-clearkey-credential', secretEnv: 'BENCH_CK' },
      }),
      BENCH_CK: CREDENTIAL,
    },
  });
  const api = await createApi({ env, logger: logs.logger, signs: false, licences: true });
  let next = 0;
  let failed = 0;
  const proxied = async () => {
    next = (next + 1) % tokens.length;
    const r = await api.licence(
      licenceEvent('demo-3', 'clearkey', {
        authorization: bearer(tokens[next]),
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    if (r.statusCode !== 200) failed++;
  };
  for (let i = 0; i < tokens.length; i += 16) await Promise.all(Array.from({ length: 16 }, () => proxied()));
  const mode = process.env.MODE ?? 'proxied';
  const direct = async () => {
    const r = await fetch(`${server.url}/clearkey/demo-3`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-clearkey-credential': CREDENTIAL },
      body,
    });
    await r.arrayBuffer();
  };
  const rate = await measure(mode, mode === 'direct' ? direct : proxied, 4, 16);
  logs.stop();
  console.log(rate, failed);
  await server.close();
  dynamo.stop();
}
main();
