/**
 * dynalite in a child process: for the bench, so the store's CPU does not run on the measured
 * thread; for tests, as a server that can be killed and restarted on the same port and data.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const SERVER = `
const [port, path, createTableMs] = process.argv.slice(1);
const server = require('dynalite')({ path: path || undefined, createTableMs: Number(createTableMs) });
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export interface DynaliteProcessOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** LevelDB folder to persist in. @default in memory */
  path?: string;
  /** How long a new table stays CREATING (dynalite's own default is 500). @default 0 */
  createTableMs?: number;
}

export interface DynaliteProcess {
  endpoint: string;
  port: number;
  stop(): void;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export async function startDynaliteProcess(options: DynaliteProcessOptions = {}): Promise<DynaliteProcess> {
  const args = [String(options.port ?? 0), options.path ?? '', String(options.createTableMs ?? 0)];
  const child = spawn(process.execPath, ['-e', SERVER, ...args], {
    cwd: resolve(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const port = await new Promise<number>((done, fail) => {
    child.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim())));
    child.once('exit', (code) => fail(new Error(`dynalite process exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => child.kill(),
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
