/**
 * The local edge: one origin, like the deployed distribution. `/api/*` goes to the local API,
 * `/media/*` is served only with a valid CloudFront signed URL or signed cookies (checked by
 * local/edge/cloudfront-access.ts, the same rules CloudFront applies) and only on a canonical
 * path (local/edge/canonical-path.ts), whose key is then looked up literally, as S3 would.
 * Before that, `/media/*` goes through the distribution's viewer-request function
 * (edge-function/viewer-request.js), which refuses non-canonical paths on its own. `/idp/*` is
 * the dev IdP, and everything else is the player page. `/drm/*` (DRM content) goes the same way as
 * `/media/*`; the function rewrites it to MediaPackage's `/out/v1/*`, served here from a folder.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { PACKAGER_QUERY_PARAMETERS } from '../lambda/core/live-grants';
import { DRM_PATH_PREFIX, LIVE_PATH_PREFIX } from '../lambda/core/media-paths';
import type { LiveOrigin } from './live/live-origin';
import {
  MEDIA_PREFIX,
  mediaObjectKey,
  nonCanonicalReason,
  objectKeyUnder,
  PACKAGER_EGRESS_PREFIX,
} from './edge/canonical-path';
import { checkSignedAccess, errorXml, VerifiedSignatures, type TrustedKey } from './edge/cloudfront-access';
import {
  type KeyValueStoreReader,
  ViewerRequestFunction,
  viewerRequestEvent,
  type ViewerRequestOutcome,
} from './edge/viewer-request-function';
import { API_PATH_PREFIX } from '../lambda/core/api-routes';
import { API_CORS, corsAnswer, type CorsRules, MEDIA_CORS } from '../lambda/core/cors';
import type { EdgeFunctionSettings } from '../lib/viewer-request-code';
import { pageHeaders } from '../lib/page-headers';
import { clientIp } from './api-adapter';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface EdgeOptions {
  api: Handler;
  idp: Handler;
  /** Extra local-only pages (e.g. monitoring), by exact path. */
  extraRoutes?: Record<string, Handler>;
  /** The trusted key group, re-read by the caller when its file changes. */
  trustedKeys: () => ReadonlyMap<string, TrustedKey>;
  /** Folder holding `<videoId>/...` media files. */
  mediaDir: string;
  /**
   * Folder playing MediaPackage's part: `/drm/<videoId>/...`, rewritten to `/out/v1/...` by the
   * viewer-request function, is served from `<drmDir>/<videoId>/...` with the same signed access.
   * @default no `/drm/*` content (404 after the access check)
   */
  drmDir?: string;
  /**
   * The live channels' origin (MediaPackage v2's part): `/live/*` is checked as `/media/*` is, then
   * answered by it with only MediaPackage's own query parameters forwarded, as the live
   * behaviours' cache policy does. @default no `/live/*` content (404 after the access check)
   */
  liveOrigin?: Pick<LiveOrigin, 'answer'>;
  /** Milliseconds clock of the live origin. @default Date.now */
  nowMs?: () => number;
  /** Static files for the player: URL path → file. */
  staticFiles: Record<string, string>;
  nowSeconds?: () => number;
  /**
   * Whether `/media/*` requires a signed URL or cookies, like a behaviour with trusted key groups.
   * `false` is a behaviour without them: the bench's baseline.
   * @default true
   */
  requireSignedAccess?: boolean;
  /** Called for each media request with its status (local monitoring, benches). */
  onMedia?: (status: number, path: string) => void;
  /**
   * The viewer-request function run on `/media/*` before the access check, as the distribution
   * runs it on its signed behaviours; `null` for none (to test the edge's own checks alone).
   * @default edge-function/viewer-request.js, compiled once here
   */
  viewerRequestFunction?: ViewerRequestFunction | null;
  /** The KeyValueStore associated with the default viewer-request function (the deny-list); none = edge revocation off. */
  keyValueStore?: KeyValueStoreReader;
  /**
   * Origins of apps on other origins (delivery.allowedOrigins): `/api/*` and media answer them
   * with CORS headers, the API's preflight included, as the distribution does (lambda/core/cors.ts).
   * @default none: no CORS header, OPTIONS reaches the API (405)
   */
  allowedOrigins?: readonly string[];
  /** The default viewer-request function's settings (domain restriction, device binding). @default all off */
  edgeSettings?: EdgeFunctionSettings;
}

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m2ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.bin': 'application/octet-stream',
  '.key': 'application/octet-stream',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The player's headers, as the distribution's response headers policy sets them (no HSTS: this is plain HTTP). */
