/**
 * Delivery: the one CloudFront distribution. Media (`/media/*`, and `/drm/*` when MediaPackage is
 * on) is served only against a signature from the trusted key group, and every such behaviour runs
 * one viewer-request function (edge-function/viewer-request.js) that refuses non-canonical paths
 * and rewrites `/drm/` for MediaPackage; manifests get a short TTL so
 * live playlists stay fresh, segments a long one. The player page is the default behaviour, and
 * the playback API is routed under `/api/*` on the same domain so the signed cookies it sets
 * apply to the media paths. HTTPS only, TLS 1.2 (2021 policy) minimum, HTTP/2 and HTTP/3, geo
 * restriction, security headers, standard logging, and the WAF web ACL from the edge stack.
 */
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import type { GeoRestrictionConfig, PriceClassName } from './config';
import { API_PATH_PREFIX } from '../lambda/core/api-routes';
import { MediaOrigin } from './media-origin';
import {
  DEFAULT_MEDIA_KEY_PREFIX,
  DRM_PATH_PREFIX,
  LIVE_PATH_PREFIX,
  mediaBehaviourPatterns,
  mediaPathPrefix,
} from '../lambda/core/media-paths';
import { DEFAULT_PLAYER_CSP, PAGE_SECURITY_HEADERS } from './page-headers';
import { API_CORS, CORS_MAX_AGE_SECONDS, type CorsRules, MEDIA_CORS, originProblem } from '../lambda/core/cors';
import { EDGE_FUNCTION_DEFAULTS, type EdgeFunctionSettings, viewerRequestCode } from './viewer-request-code';
import { PACKAGER_QUERY_PARAMETERS } from '../lambda/core/live-grants';

/** Media behaviours of the default layout: manifests first (CloudFront matches in order), then the rest. */
const DEFAULT_PATTERNS = mediaBehaviourPatterns(mediaPathPrefix(DEFAULT_MEDIA_KEY_PREFIX));
export const MANIFEST_PATTERNS = DEFAULT_PATTERNS.manifests;
export const MEDIA_PATTERN = DEFAULT_PATTERNS.media;
/** MediaPackage content, rewritten to its egress path `/out/v1/...` by the viewer-request function. */
export const DRM_PATTERN = `${DRM_PATH_PREFIX}*`;
export const API_PATTERN = `${API_PATH_PREFIX}*`;
/** The one viewer-request function's source (CloudFront Functions, cloudfront-js-2.0); the local edge runs it too. */
export const VIEWER_REQUEST_FUNCTION_FILE = path.join(__dirname, '..', 'edge-function', 'viewer-request.js');

