/**
 * The media origin: one private bucket holding the player page (`web/`) and the media
 * (`<keyPrefix><videoId>/...`, lambda/core/media-paths.ts), readable only by the distribution
 * through Origin Access Control, and a separate log bucket for the bucket's server access logs and
 * CloudFront's standard logs (v2, delivered under a bucket policy: no ACLs on either bucket).
 *
 * A team may bring the bucket its catalogue already lives in. CDK then adds the OAC statement to
 * its policy only if the bucket is defined in the same app (an `s3.Bucket`); for an imported one
 * it cannot, and `originAccessStatement()` gives the exact statement to add by hand.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_MEDIA_KEY_PREFIX, mediaKeyPrefixProblem, mediaPathPrefix } from '../lambda/core/media-paths';

export interface MediaOriginProps {
  /**
   * The bucket media is served from, if the team has one: streamgate then creates no media bucket
   * and changes nothing of this one but (for a bucket of the same app) its policy's OAC statement.
   * @default - a new private, versioned, encrypted bucket
   */
  readonly bucket?: s3.IBucket;
  /**
   * Key prefix of the media objects, which is also the public path prefix grants cover.
   * @default 'media/'
   */
  readonly keyPrefix?: string;
  /**
   * Where the media bucket's server access logs and CloudFront's standard logs go.
   * @default - a new log bucket
   */
  readonly logBucket?: s3.IBucket;
  /**
   * Days log objects are kept before they expire.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Days a replaced or deleted media object stays recoverable as a noncurrent version.
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
  /**
   * What happens to both buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class MediaOrigin extends Construct {
  /** Key prefix of the player page served as the distribution's default behaviour. */
  static readonly WEB_PREFIX = 'web';
  /** Prefix of the media bucket's server access logs in the log bucket. */
  static readonly ACCESS_LOG_PREFIX = 's3-access/';
  /** Prefix of CloudFront standard logs in the log bucket. */
  static readonly CLOUDFRONT_LOG_PREFIX = 'cloudfront/';

  readonly bucket: s3.IBucket;
  readonly logBucket: s3.IBucket;
  /** Key prefix of the media objects (`media/`), and so the public path prefix (`/media/`). */
  readonly keyPrefix: string;
  /** Public path prefix of media folders: `/<keyPrefix>`. */
  readonly pathPrefix: string;
  /** Whether the media bucket is the team's own (streamgate made none). */
  readonly bucketIsShared: boolean;
  /** Whether streamgate made the log bucket. */
  readonly logBucketIsOwn: boolean;
  private readonly accessControl: cloudfront.S3OriginAccessControl;

  constructor(scope: Construct, id: string, props: MediaOriginProps = {}) {
    super(scope, id);
    const logRetentionDays = props.logRetentionDays ?? 90;
    const noncurrentVersionDays = props.noncurrentVersionDays ?? 30;
    if (!Number.isInteger(logRetentionDays) || logRetentionDays < 1) {
      throw new Error(`MediaOrigin: logRetentionDays must be a whole number of days >= 1, got ${logRetentionDays}`);
    }
    if (!Number.isInteger(noncurrentVersionDays) || noncurrentVersionDays < 1) {
      throw new Error(
        `MediaOrigin: noncurrentVersionDays must be a whole number of days >= 1, got ${noncurrentVersionDays}`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.keyPrefix = props.keyPrefix ?? DEFAULT_MEDIA_KEY_PREFIX;
    const prefixProblem = mediaKeyPrefixProblem(this.keyPrefix);
    if (prefixProblem !== undefined) throw new Error(`MediaOrigin: keyPrefix ${prefixProblem}`);
    this.pathPrefix = mediaPathPrefix(this.keyPrefix);
    this.bucketIsShared = props.bucket !== undefined;
    this.logBucketIsOwn = props.logBucket === undefined;

    this.logBucket =
      props.logBucket ??
      new s3.Bucket(this, 'LogBucket', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        encryption: s3.BucketEncryption.S3_MANAGED,
        // No ACLs anywhere: CloudFront standard logging v2 and S3 server access logging deliver
        // under bucket policy statements (allowLogDelivery, and CDK's own for access logs).
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ expiration: Duration.days(logRetentionDays) }],
        removalPolicy,
      });

    if (props.bucket !== undefined) {
      this.bucket = props.bucket;
    } else {
      this.bucket = this.ownBucket(noncurrentVersionDays, removalPolicy);
    }

    this.accessControl = new cloudfront.S3OriginAccessControl(this, 'AccessControl', {
      description: 'streamgate: CloudFront reads the media bucket, signing every request (SigV4)',
    });
  }

  /** The bucket streamgate makes when the team brings none, logging into the log bucket. */
  private ownBucket(noncurrentVersionDays: number, removalPolicy: RemovalPolicy): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(noncurrentVersionDays) }],
      removalPolicy,
    });

    // Server access logs under a bucket policy (not CDK's feature-flag-dependent ACL fallback):
    // the log bucket stays BucketOwnerEnforced in any app.
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: this.logBucket.bucketName,
      logFilePrefix: MediaOrigin.ACCESS_LOG_PREFIX,
    };
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'S3ServerAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.logBucket.arnForObjects(`${MediaOrigin.ACCESS_LOG_PREFIX}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
    return bucket;
  }

  /**
   * The bucket policy statement OAC needs, for a team whose bucket CDK cannot change (imported):
   * CloudFront may read objects under the media prefix, and only for this distribution.
   */
  originAccessStatement(distributionArn: string): iam.PolicyStatement {
    return oacReadStatement(this.bucket, this.keyPrefix, distributionArn);
  }

  /**
   * Lets CloudWatch Logs vended-log delivery (CloudFront standard logging v2) write under
   * `prefix`, only for this account's delivery sources in `sourceRegion`.
   */
  allowLogDelivery(prefix: string, sourceRegion: string): void {
    const stack = Stack.of(this);
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontStandardLogsV2',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.logBucket.arnForObjects(`${prefix}*`)],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account, 's3:x-amz-acl': 'bucket-owner-full-control' },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:logs:${sourceRegion}:${stack.account}:delivery-source:*`,
          },
        },
      }),
    );
  }

  /**
   * A CloudFront origin for the objects under `keyPrefix` (the media prefix unless named: `web/`
   * for the page) through OAC (never an OAI). Binding it to a distribution lets that distribution
   * `s3:GetObject` those objects and no others: the bucket may also hold what only MediaPackage
   * reads (`vod-source/`) or a team's other data. `servedAtRoot` true maps the viewer's `/x` to
   * `<keyPrefix>x` (the player page at the root); false keeps the viewer's path, which then
   * starts with the prefix (`/media/...`: lambda/core/media-paths.ts).
   */
  origin(options: { keyPrefix?: string; servedAtRoot?: boolean } = {}): cloudfront.IOrigin {
    const keyPrefix = options.keyPrefix ?? this.keyPrefix;
    const problem = mediaKeyPrefixProblem(keyPrefix);
    if (problem !== undefined && keyPrefix !== `${MediaOrigin.WEB_PREFIX}/`)
      throw new Error(`MediaOrigin: keyPrefix ${problem}`);
    return new PrefixOacOrigin(this.bucket, this.accessControl, keyPrefix, {
      originPath: options.servedAtRoot === true ? `/${keyPrefix.slice(0, -1)}` : undefined,
    });
  }
}