const PAGE_HEADERS = pageHeaders({ https: false });

export function createEdgeHandler(options: EdgeOptions): Handler {
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const verified = new VerifiedSignatures();
  const viewerFunction =
    options.viewerRequestFunction === undefined
      ? ViewerRequestFunction.fromFile(undefined, {
          keyValueStore: options.keyValueStore,
          settings: options.edgeSettings,
        })
      : options.viewerRequestFunction;
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith(API_PATH_PREFIX)) {
      // API Gateway answers the preflight (lib/playback-api.ts); CloudFront's policy adds the rest.
      if (applyCors(req, res, options.allowedOrigins, API_CORS)) return;
      return options.api(req, res);
    }
    if (path.startsWith('/idp/')) return options.idp(req, res);
    if (path.startsWith(MEDIA_PREFIX) || path.startsWith(DRM_PATH_PREFIX) || path.startsWith(LIVE_PATH_PREFIX)) {
      // No preflight answer here: a signed behaviour refuses an unsigned OPTIONS (the access check below).
      applyCors(req, res, options.allowedOrigins, MEDIA_CORS);
      return serveMedia(req, res, options, now(), verified, viewerFunction);
    }
    const extra = options.extraRoutes?.[path];
    if (extra !== undefined) return extra(req, res);
    const configured = options.staticFiles[path];
    const file = configured === undefined ? undefined : existingFile(configured);
    if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain', ...PAGE_HEADERS }).end('Not Found');
      return;
    }
    sendFile(req, res, file, { 'cache-control': 'no-cache', ...PAGE_HEADERS });
  };
}

/**
 * Sets the CORS headers of `rules` on the response (node merges them into the handler's
 * writeHead); answers an API preflight itself (204) and then returns true.
 */
function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  allowedOrigins: readonly string[] | undefined,
  rules: CorsRules,
): boolean {
  if (allowedOrigins === undefined || allowedOrigins.length === 0) return false;
  const answer = corsAnswer(allowedOrigins, rules, {
    method: req.method ?? 'GET',
    origin: req.headers.origin,
    requestMethod: req.headers['access-control-request-method'],
  });
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (!answer.preflight || rules !== API_CORS) return false;
  res.writeHead(204, { 'content-length': '0' }).end();
  return true;
}

/** The refusal of a non-canonical media path: CloudFront's generic denial, so nothing tells the cases apart. */
const NON_CANONICAL = { code: 'AccessDenied', message: 'Access denied' } as const;

async function serveMedia(
  req: IncomingMessage,
  res: ServerResponse,
  options: EdgeOptions,
  nowSeconds: number,
  verified: VerifiedSignatures,
  viewerFunction: ViewerRequestFunction | null,
): Promise<void> {
  const rawPath = req.url ?? '/';
  const queryStart = rawPath.indexOf('?');
  const path = queryStart === -1 ? rawPath : rawPath.slice(0, queryStart);
  // The function's uri is what the origin would be asked for (the same path on /media/*); the
  // signature is checked against the viewer's URL. Which of the two CloudFront does first is not
  // documented, so each layer here refuses on its own.
  let servedPath = path;
  if (viewerFunction !== null) {
    const outcome = await viewerFunction.run(viewerRequestEvent(req, clientIp(req)));
    if (outcome.kind !== 'request') {
      sendFunctionOutcome(req, res, outcome);
      options.onMedia?.(outcome.kind === 'response' ? outcome.statusCode : 503, rawPath);
      return;
    }
    servedPath = outcome.request.uri;
  }
  // Before the signature: a grant for the very file does not make another spelling of it acceptable.
  const decision =
    nonCanonicalReason(path) !== undefined || nonCanonicalReason(servedPath) !== undefined
      ? ({ allowed: false, ...NON_CANONICAL } as const)
      : options.requireSignedAccess === false
        ? ({ allowed: true } as const)
        : checkSignedAccess(
            {
              scheme: 'http',
              host: req.headers.host ?? '',
              rawPath,
              cookieHeader: req.headers.cookie,
              clientIp: clientIp(req),
              nowSeconds,
            },
            options.trustedKeys(),
            verified,
          );
  if (!decision.allowed) {
    options.onMedia?.(403, rawPath);
    const body = errorXml(decision.code, decision.message);
    res
      .writeHead(403, {
        'content-type': 'text/xml',
        'x-cache': 'Error from cloudfront',
        'content-length': Buffer.byteLength(body),
      })
      .end(body);
    return;
  }
  if (servedPath.startsWith(LIVE_PATH_PREFIX)) {
    sendLive(req, res, options, servedPath, rawPath, queryStart === -1 ? '' : rawPath.slice(queryStart + 1));
    return;
  }
  // The file is looked up from the very path checked (the function leaves /media/ paths as they
  // are), or from the packager's egress path the function rewrote /drm/ to.
  const file = originFile(options, servedPath);
  if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    options.onMedia?.(404, rawPath);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    return;
  }
  options.onMedia?.(200, rawPath);
  // Manifests short, segments long: the same split as the distribution's cache policies.
  const maxAge = extname(file.path) === '.m3u8' || extname(file.path) === '.mpd' ? 2 : 86400;
  sendFile(req, res, file, { 'cache-control': `private, max-age=${maxAge}` });
}

