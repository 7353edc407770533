/**
 * Playback latency, one request at a time, over loopback HTTP through the real local stack: the
 * local edge, the API Gateway adapter and the handler code, with the store (dynalite in its own
 * process) 2 ms away each way behind the latency proxy, as DynamoDB is from a Lambda.
 *
 * Measured against a FLOOR from the same run: what such a call cannot avoid doing, each part
 * measured alone, p50 each: one store round trip through the same proxy (one consistent GetItem),
 * one jose verification of a token like the call's (ES256, the dev IdP's), and one CloudFront
 * signature with the stack's key (RSA-2048, SHA-256). The call makes one store write (one
 * conditional UpdateItem on the user's item), so the floor counts one round trip.
 *
 * Beside them, the call's conditional store write alone (no HTTP, no verify, no sign): the part
 * of the call's time that is the store's (dynalite's CPU for a conditional write, in one thread,
 * on top of the network), as against the handler's own.
 *
 * The calls and the floor's parts alternate in blocks, so load that comes and goes on the machine
 * falls on all of them.
 */
import { createPrivateKey, createSign } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadConfig } from '../lambda/core/config';
import { createDynamoClient } from '../lambda/store/dynamo-call';
import { STATE_TABLE, userKey } from '../lambda/store/table-schema';
import { PRIVATE_KEY_FILE } from '../local/cloudfront-keys';
import { REVOCATION_TABLE_NAME, startLocalStack } from '../local/stack';
import { LogCapture } from '../test/support/harness';
import { startDynaliteProcess } from './dynalite-process';
import { startLatencyProxy } from './latency-proxy';
import { quantile, timeOnce } from './measure';
import { playbackStoreCalls } from './store-calls';

const BLOCK = 100;
const WARM_UP = 200;
/** Users whose one token is re-presented in turn: each stays far below the rate limit (60 a minute). */
const REFRESH_USERS = 200;