/**
 * S3 through OAC, with the bucket policy statement limited to one key prefix. CDK's own
 * (`S3BucketOrigin.withOriginAccessControl`) grants the distribution the whole bucket (`/*`).
 */
class PrefixOacOrigin extends origins.S3BucketOrigin {
  constructor(
    private readonly mediaBucket: s3.IBucket,
    private readonly accessControl: cloudfront.IOriginAccessControl,
    private readonly keyPrefix: string,
    props: cloudfront.OriginProps,
  ) {
    super(mediaBucket, props);
  }

  override bind(scope: Construct, options: cloudfront.OriginBindOptions): cloudfront.OriginBindConfig {
    const distributionArn = Stack.of(scope).formatArn({
      service: 'cloudfront',
      region: '',
      resource: 'distribution',
      resourceName: options.distributionId,
    });
    this.mediaBucket.addToResourcePolicy(oacReadStatement(this.mediaBucket, this.keyPrefix, distributionArn));
    const config = this._bind(scope, options);
    if (config.originProperty === undefined) throw new Error('MediaOrigin: the S3 origin rendered no origin');
    return {
      ...config,
      originProperty: { ...config.originProperty, originAccessControlId: this.accessControl.originAccessControlId },
    };
  }

  protected override renderS3OriginConfig(): cloudfront.CfnDistribution.S3OriginConfigProperty {
    // OAC, not an OAI: the legacy identity stays empty.
    return { originAccessIdentity: '' };
  }
}

/**
 * The one OAC read statement: CloudFront may `s3:GetObject` under `keyPrefix`, for one
 * distribution only. The origin adds it; a team with an imported bucket adds it by hand.
 */
function oacReadStatement(bucket: s3.IBucket, keyPrefix: string, distributionArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: `CloudFrontReads${keyPrefix.replace(/(^|[-_/])([a-z0-9])/g, (_, _sep, c: string) => c.toUpperCase()).replace(/\//g, '')}`,
    principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
    actions: ['s3:GetObject'],
    resources: [bucket.arnForObjects(`${keyPrefix}*`)],
    conditions: { StringEquals: { 'AWS:SourceArn': distributionArn } },
  });
}
