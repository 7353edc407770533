/**
 * The `Streamgate` construct's props, in aws-cdk-lib's style: `Duration` for times, `I*`
 * interfaces for resources a team may already have, every optional prop with its `@default`.
 *
 * The settings behind them are validated by the same schemas as the deploy config file
 * (lib/config.ts), so a construct and a config file accept exactly the same values; a refused
 * value is reported under the prop's name (`grants.lifetime`), not the file's field.
 */
import { type Duration, Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { SharingAction, StreamLimitPolicy } from '../lambda/core/abuse-defaults';
import type { CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import type { AlarmOverrides } from './monitoring';

/** Who may play: the identity provider whose bearer JWTs the API accepts. */
export interface IdentityOptions {
  /** The `iss` every token must carry, exactly. */
  readonly issuer: string;
  /**
   * The `aud` every token must carry.
   * @default - none: then `clientId` and `tokenUse` are required (Amazon Cognito access tokens carry no `aud`)
   */
  readonly audience?: string;
  /**
   * The client id(s) the token's `clientIdClaim` must equal (Cognito: the app clients' ids).
   * @default - not checked
   */
  readonly clientId?: string[];
  /**
   * Claim holding the client id.
   * @default 'client_id'
   */
  readonly clientIdClaim?: string;
  /**
   * Value the `token_use` claim must have (Cognito: `access`, which refuses ID tokens).
   * @default - not checked
   */
  readonly tokenUse?: string;
  /**
   * Value the header `typ` must have (RFC 9068 access tokens: `at+jwt`).
   * @default - not checked
   */
  readonly tokenType?: string;
  /**
   * Refuse tokens without `jti` (false: such a token is revoked by an id derived from its content).
   * @default true
   */
  readonly requireJti?: boolean;
  /** Where the IdP publishes its signing keys (JWKS), over HTTPS. */
  readonly jwksUrl: string;
  /**
   * Signature algorithms accepted; asymmetric only (`none` and HMAC are never accepted).
   * @default ['RS256', 'ES256']
   */
  readonly algorithms?: string[];
  /**
   * Clock skew tolerated on `exp`, `nbf` and `iat`.
   * @default Duration.seconds(30)
   */
  readonly clockTolerance?: Duration;
  /**
   * Longest token lifetime (`exp` − `iat`) accepted.
   * @default Duration.hours(1)
   */
  readonly maxTokenLifetime?: Duration;
}

/** Which claims entitle a viewer. */
export interface EntitlementOptions {
  /**
   * Claim(s) holding the token's scopes; several count together (Entra ID: `['scp', 'roles']`).
   * @default ['scope']
   */
  readonly scopeClaim?: string[];
  /**
   * Claim listing the videos the viewer may play (ids or `*`).
   * @default 'videos'
   */
  readonly videosClaim?: string;
  /**
   * Refuse tokens without the videos claim (false: such tokens may play every video).
   * @default true
   */
  readonly requireVideosClaim?: boolean;
  /**
   * Scope a viewer's token needs to play.
   * @default 'stream:play'
   */
  readonly playScope?: string;
  /**
   * Scope an operator's token needs for revocations.
   * @default 'streamgate:admin'
   */
  readonly adminScope?: string;
  /**
   * Refuse tokens without the play scope (false only for an IdP that issues no scopes).
   * @default true
   */
  readonly requirePlayScope?: boolean;
  /**
   * Claim naming the token's plan(s).
   * @default 'plan'
   */
  readonly planClaim?: string;
  /**
   * Named plans: which videos (ids, `prefix-*`, `*`) and how many concurrent streams.
   * @default - none
   */
  readonly plans?: Record<string, { videos: string[]; maxStreams?: number }>;
  /**
   * Plan of a token that names no known plan and carries no videos claim.
   * @default - none
   */
  readonly defaultPlan?: string;
  /**
   * Claim giving a user's own stream limit, capped at `streamLimitClaimMax`.
   * @default - none
   */
  readonly streamLimitClaim?: string;
  /**
   * Highest stream limit the `streamLimitClaim` may grant.
   * @default 10
   */
  readonly streamLimitClaimMax?: number;
}

/** The CloudFront grants the API signs. */
export interface GrantOptions {
  /**
   * How long one grant (signed cookies or URL) is valid; players refresh before it ends.
   * @default Duration.minutes(5)
   */
  readonly lifetime?: Duration;
  /**
   * Hash CloudFront checks the signature with.
   * @default 'SHA256'
   */
  readonly hashAlgorithm?: 'SHA1' | 'SHA256';
  /**
   * Bind each grant to the viewer's IPv4 address (turns the distribution's IPv6 off).
   * @default false
   */
  readonly bindViewerIp?: boolean;
  /**
   * Domain attribute of the signed cookies.
   * @default - host-only cookies
   */
  readonly cookieDomain?: string;
  /**
   * Type of the signing keys the account generates and rotates.
   * @default 'RSA_2048'
   */
  readonly keyAlgorithm?: CloudFrontKeyAlgorithm;
  /**
   * Age at which the signing key is rotated.
   * @default Duration.days(30)
   */
  readonly keyRotationAge?: Duration;
  /**
   * How often the rotation checks the key's age and the distribution's status.
   * @default Duration.minutes(10)
   */
  readonly keyRotationCheckInterval?: Duration;
  /**
   * How long a signer keeps a loaded key before re-reading the active one.
   * @default Duration.minutes(1)
   */
  readonly keyRefreshInterval?: Duration;
}

/** Where the media lives and how it is cached. */
export interface MediaOptions {
  /**
   * The team's bucket holding the catalogue. In the same app CDK adds the OAC read statement to
   * its policy; an imported bucket needs `Streamgate.mediaBucketPolicyStatement` added by hand.
   * @default - a new private, versioned, encrypted bucket
   */
  readonly bucket?: s3.IBucket;
  /**
   * Key prefix of the videos (`<keyPrefix><videoId>/<manifestName>`), which is also the public
   * path prefix grants cover: `hls/` → grants for `/hls/<videoId>/*`.
   * @default 'media/'
   */
  readonly keyPrefix?: string;
  /**
   * Bucket for the media bucket's access logs and CloudFront's standard logs.
   * @default - a new log bucket
   */
  readonly logBucket?: s3.IBucket;
  /**
   * File name of each video's manifest.
   * @default 'index.m3u8'
   */
  readonly manifestName?: string;
  /**
   * How long manifests stay cached (and at most).
   * @default Duration.seconds(2)
   */
  readonly manifestTtl?: Duration;
  /**
   * How long segments and keys stay cached by default.
   * @default Duration.days(1)
   */
  readonly segmentTtl?: Duration;
}

/** The CloudFront distribution: the team's own, or one streamgate makes. */
export interface DistributionOptions {
  /**
   * A distribution the team defines in the same stack: streamgate adds its media, DRM and API
   * behaviours, key group and viewer-request function to it and changes nothing else (default
   * behaviour, domain, certificate, WAF, geo restriction and price class stay the team's; the
   * props below that set them are then refused).
   * @default - a new distribution (player page, media and API on one domain)
   */
  readonly distribution?: cloudfront.Distribution;
  /**
   * Host viewers reach the team's own distribution under (manifest URLs and grants name it).
   * @default - the distribution's cloudfront.net name
   */
  readonly publicDomainName?: string;
  /**
   * Custom host names of the distribution streamgate makes; requires `certificate`.
   * @default - the cloudfront.net name only (allowed only with `deployment: 'test'`)
   */
  readonly domainNames?: string[];
  /**
   * Certificate (in us-east-1) covering `domainNames`.
   * @default - none
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Edge locations used.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
  /**
   * Countries allowed or denied.
   * @default - required: an allow or deny list, or `StreamgateGeoRestriction.none()`
   */
  readonly geoRestriction?: StreamgateGeoRestriction;
  /**
   * Content-Security-Policy for the player page.
   * @default DEFAULT_PLAYER_CSP
   */
  readonly contentSecurityPolicy?: string;
  /**
   * Bump after changing an origin secret's value by hand, so CloudFront re-reads it.
   * @default 1
   */
  readonly originSecretsVersion?: number;
  /**
   * Interval between automatic rotations of the origin-verify value.
   * @default Duration.days(30)
   */
  readonly originSecretRotationInterval?: Duration;
  /**
   * Exact origins (`https://app.example.com`; `http://localhost:<port>` for development) of apps
   * that call the API and fetch media from another origin: they get CORS answers with credentials
   * on `/api/*` and the media behaviours (docs/api.md, "Apps on another origin").
   * @default - none: only pages on the distribution's own origin
   */
  readonly allowedOrigins?: string[];
}

/** Geo restriction: a list of ISO 3166-1 alpha-2 countries to allow or deny, or none. */
export class StreamgateGeoRestriction {
  /** Only viewers in these countries. */
  static allow(...countries: string[]): StreamgateGeoRestriction {
    return new StreamgateGeoRestriction({ type: 'allow', countries });
  }
  /** Everyone but viewers in these countries. */
  static deny(...countries: string[]): StreamgateGeoRestriction {
    return new StreamgateGeoRestriction({ type: 'deny', countries });
  }
  /** No geo restriction (a global service). */
  static none(): StreamgateGeoRestriction {
    return new StreamgateGeoRestriction({ type: 'none' });
  }
  private constructor(readonly value: { readonly type: 'allow' | 'deny' | 'none'; readonly countries?: string[] }) {}
}

/** The CLOUDFRONT-scope WAF web ACL in front of the distribution streamgate makes. */
export class StreamgateWebAcl {
  /** An existing web ACL (us-east-1), e.g. a `StreamgateEdgeProtection`'s or the team's own. */
  static fromArn(webAclArn: string, webAclName: string): StreamgateWebAcl {
    return new StreamgateWebAcl(webAclArn, webAclName);
  }
  /** No web ACL: only for a team that protects the distribution some other way. */
  static none(): StreamgateWebAcl {
    return new StreamgateWebAcl(undefined, undefined);
  }
  private constructor(
    /** ARN of the web ACL, or undefined for none. */
    readonly webAclArn: string | undefined,
    /** Its name (the dimension of its CloudWatch metrics). */
    readonly webAclName: string | undefined,
  ) {}
}

/** Alarms and where they go. */
export interface AlarmOptions {
  /**
   * The team's topic (wired to its pager); its policy must let `cloudwatch.amazonaws.com` publish.
   * @default - a new KMS-encrypted topic
   */
  readonly topic?: sns.ITopic;
  /**
   * E-mail address subscribed to the topic streamgate makes.
   * @default - no subscription
   */
  readonly email?: string;
  /**
   * Per alarm, settings replacing the defaults (docs/operations.md lists them).
   * @default - the defaults
   */
  readonly thresholds?: AlarmOverrides;
}

/** The playback API's own abuse defences. */
export interface AbuseOptions {
  /** @default 3 */
  readonly sharingMaxNetworks?: number;
  /** @default 1 */
  readonly sharingMaxCountries?: number;
  /** @default 'alert' */
  readonly sharingAction?: SharingAction;
  /** @default 3 */
  readonly maxConcurrentStreams?: number;
  /** @default 60 */
  readonly rateLimitPerWindow?: number;
  /**
   * Length of one rate-limit window.
   * @default Duration.minutes(1)
   */
  readonly rateWindow?: Duration;
  /** @default 'reject-newest' */
  readonly streamLimitPolicy?: StreamLimitPolicy;
  /**
   * Distinct sessions (tokens) one user may start in a clock hour (docs/cost.md: what one account can grow).
   * @default 20
   */
  readonly maxSessionsPerHour?: number;
  /**
   * Grant records one user may hold per expiry bucket.
   * @default 32
   */
  readonly maxGrantsPerBucket?: number;
}

/** MediaPackage packaging with SPEKE DRM. */
export interface PackagingOptions {
  /** `live` (MediaPackage v2 channel), `vod` (MediaPackage VOD) or `none`. */
  readonly mode: 'live' | 'vod' | 'none';
  /**
   * The SPEKE key provider.
   * @default - required unless mode is none
   */
  readonly spekeUrl?: string;
  /**
   * The SPEKE 1.0 key provider VOD's HLS packaging calls (VOD only; it may be the same URL if the
   * provider serves both versions there).
   * @default - required with mode vod
   */
  readonly spekeV1Url?: string;
  /**
   * Role MediaPackage assumes to call the key provider.
   * @default - required unless mode is none
   */
  readonly spekeRole?: iam.IRole;
  /** @default 'PRESET-VIDEO-1' */
  readonly presetVideo?: string;
  /** @default 'PRESET-AUDIO-1' */
  readonly presetAudio?: string;
}

/** Clear live channels on MediaPackage v2 under `/live/`, through OAC (docs/live.md). */
export interface LiveOptions {
  /**
   * One entry per channel: its playback id and, when they differ from the defaults, its
   * MediaPackage channel name and endpoint names (`hls`, `startover`; '' for no start-over).
   */
  readonly channels: readonly {
    readonly id: string;
    readonly channelName?: string;
    readonly endpointName?: string;
    readonly startOverEndpointName?: string;
    readonly manifestName?: string;
  }[];
  /**
   * The egress host of a MediaPackage v2 channel group named `live` the team already runs: the
   * stack creates nothing and routes `/live/` there (its endpoints need the OAC policy, docs/live.md).
   * @default - the stack creates the group, the channels and their endpoints
   */
  readonly existingEgressDomain?: string;
  /** @default Duration.days(1) */
  readonly startOverWindow?: Duration;
}

/** DRM catalogue and licence servers (docs/drm.md). */
export interface DrmOptions {
  /**
   * videoId → its DRM packaging paths under `/drm/` and manifest.
   * @default - no DRM videos
   */
  readonly catalog?: Record<string, { paths: string[]; manifest: string; keyIds?: string[] }>;
  /**
   * DRM system → licence server the proxy forwards to.
   * @default - no licence proxy targets
   */
  readonly upstreams?: Record<
    string,
    { url: string; header?: string; secretArn?: string; credentialRefusedStatuses?: number[] }
  >;
  /**
   * How long the proxy waits for a licence server.
   * @default Duration.seconds(3)
   */
  readonly licenceTimeout?: Duration;
  /**
   * Largest licence request body accepted.
   * @default 16384
   */
  readonly licenceMaxBodyBytes?: number;
}

export interface StreamgateProps {
  /**
   * Prefix of named resources (alarms, dashboard, functions' descriptions): a letter then letters,
   * digits or "-", at most 31.
   */
  readonly name: string;
  /**
   * `production` requires a custom domain (AWS FSBP CloudFront.7); `test` allows the cloudfront.net name.
   * @default 'production'
   */
  readonly deployment?: 'production' | 'test';
  /** The identity provider whose tokens the API accepts. */
  readonly identity: IdentityOptions;
  /** @default - scope `stream:play`, videos claim `videos`, required */
  readonly entitlement?: EntitlementOptions;
  /** @default - 5-minute RSA-2048/SHA-256 grants, keys rotated every 30 days */
  readonly grants?: GrantOptions;
  /** @default - a new bucket, key prefix `media/` */
  readonly media?: MediaOptions;
  /** Geo restriction is required when streamgate makes the distribution. */
  readonly distribution?: DistributionOptions;
  /**
   * The web ACL of the distribution streamgate makes. Required then: CloudFront takes only
   * us-east-1 web ACLs, so a stack elsewhere passes one made in us-east-1
   * (`StreamgateEdgeProtection`) or `StreamgateWebAcl.none()`.
   * @default - none with the team's own distribution (its WAF is the team's)
   */
  readonly webAcl?: StreamgateWebAcl;
  /** @default - a new topic, default thresholds */
  readonly alarms?: AlarmOptions;
  /**
   * Limits of the web ACL streamgate makes itself (only in a us-east-1 stack without `webAcl`).
   * @default - 2,000 requests per IP per 5 minutes, 300 on the API
   */
  readonly waf?: {
    readonly rateLimitPerIp?: number;
    readonly apiRateLimitPerIp?: number;
    /** @default Duration.minutes(5) */
    readonly evaluationWindow?: Duration;
  };
  /** API Gateway stage throttling. @default - 50 requests/s, burst 100 */
  readonly api?: { readonly throttleRateLimit?: number; readonly throttleBurstLimit?: number };
  /** @default - the defaults in docs/configuration.md */
  readonly abuse?: AbuseOptions;
  /**
   * The edge deny-list: revocations reach every edge in seconds.
   * @default - on, swept every 5 minutes
   */
  readonly edgeRevocation?: { readonly enabled?: boolean; readonly sweepInterval?: Duration };
  /**
   * Sites allowed to play (docs/access-layers.md): exact origins besides the distribution's own
   * host, and what a request carrying no Origin, Referer or Sec-Fetch-Site gets.
   * @default - off
   */
  readonly domainRestriction?: {
    readonly enabled?: boolean;
    readonly sites?: readonly string[];
    readonly missingHeaders?: 'allow' | 'deny';
  };
  /**
   * Grants bound to the browser that asked (docs/access-layers.md); needs edge revocation (its store).
   * @default - off
   */
  readonly deviceBinding?: { readonly enabled?: boolean; readonly rotationInterval?: Duration };
  /** @default - no MediaPackage */
  readonly packaging?: PackagingOptions;
  /** @default - no DRM videos */
  readonly drm?: DrmOptions;
  /** @default - no clear live channels */
  readonly live?: LiveOptions;
  /**
   * How long logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Where each deploy-config field comes from in the props: config path prefix → prop path prefix. */
export const PROP_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['jwt.clockToleranceSeconds', 'identity.clockTolerance'],
  ['jwt.maxLifetimeSeconds', 'identity.maxTokenLifetime'],
  ['jwt', 'identity'],
  ['signing.ttlSeconds', 'grants.lifetime'],
  ['signing.rotateAfterDays', 'grants.keyRotationAge'],
  ['signing.rotationCheckMinutes', 'grants.keyRotationCheckInterval'],
  ['signing.keyRefreshSeconds', 'grants.keyRefreshInterval'],
  ['signing', 'grants'],
  ['delivery.manifestName', 'media.manifestName'],
  ['delivery.manifestTtlSeconds', 'media.manifestTtl'],
  ['delivery.segmentTtlSeconds', 'media.segmentTtl'],
  ['delivery.certificateArn', 'distribution.certificate'],
  ['delivery.originSecretRotationDays', 'distribution.originSecretRotationInterval'],
  ['delivery', 'distribution'],
  ['abuse.rateWindowSeconds', 'abuse.rateWindow'],
  ['edgeRevocation.sweepIntervalMinutes', 'edgeRevocation.sweepInterval'],
  ['deviceBinding.rotateAfterDays', 'deviceBinding.rotationInterval'],
  ['packaging.spekeRoleArn', 'packaging.spekeRole'],
  ['drm.licenceTimeoutMs', 'drm.licenceTimeout'],
  ['waf.evaluationWindowSeconds', 'waf.evaluationWindow'],
  ['monitoring.alarmEmail', 'alarms.email'],
  ['monitoring.alarms', 'alarms.thresholds'],
  ['logRetentionDays', 'logRetention'],
];

/** The prop a deploy-config field path comes from (`signing.ttlSeconds` → `grants.lifetime`). */
export function propNameOf(field: string): string {
  for (const [from, to] of PROP_NAMES) {
    if (field === from || field.startsWith(`${from}.`) || field.startsWith(`${from}[`))
      return `${to}${field.slice(from.length)}`;
  }
  return field;
}

/** A certificate ARN the schema accepts, standing in for a certificate made in the same app (a token). */
const CERTIFICATE_PLACEHOLDER = 'arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000';

/** A role ARN the schema accepts, standing in for a role made in the same app (a token). */
const ROLE_PLACEHOLDER = 'arn:aws:iam::000000000000:role/streamgate-placeholder';

/** Whole seconds of a Duration (or undefined), refusing fractions by name. */
function seconds(duration: Duration | undefined): number | undefined {
  return duration?.toSeconds();
}

function unit(duration: Duration | undefined, to: 'minutes' | 'days' | 'milliseconds'): number | undefined {
  if (duration === undefined) return undefined;
  if (to === 'minutes') return duration.toMinutes();
  if (to === 'days') return duration.toDays();
  return duration.toMilliseconds();
}

/** Drops undefined fields, so the schema's defaults apply to them. */
function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

/**
 * The deploy-config JSON the props stand for (without account and region: the construct's stack
 * has those), to be validated by the config schema. Resources travel beside it, not in it.
 */
export function configJsonOf(props: StreamgateProps): Record<string, unknown> {
  const { identity, entitlement, grants, media, distribution, alarms, abuse, edgeRevocation, packaging, drm } = props;
  const certificateArn =
    distribution?.certificate === undefined
      ? undefined
      : Token.isUnresolved(distribution.certificate.certificateArn)
        ? CERTIFICATE_PLACEHOLDER
        : distribution.certificate.certificateArn;
  return defined({
    deployment: props.deployment,
    name: props.name,
    jwt: defined({
      issuer: identity.issuer,
      audience: identity.audience,
      clientId: identity.clientId,
      clientIdClaim: identity.clientIdClaim,
      tokenUse: identity.tokenUse,
      tokenType: identity.tokenType,
      requireJti: identity.requireJti,
      jwksUrl: identity.jwksUrl,
      algorithms: identity.algorithms,
      clockToleranceSeconds: seconds(identity.clockTolerance),
      maxLifetimeSeconds: seconds(identity.maxTokenLifetime),
    }),
    entitlement: entitlement === undefined ? undefined : defined({ ...entitlement }),
    signing: defined({
      ttlSeconds: seconds(grants?.lifetime),
      hashAlgorithm: grants?.hashAlgorithm,
      bindViewerIp: grants?.bindViewerIp,
      cookieDomain: grants?.cookieDomain,
      keyAlgorithm: grants?.keyAlgorithm,
      rotateAfterDays: unit(grants?.keyRotationAge, 'days'),
      rotationCheckMinutes: unit(grants?.keyRotationCheckInterval, 'minutes'),
      keyRefreshSeconds: seconds(grants?.keyRefreshInterval),
    }),
    delivery: defined({
      domainNames: distribution?.domainNames,
      certificateArn,
      priceClass: distribution?.priceClass,
      // The team's own distribution has its own geo restriction: none here.
      geoRestriction: distribution?.distribution !== undefined ? { type: 'none' } : distribution?.geoRestriction?.value,
      manifestTtlSeconds: seconds(media?.manifestTtl),
      segmentTtlSeconds: seconds(media?.segmentTtl),
      manifestName: media?.manifestName,
      contentSecurityPolicy: distribution?.contentSecurityPolicy,
      originSecretsVersion: distribution?.originSecretsVersion,
      originSecretRotationDays: unit(distribution?.originSecretRotationInterval, 'days'),
      allowedOrigins: distribution?.allowedOrigins,
    }),
    api: props.api === undefined ? undefined : defined({ ...props.api }),
    abuse:
      abuse === undefined
        ? undefined
        : defined({ ...abuse, rateWindow: undefined, rateWindowSeconds: seconds(abuse.rateWindow) }),
    edgeRevocation: defined({
      enabled: edgeRevocation?.enabled,
      sweepIntervalMinutes: unit(edgeRevocation?.sweepInterval, 'minutes'),
    }),
    domainRestriction:
      props.domainRestriction === undefined
        ? undefined
        : defined({
            enabled: props.domainRestriction.enabled,
            sites: props.domainRestriction.sites === undefined ? undefined : [...props.domainRestriction.sites],
            missingHeaders: props.domainRestriction.missingHeaders,
          }),
    deviceBinding:
      props.deviceBinding === undefined
        ? undefined
        : defined({
            enabled: props.deviceBinding.enabled,
            rotateAfterDays: unit(props.deviceBinding.rotationInterval, 'days'),
          }),
    packaging:
      packaging === undefined
        ? undefined
        : defined({
            mode: packaging.mode,
            spekeUrl: packaging.spekeUrl,
            spekeV1Url: packaging.spekeV1Url,
            spekeRoleArn:
              packaging.spekeRole === undefined
                ? undefined
                : Token.isUnresolved(packaging.spekeRole.roleArn)
                  ? ROLE_PLACEHOLDER
                  : packaging.spekeRole.roleArn,
            presetVideo: packaging.presetVideo,
            presetAudio: packaging.presetAudio,
          }),
    live:
      props.live === undefined
        ? undefined
        : defined({
            channels: props.live.channels.map((channel) => defined({ ...channel })),
            existingEgressDomain: props.live.existingEgressDomain,
            startOverWindowSeconds: seconds(props.live.startOverWindow),
          }),
    drm:
      drm === undefined
        ? undefined
        : defined({
            catalog: drm.catalog,
            upstreams: drm.upstreams,
            licenceTimeoutMs: unit(drm.licenceTimeout, 'milliseconds'),
            licenceMaxBodyBytes: drm.licenceMaxBodyBytes,
          }),
    waf:
      props.waf === undefined
        ? undefined
        : defined({
            rateLimitPerIp: props.waf.rateLimitPerIp,
            apiRateLimitPerIp: props.waf.apiRateLimitPerIp,
            evaluationWindowSeconds: seconds(props.waf.evaluationWindow),
          }),
    monitoring: defined({ alarmEmail: alarms?.email, alarms: alarms?.thresholds }),
    logRetentionDays: props.logRetention,
  });
}