/** A `/live/` answer from the live origin, asked with MediaPackage's own query parameters only. */
function sendLive(
  req: IncomingMessage,
  res: ServerResponse,
  options: EdgeOptions,
  servedPath: string,
  rawPath: string,
  rawQuery: string,
): void {
  const viewerQuery = new URLSearchParams(rawQuery);
  const forwarded = new URLSearchParams();
  for (const [name, value] of viewerQuery) if (PACKAGER_QUERY_PARAMETERS.includes(name)) forwarded.append(name, value);
  const answer =
    options.liveOrigin === undefined || (req.method !== 'GET' && req.method !== 'HEAD')
      ? { status: 404, headers: { 'content-type': 'text/plain' }, body: Buffer.from('Not Found') }
      : options.liveOrigin.answer(servedPath, forwarded, (options.nowMs ?? Date.now)());
  options.onMedia?.(answer.status, rawPath);
  res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

/**
 * A response the function generated, or CloudFront's 503 when it failed. The `x-cache` values are
 * the ones CloudFront is reported to send for these cases [U: not in the developer guide].
 */
function sendFunctionOutcome(
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Exclude<ViewerRequestOutcome, { kind: 'request' }>,
): void {
  if (outcome.kind === 'error') {
    const body = 'The CloudFront function associated with this distribution could not run.\n';
    res.writeHead(503, {
      'content-type': 'text/plain',
      'x-cache': 'FunctionExecutionError from cloudfront',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const headers = outcome.headers.filter(([name]) => name !== 'content-length' && name !== 'transfer-encoding');
  if (!headers.some(([name]) => name === 'x-cache'))
    headers.push(['x-cache', 'FunctionGeneratedResponse from cloudfront']);
  headers.push(['content-length', String(outcome.body.length)]);
  try {
    res.writeHead(outcome.statusCode, outcome.statusDescription, headers.flat());
  } catch {
    // A header or status text node refuses to send (e.g. a line break in it): a failed function.
    sendFunctionOutcome(req, res, { kind: 'error', reason: 'unsendable response' });
    return;
  }
  res.end(req.method === 'HEAD' ? undefined : outcome.body);
}

interface StaticFile {
  path: string;
  size: number;
}

/**
 * The file holding the object a canonical `/media/<key>` (or `/out/v1/<key>`) path names, with
 * S3's literal-key semantics: the key's segments are appended under `mediaDir` (or `drmDir`) and
 * nothing is resolved. Undefined for a non-canonical path or a missing file.
 */
function originFile(options: Pick<EdgeOptions, 'mediaDir' | 'drmDir'>, path: string): StaticFile | undefined {
  if (path.startsWith(PACKAGER_EGRESS_PREFIX))
    return options.drmDir === undefined
      ? undefined
      : fileForKey(options.drmDir, objectKeyUnder(path, PACKAGER_EGRESS_PREFIX));
  return fileForKey(options.mediaDir, mediaObjectKey(path));
}

function fileForKey(root: string, key: string | undefined): StaticFile | undefined {
  if (key === undefined) return undefined;
  const segments = key.split('/');
  // Guaranteed by canonical form; checked again where it matters, so no lookup can ever resolve.
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)))
    return undefined;
  return existingFile(resolve(root) + sep + segments.join(sep));
}

function existingFile(path: string): StaticFile | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? { path, size: stats.size } : undefined;
  } catch {
    return undefined;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile, headers: Record<string, string>): void {
  const type = CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': file.size, ...headers });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file.path).pipe(res);
}
