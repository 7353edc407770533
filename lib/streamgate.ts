/**
 * `Streamgate`: token-protected video streaming as one construct a team places in its own stack.
 * Media origin (or the team's bucket), signing keys that rotate themselves, revocation table,
 * MediaPackage (when configured), the distribution (or the team's), the edge deny-list, the
 * playback API and its alarms (to the team's topic, if it has one). Construct order follows the
 * data: the API's MEDIA_BASE_URL is the distribution's address, and the distribution's `/api/*`
 * behaviour is added once the API exists.
 *
 * A guest in someone else's app: no aspect, tag or rule pack on anything; its cdk-nag findings
 * are acknowledged on its own resources only (lib/nag.ts); no stack env of its own.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as iamResource from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { mediaKeyPrefixProblem } from '../lambda/core/media-paths';
import { ORIGIN_VERIFY_REFRESH_SECONDS } from '../lambda/core/origin-verify';
import { apiEnvironment } from './api-environment';
import { apiMethods } from '../lambda/core/api-routes';
import { CloudFrontAccessLogs } from './cloudfront-logs';
import { ConfigValidationError, type StreamgateConfig, validateConfig } from './config';
import { Delivery } from './delivery';
import { EdgeProtection } from './edge-protection';
import { EdgeRevocation } from './edge-revocation';
import { DeviceKeys } from './device-keys';
import { DEVICE_KEY_SECRET_ARN_VARIABLE } from '../lambda/core/access-layers-config';
import { MediaOrigin } from './media-origin';
import { EDGE_METRICS_REGION, edgeRefusalKinds, Monitoring } from './monitoring';
import { acknowledgeFindings } from './nag';
import { OriginSecretRotation } from './origin-secret-rotation';
import { Packaging } from './packaging';
import { LiveChannels } from './live';
import { ORIGIN_VERIFY_HEADER, PlaybackApi } from './playback-api';
import { SigningKeys } from './signing-keys';
import { StateTable } from './state-table';
import { configJsonOf, propNameOf, type StreamgateProps, StreamgateWebAcl } from './streamgate-props';

/** How long the CDN identifier rotation waits for MediaPackage to re-read the secret [unverified: not published]. */
const MEDIAPACKAGE_SECRET_REFRESH_SECONDS = 600;

/** Account and region the config schema asks for; the construct's stack decides the real ones. */
const SCHEMA_PLACEHOLDERS = { account: '000000000000', region: 'us-east-2' };

/** A prop the construct refuses, named as the props spell it (`grants.lifetime`). */
export class StreamgatePropsError extends Error {
  constructor(readonly issues: readonly { readonly prop: string; readonly problem: string }[]) {
    super(`invalid Streamgate props:\n${issues.map((i) => `  - ${i.prop}: ${i.problem}`).join('\n')}`);
    this.name = 'StreamgatePropsError';
  }
}

/** The validated settings of `props`, or StreamgatePropsError naming every bad prop. */
export function resolveSettings(props: StreamgateProps): StreamgateConfig {
  const issues: { prop: string; problem: string }[] = [];
  const keyPrefixProblem =
    props.media?.keyPrefix === undefined ? undefined : mediaKeyPrefixProblem(props.media.keyPrefix);
  if (keyPrefixProblem !== undefined) issues.push({ prop: 'media.keyPrefix', problem: keyPrefixProblem });
  let settings: StreamgateConfig | undefined;
  try {
    settings = validateConfig({ ...configJsonOf(props), ...SCHEMA_PLACEHOLDERS }, 'Streamgate props');
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    issues.push(...error.issues.map((issue) => ({ prop: propNameOf(issue.field), problem: issue.problem })));
  }
  if (settings === undefined || issues.length > 0) throw new StreamgatePropsError(issues);
  return settings;
}

/** Options for the repository's own tests. */
export interface StreamgateInternalOptions {
  /**
   * Folder of the API handlers (tests).
   * @default lambda/handlers
   */
  readonly handlersDir?: string;
}

