/**
 * Authorize throughput with sharing detection, the stream limit and the rate limit on, against
 * the core path with them off, in the same run. Both make one store operation per call: with
 * the defences on, one conditional UpdateItem on the user's item; off, one consistent GetItem.
 * - One request at a time, the store behind a 2 ms-each-way latency proxy: a Lambda instance
 *   serves one request at a time and DynamoDB costs network time, so this is the deployed model
 *   (throughput per instance = 1 / latency).
 * - 16 in flight straight against dynalite: its one JS thread serves every store call in turn, so
 *   this line compares what dynalite spends on a conditional write against a read.
 * Each case also measures the store call alone (the same stores, no verify, no sign), all four
 * alternating: the time a call gains with the defences on, less the time the store alone gains, is
 * what the defences' own code costs. Against dynalite the store's part is its CPU for a conditional
 * write (it parses each condition expression with a PEG parser, in one thread), not network.
 * dynalite runs in its own process so its CPU is not charged to the measured thread.
 */
import { loadConfig } from '../lambda/core/config';
import { createApi, type ApiHandlers } from '../lambda/runtime/runtime';
import { ensureStateTable } from '../local/dynamo-server';
import { startDynaliteProcess } from './dynalite-process';
import { apiEnv, bearer, cloudFrontKey, LogCapture, playbackEvent, TABLE } from '../test/support/harness';
import { idpKey, mint } from '../test/support/tokens';
import { startLatencyProxy } from './latency-proxy';
import { playbackStoreCalls } from './store-calls';
import { alternating, report, type Rate } from './measure';

// Edge revocation off on both sides: its grant record would make the core path a write too, and
// it is measured on its own (bench/edge-revocation.ts).
const CORE_ONLY = {
  SHARING_MAX_NETWORKS: '0',
  MAX_CONCURRENT_STREAMS: '0',
  RATE_LIMIT_PER_WINDOW: '0',
  EDGE_DENY_LIST: 'off',
};
const DEFENCES = {
  SHARING_MAX_NETWORKS: '3',
  SHARING_ACTION: 'deny',
  MAX_CONCURRENT_STREAMS: '3',
  RATE_LIMIT_PER_WINDOW: '60',
  EDGE_DENY_LIST: 'off',
};
/** One token per user, enough users that none reaches the rate limit (60 a minute) at dynalite's full speed. */
const USERS = 1500;
/** The address playbackEvent reports: every call comes from one network, as a refreshing player does. */
const VIEWER_IP = '198.51.100.7';
const ROUNDS = 5;

export async function benchAbuse(seconds: number): Promise<void> {
  const idp = idpKey('RS256');
  const tokens = await Promise.all(
    Array.from({ length: USERS }, (_, index) => mint(idp, { claims: { sub: `viewer-${index}` } })),
  );
  const dynamo = await startDynaliteProcess();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const proxy = await startLatencyProxy(dynamo.port, 2);
  const logs = new LogCapture({ keep: false });
  logs.logger.setLogLevel('ERROR');
  const key = cloudFrontKey('ecdsa-p256');
  const envFor = (endpoint: string, extra: Record<string, string>) =>
    apiEnv({ dynamoEndpoint: endpoint, idpKeys: [idp], signingKeyFile: key.file, extra });

  let refused = 0;
  let next = 0;
  const call = (api: ApiHandlers) => async () => {
    next = (next + 1) % tokens.length;
    const response = await api.playback(playbackEvent('demo-1', { authorization: bearer(tokens[next]) }));
    if (response.statusCode !== 200) refused += 1;
  };
  const storeCalls = (endpoint: string, extra: Record<string, string>) =>
    playbackStoreCalls(loadConfig(envFor(endpoint, extra)), tokens, VIEWER_IP, () => {
      refused += 1;
    });

  const cases: { title: string; endpoint: string; concurrency: number }[] = [
    {
      title: 'one request at a time (a Lambda instance), store 2 ms each way',
      endpoint: proxy.endpoint,
      concurrency: 1,
    },
    {
      title: '16 in flight, straight to dynalite (its one JS thread is the bottleneck)',
      endpoint: dynamo.endpoint,
      concurrency: 16,
    },
  ];
  const results: { title: string; handler: [Rate, Rate]; store: [Rate, Rate] }[] = [];
  for (const { title, endpoint, concurrency } of cases) {
    const coreApi = await createApi({ env: envFor(endpoint, CORE_ONLY), logger: logs.logger });
    const fullApi = await createApi({ env: envFor(endpoint, DEFENCES), logger: logs.logger });
    // Steady state: every user's token and user items exist (refreshes, not first calls).
    await inParallel(16, tokens, (token) =>
      fullApi.playback(playbackEvent('demo-1', { authorization: bearer(token) })),
    );
    refused = 0;
    const [core, full, reads, writes] = await alternating(
      [
        ['core path: verify, one consistent GetItem, sign', call(coreApi)],
        ['+ sharing, streams, rate limit: one conditional UpdateItem', call(fullApi)],
        ['store alone: the GetItem', storeCalls(endpoint, CORE_ONLY)],
        ['store alone: the conditional UpdateItem', storeCalls(endpoint, DEFENCES)],
      ],
      ROUNDS,
      seconds / 2,
      concurrency,
    );
    const handler: [Rate, Rate] = [core, full];
    const store: [Rate, Rate] = [reads, writes];
    results.push({
      title: `${title}; median of ${ROUNDS} alternating rounds${refused > 0 ? `; ${refused} calls refused` : ''}`,
      handler,
      store,
    });
  }
  logs.stop();
  await proxy.close();
  dynamo.stop();
  for (const { title, handler, store } of results) {
    console.log(`\nauthorize with abuse defences: ${title}`);
    report(handler[0], [handler[1]]);
    report(store[0], [store[1]]);
    // Time per call (1 / rate): what the defences add to a call, and how much of it the store alone adds.
    const extra = (pair: [Rate, Rate]) => 1000 / pair[1].perSecond - 1000 / pair[0].perSecond;
    console.log(
      `  time added per call: ${extra(handler).toFixed(2)} ms, of which the store alone ${extra(store).toFixed(2)} ms;` +
        ` the defences' own code ${(extra(handler) - extra(store)).toFixed(2)} ms`,
    );
  }
}

async function inParallel<T>(width: number, items: T[], run: (item: T) => Promise<unknown>): Promise<void> {
  let index = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (index < items.length) await run(items[index++]);
    }),
  );
}
