/**
 * Secrets Manager rotation function for the origin-verify secret: the four rotation steps of
 * lambda/core/origin-secret-rotation.ts over Secrets Manager and the distribution's config
 * (every origin that carries HEADER_NAME gets the new value). Values are never logged.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudFrontClient, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context, SecretsManagerRotationEvent } from 'aws-lambda';
import {
  ORIGIN_SECRET_STEPS,
  type OriginHeaderSender,
  type OriginSecretStep,
  type OriginSecretStore,
  rotateOriginSecretStep,
} from '../core/origin-secret-rotation';
import { distributionsDeployed } from '../runtime/signing-key-ports';
import { EnvReader } from '../core/env-reader';

const secrets = new SecretsManagerClient({});
const cloudFront = new CloudFrontClient({ region: 'us-east-1' });

const env = new EnvReader();
const required = (name: string): string => env.required(name);

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/** The rotation's view of the secret, over Secrets Manager. */
export function storeFor(secrets: SecretsManagerClient, secretId: string): OriginSecretStore {
  return {
    async versionValue(token) {
      try {
        return (await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token }))).SecretString;
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async versionCreatedAt(token) {
      const { Versions } = await secrets.send(new ListSecretVersionIdsCommand({ SecretId: secretId }));
      const created = Versions?.find((version) => version.VersionId === token)?.CreatedDate;
      return created === undefined ? undefined : Math.floor(created.getTime() / 1000);
    },
    async putPending(token, value) {
      await secrets.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
        }),
      );
    },
    async currentVersion() {
      const { VersionIdsToStages } = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
      return Object.entries(VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
    },
    async promote(token, from) {
      await secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          RemoveFromVersionId: from,
        }),
      );
    },
  };
}

/** What the distribution sends in `headerName`, over its config (every origin that carries the header). */
export function distributionSender(
  cloudFront: CloudFrontClient,
  distributionId: string,
  headerName: string,
): OriginHeaderSender {
  const read = () => cloudFront.send(new GetDistributionConfigCommand({ Id: distributionId }));
  const headersOf = (config: Awaited<ReturnType<typeof read>>['DistributionConfig']) =>
    (config?.Origins?.Items ?? [])
      .flatMap((origin) => origin.CustomHeaders?.Items ?? [])
      .filter((header) => header.HeaderName?.toLowerCase() === headerName.toLowerCase());
  return {
    async sentValues() {
      return headersOf((await read()).DistributionConfig).map((header) => header.HeaderValue ?? '');
    },
    async send(value) {
      const { DistributionConfig, ETag } = await read();
      const headers = headersOf(DistributionConfig);
      if (headers.length === 0) throw new Error(`no origin of ${distributionId} sends ${headerName}`);
      for (const header of headers) header.HeaderValue = value;
      await cloudFront.send(new UpdateDistributionCommand({ Id: distributionId, IfMatch: ETag, DistributionConfig }));
    },
    deployed: () => distributionsDeployed(cloudFront, [distributionId]),
  };
}

/** What createSecret leaves of the function's time for the rest of its run. */
const RESERVED_SECONDS = 30;

export async function handler(
  event: SecretsManagerRotationEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<void> {
  if (!ORIGIN_SECRET_STEPS.includes(event.Step as OriginSecretStep)) throw new Error(`unknown step ${event.Step}`);
  const { RotationEnabled, VersionIdsToStages } = await secrets.send(
    new DescribeSecretCommand({ SecretId: event.SecretId }),
  );
  if (RotationEnabled !== true) throw new Error('rotation is not enabled on this secret');
  const stages = VersionIdsToStages?.[event.ClientRequestToken];
  if (stages === undefined && event.Step !== 'createSecret') throw new Error('unknown rotation token');
  if (stages?.includes('AWSCURRENT') && !stages.includes('AWSPENDING')) return; // done already
  // A JSON secret (MediaPackage CDN identifier) holds the header value under VALUE_JSON_KEY.
  const jsonKey = env.optional('VALUE_JSON_KEY');
  await rotateOriginSecretStep(event.Step as OriginSecretStep, event.ClientRequestToken, {
    store: storeFor(secrets, event.SecretId),
    sender: distributionSender(cloudFront, required('DISTRIBUTION_ID'), required('HEADER_NAME')),
    now: () => Math.floor(Date.now() / 1000),
    sleep: (seconds) => sleep(seconds * 1000),
    receiverRefreshSeconds: env.requiredInteger('RECEIVER_REFRESH_SECONDS', 0, 86400),
    order: env.oneOf<'send-then-promote' | 'promote-then-send'>({
      variable: 'ROTATION_ORDER',
      allowed: ['send-then-promote', 'promote-then-send'] as const,
      fallback: 'send-then-promote',
    }),
    // A rotation waits, within this invocation, for the last one's deployment (a few minutes).
    deploymentWaitSeconds: Math.max(
      0,
      Math.floor((context?.getRemainingTimeInMillis() ?? 0) / 1000) - RESERVED_SECONDS,
    ),
    ...(jsonKey === undefined
      ? {}
      : {
          newValue: () => JSON.stringify({ [jsonKey]: randomUUID() }),
          headerValueOf: (value: string) => {
            const parsed = JSON.parse(value) as Record<string, unknown>;
            const header = parsed[jsonKey];
            if (typeof header !== 'string' || header.length < 8) throw new Error(`the secret has no ${jsonKey} string`);
            return header;
          },
        }),
  });
}
