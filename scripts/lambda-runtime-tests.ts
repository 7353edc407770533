/**
 * `npm run test:lambda-runtime`: the Lambda-side suites (core, store, the edge, and the bundled
 * handlers loaded in a fresh process) on the Node.js major the deployed functions run, whatever
 * Node runs `npm test`. That Node comes from the npm registry (the `node` package, through npx:
 * a devDependency would put its `node` first on every npm script's PATH), at the major of
 * NODE_RUNTIME, so the two cannot drift. Extra arguments go to jest.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { NODE_RUNTIME } from '../lib/node-function';

const ROOT = resolve(__dirname, '..');
const SUITES = [
  'test/core',
  'test/store',
  'test/edge',
  'test/infra/bundle.test.ts',
  'test/infra/deny-list-bundle.test.ts',
];

const major = /^nodejs(\d+)\.x$/.exec(NODE_RUNTIME.name)?.[1];
if (major === undefined) throw new Error(`cannot read a Node.js major from the Lambda runtime ${NODE_RUNTIME.name}`);

// The registry's newest node@<major>, as Lambda's managed runtime also moves to the newest patch.
const located = spawnSync(
  'npx',
  ['--yes', `--package=node@${major}`, '--', 'node', '-p', 'JSON.stringify([process.execPath, process.version])'],
  { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32', stdio: ['ignore', 'pipe', 'inherit'] },
);
if (located.status !== 0) throw new Error(`npx could not run node@${major} from the npm registry`);
const [node, version] = JSON.parse(located.stdout) as [string, string];
if (!version.startsWith(`v${major}.`)) throw new Error(`asked npx for node@${major}, got ${version} (${node})`);

process.stdout.write(`Lambda-side suites on Node.js ${version} (deployed functions: ${NODE_RUNTIME.name})\n`);
const run = spawnSync(node, [require.resolve('jest/bin/jest'), '--runInBand', ...SUITES, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exitCode = run.status ?? 1;
