/**
 * The main stack, in the configured region: media origin, signing keys, revocation table,
 * MediaPackage (when configured), the distribution and the playback API, wired from the deploy
 * config. Construct order follows the data: the API's MEDIA_BASE_URL is the distribution's
 * address, and the distribution's `/api/*` behaviour is added once the API exists.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { apiEnvironment } from './api-environment';
import type { StreamgateConfig } from './config';
import { CloudFrontAccessLogs } from './cloudfront-logs';
import { Delivery } from './delivery';
import { EdgeRevocation } from './edge-revocation';
import { MediaOrigin } from './media-origin';
import { EDGE_METRICS_REGION, Monitoring } from './monitoring';
import { Packaging } from './packaging';
import { OriginSecretRotation } from './origin-secret-rotation';
import { ORIGIN_VERIFY_HEADER, PlaybackApi } from './playback-api';
import { ORIGIN_VERIFY_REFRESH_SECONDS } from '../lambda/core/origin-verify';
import { StateTable } from './state-table';
import { SigningKeys } from './signing-keys';

/** How long the CDN identifier rotation waits for MediaPackage to re-read the secret [unverified: not published]. */
const MEDIAPACKAGE_SECRET_REFRESH_SECONDS = 600;

export interface StreamgateStackProps extends StackProps {
  /** The validated deploy config. */
  readonly config: StreamgateConfig;
  /** ARN of the CLOUDFRONT-scope web ACL (EdgeStack). */
  readonly webAclArn: string;
  /** Name of the same web ACL (the dimension of its metrics). */
  readonly webAclName: string;
  /**
   * Folder of the API handlers.
   * @default lambda/handlers
   */
  readonly handlersDir?: string;
}

export class StreamgateStack extends Stack {
  readonly table: StateTable;
  readonly media: MediaOrigin;
  readonly signingKeys: SigningKeys;
  readonly packaging?: Packaging;
  readonly delivery: Delivery;
  /** The edge deny-list and its pipeline; absent when `edgeRevocation.enabled` is false. */
  readonly edgeRevocation?: EdgeRevocation;
  readonly api: PlaybackApi;
  readonly monitoring: Monitoring;
  readonly originSecretRotation: OriginSecretRotation;
  readonly cdnSecretRotation?: OriginSecretRotation;
  /** CloudFront's standard logs (v2) when this stack is in us-east-1 (else EdgeAlarmsStack has them). */
  readonly accessLogs?: CloudFrontAccessLogs;

