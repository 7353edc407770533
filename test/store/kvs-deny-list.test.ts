/**
 * The KeyValueStore deny-list writer against a KeyValueStore API on loopback: the real SDK
 * serializes, signs (SigV4A) and parses; the server checks If-Match and the 50-key limit the
 * way the service does, and records what it received.
 */
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type DenyEntry, denyValue } from '../../lambda/core/edge-deny-list';
import { KvsDenyList, KvsWriteError } from '../../lambda/store/kvs-deny-list';
import { FakeKvsServer, TEST_KVS_ARN } from '../support/kvs-server';

const NOW = 1_800_000_000;
const entry = (index: number, expiresAt = NOW + 300): DenyEntry => ({
  key: `grant${String(index).padStart(17, '0')}`,
  reason: 'revoked',
  expiresAt,
});

let server: FakeKvsServer;
const delays: number[] = [];
const writer = (options: Partial<ConstructorParameters<typeof KvsDenyList>[0]> = {}): KvsDenyList =>
  new KvsDenyList({
    kvsArn: TEST_KVS_ARN,
    client: server.client(),
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...options,
  });

beforeEach(async () => {
  server = new FakeKvsServer();
  delays.length = 0;
  await server.start();
});
afterEach(() => server.stop());

describe('KvsDenyList.put', () => {
  test('writes 120 entries in batches of at most 50 keys, each with the ETag the store last answered', async () => {
    const entries = Array.from({ length: 120 }, (_, index) => entry(index));
    await writer().put(entries);

    const updates = server.updates();
    expect(updates.map((update) => update.puts.length)).toEqual([50, 50, 20]);
    // One Describe for the first ETag; afterwards each UpdateKeys answer carries the next one.
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(updates.map((update) => update.ifMatch)).toEqual(['ETAG1', 'ETAG2', 'ETAG3']);
    expect(server.entries.size).toBe(120);
    expect(server.entries.get(entries[7].key)).toBe(denyValue(entries[7]));
  });

  test('signs every request with SigV4A for all regions (the JS signer is loaded)', async () => {
    await writer().put([entry(1)]);
    for (const request of server.requests) {
      expect(request.headers.authorization).toMatch(
        /^AWS4-ECDSA-P256-SHA256 Credential=AKIDTEST\/\d{8}\/cloudfront-keyvaluestore\/aws4_request/,
      );
      expect(request.headers['x-amz-region-set']).toBe('*');
      // The SDK builds the host from the ARN's account id.
      expect(request.headers.host).toBe(`123456789012.kvs.test:${server.port}`);
    }
    expect(server.requests[0].path).toBe(`/key-value-stores/${encodeURIComponent(TEST_KVS_ARN)}`);
  });

  test('a key given twice is written once, with its latest expiry', async () => {
    await writer().put([entry(1, NOW + 10), entry(1, NOW + 90), entry(2)]);
    const [update] = server.updates();
    expect(update.puts).toHaveLength(2);
    expect(server.entries.get(entry(1).key)).toBe(`revoked ${NOW + 90}`);
  });

  test('another writer in between: the conflict fetches the new ETag and the batch is written once', async () => {
    const deny = writer();
    await deny.put([entry(1)]);
    deny.takeReport();
    server.concurrentWrite();
    await deny.put([entry(2)]);

    const updates = server.updates();
    expect(updates.map((update) => [update.ifMatch, update.puts.length])).toEqual([
      ['ETAG1', 1],
      ['ETAG2', 1],
      ['ETAG3', 1],
    ]);
    expect(server.requests.filter((r) => r.status === 409)).toHaveLength(1);
    expect(server.entries.has(entry(2).key)).toBe(true);
    expect(deny.takeReport()).toEqual({ requests: 1, retries: 1, conflicts: 1 });
  });

  test('throttling and a 500 are retried with growing, jittered backoff', async () => {
    server.failures.push(
      { status: 429, errorType: 'ThrottlingException' },
      { status: 500, errorType: 'InternalServerException' },
    );
    await writer({ baseDelayMs: 100 }).put([entry(1)]);
    expect(server.entries.has(entry(1).key)).toBe(true);
    // Full jitter (random 0.5) of 100 then 200 ms.
    expect(delays).toEqual([50, 100]);
    expect(server.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([429, 500, 200]);
  });

  test('gives up after maxAttempts and throws, naming how many keys were written', async () => {
    for (let index = 0; index < 4; index += 1) server.failures.push({ status: 503, errorType: 'ServiceUnavailable' });
    const entries = Array.from({ length: 60 }, (_, index) => entry(index));
    const deny = writer({ maxAttempts: 3 });
    // The first batch fails 3 times: nothing written.
    const error = await deny.put(entries).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KvsWriteError);
    expect((error as KvsWriteError).written).toBe(0);
    expect((error as Error).message).toMatch(/after 0 of 60 keys: .*HTTP 503/);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
    expect(server.entries.size).toBe(0);
  });

  test('a refusal that would repeat (store full, access denied) is not retried', async () => {
    server.failures.push({ status: 402, errorType: 'ServiceQuotaExceededException' });
    const error = await writer()
      .put([entry(1)])
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/ServiceQuotaExceededException/);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('a conflict on every attempt is bounded too', async () => {
    for (let index = 0; index < 5; index += 1)
      server.failures.push({ status: 409, errorType: 'ConflictException', sideEffect: () => server.concurrentWrite() });
    const deny = writer({ maxAttempts: 4 });
    await expect(deny.put([entry(1)])).rejects.toThrow(/ConflictException/);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(4);
    expect(deny.takeReport().conflicts).toBe(4);
  });

  test('refuses an ARN that is not a KeyValueStore', () => {
    expect(() => new KvsDenyList({ kvsArn: 'arn:aws:s3:::bucket' })).toThrow(/kvsArn must be a KeyValueStore ARN/);
  });
});

describe('KvsDenyList.sweep', () => {
  test('lists every page, deletes only expired or unreadable entries, 50 per request', async () => {
    for (let index = 0; index < 130; index += 1) {
      const { key, ...rest } = entry(index, index < 75 ? NOW - 1 : NOW + 60);
      server.entries.set(key, denyValue(rest));
    }
    server.entries.set('garbage', 'not a deny value');
    const report = await writer().sweep(NOW);

    expect(report).toMatchObject({ scanned: 131, deleted: 76, requests: 2, storeItems: 55 });
    expect(report.storeBytes).toBe(55 * (22 + `revoked ${NOW + 60}`.length));
    const lists = server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/keys'));
    expect(lists).toHaveLength(3);
    expect(lists.map((r) => r.query.get('MaxResults'))).toEqual(['50', '50', '50']);
    expect(server.updates().map((update) => [update.puts.length, update.deletes.length])).toEqual([
      [0, 50],
      [0, 26],
    ]);
    expect(server.entries.size).toBe(55);
    expect([...server.entries.values()].every((value) => value === `revoked ${NOW + 60}`)).toBe(true);
  });

  test('a store below minBytes is only described: no listing, no write', async () => {
    server.entries.set(entry(1).key, `revoked ${NOW - 1}`);
    expect(await writer().sweep(NOW, 1000)).toMatchObject({ scanned: 0, deleted: 0, storeItems: 1, storeBytes: 40 });
    expect(server.requests.map((r) => [r.method, r.path.endsWith('/keys')])).toEqual([['GET', false]]);
    expect(server.entries.size).toBe(1);
  });

  test('nothing expired: no write at all', async () => {
    server.entries.set(entry(1).key, denyValue(entry(1)));
    expect(await writer().sweep(NOW)).toMatchObject({ scanned: 1, deleted: 0, requests: 0, storeItems: 1 });
    expect(server.updates()).toEqual([]);
  });
});

test('bundled by esbuild as the Lambda is (CJS, module fields first), it still signs and writes', async () => {
  const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'kvs-bundle-')), 'index.js');
  const result = buildSync({
    entryPoints: [path.join(__dirname, '..', '..', 'lambda', 'store', 'kvs-deny-list.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minify: true,
    outfile,
    metafile: true,
  });
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  expect(inputs.some((input) => input.includes('@smithy/signature-v4a'))).toBe(true);
  expect(inputs.filter((input) => input.endsWith('.node'))).toEqual([]);
  const bundled = require(outfile) as typeof import('../../lambda/store/kvs-deny-list');
  // The bundled client, with this server's endpoint: the bundle's own signer must be the one registered.
  const client = bundled.kvsClient(server.clientConfig());
  const deny = new bundled.KvsDenyList({ kvsArn: TEST_KVS_ARN, client });
  await deny.put([entry(1)]);
  expect(server.entries.has(entry(1).key)).toBe(true);
  expect(server.requests.at(-1)?.headers.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 /);
});
