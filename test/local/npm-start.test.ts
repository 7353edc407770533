/**
 * `npm start` from a clean checkout's state: no local folder, so keys are generated and the
 * table created; Ctrl-C stops it cleanly; a second start reuses the keys and the revocations.
 * One instance per local folder: a second one is refused in one sentence.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_VIEWERS } from '../../local/demo-viewers';
import { issue, logout, play, start, startFailing, stop } from '../support/npm-start';

const dir = join(mkdtempSync(join(tmpdir(), 'streamgate-start-')), '.local');

test('first start generates keys and the table; Ctrl-C stops it; a second start reuses both', async () => {
  const first = await start(dir);
  const page = await fetch(first.url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<video');
  expect(statSync(join(dir, 'cloudfront-private.pem')).mode & 0o777).toBe(0o600);
  const keyGroup = readFileSync(join(dir, 'key-group.json'), 'utf8');
  const privateKey = readFileSync(join(dir, 'cloudfront-private.pem'), 'utf8');

  const kept = await issue(first.url, 'alice');
  const loggedOut = await issue(first.url, 'alice');
  expect((await play(first.url, kept)).status).toBe(200);
  expect((await logout(first.url, loggedOut)).status).toBe(204);
  expect(await stop(first)).toBe(0);

  const second = await start(dir);
  expect(readFileSync(join(dir, 'key-group.json'), 'utf8')).toBe(keyGroup);
  expect(readFileSync(join(dir, 'cloudfront-private.pem'), 'utf8')).toBe(privateKey);
  // The dev IdP kept its key (an old token still verifies) and the revocation survived the restart.
  expect((await play(second.url, kept)).status).toBe(200);
  expect((await play(second.url, loggedOut)).status).toBe(401);
  expect(await stop(second)).toBe(0);
}, 60000);

test('the start-up banner says where to go and what to try, and the SDK Node-version warning does not bury it', async () => {
  const running = await start(join(mkdtempSync(join(tmpdir(), 'streamgate-banner-')), '.local'));
  expect(await stop(running)).toBe(0);
  const base = running.url.replace(/\/$/, '');
  expect(running.output).toContain(`player       ${base}/`);
  expect(running.output).toMatch(/viewers\s+alice \(demo-1, demo-2, demo-3, live-1\), bob \(demo-1\)/);
  expect(running.output).toContain(`monitor      ${base}/local/monitor`);
  expect(running.output).toContain('npm run -s token -- --sub alice --videos demo-1');
  // The SDK's nine-line notice is at most one line of the banner now.
  expect(running.output).not.toContain('To continue receiving updates to AWS services');
}, 60000);

test('the player offers the same demo viewers as the banner', () => {
  const player = readFileSync(join(__dirname, '..', '..', 'web', 'src', 'dev-idp.ts'), 'utf8');
  const literal = /DEMO_VIEWERS: Record<string, string\[\]> = (\{[^}]*\});/.exec(player)?.[1] ?? '';
  const viewers = JSON.parse(
    literal
      .replace(/'/g, '"')
      .replace(/(\w+):/g, '"$1":')
      .replace(/,(\s*[\]}])/g, '$1'),
  ) as Record<string, string[]>;
  expect(viewers).toEqual(DEMO_VIEWERS);
});

test('a second npm start on a folder another one holds exits 1 with one sentence naming the holder, not a LevelDB trace', async () => {
  const shared = join(mkdtempSync(join(tmpdir(), 'streamgate-twice-')), '.local');
  const first = await start(shared);
  const second = await startFailing(shared);
  const lock = existsSync(join(shared, 'streamgate.lock')) ? readFileSync(join(shared, 'streamgate.lock'), 'utf8') : '';
  const firstStillServes = (await fetch(first.url)).status;
  expect(await stop(first)).toBe(0);
  expect(existsSync(join(shared, 'streamgate.lock'))).toBe(false);

  expect(second.code).toBe(1);
  const lines = second.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  const match = /another streamgate \(pid (\d+)\) is running on (.+); stop it or set STREAMGATE_LOCAL_DIR/.exec(
    lines[0],
  );
  expect(match?.[2]).toBe(shared);
  expect(Number(lock)).toBe(Number(match?.[1]));
  expect(firstStillServes).toBe(200);
}, 60000);

test('a lock left by a process that died is taken over', async () => {
  const crashed = join(mkdtempSync(join(tmpdir(), 'streamgate-stale-')), '.local');
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => dead.once('exit', done));
  mkdirSync(crashed, { recursive: true });
  writeFileSync(join(crashed, 'streamgate.lock'), `${dead.pid}\n`);
  const running = await start(crashed);
  const lock = readFileSync(join(crashed, 'streamgate.lock'), 'utf8');
  expect((await fetch(running.url)).status).toBe(200);
  expect(await stop(running)).toBe(0);
  expect(Number(lock)).not.toBe(dead.pid);
}, 60000);