export interface DeliveryProps {
  /** The bucket served through OAC: `web/` as the default behaviour, its media prefix behind signatures. */
  readonly media: MediaOrigin;
  /**
   * A distribution the team already defines (in the same stack): streamgate adds its media, DRM
   * and API behaviours to it and leaves the rest (default behaviour, domain, certificate, WAF, geo
   * restriction, price class, logging) as the team set it; those props are then refused.
   * @default - a new distribution
   */
  readonly distribution?: cloudfront.Distribution;
  /**
   * Host viewers use for the team's own distribution (its custom domain), for the API's manifest
   * URLs and signed Resources.
   * @default - the distribution's cloudfront.net name
   */
  readonly publicDomainName?: string;
  /** Keys CloudFront accepts for signed cookies and URLs on every media behaviour. */
  readonly keyGroup: cloudfront.IKeyGroup;
  /**
   * ARN of a CLOUDFRONT-scope WAFv2 web ACL (us-east-1).
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Countries allowed or denied.
   * @default - no geo restriction
   */
  readonly geoRestriction?: GeoRestrictionConfig;
  /**
   * Custom host names; requires `certificateArn`.
   * @default - the distribution's cloudfront.net name only
   */
  readonly domainNames?: readonly string[];
  /**
   * ACM certificate in us-east-1 covering `domainNames`, by ARN.
   * @default - none (the cloudfront.net certificate)
   */
  readonly certificateArn?: string;
  /**
   * The same as a certificate object (one of the app's, or imported); wins over `certificateArn`.
   * @default - `certificateArn`
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Edge locations used.
   * @default 'PriceClass_100'
   */
  readonly priceClass?: PriceClassName;
  /**
   * Seconds manifests (.m3u8, .mpd) stay cached; also their maximum.
   * @default 2
   */
  readonly manifestTtlSeconds?: number;
  /**
   * Default seconds media segments stay cached.
   * @default 86400
   */
  readonly segmentTtlSeconds?: number;
  /**
   * Content-Security-Policy sent with every response (the player page is the one that needs it).
   * @default DEFAULT_PLAYER_CSP
   */
  readonly contentSecurityPolicy?: string;
  /**
   * Whether signatures carry the viewer's IP: CloudFront's IpAddress condition is IPv4 only, so
   * this turns the distribution's IPv6 off.
   * @default false
   */
  readonly bindViewerIp?: boolean;
  /**
   * MediaPackage origin (with its CDN authorization header) served under `/drm/*`.
   * @default - no `/drm/*` behaviour
   */
  readonly drmOrigin?: cloudfront.IOrigin;
  /**
   * MediaPackage v2 live channels (lib/live.ts, through OAC) served under `/live/*`, with
   * MediaPackage's caching: playlists as its Cache-Control says (half a segment) at most 2 s,
   * segments 14 days, only its own query parameters in the cache key.
   * @default - no `/live/*` behaviours
   */
  readonly liveOrigin?: cloudfront.IOrigin;
  /**
   * Bump after changing an origin header secret's value (origin verify, MediaPackage CDN
   * identifier): CloudFormation re-resolves dynamic references only when the distribution changes.
   * @default 1
   */
  readonly originSecretsVersion?: number;
  /**
   * The edge deny-list (lib/edge-revocation.ts), associated with the viewer-request function:
   * the function refuses grants listed there. CloudFront allows one store per function.
   * @default - no store: the function refuses no grant
   */
  readonly denyList?: cloudfront.IKeyValueStore;
  /**
   * Exact origins of apps on other origins (lambda/core/cors.ts): the API and media behaviours
   * then answer them with CORS headers, with credentials.
   * @default - none: the behaviours send no CORS header
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Domain restriction and device binding, built into the function's code (lib/viewer-request-code.ts).
   * @default EDGE_FUNCTION_DEFAULTS (both off)
   */
  readonly edgeSettings?: EdgeFunctionSettings;
}

