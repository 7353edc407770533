/**
 * What the alarms and the dashboard read: the playback API's EMF series, the table's throttles,
 * and the WAF and CloudFront metrics of us-east-1.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DENY_LIST_METRIC,
  EDGE_REFUSAL_METRIC,
  type EdgeRefusalKind,
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  REASON_DIMENSION,
  SERVICE_DIMENSION,
} from '../../lambda/core/metric-names';

/** Where CloudWatch keeps the metrics of CLOUDFRONT-scope web ACLs and of CloudFront distributions. */
export const EDGE_METRICS_REGION = 'us-east-1';

/** What the main region's alarms and dashboard read. */
export interface Signals {
  readonly app: ApplicationMetrics;
  readonly apiServerErrors: cloudwatch.Metric;
  readonly functions: readonly FunctionSignals[];
  readonly tableThrottles: cloudwatch.MathExpression;
  readonly edge: EdgeMetrics;
  /** The edge deny-list pipeline's series; absent when edge revocation is off. */
  readonly edgeRevocation?: EdgeRevocationMetrics;
}

/** One function's metrics, by the name used in its alarm names (`playback`, ...). */
export interface FunctionSignals {
  readonly name: string;
  readonly errors: cloudwatch.Metric;
  readonly throttles: cloudwatch.Metric;
}

export type ApplicationMetrics = Record<
  | 'authorized'
  | 'denied'
  | 'revokedTokenReuse'
  | 'sharingSuspected'
  | 'storeError'
  | 'pruneFailed'
  | 'latency'
  | 'licenceIssued'
  | 'licenceDenied'
  | 'licenceUpstreamFailed'
  | 'licenceUpstreamLatency'
  | 'stepUpRequired'
  | 'rentalExpired'
  | 'tooManyRentals',
  cloudwatch.Metric
>;

/** `PlaybackDenied` for one `Reason` (a fixed value of metricReason, lambda/core/metrics.ts). */
const deniedFor = (reason: string): cloudwatch.Metric =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC.denied,
    dimensionsMap: { [SERVICE_DIMENSION]: METRICS_SERVICE, [REASON_DIMENSION]: reason },
    statistic: 'Sum',
  });

/** The playback API's EMF series, each on its single `service` dimension (the alarmed ones). */
export function applicationMetrics(): ApplicationMetrics {
  const metric = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: METRICS_SERVICE },
      statistic: 'Sum',
    });
  return {
    authorized: metric(METRIC.authorized),
    denied: metric(METRIC.denied),
    revokedTokenReuse: metric(METRIC.revokedTokenReuse),
    sharingSuspected: metric(METRIC.sharingSuspected),
    storeError: metric(METRIC.storeError),
    pruneFailed: metric(METRIC.pruneFailed),
    latency: metric(METRIC.latency),
    licenceIssued: metric(METRIC.licenceIssued),
    licenceDenied: metric(METRIC.licenceDenied),
    licenceUpstreamFailed: metric(METRIC.licenceUpstreamFailed),
    licenceUpstreamLatency: metric(METRIC.licenceUpstreamLatency),
    // The title rules' refusals (lambda/core/step-up.ts, rentals.ts): PlaybackDenied by their Reason.
    stepUpRequired: deniedFor('step_up_required'),
    rentalExpired: deniedFor('rental_expired'),
    tooManyRentals: deniedFor('too_many_rentals'),
  };
}

/** What the edge deny-list pipeline is watched by (lib/edge-revocation.ts). */
export interface EdgeRevocationSources {
  /** The function reading the state table's stream. */
  readonly streamConsumer: lambda.IFunction;
  /** Its on-failure destination. */
  readonly failedRecords: sqs.IQueue;
}

export interface EdgeRevocationMetrics {
  /** Stream records whose deny entries could not be written (each is retried). */
  readonly writesFailed: cloudwatch.Metric;
  readonly entriesWritten: cloudwatch.Metric;
  /** Batches given up on: their description waits in the on-failure queue. */
  readonly failedRecords: cloudwatch.Metric;
  /** How far behind the stream the consumer is (ms): revocations are that late at the edge. */
  readonly iteratorAge: cloudwatch.Metric;
  /** The store's size after each sweep (bytes; the store holds 5 MB). */
  readonly storeBytes: cloudwatch.Metric;
}

export function edgeRevocationMetrics({ streamConsumer, failedRecords }: EdgeRevocationSources): EdgeRevocationMetrics {
  const metric = (name: string, statistic: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: METRICS_SERVICE },
      statistic,
    });
  return {
    writesFailed: metric(DENY_LIST_METRIC.writesFailed, 'Sum'),
    entriesWritten: metric(DENY_LIST_METRIC.entriesWritten, 'Sum'),
    failedRecords: failedRecords.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
    iteratorAge: streamConsumer.metric('IteratorAge', { statistic: 'Maximum' }),
    storeBytes: metric(DENY_LIST_METRIC.storeBytes, 'Maximum'),
  };
}

/** Throttled reads plus throttled writes (on-demand tables throttle too: per-partition limits). */
export function dynamoDbThrottles(table: dynamodb.ITable): cloudwatch.MathExpression {
  const events = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB',
      metricName: name,
      dimensionsMap: { TableName: table.tableName },
      statistic: 'Sum',
    });
  return new cloudwatch.MathExpression({
    expression: 'FILL(reads, 0) + FILL(writes, 0)',
    usingMetrics: { reads: events('ReadThrottleEvents'), writes: events('WriteThrottleEvents') },
    label: 'throttled reads + writes',
  });
}

export interface EdgeMetrics {
  /** Absent when no web ACL is in front of the distribution. */
  readonly wafBlocked?: cloudwatch.Metric;
  readonly wafAllowed?: cloudwatch.Metric;
  readonly cloudFront4xx: cloudwatch.Metric;
  readonly cloudFront5xx: cloudwatch.Metric;
  /** The viewer-request function's refusals by kind (edge-refusals.ts); absent when that layer is off. */
  readonly refusals: { readonly [K in EdgeRefusalKind]?: cloudwatch.Metric };
}

/**
 * WAF and CloudFront metrics, all in us-east-1 (a CLOUDFRONT-scope web ACL has no Region
 * dimension). No region is set on them: widgets set it, and an alarm is in us-east-1 anyway.
 */
export function edgeMetrics(
  webAclName: string | undefined,
  distributionId: string,
  refusalKinds: readonly EdgeRefusalKind[] = [],
): EdgeMetrics {
  const waf = (name: string, webAcl: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: name,
      dimensionsMap: { WebACL: webAcl, Rule: 'ALL' },
      statistic: 'Sum',
    });
  const cloudFront = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: 'AWS/CloudFront',
      metricName: name,
      dimensionsMap: { DistributionId: distributionId, Region: 'Global' },
      statistic: 'Average',
    });
  return {
    ...(webAclName === undefined
      ? {}
      : { wafBlocked: waf('BlockedRequests', webAclName), wafAllowed: waf('AllowedRequests', webAclName) }),
    cloudFront4xx: cloudFront('4xxErrorRate'),
    cloudFront5xx: cloudFront('5xxErrorRate'),
    // Metric filters count them in us-east-1 with no dimension (a filter's dimensions come from the log line).
    refusals: Object.fromEntries(
      refusalKinds.map((kind) => [
        kind,
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: EDGE_REFUSAL_METRIC[kind],
          statistic: 'Sum',
        }),
      ]),
    ),
  };
}