export class Streamgate extends Construct {
  /** The validated settings everything here was built from. */
  readonly settings: StreamgateConfig;
  readonly table: StateTable;
  readonly media: MediaOrigin;
  readonly signingKeys: SigningKeys;
  readonly packaging?: Packaging;
  /** Clear live channels on MediaPackage v2 (config `live`), through OAC. */
  readonly live?: LiveChannels;
  readonly delivery: Delivery;
  /** The edge deny-list and its pipeline; absent when `edgeRevocation.enabled` is false. */
  readonly edgeRevocation?: EdgeRevocation;
  readonly api: PlaybackApi;
  /** Device binding's key ring and its rotation; absent when `deviceBinding.enabled` is false. */
  readonly deviceKeys?: DeviceKeys;
  readonly monitoring: Monitoring;
  readonly originSecretRotation: OriginSecretRotation;
  readonly cdnSecretRotation?: OriginSecretRotation;
  /** The WAF web ACL streamgate made (only in a us-east-1 stack without `webAcl`). */
  readonly edgeProtection?: EdgeProtection;
  /** CloudFront's standard logs (v2) when this stack is in us-east-1 (else a us-east-1 stack has them). */
  readonly accessLogs?: CloudFrontAccessLogs;

  constructor(scope: Construct, id: string, props: StreamgateProps, internal: StreamgateInternalOptions = {}) {
    super(scope, id);
    const config = resolveSettings(props);
    this.settings = config;
    const region = Stack.of(this).region;
    const inEdgeRegion = !Token.isUnresolved(region) && region === EDGE_METRICS_REGION;
    const webAcl = this.webAclOf(props, config, inEdgeRegion);

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
    this.media = new MediaOrigin(this, 'MediaOrigin', {
      logRetentionDays: config.logRetentionDays,
      bucket: props.media?.bucket,
      keyPrefix: props.media?.keyPrefix,
      logBucket: props.media?.logBucket,
    });
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
        spekeRole:
          props.packaging?.spekeRole ??
          iamResource.Role.fromRoleArn(this, 'SpekeRole', packaging.spekeRoleArn, { mutable: false }),
        presetVideo: packaging.presetVideo,
        presetAudio: packaging.presetAudio,
        spekeV1Url: packaging.mode === 'vod' ? packaging.spekeV1Url : undefined,
        sourceBucket: packaging.mode === 'vod' ? this.media.bucket : undefined,
      });
    }
    if (config.live.channels.length > 0) {
      this.live = new LiveChannels(this, 'Live', {
        channels: config.live.channels,
        existingEgressDomain: config.live.existingEgressDomain,
        startOverWindowSeconds: config.live.startOverWindowSeconds,
      });
    }
    const ownDistribution = props.distribution?.distribution;
    this.delivery = new Delivery(this, 'Delivery', {
      media: this.media,
      keyGroup: this.signingKeys.keyGroup,
      distribution: ownDistribution,
      publicDomainName: props.distribution?.publicDomainName,
      webAclArn: ownDistribution === undefined ? webAcl.webAclArn : undefined,
      geoRestriction: ownDistribution === undefined ? config.delivery.geoRestriction : undefined,
      domainNames: ownDistribution === undefined ? config.delivery.domainNames : undefined,
      certificate: props.distribution?.certificate,
      certificateArn: props.distribution?.certificate === undefined ? config.delivery.certificateArn : undefined,
      priceClass: ownDistribution === undefined ? config.delivery.priceClass : undefined,
      manifestTtlSeconds: config.delivery.manifestTtlSeconds,
      segmentTtlSeconds: config.delivery.segmentTtlSeconds,
      contentSecurityPolicy: config.delivery.contentSecurityPolicy,
      bindViewerIp: config.signing.bindViewerIp,
      drmOrigin: this.packaging?.origin(),
      liveOrigin: this.live?.origin(),
      originSecretsVersion: config.delivery.originSecretsVersion,
      denyList: this.edgeRevocation?.store,
      allowedOrigins: config.delivery.allowedOrigins,
      edgeSettings: {
        sites: config.domainRestriction.enabled ? config.domainRestriction.sites : null,
        missing: config.domainRestriction.missingHeaders,
        device: config.deviceBinding.enabled,
      },
    });
    // Device binding's keys live in the deny-list's store (the config requires edge revocation).
    if (config.deviceBinding.enabled && this.edgeRevocation !== undefined)
      this.deviceKeys = new DeviceKeys(this, 'DeviceKeys', {
        store: this.edgeRevocation.store,
        rotateAfterDays: config.deviceBinding.rotateAfterDays,
        logRetentionDays: config.logRetentionDays,
      });
    this.api = new PlaybackApi(this, 'Api', {
      table: this.table,
      signingKeys: this.signingKeys,
      environment: {
        ...apiEnvironment(config, this.delivery.baseUrl, this.media.pathPrefix),
        ...(this.deviceKeys === undefined
          ? {}
          : { [DEVICE_KEY_SECRET_ARN_VARIABLE]: this.deviceKeys.secret.secretArn }),
      },
      licenceTimeoutMs: config.drm.licenceTimeoutMs,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetentionDays: config.logRetentionDays,
      allowedOrigins: config.delivery.allowedOrigins,
      handlersDir: internal.handlersDir,
      licenceSecretArns: Object.values(config.drm.upstreams).flatMap((upstream) =>
        upstream?.secretArn !== undefined ? [upstream.secretArn] : [],
      ),
    });
    if (this.deviceKeys !== undefined) this.deviceKeys.secret.grantRead(this.api.functions.playback.role);
    this.delivery.addApi(this.api.origin());
    this.live?.allowDistribution(this.delivery.distribution);
    this.packaging?.allowDistribution(this.delivery.distribution);
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
    // VOD only: live (MediaPackage v2) is reached through OAC and has no CDN identifier.
    if (this.packaging?.cdnSecret !== undefined) {
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
      topic: props.alarms?.topic,
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
      webAclName: webAcl.webAclName,
      // In us-east-1 the WAF and CloudFront alarms join the others; elsewhere a us-east-1 stack has them.
      edgeAlarms: inEdgeRegion,
      edgeRefusals: {
        functionName: this.delivery.viewerRequestFunction.functionName,
        kinds: edgeRefusalKinds(config),
        retentionDays: config.logRetentionDays,
      },
    });

    // CloudFront standard logging v2: delivered from us-east-1 (here, or a us-east-1 stack's).
    this.media.allowLogDelivery(MediaOrigin.CLOUDFRONT_LOG_PREFIX, EDGE_METRICS_REGION);
    if (inEdgeRegion) {
      this.accessLogs = new CloudFrontAccessLogs(this, 'AccessLogs', {
        distributionId: this.delivery.distribution.distributionId,
        bucketArn: this.media.logBucket.bucketArn,
        prefix: MediaOrigin.CLOUDFRONT_LOG_PREFIX,
        name: config.name,
      });
    }
    this.signingKeys.keyAgeAlarm?.addAlarmAction(new SnsAction(this.monitoring.topic));
    acknowledgeFindings(this);
  }

  /** `https://<host>` viewers use for the page, media and API. */
  get baseUrl(): string {
    return this.delivery.baseUrl;
  }

  /**
   * The bucket policy statement CloudFront's Origin Access Control needs on the media bucket.
   * CDK adds it to a bucket defined in the same app; an imported bucket needs it added by hand.
   */
  get mediaBucketPolicyStatement(): iam.PolicyStatement {
    return this.media.originAccessStatement(this.delivery.distribution.distributionArn);
  }

  /** The web ACL in front of the distribution streamgate makes (none with the team's own). */
  private webAclOf(
    props: StreamgateProps,
    config: StreamgateConfig,
    inEdgeRegion: boolean,
  ): { webAclArn?: string; webAclName?: string } {
    if (props.distribution?.distribution !== undefined) {
      if (props.webAcl !== undefined)
        throw new StreamgatePropsError([
          { prop: 'webAcl', problem: "the team's own distribution keeps its own web ACL; set it there" },
        ]);
      return {};
    }
    const chosen = props.webAcl ?? (inEdgeRegion ? undefined : null);
    if (chosen === null) {
      throw new StreamgatePropsError([
        {
          prop: 'webAcl',
          problem:
            'is required outside us-east-1: CloudFront takes only us-east-1 web ACLs; pass StreamgateWebAcl.fromArn(...) (e.g. a StreamgateEdgeProtection in a us-east-1 stack) or StreamgateWebAcl.none()',
        },
      ]);
    }
    if (chosen instanceof StreamgateWebAcl) return { webAclArn: chosen.webAclArn, webAclName: chosen.webAclName };
    const protection = new EdgeProtection(this, 'EdgeProtection', {
      rateLimitPerIp: config.waf.rateLimitPerIp,
      apiRateLimitPerIp: config.waf.apiRateLimitPerIp,
      evaluationWindowSeconds: config.waf.evaluationWindowSeconds,
      apiMethods: apiMethods(config.delivery.allowedOrigins),
      name: config.name,
      logRetentionDays: config.logRetentionDays,
    });
    (this as { edgeProtection?: EdgeProtection }).edgeProtection = protection;
    return { webAclArn: protection.webAclArn, webAclName: protection.webAclName };
  }
}
