/**
 * Cold start: the playback Lambda's init against a baseline handler that only imports
 * @aws-sdk/client-dynamodb and creates a client, each bundled with esbuild as NodeFunction
 * (lib/node-function.ts) bundles it: CommonJS, minified, target from the Node.js runtime,
 * `module` before `main`, source maps without sources, and run with NODE_OPTIONS
 * --enable-source-maps as deployed.
 *
 * Two packagings, both reported:
 * - self-contained: everything bundled, @aws-sdk clients included. The fair comparison, with no
 *   file outside the bundle loaded.
 * - as deployed: RUNTIME_PROVIDED_MODULES left out of the bundle, as NodeFunction does; here
 *   they load from the project's node_modules, on Lambda from the runtime's own copy.
 *
 * Init is timed in a fresh `node` process: require the bundle, then await the API's init (config,
 * key file read and parsed, JWKS parsed, clients created). For that the timed bundle also exports
 * `ready`, the init the handler awaits (the sizes are of the handler's own bundle). Standard
 * output is opened before the clock starts: the Lambda runtime has it open before it loads a
 * handler. Baseline and playback alternate, run after run; the medians are compared, of the wall
 * time and of the process's CPU time over the same span (less disturbed by other load on the
 * machine than wall time, so the steadier ratio where the two differ).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { NODE_RUNTIME, RUNTIME_PROVIDED_MODULES } from '../lib/node-function';
import { apiEnv, cloudFrontKey } from '../test/support/harness';
import { idpKey } from '../test/support/tokens';
import { median } from './measure';

const REPO = resolve(__dirname, '..');
const RUNS = 21;

/** The baseline: what any DynamoDB-backed Lambda loads before its first line of work. */
const BASELINE_SOURCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async () => ({ statusCode: client === undefined ? 500 : 200 });
export const ready = Promise.resolve(client);
`;
/** The playback handler, plus the init promise it awaits, for the timing. */
const PLAYBACK_TIMED_SOURCE = `
export { handler, ready } from './lambda/handlers/playback';
`;

interface Timing {
  load: number;
  init: number;
  cpu: number;
}

interface Bundle {
  file: string;
  bytes: number;
  gzipBytes: number;
}

async function bundle(
  outDir: string,
  name: string,
  external: string[],
  entry: { file: string } | { source: string },
): Promise<Bundle> {
  const file = join(outDir, name, 'index.js');
  await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: REPO, loader: 'ts', sourcefile: `${name}.ts` } }),
    bundle: true,
    outfile: file,
    platform: 'node',
    target: `node${/nodejs(\d+)/.exec(NODE_RUNTIME.name)?.[1] ?? ''}`,
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external,
    logLevel: 'error',
  });
  const code = readFileSync(file);
  return { file, bytes: statSync(file).size, gzipBytes: gzipSync(code).length };
}

/** One fresh process: ms to require the bundle, and to its init's end. */
function initOnce(
  bundleFile: string,
  env: Record<string, string>,
): Promise<{ load: number; init: number; cpu: number }> {
  const script = `
process.stdout; process.stderr;
const cpu = process.cpuUsage();
const started = performance.now();
const lambda = require(${JSON.stringify(bundleFile)});
const loaded = performance.now();
lambda.ready.then(() => {
  process.stdout.write('\\n' + JSON.stringify({ load: loaded - started, init: performance.now() - started, cpu: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu)) }) + '\\n');
});`;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '-e', script], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('exit', () => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('{"load"'));
      if (line === undefined)
        return fail(new Error(`cold-start child printed no timing (init failed?): ${output.slice(0, 500)}`));
      done(JSON.parse(line) as { load: number; init: number; cpu: number });
    });
  });
}

export async function benchColdStart(runs = RUNS): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'streamgate-cold-'));
  const key = cloudFrontKey('rsa-2048');
  const idp = idpKey('RS256');
  // As deployed, less what needs AWS: the key from a file, the JWKS inline, no origin-verify secret.
  const base = { PATH: process.env.PATH ?? '', NODE_PATH: join(REPO, 'node_modules'), AWS_REGION: 'us-east-1' };
  const playbackEnv: Record<string, string> = {
    ...base,
    ...apiEnv({ dynamoEndpoint: '', idpKeys: [idp], signingKeyFile: key.file }),
  };
  delete playbackEnv.DYNAMODB_ENDPOINT;
  delete playbackEnv.MAX_CONCURRENT_STREAMS;
  delete playbackEnv.RATE_LIMIT_PER_WINDOW;

  const lines: string[] = [];
  for (const [packaging, external] of [
    ['self-contained (AWS SDK bundled)', []],
    ['as deployed (runtime-provided SDK clients external)', RUNTIME_PROVIDED_MODULES],
  ] as const) {
    const tag = external.length === 0 ? 'all' : 'ext';
    const baseline = await bundle(outDir, `baseline-${tag}`, [...external], { source: BASELINE_SOURCE });
    const playback = await bundle(outDir, `playback-${tag}`, [...external], {
      file: join(REPO, 'lambda', 'handlers', 'playback.ts'),
    });
    const playbackTimed = await bundle(outDir, `playback-timed-${tag}`, [...external], {
      source: PLAYBACK_TIMED_SOURCE,
    });
    const times = { baseline: [] as Timing[], playback: [] as Timing[] };
    // One of each first, unmeasured: the files into the page cache.
    await initOnce(baseline.file, base);
    await initOnce(playbackTimed.file, playbackEnv);
    for (let run = 0; run < runs; run += 1) {
      times.baseline.push(await initOnce(baseline.file, base));
      times.playback.push(await initOnce(playbackTimed.file, playbackEnv));
    }
    const med = (values: Timing[], part: keyof Timing) => median(values.map((value) => value[part]));
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    lines.push(
      `\ncold start, ${packaging}: median of ${runs} alternating fresh processes`,
      `  baseline: DynamoDB client only   ${kb(baseline.bytes).padStart(9)} min, ${kb(baseline.gzipBytes).padStart(8)} gzip   load ${med(times.baseline, 'load').toFixed(1).padStart(6)} ms   init ${med(times.baseline, 'init').toFixed(1).padStart(6)} ms   cpu ${med(times.baseline, 'cpu').toFixed(1).padStart(6)} ms   (baseline)`,
      `  playback handler                 ${kb(playback.bytes).padStart(9)} min, ${kb(playback.gzipBytes).padStart(8)} gzip   load ${med(times.playback, 'load').toFixed(1).padStart(6)} ms   init ${med(times.playback, 'init').toFixed(1).padStart(6)} ms   cpu ${med(times.playback, 'cpu').toFixed(1).padStart(6)} ms   ratio ${(med(times.playback, 'init') / med(times.baseline, 'init')).toFixed(2)} (cpu ${(med(times.playback, 'cpu') / med(times.baseline, 'cpu')).toFixed(2)})`,
    );
  }
  console.log(lines.join('\n'));
}
