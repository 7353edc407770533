/**
 * The playback API: an HTTP API (payload v2) with the three routes of the API contract, each on
 * its own function (lambda/handlers/*) with exactly the grants it uses. CloudFront is the only
 * intended caller: it adds an `x-origin-verify` header whose value lives in Secrets Manager. A
 * Lambda authorizer on every route refuses requests without it before any API function runs
 * (API Gateway itself answers 401 when the header is missing), and the handlers check it again
 * (lambda/core/api/pipeline.ts), so calling the execute-api endpoint directly gets nothing.
 */
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  ORIGIN_VERIFY_HEADER,
  ORIGIN_VERIFY_SECRET_VARIABLE,
  ORIGIN_VERIFY_STAGES,
} from '../lambda/core/origin-verify';
import { API_ROUTES, type ApiOperation } from '../lambda/core/api-routes';
import { API_CORS, CORS_MAX_AGE_SECONDS } from '../lambda/core/cors';
import { logRetention, NodeFunction } from './node-function';
import type { StateTable } from './state-table';
import type { SigningKeys } from './signing-keys';

/** Header CloudFront adds to every API origin request; one constant for CloudFront, the authorizer and the API. */
export { ORIGIN_VERIFY_HEADER };

/**
 * How long API Gateway keeps an authorizer answer per header value. CloudFront's value then costs
 * about one authorizer invocation per TTL; each value it has not seen costs one.
 */
export const ORIGIN_AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/** Every API function's time limit, but the licence function's (licenceFunctionTimeout). */
export const API_FUNCTION_TIMEOUT = Duration.seconds(10);

/**
 * The longest the licence function works before it calls the licence server: a JWKS fetch
 * (JWKS_TIMEOUT_MS, 2 s), the state store's admit (one call of STORE_TIMEOUT_MS, 1 s), a read of
 * the origin-verify secret (1 s allowed) and 1 s to spare. The deploy config sets none of those
 * variables, so their defaults (lambda/core/config.ts) hold; test/infra/licence-timeout.test.ts
 * checks them against the synthesized environment.
 */
export const LICENCE_CHECKS_BUDGET_SECONDS = 5;
/** Relaying the answer, and Lambda's own overhead, after the licence server answered or timed out. */
export const LICENCE_ANSWER_MARGIN_SECONDS = 1;

/**
 * The licence function's time limit: the checks, the licence server's whole bound, and a margin,
 * so the proxy's own 504 (licence server too slow) always comes before Lambda ends the function
 * (API Gateway would then answer a bare 500). Never under the other functions' 10 s.
 */
export function licenceFunctionTimeout(licenceTimeoutMs: number): Duration {
  const needed = LICENCE_CHECKS_BUDGET_SECONDS + Math.ceil(licenceTimeoutMs / 1000) + LICENCE_ANSWER_MARGIN_SECONDS;
  return Duration.seconds(Math.max(API_FUNCTION_TIMEOUT.toSeconds(), needed));
}

/** The origin-verify authorizer's time limit. */
export const ORIGIN_AUTHORIZER_TIMEOUT = Duration.seconds(5);

/**
 * How long CloudFront waits for the API origin: the longest API Gateway can take (the
 * authorizer's limit, then the slowest function's), so a function's own answer (the licence
 * proxy's 504 included) reaches the viewer rather than CloudFront's timeout page.
 */
export function apiOriginReadTimeout(licenceTimeoutMs: number): Duration {
  return Duration.seconds(ORIGIN_AUTHORIZER_TIMEOUT.toSeconds() + licenceFunctionTimeout(licenceTimeoutMs).toSeconds());
}

/** The repository's handlers folder; each operation's entry is `<operation>.ts` in it. */
export const DEFAULT_HANDLERS_DIR = path.join(__dirname, '..', 'lambda', 'handlers');

