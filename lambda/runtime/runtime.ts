/**
 * Builds each function's route once per process from the environment: config, clients and the
 * keys that function needs (and no other) are created at init and reused by every invocation.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AccessState } from '../core/access-state';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LicenceRoute } from '../core/api/licence';
import { PlaybackRoute } from '../core/api/playback';
import { RevocationsRoute } from '../core/api/revocations';
import { routeDeps, type RouteDeps } from '../core/api/route-deps';
import { SessionRoute } from '../core/api/session';
import type { ApiOperation } from '../core/api-routes';
import type { HttpResponse } from '../core/http';
import { ConfigError, loadConfig, type ApiConfig } from '../core/config';
import { causeSummary } from '../core/errors';
import { EnvReader } from '../core/env-reader';
import { MediaSigner } from '../core/media-signer';
import {
  loadOriginVerifyValues,
  ORIGIN_VERIFY_SECRET_VARIABLE,
  OriginVerifier,
  type OriginVerifyValues,
} from '../core/origin-verify';
import { EmfSignals, type ApiSignals } from '../core/metrics';
import { createSecretsClient, readSecret } from './secrets';
import { deviceKeyReader } from './device-key';
import { type DrmConfig, type DrmSystem, loadDrmConfig } from '../core/drm-config';
import { loadRentalConfig } from '../core/rentals';
import { parseStepUpRules, STEP_UP_VARIABLE } from '../core/step-up';
import { LicenceProxy, type LicenceUpstream } from '../core/licence-proxy';
import { HttpLicenceUpstream } from './http-licence-upstream';
import { functionObservability } from './observability';
import { ActiveSigningKey } from './signing-key';
import { loggedAndCounted } from '../store/item-hygiene';
import { createStateStores } from '../store/state-stores';
import { TokenVerifier } from '../core/token-verifier';
import { type LiveConfig, loadLiveConfig } from '../core/live-grants';
import { DRM_PATH_PREFIX, mediaPathPrefix } from '../core/media-paths';

export interface RuntimeOptions {
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  now?: () => number;
  /** Where decisions are reported. @default CloudWatch EMF on stdout */
  signals?: ApiSignals;
  /** The access state. @default DynamoDB, from the configuration */
  state?: AccessState;
  /** Secrets Manager client. @default one for the configured region */
  secrets?: SecretsManagerClient;
  /** Sees the state table's client once it exists (local mode attaches its stand-in for the table's stream). */
  onStoreClient?: (client: DynamoDBClient) => void;
  /** Licence servers to use instead of the configured HTTP ones (local ClearKey server, tests). */
  licenceUpstreams?: Partial<Record<DrmSystem, LicenceUpstream>>;
  /**
   * Where the accepted origin-verify values come from instead of Secrets Manager (local mode),
   * and how often an unknown value may trigger a re-read.
   */
  originVerify?: { load: () => Promise<OriginVerifyValues>; refreshAfterMs: number };
}

/** A route's handler: an API Gateway v2 event in, the API contract's response out. */
export type RouteHandler = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

/** Every route in one process, by its operation in lambda/core/api-routes.ts (local mode, tests). */
export type ApiHandlers = Readonly<Record<ApiOperation, RouteHandler>>;

/** The playback function's route and the active signing key, which its handler refreshes before signing. */
export interface PlaybackFunction {
  route: PlaybackRoute;
  signingKey: ActiveSigningKey;
}

/** The playback function: the only one that reads the CloudFront private key. */
export function createPlaybackRoute(options: RuntimeOptions = {}): Promise<PlaybackFunction> {
  return initRoutes(options, async ({ config, drm, live, secrets }) => {
    const signingKey = await ActiveSigningKey.create(config.signing, secrets);
    return (deps) => ({
      route: new PlaybackRoute({
        ...deps,
        signer: new MediaSigner(config.signing, signingKey, drm.catalog),
        drm,
        live,
        deviceKey: deviceKeyReader(options.env ?? process.env, secrets),
      }),
      signingKey,
    });
  });
}