export async function benchLatency(seconds: number): Promise<void> {
  const samples = Math.ceil(Math.max(1000, seconds * 500) / BLOCK) * BLOCK;
  const dynamo = await startDynaliteProcess();
  const proxy = await startLatencyProxy(dynamo.port, 2);
  const logs = new LogCapture({ keep: false });
  logs.logger.setLogLevel('ERROR');
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-latency-'));
  // Deployment defaults: sharing detection, the stream limit and the rate limit all on.
  const stack = await startLocalStack({ dir, port: 0, dynamoEndpoint: proxy.endpoint, logger: logs.logger });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const issue = (sub: string) => stack.idp.issueToken({ sub, videos: ['demo-1'] });
    const play = (token: string) => post(agent, stack.port, '/api/v1/playback/demo-1', token);

    // First presentations: a new token of a new user on every call (jose verifies it, both items are created).
    const fresh = await Promise.all(
      Array.from({ length: WARM_UP + samples }, (_, index) => issue(`latency-new-${index}`)),
    );
    // Refreshes: tokens already presented once, re-presented in turn (the verified-token cache answers).
    const refreshing = await Promise.all(
      Array.from({ length: REFRESH_USERS }, (_, index) => issue(`latency-refresh-${index}`)),
    );
    // Tokens for the floor's jose verification alone: first presentations too.
    const toVerify = await Promise.all(Array.from({ length: samples }, (_, index) => issue(`latency-verify-${index}`)));

    const jwks = createLocalJWKSet(stack.idp.jwks());
    const verify = (token: string) =>
      jwtVerify(token, jwks, { issuer: stack.idp.issuer, audience: stack.idp.audience, algorithms: ['ES256'] });
    const signingKey = createPrivateKey(readFileSync(join(dir, PRIVATE_KEY_FILE)));
    const now = Math.floor(Date.now() / 1000);
    const policy = JSON.stringify({
      Statement: [
        {
          Resource: `http://localhost:${stack.port}/media/demo-1/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': now + 300 } },
        },
      ],
    });
    const sign = () => createSign('SHA256').update(policy).sign(signingKey);
    const store = createDynamoClient({
      tableName: REVOCATION_TABLE_NAME,
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      timeoutMs: 1000,
    });
    // A real item: the first refreshing user's.
    const getItem = (sub: string) =>
      store.send(
        new GetItemCommand({
          TableName: REVOCATION_TABLE_NAME,
          Key: { [STATE_TABLE.partitionKey]: { S: userKey({ iss: stack.idp.issuer, sub }) } },
          ConsistentRead: true,
        }),
      );

    // The stack's own store settings (deployment defaults), on the users that refresh.
    const storeConfig = loadConfig({
      JWT_ISSUER: stack.idp.issuer,
      JWT_AUDIENCE: stack.idp.audience,
      JWT_JWKS: JSON.stringify(stack.idp.jwks()),
      REVOCATION_TABLE_NAME,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      MEDIA_BASE_URL: `http://localhost:${stack.port}`,
      SIGNING_KEY_PAIR_ID: 'KBENCH',
      SIGNING_KEY_FILE: join(dir, PRIVATE_KEY_FILE),
    });
    const storeCalls = playbackStoreCalls(storeConfig, refreshing, '127.0.0.1', () => {
      throw new Error('bench: the stores refused a refresh');
    });

    // Warm-up: connections open, code paths compiled, every refreshing user's items present.
    for (let index = 0; index < WARM_UP; index += 1) await expectOk(play(fresh[index]));
    for (const token of refreshing) await expectOk(play(token));
    for (let index = 0; index < WARM_UP; index += 1) {
      await getItem('latency-refresh-0');
      await storeCalls();
      await verify(toVerify[index % toVerify.length]);
      sign();
    }

    const first: number[] = [];
    const refresh: number[] = [];
    const stores: number[] = [];
    const floor = { getItem: [] as number[], verify: [] as number[], sign: [] as number[] };
    // The floor's three parts in sequence, timed as one: the floor has a tail of its own.
    const floorWhole: number[] = [];
    for (let done = 0; done < samples; done += BLOCK) {
      for (let index = done; index < done + BLOCK; index += 1)
        await timeOnce(() => expectOk(play(fresh[WARM_UP + index])), first);
      for (let index = done; index < done + BLOCK; index += 1)
        await timeOnce(() => expectOk(play(refreshing[index % REFRESH_USERS])), refresh);
      for (let index = done; index < done + BLOCK; index += 1) await timeOnce(storeCalls, stores);
      for (let index = done; index < done + BLOCK; index += 1)
        await timeOnce(() => getItem('latency-refresh-0'), floor.getItem);
      for (let index = done; index < done + BLOCK; index += 1)
        await timeOnce(() => verify(toVerify[index]), floor.verify);
      for (let index = done; index < done + BLOCK; index += 1) await timeOnce(sign, floor.sign);
      for (let index = done; index < done + BLOCK; index += 1)
        await timeOnce(async () => {
          await getItem('latency-refresh-0');
          await verify(toVerify[index]);
          sign();
        }, floorWhole);
    }

    const p50 = (values: number[]) =>
      quantile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    const floorMs = p50(floor.getItem) + p50(floor.verify) + p50(floor.sign);
    logs.stop();
    console.log(
      `\nplayback latency: loopback HTTP → local edge → API adapter → handler, store 2 ms each way, one at a time, ${samples} samples each`,
    );
    console.log(
      `  floor = GetItem p50 ${p50(floor.getItem).toFixed(2)} + jose verify p50 ${p50(floor.verify).toFixed(2)}` +
        ` + RSA-2048 signature p50 ${p50(floor.sign).toFixed(2)} = ${floorMs.toFixed(2)} ms`,
    );
    const floorWholeSorted = [...floorWhole].sort((a, b) => a - b);
    const floorP99 = quantile(floorWholeSorted, 0.99);
    console.log(
      `  floor's parts in sequence, timed as one: p50 ${quantile(floorWholeSorted, 0.5).toFixed(2)} ms` +
        `   p99 ${floorP99.toFixed(2)} ms (its own tail: the ratio of a call's p99 to it compares tail with tail)`,
    );
    for (const [name, values] of [
      ["one GetItem alone (the floor's store part)", floor.getItem],
      ["store alone: the call's conditional write", stores],
      ['playback, first presentation (new user)', first],
      ['playback, refresh (token re-presented)', refresh],
    ] as const) {
      const sorted = [...values].sort((a, b) => a - b);
      const [median, p99] = [quantile(sorted, 0.5), quantile(sorted, 0.99)];
      console.log(
        `  ${name.padEnd(46)} p50 ${median.toFixed(2).padStart(6)} ms (${(median / floorMs).toFixed(2)} × floor)` +
          `   p99 ${p99.toFixed(2).padStart(6)} ms   p99/floor ${(p99 / floorMs).toFixed(2)}` +
          `   p99/floor-p99 ${(p99 / floorP99).toFixed(2)}`,
      );
    }
  } finally {
    logs.stop();
    agent.destroy();
    await stack.close();
    await proxy.close();
    dynamo.stop();
  }
}

async function expectOk(response: Promise<number>): Promise<void> {
  const status = await response;
  if (status !== 200) throw new Error(`bench: playback answered ${status}`);
}

/** One POST with a bearer token; resolves with the status once the whole body is read. */
function post(agent: Agent, port: number, path: string, token: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { host: `localhost:${port}`, authorization: `Bearer ${token}`, 'content-length': '0' },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end();
  });
}
