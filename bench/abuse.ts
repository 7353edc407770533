/**
 * Authorize throughput with sharing detection, the stream limit and the rate limit on, against
 * the core path alone (revocation only), in the same run.
 * - One request at a time, the store behind a 2 ms-each-way latency proxy: a Lambda instance
 *   serves one request at a time and DynamoDB costs network time, so this is the deployed model
 *   (throughput per instance = 1 / latency). The extra store calls share the revocation read's
 *   round trip.
 * - 16 in flight straight against dynalite: its one JS thread serves every store call in turn, so
 *   this line counts store operations (1 against about 4) rather than latency.
 * dynalite runs in its own process so its CPU is not charged to the measured thread.
 */
import type { StreamgateApi } from '../lambda/core/api';
import { createApi } from '../lambda/runtime/runtime';
import { ensureStateTable } from '../local/dynamo-server';
import { startDynaliteProcess } from './dynalite-process';
import { apiEnv, bearer, cloudFrontKey, LogCapture, playbackEvent, TABLE } from '../test/support/harness';
import { idpKey, mint } from '../test/support/tokens';
import { startLatencyProxy } from './latency-proxy';
import { interleaved, report, type Rate } from './measure';

const CORE_ONLY = { SHARING_MAX_NETWORKS: '0', MAX_CONCURRENT_STREAMS: '0', RATE_LIMIT_PER_WINDOW: '0' };
const DEFENCES = { SHARING_ACTION: 'deny', MAX_CONCURRENT_STREAMS: '3', RATE_LIMIT_PER_WINDOW: '60' };

export async function benchAbuse(seconds: number): Promise<void> {
  const idp = idpKey('RS256');
  // One token per user, many users playing: every call is admitted, as in steady state.
  const tokens = await Promise.all(Array.from({ length: 400 }, (_, index) => mint(idp, { claims: { sub: `viewer-${index}` } })));
  const dynamo = await startDynaliteProcess();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const proxy = await startLatencyProxy(dynamo.port, 2);
  const logs = new LogCapture();
  logs.logger.setLogLevel('ERROR');
  const key = cloudFrontKey('ecdsa-p256');
  const build = (endpoint: string, extra: Record<string, string>) =>
    createApi({ env: apiEnv({ dynamoEndpoint: endpoint, idpKeys: [idp], signingKeyFile: key.file, extra }), logger: logs.logger });

  let refused = 0;
  let next = 0;
  const call = (api: StreamgateApi) => async () => {
    next = (next + 1) % tokens.length;
    const response = await api.playback(playbackEvent('demo-1', { authorization: bearer(tokens[next]) }));
    if (response.statusCode !== 200) refused += 1;
  };

  const cases: { title: string; endpoint: string; concurrency: number }[] = [
    { title: 'one request at a time (a Lambda instance), store 2 ms each way', endpoint: proxy.endpoint, concurrency: 1 },
    { title: '16 in flight, straight to dynalite (one JS thread: counts store operations)', endpoint: dynamo.endpoint, concurrency: 16 },
  ];
  const results: [string, Rate, Rate][] = [];
  for (const { title, endpoint, concurrency } of cases) {
    const core = await build(endpoint, CORE_ONLY);
    const full = await build(endpoint, DEFENCES);
    // Steady state: every user's session and usage records exist (refreshes, not first calls).
    for (const token of tokens) await full.playback(playbackEvent('demo-1', { authorization: bearer(token) }));
    refused = 0;
    const [baseline, guarded] = await interleaved(
      ['core path: verify, revocation read, sign', call(core)],
      ['+ sharing detection, stream limit, rate limit', call(full)],
      3,
      seconds / 2,
      concurrency,
    );
    results.push([`${title}; median of 3 alternating rounds${refused > 0 ? `; ${refused} calls refused` : ''}`, baseline, guarded]);
  }
  logs.stop();
  await proxy.close();
  dynamo.stop();
  for (const [title, baseline, guarded] of results) {
    console.log(`\nauthorize with abuse defences: ${title}`);
    report(baseline, [guarded]);
  }
}
