/**
 * Builds the player page into a folder of static files: index.html, player.js (the page, the
 * streamgate-client library and hls.js in one minified bundle), style.css, favicon.svg.
 *
 * - `local`: what `npm start` serves: dev IdP sign-in and the local catalog.
 * - `deploy`: what goes to the distribution's bucket: no dev IdP, nothing under `/local/`, the
 *   token handed over by the host application (web/src/host-token.ts), whose origins are written
 *   into the page. Run `npm run build:page -- --host-origin https://app.example.com [--out dist/web]`.
 *
 * Nothing inline: the page keeps the strict CSP of lib/page-headers.ts (script-src 'self').
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const WEB = __dirname;

export interface PlayerPageOptions {
  target: 'local' | 'deploy';
  outDir: string;
  /** Deploy: the origins of the host application(s) allowed to hand the viewer's token over. */
  hostOrigins?: string[];
}

const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** Builds the page; returns the files written, relative to `outDir`. */
export function buildPlayerPage(options: PlayerPageOptions): string[] {
  const origins = options.hostOrigins ?? [];
  for (const origin of origins)
    if (!ORIGIN.test(origin))
      throw new Error(`--host-origin: "${origin}" is not an origin like https://app.example.com`);
  if (options.target === 'deploy' && origins.length === 0)
    throw new Error('the deploy build needs at least one --host-origin (the app that hands the viewer token over)');
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(options.outDir, { recursive: true });

  buildSync({
    entryPoints: [join(WEB, 'src', 'main.ts')],
    outfile: join(options.outDir, 'player.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
    define: { STREAMGATE_LOCAL: String(options.target === 'local') },
  });

  let html = readFileSync(join(WEB, 'index.html'), 'utf8');
  if (options.target === 'deploy')
    html = html.replace(/[ \t]*<!-- local-only -->[\s\S]*?<!-- \/local-only -->\n?/g, '');
  html = html.replace(
    /<meta name="streamgate-host-origins" content="">/,
    `<meta name="streamgate-host-origins" content="${origins.join(' ')}">`,
  );
  writeFileSync(join(options.outDir, 'index.html'), html);
  for (const file of ['style.css', 'favicon.svg']) copyFileSync(join(WEB, file), join(options.outDir, file));
  return ['index.html', 'player.js', 'style.css', 'favicon.svg'];
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const hostOrigins: string[] = [];
  let outDir = resolve('dist', 'web');
  let target: 'local' | 'deploy' = 'deploy';
  for (let at = 0; at < args.length; at += 1) {
    if (args[at] === '--host-origin') hostOrigins.push(args[++at] ?? '');
    else if (args[at] === '--out') outDir = resolve(args[++at] ?? '');
    else if (args[at] === '--local') target = 'local';
    else {
      console.error(`unknown argument ${args[at]}; usage: build.ts --host-origin <origin>... [--out <dir>] [--local]`);
      process.exit(2);
    }
  }
  try {
    const files = buildPlayerPage({ target, outDir, hostOrigins });
    console.log(`player page (${target}) in ${outDir}: ${files.join(', ')}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
