/**
 * The viewer-request function with every layer on (domain restriction over 10 sites, device
 * binding, the deny-list store associated) against the function as it was before these layers
 * (commit 1278ff6, read from git), in the same run and the same local runtime (node:vm, as the
 * local edge runs it), one media request each with a grant by signed cookies. Reports ops/s, the
 * ratio (target >= 0.8) and the deployed code's size against CloudFront's 10 KB.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { deviceKeyName, deviceTag, deviceTraits } from '../lambda/core/device-binding';
import { FUNCTION_SIZE_LIMIT_BYTES, type EdgeFunctionSettings, viewerRequestCode } from '../lib/viewer-request-code';
import { ViewerRequestFunction, type ViewerRequestEvent } from '../local/edge/viewer-request-function';
import { alternating, report } from './measure';

/** The last commit before domain restriction and device binding. */
const BEFORE = '1278ff6e9c57982c89656fd561aa7ee57aba229b';
const POLICY = 'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly92aWRlby5leGFtcGxlLmNvbS9tZWRpYS9kZW1vLTEvKiJ9XX0_';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';

export async function benchAccessLayers(seconds: number): Promise<void> {
  const before = execFileSync('git', ['show', `${BEFORE}:edge-function/viewer-request.js`], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
  });
  const key = { kid: 'k1', secret: 's'.repeat(43) };
  const store = new Map([[deviceKeyName(key.kid), key.secret]]);
  const reader = { get: (name: string) => store.get(name) };
  const settings: EdgeFunctionSettings = {
    sites: Array.from({ length: 10 }, (_, i) => `https://site-${i}.example.com`),
    missing: 'deny',
    device: true,
  };
  const code = viewerRequestCode(settings);
  const headers = {
    host: { value: 'video.example.com' },
    origin: { value: 'https://site-9.example.com' },
    'sec-fetch-site': { value: 'cross-site' },
    'user-agent': { value: UA },
    'accept-language': { value: 'en-GB,en;q=0.9' },
  };
  const tag = deviceTag(
    key,
    POLICY,
    deviceTraits((name) => headers[name as keyof typeof headers]?.value),
  );
  const event: ViewerRequestEvent = {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '203.0.113.7' },
    request: {
      method: 'GET',
      uri: '/media/demo-1/segment_001.m2ts',
      querystring: {},
      headers,
      cookies: {
        'CloudFront-Policy': { value: POLICY },
        'CloudFront-Signature': { value: 'c2lnbmF0dXJl' },
        'CloudFront-Key-Pair-Id': { value: 'K1' },
        'Streamgate-Device': { value: tag },
      },
    },
  };
  const old = new ViewerRequestFunction(before, { keyValueStore: reader });
  const now = new ViewerRequestFunction(code, { keyValueStore: reader });
  for (const [name, fn] of [
    ['before', old],
    ['every layer on', now],
  ] as const) {
    const outcome = await fn.run(event);
    if (outcome.kind !== 'request') throw new Error(`bench: the ${name} function refused the request`);
  }
  console.log('viewer-request function: every access layer on vs before them (one media request, cookies)');
  const [baseline, layered] = await alternating(
    [
      ['function before the access layers (1278ff6)', () => old.run(event)],
      ['every layer on (10 sites, device binding, deny-list)', () => now.run(event)],
    ],
    3,
    seconds / 3,
    1,
  );
  report(baseline, [layered]);
  console.log(
    `  deployed size: ${Buffer.byteLength(code)} bytes with every layer on (${Buffer.byteLength(viewerRequestCode())} with none), limit ${FUNCTION_SIZE_LIMIT_BYTES}; before: ${Buffer.byteLength(before)} (source)`,
  );
}

if (require.main === module) void benchAccessLayers(Number(process.env.BENCH_SECONDS ?? '2'));
