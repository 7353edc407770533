/**
 * Builds what the npm package ships (`npm pack` runs it as `prepack`), so a team's app needs no
 * esbuild, lock file or project root at synth:
 * - dist/lib, dist/lambda, dist/cli, dist/verify: the construct library and the CLI, compiled with
 *   their type declarations (tsconfig.build.json);
 * - dist/lambda-bundles/<handler>/index.js: every Lambda handler bundled with the options
 *   NodeFunction gives esbuild at synth in this repository (lib/node-function.ts BUNDLING);
 * - dist/edge-function/viewer-request.js: the CloudFront Function, beside the compiled lib that
 *   reads it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { BUNDLING, NODE_RUNTIME, RUNTIME_PROVIDED_MODULES } from '../lib/node-function';
import { minifyViewerRequest } from '../lib/viewer-request-code';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const HANDLERS = path.join(ROOT, 'lambda', 'handlers');

rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

// nodejs24.x → node24, as NodejsFunction derives esbuild's target from the runtime.
const target = NODE_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1');
for (const file of readdirSync(HANDLERS).filter((name) => name.endsWith('.ts'))) {
  const name = file.replace(/\.ts$/, '');
  buildSync({
    entryPoints: [path.join(HANDLERS, file)],
    outfile: path.join(DIST, 'lambda-bundles', name, 'index.js'),
    bundle: true,
    platform: 'node',
    target,
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: [...BUNDLING.mainFields],
    external: RUNTIME_PROVIDED_MODULES,
    logLevel: 'warning',
  });
}

mkdirSync(path.join(DIST, 'edge-function'), { recursive: true });
copyFileSync(
  path.join(ROOT, 'edge-function', 'viewer-request.js'),
  path.join(DIST, 'edge-function', 'viewer-request.js'),
);
// The minified template lib/viewer-request-code.ts reads in the package (no esbuild at a team's synth).
writeFileSync(
  path.join(DIST, 'edge-function', 'viewer-request.min.js'),
  minifyViewerRequest(readFileSync(path.join(ROOT, 'edge-function', 'viewer-request.js'), 'utf8')),
);
console.log(`built ${path.relative(ROOT, DIST)}/`);
