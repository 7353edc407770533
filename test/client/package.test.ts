/**
 * streamgate-client installs as documented: `npm pack` of client/ (its prepack builds dist/)
 * holds the ES module, the script-tag bundle and the types; installed into a temporary project,
 * a page that imports it type-checks and bundles, and the bundle runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { npmPack, type Packed } from '../support/npm-pack';
import { buildSync } from 'esbuild';

const ROOT = path.join(__dirname, '..', '..');
const CLIENT = path.join(ROOT, 'client');

let packed: Packed;

beforeAll(() => {
  packed = npmPack(CLIENT, 'streamgate-client-package-');
}, 300_000);

test('the tarball holds the built ES module, the script-tag bundle and the type declarations', () => {
  const files = packed.files();
  expect(files).toEqual(
    expect.arrayContaining([
      'package/package.json',
      'package/dist/streamgate-client.js',
      'package/dist/streamgate-client.global.js',
      'package/dist/types/index.d.ts',
      'package/LICENSE',
    ]),
  );
  expect(files.filter((file) => file.startsWith('package/src/'))).toEqual([]);
});

test('a project that installs the tarball type-checks and bundles a page importing it, and the page runs', () => {
  const project = path.join(packed.work, 'site');
  packed.installInto(project, 'streamgate-client');
  writeFileSync(
    path.join(project, 'page.ts'),
    [
      "import { createPlaybackSession, isApiReason } from 'streamgate-client';",
      'const kinds: boolean[] = [isApiReason("revoked"), isApiReason("no-such-reason")];',
      '(globalThis as { result?: unknown }).result = { session: typeof createPlaybackSession, kinds };',
      '',
    ].join('\n'),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(
    process.execPath,
    [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--target',
      'es2020',
      '--lib',
      'es2020,dom',
      'page.ts',
    ],
    { cwd: project, stdio: 'inherit' },
  );
  const bundle = path.join(project, 'out.js');
  buildSync({
    entryPoints: [path.join(project, 'page.ts')],
    bundle: true,
    format: 'iife',
    outfile: bundle,
    absWorkingDir: project,
    logLevel: 'warning',
  });
  const code = readFileSync(bundle, 'utf8');
  const scope: { result?: unknown } = {};
  new Function('globalThis', code)(scope);
  expect(scope.result).toEqual({ session: 'function', kinds: [true, false] });
}, 120_000);
