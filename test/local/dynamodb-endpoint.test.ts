/**
 * `npm start` against a DynamoDB-compatible server it does not own (DYNAMODB_ENDPOINT): a
 * dynalite in its own process, persisted in a folder, that is killed mid-session and restarted.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynaliteProcess, type DynaliteProcess } from '../../bench/dynalite-process';
import { issue, logout, play, start, startFailing, stop, type Running } from '../support/npm-start';

const root = mkdtempSync(join(tmpdir(), 'streamgate-endpoint-'));
const data = join(root, 'dynalite');
const localDir = join(root, '.local');
// dynalite's own table-creation delay, as a dynalite the user runs would have.
const asUserRuns = { path: data, createTableMs: 500 };

let dynamo: DynaliteProcess;
let running: Running;
beforeAll(async () => {
  dynamo = await startDynaliteProcess(asUserRuns);
  running = await start(localDir, { DYNAMODB_ENDPOINT: dynamo.endpoint });
}, 30000);
afterAll(async () => {
  await stop(running);
  await dynamo.kill();
});

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(response.headers.getSetCookie()).toEqual([]);
  const text = await response.text();
  expect(JSON.parse(text)).toMatchObject({ error: 'temporarily_unavailable' });
  expect(text).not.toMatch(/manifestUrl|signedQuery|Signature=|Key-Pair-Id=/);
}

test('npm start with DYNAMODB_ENDPOINT uses that server: no dynalite of its own, the table created there', async () => {
  expect(existsSync(join(localDir, 'dynamo'))).toBe(false);
  expect(existsSync(join(data, 'CURRENT'))).toBe(true);
  expect((await play(running.url, await issue(running.url, 'erin'))).status).toBe(200);
});

test('while the endpoint is down every call is 503 with Retry-After and nothing signed; after it restarts, calls succeed and revocations hold', async () => {
  const kept = await issue(running.url, 'alice');
  const revoked = await issue(running.url, 'bob');
  expect((await play(running.url, kept)).status).toBe(200);
  expect((await logout(running.url, revoked)).status).toBe(204);
  expect((await play(running.url, revoked)).status).toBe(401);

  await dynamo.kill();
  const during = await Promise.all([
    play(running.url, kept),
    play(running.url, kept, '?delivery=url'),
    play(running.url, revoked),
    play(running.url, revoked, '?delivery=url'),
    logout(running.url, kept),
  ]);
  for (const response of during) await expectUnavailable(response);

  dynamo = await startDynaliteProcess({ ...asUserRuns, port: dynamo.port });
  const granted = await play(running.url, kept);
  expect(granted.status).toBe(200);
  expect(granted.headers.getSetCookie().length).toBeGreaterThan(0);
  expect((await play(running.url, kept, '?delivery=url')).status).toBe(200);
  const refused = await play(running.url, revoked);
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
}, 60000);

test('a DYNAMODB_ENDPOINT that is not a URL, or that nothing answers, stops npm start with a message naming it', async () => {
  const notUrl = await startFailing(join(root, 'not-url'), { DYNAMODB_ENDPOINT: 'localhost:8000' });
  expect(notUrl.code).toBe(1);
  expect(notUrl.stderr).toContain('DYNAMODB_ENDPOINT: must be an http(s) URL');
  const nobody = await startFailing(join(root, 'nobody'), { DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' });
  expect(nobody.code).toBe(1);
  expect(nobody.stderr).toContain('DynamoDB at http://127.0.0.1:1: cannot read or create table');
}, 30000);
