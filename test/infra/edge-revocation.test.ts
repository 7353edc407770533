/**
 * Edge revocation as deployed, asserted on the synthesized templates (cdk-nag runs on each):
 * the KeyValueStore and its association with the one viewer-request function, that function on
 * every signed behaviour, the state table's stream (and no index), the stream consumer's
 * event source, its one `denied` filter and on-failure queue, least privilege for the writers
 * (the consumer reads the stream, never the table), the alarms, the sweeper's
 * schedule, the API's settings, and what turning it off removes. VOD and live packaging.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { STREAM_LIMIT_POLICY } from '../../lambda/core/abuse-defaults';
import { loadConfig } from '../../lambda/core/config';
import { DENY_LIST_METRIC, METRICS_NAMESPACE } from '../../lambda/core/metric-names';
import { STATE_TABLE, USER_ATTRIBUTES } from '../../lambda/store/table-schema';
import { KVS_WORST_BATCH_MS } from '../../lambda/store/kvs-deny-list';
import { DENYING_ATTRIBUTE, KVS_WRITER_ACTIONS } from '../../lib/edge-revocation';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';
import { exampleWith, issuesOf, onlyResource, resourcesOf, synthesize, type Synthesis } from './synth';

type Json = Record<string, unknown>;
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const LIVE = {
  mode: 'live',
  spekeUrl: 'https://speke.example.com/v2/copyProtection',
  spekeV1Url: null, // the example's VOD-only SPEKE v1 endpoint
  spekeRoleArn: 'arn:aws:iam::111111111111:role/streamgate-speke',
};

let vod: Synthesis;
let live: Synthesis;
let off: Synthesis;
beforeAll(() => {
  vod = synthesize(exampleWith({}));
  live = synthesize(exampleWith({ packaging: LIVE, abuse: { streamLimitPolicy: 'evict-oldest' } }));
  off = synthesize(exampleWith({ edgeRevocation: { enabled: false } }));
}, 240_000);

const idOf = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
};
const statementsOf = (template: Template, rolePrefix: string): Statement[] =>
  Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(rolePrefix))
    .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
const actions = (statement: Statement): string[] => [statement.Action].flat();
const envOf = (template: Template, prefix: string): Json =>
  (
    resourcesOf(template, 'AWS::Lambda::Function')[idOf(template, 'AWS::Lambda::Function', prefix)].Properties
      ?.Environment as { Variables: Json }
  ).Variables;
const alarmNamed = (template: Template, name: string): Json => {
  const found = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
    (alarm) => alarm.Properties?.AlarmName === name,
  );
  expect(found).toHaveLength(1);
  return found[0].Properties ?? {};
};

describe.each([
  ['VOD', () => vod],
  ['live', () => live],
])('enabled (%s packaging)', (_, synthesis) => {
  test('one KeyValueStore, associated with the one viewer-request function, which keeps its logical id', () => {
    const { mainTemplate } = synthesis();
    const store = onlyResource(mainTemplate, 'AWS::CloudFront::KeyValueStore');
    const fn = onlyResource(mainTemplate, 'AWS::CloudFront::Function');
    expect(fn.id).toMatch(/^DeliveryViewerRequest[0-9A-F]{8}$/);
    expect(fn.properties.FunctionConfig).toMatchObject({
      Runtime: 'cloudfront-js-2.0',
      KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': [store.id, 'Arn'] } }],
    });
  });

  test('the function runs at viewer request on every signed behaviour (manifests, media, /drm/) and nowhere else', () => {
    const { mainTemplate } = synthesis();
    const fnId = onlyResource(mainTemplate, 'AWS::CloudFront::Function').id;
    const config = onlyResource(mainTemplate, 'AWS::CloudFront::Distribution').properties.DistributionConfig as {
      DefaultCacheBehavior: Json;
      CacheBehaviors: Json[];
    };
    const behaviours = [config.DefaultCacheBehavior, ...config.CacheBehaviors];
    const signed = behaviours.filter((behaviour) => behaviour.TrustedKeyGroups !== undefined);
    expect(signed.map((behaviour) => behaviour.PathPattern).sort()).toEqual(
      ['/drm/*', '/media/*', '/media/*.m3u8', '/media/*.mpd'].sort(),
    );
    for (const behaviour of signed) {
      expect([behaviour.PathPattern, behaviour.FunctionAssociations]).toEqual([
        behaviour.PathPattern,
        [{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }],
      ]);
    }
    for (const behaviour of behaviours.filter((candidate) => candidate.TrustedKeyGroups === undefined))
      expect(behaviour.FunctionAssociations).toBeUndefined();
  });

  test('the state table keeps its logical id and gains a NEW_AND_OLD_IMAGES stream, and has no index (one item per user)', () => {
    const { mainTemplate } = synthesis();
    const table = onlyResource(mainTemplate, 'AWS::DynamoDB::Table');
    expect(table.id).toMatch(/^RevocationsTable[0-9A-F]{8}$/);
    expect(table.properties).toMatchObject({
      KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(table.properties.GlobalSecondaryIndexes).toBeUndefined();
    expect(table.properties.LocalSecondaryIndexes).toBeUndefined();
    expect(table.properties.AttributeDefinitions).toEqual([
      { AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' },
    ]);
  });

  test('the stream consumer: from the oldest record, bisecting, bounded retries and age, failures reported per record, failed batches to an encrypted SSL-only queue', () => {
    const { mainTemplate } = synthesis();
    const mapping = onlyResource(mainTemplate, 'AWS::Lambda::EventSourceMapping').properties;
    const table = onlyResource(mainTemplate, 'AWS::DynamoDB::Table').id;
    const queue = onlyResource(mainTemplate, 'AWS::SQS::Queue');
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [table, 'StreamArn'] },
      FunctionName: { Ref: idOf(mainTemplate, 'AWS::Lambda::Function', 'EdgeRevocationStreamConsumer') },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue.id, 'Arn'] } } },
    });
    // Only the writes that set `denied` (those that revoke or end something) reach the function:
    // exactly one filter, so the API's counter writes (which remove it) never invoke it.
    const patterns = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((filter) =>
      JSON.parse(filter.Pattern),
    );
    expect(patterns).toEqual([{ dynamodb: { NewImage: { denied: { N: [{ exists: true }] } } } }]);
    // The attribute the store sets on revoking writes is the one the filter names.
    expect(DENYING_ATTRIBUTE).toBe(USER_ATTRIBUTES.denied);
    expect(queue.properties.SqsManagedSseEnabled).toBe(true);
    const queuePolicy = JSON.stringify(onlyResource(mainTemplate, 'AWS::SQS::QueuePolicy').properties);
    expect(queuePolicy).toContain('"aws:SecureTransport":"false"');
    expect(queuePolicy).toContain('"Effect":"Deny"');
  });

  test('least privilege: the writers may call DescribeKeyValueStore, UpdateKeys and ListKeys on this store only; the consumer reads the stream and nothing in the table', () => {
    const { mainTemplate } = synthesis();
    const store = { 'Fn::GetAtt': [onlyResource(mainTemplate, 'AWS::CloudFront::KeyValueStore').id, 'Arn'] };
    const table = onlyResource(mainTemplate, 'AWS::DynamoDB::Table').id;
    const kvsStatements = (prefix: string): Statement[] =>
      statementsOf(mainTemplate, prefix).filter((statement) =>
        actions(statement).some((action) => action.startsWith('cloudfront-keyvaluestore:')),
      );
    for (const role of ['EdgeRevocationStreamConsumerRole', 'EdgeRevocationSweeperRole']) {
      expect(kvsStatements(role)).toEqual([
        { Effect: 'Allow', Action: [...KVS_WRITER_ACTIONS].sort(), Resource: store },
      ]);
    }
    expect([...KVS_WRITER_ACTIONS].sort()).toEqual([
      'cloudfront-keyvaluestore:DescribeKeyValueStore',
      'cloudfront-keyvaluestore:ListKeys',
      'cloudfront-keyvaluestore:UpdateKeys',
    ]);
    // No other role may write the store.
    expect(kvsStatements('')).toHaveLength(2);

    const dynamo = statementsOf(mainTemplate, 'EdgeRevocationStreamConsumerRole')
      .filter((statement) => actions(statement).some((action) => action.startsWith('dynamodb:')))
      .map((statement) => [actions(statement).sort(), statement.Resource]);
    expect(dynamo).toEqual(
      expect.arrayContaining([
        [
          ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          { 'Fn::GetAtt': [table, 'StreamArn'] },
        ],
        [['dynamodb:ListStreams'], '*'],
      ]),
    );
    expect(dynamo).toHaveLength(2);
    // The replicator works from the stream record's images: no item or index read on the table.
    const consumerActions = statementsOf(mainTemplate, 'EdgeRevocationStreamConsumerRole').flatMap(actions);
    for (const action of ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'])
      expect(consumerActions).not.toContain(action);
    expect(consumerActions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    expect(statementsOf(mainTemplate, 'EdgeRevocationSweeperRole').flatMap(actions).sort()).toEqual(
      ['logs:CreateLogStream', 'logs:PutLogEvents', ...KVS_WRITER_ACTIONS].sort(),
    );
  });

  test("each function knows the store and the clock tolerance, not the table; the consumer outlasts its writer's retries", () => {
    const { mainTemplate } = synthesis();
    const consumer = resourcesOf(mainTemplate, 'AWS::Lambda::Function')[
      idOf(mainTemplate, 'AWS::Lambda::Function', 'EdgeRevocationStreamConsumer')
    ].Properties;
    // A user cut-off's sessions may take a few batches; one must at least fit with room to report.
    expect(consumer?.Timeout).toBeGreaterThan(KVS_WORST_BATCH_MS / 1000 + 10);
    const store = { 'Fn::GetAtt': [onlyResource(mainTemplate, 'AWS::CloudFront::KeyValueStore').id, 'Arn'] };
    for (const prefix of ['EdgeRevocationStreamConsumer', 'EdgeRevocationSweeper']) {
      const env = envOf(mainTemplate, prefix);
      expect(env).toMatchObject({ EDGE_DENY_LIST_KVS_ARN: store, JWT_CLOCK_TOLERANCE_SECONDS: '30' });
      for (const unread of ['REVOCATION_TABLE_NAME', 'STORE_TIMEOUT_MS', 'DYNAMODB_ENDPOINT'])
        expect(env).not.toHaveProperty(unread);
    }
  });

  test('the sweeper runs every 5 minutes on an EventBridge schedule', () => {
    const { mainTemplate } = synthesis();
    // The other rule is the signing-key rotation's schedule (lib/signing-keys.ts).
    const [, sweep] = Object.entries(resourcesOf(mainTemplate, 'AWS::Events::Rule')).filter(([id]) =>
      id.startsWith('EdgeRevocation'),
    )[0];
    const rule = sweep.Properties ?? {};
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [idOf(mainTemplate, 'AWS::Lambda::Function', 'EdgeRevocationSweeper'), 'Arn'] },
      }),
    ]);
  });

  test('alarms on failed writes, the on-failure queue, stream lag and store size notify the topic', () => {
    const { mainTemplate } = synthesis();
    const topic = { Ref: onlyResource(mainTemplate, 'AWS::SNS::Topic').id };
    const failed = alarmNamed(mainTemplate, 'streamgate-deny-list-writes-failed');
    expect(failed).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: DENY_LIST_METRIC.writesFailed,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
    });
    expect(alarmNamed(mainTemplate, 'streamgate-deny-list-failed-records')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [onlyResource(mainTemplate, 'AWS::SQS::Queue').id, 'QueueName'] } },
      ],
      Threshold: 1,
      AlarmActions: [topic],
    });
    expect(alarmNamed(mainTemplate, 'streamgate-deny-list-stream-lag')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: idOf(mainTemplate, 'AWS::Lambda::Function', 'EdgeRevocationStreamConsumer') },
        },
      ],
      Threshold: 60000,
    });
    expect(alarmNamed(mainTemplate, 'streamgate-deny-list-store-size')).toMatchObject({
      MetricName: DENY_LIST_METRIC.storeBytes,
      Statistic: 'Maximum',
      Threshold: 4000000,
    });
    for (const fn of ['deny-list-stream', 'deny-list-sweeper'])
      expect(alarmNamed(mainTemplate, `streamgate-lambda-errors-${fn}`).MetricName).toBe('Errors');
  });

  test('the dashboard has an edge deny-list row: entries written, failures, queue, stream lag, store size', () => {
    const body = JSON.stringify(onlyResource(synthesis().mainTemplate, 'AWS::CloudWatch::Dashboard').properties);
    for (const metric of [DENY_LIST_METRIC.entriesWritten, DENY_LIST_METRIC.writesFailed, DENY_LIST_METRIC.storeBytes])
      expect(body).toContain(`\\"${METRICS_NAMESPACE}\\",\\"${metric}\\"`);
    expect(body).toContain('\\"AWS/Lambda\\",\\"IteratorAge\\"');
    expect(body).toContain('\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\"');
  });

  test('the API functions get EDGE_DENY_LIST=on and the stream limit policy', () => {
    const { mainTemplate } = synthesis();
    const policy = synthesis() === live ? 'evict-oldest' : STREAM_LIMIT_POLICY.fallback;
    for (const prefix of ['ApiPlayback', 'ApiRevocations', 'ApiSession']) {
      expect(envOf(mainTemplate, prefix)).toMatchObject({ EDGE_DENY_LIST: 'on', STREAM_LIMIT_POLICY: policy });
    }
  });
});

describe('edgeRevocation.enabled: false', () => {
  test('no store, no association, no stream consumer, sweeper, queue or their alarms; the function stays on every signed behaviour', () => {
    const { mainTemplate } = off;
    mainTemplate.resourceCountIs('AWS::CloudFront::KeyValueStore', 0);
    mainTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    // Only the signing-key rotation's schedule remains.
    expect(Object.keys(resourcesOf(mainTemplate, 'AWS::Events::Rule'))).toEqual([
      expect.stringMatching(/^SigningKeysRotationSchedule/),
    ]);
    mainTemplate.resourceCountIs('AWS::SQS::Queue', 0);
    const fn = onlyResource(mainTemplate, 'AWS::CloudFront::Function');
    expect(fn.properties.FunctionConfig).not.toHaveProperty('KeyValueStoreAssociations');
    const config = onlyResource(mainTemplate, 'AWS::CloudFront::Distribution').properties.DistributionConfig as {
      CacheBehaviors: Json[];
    };
    const signed = config.CacheBehaviors.filter((behaviour) => behaviour.TrustedKeyGroups !== undefined);
    expect(signed.length).toBeGreaterThanOrEqual(3);
    for (const behaviour of signed)
      expect(behaviour.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fn.id, 'FunctionARN'] } },
      ]);
    expect(
      Object.keys(resourcesOf(mainTemplate, 'AWS::Lambda::Function')).filter((id) => id.startsWith('EdgeRevocation')),
    ).toEqual([]);
    const alarmNames = Object.values(resourcesOf(mainTemplate, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties?.AlarmName as string,
    );
    expect(alarmNames.filter((name) => name.includes('deny-list'))).toEqual([]);
    expect(JSON.stringify(resourcesOf(mainTemplate, 'AWS::IAM::Policy'))).not.toContain('cloudfront-keyvaluestore');
    expect(JSON.stringify(onlyResource(mainTemplate, 'AWS::CloudWatch::Dashboard').properties)).not.toContain(
      'DenyList',
    );
  });

  test('the table has no stream and no index and keeps its logical id; the API gets EDGE_DENY_LIST=off', () => {
    const table = onlyResource(off.mainTemplate, 'AWS::DynamoDB::Table');
    expect(table.id).toBe(onlyResource(vod.mainTemplate, 'AWS::DynamoDB::Table').id);
    expect(table.properties.StreamSpecification).toBeUndefined();
    expect(table.properties.GlobalSecondaryIndexes).toBeUndefined();
    for (const prefix of ['ApiPlayback', 'ApiRevocations', 'ApiSession'])
      expect(envOf(off.mainTemplate, prefix)).toMatchObject({ EDGE_DENY_LIST: 'off' });
  });

  test('the API reads the value the stack writes: on records grant ids, off does not', () => {
    for (const [synthesis, expected] of [
      [vod, true],
      [off, false],
    ] as const) {
      const { EDGE_DENY_LIST } = envOf(synthesis.mainTemplate, 'ApiPlayback');
      expect(loadConfig({ ...MINIMAL_LAMBDA_ENV, EDGE_DENY_LIST: String(EDGE_DENY_LIST) }).edgeDenyList).toBe(expected);
    }
  });
});

describe('config', () => {
  test('defaults: on, sweeps every 5 minutes, reject-newest', () => {
    const config = exampleWith({ edgeRevocation: null, abuse: { streamLimitPolicy: null } });
    expect(config.edgeRevocation).toEqual({ enabled: true, sweepIntervalMinutes: 5 });
    expect(config.abuse.streamLimitPolicy).toBe('reject-newest');
  });

  test.each([
    [{ edgeRevocation: { enabled: 'yes' } }, 'edgeRevocation.enabled'],
    [{ edgeRevocation: { sweepIntervalMinutes: 0 } }, 'edgeRevocation.sweepIntervalMinutes'],
    [{ edgeRevocation: { sweepIntervalMinutes: 1.5 } }, 'edgeRevocation.sweepIntervalMinutes'],
    [{ edgeRevocation: { kvsArn: 'arn:aws:cloudfront::1:key-value-store/x' } }, 'edgeRevocation.kvsArn'],
    [{ edgeRevocation: 'on' }, 'edgeRevocation'],
    [{ abuse: { streamLimitPolicy: 'kick-oldest' } }, 'abuse.streamLimitPolicy'],
  ])('%j is refused, naming %s', (overrides, field) => {
    expect(issuesOf(overrides)).toEqual([field]);
  });
});
