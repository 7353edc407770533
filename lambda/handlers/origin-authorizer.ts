/**
 * HTTP API Lambda authorizer on every route — thin Lambda entry over lambda/core/origin-authorizer.ts.
 * It needs only the origin-verify secret: no table, no signing key, no JWT configuration.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { ConfigError, EnvReader } from '../core/env-reader';
import { OriginAuthorizer } from '../core/origin-authorizer';
import {
  loadOriginVerifyValues,
  ORIGIN_VERIFY_REFRESH_SECONDS,
  ORIGIN_VERIFY_SECRET_VARIABLE,
} from '../core/origin-verify';
import { functionObservability } from '../runtime/observability';
import { readSecret } from '../runtime/secrets';

const { logger } = functionObservability();
let secrets: SecretsManagerClient | undefined;

const authorizer = new OriginAuthorizer({
  load: async () => {
    const secretArn = new EnvReader().optional(ORIGIN_VERIFY_SECRET_VARIABLE);
    if (secretArn === undefined) throw new ConfigError(ORIGIN_VERIFY_SECRET_VARIABLE, 'must be set');
    const client = (secrets ??= new SecretsManagerClient({}));
    return loadOriginVerifyValues((stage) =>
      readSecret(client, secretArn, ORIGIN_VERIFY_SECRET_VARIABLE, {
        versionStage: stage,
        optional: stage !== 'AWSCURRENT',
      }),
    );
  },
  // A rotation waits this long between publishing a pending value and CloudFront sending it.
  refreshAfterMs: ORIGIN_VERIFY_REFRESH_SECONDS * 1000,
  // The message names the variable and the error's class, never a value.
  onLoadFailure: (error) =>
    logger.critical('origin authorizer cannot load the origin-verify secret', {
      error: error instanceof Error ? error.message : 'unknown error',
    }),
});

export const handler = (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> =>
  authorizer.authorize(event);
