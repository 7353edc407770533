/**
 * One region's alerting (validated settings, the encrypted topic, alarms that all notify it) and
 * the alarms on the playback API, its functions and table.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { ALARM_NAMES, type AlarmKey, type AlarmOverrides, type AlarmThresholds, THRESHOLD_KIND } from './alarm-table';
import { EMAIL_ADDRESS, mergeSettings } from './settings';
import type { EdgeMetrics, Signals } from './signals';

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

/**
 * One region's alerting: validated settings, the encrypted topic, and alarms that all notify it.
 * Not a construct: its resources belong to the owner (Monitoring or EdgeAlarms).
 */
export class Alerting {
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

/** The alarms on the playback API, its functions and table; returns the auth-failure alarm (the dashboard shows it). */
export function applicationAlarms(alerting: Alerting, { app, apiServerErrors, functions, tableThrottles }: Signals): cloudwatch.Alarm {
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

function upperFirst(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
