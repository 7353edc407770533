/**
 * `npm start` from a clean checkout's state: no local folder, so keys are generated and the
 * table created; Ctrl-C stops it cleanly; a second start reuses the keys and the revocations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
const dir = join(mkdtempSync(join(tmpdir(), 'streamgate-start-')), '.local');

interface Running {
  child: ChildProcess;
  url: string;
}

/** `npm start` (its script, `tsx local/start.ts`) on a local folder. */
function spawnStart(localDir: string): ChildProcess {
  return spawn(join(REPO, 'node_modules', '.bin', 'tsx'), ['local/start.ts'], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', STREAMGATE_LOCAL_DIR: localDir, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `npm start` and waits for the URL it prints. */
function start(localDir = dir): Promise<Running> {
  const child = spawnStart(localDir);
  return new Promise((done, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`npm start printed no URL in 20 s:\n${output}`)), 20000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/localhost:\d+\/)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        done({ child, url: match[1] });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => fail(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

function stop(running: Running): Promise<number | null> {
  return new Promise((done) => {
    running.child.once('exit', (code) => done(code));
    running.child.kill('SIGINT');
  });
}

async function issue(url: string, sub: string): Promise<string> {
  const response = await fetch(`${url}idp/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, videos: ['demo-1'] }) });
  return ((await response.json()) as { access_token: string }).access_token;
}

const play = (url: string, token: string) => fetch(`${url}api/v1/playback/demo-1`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

test('first start generates keys and the table; Ctrl-C stops it; a second start reuses both', async () => {
  const first = await start();
  const page = await fetch(first.url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<video');
  expect(statSync(join(dir, 'cloudfront-private.pem')).mode & 0o777).toBe(0o600);
  const keyGroup = readFileSync(join(dir, 'key-group.json'), 'utf8');
  const privateKey = readFileSync(join(dir, 'cloudfront-private.pem'), 'utf8');

  const kept = await issue(first.url, 'alice');
  const loggedOut = await issue(first.url, 'alice');
  expect((await play(first.url, kept)).status).toBe(200);
  expect((await fetch(`${first.url}api/v1/session`, { method: 'DELETE', headers: { authorization: `Bearer ${loggedOut}` } })).status).toBe(204);
  expect(await stop(first)).toBe(0);

  const second = await start();
  expect(readFileSync(join(dir, 'key-group.json'), 'utf8')).toBe(keyGroup);
  expect(readFileSync(join(dir, 'cloudfront-private.pem'), 'utf8')).toBe(privateKey);
  // The dev IdP kept its key (an old token still verifies) and the revocation survived the restart.
  expect((await play(second.url, kept)).status).toBe(200);
  expect((await play(second.url, loggedOut)).status).toBe(401);
  expect(await stop(second)).toBe(0);
}, 60000);

/** Runs `npm start` expecting it to exit within 20 s (else it is killed); its exit code and stderr. */
function startFailing(localDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawnStart(localDir);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    }),
  );
}

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
  const match = /another streamgate \(pid (\d+)\) is running on (.+); stop it or set STREAMGATE_LOCAL_DIR/.exec(lines[0]);
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
