/**
 * The repository's deploy config file, read into `Streamgate` props: what the example app in
 * bin/ does, and what a team moving from the config file to its own CDK app writes by hand. The
 * mapping is lossless (test/infra/streamgate-props.test.ts: props → settings gives back the file).
 */
import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StreamgateConfig } from './config';
import { StreamgateGeoRestriction, type StreamgateProps } from './streamgate-props';

/** Props standing for `config` (its account and region are the stack's); resources imported into `scope`. */
export function propsFromConfig(scope: Construct, config: StreamgateConfig): StreamgateProps {
  const { jwt, entitlement, signing, delivery, api, abuse, waf, edgeRevocation, packaging, drm, monitoring } = config;
  const geo = delivery.geoRestriction;
  return {
    name: config.name,
    deployment: config.deployment,
    identity: {
      issuer: jwt.issuer,
      audience: jwt.audience,
      clientId: jwt.clientId === undefined ? undefined : [...jwt.clientId],
      clientIdClaim: jwt.clientIdClaim,
      tokenUse: jwt.tokenUse,
      tokenType: jwt.tokenType,
      requireJti: jwt.requireJti,
      jwksUrl: jwt.jwksUrl,
      algorithms: [...jwt.algorithms],
      clockTolerance: Duration.seconds(jwt.clockToleranceSeconds),
      maxTokenLifetime: Duration.seconds(jwt.maxLifetimeSeconds),
    },
    entitlement: {
      ...entitlement,
      scopeClaim: [...entitlement.scopeClaim],
      plans: structuredClone(entitlement.plans) as NonNullable<StreamgateProps['entitlement']>['plans'],
    },
    grants: {
      lifetime: Duration.seconds(signing.ttlSeconds),
      hashAlgorithm: signing.hashAlgorithm,
      bindViewerIp: signing.bindViewerIp,
      cookieDomain: signing.cookieDomain,
      keyAlgorithm: signing.keyAlgorithm,
      keyRotationAge: Duration.days(signing.rotateAfterDays),
      keyRotationCheckInterval: Duration.minutes(signing.rotationCheckMinutes),
      keyRefreshInterval: Duration.seconds(signing.keyRefreshSeconds),
    },
    media: {
      manifestName: delivery.manifestName,
      manifestTtl: Duration.seconds(delivery.manifestTtlSeconds),
      segmentTtl: Duration.seconds(delivery.segmentTtlSeconds),
    },
    distribution: {
      domainNames: [...delivery.domainNames],
      certificate:
        delivery.certificateArn === undefined
          ? undefined
          : acm.Certificate.fromCertificateArn(scope, 'Certificate', delivery.certificateArn),
      priceClass: delivery.priceClass as cloudfront.PriceClass,
      geoRestriction:
        geo.type === 'none'
          ? StreamgateGeoRestriction.none()
          : geo.type === 'allow'
            ? StreamgateGeoRestriction.allow(...geo.countries)
            : StreamgateGeoRestriction.deny(...geo.countries),
      contentSecurityPolicy: delivery.contentSecurityPolicy,
      originSecretsVersion: delivery.originSecretsVersion,
      originSecretRotationInterval: Duration.days(delivery.originSecretRotationDays),
      allowedOrigins: [...delivery.allowedOrigins],
    },
    api: { ...api },
    abuse: {
      sharingMaxNetworks: abuse.sharingMaxNetworks,
      sharingMaxCountries: abuse.sharingMaxCountries,
      sharingAction: abuse.sharingAction,
      maxConcurrentStreams: abuse.maxConcurrentStreams,
      rateLimitPerWindow: abuse.rateLimitPerWindow,
      rateWindow: Duration.seconds(abuse.rateWindowSeconds),
      streamLimitPolicy: abuse.streamLimitPolicy,
      maxSessionsPerHour: abuse.maxSessionsPerHour,
      maxGrantsPerBucket: abuse.maxGrantsPerBucket,
    },
    waf: {
      rateLimitPerIp: waf.rateLimitPerIp,
      apiRateLimitPerIp: waf.apiRateLimitPerIp,
      evaluationWindow: Duration.seconds(waf.evaluationWindowSeconds),
    },
    domainRestriction: config.domainRestriction,
    deviceBinding: {
      enabled: config.deviceBinding.enabled,
      rotationInterval: Duration.days(config.deviceBinding.rotateAfterDays),
    },
    edgeRevocation: {
      enabled: edgeRevocation.enabled,
      sweepInterval: Duration.minutes(edgeRevocation.sweepIntervalMinutes),
    },
    packaging:
      packaging.mode === 'none'
        ? { mode: 'none' }
        : {
            mode: packaging.mode,
            spekeUrl: packaging.spekeUrl,
            spekeV1Url: packaging.mode === 'vod' ? packaging.spekeV1Url : undefined,
            spekeRole: iam.Role.fromRoleArn(scope, 'SpekeRole', packaging.spekeRoleArn, { mutable: false }),
            presetVideo: packaging.presetVideo,
            presetAudio: packaging.presetAudio,
          },
    drm: {
      catalog: structuredClone(drm.catalog) as NonNullable<StreamgateProps['drm']>['catalog'],
      upstreams: structuredClone(drm.upstreams) as NonNullable<StreamgateProps['drm']>['upstreams'],
      licenceTimeout: Duration.millis(drm.licenceTimeoutMs),
      licenceMaxBodyBytes: drm.licenceMaxBodyBytes,
    },
    ...(config.live.channels.length > 0 || config.live.existingEgressDomain !== undefined
      ? {
          live: {
            channels: config.live.channels.map((channel) => ({ ...channel })),
            existingEgressDomain: config.live.existingEgressDomain,
            startOverWindow: Duration.seconds(config.live.startOverWindowSeconds),
          },
        }
      : {}),
    alarms: { email: monitoring.alarmEmail, thresholds: monitoring.alarms },
    logRetention: config.logRetentionDays as logs.RetentionDays,
  };
}
