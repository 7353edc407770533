/** dynalite in a child process, so the store's CPU does not run on the measured thread. */
import { spawn } from 'node:child_process';

const SERVER = `
const server = require('dynalite')({ createTableMs: 0 });
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export async function startDynaliteProcess(): Promise<{ endpoint: string; port: number; stop(): void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((done, fail) => {
    child.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim())));
    child.once('exit', (code) => fail(new Error(`dynalite process exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => child.kill() };
}
