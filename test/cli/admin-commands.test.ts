/**
 * The operator CLI (`streamgate revoke | revoke-user | revoke-users | sessions | lift-cutoff`)
 * against the real local stack (real API, dynalite, the local edge running the real edge
 * function with its deny-list), its admin token from the dev IdP's client-credentials endpoint,
 * the client's id and secret in the environment as an operator's shell would hold them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { sessionId } from '../../lambda/core/access-state';
import { DEV_IDP_ISSUER } from '../../local/idp/defaults';
import { startLocalStack, type LocalStack } from '../../local/stack';
import type { UserStateAnswer } from '../../lambda/core/user-state';
import { LogCapture } from '../support/harness';
import { cookieHeaderOf, play } from '../support/local-grants';
import { rawGet } from '../support/raw-http';

let stack: LocalStack;
let logs: LogCapture;
let dir: string;
let api: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  logs = new LogCapture();
  dir = mkdtempSync(join(tmpdir(), 'streamgate-cli-'));
  stack = await startLocalStack({ dir: join(dir, '.local'), port: 0, logger: logs.logger });
  api = stack.url.replace(/\/$/, '');
  const client = stack.idp.operatorClient;
  env = { STREAMGATE_CLIENT_ID: client.clientId, STREAMGATE_CLIENT_SECRET: client.clientSecret };
}, 60000);

afterAll(async () => {
  await stack?.close();
  logs?.stop();
});

/** Runs `streamgate <argv>` in-process: its exit status and what it printed. */
async function cli(argv: string[], environment: NodeJS.ProcessEnv = env) {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: environment,
  });
  return { status, stdout, stderr };
}

const credentials = () => ['--api', api, '--token-url', `${api}/idp/oauth/token`];

interface Played {
  sub: string;
  cookie: string;
  query: string;
}

/** One token of `sub`, played in cookie and in signed-URL mode: both grants. */
async function playBoth(sub: string): Promise<Played> {
  const token = await stack.idp.issueToken({ sub, videos: ['demo-1'] });
  const byCookie = await play(stack, token, 'demo-1');
  const byUrl = await play(stack, token, 'demo-1', '?delivery=url');
  if (byCookie.status !== 200 || byUrl.status !== 200)
    throw new Error(`playback of ${sub}: ${byCookie.status}, ${byUrl.status}`);
  return {
    sub,
    cookie: cookieHeaderOf(byCookie),
    query: ((await byUrl.json()) as { signedQuery: string }).signedQuery,
  };
}

/** The edge's answers to the manifest with each grant: status and deny reason. */
async function atTheEdge(played: Played): Promise<string[]> {
  const host = new URL(stack.url).host;
  const answers = await Promise.all([
    rawGet(stack.port, '/media/demo-1/index.m3u8', { host, cookie: played.cookie }),
    rawGet(stack.port, `/media/demo-1/index.m3u8?${played.query}`, { host }),
  ]);
  return answers.map((answer) => `${answer.status} ${answer.headers['x-streamgate-denied'] ?? ''}`.trim());
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]);
    }),
  );
  return results;
}

test('revoke-users: 500 users from a file, paced and resumed, every grant of theirs then refused at the edge', async () => {
  const subs = Array.from({ length: 500 }, (_, index) => `bulk-${String(index).padStart(3, '0')}`);
  const played = await pool(subs, 1, playBoth);
  const before = await pool(played, 8, atTheEdge);
  expect(new Set(before.flat())).toEqual(new Set(['200']));

  // An interrupted run: the first 200 users, outcomes recorded in the progress file.
  const firstHalf = join(dir, 'first.txt');
  writeFileSync(firstHalf, `# the first batch\n${subs.slice(0, 200).join('\n')}\n`);
  const all = join(dir, 'users.txt');
  writeFileSync(all, `${subs.join('\n')}\n${subs[0]}\n\n`);
  const progress = join(dir, 'users.progress');
  const first = await cli([
    'revoke-users',
    '--file',
    firstHalf,
    '--progress',
    progress,
    '--rate',
    '400',
    ...credentials(),
  ]);
  expect(first).toMatchObject({ status: 0, stderr: '' });
  expect(first.stdout).toMatch(/200 revoked, 0 failed, 0 skipped/);

  const resumed = await cli([
    'revoke-users',
    '--file',
    all,
    '--progress',
    progress,
    '--rate',
    '400',
    '--concurrency',
    '8',
    ...credentials(),
  ]);
  expect(resumed).toMatchObject({ status: 0, stderr: '' });
  expect(resumed.stdout).toMatch(/300 revoked, 0 failed, 200 skipped \(done in an earlier run\), 1 duplicate lines/);
  const recorded = readFileSync(progress, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { sub: string; outcome: string });
  expect(
    recorded
      .filter((entry) => entry.outcome === 'ok')
      .map((entry) => entry.sub)
      .sort(),
  ).toEqual([...subs].sort());

  const after = await pool(played, 8, atTheEdge);
  expect(new Set(after.flat())).toEqual(new Set(['403 revoked']));
  // And the API refuses their tokens too.
  const token = await stack.idp.issueToken({ sub: subs[499], videos: ['demo-1'], ttlSeconds: 600 });
  expect((await play(stack, token, 'demo-1')).status).toBe(401);
}, 240000);

