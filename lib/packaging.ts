/**
 * Packaging: AWS Elemental MediaPackage with SPEKE DRM, live (MediaPackage v2: channel group,
 * channel, origin endpoints) or VOD (v1: packaging group and configurations). DASH on CMAF
 * carries Widevine and PlayReady (CENC); HLS carries FairPlay. Only CloudFront may pull. Live (v2):
 * through Origin Access Control (SigV4; lib/mediapackagev2-oac.ts, as the clear live channels), the
 * endpoint policies naming this distribution. VOD (v1 has no OAC): CloudFront sends a CDN
 * identifier header whose value lives in Secrets Manager, and MediaPackage, reading that secret
 * through a role, answers 403 to anything else (CDN authorization).
 */
import { Fn, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as mediapackage from 'aws-cdk-lib/aws-mediapackage';
import * as mediapackagev2 from 'aws-cdk-lib/aws-mediapackagev2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { mediaPackageV2AccessControl, mediaPackageV2EndpointPolicy, mediaPackageV2Origin } from './mediapackagev2-oac';

/** DRM system ids (DASH-IF registry), as MediaPackage v1 SPEKE takes them. */
export const DRM_SYSTEM_IDS = {
  WIDEVINE: 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed',
  PLAYREADY: '9a04f079-9840-4286-ab92-e65be0885f95',
  FAIRPLAY: '94ce86fb-07ff-4f43-adb8-93d2fa968ca2',
} as const;

/** Prefix of VOD source assets in the source bucket that MediaPackage may read. */
export const VOD_SOURCE_PREFIX = 'vod-source/';

/** Header and secret JSON key of MediaPackage v1 CDN authorization (VOD; live uses OAC instead). */
const CDN_AUTH = {
  header: 'X-MediaPackage-CDNIdentifier',
  secretKey: 'MediaPackageCDNIdentifier',
} as const;

/** Service principal MediaPackage assumes roles as, per version. */
const SERVICE = { live: 'mediapackagev2.amazonaws.com', vod: 'mediapackage.amazonaws.com' } as const;

export interface PackagingProps {
  /** Live (MediaPackage v2) or VOD (MediaPackage v1). */
  readonly mode: 'live' | 'vod';
  /** SPEKE v2.0 key provider URL (https): live, and VOD's DASH. */
  readonly spekeUrl: string;
  /**
   * VOD only, required there: SPEKE v1.0 key provider URL (https). MediaPackage v1 packages HLS
   * (FairPlay) with the v1 contract, whatever `spekeUrl` speaks.
   */
  readonly spekeV1Url?: string;
  /** Role MediaPackage assumes to call the key provider. */
  readonly spekeRole: iam.IRole;
  /** Prefix of MediaPackage resource names; letters, digits, `-` and `_`. */
  readonly name: string;
  /**
   * SPEKE v2 video encryption preset (`PRESET-VIDEO-1` or `PRESET_VIDEO_1`; spelled per API).
   * @default 'PRESET-VIDEO-1'
   */
  readonly presetVideo?: string;
  /**
   * SPEKE v2 audio encryption preset (`PRESET-AUDIO-1` or `PRESET_AUDIO_1`; spelled per API).
   * @default 'PRESET-AUDIO-1'
   */
  readonly presetAudio?: string;
  /**
   * VOD only: bucket MediaPackage ingests source assets from (objects under `vod-source/`).
   * @default - no ingest role
   */
  readonly sourceBucket?: s3.IBucket;
}

export class Packaging extends Construct {
  /** VOD only: JSON `{"MediaPackageCDNIdentifier": "<value>"}`; CloudFront sends the value, MediaPackage checks it. */
  readonly cdnSecret?: secretsmanager.Secret;
  /** VOD only: role MediaPackage assumes to read `cdnSecret`. */
  readonly secretsRole?: iam.Role;
  /** Live only: how CloudFront signs its requests to the endpoints. */
  readonly originAccessControl?: cloudfront.IOriginAccessControl;
  /** Role to pass as the source role of `create-asset` (VOD with a source bucket). */
  readonly ingestRole?: iam.Role;
  /** MediaPackage egress host name. */
  readonly originDomainName: string;
  /** Live only: the endpoints, by construct id prefix (`Dash`, `Hls`). */
  private readonly liveEndpoints = new Map<string, mediapackagev2.CfnOriginEndpoint>();
  private readonly mode: PackagingProps['mode'];

  constructor(scope: Construct, id: string, props: PackagingProps) {
    super(scope, id);
    for (const [prop, url] of [
      ['spekeUrl', props.spekeUrl],
      ['spekeV1Url', props.spekeV1Url],
    ] as const) {
      if (url !== undefined && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(url))
        throw new Error(`Packaging: ${prop} must be an https URL, got "${url}"`);
    }
    if (props.mode === 'live' && props.spekeV1Url !== undefined)
      throw new Error('Packaging: spekeV1Url applies to mode "vod" only (live speaks SPEKE v2.0)');
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(props.name))
      throw new Error(`Packaging: name must be 1-40 letters, digits, "-" or "_", got "${props.name}"`);
    if (props.sourceBucket !== undefined && props.mode !== 'vod')
      throw new Error('Packaging: sourceBucket applies to mode "vod" only');
    if (props.presetVideo !== undefined && !/^(PRESET[-_]VIDEO[-_][1-8]|SHARED|UNENCRYPTED)$/.test(props.presetVideo)) {
      throw new Error(
        `Packaging: presetVideo must be PRESET-VIDEO-1..8, SHARED or UNENCRYPTED, got "${props.presetVideo}"`,
      );
    }
    if (props.presetAudio !== undefined && !/^(PRESET[-_]AUDIO[-_][1-3]|SHARED|UNENCRYPTED)$/.test(props.presetAudio)) {
      throw new Error(
        `Packaging: presetAudio must be PRESET-AUDIO-1..3, SHARED or UNENCRYPTED, got "${props.presetAudio}"`,
      );
    }

    this.mode = props.mode;
    // MediaPackage assumes the roles; only on behalf of this account (confused-deputy guard).
    const mediaPackage = (): iam.ServicePrincipal =>
      new iam.ServicePrincipal(SERVICE[props.mode], {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      });
    if (props.mode === 'vod') {
      this.cdnSecret = new secretsmanager.Secret(this, 'CdnIdentifier', {
        description: `streamgate: value CloudFront sends in ${CDN_AUTH.header}; MediaPackage serves only requests carrying it`,
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: CDN_AUTH.secretKey,
          passwordLength: 36,
          excludePunctuation: true,
        },
      });
      this.secretsRole = new iam.Role(this, 'CdnAuthRole', {
        description: 'streamgate: lets MediaPackage read the CDN identifier secret',
        assumedBy: mediaPackage(),
      });
      this.cdnSecret.grantRead(this.secretsRole);
      // MediaPackage's documented policy also lists the secret's versions (it accepts the previous one during rotation).
      iam.Grant.addToPrincipal({
        grantee: this.secretsRole,
        actions: ['secretsmanager:ListSecretVersionIds'],
        resourceArns: [this.cdnSecret.secretArn],
      });
    } else {
      this.originAccessControl = mediaPackageV2AccessControl(
        this,
        'OriginAccessControl',
        'streamgate: CloudFront signs its requests to the MediaPackage v2 DRM live endpoints (SigV4)',
      );
    }

    // The two APIs spell presets differently: v1 `PRESET-VIDEO-1`, v2 `PRESET_VIDEO_1`.
    const spell = (preset: string): string =>
      props.mode === 'live' ? preset.replace(/-/g, '_') : preset.replace(/_/g, '-');
    const speke = {
      url: props.spekeUrl,
      roleArn: props.spekeRole.roleArn,
      encryptionContractConfiguration: {
        presetSpeke20Video: spell(props.presetVideo ?? 'PRESET-VIDEO-1'),
        presetSpeke20Audio: spell(props.presetAudio ?? 'PRESET-AUDIO-1'),
      },
    };
    if (props.mode === 'live') {
      this.originDomainName = this.live(props.name, speke);
    } else {
      if (props.spekeV1Url === undefined)
        throw new Error('Packaging: spekeV1Url is required with mode "vod" (VOD\'s HLS speaks SPEKE v1.0)');
      this.originDomainName = this.vod(
        props.name,
        speke,
        props.spekeV1Url,
        this.cdnSecret as secretsmanager.Secret,
        this.secretsRole as iam.Role,
      );
      if (props.sourceBucket !== undefined) {
        this.ingestRole = new iam.Role(this, 'IngestRole', {
          description: 'streamgate: lets MediaPackage VOD read source assets',
          assumedBy: mediaPackage(),
        });
        // What MediaPackage documents for VOD ingest, narrower than grantRead (no List*, no GetBucket*).
        iam.Grant.addToPrincipal({
          grantee: this.ingestRole,
          actions: ['s3:GetObject'],
          resourceArns: [props.sourceBucket.arnForObjects(`${VOD_SOURCE_PREFIX}*`)],
        });
        iam.Grant.addToPrincipal({
          grantee: this.ingestRole,
          actions: ['s3:GetBucketLocation', 's3:GetBucketRequestPayment'],
          resourceArns: [props.sourceBucket.bucketArn],
        });
      }
    }
  }

  /**
   * MediaPackage as a CloudFront origin: live signed by OAC (no header; the viewer-request function
   * rewrites `/drm/` to `/out/v1/`), VOD with the CDN identifier header (a deploy-time dynamic reference).
   */
  origin(): cloudfront.IOrigin {
    if (this.originAccessControl !== undefined)
      return mediaPackageV2Origin(this.originDomainName, this.originAccessControl);
    return new origins.HttpOrigin(this.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      customHeaders: {
        [CDN_AUTH.header]: (this.cdnSecret as secretsmanager.Secret)
          .secretValueFromJson(CDN_AUTH.secretKey)
          .unsafeUnwrap(),
      },
    });
  }

  /**
   * Live: lets `distribution` (and nothing else) read the endpoints, one policy per endpoint. Called
   * once the distribution exists (it names the egress domain; the policies name it). VOD: nothing.
   */
  allowDistribution(distribution: cloudfront.IDistribution): void {
    if (this.mode !== 'live') return;
    for (const [id, endpoint] of this.liveEndpoints) {
      const policy = new mediapackagev2.CfnOriginEndpointPolicy(this, `${id}EndpointPolicy`, {
        channelGroupName: endpoint.channelGroupName,
        channelName: endpoint.channelName,
        originEndpointName: endpoint.originEndpointName,
        policy: mediaPackageV2EndpointPolicy(this, distribution, endpoint.attrArn).toJSON(),
      });
      policy.node.addDependency(endpoint);
    }
  }

  /** Key of the CDN identifier in `cdnSecret`'s JSON (VOD). */
  get cdnSecretKey(): string {
    return CDN_AUTH.secretKey;
  }

  /** Header CloudFront sends to MediaPackage v1 (VOD): `X-MediaPackage-CDNIdentifier`. */
  get cdnHeaderName(): string {
    return CDN_AUTH.header;
  }

  /** v2: one channel, a DASH/CMAF endpoint (CENC: Widevine + PlayReady) and an HLS/CMAF one (CBCS: FairPlay). */
  private live(name: string, speke: SpekeSettings): string {
    const channelGroupName = `${name}-group`;
    const channelName = `${name}-live`;
    const group = new mediapackagev2.CfnChannelGroup(this, 'ChannelGroup', {
      channelGroupName,
      description: 'streamgate live',
    });
    const channel = new mediapackagev2.CfnChannel(this, 'Channel', {
      channelGroupName,
      channelName,
      description: 'streamgate live channel',
    });
    channel.node.addDependency(group);

    const endpoints = [
      {
        id: 'Dash',
        originEndpointName: 'dash',
        method: { cmafEncryptionMethod: 'CENC' },
        drmSystems: ['WIDEVINE', 'PLAYREADY'],
        manifests: { dashManifests: [{ manifestName: 'index', segmentTemplateFormat: 'NUMBER_WITH_TIMELINE' }] },
      },
      {
        id: 'Hls',
        originEndpointName: 'hls',
        method: { cmafEncryptionMethod: 'CBCS' },
        drmSystems: ['FAIRPLAY'],
        manifests: { hlsManifests: [{ manifestName: 'index' }] },
      },
    ];
    for (const spec of endpoints) {
      const endpoint = new mediapackagev2.CfnOriginEndpoint(this, `${spec.id}Endpoint`, {
        channelGroupName,
        channelName,
        originEndpointName: spec.originEndpointName,
        containerType: 'CMAF',
        segment: {
          encryption: {
            encryptionMethod: spec.method,
            spekeKeyProvider: {
              ...speke,
              drmSystems: spec.drmSystems,
              // Distinct content ids: CENC and CBCS must not share content keys.
              resourceId: `${channelName}-${spec.originEndpointName}`,
            },
          },
        },
        ...spec.manifests,
      });
      endpoint.node.addDependency(channel);
      this.liveEndpoints.set(spec.id, endpoint);
    }
    return group.attrEgressDomain;
  }

  /** v1 VOD: a packaging group with CDN authorization, a DASH configuration (Widevine + PlayReady) and an HLS one (FairPlay). */
  private vod(
    name: string,
    speke: SpekeSettings,
    spekeV1Url: string,
    cdnSecret: secretsmanager.Secret,
    secretsRole: iam.Role,
  ): string {
    const group = new mediapackage.CfnPackagingGroup(this, 'PackagingGroup', {
      id: `${name}-vod`,
      authorization: { cdnIdentifierSecret: cdnSecret.secretArn, secretsRoleArn: secretsRole.roleArn },
    });
    // MediaPackage checks at creation that the role may read the secret: the role's policy first.
    group.node.addDependency(secretsRole);
    new mediapackage.CfnPackagingConfiguration(this, 'DashConfiguration', {
      id: `${name}-dash`,
      packagingGroupId: group.ref,
      dashPackage: {
        dashManifests: [{ manifestName: 'index' }],
        segmentTemplateFormat: 'NUMBER_WITH_TIMELINE',
        encryption: {
          spekeKeyProvider: { ...speke, systemIds: [DRM_SYSTEM_IDS.WIDEVINE, DRM_SYSTEM_IDS.PLAYREADY] },
        },
      },
    });
    new mediapackage.CfnPackagingConfiguration(this, 'HlsConfiguration', {
      id: `${name}-hls`,
      packagingGroupId: group.ref,
      hlsPackage: {
        hlsManifests: [{ manifestName: 'index' }],
        encryption: {
          encryptionMethod: 'SAMPLE_AES',
          // MediaPackage v1 takes SPEKE v2.0 presets for DASH only: HLS speaks SPEKE v1.0, to its own endpoint.
          spekeKeyProvider: { url: spekeV1Url, roleArn: speke.roleArn, systemIds: [DRM_SYSTEM_IDS.FAIRPLAY] },
        },
      },
    });
    // DomainName is documented as a URL (https://<host>); keep the host whether or not the scheme is there.
    return Fn.select(0, Fn.split('/', Fn.join('', Fn.split('https://', group.attrDomainName))));
  }
}

interface SpekeSettings {
  url: string;
  roleArn: string;
  encryptionContractConfiguration: { presetSpeke20Video: string; presetSpeke20Audio: string };
}
