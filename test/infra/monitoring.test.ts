/**
 * Monitoring: every alarm's metric, threshold, comparison, evaluation periods and action; the
 * encrypted topic; the dashboard; the region split (WAF and CloudFront metrics exist only in
 * us-east-1); and the config's monitoring section. Two syntheses: the example config (main stack
 * in eu-west-1, e-mail configured, default thresholds) and a us-east-1 deployment without e-mail
 * and with thresholds of its own.
 */
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile } from '../../lib/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ALARM_KEYS, ALARMS, DEFAULT_ALARMS, EdgeAlarms, Monitoring, type MonitoringProps } from '../../lib/monitoring';
import {
  EXAMPLE_CONFIG,
  exampleWith,
  issuesOf,
  onlyResource,
  resourcesOf,
  ROOT,
  synthesize,
  type Synthesis,
} from './synth';

type Json = Record<string, unknown>;

let split: Synthesis;
let splitEdgeAlarms: Template;
let single: Synthesis;

beforeAll(() => {
  split = synthesize(loadConfigFile(EXAMPLE_CONFIG));
  if (split.edgeAlarmsTemplate === undefined)
    throw new Error('the example config (eu-west-1) should have an edge alarms stack');
  splitEdgeAlarms = split.edgeAlarmsTemplate;
  single = synthesize(
    exampleWith({
      region: 'us-east-1',
      monitoring: {
        alarmEmail: null,
        alarms: {
          authFailureSpike: { threshold: 0.8, minDenied: 200, periodSeconds: 60, evaluationPeriods: 3 },
          wafBlockedRequests: { threshold: 2000, periodSeconds: 600, evaluationPeriods: 2 },
          cloudFront5xxRate: { threshold: 2.5 },
          lambdaErrors: { evaluationPeriods: 2 },
        },
      },
    }),
  );
}, 120_000);

/** The alarm with this AlarmName; fails when there is none. */
function alarm(template: Template, name: string): Json {
  const found = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find(
    (candidate) => candidate.Properties?.AlarmName === name,
  );
  if (found?.Properties === undefined) throw new Error(`no alarm ${name}`);
  return found.Properties;
}

const topicRef = (template: Template): { Ref: string } => ({ Ref: onlyResource(template, 'AWS::SNS::Topic').id });

/** Dimensions as a name → value map (CloudFormation lists them in no meaningful order). */
const dimensionsOf = (properties: Json): Json =>
  Object.fromEntries(
    (properties.Dimensions as { Name: string; Value: unknown }[]).map((dimension) => [dimension.Name, dimension.Value]),
  );

interface Expected {
  namespace: string;
  metricName: string;
  dimensions: Json;
  statistic: string;
  threshold: number;
  comparison: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';
  evaluationPeriods: number;
  periodSeconds?: number;
}

/** A single-metric alarm: its metric, threshold, comparison, periods, missing-data rule and action. */
function expectMetricAlarm(template: Template, name: string, expected: Expected): void {
  const properties = alarm(template, name);
  expect({
    namespace: properties.Namespace,
    metricName: properties.MetricName,
    dimensions: dimensionsOf(properties),
    statistic: properties.Statistic,
    threshold: properties.Threshold,
    comparison: properties.ComparisonOperator,
    evaluationPeriods: properties.EvaluationPeriods,
    periodSeconds: properties.Period,
  }).toEqual({ periodSeconds: 300, ...expected });
  expect(properties.DatapointsToAlarm).toBe(expected.evaluationPeriods);
  expect(properties.TreatMissingData).toBe('notBreaching');
  expect(properties.AlarmActions).toEqual([topicRef(template)]);
}

interface ExpectedMath {
  expression: string;
  namespace: string;
  /** Expression variable → metric name, in the order the alarm lists them (all Sum, same dimensions). */
  metrics: Record<string, string>;
  dimensions: { Name: string; Value: unknown }[];
  threshold: number;
  comparison: Expected['comparison'];
}