  constructor(scope: Construct, id: string, props: StreamgateStackProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      env: { account: config.account, region: config.region },
      crossRegionReferences: true,
    });

    const edgeRevocation = config.edgeRevocation.enabled;
    this.table = new StateTable(this, 'Revocations', { stream: edgeRevocation });
    if (edgeRevocation) {
      this.edgeRevocation = new EdgeRevocation(this, 'EdgeRevocation', {
        table: this.table,
        clockToleranceSeconds: config.jwt.clockToleranceSeconds,
        sweepIntervalMinutes: config.edgeRevocation.sweepIntervalMinutes,
        logRetentionDays: config.logRetentionDays,
      });
    }
    this.media = new MediaOrigin(this, 'MediaOrigin', { logRetentionDays: config.logRetentionDays });
    this.signingKeys = new SigningKeys(this, 'SigningKeys', {
      algorithm: config.signing.keyAlgorithm,
      logRetentionDays: config.logRetentionDays,
    });
    const packaging = config.packaging;
    if (packaging.mode !== 'none') {
      this.packaging = new Packaging(this, 'Packaging', {
        mode: packaging.mode,
        name: config.name,
        spekeUrl: packaging.spekeUrl,
        spekeV1Url: packaging.mode === 'vod' ? packaging.spekeV1Url : undefined,
        spekeRole: iam.Role.fromRoleArn(this, 'SpekeRole', packaging.spekeRoleArn, { mutable: false }),
        presetVideo: packaging.presetVideo,
        presetAudio: packaging.presetAudio,
        sourceBucket: packaging.mode === 'vod' ? this.media.bucket : undefined,
      });
    }
    this.delivery = new Delivery(this, 'Delivery', {
      media: this.media,
      keyGroup: this.signingKeys.keyGroup,
      webAclArn: props.webAclArn,
      geoRestriction: config.delivery.geoRestriction,
      domainNames: config.delivery.domainNames,
      certificateArn: config.delivery.certificateArn,
      priceClass: config.delivery.priceClass,
      manifestTtlSeconds: config.delivery.manifestTtlSeconds,
      segmentTtlSeconds: config.delivery.segmentTtlSeconds,
      contentSecurityPolicy: config.delivery.contentSecurityPolicy,
      bindViewerIp: config.signing.bindViewerIp,
      drmOrigin: this.packaging?.origin(),
      originSecretsVersion: config.delivery.originSecretsVersion,
      denyList: this.edgeRevocation?.store,
    });
    this.api = new PlaybackApi(this, 'Api', {
      table: this.table,
      signingKeys: this.signingKeys,
      environment: apiEnvironment(config, this.delivery.baseUrl),
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetentionDays: config.logRetentionDays,
      handlersDir: props.handlersDir,
      licenceTimeoutMs: config.drm.licenceTimeoutMs,
      licenceSecretArns: Object.values(config.drm.upstreams).flatMap((upstream) =>
        upstream?.secretArn !== undefined ? [upstream.secretArn] : [],
      ),
    });
    this.delivery.addApi(this.api.origin());
    this.signingKeys.addRotation({
      distributionIds: [this.delivery.distribution.distributionId],
      rotateAfterDays: config.signing.rotateAfterDays,
      checkEveryMinutes: config.signing.rotationCheckMinutes,
      signedTtlSeconds: config.signing.ttlSeconds,
      keyRefreshSeconds: config.signing.keyRefreshSeconds,
      clockToleranceSeconds: config.jwt.clockToleranceSeconds,
      alarmName: `${config.name}-signing-key-age`,
    });
    this.originSecretRotation = new OriginSecretRotation(this, 'OriginVerifyRotation', {
      secret: this.api.originVerifySecret,
      headerName: ORIGIN_VERIFY_HEADER,
      distributionId: this.delivery.distribution.distributionId,
      rotateAfterDays: config.delivery.originSecretRotationDays,
      receiverRefreshSeconds: ORIGIN_VERIFY_REFRESH_SECONDS,
      logRetentionDays: config.logRetentionDays,
    });
    if (this.packaging !== undefined) {
      this.cdnSecretRotation = new OriginSecretRotation(this, 'CdnIdentifierRotation', {
        secret: this.packaging.cdnSecret,
        headerName: this.packaging.cdnHeaderName,
        distributionId: this.delivery.distribution.distributionId,
        rotateAfterDays: config.delivery.originSecretRotationDays,
        // MediaPackage accepts AWSCURRENT and AWSPREVIOUS; its re-read period is not published.
        receiverRefreshSeconds: MEDIAPACKAGE_SECRET_REFRESH_SECONDS,
        order: 'promote-then-send',
        valueJsonKey: this.packaging.cdnSecretKey,
        logRetentionDays: config.logRetentionDays,
      });
    }
    // CloudFormation replaces the authorizer's containers (they re-read the origin-verify secret,
    // current and previous value) before the distribution starts sending a rotated value: a
    // refusal of the new value would be cached by API Gateway for the authorizer's whole TTL.
    this.delivery.distribution.node.addDependency(this.api.originAuthorizer.function);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      name: config.name,
      alarmEmail: config.monitoring.alarmEmail,
      alarms: config.monitoring.alarms,
      functions: {
        ...Object.fromEntries(Object.entries(this.api.functions).map(([operation, fn]) => [operation, fn.function])),
        // Its errors are refusals of every request (the secret cannot be read): they page too.
        'origin-authorizer': this.api.originAuthorizer.function,
        // A failing rotation run shows here at once; the key-age alarm catches a slow stall.
        ...(this.signingKeys.rotator === undefined ? {} : { 'key-rotator': this.signingKeys.rotator.function }),
        'origin-rotator': this.originSecretRotation.rotator.function,
        ...(this.cdnSecretRotation === undefined ? {} : { 'cdn-rotator': this.cdnSecretRotation.rotator.function }),
        ...(this.edgeRevocation !== undefined
          ? {
              // A failing stream consumer delays edge revocation; a failing sweeper lets the store fill.
              'deny-list-stream': this.edgeRevocation.streamConsumer.function,
              'deny-list-sweeper': this.edgeRevocation.sweeper.function,
            }
          : {}),
      },
      edgeRevocation:
        this.edgeRevocation === undefined
          ? undefined
          : {
              streamConsumer: this.edgeRevocation.streamConsumer.function,
              failedRecords: this.edgeRevocation.failedRecords,
            },
      apiStage: this.api.stage,
      table: this.table.table,
      distributionId: this.delivery.distribution.distributionId,
      webAclName: props.webAclName,
      // In us-east-1 the WAF and CloudFront alarms join the others; elsewhere EdgeAlarmsStack has them.
      edgeAlarms: config.region === EDGE_METRICS_REGION,
    });

    // CloudFront standard logging v2: delivered from us-east-1 (here, or the edge alarms stack).
    this.media.allowLogDelivery(MediaOrigin.CLOUDFRONT_LOG_PREFIX, EDGE_METRICS_REGION);
    if (config.region === EDGE_METRICS_REGION) {
      this.accessLogs = new CloudFrontAccessLogs(this, 'AccessLogs', {
        distributionId: this.delivery.distribution.distributionId,
        bucketArn: this.media.logBucket.bucketArn,
        prefix: MediaOrigin.CLOUDFRONT_LOG_PREFIX,
        name: config.name,
      });
    }
    this.signingKeys.keyAgeAlarm?.addAlarmAction(new SnsAction(this.monitoring.topic));

    new CfnOutput(this, 'BaseUrl', { value: this.delivery.baseUrl, description: 'Player page, media and API' });
    new CfnOutput(this, 'DistributionDomainName', { value: this.delivery.distribution.distributionDomainName });
    new CfnOutput(this, 'DistributionId', { value: this.delivery.distribution.distributionId });
    new CfnOutput(this, 'MediaBucketName', {
      value: this.media.bucket.bucketName,
      description: 'Upload web/ and media/<videoId>/ here',
    });
    new CfnOutput(this, 'KeyGroupId', {
      value: this.signingKeys.keyGroup.keyGroupId,
      description: 'Signing keys trusted by CloudFront (members managed by the rotation)',
    });
    new CfnOutput(this, 'SigningKeyRotatorName', {
      value: this.signingKeys.rotator?.function.functionName ?? '',
      description: 'Invoke with {"force": true} to rotate the signing key now',
    });
    new CfnOutput(this, 'RevocationTableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: `Alarms of ${config.region}; subscribe more endpoints here`,
    });
    if (this.edgeRevocation !== undefined) {
      new CfnOutput(this, 'EdgeDenyListArn', {
        value: this.edgeRevocation.store.keyValueStoreArn,
        description: 'KeyValueStore the viewer-request function reads (revoked grants)',
      });
      new CfnOutput(this, 'EdgeDenyListFailedRecordsQueueUrl', {
        value: this.edgeRevocation.failedRecords.queueUrl,
        description: 'Stream batches the deny-list could not write (see docs/operations.md)',
      });
    }
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    if (this.packaging?.ingestRole !== undefined) {
      new CfnOutput(this, 'VodIngestRoleArn', {
        value: this.packaging.ingestRole.roleArn,
        description: 'Source role for mediapackage-vod create-asset',
      });
    }
  }
}
