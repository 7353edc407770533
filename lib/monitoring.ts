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
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, REASON_DIMENSION, SERVICE_DIMENSION } from '../lambda/core/metric-names';

/** Where CloudWatch keeps the metrics of CLOUDFRONT-scope web ACLs and of CloudFront distributions. */
export const EDGE_METRICS_REGION = 'us-east-1';

export const ALARM_KEYS = [
  'authFailureSpike',
  'revokedTokenReuse',
  'tokenSharingSuspected',
  'revocationStoreErrors',
  'wafBlockedRequests',
  'api5xx',
  'lambdaErrors',
  'lambdaThrottles',
  'dynamoDbThrottles',
  'cloudFront4xxRate',
  'cloudFront5xxRate',
] as const;
export type AlarmKey = (typeof ALARM_KEYS)[number];

export interface AlarmSettings {
  /** The value that alarms: a count for counters, a ratio (0-1) or a percentage for rates (THRESHOLD_KIND). */
  readonly threshold: number;
  /** Seconds per evaluated datapoint: a multiple of 60. */
  readonly periodSeconds: number;
  /** Consecutive breaching periods before the alarm fires. */
  readonly evaluationPeriods: number;
}

export interface AuthFailureSettings extends AlarmSettings {
  /** Denials per period below which the ratio is not considered (a few failures out of a few requests is no spike). */
  readonly minDenied: number;
}

export type AlarmThresholds = { readonly [K in AlarmKey]: K extends 'authFailureSpike' ? AuthFailureSettings : AlarmSettings };
export type AlarmOverrides = { readonly [K in AlarmKey]?: Partial<AlarmThresholds[K]> };

export type ThresholdKind = 'count' | 'ratio' | 'percent';

export const THRESHOLD_KIND: { readonly [K in AlarmKey]: ThresholdKind } = {
  authFailureSpike: 'ratio',
  revokedTokenReuse: 'count',
  tokenSharingSuspected: 'count',
  revocationStoreErrors: 'count',
  wafBlockedRequests: 'count',
  api5xx: 'count',
  lambdaErrors: 'count',
  lambdaThrottles: 'count',
  dynamoDbThrottles: 'count',
  cloudFront4xxRate: 'percent',
  cloudFront5xxRate: 'percent',
};

interface Limits {
  readonly min: number;
  readonly max: number;
  readonly whole: boolean;
}

/** A ratio of 1 or a rate of 100% could never be exceeded; a count below 1 would alarm on silence. */
const THRESHOLD_LIMITS: Record<ThresholdKind, Limits> = {
  count: { min: 1, max: 1_000_000_000, whole: true },
  ratio: { min: 0.01, max: 0.99, whole: false },
  percent: { min: 0.1, max: 99.9, whole: false },
};
const MIN_DENIED_LIMITS: Limits = { min: 1, max: 1_000_000, whole: true };
const PERIOD_LIMITS: Limits = { min: 60, max: 86_400, whole: true };
/** CloudWatch: periods times evaluation periods may span at most one day. */
const MAX_EVALUATION_SECONDS = 86_400;

const FIVE_MINUTES = 300;
const once = (threshold: number, periodSeconds = FIVE_MINUTES): AlarmSettings => ({ threshold, periodSeconds, evaluationPeriods: 1 });

/**
 * Defaults: security signals (revoked-token reuse, sharing, store errors) alarm on the first
 * occurrence; volumes alarm on a spike within five minutes; CloudFront's 4xx rate, which expired
 * cookies keep above zero, must stay high for three periods.
 */
export const DEFAULT_ALARMS: AlarmThresholds = {
  authFailureSpike: { threshold: 0.5, minDenied: 50, periodSeconds: FIVE_MINUTES, evaluationPeriods: 1 },
  revokedTokenReuse: once(1),
  tokenSharingSuspected: once(1),
  revocationStoreErrors: once(1),
  wafBlockedRequests: once(500),
  api5xx: once(5),
  lambdaErrors: once(1),
  lambdaThrottles: once(1),
  dynamoDbThrottles: once(1),
  cloudFront4xxRate: { threshold: 15, periodSeconds: FIVE_MINUTES, evaluationPeriods: 3 },
  cloudFront5xxRate: { threshold: 5, periodSeconds: FIVE_MINUTES, evaluationPeriods: 1 },
};