/** The licence function: signs nothing; the only one that reads the licence servers' credentials. */
export function createLicenceRoute(options: RuntimeOptions = {}): Promise<LicenceRoute> {
  return initRoutes(options, async ({ drm, secrets }) => {
    const licences = await licenceProxyOf(drm, options, secrets);
    return (deps) => new LicenceRoute({ ...deps, licences });
  });
}

/** The revocations function: reads no signing key and no licence credential. */
export function createRevocationsRoute(options: RuntimeOptions = {}): Promise<RevocationsRoute> {
  return initRoutes(options, async () => (deps) => new RevocationsRoute(deps));
}

/** The session (logout) function: reads no signing key and no licence credential. */
export function createSessionRoute(options: RuntimeOptions = {}): Promise<SessionRoute> {
  return initRoutes(options, async () => (deps) => new SessionRoute(deps));
}

export interface ApiOptions extends RuntimeOptions {
  /**
   * Whether the licence route forwards to the configured licence servers (reading their
   * credentials now); without, it knows no licence server and answers 404 for every DRM system.
   * @default false
   */
  licences?: boolean;
}

/**
 * Every route in one process over one pipeline, one store client and one signing key: local mode
 * (`npm start`) and the tests. Deployed, each route is its own function (lambda/handlers/).
 */
export function createApi(options: ApiOptions = {}): Promise<ApiHandlers> {
  return initRoutes(options, async ({ config, drm, live, secrets }) => {
    const [signingKey, licences] = await Promise.all([
      ActiveSigningKey.create(config.signing, secrets),
      options.licences === true ? licenceProxyOf(drm, options, secrets) : new LicenceProxy(drm, {}),
    ]);
    return (deps) => {
      const playback = new PlaybackRoute({
        ...deps,
        signer: new MediaSigner(config.signing, signingKey, drm.catalog),
        drm,
        live,
        deviceKey: deviceKeyReader(options.env ?? process.env, secrets),
      });
      const licence = new LicenceRoute({ ...deps, licences });
      const revocations = new RevocationsRoute(deps);
      const session = new SessionRoute(deps);
      return {
        playback: (event) => playback.handle(event),
        licence: (event) => licence.handle(event),
        revocations: (event) => revocations.handle(event),
        session: (event) => session.handle(event),
      };
    };
  });
}

/** What a function's own dependencies are read from at init. */
interface InitInputs {
  config: ApiConfig;
  drm: DrmConfig;
  live: LiveConfig;
  secrets: () => SecretsManagerClient;
}

/**
 * Reads the configuration, then the function's own dependencies (`own`) and the origin-verify
 * values in parallel, and builds its routes over one shared pipeline and caller steps. A failure
 * is logged once as critical, naming the variable (never key material: see signing-key.ts).
 */
