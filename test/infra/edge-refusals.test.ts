/**
 * The edge refusal metrics (lib/monitoring/edge-refusals.ts): the viewer-request function's
 * refusals of a foreign site or an unbound device are counted by metric filters on its log group
 * in us-east-1, which the stack makes sure exists (CloudFront may have created it) before the
 * filters; one alarm per layer that is on, on the dashboard; nothing when the layers are off.
 * Every variant passes cdk-nag. The filter patterns are checked against the real function's lines.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EDGE_REFUSAL_METRIC } from '../../lambda/core/metric-names';
import { functionLogGroupName, refusalPattern } from '../../lib/monitoring/edge-refusals';
import { ViewerRequestFunction, type ViewerRequestEvent } from '../../local/edge/viewer-request-function';
import { exampleWith, resourcesOf, synthesize, type Synthesis } from './synth';

type Json = Record<string, unknown>;
const LAYERS = {
  domainRestriction: { enabled: true, sites: ['https://www.example.com'] },
  deviceBinding: { enabled: true },
};

let split: Synthesis;
let single: Synthesis;
let off: Synthesis;

beforeAll(() => {
  split = synthesize(exampleWith(LAYERS)); // main stack in eu-west-1: the us-east-1 edge alarms stack counts
  single = synthesize(exampleWith({ ...LAYERS, region: 'us-east-1', domainRestriction: { enabled: false } }));
  off = synthesize(exampleWith({}));
}, 300_000);

const filters = (template: Template | undefined): Json[] =>
  template === undefined
    ? []
    : Object.values(resourcesOf(template, 'AWS::Logs::MetricFilter')).map((resource) => resource.Properties ?? {});
const refusalAlarms = (template: Template | undefined): string[] =>
  template === undefined
    ? []
    : Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))
        .map((resource) => String(resource.Properties?.AlarmName))
        .filter((name) => name.includes('-edge-'))
        .sort();
const sdkCalls = (template: Template | undefined): Json[] =>
  template === undefined
    ? []
    : Object.values(resourcesOf(template, 'Custom::AWS')).map((resource) =>
        JSON.parse(JSON.stringify(resource.Properties ?? {})),
      );
/** The template's JSON with CloudFormation functions joined to a string (cross-region names are tokens). */
const text = (value: unknown): string => JSON.stringify(value) ?? '';

test('main stack elsewhere: both refusals counted and alarmed in the us-east-1 edge alarms stack, none in the main stack', () => {
  const name = split.main.delivery.viewerRequestFunction.functionName;
  const found = filters(split.edgeAlarmsTemplate);
  expect(found.map((filter) => filter.FilterPattern).sort()).toEqual(
    [refusalPattern('device'), refusalPattern('foreign-site')].sort(),
  );
  expect(
    found.map((filter) => (filter.MetricTransformations as Json[])[0]).sort((a, b) => text(a).localeCompare(text(b))),
  ).toEqual([
    { MetricNamespace: 'Streamgate', MetricName: EDGE_REFUSAL_METRIC.device, MetricValue: '1' },
    { MetricNamespace: 'Streamgate', MetricName: EDGE_REFUSAL_METRIC['foreign-site'], MetricValue: '1' },
  ]);
  // The filters sit on the function's own log group, wherever its name resolves from.
  for (const filter of found) expect(text(filter.LogGroupName)).toContain('/aws/cloudfront/function/');
  expect(functionLogGroupName(name)).toMatch(/^\/aws\/cloudfront\/function\//);
  expect(filters(split.mainTemplate).filter((filter) => text(filter).includes('Refusals'))).toEqual([]);
  expect(refusalAlarms(split.edgeAlarmsTemplate)).toEqual([
    'streamgate-edge-device-refusals',
    'streamgate-edge-foreign-site-refusals',
  ]);
  expect(refusalAlarms(split.mainTemplate)).toEqual([]);
});

test('the log group is created only if missing (CloudFront may have made it), with the retention, before the filters', () => {
  const template = split.edgeAlarmsTemplate;
  if (template === undefined) throw new Error('no edge alarms stack');
  const calls = sdkCalls(template).map((props) => ({ create: text(props.Create), update: text(props.Update) }));
  const create = calls.find((call) => call.create.includes('createLogGroup'));
  expect(create?.create).toContain('ResourceAlreadyExistsException');
  const retention = calls.find((call) => call.update.includes('putRetentionPolicy'));
  expect(retention?.update).toContain(`retentionInDays\\":${exampleWith({}).logRetentionDays}`);
  const ensureId = Object.entries(resourcesOf(template, 'Custom::AWS')).find(([, resource]) =>
    text(resource.Properties?.Create).includes('createLogGroup'),
  )?.[0];
  for (const resource of Object.values(template.findResources('AWS::Logs::MetricFilter')))
    expect(resource.DependsOn).toContain(ensureId);
  // The custom resource may touch that log group only.
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).map((resource) =>
    text(resource.Properties),
  );
  const logsPolicy = policies.find((policy) => policy.includes('logs:CreateLogGroup'));
  expect(logsPolicy).toContain('log-group:/aws/cloudfront/function/');
  expect(logsPolicy).not.toMatch(/"Resource":"\*"/);
});

