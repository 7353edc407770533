/**
 * The real dependencies every API route is built from (config parsed from an environment, jose
 * verifying tokens of a local key, the access-state store on dynalite), for the tests named after
 * one route module: each builds its own route from them, as lambda/runtime/runtime.ts does.
 */
import { loadConfig, type ApiConfig } from '../../lambda/core/config';
import { loadDrmConfig, type DrmConfig } from '../../lambda/core/drm-config';
import { MediaSigner } from '../../lambda/core/media-signer';
import type { ApiSignal, ApiSignals } from '../../lambda/core/metrics';
import type { OriginVerifier } from '../../lambda/core/origin-verify';
import { TokenVerifier } from '../../lambda/core/token-verifier';
import { routeDeps, type RouteDeps } from '../../lambda/core/api/route-deps';
import { ActiveSigningKey } from '../../lambda/runtime/signing-key';
import { createStateStores } from '../../lambda/store/state-stores';
import { ensureStateTable, startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import { apiEnv, cloudFrontKey, LogCapture, TABLE, type CloudFrontKeyPair } from './harness';
import { FAIL_ON_HYGIENE_ERROR } from './hygiene';
import type { IdpKey } from './tokens';

/** What the routes signalled, in order, and how often they flushed: the signals port, recorded. */
export class RecordedSignals implements ApiSignals {
  readonly emitted: ApiSignal[] = [];
  flushes = 0;
  emit(signal: ApiSignal): void {
    this.emitted.push(signal);
  }
  flush(): void {
    this.flushes += 1;
  }
  kinds(): string[] {
    return this.emitted.map((signal) => signal.kind);
  }
  clear(): void {
    this.emitted.length = 0;
    this.flushes = 0;
  }
}

export interface RouteKit {
  deps: RouteDeps;
  config: ApiConfig;
  drm: DrmConfig;
  signals: RecordedSignals;
  logs: LogCapture;
  signingKey: CloudFrontKeyPair;
  /** The CloudFront signer playback needs (the key from a file, as in local mode). */
  signer(): Promise<MediaSigner>;
  close(): Promise<void>;
}

export async function startRouteKit(options: {
  idpKeys: IdpKey[];
  extraEnv?: Record<string, string>;
  now: () => number;
  originVerify?: OriginVerifier;
}): Promise<RouteKit> {
  const dynamo: LocalDynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const signingKey = cloudFrontKey('ecdsa-p256');
  const env = apiEnv({
    dynamoEndpoint: dynamo.endpoint,
    idpKeys: options.idpKeys,
    signingKeyFile: signingKey.file,
    extra: options.extraEnv,
  });
  const config = loadConfig(env);
  const drm = loadDrmConfig(env);
  const signals = new RecordedSignals();
  const logs = new LogCapture();
  const stores = createStateStores(config, FAIL_ON_HYGIENE_ERROR);
  const deps = routeDeps({
    config,
    verifier: new TokenVerifier(config.token),
    access: stores.access,
    logger: logs.logger,
    signals,
    now: options.now,
    originVerify: options.originVerify,
  });
  const noSecrets = () => {
    throw new Error('the signing key is read from a file here');
  };
  return {
    deps,
    config,
    drm,
    signals,
    logs,
    signingKey,
    signer: async () =>
      new MediaSigner(config.signing, await ActiveSigningKey.create(config.signing, noSecrets), drm.catalog),
    close: async () => {
      logs.stop();
      stores.dynamo.client.destroy();
      await dynamo.stop();
    },
  };
}
