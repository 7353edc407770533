/**
 * Builds the API once per process from the environment: config, clients and the signing key
 * are created at init and reused by every invocation (a Lambda container, or the local API).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AccessState } from '../core/access-state';
import { StreamgateApi } from '../core/api';
import { ConfigError, loadConfig, type ApiConfig } from '../core/config';
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
import { LicenceProxy, type LicenceUpstream } from '../core/licence-proxy';
import { HttpLicenceUpstream } from './http-licence-upstream';
import { ActiveSigningKey } from './signing-key';
import { loggedAndCounted } from '../store/item-hygiene';
import { createStateStores } from '../store/state-stores';
import { TokenVerifier } from '../core/token-verifier';

export interface RuntimeOptions {
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  now?: () => number;
  /** Where decisions are reported. @default CloudWatch EMF on stdout */
  signals?: ApiSignals;
  /**
   * Whether this process signs media access. Only the playback function does: the others never
   * read the private key, and are not granted its secret.
   * @default true
   */
  signs?: boolean;
  /** The access state. @default DynamoDB, from the configuration */
  state?: AccessState;
  /** Secrets Manager client. @default one for the configured region */
  secrets?: SecretsManagerClient;
  /** Sees the state table's client once it exists (local mode attaches its stand-in for the table's stream). */
  onStoreClient?: (client: DynamoDBClient) => void;
  /**
   * Whether this process forwards licence requests. Only the licence function does: it alone
   * reads the licence servers' credentials, and is granted their secrets.
   * @default false
   */
  licences?: boolean;
  /** Licence servers to use instead of the configured HTTP ones (local ClearKey server, tests). */
  licenceUpstreams?: Partial<Record<DrmSystem, LicenceUpstream>>;
  /**
   * Where the accepted origin-verify values come from instead of Secrets Manager (local mode),
   * and how often an unknown value may trigger a re-read.
   */
  originVerify?: { load: () => Promise<OriginVerifyValues>; refreshAfterMs: number };
}

export interface Runtime {
  api: StreamgateApi;
  /** The active signing key (absent where the process does not sign); handlers refresh it before signing. */
  signingKey?: ActiveSigningKey;
}

export async function createApi(options: RuntimeOptions = {}): Promise<StreamgateApi> {
  return (await createRuntime(options)).api;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? new Logger({ serviceName: 'streamgate' });
  try {
    const config = loadConfig(options.env ?? process.env);
    const drm = loadDrmConfig(options.env ?? process.env);
    let secrets = options.secrets;
    const secretsClient = (): SecretsManagerClient => (secrets ??= createSecretsClient(config.store.region));
    const [signingKey, originVerify, licences] = await Promise.all([
      options.signs === false ? undefined : ActiveSigningKey.create(config.signing, secretsClient),
      options.originVerify === undefined
        ? originVerifyOf(config, secretsClient)
        : OriginVerifier.create(options.originVerify.load, { refreshAfterMs: options.originVerify.refreshAfterMs }),
      options.licences === true ? licenceProxyOf(drm, options, secretsClient) : undefined,
    ]);
    const signals = options.signals ?? new EmfSignals();
    // A failed prune is reported through the API's own logger and signals (flushed with its call).
    const stores = createStateStores(config, loggedAndCounted(logger, signals));
    options.onStoreClient?.(stores.dynamo.client);
    const api = new StreamgateApi({
      config,
      verifier: new TokenVerifier(config.token),
      access: options.state ?? stores.access,
      signals,
      signer: signingKey === undefined ? undefined : new MediaSigner(config.signing, signingKey, drm.catalog),
      drm,
      licences,
      logger,
      now: options.now ?? (() => Math.floor(Date.now() / 1000)),
      originVerify,
      deviceKey: deviceKeyReader(options.env ?? process.env, secretsClient),
    });
    return { api, signingKey };
  } catch (error) {
    // The message names the variable; it never carries key material (see signing-key.ts).
    logger.critical('streamgate failed to start', { error: error instanceof Error ? error.message : String(error) });
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
  const env = options.env ?? process.env;
  const entries = await Promise.all(
    Object.entries(drm.upstreams).map(async ([system, upstream]): Promise<[string, LicenceUpstream]> => {
      const override = options.licenceUpstreams?.[system as DrmSystem];
      if (override !== undefined) return [system, override];
      const value =
        upstream.secretArn !== undefined
          ? await readSecret(secrets(), upstream.secretArn, 'LICENCE_UPSTREAMS')
          : upstream.secretEnv !== undefined
            ? env[upstream.secretEnv]
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

/** One API per process, created on first use and shared by the handlers in it. */
let shared: Promise<Runtime> | undefined;
export function sharedRuntime(options: Pick<RuntimeOptions, 'signs' | 'licences'> = {}): Promise<Runtime> {
  if (shared === undefined) {
    shared = createRuntime(options);
    // Handlers await it per invocation; mark it handled so a failed init is reported there, not as a crash at load.
    shared.catch(() => undefined);
  }
  return shared;
}

export function sharedApi(options: Pick<RuntimeOptions, 'signs' | 'licences'> = {}): Promise<StreamgateApi> {
  return sharedRuntime(options).then((runtime) => runtime.api);
}
