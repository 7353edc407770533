/**
 * One region's alerting: validated settings, the encrypted topic, and the alarm table's alarms,
 * which all notify it.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import {
  ALARM_KEYS,
  type AlarmKey,
  type AlarmMetric,
  type AlarmOverrides,
  ALARMS,
  alarmSpec,
  type AlarmThresholds,
} from './alarm-table';
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
  /**
   * A topic the team already has (wired to its pager): every alarm notifies it, and no topic, key
   * or subscription is made. Its policy (and its KMS key's, if encrypted) must let
   * `cloudwatch.amazonaws.com` publish: CDK cannot change an imported topic's policy.
   * @default - a new topic, encrypted with a new customer-managed key
   */
  readonly topic?: sns.ITopic;
}

/**
 * One region's alerting: validated settings, the encrypted topic, and alarms that all notify it.
 * Not a construct: its resources belong to the owner (Monitoring or EdgeAlarms).
 */
export class Alerting {
  readonly name: string;
  readonly settings: AlarmThresholds;
  /** The key the topic is encrypted with; absent when the team brought its own topic. */
  readonly key?: kms.Key;
  readonly topic: sns.ITopic;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  private readonly action: actions.SnsAction;

  constructor(
    private readonly scope: Construct,
    owner: string,
    props: AlertingProps,
  ) {
    this.name = props.name ?? 'streamgate';
    if (!/^[A-Za-z][A-Za-z0-9-]{0,30}$/.test(this.name))
      throw new Error(`${owner}: name must be a letter then letters, digits or "-" (at most 31), got "${this.name}"`);
    if (props.alarmEmail !== undefined && !EMAIL_ADDRESS.test(props.alarmEmail))
      throw new Error(`${owner}: alarmEmail must be an e-mail address, got "${props.alarmEmail}"`);
    this.settings = mergeSettings(owner, props.alarms);

    if (props.topic !== undefined) {
      if (props.alarmEmail !== undefined)
        throw new Error(
          `${owner}: alarmEmail applies to the topic streamgate makes; subscribe it to your own topic instead`,
        );
      this.topic = props.topic;
      this.action = new actions.SnsAction(this.topic);
      return;
    }
    const stack = Stack.of(scope);
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.key = new kms.Key(scope, 'AlarmTopicKey', {
      description: `${this.name}: encrypts the alarm topic in ${stack.region}`,
      enableKeyRotation: true,
    });
    // CloudWatch encrypts each notification with a data key from this key. The key serves this
    // topic alone, whose policy already admits only our alarms.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(scope, 'AlarmTopic', {
      displayName: `${this.name} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        // Only this account's alarms of this deployment (named <name>-*) in this region.
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${this.name}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.topic = topic;
    this.action = new actions.SnsAction(this.topic);
  }

  /** The alarms made so far, by table key (per-function alarms: the first function's). */
  readonly alarmsByKey: Partial<Record<AlarmKey, cloudwatch.Alarm>> = {};

  /**
   * The alarm of table record `key` (for one function: `fn`), with this region's settings for it.
   * Counters alarm at the threshold, rates above it. Missing data is never a breach: counters emit
   * nothing when nothing happens, and CloudFront has no rate without requests.
   */
  alarm(key: AlarmKey, metric: AlarmMetric, description: string, fn?: string): cloudwatch.Alarm {
    const { threshold, periodSeconds, evaluationPeriods } = this.settings[key];
    const id = `${upperFirst(key)}${fn === undefined ? '' : upperFirst(fn)}Alarm`;
    const alarm = new cloudwatch.Alarm(this.scope, id, {
      alarmName: `${this.name}-${ALARMS[key].name}${fn === undefined ? '' : `-${fn}`}`,
      alarmDescription: description,
      metric: metric.with({ period: Duration.seconds(periodSeconds) }),
      threshold,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      comparisonOperator:
        ALARMS[key].kind === 'count'
          ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
          : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    this.alarms[id] = alarm;
    this.alarmsByKey[key] ??= alarm;
    return alarm;
  }

  /** The table's edge alarms (WAF, CloudFront), in table order. */
  edgeAlarms(edge: EdgeMetrics): void {
    for (const key of ALARM_KEYS) {
      const spec = alarmSpec(key);
      if (spec.scope !== 'edge') continue;
      const metric = spec.metric(edge);
      if (metric !== undefined) this.alarm(key, metric, spec.description());
    }
  }

  /**
   * The table's alarms on the playback API, its table and its functions, in table order; the
   * per-function alarms function by function, so each function's alarms sit together.
   */
  applicationAlarms(signals: Signals): void {
    const functionKeys = ALARM_KEYS.filter((key) => ALARMS[key].scope === 'function');
    for (const key of ALARM_KEYS) {
      const spec = alarmSpec(key);
      if (spec.scope === 'main')
        this.alarm(key, spec.metric(signals, this.settings[key]), spec.description(this.settings[key]));
      if (spec.scope === 'edgeRevocation' && signals.edgeRevocation !== undefined)
        this.alarm(key, spec.metric(signals.edgeRevocation), spec.description(this.settings[key]));
      if (spec.scope !== 'function' || key !== functionKeys[0]) continue;
      for (const fn of signals.functions) {
        for (const functionKey of functionKeys) {
          const perFunction = alarmSpec(functionKey);
          if (perFunction.scope === 'function')
            this.alarm(functionKey, perFunction.metric(fn), perFunction.description(fn.name), fn.name);
        }
      }
    }
  }
}

function upperFirst(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
