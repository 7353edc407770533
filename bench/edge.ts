/**
 * Local edge throughput: one segment through the edge with signed-cookie checks, against the
 * same server code serving the same file without checks, in one run. The server runs in its
 * own process so the load generator does not share its core.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { interleaved, report } from './measure';

const REPO = resolve(__dirname, '..');

/** The signed Resource names the stack's host, so every request carries that Host, whichever port it goes to. */
let signedHost = '';

function get(agent: Agent, port: number, path: string, cookie?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { host: signedHost || `localhost:${port}`, ...(cookie !== undefined ? { cookie } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

export async function benchEdge(seconds: number): Promise<void> {
  const child = spawn(join(REPO, 'node_modules', '.bin', 'tsx'), ['bench/edge-target.ts'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const target = await new Promise<{
    checked: number;
    unchecked: number;
    noFunction: number;
    withFunction: number;
    token: string;
  }>((done) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line !== undefined) done(JSON.parse(line));
    });
  });
  signedHost = `localhost:${target.checked}`;
  try {
    const granted = await fetch(`http://localhost:${target.checked}/api/v1/playback/demo-1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}` },
    });
    const cookie = granted.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const segment = '/media/demo-1/segment_000.m2ts';
    // Identical requests (cookies included) to both: the only difference is the check.
    for (const port of [target.checked, target.unchecked, target.noFunction, target.withFunction]) {
      const status = await get(agent, port, segment, cookie);
      if (status !== 200) throw new Error(`bench setup: segment answered ${status} on port ${port}`);
    }
    const [baseline, checked] = await interleaved(
      ['segment, same server without signature checks', () => get(agent, target.unchecked, segment, cookie)],
      ['segment through the local edge, signed cookies checked', () => get(agent, target.checked, segment, cookie)],
      5,
      seconds / 2,
      16,
    );
    console.log(
      '\nlocal edge, one 64 KB segment, 16 in flight, median of 5 alternating rounds (ratio against serving without checks)',
    );
    report(baseline, [checked]);
    // The viewer-request function (canonical path + deny-list lookup) against the same edge without it.
    const [withoutFunction, withFunction] = await interleaved(
      [
        'segment, edge checks without the viewer-request function',
        () => get(agent, target.noFunction, segment, cookie),
      ],
      [
        'segment, edge checks + function (deny-list of 10,000 grants)',
        () => get(agent, target.withFunction, segment, cookie),
      ],
      9,
      seconds / 2,
      16,
    );
    console.log(
      '\nthe viewer-request function at the local edge, median of 9 alternating rounds (ratio against the same edge without it; target ≥ 0.8)',
    );
    report(withoutFunction, [withFunction]);
    agent.destroy();
  } finally {
    child.kill('SIGTERM');
  }
}