async function initRoutes<T>(
  options: RuntimeOptions,
  own: (inputs: InitInputs) => Promise<(deps: RouteDeps) => T>,
): Promise<T> {
  const logger = options.logger ?? functionObservability().logger;
  try {
    const config = loadConfig(options.env ?? process.env);
    const drm = loadDrmConfig(options.env ?? process.env);
    // The title rules (lambda/core/step-up.ts, lambda/core/rentals.ts): each a ConfigError naming its variable.
    const stepUp = parseStepUpRules((options.env ?? process.env)[STEP_UP_VARIABLE]);
    const rentals = loadRentalConfig(options.env ?? process.env);
    const live = loadLiveConfig(options.env ?? process.env, [
      config.signing.mediaPathPrefix ?? mediaPathPrefix(),
      DRM_PATH_PREFIX,
    ]);
    let secrets = options.secrets;
    const secretsClient = (): SecretsManagerClient => (secrets ??= createSecretsClient(config.store.region));
    const [build, originVerify] = await Promise.all([
      own({ config, drm, live, secrets: secretsClient }),
      options.originVerify === undefined
        ? originVerifyOf(config, secretsClient)
        : OriginVerifier.create(options.originVerify.load, { refreshAfterMs: options.originVerify.refreshAfterMs }),
    ]);
    const signals = options.signals ?? new EmfSignals(functionObservability().metrics);
    // A failed prune is reported through the API's own logger and signals (flushed with its call).
    const stores = createStateStores(config, loggedAndCounted(logger, signals), rentals);
    options.onStoreClient?.(stores.dynamo.client);
    return build(
      routeDeps({
        config,
        verifier: new TokenVerifier(config.token),
        access: options.state ?? stores.access,
        signals,
        logger,
        now: options.now ?? (() => Math.floor(Date.now() / 1000)),
        originVerify,
        titleRules: { stepUp, rentals },
      }),
    );
  } catch (error) {
    // The message names the variable; it never carries key material (see signing-key.ts).
    // The cause chain names the SDK or file error behind it (class and message, no stack).
    logger.critical('streamgate failed to start', {
      error: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.cause !== undefined ? { cause: causeSummary(error) } : {}),
    });
    throw error;
  }
}

/** The secret's current value and, during a rotation overlap, its previous one (origin-verify.ts). */
async function originVerifyOf(
  config: ApiConfig,
  secrets: () => SecretsManagerClient,
): Promise<OriginVerifier | undefined> {
  const secretArn = config.originVerifySecretArn;
  if (secretArn === undefined) return undefined;
  return OriginVerifier.create(() =>
    loadOriginVerifyValues((stage) =>
      readSecret(secrets(), secretArn, ORIGIN_VERIFY_SECRET_VARIABLE, {
        versionStage: stage,
        optional: stage !== 'AWSCURRENT',
      }),
    ),
  );
}

/** Each configured licence server as an HTTP upstream, its credential read now (init), unless overridden. */
async function licenceProxyOf(
  drm: DrmConfig,
  options: RuntimeOptions,
  secrets: () => SecretsManagerClient,
): Promise<LicenceProxy> {
  const env = new EnvReader(options.env ?? process.env);
  const entries = await Promise.all(
    Object.entries(drm.upstreams).map(async ([system, upstream]): Promise<[string, LicenceUpstream]> => {
      const override = options.licenceUpstreams?.[system as DrmSystem];
      if (override !== undefined) return [system, override];
      const value =
        upstream.secretArn !== undefined
          ? await readSecret(secrets(), upstream.secretArn, 'LICENCE_UPSTREAMS')
          : upstream.secretEnv !== undefined
            ? env.optional(upstream.secretEnv)
            : undefined;
      if (upstream.header !== undefined && (value === undefined || value === ''))
        throw new ConfigError('LICENCE_UPSTREAMS', `the ${system} licence server's credential is empty`);
      const credential =
        upstream.header !== undefined && value !== undefined ? { header: upstream.header, value } : undefined;
      return [
        system,
        new HttpLicenceUpstream({
          url: upstream.url,
          credential,
          maxAnswerBytes: drm.maxAnswerBytes,
          credentialRefusedStatuses: upstream.credentialRefusedStatuses,
        }),
      ];
    }),
  );
  // An override for a system the config does not list still needs no credential: add it too.
  for (const [system, upstream] of Object.entries(options.licenceUpstreams ?? {}))
    if (!entries.some(([known]) => known === system) && upstream !== undefined) entries.push([system, upstream]);
  return new LicenceProxy(drm, Object.fromEntries(entries));
}

/**
 * Starts a function's init at module load (outside the handler, reused by every invocation);
 * marked handled so a failed init is reported by the invocation that awaits it, not as a crash at load.
 */
export function atInit<T>(init: Promise<T>): Promise<T> {
  init.catch(() => undefined);
  return init;
}
