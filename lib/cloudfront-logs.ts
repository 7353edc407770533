/**
 * CloudFront standard logging (v2): the distribution's access logs delivered by CloudWatch Logs
 * vended-log delivery to the log bucket, authorised by a bucket policy (no ACL grant; the log
 * bucket is `BucketOwnerEnforced`). A CloudFront delivery source exists only in us-east-1, so
 * this construct goes in a us-east-1 stack (the main stack there, else the edge alarms stack).
 *
 * The record fields leave out `cs(Cookie)` (signed cookies are credentials) and `cs-uri-query`
 * (a signed URL's Policy and Signature). Field names: those of CloudFront's standard log format
 * [unverified for v2 beyond the documented legacy names]. The destination ARN carries the key
 * prefix after the bucket ARN [unverified: the vended-logs S3 destination form].
 */
import { Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Every standard log field except the cookie and the query string. */
export const ACCESS_LOG_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(Referer)',
  'cs(User-Agent)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
] as const;

export interface CloudFrontAccessLogsProps {
  readonly distributionId: string;
  /** ARN of the log bucket (its policy must admit delivery.logs.amazonaws.com: `MediaOrigin.allowLogDelivery`). */
  readonly bucketArn: string;
  /** Key prefix, e.g. `cloudfront/`. */
  readonly prefix: string;
  /** Unique per account and region (names of the delivery source and destination). */
  readonly name: string;
}

export class CloudFrontAccessLogs extends Construct {
  readonly source: logs.CfnDeliverySource;
  readonly destination: logs.CfnDeliveryDestination;
  readonly delivery: logs.CfnDelivery;

  constructor(scope: Construct, id: string, props: CloudFrontAccessLogsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!stack.region.startsWith('${') && stack.region !== 'us-east-1') {
      throw new Error(`CloudFrontAccessLogs: a CloudFront delivery source must be in us-east-1, not ${stack.region}`);
    }
    this.source = new logs.CfnDeliverySource(this, 'Source', {
      name: `${props.name}-cf-access`.slice(0, 60),
      logType: 'ACCESS_LOGS',
      resourceArn: stack.formatArn({
        service: 'cloudfront',
        region: '',
        resource: 'distribution',
        resourceName: props.distributionId,
      }),
    });
    this.destination = new logs.CfnDeliveryDestination(this, 'Destination', {
      name: `${props.name}-cf-access-s3`.slice(0, 60),
      outputFormat: 'json',
      destinationResourceArn: `${props.bucketArn}/${props.prefix.replace(/\/$/, '')}`,
    });
    this.delivery = new logs.CfnDelivery(this, 'Delivery', {
      deliverySourceName: this.source.ref,
      deliveryDestinationArn: this.destination.attrArn,
      recordFields: [...ACCESS_LOG_FIELDS],
    });
  }
}
