/** `npm start` as a real child process (its script, `tsx local/start.ts`), for the local-mode tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');

export interface Running {
  child: ChildProcess;
  url: string;
  /** What it printed (stdout and stderr) up to and including the start-up banner. */
  output: string;
}

/** `npm start` on a local folder, with extra environment. */
function spawnStart(localDir: string, env: Record<string, string>): ChildProcess {
  return spawn(join(REPO, 'node_modules', '.bin', 'tsx'), ['local/start.ts'], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', STREAMGATE_LOCAL_DIR: localDir, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `npm start` and waits for the URL it prints. */
export function start(localDir: string, env: Record<string, string> = {}): Promise<Running> {
  const child = spawnStart(localDir, env);
  return new Promise((done, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`npm start printed no URL in 20 s:\n${output}`)), 20000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /player\s+(http:\/\/localhost:\d+\/)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        done({ child, url: match[1], output });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => fail(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

/** Runs `npm start` expecting it to exit within 20 s (else it is killed); its exit code and stderr. */
export function startFailing(
  localDir: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawnStart(localDir, env);
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

/** Ctrl-C; resolves with the exit code. */
export function stop(running: Running): Promise<number | null> {
  return new Promise((done) => {
    running.child.once('exit', (code) => done(code));
    running.child.kill('SIGINT');
  });
}

/** A viewer token for demo-1 from the dev IdP over HTTP. */
export async function issue(url: string, sub: string): Promise<string> {
  const response = await fetch(`${url}idp/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, videos: ['demo-1'] }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

export const play = (url: string, token: string, query = '') =>
  fetch(`${url}api/v1/playback/demo-1${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

export const logout = (url: string, token: string) =>
  fetch(`${url}api/v1/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
