/**
 * The viewer-request function's deployed code: edge-function/viewer-request.js is the template,
 * minified (comments and whitespace out, names kept: CloudFront calls the global `handler`) and
 * given the deployment's edge settings in place of its SETTINGS placeholder. The distribution
 * deploys this string and the local edge runs the same one, so the bytes measured against
 * CloudFront's 10 KB limit are the bytes that run.
 *
 * Why templating and not the KeyValueStore for the site list: the list is deploy-time config that
 * changes with a deploy, like the code; inlined, it costs no lookup per request, needs no store
 * when edge revocation is off, and cannot be half-written. Secrets (the device-binding keys) stay
 * out of the code: they live in the KeyValueStore and rotate (lambda/core/device-binding.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** CloudFront Functions' maximum function size (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html). */
export const FUNCTION_SIZE_LIMIT_BYTES = 10 * 1024;

/** The template (the repository's source). */
export const VIEWER_REQUEST_TEMPLATE_FILE = path.join(__dirname, '..', 'edge-function', 'viewer-request.js');
/** The minified template the npm package ships (scripts/build-package.ts), so a team's synth needs no esbuild. */
export const VIEWER_REQUEST_MINIFIED_FILE = path.join(__dirname, '..', 'edge-function', 'viewer-request.min.js');

/** `import cf from 'cloudfront';` and `import crypto from 'crypto';` (the runtime's modules). */
const RUNTIME_IMPORT = /^import\s+[A-Za-z_$][\w$]*\s+from\s+'(cloudfront|crypto)';?[ \t]*$/gm;

const PLACEHOLDER = /(["'])@@streamgate-edge-settings@@\1/;

/** What the function is told at build (docs/access-layers.md). */
export interface EdgeFunctionSettings {
  /**
   * Domain restriction: exact origins (`https://host[:port]`) allowed to play besides the
   * distribution's own host; `null` turns the check off.
   */
  readonly sites: readonly string[] | null;
  /** A media request that carries no Origin, Referer or Sec-Fetch-Site (native apps, some players). */
  readonly missing: 'allow' | 'deny';
  /** Device binding: every grant must come with its device tag. */
  readonly device: boolean;
}

/** No domain restriction, no device binding: the function as before these layers. */
export const EDGE_FUNCTION_DEFAULTS: EdgeFunctionSettings = { sites: null, missing: 'allow', device: false };

/**
 * The template minified by esbuild: whitespace and syntax only (renaming would rename the global
 * `handler`), no ES2015 object shorthands (cloudfront-js-2.0 does not document them).
 */
export function minifyViewerRequest(source: string): string {
  // Loaded here only: the package's consumers use the prebuilt file and need no esbuild.
  const { transformSync } = require('esbuild') as typeof import('esbuild');
  // The runtime's imports stay as written, one per line: the form its documentation shows.
  const imports = source.match(RUNTIME_IMPORT) ?? [];
  const body = transformSync(source.replace(RUNTIME_IMPORT, ''), {
    loader: 'js',
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    target: 'es2017',
    supported: { 'object-extensions': false },
    legalComments: 'none',
  }).code;
  return `${imports.map((line) => line.trim()).join('\n')}\n${body}`;
}

/** The minified template: the package's prebuilt one, else the repository's source minified now. */
export function viewerRequestTemplate(): string {
  if (existsSync(VIEWER_REQUEST_MINIFIED_FILE)) return readFileSync(VIEWER_REQUEST_MINIFIED_FILE, 'utf8');
  return minifyViewerRequest(readFileSync(VIEWER_REQUEST_TEMPLATE_FILE, 'utf8'));
}

/**
 * The code to deploy (and run locally) for `settings`. Throws when it would pass CloudFront's
 * size limit, naming the field that grew it (the site list is the only part of unbounded size).
 */
export function viewerRequestCode(
  settings: EdgeFunctionSettings = EDGE_FUNCTION_DEFAULTS,
  template: string = viewerRequestTemplate(),
): string {
  if (!PLACEHOLDER.test(template)) throw new Error('viewer-request template: no SETTINGS placeholder');
  const literal = JSON.stringify({ sites: settings.sites, missing: settings.missing, device: settings.device });
  // A function replacement: `$` in a value is not a replacement pattern.
  const code = template.replace(PLACEHOLDER, () => literal);
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > FUNCTION_SIZE_LIMIT_BYTES)
    throw new Error(
      `domainRestriction.sites: the viewer-request function would be ${bytes} bytes with these ${settings.sites?.length ?? 0} sites, over CloudFront's ${FUNCTION_SIZE_LIMIT_BYTES}; list fewer`,
    );
  return code;
}