/** A metric-math alarm over 5-minute sums, one evaluation period: its expression, inputs, threshold and action. */
function expectMathAlarm(template: Template, name: string, expected: ExpectedMath): void {
  const properties = alarm(template, name);
  expect(properties.Metrics).toEqual([
    expect.objectContaining({ Expression: expected.expression, ReturnData: true }),
    ...Object.entries(expected.metrics).map(([id, metricName]) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: expected.namespace, MetricName: metricName, Dimensions: expected.dimensions },
        Period: 300,
        Stat: 'Sum',
      },
      ReturnData: false,
    })),
  ]);
  expect(properties).toMatchObject({
    Threshold: expected.threshold,
    ComparisonOperator: expected.comparison,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [topicRef(template)],
  });
}

const service = { service: 'streamgate' };
const count = {
  statistic: 'Sum',
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  evaluationPeriods: 1,
} as const;
const logicalIdOf = (template: Template, type: string, prefix: string): string => {
  const id = Object.keys(resourcesOf(template, type)).find((candidate) => candidate.startsWith(prefix));
  if (id === undefined) throw new Error(`no ${type} ${prefix}*`);
  return id;
};

describe('alarms in the main stack (eu-west-1, default thresholds)', () => {
  test('auth-failure spike: IF(denied >= 50, denied / (denied + authorized), 0) above 0.5 in one 5-minute period', () => {
    expectMathAlarm(split.mainTemplate, 'streamgate-auth-failure-spike', {
      expression: 'IF(denied >= 50, denied / (denied + FILL(authorized, 0)), 0)',
      namespace: 'Streamgate',
      metrics: { denied: 'PlaybackDenied', authorized: 'PlaybackAuthorized' },
      dimensions: [{ Name: 'service', Value: 'streamgate' }],
      threshold: 0.5,
      comparison: 'GreaterThanThreshold',
    });
  });

  test('revoked-token reuse: the first RevokedTokenReuse alarms', () => {
    expectMetricAlarm(split.mainTemplate, 'streamgate-revoked-token-reuse', {
      namespace: 'Streamgate',
      metricName: 'RevokedTokenReuse',
      dimensions: service,
      ...count,
    });
  });

  test('step-up refusals: 100 PlaybackDenied with Reason step_up_required in 5 minutes alarm', () => {
    expectMetricAlarm(split.mainTemplate, 'streamgate-step-up-refusal-spike', {
      namespace: 'Streamgate',
      metricName: 'PlaybackDenied',
      dimensions: { ...service, Reason: 'step_up_required' },
      ...count,
      threshold: 100,
    });
  });

  test('token sharing: the first TokenSharingSuspected alarms', () => {
    expectMetricAlarm(split.mainTemplate, 'streamgate-token-sharing-suspected', {
      namespace: 'Streamgate',
      metricName: 'TokenSharingSuspected',
      dimensions: service,
      ...count,
    });
  });

  test('revocation store: the first RevocationStoreError alarms', () => {
    expectMetricAlarm(split.mainTemplate, 'streamgate-revocation-store-errors', {
      namespace: 'Streamgate',
      metricName: 'RevocationStoreError',
      dimensions: service,
      ...count,
    });
  });

  test('API 5xx: five or more 5xx answers of the HTTP API stage in 5 minutes', () => {
    expectMetricAlarm(split.mainTemplate, 'streamgate-api-5xx', {
      namespace: 'AWS/ApiGateway',
      metricName: '5xx',
      dimensions: {
        ApiId: { Ref: logicalIdOf(split.mainTemplate, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi') },
        Stage: '$default',
      },
      ...count,
      threshold: 5,
    });
  });

  test('licence upstream failures: five or more LicenceUpstreamFailed in 5 minutes', () => {
    expectMetricAlarm(split.mainTemplate, 'streamgate-licence-upstream-failures', {
      namespace: 'Streamgate',
      metricName: 'LicenceUpstreamFailed',
      dimensions: service,
      ...count,
      threshold: 5,
    });
  });

  test('Lambda errors and throttles: one alarm each per function', () => {
    const functions = {
      playback: 'ApiPlayback',
      revocations: 'ApiRevocations',
      session: 'ApiSession',
      'origin-authorizer': 'ApiOriginAuthorizer',
    };
    for (const [name, idPrefix] of Object.entries(functions)) {
      const fn = { FunctionName: { Ref: logicalIdOf(split.mainTemplate, 'AWS::Lambda::Function', idPrefix) } };
      expectMetricAlarm(split.mainTemplate, `streamgate-lambda-errors-${name}`, {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: fn,
        ...count,
      });
      expectMetricAlarm(split.mainTemplate, `streamgate-lambda-throttles-${name}`, {
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions: fn,
        ...count,
      });
    }
  });

  test('DynamoDB throttles: throttled reads plus writes on the revocation table', () => {
    expectMathAlarm(split.mainTemplate, 'streamgate-dynamodb-throttles', {
      expression: 'FILL(reads, 0) + FILL(writes, 0)',
      namespace: 'AWS/DynamoDB',
      metrics: { reads: 'ReadThrottleEvents', writes: 'WriteThrottleEvents' },
      dimensions: [{ Name: 'TableName', Value: { Ref: onlyResource(split.mainTemplate, 'AWS::DynamoDB::Table').id } }],
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('the main stack holds no WAF or CloudFront alarm (their metrics are in us-east-1)', () => {
    const namespaces = Object.values(resourcesOf(split.mainTemplate, 'AWS::CloudWatch::Alarm')).map((resource) =>
      JSON.stringify(resource.Properties),
    );
    expect(namespaces.filter((text) => /AWS\/WAFV2|AWS\/CloudFront/.test(text))).toEqual([]);
    // 5 API signals (step-up refusals included) + API 5xx + licence upstream failures + 2 per each of 10 functions (3 of them
    // rotators) + DynamoDB throttles + 4 edge deny-list alarms + the signing-key age alarm (lib/signing-keys.ts).
    split.mainTemplate.resourceCountIs('AWS::CloudWatch::Alarm', 5 + 1 + 1 + 20 + 1 + 4 + 1);
  });
});

describe('edge alarms stack (us-east-1, beside a main stack in eu-west-1)', () => {
  test('is a us-east-1 stack deployed after both the edge stack and the main stack', () => {
    expect(split.edgeAlarms?.region).toBe('us-east-1');
    expect(split.edgeAlarms?.dependencies).toEqual(expect.arrayContaining([split.edge, split.main]));
  });

  test('WAF blocks: 500 or more BlockedRequests (all rules) of the web ACL in 5 minutes', () => {
    const properties = alarm(splitEdgeAlarms, 'streamgate-waf-blocked-requests');
    expectMetricAlarm(splitEdgeAlarms, 'streamgate-waf-blocked-requests', {
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensions: { Rule: 'ALL', WebACL: expect.anything() },
      ...count,
      threshold: 500,
    });
    // The web ACL's name: the first part of its Ref (name|id|scope), read from the edge stack.
    expect(dimensionsOf(properties).WebACL).toEqual({
      'Fn::Select': [
        0,
        {
          'Fn::Split': [
            '|',
            { 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'streamgate-edge', Region: 'us-east-1' }) },
          ],
        },
      ],
    });
  });

  // The distribution id comes from the main stack, in eu-west-1.
  const cloudFrontRate = {
    namespace: 'AWS/CloudFront',
    dimensions: {
      DistributionId: {
        'Fn::GetStackOutput': expect.objectContaining({ StackName: 'streamgate', Region: 'eu-west-1' }),
      },
      Region: 'Global',
    },
    statistic: 'Average',
    comparison: 'GreaterThanThreshold',
  } as const;

  test('CloudFront 4xx: error rate above 15% for three 5-minute periods', () => {
    expectMetricAlarm(splitEdgeAlarms, 'streamgate-cloudfront-4xx-rate', {
      ...cloudFrontRate,
      metricName: '4xxErrorRate',
      threshold: 15,
      evaluationPeriods: 3,
    });
  });

  test('CloudFront 5xx: error rate above 5% in one 5-minute period', () => {
    expectMetricAlarm(splitEdgeAlarms, 'streamgate-cloudfront-5xx-rate', {
      ...cloudFrontRate,
      metricName: '5xxErrorRate',
      threshold: 5,
      evaluationPeriods: 1,
    });
  });

  test('holds exactly those three alarms', () => {
    splitEdgeAlarms.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });
});

describe('alarm topics', () => {
  const templates = (): [string, Template][] => [
    ['main', split.mainTemplate],
    ['edge alarms', splitEdgeAlarms],
  ];

  test('each region has one topic, encrypted with its own customer-managed key that rotates', () => {
    for (const [, template] of templates()) {
      const key = onlyResource(template, 'AWS::KMS::Key');
      expect(key.properties.EnableKeyRotation).toBe(true);
      expect(onlyResource(template, 'AWS::SNS::Topic').properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [key.id, 'Arn'],
      });
    }
  });

  test('the key policy lets CloudWatch alarms encrypt notifications for the topic', () => {
    for (const [, template] of templates()) {
      const statements = (onlyResource(template, 'AWS::KMS::Key').properties.KeyPolicy as { Statement: Json[] })
        .Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      );
    }
  });

  test("the topic policy admits only this account's streamgate-* alarms of the same region, and refuses plain HTTP", () => {
    for (const [region, template] of [
      ['eu-west-1', split.mainTemplate],
      ['us-east-1', splitEdgeAlarms],
    ] as const) {
      const statements = (
        onlyResource(template, 'AWS::SNS::TopicPolicy').properties.PolicyDocument as { Statement: Json[] }
      ).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: {
            StringEquals: { 'aws:SourceAccount': '111111111111' },
            ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${region}:111111111111:alarm:streamgate-*` },
          },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  test('the configured e-mail address is subscribed to the topic of each region', () => {
    for (const [, template] of templates()) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'video-ops@example.com',
        TopicArn: topicRef(template),
      });
      template.resourceCountIs('AWS::SNS::Subscription', 1);
    }
  });

  test('every alarm notifies the topic of its own region', () => {
    for (const [, template] of templates()) {
      for (const resource of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
        expect(resource.Properties?.AlarmActions).toEqual([topicRef(template)]);
        // The one exception: no key-age report at all means the rotation stopped, which must page.
        const expected = resource.Properties?.MetricName === 'ActiveSigningKeyAge' ? 'breaching' : 'notBreaching';
        expect(resource.Properties?.TreatMissingData).toBe(expected);
      }
    }
  });
});

describe('dashboard', () => {
  interface Widget {
    type: string;
    properties: { title?: string; region?: string; metrics?: unknown[][]; annotations?: unknown; alarms?: unknown[] };
  }
  let widgets: Widget[];

  beforeAll(() => {
    // The body is a Fn::Join; deploy-time values stand in as "<token>" (they sit inside JSON strings).
    const parts = (
      onlyResource(split.mainTemplate, 'AWS::CloudWatch::Dashboard').properties.DashboardBody as {
        'Fn::Join': [string, unknown[]];
      }
    )['Fn::Join'][1];
    const body = parts.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
    widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
  });
  const widget = (title: RegExp): Widget => {
    const found = widgets.find((candidate) => title.test(candidate.properties.title ?? ''));
    if (found === undefined) throw new Error(`no widget ${title}`);
    return found;
  };

  test('exists, named after the deployment', () => {
    expect(onlyResource(split.mainTemplate, 'AWS::CloudWatch::Dashboard').properties.DashboardName).toBe('streamgate');
  });

  test('shows request volume (authorized + denied) and denied by reason through a SEARCH of the Reason series', () => {
    const volume = JSON.stringify(widget(/^Playback requests/).properties.metrics);
    expect(volume).toContain('"Streamgate","PlaybackAuthorized","service","streamgate"');
    expect(volume).toContain('"Streamgate","PlaybackDenied","service","streamgate"');
    expect(volume).toContain('FILL(authorized, 0) + FILL(denied, 0)');
    expect(JSON.stringify(widget(/^Denied by reason/).properties.metrics)).toContain(
      'SEARCH(\'{Streamgate,Reason,service} MetricName=\\"PlaybackDenied\\" service=\\"streamgate\\"\', \'Sum\', 300)',
    );
  });

  test('shows AuthorizeLatency p50 and p99', () => {
    const metrics = widget(/^AuthorizeLatency/).properties.metrics ?? [];
    expect(metrics).toEqual([
      ['Streamgate', 'AuthorizeLatency', 'service', 'streamgate', { label: 'p50', stat: 'p50' }],
      ['Streamgate', 'AuthorizeLatency', 'service', 'streamgate', { label: 'p99', stat: 'p99' }],
    ]);
  });

  test('shows the auth-failure alarm and the security signals', () => {
    expect(JSON.stringify(widget(/^Auth failure ratio/).properties.annotations)).toContain('<token>');
    const signals = JSON.stringify(widget(/^Revoked-token reuse/).properties.metrics);
    for (const name of ['RevokedTokenReuse', 'TokenSharingSuspected', 'RevocationStoreError'])
      expect(signals).toContain(`"Streamgate","${name}","service","streamgate"`);
  });

  test('shows failed prune writes of the state store beside the store errors', () => {
    expect(JSON.stringify(widget(/^Revoked-token reuse/).properties.metrics)).toContain(
      '"Streamgate","StatePruneFailed","service","streamgate"',
    );
  });

  test('shows API 5xx, Lambda errors and throttles per function, and DynamoDB throttles', () => {
    expect(JSON.stringify(widget(/^API 5xx/).properties.metrics)).toContain(
      '"AWS/ApiGateway","5xx","ApiId","<token>","Stage","$default"',
    );
    expect(widget(/^Lambda errors/).properties.metrics?.map((metric) => metric[1])).toEqual(Array(10).fill('Errors'));
    expect(widget(/^Lambda throttles/).properties.metrics?.map((metric) => metric[1])).toEqual(
      Array(10).fill('Throttles'),
    );
    const dynamo = JSON.stringify(widget(/^DynamoDB throttles/).properties.metrics);
    expect(dynamo).toContain('"AWS/DynamoDB","ReadThrottleEvents"');
    expect(dynamo).toContain('"AWS/DynamoDB","WriteThrottleEvents"');
  });

  test('shows licences issued, denied and failed at the licence server, its failures by reason and its latency', () => {
    const licences = JSON.stringify(widget(/^Licences$/).properties.metrics);
    for (const name of ['LicenceIssued', 'LicenceDenied', 'LicenceUpstreamFailed'])
      expect(licences).toContain(`"Streamgate","${name}","service","streamgate"`);
    expect(JSON.stringify(widget(/^Licence server failures by reason/).properties.metrics)).toContain(
      'SEARCH(\'{Streamgate,Reason,service} MetricName=\\"LicenceUpstreamFailed\\" service=\\"streamgate\\"\', \'Sum\', 300)',
    );
    expect(widget(/^LicenceUpstreamLatency/).properties.metrics?.map((metric) => metric[1])).toEqual([
      'LicenceUpstreamLatency',
      'LicenceUpstreamLatency',
    ]);
  });

  test('reads WAF blocks and CloudFront error rates from us-east-1, the rest from the main region', () => {
    const waf = widget(/^WAF requests/);
    expect(waf.properties.region).toBe('us-east-1');
    expect(JSON.stringify(waf.properties.metrics)).toContain(
      '"AWS/WAFV2","BlockedRequests","Rule","ALL","WebACL","<token>"',
    );
    const cloudFront = widget(/^CloudFront error rates/);
    expect(cloudFront.properties.region).toBe('us-east-1');
    expect(cloudFront.properties.metrics?.map((metric) => metric.slice(0, 2))).toEqual([
      ['AWS/CloudFront', '4xxErrorRate'],
      ['AWS/CloudFront', '5xxErrorRate'],
    ]);
    const others = widgets.filter(
      (candidate) => candidate.type === 'metric' && candidate !== waf && candidate !== cloudFront,
    );
    for (const other of others) expect(other.properties.region).toBe('<token>'); // { Ref: AWS::Region }
  });

  test("lists this region's alarms", () => {
    const status = widgets.find((candidate) => candidate.type === 'alarm');
    expect(status?.properties.title).toMatch(/WAF and CloudFront alarms are in us-east-1/);
    expect(status?.properties.alarms?.length).toBe(32);
  });
});

describe('main stack in us-east-1 (no e-mail, thresholds from the config)', () => {
  test('there is no edge alarms stack: one topic in the main stack gets every alarm, WAF and CloudFront included', () => {
    expect(single.edgeAlarms).toBeUndefined();
    expect(single.edgeAlarmsTemplate).toBeUndefined();
    const topic = topicRef(single.mainTemplate);
    const alarms = Object.values(resourcesOf(single.mainTemplate, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(32 + 1 + 3);
    for (const resource of alarms) expect(resource.Properties?.AlarmActions).toEqual([topic]);
    single.edgeTemplate.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('without alarmEmail nothing is subscribed', () => {
    single.mainTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('configured thresholds, periods and evaluation periods reach the alarms', () => {
    const auth = alarm(single.mainTemplate, 'streamgate-auth-failure-spike');
    expect(auth).toMatchObject({ Threshold: 0.8, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    expect(JSON.stringify(auth.Metrics)).toContain('IF(denied >= 200, denied / (denied + FILL(authorized, 0)), 0)');
    expect(JSON.stringify(auth.Metrics)).toContain('"Period":60');
    expectMetricAlarm(single.mainTemplate, 'streamgate-waf-blocked-requests', {
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensions: { Rule: 'ALL', WebACL: expect.anything() },
      ...count,
      threshold: 2000,
      evaluationPeriods: 2,
      periodSeconds: 600,
    });
    expect(alarm(single.mainTemplate, 'streamgate-cloudfront-5xx-rate')).toMatchObject({
      Threshold: 2.5,
      EvaluationPeriods: 1,
      Period: 300,
    });
    // A partial override keeps the other defaults.
    expect(alarm(single.mainTemplate, 'streamgate-lambda-errors-playback')).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 2,
      Period: 300,
    });
  });

  test('the CloudFront alarms reference the distribution in the same stack', () => {
    const distribution = onlyResource(single.mainTemplate, 'AWS::CloudFront::Distribution').id;
    expect(dimensionsOf(alarm(single.mainTemplate, 'streamgate-cloudfront-4xx-rate')).DistributionId).toEqual({
      Ref: distribution,
    });
  });
});

describe('config: the monitoring section', () => {
  test('the example spells out the defaults', () => {
    const config = loadConfigFile(EXAMPLE_CONFIG);
    expect(config.monitoring).toEqual({ alarmEmail: 'video-ops@example.com', alarms: DEFAULT_ALARMS });
  });

  test('is optional: without it every alarm has its default and nothing is subscribed', () => {
    expect(exampleWith({ monitoring: null }).monitoring).toEqual({ alarmEmail: undefined, alarms: DEFAULT_ALARMS });
  });

  const each = (field: string, value: unknown): [string, Json, string][] =>
    ALARM_KEYS.map((key) => [
      key,
      { monitoring: { alarms: { [key]: { [field]: value } } } },
      `monitoring.alarms.${key}.${field}`,
    ]);

  test.each(each('threshold', 0))('rejects a threshold of 0 for %s, naming the field', (_, overrides, field) => {
    expect(issuesOf(overrides)).toEqual([field]);
  });

  test.each(each('periodSeconds', 90))(
    'rejects a period that is not whole minutes for %s, naming the field',
    (_, overrides, field) => {
      expect(issuesOf(overrides)).toEqual([field]);
    },
  );

  test.each(each('evaluationPeriods', 0))(
    'rejects 0 evaluation periods for %s, naming the field',
    (_, overrides, field) => {
      expect(issuesOf(overrides)).toEqual([field]);
    },
  );

  const alarms = (entries: Json): Json => ({ monitoring: { alarms: entries } });
  test.each<[string, Json, string]>([
    [
      'an auth-failure ratio of 1 (never exceeded)',
      alarms({ authFailureSpike: { threshold: 1 } }),
      'monitoring.alarms.authFailureSpike.threshold',
    ],
    [
      'an auth-failure floor of 0 denials',
      alarms({ authFailureSpike: { minDenied: 0 } }),
      'monitoring.alarms.authFailureSpike.minDenied',
    ],
    [
      'a fractional auth-failure floor',
      alarms({ authFailureSpike: { minDenied: 50.5 } }),
      'monitoring.alarms.authFailureSpike.minDenied',
    ],
    ['a floor on an alarm that has none', alarms({ api5xx: { minDenied: 5 } }), 'monitoring.alarms.api5xx.minDenied'],
    [
      'a threshold that is a string',
      alarms({ revokedTokenReuse: { threshold: 'one' } }),
      'monitoring.alarms.revokedTokenReuse.threshold',
    ],
    [
      'a fractional count',
      alarms({ wafBlockedRequests: { threshold: 2.5 } }),
      'monitoring.alarms.wafBlockedRequests.threshold',
    ],
    [
      'an error rate of 100% (never exceeded)',
      alarms({ cloudFront4xxRate: { threshold: 100 } }),
      'monitoring.alarms.cloudFront4xxRate.threshold',
    ],
    ['a period under a minute', alarms({ api5xx: { periodSeconds: 30 } }), 'monitoring.alarms.api5xx.periodSeconds'],
    ['a period over a day', alarms({ api5xx: { periodSeconds: 86_460 } }), 'monitoring.alarms.api5xx.periodSeconds'],
    [
      'fractional evaluation periods',
      alarms({ lambdaErrors: { evaluationPeriods: 1.5 } }),
      'monitoring.alarms.lambdaErrors.evaluationPeriods',
    ],
    [
      'an evaluation range over a day',
      alarms({ dynamoDbThrottles: { periodSeconds: 3600, evaluationPeriods: 25 } }),
      'monitoring.alarms.dynamoDbThrottles.evaluationPeriods',
    ],
    ['an unknown alarm', alarms({ wafBlocks: { threshold: 10 } }), 'monitoring.alarms.wafBlocks'],
    ['a misspelt alarm field', alarms({ api5xx: { treshold: 10 } }), 'monitoring.alarms.api5xx.treshold'],
    ['alarm settings that are not an object', alarms({ api5xx: 5 }), 'monitoring.alarms.api5xx'],
    ['alarms that are not an object', { monitoring: { alarms: [] } }, 'monitoring.alarms'],
    ['an alarm e-mail without a domain', { monitoring: { alarmEmail: 'video-ops' } }, 'monitoring.alarmEmail'],
    [
      'an alarm e-mail whose domain has no dot',
      { monitoring: { alarmEmail: 'ops@localhost' } },
      'monitoring.alarmEmail',
    ],
    ['an alarm e-mail with a space', { monitoring: { alarmEmail: 'video ops@example.com' } }, 'monitoring.alarmEmail'],
    ['an alarm e-mail that is not a string', { monitoring: { alarmEmail: 42 } }, 'monitoring.alarmEmail'],
    ['a misspelt monitoring field', { monitoring: { email: 'video-ops@example.com' } }, 'monitoring.email'],
  ])('rejects %s, naming the field', (_, overrides, field) => {
    expect(issuesOf(overrides)).toEqual([field]);
  });
});

describe('construct props', () => {
  const stackIn = (region: string): Stack => new Stack(new App(), 'Test', { env: { account: '111111111111', region } });
  const sources = (stack: Stack): MonitoringProps => ({
    functions: { playback: lambda.Function.fromFunctionName(stack, 'Fn', 'playback') },
    apiStage: apigwv2.HttpStage.fromHttpStageAttributes(stack, 'Stage', {
      stageName: '$default',
      api: apigwv2.HttpApi.fromHttpApiAttributes(stack, 'Api', { httpApiId: 'abc123' }),
    }),
    table: dynamodb.Table.fromTableName(stack, 'Table', 'revocations'),
    distributionId: 'E2EXAMPLE',
    webAclName: 'acl',
  });

  test('Monitoring refuses edge alarms outside us-east-1', () => {
    const stack = stackIn('eu-west-1');
    expect(() => new Monitoring(stack, 'M', { ...sources(stack), edgeAlarms: true })).toThrow(
      /Monitoring: edgeAlarms needs a stack in us-east-1 .*this stack is in eu-west-1/,
    );
  });

  test('Monitoring names the alarm setting it rejects', () => {
    const stack = stackIn('eu-west-1');
    const props = sources(stack);
    expect(() => new Monitoring(stack, 'M', { ...props, alarms: { authFailureSpike: { threshold: 2 } } })).toThrow(
      /Monitoring: alarms\.authFailureSpike\.threshold must be a number from 0\.01 to 0\.99, got 2/,
    );
    expect(() => new Monitoring(stack, 'M2', { ...props, alarms: { api5xx: { periodSeconds: 90 } } })).toThrow(
      /Monitoring: alarms\.api5xx\.periodSeconds must be a multiple of 60/,
    );
  });

  test('Monitoring names alarmEmail when it is not an address', () => {
    const stack = stackIn('eu-west-1');
    expect(() => new Monitoring(stack, 'M', { ...sources(stack), alarmEmail: 'ops' })).toThrow(
      /Monitoring: alarmEmail must be an e-mail address/,
    );
  });

  test('Monitoring in us-east-1 makes the edge alarms by default', () => {
    const stack = stackIn('us-east-1');
    const monitoring = new Monitoring(stack, 'M', sources(stack));
    expect(Object.keys(monitoring.alarms)).toEqual(
      expect.arrayContaining(['WafBlockedRequestsAlarm', 'CloudFront4xxRateAlarm', 'CloudFront5xxRateAlarm']),
    );
  });

  test('EdgeAlarms refuses a region other than us-east-1', () => {
    expect(() => new EdgeAlarms(stackIn('eu-west-1'), 'E', { distributionId: 'E2EXAMPLE', webAclName: 'acl' })).toThrow(
      /EdgeAlarms needs a stack in us-east-1/,
    );
  });
});

test('cdk-nag: no unacknowledged findings in either layout, the edge alarms stack included', () => {
  for (const synthesis of [split, single]) {
    const report = new AwsSolutionsChecks(synthesis.app).validateScope(synthesis.app);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  }
});

describe('the alarm table', () => {
  test('every alarm has its runbook in docs/operations.md, under a heading naming the alarm', () => {
    const headings = readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('### '))
      .map((line) => line.slice(4));
    // GitHub's anchor of a heading: lower case, punctuation but "-" dropped, spaces to "-".
    const anchorOf = (heading: string): string =>
      heading
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-');
    for (const key of ALARM_KEYS) {
      const { name, runbook, scope } = ALARMS[key];
      const heading = headings.find((candidate) => anchorOf(candidate) === runbook);
      expect([key, heading?.startsWith(`\`${name}${scope === 'function' ? '-<function>' : ''}\``)]).toEqual([
        key,
        true,
      ]);
    }
  });

  test('alarm names are unique, so each alarm name and construct id is', () => {
    const names = ALARM_KEYS.map((key) => ALARMS[key].name);
    expect(new Set(names).size).toBe(names.length);
  });
});
