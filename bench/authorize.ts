/**
 * Authorize throughput in-process against two baselines measured in the same run: the raw
 * CloudFront signature (node:crypto sign with the same key) and raw jose verification of the
 * same tokens. The signature is the physical floor of the path. The in-process runs leave out the
 * store's network round trip (InProcessStore) to measure the handler's own CPU cost.
 */
import { createSign } from 'node:crypto';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadConfig } from '../lambda/core/config';
import type { AccessState } from '../lambda/core/access-state';
import { createApi } from '../lambda/runtime/runtime';
import { ensureStateTable, startDynalite } from '../local/dynamo-server';
import {
  apiEnv,
  bearer,
  cloudFrontKey,
  LogCapture,
  playbackEvent,
  TABLE,
  type SigningKeyKind,
} from '../test/support/harness';
import { AUDIENCE, idpKey, ISSUER, jwksOf, mint } from '../test/support/tokens';
import { measure, report, type Rate } from './measure';

/** The store's network round trip taken out, to measure the handler's own CPU cost: nothing revoked, no limits. */
const inProcessState: AccessState = {
  limits: {
    rateLimit: 0,
    rateWindowSeconds: 60,
    maxStreams: 0,
    sharing: { maxNetworks: 0, maxCountries: 1, action: 'alert' },
    grantBucketSeconds: 600,
    maxSessionsPerHour: 200,
    maxGrantsPerBucket: 500,
  },
  authorize: async () => ({ outcome: 'admitted' }),
  admit: async () => ({ outcome: 'admitted' }),
  licence: async () => ({ outcome: 'admitted' }),
  logout: async () => ({ outcome: 'done', alreadyRevoked: false }),
  revokeSession: async () => true,
  revokeUser: async () => undefined,
  userState: async () => ({ known: false, sessions: [], liveSlots: 0 }),
  liftCutoff: async () => undefined,
};

export async function benchAuthorize(seconds: number): Promise<void> {
  const idp = idpKey('RS256');
  const tokens = await Promise.all(Array.from({ length: 2000 }, () => mint(idp, { claims: { videos: ['demo-1'] } })));
  let next = 0;
  const nextToken = (): string => tokens[(next = (next + 1) % tokens.length)];
  const dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const logs = new LogCapture({ keep: false });
  logs.logger.setLogLevel('ERROR');

  const results: [SigningKeyKind, Rate, Rate[]][] = [];
  for (const kind of ['rsa-2048', 'ecdsa-p256'] as const) {
    const key = cloudFrontKey(kind);
    const env = apiEnv({ dynamoEndpoint: dynamo.endpoint, idpKeys: [idp], signingKeyFile: key.file });
    const config = loadConfig(env);
    const policy = JSON.stringify({
      Statement: [
        {
          Resource: 'https://media.test.example/media/demo-1/*',
          Condition: { DateLessThan: { 'AWS:EpochTime': 2000000000 } },
        },
      ],
    });
    const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwks = createLocalJWKSet(jwksOf(idp) as Parameters<typeof createLocalJWKSet>[0]);

    const rawSign = await measure(
      `raw CloudFront signature, node:crypto (${kind}, SHA-256)`,
      () => createSign('SHA256').update(policy).sign(key.privateKey),
      seconds,
    );
    const rawVerify = await measure(
      'raw jose jwtVerify (RS256 token)',
      () => jwtVerify(nextToken(), jwks, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] }),
      seconds,
    );
    const signerPem = await measure(
      '@aws-sdk/cloudfront-signer given the PEM each call',
      () => getSignedCookies({ policy, keyPairId: 'K1', privateKey: pem, algorithm: 'SHA256' }),
      seconds,
    );

    // Abuse defences off (their stores are DynamoDB round trips; bench/abuse.ts measures them),
    // and the revocation read answered in process: what is left is the handler's own CPU.
    const offline = { ...env, SHARING_MAX_NETWORKS: '0', MAX_CONCURRENT_STREAMS: '0', RATE_LIMIT_PER_WINDOW: '0' };
    const inProcess = (cacheSeconds: number) =>
      createApi({
        env: { ...offline, JWT_VERIFIED_CACHE_SECONDS: String(cacheSeconds) },
        state: inProcessState,
        logger: logs.logger,
      });
    const cold = await inProcess(0);
    const authorizeCold = await measure(
      'authorize, first presentation of each token (no reuse)',
      () => cold.playback(playbackEvent('demo-1', { authorization: bearer(nextToken()) })),
      seconds,
    );
    const warm = await inProcess(config.token.cacheSeconds);
    const authorizeWarm = await measure(
      'authorize, token re-presented (cookie refresh)',
      () => warm.playback(playbackEvent('demo-1', { authorization: bearer(nextToken()) })),
      seconds,
    );
    const withDynalite = await createApi({
      env: { ...env, SHARING_MAX_NETWORKS: '0', MAX_CONCURRENT_STREAMS: '0', RATE_LIMIT_PER_WINDOW: '0' },
      logger: logs.logger,
    });
    const authorizeDynalite = await measure(
      'authorize handler + dynalite on loopback (16 in flight)',
      () => withDynalite.playback(playbackEvent('demo-1', { authorization: bearer(nextToken()) })),
      seconds,
      16,
    );
    results.push([kind, rawSign, [rawVerify, signerPem, authorizeCold, authorizeWarm, authorizeDynalite]]);
  }
  logs.stop();
  await dynamo.stop();
  for (const [kind, baseline, others] of results) {
    console.log(`\nauthorize, CloudFront key ${kind} (ratios against the raw signature rate)`);
    report(baseline, others);
  }
}