/** The fields an alarm's settings hold (the config reads exactly these). */
export function alarmSettingFields(key: AlarmKey): readonly (keyof AuthFailureSettings)[] {
  const common = ['threshold', 'periodSeconds', 'evaluationPeriods'] as const;
  return key === 'authFailureSpike' ? [...common, 'minDenied'] : common;
}

/**
 * Every alarm's settings, each field from `pick` (a config reader, or a construct's overrides)
 * given its default. Validation is alarmSettingProblems'.
 */
export function resolveAlarms(pick: (key: AlarmKey, field: keyof AuthFailureSettings, fallback: number) => number): AlarmThresholds {
  const read = (key: AlarmKey): AlarmSettings => ({
    threshold: pick(key, 'threshold', DEFAULT_ALARMS[key].threshold),
    periodSeconds: pick(key, 'periodSeconds', DEFAULT_ALARMS[key].periodSeconds),
    evaluationPeriods: pick(key, 'evaluationPeriods', DEFAULT_ALARMS[key].evaluationPeriods),
  });
  return {
    authFailureSpike: { ...read('authFailureSpike'), minDenied: pick('authFailureSpike', 'minDenied', DEFAULT_ALARMS.authFailureSpike.minDenied) },
    revokedTokenReuse: read('revokedTokenReuse'),
    tokenSharingSuspected: read('tokenSharingSuspected'),
    revocationStoreErrors: read('revocationStoreErrors'),
    wafBlockedRequests: read('wafBlockedRequests'),
    api5xx: read('api5xx'),
    lambdaErrors: read('lambdaErrors'),
    lambdaThrottles: read('lambdaThrottles'),
    dynamoDbThrottles: read('dynamoDbThrottles'),
    cloudFront4xxRate: read('cloudFront4xxRate'),
    cloudFront5xxRate: read('cloudFront5xxRate'),
  };
}

export interface SettingProblem {
  /** The settings field, e.g. `periodSeconds`. */
  readonly field: string;
  readonly problem: string;
}

/** Every rule an alarm's settings break; shared by the deploy config and the constructs. */
export function alarmSettingProblems(key: AlarmKey, settings: AlarmSettings & { readonly minDenied?: number }): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const check = (field: string, value: number | undefined, limits: Limits): void => {
    if (value === undefined) return;
    const { min, max, whole } = limits;
    if (!Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) {
      problems.push({ field, problem: `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${value}` });
    }
  };
  check('threshold', settings.threshold, THRESHOLD_LIMITS[THRESHOLD_KIND[key]]);
  check('minDenied', settings.minDenied, MIN_DENIED_LIMITS);
  check('periodSeconds', settings.periodSeconds, PERIOD_LIMITS);
  if (problems.every((p) => p.field !== 'periodSeconds') && settings.periodSeconds % 60 !== 0) {
    problems.push({ field: 'periodSeconds', problem: `must be a multiple of 60 (AWS metrics are per minute), got ${settings.periodSeconds}` });
  }
  const evaluation = settings.evaluationPeriods;
  if (!Number.isInteger(evaluation) || evaluation < 1) {
    problems.push({ field: 'evaluationPeriods', problem: `must be a whole number >= 1, got ${evaluation}` });
  } else if (problems.every((p) => p.field !== 'periodSeconds') && evaluation * settings.periodSeconds > MAX_EVALUATION_SECONDS) {
    problems.push({ field: 'evaluationPeriods', problem: `times periodSeconds must not exceed ${MAX_EVALUATION_SECONDS} s (one day), got ${evaluation * settings.periodSeconds} s` });
  }
  return problems;
}

/** Local part, then a host name with a dot; what SNS will accept as an e-mail endpoint. */
export const EMAIL_ADDRESS = /^(?=.{3,254}$)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export interface AlertingProps {
  /**
   * Prefix of the alarm names (and the dashboard's name); the topic policy admits alarms named `<name>-*`.
   * @default 'streamgate'
   */
  readonly name?: string;
  /**
   * Address subscribed to the topic (SNS mails a confirmation link first).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Per alarm, settings that replace the defaults; fields left out keep theirs.
   * @default DEFAULT_ALARMS
   */
  readonly alarms?: AlarmOverrides;
}