test('main stack in us-east-1: the layer that is on (device binding) is counted and alarmed there, the other not', () => {
  expect(single.edgeAlarmsTemplate).toBeUndefined();
  expect(filters(single.mainTemplate).map((filter) => filter.FilterPattern)).toEqual([refusalPattern('device')]);
  expect(refusalAlarms(single.mainTemplate)).toEqual(['streamgate-edge-device-refusals']);
  const dashboard = text(Object.values(resourcesOf(single.mainTemplate, 'AWS::CloudWatch::Dashboard'))[0]);
  expect(dashboard).toContain('Edge refusals (us-east-1)');
  expect(dashboard).toContain(EDGE_REFUSAL_METRIC.device);
  expect(dashboard).not.toContain(EDGE_REFUSAL_METRIC['foreign-site']);
});

test('layers off: no log group call, filter, alarm or dashboard widget for refusals', () => {
  expect(filters(off.edgeAlarmsTemplate)).toEqual([]);
  expect(sdkCalls(off.edgeAlarmsTemplate)).toEqual([]);
  expect(refusalAlarms(off.edgeAlarmsTemplate)).toEqual([]);
  expect(text(resourcesOf(off.mainTemplate, 'AWS::CloudWatch::Dashboard'))).not.toContain('Edge refusals');
});

test('the split dashboard (main region) graphs both refusals from us-east-1', () => {
  const dashboard = text(Object.values(resourcesOf(split.mainTemplate, 'AWS::CloudWatch::Dashboard'))[0]);
  expect(dashboard).toContain('Edge refusals (us-east-1)');
  expect(dashboard).toContain(EDGE_REFUSAL_METRIC.device);
  expect(dashboard).toContain(EDGE_REFUSAL_METRIC['foreign-site']);
});

test.each([
  ['layers on, main stack elsewhere', () => split],
  ['device binding on, main stack in us-east-1', () => single],
])('cdk-nag (AWS Solutions, Serverless): no unacknowledged findings (%s)', (_name, synth) => {
  const { app } = synth();
  const violations = [
    ...new AwsSolutionsChecks(app).validateScope(app).violations,
    ...new ServerlessChecks(app).validateScope(app).violations,
  ];
  expect(violations).toEqual([]);
});

describe('the patterns match the real function', () => {
  const event = (headers: Record<string, string>): ViewerRequestEvent => ({
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '203.0.113.7' },
    request: {
      method: 'GET',
      uri: '/media/demo-1/segment_001.m2ts',
      querystring: {},
      headers: Object.fromEntries(
        Object.entries({ host: 'video.example.com', ...headers }).map(([k, v]) => [k, { value: v }]),
      ),
      cookies: { 'CloudFront-Policy': { value: 'eyJTdGF0ZW1lbnQiOltdfQ__' } },
    },
  });
  const phrase = (kind: 'foreign-site' | 'device'): string => refusalPattern(kind).slice(1, -1);

  test.each<[string, 'foreign-site' | 'device', Record<string, string>]>([
    ['a foreign Origin', 'foreign-site', { origin: 'https://pirate.example.org' }],
    ['a grant without a device tag', 'device', { origin: 'https://www.example.com' }],
  ])('%s: one log line with the %s phrase, and only that phrase', async (_name, kind, headers) => {
    const lines: string[] = [];
    const fn = ViewerRequestFunction.fromFile(undefined, {
      settings: { sites: ['https://www.example.com'], missing: 'allow', device: true },
      keyValueStore: { get: () => undefined },
      log: (line) => lines.push(line),
    });
    const outcome = await fn.run(event(headers));
    expect(outcome.kind).toBe('response');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(phrase(kind));
    const other = kind === 'device' ? 'foreign-site' : 'device';
    expect(lines[0]).not.toContain(phrase(other));
  });

  test('a passing request logs nothing the filters count', async () => {
    const lines: string[] = [];
    const fn = ViewerRequestFunction.fromFile(undefined, {
      settings: { sites: ['https://www.example.com'], missing: 'allow', device: false },
      log: (line) => lines.push(line),
    });
    expect((await fn.run(event({ origin: 'https://www.example.com' }))).kind).toBe('request');
    expect(lines.filter((line) => line.includes('streamgate-refused'))).toEqual([]);
  });
});