test('sessions shows what the store holds: the sessions by id, slots, revocation marks and grants', async () => {
  const jtis = ['alice-phone', 'alice-tv'];
  for (const jti of jtis) {
    const token = await stack.idp.issueToken({ sub: 'alice', videos: ['demo-1'], jti });
    expect((await play(stack, token, 'demo-1')).status).toBe(200);
  }
  const revoked = await cli(['revoke', '--sub', 'alice', '--jti', 'alice-phone', ...credentials()]);
  expect(revoked.status).toBe(0);

  const shown = await cli(['sessions', '--sub', 'alice', '--json', ...credentials()]);
  expect(shown.status).toBe(0);
  const state = JSON.parse(shown.stdout) as UserStateAnswer;
  const [phone, tv] = jtis.map((jti) => sessionId({ iss: DEV_IDP_ISSUER, sub: 'alice', jti }));
  expect(state).toMatchObject({ iss: DEV_IDP_ISSUER, sub: 'alice', known: true });
  expect(state.revokedBefore).toBeUndefined();
  expect(state.sessions.map((session) => session.session).sort()).toEqual([phone, tv].sort());
  const byId = Object.fromEntries(state.sessions.map((session) => [session.session, session]));
  expect(byId[phone].revokedUntil).toEqual(expect.any(Number));
  expect(byId[tv].revokedUntil).toBeUndefined();
  for (const id of [phone, tv]) {
    expect(byId[id].grants).toHaveLength(1);
    expect(byId[id].grants[0]).toMatchObject({ live: true, id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
  }
  // The human form says the same.
  const text = await cli(['sessions', '--sub', 'alice', ...credentials()]);
  expect(text.stdout).toContain(`session ${phone}: `);
  expect(text.stdout).toMatch(new RegExp(`session ${phone}: .*REVOKED`));
  expect(text.stdout).toMatch(/cut-off: none; 2 sessions/);

  const stranger = await cli(['sessions', '--sub', 'nobody-here', '--json', ...credentials()]);
  expect(JSON.parse(stranger.stdout)).toMatchObject({ sub: 'nobody-here', known: false, sessions: [] });
}, 60000);

test('lift-cutoff: after a mistaken revoke-user a new token plays again; the lift is logged as an admin action', async () => {
  expect((await cli(['revoke-user', '--sub', 'mallory-mistake', ...credentials()])).status).toBe(0);
  // Issued now, so before the cut-off (now + tolerance + 1): refused.
  const token = await stack.idp.issueToken({ sub: 'mallory-mistake', videos: ['demo-1'] });
  expect((await play(stack, token, 'demo-1')).status).toBe(401);
  const cutoff = JSON.parse((await cli(['sessions', '--sub', 'mallory-mistake', '--json', ...credentials()])).stdout)
    .revokedBefore as number;
  expect(cutoff).toEqual(expect.any(Number));

  const lifted = await cli(['lift-cutoff', '--sub', 'mallory-mistake', ...credentials()]);
  expect(lifted.status).toBe(0);
  expect(JSON.parse(lifted.stdout)).toEqual({
    lifted: { iss: DEV_IDP_ISSUER, sub: 'mallory-mistake', before: cutoff },
  });
  const fresh = await stack.idp.issueToken({ sub: 'mallory-mistake', videos: ['demo-1'] });
  expect((await play(stack, fresh, 'demo-1')).status).toBe(200);
  // One JSON object per log write (the capture keeps each write; a write need not end a line).
  const audit = logs.lines
    .flatMap((chunk) => chunk.split('\n'))
    .flatMap((line) => line.split(/(?<=\})(?=\{)/))
    .find((line) => line.includes('user cut-off lifted by admin'));
  expect(audit).toBeDefined();
  expect(JSON.parse(audit as string)).toMatchObject({
    liftedSub: 'mallory-mistake',
    liftedBefore: cutoff,
    sub: 'streamgate-operator',
  });
  // Nothing left to lift: answered, nothing changed.
  expect(JSON.parse((await cli(['lift-cutoff', '--sub', 'mallory-mistake', ...credentials()])).stdout)).toEqual({
    lifted: { iss: DEV_IDP_ISSUER, sub: 'mallory-mistake', before: null },
  });
}, 60000);

test('the admin routes refuse a viewer token (403, the admin scope missing), however the CLI is pointed', async () => {
  const viewer = await stack.idp.issueToken({ sub: 'eve', videos: ['demo-1'] });
  for (const argv of [
    ['sessions', '--sub', 'alice'],
    ['lift-cutoff', '--sub', 'alice'],
  ]) {
    const refused = await cli([...argv, '--api', api], { STREAMGATE_ADMIN_TOKEN: viewer });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/403 not_entitled .*"streamgate:admin" scope/);
  }
});

test('client credentials: a wrong secret is refused by the token endpoint, and no secret is ever printed', async () => {
  const wrong = await cli(['sessions', '--sub', 'alice', ...credentials()], {
    ...env,
    STREAMGATE_CLIENT_SECRET: 'not-the-secret',
  });
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/token endpoint answered 401: invalid_client/);
  const right = await cli(['sessions', '--sub', 'alice', ...credentials()]);
  for (const output of [wrong.stdout, wrong.stderr, right.stdout, right.stderr])
    expect(output).not.toContain(stack.idp.operatorClient.clientSecret);
  // The client is never taken from the command line, and a missing one is named.
  const noClient = await cli(['sessions', '--sub', 'alice', ...credentials()], {});
  expect(noClient.status).toBe(2);
  expect(noClient.stderr).toMatch(/set \$STREAMGATE_CLIENT_ID and \$STREAMGATE_CLIENT_SECRET/);
  expect((await cli(['sessions', '--sub', 'alice', '--client-secret', 'x', ...credentials()])).status).toBe(2);
});