export class Delivery extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** Whether the distribution is the team's own (streamgate only added behaviours to it). */
  readonly distributionIsShared: boolean;
  /** Whether a web ACL protects the distribution streamgate made. */
  readonly hasWebAcl: boolean;
  readonly manifestCachePolicy: cloudfront.CachePolicy;
  readonly segmentCachePolicy: cloudfront.CachePolicy;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The security headers plus CORS for the allowed origins: on `/api/*` and the media behaviours, when any origin is allowed. */
  readonly corsPolicies?: { api: cloudfront.ResponseHeadersPolicy; media: cloudfront.ResponseHeadersPolicy };
  /** Runs on every signed behaviour: refuses non-canonical paths, rewrites `/drm/` to `/out/v1/`. */
  readonly viewerRequestFunction: cloudfront.Function;
  /** `https://<host>` viewers use: the first custom domain, else the cloudfront.net name. */
  readonly baseUrl: string;
  /** Custom host names (empty: the cloudfront.net name only). */
  readonly domainNames: readonly string[];
  /** Whether the distribution restricts viewers by country (`delivery.geoRestriction` allow or deny). */
  readonly geoRestricted: boolean;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const manifestTtl = props.manifestTtlSeconds ?? 2;
    const segmentTtl = props.segmentTtlSeconds ?? 86400;
    if (!Number.isInteger(manifestTtl) || manifestTtl < 1)
      throw new Error(`Delivery: manifestTtlSeconds must be a whole number >= 1, got ${manifestTtl}`);
    if (!Number.isInteger(segmentTtl) || segmentTtl < manifestTtl || segmentTtl > 31536000) {
      throw new Error(
        `Delivery: segmentTtlSeconds must be a whole number from manifestTtlSeconds to 31536000, got ${segmentTtl}`,
      );
    }
    const originSecretsVersion = props.originSecretsVersion ?? 1;
    if (!Number.isInteger(originSecretsVersion) || originSecretsVersion < 1) {
      throw new Error(`Delivery: originSecretsVersion must be a whole number >= 1, got ${originSecretsVersion}`);
    }
    const domainNames = [...(props.domainNames ?? [])];
    const certificate =
      props.certificate ??
      (props.certificateArn === undefined
        ? undefined
        : acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn));
    if ((certificate === undefined) !== (domainNames.length === 0)) {
      throw new Error(
        'Delivery: domainNames and certificateArn go together (set both or neither; certificate stands for certificateArn)',
      );
    }
    if (props.distribution !== undefined) {
      const owned = Object.entries({
        domainNames: props.domainNames,
        certificate,
        webAclArn: props.webAclArn,
        geoRestriction: props.geoRestriction,
        priceClass: props.priceClass,
      }).filter(([, value]) => value !== undefined);
      if (owned.length > 0) {
        throw new Error(
          `Delivery: ${owned.map(([name]) => name).join(', ')} belong to the team's own distribution; set them there, not here`,
        );
      }
    } else if (props.publicDomainName !== undefined) {
      throw new Error('Delivery: publicDomainName applies to a distribution the team brings; use domainNames');
    }

    this.manifestCachePolicy = new cloudfront.CachePolicy(this, 'ManifestCache', {
      comment: 'streamgate manifests: short TTL so live playlists stay fresh',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(manifestTtl),
      maxTtl: Duration.seconds(manifestTtl),
      // Signing parameters (Policy, Signature, Key-Pair-Id) stay out of the key: one cached copy for all viewers.
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    this.segmentCachePolicy = new cloudfront.CachePolicy(this, 'SegmentCache', {
      comment: 'streamgate segments and keys: immutable, long TTL',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(segmentTtl),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
    });
    // The local edge sends the same headers (lib/page-headers.ts), HSTS aside: it serves plain HTTP.
    const headers = PAGE_SECURITY_HEADERS;
    const securityHeadersBehavior: cloudfront.ResponseSecurityHeadersBehavior = {
      strictTransportSecurity: {
        accessControlMaxAge: Duration.seconds(headers.hstsMaxAgeSeconds),
        includeSubdomains: headers.hstsIncludeSubdomains,
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: enumValue(cloudfront.HeadersFrameOption, headers.frameOptions), override: true },
      referrerPolicy: {
        referrerPolicy: enumValue(cloudfront.HeadersReferrerPolicy, headers.referrerPolicy),
        override: true,
      },
      contentSecurityPolicy: {
        contentSecurityPolicy: props.contentSecurityPolicy ?? DEFAULT_PLAYER_CSP,
        override: true,
      },
      xssProtection: { protection: headers.xssProtection !== '0', override: true },
    };
    const customHeadersBehavior: cloudfront.ResponseCustomHeadersBehavior = {
      customHeaders: [{ header: 'Permissions-Policy', value: headers.permissionsPolicy, override: true }],
    };
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'streamgate: HSTS, nosniff, frame denial, referrer policy, CSP for the player',
      securityHeadersBehavior,
      customHeadersBehavior,
    });
    const allowedOrigins = [...(props.allowedOrigins ?? [])];
    const problem = allowedOrigins
      .map((origin) => [origin, originProblem(origin)])
      .find(([, why]) => why !== undefined);
    if (problem !== undefined) throw new Error(`Delivery: allowedOrigins "${problem[0]}" ${problem[1]}`);
    // A behaviour takes one policy: the CORS ones carry the security headers too. CloudFront echoes
    // the request's Origin when it is in the list, and adds nothing for any other.
    const corsPolicy = (id: string, rules: CorsRules, what: string) =>
      new cloudfront.ResponseHeadersPolicy(this, id, {
        comment: `streamgate: security headers and CORS with credentials for the allowed origins (${what})`,
        securityHeadersBehavior,
        customHeadersBehavior,
        corsBehavior: {
          accessControlAllowOrigins: allowedOrigins,
          accessControlAllowCredentials: true,
          accessControlAllowMethods: [...rules.methods, 'OPTIONS'],
          accessControlAllowHeaders: [...rules.headers],
          accessControlExposeHeaders: [...rules.exposed],
          accessControlMaxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
          originOverride: true,
        },
      });
    if (allowedOrigins.length > 0)
      this.corsPolicies = {
        api: corsPolicy('ApiCors', API_CORS, 'API'),
        media: corsPolicy('MediaCors', MEDIA_CORS, 'media'),
      };
    const mediaHeadersPolicy = this.corsPolicies?.media ?? this.responseHeadersPolicy;

    // CloudFront picks the behaviour on a normalised path but forwards the raw one, and whether the
    // signature is checked before or after viewer-request functions is not documented [U]: the
    // function refuses any path normalisation would change, so both orders are safe. Should the
    // signature be checked on the rewritten URI, `/drm/` grants would need `/out/v1/` resources.
    this.viewerRequestFunction = new cloudfront.Function(this, 'ViewerRequest', {
      comment: 'streamgate: 403 for non-canonical paths; /drm/* to MediaPackage /out/v1/*',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      // The minified template with the deployment's settings: the bytes measured against the 10 KB limit.
      code: cloudfront.FunctionCode.fromInline(viewerRequestCode(props.edgeSettings ?? EDGE_FUNCTION_DEFAULTS)),
      // The same function, not a second one: a behaviour runs one viewer-request function.
      keyValueStore: props.denyList,
    });
    const functionAssociations: cloudfront.FunctionAssociation[] = [
      { function: this.viewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
    ];

    const mediaOrigin = props.media.origin();
    const signed = (cachePolicy: cloudfront.ICachePolicy, origin = mediaOrigin): cloudfront.BehaviorOptions => ({
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy,
      // No origin request policy: cookies (the signed ones included) never reach the origin.
      trustedKeyGroups: [props.keyGroup],
      responseHeadersPolicy: mediaHeadersPolicy,
      compress: true,
      functionAssociations,
    });
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    const patterns = mediaBehaviourPatterns(props.media.pathPrefix);
    for (const pattern of patterns.manifests) additionalBehaviors[pattern] = signed(this.manifestCachePolicy);
    additionalBehaviors[patterns.media] = signed(this.segmentCachePolicy);
    if (props.drmOrigin !== undefined) {
      additionalBehaviors[DRM_PATTERN] = {
        origin: props.drmOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        // Honours MediaPackage's own Cache-Control: short for manifests, long for segments.
        cachePolicy: cloudfront.CachePolicy.ELEMENTAL_MEDIA_PACKAGE,
        trustedKeyGroups: [props.keyGroup],
        responseHeadersPolicy: mediaHeadersPolicy,
        functionAssociations,
      };
    }

    if (props.liveOrigin !== undefined) {
      // MediaPackage's own parameters only (its CDN guide); the signing parameters stay out of the key.
      const packagerQuery = cloudfront.CacheQueryStringBehavior.allowList(...PACKAGER_QUERY_PARAMETERS);
      const livePolicy = (id: string, comment: string, defaultTtl: Duration, maxTtl: Duration) =>
        new cloudfront.CachePolicy(this, id, {
          comment,
          minTtl: Duration.seconds(0),
          defaultTtl,
          maxTtl,
          queryStringBehavior: packagerQuery,
          cookieBehavior: cloudfront.CacheCookieBehavior.none(),
          headerBehavior: cloudfront.CacheHeaderBehavior.none(),
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        });
      const liveManifests = livePolicy(
        'LiveManifestCache',
        'streamgate live playlists: the origin Cache-Control (half a segment), at most 2 s',
        Duration.seconds(1),
        Duration.seconds(2),
      );
      const liveSegments = livePolicy(
        'LiveSegmentCache',
        'streamgate live segments: 14 days, as MediaPackage recommends',
        Duration.days(14),
        Duration.days(14),
      );
      const liveOrigin = props.liveOrigin;
      const live = (cachePolicy: cloudfront.ICachePolicy) => signed(cachePolicy, liveOrigin);
      additionalBehaviors[`${LIVE_PATH_PREFIX}*.m3u8`] = live(liveManifests);
      additionalBehaviors[`${LIVE_PATH_PREFIX}*.mpd`] = live(liveManifests);
      additionalBehaviors[`${LIVE_PATH_PREFIX}*`] = live(liveSegments);
    }

    this.distributionIsShared = props.distribution !== undefined;
    this.geoRestricted = props.geoRestriction !== undefined && props.geoRestriction.type !== 'none';
    this.hasWebAcl = props.webAclArn !== undefined;
    if (props.distribution !== undefined) {
      this.distribution = props.distribution;
      for (const [pattern, behaviour] of Object.entries(additionalBehaviors)) {
        const { origin, ...options } = behaviour;
        this.distribution.addBehavior(pattern, origin, options);
      }
      this.domainNames = props.publicDomainName === undefined ? [] : [props.publicDomainName];
      this.baseUrl = `https://${props.publicDomainName ?? this.distribution.distributionDomainName}`;
      return;
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `streamgate: signed media, player page and playback API on one domain (origin secrets v${originSecretsVersion})`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: props.media.origin({ keyPrefix: `${MediaOrigin.WEB_PREFIX}/`, servedAtRoot: true }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      additionalBehaviors,
      // The TLS policy only exists with a custom certificate: the cloudfront.net one is fixed by CloudFront.
      ...(certificate !== undefined
        ? {
            domainNames,
            certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: cloudfront.SSLMethod.SNI,
          }
        : {}),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: !(props.bindViewerIp ?? false),
      priceClass: priceClassOf(props.priceClass ?? 'PriceClass_100'),
      geoRestriction: geoRestrictionOf(props.geoRestriction),
      // Standard logging v2 (lib/cloudfront-logs.ts) replaces the legacy ACL-based logging.
      webAclId: props.webAclArn,
    });
    this.domainNames = domainNames;
    this.baseUrl = `https://${domainNames[0] ?? this.distribution.distributionDomainName}`;
  }

  /**
   * Routes `/api/*` to the playback API: nothing cached, every viewer header but Host forwarded
   * (Host would make execute-api answer 403). Authorization reaches the origin only through such an
   * all-viewer policy when caching is off. The managed policy also adds CloudFront's headers,
   * CloudFront-Viewer-Address and CloudFront-Viewer-Country among them [U: recalled from the
   * managed-policy page, not re-read; IP binding and sharing detection depend on it].
   * CloudFront can only allow all methods once POST or DELETE is needed; the WAF restricts `/api/`
   * to the API's methods and API Gateway answers 404 to other routes.
   */
  addApi(origin: cloudfront.IOrigin): void {
    this.distribution.addBehavior(API_PATTERN, origin, {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: this.corsPolicies?.api ?? this.responseHeadersPolicy,
      compress: true,
    });
  }
}

function priceClassOf(name: PriceClassName): cloudfront.PriceClass {
  const classes: Record<PriceClassName, cloudfront.PriceClass> = {
    PriceClass_100: cloudfront.PriceClass.PRICE_CLASS_100,
    PriceClass_200: cloudfront.PriceClass.PRICE_CLASS_200,
    PriceClass_All: cloudfront.PriceClass.PRICE_CLASS_ALL,
  };
  return classes[name];
}

function geoRestrictionOf(geo: GeoRestrictionConfig | undefined): cloudfront.GeoRestriction | undefined {
  if (geo === undefined || geo.type === 'none') return undefined;
  return geo.type === 'allow'
    ? cloudfront.GeoRestriction.allowlist(...geo.countries)
    : cloudfront.GeoRestriction.denylist(...geo.countries);
}

/** The member of a CDK string enum whose value is `value`. */
function enumValue<E extends string>(members: Record<string, E>, value: string): E {
  const member = Object.values(members).find((candidate) => candidate === value);
  if (member === undefined) throw new Error(`Delivery: "${value}" is not one of ${Object.values(members).join(', ')}`);
  return member;
}