export interface PlaybackApiProps {
  /** Revocations and abuse-defence records; each function is granted the calls it makes. */
  readonly table: StateTable;
  /** The key pair id and private key the playback function signs with. */
  readonly signingKeys: SigningKeys;
  /**
   * Variables of the lambda/core/config.ts contract that come from the deploy config (JWT_*,
   * MEDIA_BASE_URL, SIGNED_TTL_SECONDS, ...). This construct adds the table name, the key pair
   * id and the two secret ARNs itself.
   */
  readonly environment: Record<string, string>;
  /**
   * Steady-state requests per second the stage accepts, all routes together.
   * @default 50
   */
  readonly throttleRateLimit?: number;
  /**
   * Requests the stage accepts in a burst.
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Days to keep access logs and function logs.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Secrets holding the licence servers' credentials (complete ARNs). Only the licence function
   * may read them, and nothing else may.
   * @default none
   */
  readonly licenceSecretArns?: readonly string[];
  /**
   * Bound on one licence server call (LICENCE_TIMEOUT_MS): the licence function's time limit and
   * CloudFront's wait for the API follow from it.
   * @default 3000
   */
  readonly licenceTimeoutMs?: number;
  /**
   * Folder holding `playback.ts`, `revocations.ts`, `session.ts`, `licence.ts` and `origin-authorizer.ts`.
   * @default DEFAULT_HANDLERS_DIR (lambda/handlers)
   */
  readonly handlersDir?: string;
  /**
   * Origins of apps on other origins (lambda/core/cors.ts): API Gateway answers their preflight
   * (OPTIONS) itself, before any authorizer or function, so a preflight needs no token.
   * @default - none: no CORS preflight answer
   */
  readonly allowedOrigins?: readonly string[];
}