export interface MonitoringProps extends AlertingProps {
  /** Functions whose errors and throttles are alarmed, by the name used in the alarm names (`playback`, ...). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The HTTP API stage whose 5xx responses are alarmed. */
  readonly apiStage: apigwv2.IHttpStage;
  /** The revocation table whose throttled requests are alarmed. */
  readonly table: dynamodb.ITable;
  /** The CloudFront distribution whose error rates are watched. */
  readonly distributionId: string;
  /** Name of the CLOUDFRONT-scope web ACL whose blocked requests are watched. */
  readonly webAclName: string;
  /**
   * Whether the WAF and CloudFront alarms are made here. Their metrics exist only in us-east-1,
   * so this needs a us-east-1 stack; elsewhere an EdgeAlarms in us-east-1 makes them.
   * @default - true when this stack is in us-east-1
   */
  readonly edgeAlarms?: boolean;
}

export interface EdgeAlarmsProps extends AlertingProps {
  /** The CloudFront distribution whose error rates are alarmed. */
  readonly distributionId: string;
  /** Name of the CLOUDFRONT-scope web ACL whose blocked requests are alarmed. */
  readonly webAclName: string;
}

/** Alarm names are `<name>-<this>` (Lambda alarms add `-<function>`); the topic policy admits `<name>-*`. */
const ALARM_NAMES: { readonly [K in AlarmKey]: string } = {
  authFailureSpike: 'auth-failure-spike',
  revokedTokenReuse: 'revoked-token-reuse',
  tokenSharingSuspected: 'token-sharing-suspected',
  revocationStoreErrors: 'revocation-store-errors',
  wafBlockedRequests: 'waf-blocked-requests',
  api5xx: 'api-5xx',
  lambdaErrors: 'lambda-errors',
  lambdaThrottles: 'lambda-throttles',
  dynamoDbThrottles: 'dynamodb-throttles',
  cloudFront4xxRate: 'cloudfront-4xx-rate',
  cloudFront5xxRate: 'cloudfront-5xx-rate',
};

/** The main monitoring: topic, alarms on the API, its functions and table (and the edge in us-east-1), dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  /** The customer-managed key the topic is encrypted with. */
  readonly key: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm made here, by construct id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const edgeAlarms = props.edgeAlarms ?? Stack.of(this).region === EDGE_METRICS_REGION;
    if (edgeAlarms) requireEdgeRegion(this, 'Monitoring: edgeAlarms');
    const functionNames = Object.keys(props.functions);
    if (functionNames.length === 0) throw new Error('Monitoring: functions must name at least one function');
    const badName = functionNames.find((name) => !/^[a-z][a-z0-9-]{0,31}$/.test(name));
    if (badName !== undefined) throw new Error(`Monitoring: functions keys must be lower-case names (part of alarm names), got "${badName}"`);

    const alerting = new Alerting(this, 'Monitoring', props);
    this.topic = alerting.topic;
    this.key = alerting.key;
    const signals: Signals = {
      app: applicationMetrics(),
      apiServerErrors: props.apiStage.metricServerError(),
      functions: Object.entries(props.functions).map(([name, fn]) => ({ name, errors: fn.metricErrors({ statistic: 'Sum' }), throttles: fn.metricThrottles({ statistic: 'Sum' }) })),
      tableThrottles: dynamoDbThrottles(props.table),
      edge: edgeMetrics(props.webAclName, props.distributionId),
    };
    const authFailure = applicationAlarms(alerting, signals);
    if (edgeAlarms) alerting.edgeAlarms(signals.edge);
    this.alarms = alerting.alarms;
    this.dashboard = dashboard(this, alerting.name, signals, authFailure, Object.values(this.alarms), edgeAlarms);
  }
}

/** The WAF and CloudFront alarms, with their own topic, for a us-east-1 stack beside a main stack elsewhere. */
export class EdgeAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: EdgeAlarmsProps) {
    super(scope, id);
    requireEdgeRegion(this, 'EdgeAlarms');
    const alerting = new Alerting(this, 'EdgeAlarms', props);
    this.topic = alerting.topic;
    this.key = alerting.key;
    alerting.edgeAlarms(edgeMetrics(props.webAclName, props.distributionId));
    this.alarms = alerting.alarms;
  }
}

