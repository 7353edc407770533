/**
 * `streamgate verify` against `npm start`, as CI runs it: the real CLI (cli/streamgate.js) in a
 * child process, tokens from the dev IdP's `npm run -s token`. Every check that means something
 * locally passes; the deployed-only ones are skipped, each saying why. Then against local stacks
 * broken on purpose (STREAMGATE_LOCAL_FAULT, test-only: local/local-fault.ts), the battery fails
 * and names exactly the broken promise's check.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VerifyReport } from '../../verify/runner';
import { type Running, start, stop } from '../support/npm-start';

const REPO = resolve(__dirname, '..', '..');
const VIEWER_TOKEN = 'npm run -s token -- --sub "$STREAMGATE_VERIFY_SUB" --videos "$STREAMGATE_VERIFY_VIDEOS"';
const ADMIN_TOKEN = 'npm run -s token -- --sub streamgate-verify-admin --scope streamgate:admin';
/** Short grants, so the expiry check waits seconds, not minutes. */
const STACK_ENV = { SIGNED_TTL_SECONDS: '20' };

interface VerifyRun {
  code: number | null;
  stdout: string;
  report: VerifyReport;
}

function verify(running: Running, localDir: string, extra: string[]): Promise<VerifyRun> {
  const json = join(mkdtempSync(join(tmpdir(), 'verify-report-')), 'report.json');
  const args = [
    'cli/streamgate.js',
    'verify',
    '--base',
    running.url,
    '--video',
    'demo-2',
    '--other-video',
    'demo-1',
    '--drm-video',
    'demo-3',
    '--viewer-token-cmd',
    VIEWER_TOKEN,
    '--admin-token-cmd',
    ADMIN_TOKEN,
    '--json',
    json,
    ...extra,
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, STREAMGATE_LOCAL_DIR: localDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done, fail) =>
    child.once('exit', (code) => {
      try {
        done({ code, stdout, report: JSON.parse(readFileSync(json, 'utf8')) as VerifyReport });
      } catch (error) {
        fail(new Error(`verify exited ${code} without a report: ${(error as Error).message}\n${stdout}\n${stderr}`));
      }
    }),
  );
}

/** Runs the battery against a fresh `npm start` (with a fault, or none), then stops it. */
async function verifyStack(
  fault: string | undefined,
  extra: string[],
  env: Record<string, string> = {},
): Promise<VerifyRun> {
  const localDir = join(mkdtempSync(join(tmpdir(), 'verify-stack-')), '.local');
  const running = await start(localDir, {
    ...STACK_ENV,
    ...env,
    ...(fault === undefined ? {} : { STREAMGATE_LOCAL_FAULT: fault }),
  });
  try {
    return await verify(running, localDir, extra);
  } finally {
    await stop(running);
  }
}

const ids = (run: VerifyRun, status: 'pass' | 'fail' | 'skip') =>
  run.report.checks.filter((check) => check.status === status).map((check) => check.id);
const evidenceOf = (run: VerifyRun, id: string) => run.report.checks.find((check) => check.id === id)?.evidence ?? [];

/** The only checks local mode may skip, and why: each needs something only a deployment has. */
const LOCAL_SKIPS: Record<string, RegExp> = {
  'transport.http-redirect': /only meaningful deployed/,
  'transport.tls-minimum': /only meaningful deployed/,
  'origin.bucket': /only meaningful deployed/,
  'origin.api-endpoint': /only meaningful deployed/,
  'origin.mediapackage': /only meaningful deployed/,
  // Local mode signs with RSA-2048 unless told otherwise: then the ECDSA question has nothing to ask.
  'question.high-s-ecdsa': /signs with RSA/,
};

