/**
 * `streamgate verify`'s command line: every flag once, with its default, read into typed options.
 * A bad value stops here with a message naming the flag (exit 2), before any request is sent.
 */
import { VIDEO_ID } from '../lambda/core/entitlement-rules';
import { mediaKeyPrefixProblem, mediaPathPrefix } from '../lambda/core/media-paths';
import { parseArgs } from 'node:util';
import { ABUSE_DEFAULTS, STREAM_LIMIT_POLICIES, type StreamLimitPolicy } from '../lambda/core/abuse-defaults';
import {
  type ClientCredentials,
  clientCredentialsSource,
  commandSource,
  staticSource,
  type TokenSource,
  TokenSourceError,
} from './tokens';

export const USAGE = `usage: streamgate verify --base <url> --video <id> --other-video <id> [token source] [options]

Runs the conformance battery against a deployed streamgate (or npm start) and exits 1 if any
promise is broken. Nothing it does harms a production deployment: a bounded number of requests,
its own test user, and no admin action beyond revoking that user's tokens.

what to test
  --base <url>                 the distribution's base URL, e.g. https://video.example.com
  --video <id>                 a video the test user may play (an HLS one; with a key, the key is fetched too)
  --media-prefix <path>        public path prefix of media folders (default /media/; the construct's media.keyPrefix)
  --other-video <id>           another video, which the first video's grants must not open
  --drm-video <id>             a DRM video (its /drm/ grant and licence route are checked too)
  --bucket-url <url>           the media bucket's own endpoint, e.g. https://BUCKET.s3.REGION.amazonaws.com
  --api-origin-url <url>       the HTTP API's own endpoint, e.g. https://ID.execute-api.REGION.amazonaws.com
  --mediapackage-url <url>     a MediaPackage egress URL (repeatable); each must refuse requests not from CloudFront

viewer tokens (one source; a command or client credentials lets every check run)
  --viewer-token-cmd <cmd>     a shell command printing a viewer token; it gets $STREAMGATE_VERIFY_SUB (the test
                               user to issue for) and $STREAMGATE_VERIFY_VIDEOS (comma-separated video ids)
  --token-url <url>            OAuth 2.0 token endpoint (client-credentials grant), with
  --client-id <id>             the test client's id,
  --client-secret-env <NAME>   the environment variable holding its secret,
  --scope <scopes>             the viewer scope to ask for (e.g. "stream:play"),
  --audience <aud>             and the audience, for IdPs that want one (Auth0)
  --client-auth basic|post     how the client authenticates (default basic)
  $STREAMGATE_VIEWER_TOKEN     a fixed token: read-only checks only
admin tokens (optional; revocation checks are skipped without one; the battery revokes only its own test user)
  --admin-token-cmd <cmd>      a shell command printing an admin token (scope streamgate:admin)
  --admin-scope <scopes>       with client credentials: the admin scope to ask the same client for
  $STREAMGATE_ADMIN_TOKEN      a fixed admin token

the deployment's settings (defaults: the deploy config's)
  --edge-revocation on|off     whether edge revocation is deployed (default on)
  --edge-deadline <s>          how long a revoked grant may still play at the edge (default 30)
  --rate-limit <n>             calls per user per window (default ${ABUSE_DEFAULTS.rateLimitPerWindow.fallback}; 0: off)
  --rate-window <s>            the window (default ${ABUSE_DEFAULTS.rateWindowSeconds.fallback})
  --stream-limit <n>           concurrent streams per user (default ${ABUSE_DEFAULTS.maxConcurrentStreams.fallback}; 0: off)
  --stream-limit-policy <p>    reject-newest or evict-oldest (default reject-newest)
  --csp <policy>               the page's Content-Security-Policy, when the deployment set its own

how it runs
  --wait-expiry                wait for a grant to expire and check it is refused (up to --max-wait)
  --max-wait <s>               the longest it waits for that (default 600)
  --timing-samples <n>         playback calls timed for p50/p99 (default 30)
  --max-p99-ms <ms>            fail the timing check when p99 is above this
  --max-requests <n>           the most requests it sends in all (default 3000)
  --only <id>                  run only the checks whose id starts with this (repeatable)
  --skip <id>                  do not run those (repeatable)
  --json <file>                write the JSON report there ("-": stdout, the summary then goes to stderr)
  --verbose                    print every check's evidence, not only the failed ones'
  -h, --help`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface VerifyOptions {
  base: string;
  /** Public path prefix of media folders (the deployment's `media.keyPrefix`, as a path): `/media/`. */
  mediaPrefix: string;
  video: string;
  otherVideo: string;
  drmVideo?: string;
  bucketUrl?: string;
  apiOriginUrl?: string;
  mediaPackageUrls: string[];
  viewer: TokenSource;
  admin?: TokenSource;
  edgeRevocation: boolean;
  edgeDeadlineSeconds: number;
  rateLimit: number;
  rateWindowSeconds: number;
  streamLimit: number;
  streamLimitPolicy: StreamLimitPolicy;
  contentSecurityPolicy?: string;
  waitExpiry: boolean;
  maxWaitSeconds: number;
  timingSamples: number;
  maxP99Ms?: number;
  maxRequests: number;
  only: string[];
  skip: string[];
  json?: string;
  verbose: boolean;
}

