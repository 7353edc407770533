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
   * A CloudFront origin for this bucket through OAC (never an OAI). Binding it to a distribution
   * adds a bucket policy statement for `s3:GetObject` conditioned on that distribution's ARN.
   */
  origin(originPath?: string): cloudfront.IOrigin {
    return origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
      originAccessControl: this.accessControl,
      originAccessLevels: [cloudfront.AccessLevel.READ],
      originPath,
    });
  }
}
