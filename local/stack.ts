/**
 * The whole local stack in one process: dynalite (persisted in the local folder, unless a
 * DynamoDB-compatible endpoint is given), the dev IdP,
 * the real API handlers behind the API Gateway adapter, and the local edge on one origin.
 * Used by `npm start` and by the end-to-end and browser tests.
 */
import { readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import { OriginAuthorizer } from '../lambda/core/origin-authorizer';
import { loadOriginVerifyValues, ORIGIN_VERIFY_HEADER } from '../lambda/core/origin-verify';
import { createObservability } from '../lambda/runtime/observability';
import { createApi, type ApiHandlers } from '../lambda/runtime/runtime';
import { LOCAL_ORIGIN_REFRESH_SECONDS, LocalOriginHeader, LocalOriginSecret } from './origin-secret';
import { buildPlayerPage } from '../web/build';
import { createApiAdapter, type ApiAdapterOptions } from './api-adapter';
import { ensureLocalKeyAlgorithm } from './signing-key-rotation';
import { ensureStateTable, externalDynamo, startDynalite, type LocalDynamo } from './dynamo-server';
import { loadKeyGroupFile } from './edge/key-group';
import type { TrustedKey } from './edge/cloudfront-access';
import { createEdgeHandler, type EdgeOptions } from './edge-server';
import { withLocalFault } from './local-fault';
import { lockFolder, type FolderLock } from './folder-lock';
import { DEFAULT_SIGNED_TTL_SECONDS, recordStackSettings } from './stack-settings';
import { contentCatalog, type LocalConfig, localApiEnvironment } from './config-settings';
import { writeAtomically } from './atomic-file';
import { type LocalDrm, prepareLocalDrm } from './drm/local-drm';
import { startLocalLicensing } from './drm/clearkey-upstream';
import { DEV_IDP_AUDIENCE, DEV_IDP_ISSUER } from './idp/defaults';
import { DevIdp } from './idp/dev-idp';
import { LocalMonitor } from './monitor';
import { attachDenyListStream, rebuildDenyList } from './deny-list-stream';
import { LocalKeyValueStore } from './edge/key-value-store';
import { LocalDeviceKeys } from './device-keys';
import { EmfSignals, SignalFanout } from '../lambda/core/metrics';
import { LIVE_CHANNELS_VARIABLE } from '../lambda/core/live-grants';
import { LiveOrigin, liveChannelsVariable, localChannels } from './live/live-origin';
import { EnvReader } from '../lambda/core/env-reader';
import { TOKEN } from '../lambda/core/settings-contract';

const REPO_ROOT = resolve(__dirname, '..');
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export const REVOCATION_TABLE_NAME = 'streamgate-local-revocations';

export interface LocalStackOptions {
  /** Git-ignored folder for keys and the DynamoDB data. */
  dir: string;
  /**
   * A DynamoDB-compatible endpoint to use (the table is created there if missing).
   * @default a dynalite in this process, persisted in `<dir>/dynamo`
   */
  dynamoEndpoint?: string;
  /** 0 picks a free port. */
  port: number;
  /** Cookie / signed URL lifetime. @default 300 */
  signedTtlSeconds?: number;
  /**
   * The type of key the API signs with (`signing.keyAlgorithm` deployed). A folder holding a key
   * of the other type is switched to a new one at start, by a rotation.
   * @default 'RSA_2048'
   */
  keyAlgorithm?: CloudFrontKeyAlgorithm;
  /** Key-group file the edge trusts. @default `<dir>/key-group.json` */
  keyGroupFile?: string;
  /**
   * Check origin-verify as deployed: the edge adds the header from `<dir>/origin-header.json`,
   * a local authorizer and the API check it against `<dir>/origin-verify.json`
   * (`npm run rotate-origin-secret` rotates it). @default false
   */
  originVerify?: boolean;
  /**
   * A built player page folder (web/build.ts) to serve as the distribution would: those static
   * files only, no dev catalog or vendor files. @default the local build, made into `<dir>/web`
   */
  webDir?: string;
  /**
   * The team's deploy config file (local/config-file.ts, mapped by local/config-settings.ts): its IdP, claims, plans, limits and
   * content instead of the dev defaults; the options above and `apiEnv` still win.
   * @default none: the dev IdP and the demo content
   */
  config?: LocalConfig;
  /** Extra API environment (e.g. SIGN_BIND_VIEWER_IP). */
  apiEnv?: Record<string, string>;
  logger?: Logger;
  /**
   * Where the API's EMF metrics go (tests pass the one their LogCapture reads).
   * @default a metrics instance writing to stdout, as deployed
   */
  metrics?: Metrics;
  /** Hooks for tests and benches. */
  onApiResponse?: ApiAdapterOptions['onResponse'];
  onMedia?: EdgeOptions['onMedia'];
  /** Edge revocation (the deny-list in the viewer-request function's KeyValueStore). @default true */
  edgeRevocation?: boolean;
  /** Origins of apps on other origins answered with CORS (delivery.allowedOrigins deployed). @default none */
  allowedOrigins?: readonly string[];
  /**
   * Domain restriction (docs/access-layers.md): origins allowed besides the edge's own, and what
   * a media request carrying no Origin, Referer or Sec-Fetch-Site gets. @default off
   */
  domainRestriction?: { sites: readonly string[]; missingHeaders?: 'allow' | 'deny' };
  /** Device binding: grants tagged by the API, checked by the edge; keys in `<dir>/device-keys.json`. @default false */
  deviceBinding?: boolean;
}

export interface LocalStack {
  url: string;
  port: number;
  api: ApiHandlers;
  idp: DevIdp;
  monitor: LocalMonitor;
  dynamo: LocalDynamo;
  /** The edge's deny-list (undefined with edge revocation and device binding off). */
  denyList?: LocalKeyValueStore;
  /** Device binding's keys (with `deviceBinding`): `rotate()` as the deployed rotation does. */
  deviceKeys?: LocalDeviceKeys;
  /** DRM videos encrypted into the local folder, their keys, and the ClearKey licence server. */
  drm: LocalDrm;
  /** The local ClearKey licence server behind the licence proxy (it requires the proxy's credential). */
  licenceServerUrl: string;
  close(): Promise<void>;
}

/** The page's files by URL path: a given built folder alone, or the local build plus the dev extras. */
function playerPageFiles(options: LocalStackOptions): Record<string, string> {
  const page = (dir: string) => {
    const files: Record<string, string> = { '/': join(dir, 'index.html') };
    for (const name of readdirSync(dir)) files[`/${name}`] = join(dir, name);
    return files;
  };
  if (options.webDir !== undefined) return page(options.webDir);
  const webDir = join(options.dir, 'web');
  buildPlayerPage({ target: 'local', outDir: webDir });
  return {
    ...page(webDir),
    '/vendor/hls.min.js': require.resolve('hls.js/dist/hls.min.js'),
    '/local/catalog.json': catalogFile(options),
    '/local/monitor': join(REPO_ROOT, 'web', 'monitor.html'),
    '/monitor.js': join(REPO_ROOT, 'web', 'monitor.js'),
  };
}

/** The page's video list: the demo's, or (a team's content folder) the folder's videos. */
function catalogFile(options: LocalStackOptions): string {
  const contentDir = options.config?.contentDir;
  if (contentDir === undefined) return join(REPO_ROOT, 'local', 'content', 'catalog.json');
  const file = join(options.dir, 'content-catalog.json');
  const catalog = contentCatalog(contentDir, options.config?.config.delivery.manifestName ?? 'index.m3u8');
  writeAtomically(file, `${JSON.stringify(catalog, null, 2)}\n`, 0o644);
  return file;
}

/** Refuses (FolderInUse) a folder another running stack holds. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const lock = lockFolder(options.dir);
  try {
    return await startInFolder(options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startInFolder(given: LocalStackOptions, lock: FolderLock): Promise<LocalStack> {
  const options = withConfigFile(given);
  const key = await ensureLocalKeyAlgorithm({
    dir: options.dir,
    keyGroupFile: options.keyGroupFile,
    algorithm: options.keyAlgorithm ?? 'RSA_2048',
    signedTtlSeconds: options.signedTtlSeconds ?? DEFAULT_SIGNED_TTL_SECONDS,
    onSwitch: (from) =>
      options.logger?.warn('switching the local signing key to the requested type by a rotation', {
        from: from ?? 'unsupported',
        to: options.keyAlgorithm ?? 'RSA_2048',
      }),
  });
  const keyGroupFile = options.keyGroupFile ?? key.keyGroupFile;
  const trustedKeys = watchedKeyGroup(keyGroupFile);
  trustedKeys(); // fail now, naming the file, rather than 403 every request
  // Encrypts the committed clear CMAF with this folder's own keys (made on first start).
  const drm = prepareLocalDrm(options.dir, join(REPO_ROOT, 'local', 'content'));
  const dynamo =
    options.dynamoEndpoint !== undefined
      ? externalDynamo(options.dynamoEndpoint)
      : await startDynalite({ path: join(options.dir, 'dynamo') });
  await ensureStateTable(dynamo.endpoint, REVOCATION_TABLE_NAME).catch((error: unknown) => {
    throw new Error(
      `DynamoDB at ${dynamo.endpoint}: cannot read or create table ${REVOCATION_TABLE_NAME} (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
      { cause: error },
    );
  });
  const idp = await DevIdp.open({ keyDir: options.dir });
  // The live channel: pre-made segments played out as a sliding window from the clock (docs/live.md).
  const channels = localChannels(join(REPO_ROOT, 'local', 'content'));
  const liveOrigin = new LiveOrigin(channels);
  const staticFiles = playerPageFiles(options);
  const monitor = new LocalMonitor();
  // The function's one store holds the deny-list and the device keys: device binding needs it too.
  const denyList =
    options.edgeRevocation === false && options.deviceBinding !== true ? undefined : new LocalKeyValueStore();
  const deviceKeys =
    options.deviceBinding === true && denyList !== undefined ? new LocalDeviceKeys(options.dir, denyList) : undefined;
  deviceKeys?.ensure();
  const restriction = options.domainRestriction;
  const configEnv = options.config === undefined ? {} : localApiEnvironment(options.config);
  const toleranceSeconds = new EnvReader({ ...configEnv, ...options.apiEnv }).integer(TOKEN.clockToleranceSeconds);
  const replication = { endpoint: dynamo.endpoint, tableName: REVOCATION_TABLE_NAME, toleranceSeconds };
  // The store is in memory: before the edge serves, it gets back every entry the table still calls for.
  if (denyList !== undefined && options.edgeRevocation !== false)
    await rebuildDenyList({ ...replication, writer: denyList, logger: options.logger });

  // The API needs the edge's port (JWKS URL, media URL), so the servers listen first.
  let routeToApi: RequestListener = (_req, res) => {
    res.writeHead(503, { 'retry-after': '1' }).end();
  };
  const handler = withLocalFault(createEdgeHandler, {
    api: (req, res) => routeToApi(req, res),
    idp: idp.handler,
    trustedKeys,
    mediaDir: options.config?.contentDir ?? join(REPO_ROOT, 'local', 'content', 'media'),
    drmDir: drm.packagedDir,
    liveOrigin,
    staticFiles,
    onMedia: options.onMedia,
    keyValueStore: denyList,
    allowedOrigins: options.allowedOrigins,
    edgeSettings: {
      sites: restriction === undefined ? null : [...restriction.sites],
      missing: restriction?.missingHeaders ?? 'allow',
      device: deviceKeys !== undefined,
    },
    extraRoutes: { '/local/monitor.json': monitor.handler },
  });
  const servers = await listenOnLoopback(handler, options.port);
  const port = (servers[0].address() as AddressInfo).port;
  const origin = `http://localhost:${port}`;

  // The licence server behind the licence proxy, with the DRM catalog the API signs /drm/ from.
  const licensing = await startLocalLicensing(drm.licenceServer, drm.videoIds, (videoId) => drm.keys.keysOf(videoId));
  const originVerify = options.originVerify === true ? await localOriginVerify(options.dir) : undefined;
  const api = await createApi({
    licences: true,
    env: {
      JWT_ISSUER: DEV_IDP_ISSUER,
      JWT_AUDIENCE: DEV_IDP_AUDIENCE,
      JWT_JWKS_URL: `${origin}/idp/jwks.json`,
      JWT_ALGORITHMS: 'ES256',
      // The file's settings as deployed; its IdP, when it names one, replaces the dev IdP above.
      ...configEnv,
      REVOCATION_TABLE_NAME,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      MEDIA_BASE_URL: origin,
      SIGNED_TTL_SECONDS: String(options.signedTtlSeconds ?? DEFAULT_SIGNED_TTL_SECONDS),
      SIGNING_KEY_PAIR_ID: key.keyPairId,
      SIGNING_KEY_FILE: key.privateKeyFile,
      AWS_REGION: 'us-east-1',
      EDGE_DENY_LIST: denyList === undefined || options.edgeRevocation === false ? 'off' : 'on',
      [LIVE_CHANNELS_VARIABLE]: liveChannelsVariable(channels),
      ...(restriction === undefined
        ? {}
        : {
            DOMAIN_RESTRICTION: 'on',
            DOMAIN_RESTRICTION_SITES: restriction.sites.join(','),
            DOMAIN_RESTRICTION_MISSING: restriction.missingHeaders ?? 'allow',
          }),
      ...(deviceKeys === undefined ? {} : { DEVICE_BINDING: 'on', DEVICE_KEY_FILE: deviceKeys.file }),
      ...licensing.env,
      ...options.apiEnv,
    },
    logger: options.logger,
    onStoreClient: (client) => {
      if (denyList === undefined || options.edgeRevocation === false) return;
      attachDenyListStream(client, { ...replication, writer: denyList, logger: options.logger });
    },
    // The same signals as deployed (EMF lines on stdout), and the counts behind /local/monitor.
    signals: new SignalFanout([new EmfSignals(options.metrics ?? createObservability().metrics), monitor]),
    originVerify: originVerify?.api,
  });
  routeToApi = createApiAdapter(api, { onResponse: options.onApiResponse, originVerify: originVerify?.adapter });
  // What the API (its config validated by now) signs with, for `npm run rotate-keys` to wait out.
  recordStackSettings(
    options.dir,
    Number(options.apiEnv?.SIGNED_TTL_SECONDS ?? options.signedTtlSeconds ?? DEFAULT_SIGNED_TTL_SECONDS),
    Math.floor(Date.now() / 1000),
  );

  return {
    url: `${origin}/`,
    port,
    api,
    idp,
    monitor,
    dynamo,
    denyList,
    deviceKeys,
    drm,
    licenceServerUrl: licensing.server.url,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        ),
      );
      await licensing.server.close();
      await dynamo.stop();
      lock.release();
    },
  };
}

/** The options with what the config file decides, where the caller did not decide it. */
function withConfigFile(options: LocalStackOptions): LocalStackOptions {
  const config = options.config?.config;
  if (config === undefined) return options;
  return {
    ...options,
    keyAlgorithm: options.keyAlgorithm ?? config.signing.keyAlgorithm,
    signedTtlSeconds: options.signedTtlSeconds ?? config.signing.ttlSeconds,
    edgeRevocation: options.edgeRevocation ?? config.edgeRevocation.enabled,
    // The edge's layers as deployed, so a team tries its own sites and binding locally (the
    // edge's own host is always allowed, so the local page still plays).
    domainRestriction:
      options.domainRestriction ??
      (config.domainRestriction.enabled
        ? { sites: config.domainRestriction.sites, missingHeaders: config.domainRestriction.missingHeaders }
        : undefined),
    deviceBinding: options.deviceBinding ?? config.deviceBinding.enabled,
  };
}

/** The local origin-verify pieces: receivers re-read the secret every second, the edge its header file. */
async function localOriginVerify(dir: string) {
  const secret = new LocalOriginSecret(dir);
  secret.ensure();
  const header = new LocalOriginHeader(dir);
  await header.ensure(secret);
  const load = () => loadOriginVerifyValues((stage) => secret.stage(stage));
  const refreshAfterMs = LOCAL_ORIGIN_REFRESH_SECONDS * 1000;
  const authorizer = new OriginAuthorizer({ load, refreshAfterMs, retryAfterMs: refreshAfterMs });
  return {
    api: { load, refreshAfterMs },
    adapter: {
      header: () => ({ name: ORIGIN_VERIFY_HEADER, value: header.edgeValue() }),
      authorize: (headers: Record<string, string>) => authorizer.verdict({ headers }),
    },
  };
}

/** The key group, re-read within a second of its file changing, so keys can be trusted without a restart. */
function watchedKeyGroup(file: string): () => ReadonlyMap<string, TrustedKey> {
  let loadedAt = -1;
  let checkedAt = 0;
  let keys: ReadonlyMap<string, TrustedKey> = new Map();
  return () => {
    if (Date.now() - checkedAt < 1000) return keys;
    checkedAt = Date.now();
    const modified = statSync(file).mtimeMs;
    if (modified !== loadedAt) {
      keys = loadKeyGroupFile(file);
      loadedAt = modified;
    }
    return keys;
  };
}

/** `localhost` may resolve to 127.0.0.1 or ::1: listen on both, loopback only. */
async function listenOnLoopback(handler: RequestListener, port: number): Promise<Server[]> {
  const listen = (host: string, wanted: number) =>
    new Promise<Server>((done, fail) => {
      const server = createServer((req, res) => {
        Promise.resolve(handler(req, res)).catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
      });
      server.once('error', fail);
      server.listen(wanted, host, () => done(server));
    });
  const first = await listen('127.0.0.1', port);
  const actual = (first.address() as AddressInfo).port;
  const second = await listen('::1', actual).catch(() => undefined); // no IPv6 loopback here: fine
  return second === undefined ? [first] : [first, second];
}
