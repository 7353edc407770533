// Builds dist/: the ES module, the script-tag IIFE (global `StreamgateClient`), both minified,
// and the type declarations; prints raw and gzipped sizes. Uses the esbuild and TypeScript of
// the enclosing checkout (or of this package's own devDependencies when published alone).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const entry = join(here, 'src', 'index.ts');
const common = {
  entryPoints: [entry],
  bundle: true,
  minify: true,
  target: 'es2020',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
};

rmSync(dist, { recursive: true, force: true });
await build({ ...common, format: 'esm', outfile: join(dist, 'streamgate-client.js') });
await build({
  ...common,
  format: 'iife',
  globalName: 'StreamgateClient',
  outfile: join(dist, 'streamgate-client.global.js'),
});
// The session, denials and signed URLs alone (what every app ships), for the size budget.
const core = await build({ ...common, entryPoints: [join(here, 'src', 'core.ts')], format: 'esm', write: false });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });

const size = (name, bytes) => {
  const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
  console.log(
    `${name.padEnd(40)} ${kb(bytes.length).padStart(9)} raw  ${kb(gzipSync(bytes, { level: 9 }).length).padStart(9)} gzipped`,
  );
};
for (const file of ['streamgate-client.js', 'streamgate-client.global.js'])
  size(relative(here, join(dist, file)), readFileSync(join(dist, file)));
size('core (session + denials + signed URLs)', Buffer.from(core.outputFiles[0].contents));
