/**
 * The scheduled signing-key rotation: every run observes the secret and CloudFront, performs the
 * steps that are ready (lambda/core/signing-key-rotation.ts) and returns at the first wait; the
 * next scheduled run resumes. It reports the active key's age (metric ActiveSigningKeyAge,
 * seconds) on every run: the key-age alarm fires when it grows past the schedule, or when the
 * runs stop. Invoke with `{"force": true}` to rotate now.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLOUDFRONT_KEY_ALGORITHMS, isCloudFrontKeyAlgorithm } from '../core/cloudfront-key-types';
import { ConfigError, EnvReader } from '../core/env-reader';
import { METRIC } from '../core/metric-names';
import { type RotationPolicy, type RotationRun, runRotation } from '../core/signing-key-rotation';
import { functionObservability } from '../runtime/observability';
import { CloudFrontKeys, SecretsManagerKeyStore } from '../runtime/signing-key-ports';
import { randomUUID } from 'node:crypto';

const { logger, metrics } = functionObservability();

const env = new EnvReader();
const required = (name: string): string => env.required(name);
/** Set by lib/signing-keys.ts from validated settings; checked again here, as every variable is. */
const seconds = (name: string): number => env.requiredInteger(name, 0, Number.MAX_SAFE_INTEGER);

function policyFromEnv(): RotationPolicy {
  const algorithm = required('KEY_ALGORITHM');
  if (!isCloudFrontKeyAlgorithm(algorithm))
    throw new ConfigError(
      'KEY_ALGORITHM',
      `must be one of ${CLOUDFRONT_KEY_ALGORITHMS.join(', ')}, got "${algorithm}"`,
    );
  return {
    rotateAfterSeconds: seconds('ROTATE_AFTER_SECONDS'),
    signedTtlSeconds: seconds('SIGNED_TTL_SECONDS'),
    signerRefreshSeconds: seconds('SIGNING_KEY_REFRESH_SECONDS'),
    clockToleranceSeconds: seconds('CLOCK_TOLERANCE_SECONDS'),
    settleSeconds: 120,
    pollSeconds: 60,
    algorithm,
    namePrefix: required('KEY_NAME_PREFIX'),
  };
}

export async function handler(
  event: { force?: unknown } = {},
): Promise<Omit<RotationRun, 'performed'> & { performed: string[] }> {
  const now = () => Math.floor(Date.now() / 1000);
  const run = await runRotation(
    {
      store: new SecretsManagerKeyStore(new SecretsManagerClient({}), required('SIGNING_KEY_SECRET_ARN'), now),
      cloudFront: new CloudFrontKeys(new CloudFrontClient({ region: 'us-east-1' }), required('KEY_GROUP_ID'), [
        required('DISTRIBUTION_ID'),
      ]),
      now,
      newVersionId: randomUUID,
    },
    policyFromEnv(),
    { force: event.force === true },
  );
  // Ids and step names only: never key material.
  logger.info('signing-key rotation run', {
    performed: run.performed.map((step) => step.kind),
    stoppedAt: run.stoppedAt,
    activeKeyPairId: run.activeKeyPairId,
  });
  if (run.activeKeyAgeSeconds !== undefined) {
    metrics.addMetric(METRIC.signingKeyAge, MetricUnit.Seconds, run.activeKeyAgeSeconds);
    metrics.publishStoredMetrics();
  }
  return { ...run, performed: run.performed.map((step) => step.kind) };
}
