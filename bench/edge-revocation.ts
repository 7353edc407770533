/**
 * Edge revocation, measured locally: how long after a revocation starts (the API call is sent)
 * media requests carrying the revoked grant are refused at the edge, for each way a grant is
 * revoked (logout, admin by jti, admin by user, eviction by the stream limit). Each trial polls
 * the manifest with the old cookies and with the old signed query until both are refused; a
 * bystander's grant for the same video is checked to still play after every trial.
 *
 * The baseline in the same run: one manifest request with a valid grant (what a poll costs), so
 * the figures read as "revoked within N media round trips". What is local here: the table's
 * stream is the in-process stand-in, so the deployed stream → Lambda → KeyValueStore → every
 * edge propagation (which AWS does not publish) is not in these numbers.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { startLocalStack, type LocalStack } from '../local/stack';
import { LogCapture } from '../test/support/harness';
import { quantile } from './measure';

const VIDEO = 'demo-1';
const MANIFEST = `/media/${VIDEO}/index.m3u8`;
const TRIALS = 50;

interface Grant {
  token: string;
  sub: string;
  jti: string;
  cookie: string;
  query: string;
}

type Kind = 'logout' | 'admin by jti' | 'admin by user' | 'eviction';

export async function benchEdgeRevocation(): Promise<void> {
  const logs = new LogCapture({ keep: false });
  logs.logger.setLogLevel('ERROR');
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-bench-revocation-'));
  const stack = await startLocalStack({
    dir,
    port: 0,
    logger: logs.logger,
    apiEnv: { MAX_CONCURRENT_STREAMS: '1', STREAM_LIMIT_POLICY: 'evict-oldest', RATE_LIMIT_PER_WINDOW: '0' },
  });
  try {
    const admin = await stack.idp.issueToken({ sub: 'bench-ops', scope: 'streamgate:admin' });
    const bystander = await grant(stack, 'bench-bystander');
    const pollCost: number[] = [];
    for (let index = 0; index < TRIALS; index += 1) {
      const started = performance.now();
      if ((await status(stack, bystander.cookie)) !== 200) throw new Error('bench: the bystander does not play');
      pollCost.push(performance.now() - started);
    }
    const results = new Map<Kind, number[]>();
    for (const kind of ['logout', 'admin by jti', 'admin by user', 'eviction'] as Kind[]) {
      const times: number[] = [];
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const sub = `bench-${kind.replace(/ /g, '-')}-${trial}`;
        const victim = await grant(stack, sub);
        if ((await status(stack, victim.cookie)) !== 200) throw new Error('bench: a fresh grant does not play');
        const started = performance.now();
        const revoking = revoke(stack, kind, victim, admin);
        await refused(stack, victim);
        times.push(performance.now() - started);
        await revoking;
        if ((await status(stack, bystander.cookie)) !== 200)
          throw new Error(`bench: the bystander was refused after a ${kind}`);
      }
      results.set(kind, times);
    }
    logs.stop(); // the capture holds console output too
    const sortedPoll = [...pollCost].sort((a, b) => a - b);
    const poll = quantile(sortedPoll, 0.5);
    console.log(
      `\nedge revocation, local: from the revocation's start to both the old cookies and the old signed query refused (${TRIALS} trials each)`,
    );
    console.log(`  one manifest request with a valid grant (baseline)     p50 ${poll.toFixed(2)} ms`);
    for (const [kind, times] of results) {
      const sorted = [...times].sort((a, b) => a - b);
      const [p50, p99] = [quantile(sorted, 0.5), quantile(sorted, 0.99)];
      console.log(
        `  ${kind.padEnd(54)} p50 ${p50.toFixed(2).padStart(6)} ms   p99 ${p99.toFixed(2).padStart(6)} ms` +
          `   (${(p50 / poll).toFixed(1)} × a media request; target: under 1000 ms)`,
      );
    }
  } finally {
    logs.stop();
    await stack.close();
  }
}

async function grant(stack: LocalStack, sub: string): Promise<Grant> {
  const token = await stack.idp.issueToken({ sub, videos: [VIDEO] });
  const cookies = await post(stack, `/api/v1/playback/${VIDEO}`, token);
  const url = await post(stack, `/api/v1/playback/${VIDEO}?delivery=url`, token);
  if (cookies.status !== 200 || url.status !== 200) throw new Error(`bench: grant refused (${cookies.status})`);
  return {
    token,
    sub,
    jti: String(decodeJwt(token).jti),
    cookie: cookies.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; '),
    query: ((await url.json()) as { signedQuery: string }).signedQuery,
  };
}

async function revoke(stack: LocalStack, kind: Kind, victim: Grant, admin: string): Promise<void> {
  let response: Response;
  if (kind === 'logout') {
    response = await fetch(`${stack.url}api/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${victim.token}` },
    });
  } else if (kind === 'eviction') {
    // The same user starts a second session: the stream limit (1, evict-oldest) ends the first.
    response = await post(
      stack,
      `/api/v1/playback/${VIDEO}`,
      await stack.idp.issueToken({ sub: victim.sub, videos: [VIDEO] }),
    );
  } else {
    response = await fetch(`${stack.url}api/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(kind === 'admin by jti' ? { sub: victim.sub, jti: victim.jti } : { sub: victim.sub }),
    });
  }
  if (response.status >= 300) throw new Error(`bench: ${kind} answered ${response.status}`);
  await response.arrayBuffer();
}

/** Polls until the old cookies and the old signed query are both refused (gives up after 5 s). */
async function refused(stack: LocalStack, victim: Grant): Promise<void> {
  const deadline = performance.now() + 5000;
  let cookieRefused = false;
  let urlRefused = false;
  while (!(cookieRefused && urlRefused)) {
    if (performance.now() > deadline) throw new Error('bench: a revoked grant still plays after 5 s');
    if (!cookieRefused) cookieRefused = (await status(stack, victim.cookie)) === 403;
    if (!urlRefused) urlRefused = (await status(stack, undefined, victim.query)) === 403;
  }
}

function post(stack: LocalStack, path: string, token: string): Promise<Response> {
  return fetch(`${stack.url}${path.slice(1)}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}

function status(stack: LocalStack, cookie?: string, query?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: stack.port,
        path: query === undefined ? MANIFEST : `${MANIFEST}?${query}`,
        headers: { host: `localhost:${stack.port}`, ...(cookie !== undefined ? { cookie } : {}) },
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