/** Alarms watch only their own region's metrics: `what` needs a us-east-1 stack (or one whose region is decided at deploy). */
function requireEdgeRegion(scope: Construct, what: string): void {
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region) && region !== EDGE_METRICS_REGION) {
    throw new Error(`${what} needs a stack in ${EDGE_METRICS_REGION} (where WAF and CloudFront metrics live); this stack is in ${region}`);
  }
}

/**
 * One region's alerting: validated settings, the encrypted topic, and alarms that all notify it.
 * Not a construct: its resources belong to the owner (Monitoring or EdgeAlarms).
 */
class Alerting {
  readonly name: string;
  readonly settings: AlarmThresholds;
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  private readonly action: actions.SnsAction;

  constructor(
    private readonly scope: Construct,
    owner: string,
    props: AlertingProps,
  ) {
    this.name = props.name ?? 'streamgate';
    if (!/^[A-Za-z][A-Za-z0-9-]{0,30}$/.test(this.name)) throw new Error(`${owner}: name must be a letter then letters, digits or "-" (at most 31), got "${this.name}"`);
    if (props.alarmEmail !== undefined && !EMAIL_ADDRESS.test(props.alarmEmail)) throw new Error(`${owner}: alarmEmail must be an e-mail address, got "${props.alarmEmail}"`);
    this.settings = mergeSettings(owner, props.alarms);

    const stack = Stack.of(scope);
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.key = new kms.Key(scope, 'AlarmTopicKey', { description: `${this.name}: encrypts the alarm topic in ${stack.region}`, enableKeyRotation: true });
    // CloudWatch encrypts each notification with a data key from this key. The key serves this
    // topic alone, whose policy already admits only our alarms.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'AllowCloudWatchAlarmsToPublishToTheTopic', principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }),
    );
    this.topic = new sns.Topic(scope, 'AlarmTopic', { displayName: `${this.name} alarms`, masterKey: this.key, enforceSSL: true });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        // Only this account's alarms of this deployment (named <name>-*) in this region.
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${this.name}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.topic);
  }

  /**
   * An alarm with the settings of `key` (for one function: `fn`). Counters alarm at the threshold,
   * rates above it. Missing data is never a breach: counters emit nothing when nothing happens,
   * and CloudFront has no rate without requests.
   */
  alarm(key: AlarmKey, metric: cloudwatch.Metric | cloudwatch.MathExpression, description: string, fn?: string): cloudwatch.Alarm {
    const { threshold, periodSeconds, evaluationPeriods } = this.settings[key];
    const id = `${upperFirst(key)}${fn === undefined ? '' : upperFirst(fn)}Alarm`;
    const alarm = new cloudwatch.Alarm(this.scope, id, {
      alarmName: `${this.name}-${ALARM_NAMES[key]}${fn === undefined ? '' : `-${fn}`}`,
      alarmDescription: description,
      metric: metric.with({ period: Duration.seconds(periodSeconds) }),
      threshold,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      comparisonOperator:
        THRESHOLD_KIND[key] === 'count' ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    this.alarms[id] = alarm;
    return alarm;
  }

  edgeAlarms(edge: EdgeMetrics): void {
    this.alarm('wafBlockedRequests', edge.wafBlocked, 'The WAF blocked an unusual number of requests (rate limits, IP reputation, managed rules): an attack or a misbehaving client.');
    this.alarm('cloudFront4xxRate', edge.cloudFront4xx, 'A high share of CloudFront responses are 4xx (403: missing or invalid signatures): URL guessing, hot-linking, or cookies not refreshed.');
    this.alarm('cloudFront5xxRate', edge.cloudFront5xx, 'A high share of CloudFront responses are 5xx: an origin (S3, MediaPackage, API) is failing.');
  }
}

/** What the main region's alarms and dashboard read. */
interface Signals {
  readonly app: ApplicationMetrics;
  readonly apiServerErrors: cloudwatch.Metric;
  readonly functions: readonly { readonly name: string; readonly errors: cloudwatch.Metric; readonly throttles: cloudwatch.Metric }[];
  readonly tableThrottles: cloudwatch.MathExpression;
  readonly edge: EdgeMetrics;
}

/** The alarms on the playback API, its functions and table; returns the auth-failure alarm (the dashboard shows it). */
function applicationAlarms(alerting: Alerting, { app, apiServerErrors, functions, tableThrottles }: Signals): cloudwatch.Alarm {
  const { minDenied, threshold: ratio } = alerting.settings.authFailureSpike;
  // One expression: the ratio counts only once denials reach the floor (else 0). FILL: a flood of
  // denials with no successful playback at all must still give a ratio (1), not a missing point.
  const authFailure = alerting.alarm(
    'authFailureSpike',
    new cloudwatch.MathExpression({
      expression: `IF(denied >= ${minDenied}, denied / (denied + FILL(authorized, 0)), 0)`,
      usingMetrics: { denied: app.denied, authorized: app.authorized },
      label: 'denied / (denied + authorized)',
    }),
    `More than ${+(ratio * 100).toFixed(2)}% of playback requests denied, with at least ${minDenied} denials: credential stuffing, token forgery, or a broken IdP or client.`,
  );
  alerting.alarm('revokedTokenReuse', app.revokedTokenReuse, 'A revoked token was presented again: a stolen or shared token is being replayed.');
  alerting.alarm('tokenSharingSuspected', app.sharingSuspected, 'A token is used from more networks or countries than allowed: likely shared.');
  alerting.alarm('revocationStoreErrors', app.storeError, 'The revocation table could not be read: playback fails closed (503) until it recovers.');
  alerting.alarm('api5xx', apiServerErrors, 'The playback API answered with 5xx (503 includes fail-closed revocation reads).');
  for (const { name, errors, throttles } of functions) {
    alerting.alarm('lambdaErrors', errors, `The ${name} function failed (an unhandled error or timeout, not an API error answer).`, name);
    alerting.alarm('lambdaThrottles', throttles, `The ${name} function was throttled (concurrency limit): viewers get errors.`, name);
  }
  alerting.alarm('dynamoDbThrottles', tableThrottles, 'The revocation table throttled reads or writes: revocation checks may fail closed.');
  return authFailure;
}

/** The dashboard, in the main region; the WAF and CloudFront widgets read us-east-1. */
function dashboard(scope: Construct, name: string, signals: Signals, authFailure: cloudwatch.Alarm, alarms: cloudwatch.IAlarm[], edgeAlarmsHere: boolean): cloudwatch.Dashboard {
  const { app, edge } = signals;
  const period = Duration.minutes(5);
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}): cloudwatch.GraphWidget =>
    new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period, ...extra });
  const labelled = (metric: cloudwatch.Metric, label: string): cloudwatch.Metric => metric.with({ label });
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: name,
    defaultInterval: Duration.hours(3),
    widgets: [
      [
        graph(
          'Playback requests (authorized + denied)',
          [
            labelled(app.authorized, 'authorized'),
            labelled(app.denied, 'denied'),
            new cloudwatch.MathExpression({ expression: 'FILL(authorized, 0) + FILL(denied, 0)', usingMetrics: { authorized: app.authorized, denied: app.denied }, label: 'requests' }),
          ],
          { width: 12 },
        ),
        graph(
          'Denied by reason',
          [
            // Every Reason series there is, the API error codes included, without listing them here.
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${METRICS_NAMESPACE},${REASON_DIMENSION},${SERVICE_DIMENSION}} MetricName="${METRIC.denied}" ${SERVICE_DIMENSION}="${METRICS_SERVICE}"', 'Sum', ${period.toSeconds()})`,
              usingMetrics: {},
              label: '',
            }),
          ],
          { width: 12, stacked: true },
        ),
      ],
      [
        new cloudwatch.AlarmWidget({ title: 'Auth failure ratio (alarm)', alarm: authFailure, width: 8, height: 6 }),
        graph(`${METRIC.latency} (ms) p50 / p99`, [app.latency.with({ statistic: 'p50', label: 'p50' }), app.latency.with({ statistic: 'p99', label: 'p99' })]),
        graph('Revoked-token reuse, sharing, store errors', [
          labelled(app.revokedTokenReuse, METRIC.revokedTokenReuse),
          labelled(app.sharingSuspected, METRIC.sharingSuspected),
          labelled(app.storeError, METRIC.storeError),
        ]),
      ],
      [
        graph('API 5xx', [labelled(signals.apiServerErrors, '5xx')]),
        graph('Lambda errors', signals.functions.map((fn) => labelled(fn.errors, fn.name))),
        graph('Lambda throttles', signals.functions.map((fn) => labelled(fn.throttles, fn.name))),
      ],
      [
        graph('DynamoDB throttles (revocation table)', [signals.tableThrottles]),
        graph(`WAF requests (${EDGE_METRICS_REGION})`, [labelled(edge.wafBlocked, 'blocked'), labelled(edge.wafAllowed, 'allowed')], { region: EDGE_METRICS_REGION }),
        graph(`CloudFront error rates % (${EDGE_METRICS_REGION})`, [labelled(edge.cloudFront4xx, '4xx'), labelled(edge.cloudFront5xx, '5xx')], { region: EDGE_METRICS_REGION }),
      ],
      [
        new cloudwatch.AlarmStatusWidget({
          title: edgeAlarmsHere ? 'Alarms' : `Alarms (the WAF and CloudFront alarms are in ${EDGE_METRICS_REGION})`,
          alarms,
          width: 24,
          height: 4,
        }),
      ],
    ],
  });
}