const FLAGS = {
  base: { type: 'string' },
  video: { type: 'string' },
  'media-prefix': { type: 'string' },
  'other-video': { type: 'string' },
  'drm-video': { type: 'string' },
  'bucket-url': { type: 'string' },
  'api-origin-url': { type: 'string' },
  'mediapackage-url': { type: 'string', multiple: true },
  'viewer-token-cmd': { type: 'string' },
  'admin-token-cmd': { type: 'string' },
  'token-url': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-env': { type: 'string' },
  scope: { type: 'string' },
  'admin-scope': { type: 'string' },
  audience: { type: 'string' },
  'client-auth': { type: 'string' },
  'edge-revocation': { type: 'string' },
  'edge-deadline': { type: 'string' },
  'rate-limit': { type: 'string' },
  'rate-window': { type: 'string' },
  'stream-limit': { type: 'string' },
  'stream-limit-policy': { type: 'string' },
  csp: { type: 'string' },
  'wait-expiry': { type: 'boolean' },
  'max-wait': { type: 'string' },
  'timing-samples': { type: 'string' },
  'max-p99-ms': { type: 'string' },
  'max-requests': { type: 'string' },
  only: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  json: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Reads the command line (after `verify`); 'help' for -h. */
export function parseVerifyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): VerifyOptions | 'help' {
  try {
    return readArgs(argv, env);
  } catch (error) {
    // A fixed token that is no JWT is a bad input like any other: name where it came from.
    if (error instanceof TokenSourceError) throw new UsageError(error.message);
    throw error;
  }
}

function readArgs(argv: string[], env: NodeJS.ProcessEnv): VerifyOptions | 'help' {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return 'help';
  const base = httpUrl('--base', required('--base', values.base)).replace(/\/+$/, '');
  if (new URL(base).search !== '') throw new UsageError('--base: give the URL without a query');
  const video = videoId('--video', required('--video', values.video));
  const otherVideo = videoId('--other-video', required('--other-video', values['other-video']));
  if (otherVideo === video) throw new UsageError('--other-video: must differ from --video');
  const drmVideo = values['drm-video'] === undefined ? undefined : videoId('--drm-video', values['drm-video']);
  const client = clientCredentials(values, env);
  const viewer = viewerSource(values, env, client);
  const admin = adminSource(values, env, client);
  const policy = values['stream-limit-policy'] ?? 'reject-newest';
  if (!STREAM_LIMIT_POLICIES.some((allowed) => allowed === policy))
    throw new UsageError(`--stream-limit-policy: one of ${STREAM_LIMIT_POLICIES.join(', ')}, got "${policy}"`);
  const edge = values['edge-revocation'] ?? 'on';
  if (edge !== 'on' && edge !== 'off') throw new UsageError(`--edge-revocation: on or off, got "${edge}"`);
  const mediaPrefix = values['media-prefix'] ?? mediaPathPrefix();
  const prefixProblem = mediaPrefix.startsWith('/')
    ? mediaKeyPrefixProblem(mediaPrefix.slice(1))
    : 'must start with "/"';
  if (prefixProblem !== undefined) throw new UsageError(`--media-prefix: ${prefixProblem}`);
  return {
    base,
    mediaPrefix,
    video,
    otherVideo,
    ...(drmVideo === undefined ? {} : { drmVideo }),
    ...optionalUrl('--bucket-url', values['bucket-url'], 'bucketUrl'),
    ...optionalUrl('--api-origin-url', values['api-origin-url'], 'apiOriginUrl'),
    mediaPackageUrls: (values['mediapackage-url'] ?? []).map((url) => httpUrl('--mediapackage-url', url)),
    viewer,
    ...(admin === undefined ? {} : { admin }),
    edgeRevocation: edge === 'on',
    edgeDeadlineSeconds: integer('--edge-deadline', values['edge-deadline'], 30, 1, 600),
    rateLimit: integer('--rate-limit', values['rate-limit'], ABUSE_DEFAULTS.rateLimitPerWindow.fallback, 0, 1_000_000),
    rateWindowSeconds: integer(
      '--rate-window',
      values['rate-window'],
      ABUSE_DEFAULTS.rateWindowSeconds.fallback,
      1,
      3600,
    ),
    streamLimit: integer(
      '--stream-limit',
      values['stream-limit'],
      ABUSE_DEFAULTS.maxConcurrentStreams.fallback,
      0,
      1000,
    ),
    streamLimitPolicy: policy as StreamLimitPolicy,
    ...(values.csp === undefined ? {} : { contentSecurityPolicy: values.csp }),
    waitExpiry: values['wait-expiry'] === true,
    maxWaitSeconds: integer('--max-wait', values['max-wait'], 600, 1, 3600),
    timingSamples: integer('--timing-samples', values['timing-samples'], 30, 2, 500),
    ...(values['max-p99-ms'] === undefined
      ? {}
      : { maxP99Ms: integer('--max-p99-ms', values['max-p99-ms'], 0, 1, 600_000) }),
    maxRequests: integer('--max-requests', values['max-requests'], 3000, 100, 100_000),
    only: values.only ?? [],
    skip: values.skip ?? [],
    ...(values.json === undefined ? {} : { json: values.json }),
    verbose: values.verbose === true,
  };
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
}
type Values = ReturnType<typeof parse>['values'];

