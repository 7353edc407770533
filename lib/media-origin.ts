/**
 * The media origin: one private bucket holding the player page (`web/`) and the media
 * (`media/<videoId>/...`), readable only by the distribution through Origin Access Control, and a
 * separate log bucket for the bucket's server access logs and CloudFront's standard logs (v2,
 * delivered under a bucket policy: no ACLs on either bucket).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface MediaOriginProps {
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
  /** Key prefix of media objects; the signed-cookie path `/media/<videoId>/` maps onto it. */
  static readonly MEDIA_PREFIX = 'media';
  /** Key prefix of the player page served as the distribution's default behaviour. */
  static readonly WEB_PREFIX = 'web';
  /** Prefix of the media bucket's server access logs in the log bucket. */
  static readonly ACCESS_LOG_PREFIX = 's3-access/';
  /** Prefix of CloudFront standard logs in the log bucket. */
  static readonly CLOUDFRONT_LOG_PREFIX = 'cloudfront/';

  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
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

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // No ACLs anywhere: CloudFront standard logging v2 and S3 server access logging deliver
      // under bucket policy statements (allowLogDelivery, and CDK's own for access logs).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(logRetentionDays) }],
      removalPolicy,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
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
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
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
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );

    this.accessControl = new cloudfront.S3OriginAccessControl(this, 'AccessControl', {
      description: 'streamgate: CloudFront reads the media bucket, signing every request (SigV4)',
    });
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
   * A CloudFront origin for the objects under `keyPrefix` (`media`, `web`) through OAC (never an
   * OAI). Binding it to a distribution lets that distribution `s3:GetObject` those objects and no
   * others: the bucket also holds what only MediaPackage reads (`vod-source/`), which CloudFront
   * must not serve even if a behaviour someday pointed there. `servedAtRoot` true maps the
   * viewer's `/x` to `<keyPrefix>/x` (the player page at the root); false keeps the viewer's
   * path, which then starts with the prefix (`/media/...`).
   */
  origin(keyPrefix: string, options: { servedAtRoot: boolean }): cloudfront.IOrigin {
    if (!/^[a-z0-9-]+$/.test(keyPrefix))
      throw new Error(`MediaOrigin: keyPrefix must be one folder name, got "${keyPrefix}"`);
    return new PrefixOacOrigin(this.bucket, this.accessControl, keyPrefix, {
      originPath: options.servedAtRoot ? `/${keyPrefix}` : undefined,
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
    const stack = Stack.of(scope);
    this.mediaBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `CloudFrontReads${this.keyPrefix.replace(/(^|-)([a-z0-9])/g, (_, _dash, c: string) => c.toUpperCase())}`,
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.mediaBucket.arnForObjects(`${this.keyPrefix}/*`)],
        conditions: {
          StringEquals: {
            'AWS:SourceArn': stack.formatArn({
              service: 'cloudfront',
              region: '',
              resource: 'distribution',
              resourceName: options.distributionId,
            }),
          },
        },
      }),
    );
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
