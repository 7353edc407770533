/**
 * The edge deny-list's two functions bundled for real, exactly as `cdk synth` does through
 * NodeFunction (local esbuild, no Docker), then run in a fresh Node process with the deployed
 * environment. The KeyValueStore client and its SigV4A signer are bundled together (they must
 * share one @smithy copy, or every write fails with "Neither CRT nor JS SigV4a implementation is
 * available"); the bundled stream handler is run against a stream record until it signs a request.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { bundleHandlers, ROOT } from './synth';

/**
 * Above the API functions' 300 KB: the KeyValueStore client cannot be the runtime's (its signer
 * must be the bundled one), and these functions are not on a viewer's request path.
 */
const LIMIT_BYTES = 400 * 1024;
const HANDLERS = ['edge-deny-list-stream', 'edge-deny-list-sweeper'];
let bundles = new Map<string, string>();

beforeAll(() => {
  bundles = bundleHandlers(
    HANDLERS.map((name) => ({ name, entry: path.join(ROOT, 'lambda', 'handlers', `${name}.ts`) })),
  );
}, 180_000);

test.each(HANDLERS)('%s bundles with the KeyValueStore client and the JS SigV4A signer inside', (name) => {
  const file = bundles.get(name) ?? '';
  const bytes = statSync(file).size;
  console.log(`bundle lambda/handlers/${name}.ts: ${(bytes / 1024).toFixed(1)} KB minified`);
  expect(bytes).toBeLessThanOrEqual(LIMIT_BYTES);
  const code = readFileSync(file, 'utf8');
  expect(code).not.toMatch(/require\("@aws-sdk\/client-cloudfront-keyvaluestore"\)/);
  expect(code).not.toMatch(/require\("@aws-sdk\/signature-v4a"\)/);
  expect(code).not.toMatch(/\.node"\)/);
  expect(code).toContain('AWS4-ECDSA-P256-SHA256');
});

test('the bundled stream handler signs its KeyValueStore call (no SigV4A error), and reports the record it could not write', () => {
  // A user item whose session `s…` this write revokes (`x_<session>`, and `denied` as the
  // stream filter needs); its recorded grant (`<session>.<iat>.<expiresAt>.<grant id>`) is
  // still valid, so the replicator must write it to the store, from the images alone.
  const session = 's'.repeat(22);
  const grants = { SS: [`${session}.1700000000.4102444800.${'a'.repeat(22)}`] };
  const key = { S: `usr#${'u'.repeat(43)}` };
  const event = {
    Records: [
      {
        eventID: '1',
        eventName: 'MODIFY',
        dynamodb: {
          Keys: { pk: key },
          OldImage: { pk: key, sessions: { SS: [session] }, g_4102444000: grants },
          NewImage: {
            pk: key,
            sessions: { SS: [session] },
            g_4102444000: grants,
            [`x_${session}`]: { N: '4102444800' },
            denied: { N: '1800000000' },
          },
          SequenceNumber: '42',
        },
      },
    ],
  };
  const run = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(bundles.get('edge-deny-list-stream'))}).handler(${JSON.stringify(event)})` +
        '.then((result) => console.log("result=" + JSON.stringify(result)), (error) => console.log("thrown:" + error.message))',
    ],
    {
      env: {
        PATH: process.env.PATH,
        // Whatever the bundle leaves to the runtime (the AWS SDK) comes from the project's node_modules.
        NODE_PATH: path.join(ROOT, 'node_modules'),
        AWS_REGION: 'eu-west-1',
        // Not real: the request is signed, then fails (no network, or AWS refuses the key).
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
        EDGE_DENY_LIST_KVS_ARN: 'arn:aws:cloudfront::111111111111:key-value-store/00000000-0000-4000-8000-000000000000',
        JWT_CLOCK_TOLERANCE_SECONDS: '30',
      },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const output = `${run.stdout}${run.stderr}`;
  expect(output).toContain('result={"batchItemFailures":[{"itemIdentifier":"42"}]}');
  expect(output).toMatch(/deny-list write failed/);
  expect(output).not.toMatch(/SigV4a implementation/i);
  // The secret never reaches the logs.
  expect(output).not.toContain('not-a-real-secret');
}, 150_000);
