/**
 * Bundles every Lambda for real with the project's local esbuild (no Docker), exactly as
 * `cdk synth` does through NodeFunction, and reports each bundle's minified size against the
 * 300 KB target. A handler whose entry file is missing is skipped, and the test name says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_HANDLERS_DIR } from '../../lib/playback-api';
import { bundleHandlers, ROOT } from './synth';
import { apiEnv, cloudFrontKey } from '../support/harness';
import { idpKey } from '../support/tokens';

const LIMIT_BYTES = 300 * 1024;
const ENTRIES = [
  ...['playback', 'revocations', 'session', 'licence', 'origin-authorizer'].map((name) => ({
    name,
    entry: path.join(DEFAULT_HANDLERS_DIR, `${name}.ts`),
  })),
  { name: 'keygen', entry: path.join(ROOT, 'lambda', 'handlers', 'keygen.ts') },
];

let bundles = new Map<string, string>();

beforeAll(() => {
  bundles = bundleHandlers(ENTRIES.filter((candidate) => existsSync(candidate.entry)));
}, 180_000);

for (const { name, entry } of ENTRIES) {
  const present = existsSync(entry);
  const label = path.relative(ROOT, entry);
  (present ? test : test.skip)(
    `${label} bundles with local esbuild to at most 300 KB minified${present ? '' : ` (SKIPPED: ${label} does not exist yet)`}`,
    () => {
      const file = bundles.get(name) ?? '';
      const bytes = statSync(file).size;
      console.log(
        `bundle ${label}: ${(bytes / 1024).toFixed(1)} KB minified (+ ${(statSync(`${file}.map`).size / 1024).toFixed(1)} KB source map)`,
      );
      expect(bytes).toBeLessThanOrEqual(LIMIT_BYTES);
    },
  );
}

const playback = ENTRIES[0];
(existsSync(playback.entry) ? test : test.skip)(
  'the playback bundle carries @aws-sdk/cloudfront-signer and leaves the runtime-provided SDK clients out',
  () => {
    const code = readFileSync(bundles.get('playback') ?? '', 'utf8');
    expect(code).not.toMatch(/require\("@aws-sdk\/cloudfront-signer"\)/);
    expect(code).toContain('CloudFront-Key-Pair-Id');
    expect(code).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
  },
);

(existsSync(playback.entry) ? test : test.skip)(
  'the bundled playback handler loads and fails closed on a missing config (it names the variable)',
  () => {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(bundles.get('playback'))}).handler({}).then(() => process.exit(0), () => process.exit(3))`,
      ],
      // The runtime provides the SDK clients; here they come from the project's node_modules.
      {
        env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules') },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(3);
    expect(`${run.stdout}${run.stderr}`).toMatch(/streamgate failed to start.*"error":"JWT_[A-Z_]+: /);
  },
);

(existsSync(playback.entry) ? test : test.skip)(
  'the bundled playback handler with its key in a file never loads the Secrets Manager client (cold start)',
  () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_PATH: path.join(ROOT, 'node_modules'),
      AWS_REGION: 'eu-west-1',
      ...apiEnv({
        dynamoEndpoint: 'http://127.0.0.1:1',
        idpKeys: [idpKey('ES256')],
        signingKeyFile: cloudFrontKey('ecdsa-p256').file,
      }),
    };
    const loaded = 'Object.keys(require.cache).filter((file) => file.includes("client-secrets-manager")).length';
    const run = spawnSync(
      process.execPath,
      // A call without a token: it awaits the API's init, then is refused before any store call.
      [
        '-e',
        `require(${JSON.stringify(bundles.get('playback'))}).handler({ headers: {}, pathParameters: { videoId: "demo-1" } }).then((response) => console.log("status=" + response.statusCode + " loaded=" + ${loaded}))`,
      ],
      { env, encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stdout).toContain('status=401 loaded=0');
  },
);

const authorizer = ENTRIES[3];
(existsSync(authorizer.entry) ? test : test.skip)(
  'the bundled origin authorizer refuses (fails closed) when its secret is not configured, with a fixed error and a log line naming the variable',
  () => {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(bundles.get('origin-authorizer'))}).handler({ headers: { 'x-origin-verify': 'anything-at-all-long-enough' } })` +
          '.then((result) => { console.log(JSON.stringify(result)); process.exit(0); }, (error) => { console.log("thrown:" + error.message); process.exit(3); })',
      ],
      {
        env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules'), AWS_REGION: 'eu-west-1' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(3);
    expect(run.stdout).toContain('thrown:origin-verify secret unavailable');
    expect(`${run.stdout}${run.stderr}`).toMatch(
      /origin authorizer cannot load the origin-verify secret.*"error":"ORIGIN_VERIFY_SECRET_ARN: must be set"/,
    );
  },
);