test('against npm start, every locally meaningful check passes and the deployed-only ones are skipped with the reason', async () => {
  const run = await verifyStack(undefined, ['--wait-expiry']);
  expect(ids(run, 'fail')).toEqual([]);
  expect(run.code).toBe(0);
  for (const check of run.report.checks.filter((check) => check.status === 'skip'))
    expect(`${check.id}: ${check.reason}`).toMatch(LOCAL_SKIPS[check.id] ?? /^(?!)/);
  // Every family ran something here, the open questions included.
  expect(ids(run, 'pass')).toEqual(
    expect.arrayContaining([
      'playback.cookies',
      'playback.signed-url',
      'playback.path-spellings',
      'playback.expired-grant',
      'playback.drm',
      'transport.page-headers',
      'transport.unknown-routes',
      'revocation.logout',
      'revocation.admin-token',
      'revocation.admin-user',
      'question.check-order',
      'question.kvs-propagation',
      'question.waf-licence-body',
      'abuse.stream-limit',
      'abuse.rate-limit',
      'timing.playback',
    ]),
  );
  expect(run.stdout).toContain('every promise checked holds');
  expect(
    run.report.checks.find((check) => check.id === 'question.kvs-propagation')?.measurements?.maxMs,
  ).toBeGreaterThan(0);
}, 600_000);

test('edge revocation off: the revocation checks fail, saying the revoked grants were still served at the edge', async () => {
  const run = await verifyStack('no-edge-revocation', [
    '--only',
    'revocation',
    '--only',
    'question.kvs',
    '--edge-deadline',
    '3',
  ]);
  expect(run.code).toBe(1);
  expect(ids(run, 'fail')).toEqual(['revocation.logout', 'revocation.admin-token', 'revocation.admin-user']);
  for (const id of ids(run, 'fail')) {
    // The API still refused at once; the edge did not.
    expect(evidenceOf(run, id)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^✓ API at once: .* 401, invalid_token/)]),
    );
    expect(evidenceOf(run, id)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✗ edge: both grants refused within 3 s \(still served after \d+ ms\)$/),
      ]),
    );
  }
  expect(run.stdout.trimEnd().split('\n').pop()).toBe(
    'BROKEN: revocation.logout, revocation.admin-token, revocation.admin-user',
  );
}, 300_000);

/** The playback and transport families, without the expiry wait: quick, and wide enough to show nothing else breaks. */
const PAGE_AND_ROUTES = ['--only', 'transport', '--only', 'playback', '--skip', 'playback.expired-grant'];

test.each([
  {
    fault: 'drop-header:content-security-policy',
    broken: 'transport.page-headers',
    evidence: /^✗ content-security-policy: missing \(expected "default-src 'self'; /,
  },
  {
    // A function answered an undeclared route (the playback one: 401 without a token), where 404 is due.
    fault: 'expose-route',
    broken: 'transport.unknown-routes',
    evidence: /^✗ POST \/api\/v1\/streamgate-verify-[0-9a-f]+ → 401, invalid_token$/,
  },
])(
  '$fault: only $broken fails, and its evidence shows why',
  async ({ fault, broken, evidence }) => {
    const run = await verifyStack(fault, PAGE_AND_ROUTES);
    expect(run.code).toBe(1);
    expect(ids(run, 'fail')).toEqual([broken]);
    expect(evidenceOf(run, broken)).toEqual(expect.arrayContaining([expect.stringMatching(evidence)]));
    expect(run.stdout.trimEnd().split('\n').pop()).toBe(`BROKEN: ${broken}`);
  },
  300_000,
);

test('signing with P-256, the high-S question is asked: both halves play, and a revoked grant’s twin is refused', async () => {
  const run = await verifyStack(undefined, ['--only', 'question.high-s'], { STREAMGATE_KEY_ALGORITHM: 'ECDSA_P256' });
  const check = run.report.checks.find((result) => result.id === 'question.high-s-ecdsa');
  // node:crypto, like OpenSSL, takes either half of the pair: locally the twin of a live grant plays.
  expect(check?.finding).toMatch(/^high-S signatures are accepted; a revoked grant's twin is refused \(local edge/);
  expect(check?.evidence.filter((line) => /as issued .*→ 200$/.test(line) && line.startsWith('✓'))).toHaveLength(2);
  // The deny-list knows a grant by its policy (issue 20): the twin of a revoked grant is refused too.
  expect(check?.status).toBe('pass');
  expect(run.code).toBe(0);
}, 300_000);
