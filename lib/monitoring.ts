/**
 * Abuse monitoring: the alarms on what the playback API reports (EMF metrics of lambda/core/metrics.ts)
 * and on the AWS services around it, one encrypted SNS topic they all notify, and a dashboard.
 *
 * A CloudWatch alarm watches only metrics of its own region and notifies only a topic of its own
 * region. The WAF (CLOUDFRONT scope) and CloudFront metrics exist only in us-east-1, so their
 * alarms need a us-east-1 stack: `Monitoring` makes them itself when its stack is in us-east-1,
 * otherwise an `EdgeAlarms` in us-east-1 does, with its own topic. "Every alarm notifies one
 * topic" therefore holds per region. The dashboard shows the edge metrics in either case
 * (its widgets may read another region).
 */
import { Stack, Token } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Alerting, type AlertingProps } from './monitoring/alerting';
import { dashboard } from './monitoring/dashboard';
import { EdgeRefusalLogs, type EdgeRefusalLogsProps } from './monitoring/edge-refusals';
import {
  applicationMetrics,
  dynamoDbThrottles,
  EDGE_METRICS_REGION,
  type EdgeRevocationSources,
  edgeMetrics,
  edgeRevocationMetrics,
  type Signals,
} from './monitoring/signals';

export * from './monitoring/alarm-table';
export {
  alarmSettingFields,
  alarmSettingProblems,
  EMAIL_ADDRESS,
  resolveAlarms,
  type SettingProblem,
} from './monitoring/settings';
export { EDGE_METRICS_REGION } from './monitoring/signals';
export type { AlertingProps } from './monitoring/alerting';
export { EdgeRefusalLogs, edgeRefusalKinds, type EdgeRefusalLogsProps } from './monitoring/edge-refusals';
export type { EdgeRevocationSources } from './monitoring/signals';

export interface MonitoringProps extends AlertingProps {
  /** Functions whose errors and throttles are alarmed, by the name used in the alarm names (`playback`, ...). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The HTTP API stage whose 5xx responses are alarmed. */
  readonly apiStage: apigwv2.IHttpStage;
  /** The revocation table whose throttled requests are alarmed. */
  readonly table: dynamodb.ITable;
  /** The CloudFront distribution whose error rates are watched. */
  readonly distributionId: string;
  /**
   * Name of the CLOUDFRONT-scope web ACL whose blocked requests are watched.
   * @default - no web ACL: no WAF alarm or widget
   */
  readonly webAclName?: string;
  /**
   * Whether the WAF and CloudFront alarms are made here. Their metrics exist only in us-east-1,
   * so this needs a us-east-1 stack; elsewhere an EdgeAlarms in us-east-1 makes them.
   * @default - true when this stack is in us-east-1
   */
  readonly edgeAlarms?: boolean;
  /**
   * The edge deny-list pipeline, whose failed writes, failed records, stream lag and store size are alarmed.
   * @default - none (edge revocation off)
   */
  readonly edgeRevocation?: EdgeRevocationSources;
  /**
   * The viewer-request function's refusals to count (domain restriction, device binding): their
   * metric filters are made where the edge alarms are (us-east-1), their alarms with them.
   * @default - none (both layers off)
   */
  readonly edgeRefusals?: EdgeRefusalLogsProps;
}

export interface EdgeAlarmsProps extends AlertingProps {
  /** The CloudFront distribution whose error rates are alarmed. */
  readonly distributionId: string;
  /**
   * Name of the CLOUDFRONT-scope web ACL whose blocked requests are alarmed.
   * @default - no web ACL: no WAF alarm
   */
  readonly webAclName?: string;
  /**
   * The viewer-request function's refusals to count and alarm.
   * @default - none (both layers off)
   */
  readonly edgeRefusals?: EdgeRefusalLogsProps;
}

/** The main monitoring: topic, alarms on the API, its functions and table (and the edge in us-east-1), dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.ITopic;
  /** The customer-managed key the topic is encrypted with; absent when the team brought its own topic. */
  readonly key?: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm made here, by construct id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The refusal metric filters, when made here (us-east-1 and a layer on). */
  readonly edgeRefusals?: EdgeRefusalLogs;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const edgeAlarms = props.edgeAlarms ?? Stack.of(this).region === EDGE_METRICS_REGION;
    if (edgeAlarms) requireEdgeRegion(this, 'Monitoring: edgeAlarms');
    const functionNames = Object.keys(props.functions);
    if (functionNames.length === 0) throw new Error('Monitoring: functions must name at least one function');
    const badName = functionNames.find((name) => !/^[a-z][a-z0-9-]{0,31}$/.test(name));
    if (badName !== undefined)
      throw new Error(`Monitoring: functions keys must be lower-case names (part of alarm names), got "${badName}"`);

    const alerting = new Alerting(this, 'Monitoring', props);
    this.topic = alerting.topic;
    this.key = alerting.key;
    const signals: Signals = {
      app: applicationMetrics(),
      apiServerErrors: props.apiStage.metricServerError(),
      functions: Object.entries(props.functions).map(([name, fn]) => ({
        name,
        errors: fn.metricErrors({ statistic: 'Sum' }),
        throttles: fn.metricThrottles({ statistic: 'Sum' }),
      })),
      tableThrottles: dynamoDbThrottles(props.table),
      edge: edgeMetrics(props.webAclName, props.distributionId, props.edgeRefusals?.kinds),
      edgeRevocation: props.edgeRevocation === undefined ? undefined : edgeRevocationMetrics(props.edgeRevocation),
    };
    alerting.applicationAlarms(signals);
    if (edgeAlarms) alerting.edgeAlarms(signals.edge);
    if (edgeAlarms && props.edgeRefusals !== undefined && props.edgeRefusals.kinds.length > 0)
      this.edgeRefusals = new EdgeRefusalLogs(this, 'EdgeRefusals', props.edgeRefusals);
    this.alarms = alerting.alarms;
    this.dashboard = dashboard(this, alerting, signals, edgeAlarms);
  }
}

/** The WAF and CloudFront alarms, with their own topic, for a us-east-1 stack beside a main stack elsewhere. */
export class EdgeAlarms extends Construct {
  readonly topic: sns.ITopic;
  readonly key?: kms.Key;
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly edgeRefusals?: EdgeRefusalLogs;

  constructor(scope: Construct, id: string, props: EdgeAlarmsProps) {
    super(scope, id);
    requireEdgeRegion(this, 'EdgeAlarms');
    const alerting = new Alerting(this, 'EdgeAlarms', props);
    this.topic = alerting.topic;
    this.key = alerting.key;
    alerting.edgeAlarms(edgeMetrics(props.webAclName, props.distributionId, props.edgeRefusals?.kinds));
    if (props.edgeRefusals !== undefined && props.edgeRefusals.kinds.length > 0)
      this.edgeRefusals = new EdgeRefusalLogs(this, 'EdgeRefusals', props.edgeRefusals);
    this.alarms = alerting.alarms;
  }
}

/** Alarms watch only their own region's metrics: `what` needs a us-east-1 stack (or one whose region is decided at deploy). */
function requireEdgeRegion(scope: Construct, what: string): void {
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region) && region !== EDGE_METRICS_REGION) {
    throw new Error(
      `${what} needs a stack in ${EDGE_METRICS_REGION} (where WAF and CloudFront metrics live); this stack is in ${region}`,
    );
  }
}
