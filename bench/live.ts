/**
 * Live benches, each a ratio within one run:
 *
 * 1. The live playlist through the local edge with every check (signed cookies, the viewer-request
 *    function over a deny-list of 10,000 grants), against the same edge handler serving the same
 *    playlist from the same live origin without checks. The server runs in its own process.
 * 2. A 1,000-viewer audience that joins a premiere in the same second (tokens issued together):
 *    the playback API calls per second its refreshes cause, at the peak and over ten minutes, with
 *    live grants' jittered `refreshAfter` against the fixed 80 % of VOD grants. Each refresh is
 *    signed by the real MediaSigner (its grant interval and refresh rule); the clock is simulated.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { grantIssuedAt } from '../lambda/core/access-state';
import { liveScope } from '../lambda/core/live-grants';
import { MediaSigner, type SignRequest } from '../lambda/core/media-signer';
import { interleaved, report } from './measure';

const REPO = resolve(__dirname, '..');
const PLAYLIST = '/live/live-1/hls/index.m3u8';

function get(agent: Agent, port: number, host: string, path: string, cookie?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent, headers: { host, ...(cookie !== undefined ? { cookie } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

async function benchLivePlaylist(seconds: number): Promise<void> {
  const child = spawn(join(REPO, 'node_modules', '.bin', 'tsx'), ['bench/live-target.ts'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const target = await new Promise<{ checked: number; unchecked: number; token: string }>((done) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line !== undefined) done(JSON.parse(line));
    });
  });
  const host = `localhost:${target.checked}`;
  try {
    const granted = await fetch(`http://${host}/api/v1/playback/live-1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}` },
    });
    const cookie = granted.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    for (const port of [target.checked, target.unchecked]) {
      const status = await get(agent, port, host, PLAYLIST, cookie);
      if (status !== 200) throw new Error(`bench setup: live playlist answered ${status} on port ${port}`);
    }
    // Every measured answer must be the playlist: a refusal would be cheaper and flatter the checks.
    const ok = async (port: number) => {
      const status = await get(agent, port, host, PLAYLIST, cookie);
      if (status !== 200) throw new Error(`live playlist answered ${status} on port ${port} during the bench`);
    };
    const [baseline, checked] = await interleaved(
      ['live playlist, same edge handler without checks', () => ok(target.unchecked)],
      ['live playlist, cookies + function (deny-list of 10,000)', () => ok(target.checked)],
      5,
      seconds / 2,
      16,
    );
    console.log(
      '\nlive playlist through the local edge, 16 in flight, median of 5 alternating rounds (ratio against no checks)',
    );
    report(baseline, [checked]);
    agent.destroy();
  } finally {
    child.kill('SIGTERM');
  }
}

interface AudienceLoad {
  /** The most calls in one second after the join (the join itself is 1,000 calls either way). */
  peakPerSecond: number;
  /** Seconds with at least one call, over the simulated span. */
  busySeconds: number;
  calls: number;
}

/** The API calls per second of `viewers` joining at `joinAt` with tokens issued then, for `spanSeconds`. */
function audienceLoad(
  signer: MediaSigner,
  live: boolean,
  viewers: number,
  ttl: number,
  spanSeconds: number,
): AudienceLoad {
  const joinAt = 1_800_000_000;
  const scope = liveScope({ path: '/live/premiere/hls/', manifest: 'index.m3u8' }, false);
  const perSecond = new Map<number, number>();
  let calls = 0;
  for (let viewer = 0; viewer < viewers; viewer += 1) {
    const session = `session-${viewer}`;
    const token = { iat: joinAt };
    for (let at = joinAt; at < joinAt + spanSeconds; ) {
      perSecond.set(at, (perSecond.get(at) ?? 0) + 1);
      calls += 1;
      const request: SignRequest = {
        videoId: 'premiere',
        nowSeconds: grantIssuedAt(token, at, ttl),
        notAfterSeconds: joinAt + 86400,
        viewerIp: undefined,
        policySeed: session,
        ...(live ? { live: scope } : {}),
      };
      const grant = signer.signCookies(request);
      at = Math.max(at + 1, grant.refreshAfter);
    }
  }
  perSecond.delete(joinAt);
  return { peakPerSecond: Math.max(...perSecond.values()), busySeconds: perSecond.size, calls };
}

function benchLiveAudience(): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ttl = 300;
  const signer = new MediaSigner(
    {
      mediaBaseUrl: 'https://video.example.com',
      manifestName: 'index.m3u8',
      ttlSeconds: ttl,
      bindViewerIp: false,
      key: { kind: 'file', path: 'unused' },
      keyRefreshSeconds: 60,
      hashAlgorithm: 'SHA256',
    },
    { keyPairId: 'KBENCH', privateKey, type: 'ecdsa-p256', hashAlgorithm: 'SHA256' },
  );
  const viewers = 1000;
  const span = 600;
  const fixed = audienceLoad(signer, false, viewers, ttl, span);
  const jittered = audienceLoad(signer, true, viewers, ttl, span);
  console.log(
    `\n${viewers} viewers joining in one second, ${ttl} s grants, ${span} s simulated: playback API calls per second (ratio against refresh at a fixed 80 %)`,
  );
  const line = (name: string, load: AudienceLoad, ratio?: string) =>
    console.log(
      `  ${name.padEnd(44)} peak ${String(load.peakPerSecond).padStart(5)} /s   calls ${String(load.calls).padStart(5)}   seconds with calls ${String(load.busySeconds).padStart(4)}${ratio === undefined ? '   (baseline)' : `   peak ratio ${ratio}`}`,
    );
  console.log('  (the join itself is 1,000 calls in its second either way; peaks below are of the refreshes after it)');
  line('refresh at 80 % (VOD rule, no jitter)', fixed);
  line(
    'live: refresh at 50–80 %, per-session hash',
    jittered,
    (jittered.peakPerSecond / fixed.peakPerSecond).toFixed(3),
  );
}

export async function benchLive(seconds: number): Promise<void> {
  await benchLivePlaylist(seconds);
  benchLiveAudience();
}

if (require.main === module)
  benchLive(Number(process.env.BENCH_SECONDS ?? '2')).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
