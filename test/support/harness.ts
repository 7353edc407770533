/**
 * Builds the real API (real config parsing, jose, dynalite, the CloudFront signer) for tests,
 * plus API Gateway v2 events and log capture.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { EmfSignals } from '../../lambda/core/metrics';
import { createObservability, MemorySink } from '../../lambda/runtime/observability';
import { createDynamoClient, DynamoCaller } from '../../lambda/store/dynamo-call';
import { AccessStateStore } from '../../lambda/store/access-state-store';
import { FAIL_ON_HYGIENE_ERROR } from './hygiene';
import { createApi, type ApiHandlers, type ApiOptions } from '../../lambda/runtime/runtime';
import { ensureStateTable, startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import { countOperations, type OperationCounter } from './dynamo-operations';
import { AUDIENCE, ISSUER, jwksOf, type IdpKey } from './tokens';

export const MEDIA_BASE_URL = 'https://media.test.example';
export const KEY_PAIR_ID = 'K2TESTKEYPAIR';
export const TABLE = 'streamgate-revocations';

export type SigningKeyKind = 'rsa-2048' | 'ecdsa-p256';

export interface CloudFrontKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  file: string;
}

export function cloudFrontKey(kind: SigningKeyKind): CloudFrontKeyPair {
  const { privateKey, publicKey } =
    kind === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const file = join(mkdtempSync(join(tmpdir(), 'streamgate-key-')), 'cloudfront-private.pem');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { privateKey, publicKey, file };
}

export function apiEnv(options: {
  dynamoEndpoint: string;
  idpKeys: IdpKey[];
  signingKeyFile: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_JWKS: JSON.stringify(jwksOf(...options.idpKeys)),
    REVOCATION_TABLE_NAME: TABLE,
    DYNAMODB_ENDPOINT: options.dynamoEndpoint,
    STORE_TIMEOUT_MS: '500',
    MEDIA_BASE_URL,
    SIGNING_KEY_PAIR_ID: KEY_PAIR_ID,
    SIGNING_KEY_FILE: options.signingKeyFile,
    // Core tests play many times as one user; the abuse tests turn these limits on themselves.
    MAX_CONCURRENT_STREAMS: '0',
    RATE_LIMIT_PER_WINDOW: '0',
    MAX_SESSIONS_PER_HOUR: '200',
    MAX_GRANTS_PER_BUCKET: '500',
    ...options.extra,
  };
}

/**
 * What the code under test logged and counted, read through the observability port
 * (lambda/runtime/observability.ts): Powertools' own lines, kept in memory instead of stdout.
 */
export class LogCapture {
  private readonly sink: MemorySink;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The API's signals as EMF documents, into the same lines as the logs. */
  readonly signals: EmfSignals;

  /** `keep: false` (benches): lines are dropped, not kept, so a long run holds no memory for them. */
  constructor(options: { keep?: boolean } = {}) {
    this.sink = new MemorySink(options.keep ?? true);
    const { logger, metrics } = createObservability({ sink: this.sink, logLevel: 'DEBUG' });
    this.logger = logger;
    this.metrics = metrics;
    this.signals = new EmfSignals(metrics);
  }

  /** Every line so far, in order (a test may clear it). */
  get lines(): string[] {
    return this.sink.lines;
  }

  text(): string {
    return this.sink.text();
  }

  records(): Record<string, unknown>[] {
    return this.sink.records();
  }

  /** Nothing to restore (stdout is never replaced); kept so a capture ends where its test does. */
  stop(): void {}
}

export interface Harness {
  api: ApiHandlers;
  dynamo: LocalDynamo;
  signingKey: CloudFrontKeyPair;
  logs: LogCapture;
  /** Every DynamoDB operation the API made, counted on the wire. */
  store: OperationCounter;
  /** A second client on the same table, for arranging revocations directly. */
  access: AccessStateStore;
  close(): Promise<void>;
}

export async function startHarness(options: {
  idpKeys: IdpKey[];
  signingKey?: SigningKeyKind;
  extraEnv?: Record<string, string>;
  now?: () => number;
  /** More of the runtime's options (e.g. `licences` and their upstreams). */
  runtime?: Pick<ApiOptions, 'licences' | 'licenceUpstreams'>;
}): Promise<Harness> {
  const dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const signingKey = cloudFrontKey(options.signingKey ?? 'ecdsa-p256');
  const logs = new LogCapture();
  const store = await countOperations(dynamo.endpoint);
  const env = apiEnv({
    dynamoEndpoint: store.endpoint,
    idpKeys: options.idpKeys,
    signingKeyFile: signingKey.file,
    extra: options.extraEnv,
  });
  const api = await createApi({
    env,
    logger: logs.logger,
    signals: logs.signals,
    now: options.now,
    ...options.runtime,
  });
  const storeConfig = { tableName: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1', timeoutMs: 1000 };
  return {
    api,
    dynamo,
    access: new AccessStateStore(
      new DynamoCaller(createDynamoClient(storeConfig), TABLE, 1000),
      {
        rateLimit: 0,
        rateWindowSeconds: 60,
        maxStreams: 0,
        sharing: { maxNetworks: 0, maxCountries: 0, action: 'alert' },
        grantBucketSeconds: 600,
        // An arranging client: the growth caps are the API's, tested through it.
        maxSessionsPerHour: 200,
        maxGrantsPerBucket: 500,
      },
      FAIL_ON_HYGIENE_ERROR,
    ),
    signingKey,
    logs,
    store,
    close: async () => {
      logs.stop();
      await store.close();
      await dynamo.stop();
    },
  };
}

export interface EventOptions {
  authorization?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  sourceIp?: string;
  body?: string;
}

export function apiEvent(
  method: string,
  path: string,
  options: EventOptions = {},
  pathParameters?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    queryStringParameters: options.query,
    pathParameters,
    body: options.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'media.test.example',
      domainPrefix: 'media',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: options.sourceIp ?? '198.51.100.7', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

export function playbackEvent(videoId: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  return apiEvent('POST', `/api/v1/playback/${videoId}`, options, { videoId });
}

export function licenceEvent(videoId: string, drmSystem: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const event = apiEvent('POST', `/api/v1/licence/${videoId}/${drmSystem}`, options, { videoId, drmSystem });
  event.routeKey = 'POST /api/v1/licence/{videoId}/{drmSystem}';
  return event;
}

export const bearer = (token: string): string => `Bearer ${token}`;