export class PlaybackApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** The value CloudFront sends in `x-origin-verify`; generated at deploy, never in the template. */
  readonly originVerifySecret: secretsmanager.Secret;
  readonly functions: Readonly<Record<ApiOperation, NodeFunction>>;
  /** The Lambda authorizer on every route: refuses requests without CloudFront's origin-verify value. */
  readonly originAuthorizer: NodeFunction;
  readonly authorizer: HttpLambdaAuthorizer;
  private readonly licenceTimeoutMs: number;

  constructor(scope: Construct, id: string, props: PlaybackApiProps) {
    super(scope, id);
    const rateLimit = props.throttleRateLimit ?? 50;
    const burstLimit = props.throttleBurstLimit ?? 100;
    if (!Number.isInteger(rateLimit) || rateLimit < 1)
      throw new Error(`PlaybackApi: throttleRateLimit must be a whole number >= 1, got ${rateLimit}`);
    if (!Number.isInteger(burstLimit) || burstLimit < 1)
      throw new Error(`PlaybackApi: throttleBurstLimit must be a whole number >= 1, got ${burstLimit}`);
    const reserved = [
      'REVOCATION_TABLE_NAME',
      'SIGNING_KEY_PAIR_ID',
      'SIGNING_KEY_SECRET_ARN',
      'ORIGIN_VERIFY_SECRET_ARN',
    ];
    const clash = Object.keys(props.environment).filter((name) => reserved.includes(name));
    if (clash.length > 0)
      throw new Error(`PlaybackApi: environment must not set ${clash.join(', ')} (the construct sets them)`);

    this.originVerifySecret = new secretsmanager.Secret(this, 'OriginVerify', {
      description: `streamgate: value CloudFront sends in ${ORIGIN_VERIFY_HEADER} so the API can refuse callers that bypass it`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const environment = {
      ...props.environment,
      REVOCATION_TABLE_NAME: props.table.table.tableName,
      // Every function's config needs the key source set (lambda/core/config.ts); only playback may read it.
      SIGNING_KEY_SECRET_ARN: props.signingKeys.secret.secretArn,
      ORIGIN_VERIFY_SECRET_ARN: this.originVerifySecret.secretArn,
    };
    const handlersDir = props.handlersDir ?? DEFAULT_HANDLERS_DIR;
    this.licenceTimeoutMs = props.licenceTimeoutMs ?? 3000;
    const make = (operation: ApiOperation, purpose: string, memorySize: number): NodeFunction => {
      const routes = API_ROUTES.filter((route) => route.operation === operation).map(
        (route) => `${route.method} ${route.path}`,
      );
      const fn = new NodeFunction(this, `${operation[0].toUpperCase()}${operation.slice(1)}`, {
        entry: path.join(handlersDir, `${operation}.ts`),
        description: `streamgate: ${routes.join(', ')} (${purpose})`,
        environment,
        memorySize,
        timeout: operation === 'licence' ? licenceFunctionTimeout(this.licenceTimeoutMs) : API_FUNCTION_TIMEOUT,
        logRetentionDays: props.logRetentionDays,
      });
      this.originVerifySecret.grantRead(fn.role);
      return fn;
    };
    // Signing is CPU-bound (RSA) and CPU scales with memory: playback gets more.
    const playback = make('playback', 'signs cookies', 512);
    const revocations = make('revocations', 'admin revocation', 256);
    const session = make('session', 'logout', 256);
    const licence = make('licence', 'forwards DRM licence requests after the playback checks', 256);
    // Each operation reads a token's or user's item and writes them with conditional updates.
    for (const fn of [playback, revocations, session, licence]) props.table.grantStateAccess(fn.role);
    props.signingKeys.grantSign(playback.role);
    // GetSecretValue only (no DescribeSecret, no other secret): the credential is read once at init.
    const licenceSecrets = [...new Set(props.licenceSecretArns ?? [])];
    if (licenceSecrets.length > 0)
      licence.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: licenceSecrets }),
      );
    this.functions = { playback, revocations, session, licence };

    // The authorizer needs the secret and nothing else. ORIGIN_SECRETS_VERSION (not read by the
    // code) replaces its containers when bumped, so they re-read the secret.
    this.originAuthorizer = new NodeFunction(this, 'OriginAuthorizer', {
      entry: path.join(handlersDir, 'origin-authorizer.ts'),
      description: `streamgate: API authorizer, refuses requests without CloudFront's ${ORIGIN_VERIFY_HEADER}`,
      environment: {
        [ORIGIN_VERIFY_SECRET_VARIABLE]: this.originVerifySecret.secretArn,
        ...(props.environment.ORIGIN_SECRETS_VERSION !== undefined
          ? { ORIGIN_SECRETS_VERSION: props.environment.ORIGIN_SECRETS_VERSION }
          : {}),
      },
      memorySize: 128,
      timeout: ORIGIN_AUTHORIZER_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
    });
    // Not grantRead: that adds DescribeSecret, which the authorizer never calls. The secret uses
    // the AWS managed key, so no kms:Decrypt grant is needed. Only the two versions it accepts.
    this.originAuthorizer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.originVerifySecret.secretArn],
        conditions: { StringEquals: { 'secretsmanager:VersionStage': [...ORIGIN_VERIFY_STAGES] } },
      }),
    );
    this.authorizer = new HttpLambdaAuthorizer('OriginVerify', this.originAuthorizer.function, {
      authorizerName: 'origin-verify',
      // Also the cache key; a request without the header gets 401 from API Gateway, invoking nothing.
      identitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: ORIGIN_AUTHORIZER_CACHE_TTL,
    });

    const allowedOrigins = [...(props.allowedOrigins ?? [])];
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'streamgate playback API (reached through CloudFront under /api/)',
      createDefaultStage: false,
      // Every route, including any added later.
      defaultAuthorizer: this.authorizer,
      // The preflight is answered before the authorizer runs (it carries no origin-verify header
      // CloudFront would not add anyway, and no token). CloudFront's response headers policy
      // (lib/delivery.ts) sets the same headers again on every answer.
      ...(allowedOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: allowedOrigins,
              allowCredentials: true,
              allowMethods: API_CORS.methods.map((method) => apigwv2.CorsHttpMethod[method]),
              allowHeaders: [...API_CORS.headers],
              exposeHeaders: [...API_CORS.exposed],
              maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
            },
          }
        : {}),
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention(props.logRetentionDays, 'PlaybackApi'),
    });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        // No headers: the Authorization header must never reach a log.
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            bytes: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    for (const route of API_ROUTES) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(
          `${route.operation}-integration`,
          this.functions[route.operation].function,
        ),
      });
    }
  }

  /** Host name of the execute-api endpoint (what CloudFront connects to). */
  get endpointDomainName(): string {
    const stack = Stack.of(this);
    return `${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }

  /**
   * The API as a CloudFront origin, with the origin-verify header. Its value is a dynamic
   * reference (`{{resolve:secretsmanager:...}}`) that CloudFormation resolves at deploy time:
   * the template and the CloudFormation console show only the reference. The resolved value is
   * visible in the distribution's config (console, GetDistributionConfig) to principals allowed
   * to read it, who administer the distribution anyway; that is the accepted exposure.
   */
  origin(): cloudfront.IOrigin {
    return new origins.HttpOrigin(this.endpointDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      readTimeout: apiOriginReadTimeout(this.licenceTimeoutMs),
      customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originVerifySecret.secretValue.unsafeUnwrap() },
    });
  }
}
