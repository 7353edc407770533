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

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** A DNS name (IDNs already in punycode) or an IP literal: no wildcard, nothing a browser would not report. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9-]+(\.[a-z0-9-]+)*)$/;

/**
 * A host origin spelled as a browser reports `event.origin` (the page compares the two as
 * strings), or an error naming the field: `HTTPS://App.Example.com:443/` is written as
 * `https://app.example.com`; what can never equal an `event.origin` the page should trust is
 * refused: a path, query or fragment, credentials, a wildcard, a trailing dot (another origin
 * than the name without it), and plain http, except on loopback (tests, local hosts).
 */
export function hostOrigin(raw: string): string {
  const refuse = (why: string) =>
    new Error(
      `--host-origin (hostOrigins): "${raw.slice(0, 200)}" ${why}; give an origin like https://app.example.com`,
    );
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
    throw refuse('is not https (plain http only on localhost, 127.0.0.1 or [::1])');
  if (url.username !== '' || url.password !== '') throw refuse('carries credentials');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(raw))
    throw refuse('has a path, query or fragment, which an origin never has');
  if (url.hostname.endsWith('.')) throw refuse('ends in a dot: a page at the name without it reports another origin');
  if (!HOST.test(url.hostname)) throw refuse('does not name one host (no wildcards: list each origin)');
  return url.origin;
}

/** Builds the page; returns the files written, relative to `outDir`. */
export function buildPlayerPage(options: PlayerPageOptions): string[] {
  const origins = [...new Set((options.hostOrigins ?? []).map(hostOrigin))];
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
    if (hostOrigins.length > 0) console.log(`host origins: ${[...new Set(hostOrigins.map(hostOrigin))].join(' ')}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