function required(flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${flag}: must be http(s), got "${value}"`);
  return value;
}

function optionalUrl<K extends string>(flag: string, value: string | undefined, key: K): { [k in K]?: string } {
  return value === undefined ? {} : ({ [key]: httpUrl(flag, value).replace(/\/+$/, '') } as { [k in K]?: string });
}

function videoId(flag: string, value: string): string {
  if (!VIDEO_ID.test(value)) throw new UsageError(`${flag}: 1 to 128 of A-Z a-z 0-9 _ -, got "${value}"`);
  return value;
}

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`${flag}: a whole number from ${min} to ${max}, got "${value}"`);
  return Number(value);
}

function clientCredentials(values: Values, env: NodeJS.ProcessEnv): ClientCredentials | undefined {
  const given = ['token-url', 'client-id', 'client-secret-env'] as const;
  const present = given.filter((flag) => values[flag] !== undefined);
  if (present.length === 0) return undefined;
  const missing = given.filter((flag) => values[flag] === undefined);
  if (missing.length > 0)
    throw new UsageError(
      `client credentials need --token-url, --client-id and --client-secret-env; missing --${missing.join(', --')}`,
    );
  const secretVariable = values['client-secret-env'] as string;
  const clientSecret = env[secretVariable];
  if (clientSecret === undefined || clientSecret === '')
    throw new UsageError(`--client-secret-env: the environment variable ${secretVariable} is not set`);
  const auth = values['client-auth'] ?? 'basic';
  if (auth !== 'basic' && auth !== 'post') throw new UsageError(`--client-auth: basic or post, got "${auth}"`);
  return {
    tokenUrl: httpUrl('--token-url', values['token-url'] as string),
    clientId: values['client-id'] as string,
    clientSecret,
    ...(values.audience === undefined ? {} : { audience: values.audience }),
    auth,
  };
}

function viewerSource(values: Values, env: NodeJS.ProcessEnv, client: ClientCredentials | undefined): TokenSource {
  const fixed = env.STREAMGATE_VIEWER_TOKEN;
  const sources = [
    values['viewer-token-cmd'] !== undefined ? '--viewer-token-cmd' : undefined,
    client !== undefined ? '--token-url/--client-id' : undefined,
    fixed !== undefined && fixed !== '' ? '$STREAMGATE_VIEWER_TOKEN' : undefined,
  ].filter((source) => source !== undefined);
  if (sources.length === 0)
    throw new UsageError(
      'a viewer token source is required: --viewer-token-cmd, client credentials (--token-url, --client-id, --client-secret-env) or $STREAMGATE_VIEWER_TOKEN',
    );
  if (sources.length > 1) throw new UsageError(`one viewer token source, not ${sources.join(' and ')}`);
  if (values['viewer-token-cmd'] !== undefined) return commandSource(values['viewer-token-cmd'], env);
  if (client !== undefined)
    return clientCredentialsSource({ ...client, ...(values.scope === undefined ? {} : { scope: values.scope }) });
  return staticSource(fixed as string, 'STREAMGATE_VIEWER_TOKEN');
}

function adminSource(
  values: Values,
  env: NodeJS.ProcessEnv,
  client: ClientCredentials | undefined,
): TokenSource | undefined {
  const fixed = env.STREAMGATE_ADMIN_TOKEN;
  if (values['admin-scope'] !== undefined && client === undefined)
    throw new UsageError('--admin-scope needs client credentials (--token-url, --client-id, --client-secret-env)');
  const sources = [
    values['admin-token-cmd'] !== undefined ? '--admin-token-cmd' : undefined,
    values['admin-scope'] !== undefined ? '--admin-scope' : undefined,
    fixed !== undefined && fixed !== '' ? '$STREAMGATE_ADMIN_TOKEN' : undefined,
  ].filter((source) => source !== undefined);
  if (sources.length > 1) throw new UsageError(`one admin token source, not ${sources.join(' and ')}`);
  if (values['admin-token-cmd'] !== undefined) return commandSource(values['admin-token-cmd'], env);
  if (values['admin-scope'] !== undefined && client !== undefined)
    return clientCredentialsSource({ ...client, scope: values['admin-scope'] });
  if (fixed !== undefined && fixed !== '') return staticSource(fixed, 'STREAMGATE_ADMIN_TOKEN');
  return undefined;
}