function upperFirst(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

function mergeSettings(owner: string, overrides: AlarmOverrides = {}): AlarmThresholds {
  const unknown = Object.keys(overrides).filter((key) => !(ALARM_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new Error(`${owner}: alarms has unknown alarm ${unknown.join(', ')} (expected one of ${ALARM_KEYS.join(', ')})`);
  // Widening: an override holds some of these fields (minDenied only for authFailureSpike).
  const merged = resolveAlarms((key, field, fallback) => (overrides[key] as Partial<AuthFailureSettings> | undefined)?.[field] ?? fallback);
  for (const key of ALARM_KEYS) {
    const [first] = alarmSettingProblems(key, merged[key]);
    if (first !== undefined) throw new Error(`${owner}: alarms.${key}.${first.field} ${first.problem}`);
  }
  return merged;
}

type ApplicationMetrics = Record<'authorized' | 'denied' | 'revokedTokenReuse' | 'sharingSuspected' | 'storeError' | 'latency', cloudwatch.Metric>;

/** The playback API's EMF series, each on its single `service` dimension (the alarmed ones). */
function applicationMetrics(): ApplicationMetrics {
  const metric = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { [SERVICE_DIMENSION]: METRICS_SERVICE }, statistic: 'Sum' });
  return {
    authorized: metric(METRIC.authorized),
    denied: metric(METRIC.denied),
    revokedTokenReuse: metric(METRIC.revokedTokenReuse),
    sharingSuspected: metric(METRIC.sharingSuspected),
    storeError: metric(METRIC.storeError),
    latency: metric(METRIC.latency),
  };
}

/** Throttled reads plus throttled writes (on-demand tables throttle too: per-partition limits). */
function dynamoDbThrottles(table: dynamodb.ITable): cloudwatch.MathExpression {
  const events = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: 'AWS/DynamoDB', metricName: name, dimensionsMap: { TableName: table.tableName }, statistic: 'Sum' });
  return new cloudwatch.MathExpression({
    expression: 'FILL(reads, 0) + FILL(writes, 0)',
    usingMetrics: { reads: events('ReadThrottleEvents'), writes: events('WriteThrottleEvents') },
    label: 'throttled reads + writes',
  });
}

interface EdgeMetrics {
  readonly wafBlocked: cloudwatch.Metric;
  readonly wafAllowed: cloudwatch.Metric;
  readonly cloudFront4xx: cloudwatch.Metric;
  readonly cloudFront5xx: cloudwatch.Metric;
}

/**
 * WAF and CloudFront metrics, all in us-east-1 (a CLOUDFRONT-scope web ACL has no Region
 * dimension). No region is set on them: widgets set it, and an alarm is in us-east-1 anyway.
 */
function edgeMetrics(webAclName: string, distributionId: string): EdgeMetrics {
  const waf = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: 'AWS/WAFV2', metricName: name, dimensionsMap: { WebACL: webAclName, Rule: 'ALL' }, statistic: 'Sum' });
  const cloudFront = (name: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: 'AWS/CloudFront', metricName: name, dimensionsMap: { DistributionId: distributionId, Region: 'Global' }, statistic: 'Average' });
  return {
    wafBlocked: waf('BlockedRequests'),
    wafAllowed: waf('AllowedRequests'),
    cloudFront4xx: cloudFront('4xxErrorRate'),
    cloudFront5xx: cloudFront('5xxErrorRate'),
  };
}
