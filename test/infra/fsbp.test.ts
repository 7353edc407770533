/**
 * AWS Foundational Security Best Practices, control by control, on the synthesized templates of
 * both variants: VOD (the example config, production, eu-west-1) and live (a test deployment
 * without a custom domain, in us-east-1). Each test reads the property the control's check
 * reads. The controls streamgate does not pass are listed, with why, in lib/nag.ts
 * FSBP_SUPPRESSIONS and in docs/security-controls.md, which must agree.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { exampleApp } from '../../bin/example-app';
import { FSBP_SUPPRESSIONS } from '../../lib/nag';
import { cdkContext, exampleWith, issuesOf, ROOT, resourcesOf, synthesize, type Synthesis } from './synth';

type Props = Record<string, unknown>;
let vod: Synthesis;
let live: Synthesis;

beforeAll(() => {
  vod = synthesize(exampleWith({}));
  live = synthesize(
    exampleWith({
      deployment: 'test',
      region: 'us-east-1',
      delivery: { domainNames: null, certificateArn: null },
      packaging: {
        mode: 'live',
        spekeUrl: 'https://speke.example.com/v2/copyProtection',
        spekeV1Url: null, // the example's VOD-only SPEKE v1 endpoint
        spekeRoleArn: 'arn:aws:iam::111111111111:role/streamgate-speke',
      },
    }),
  );
}, 180_000);

const variants = () =>
  [
    ['VOD', vod],
    ['live', live],
  ] as const;
const resources = (s: Synthesis, type: string) =>
  Object.entries(resourcesOf(s.mainTemplate, type)).map(([id, r]) => ({ id, props: (r.Properties ?? {}) as Props }));
const days = (expression: unknown) => Number(/^rate\((\d+) days?\)$/.exec(String(expression))?.[1] ?? Number.NaN);

describe.each(['VOD', 'live'] as const)('%s', (name) => {
  const synth = () => (name === 'VOD' ? vod : live);

  test('SecretsManager.1/.4: every secret rotates within 90 days (the signing key by its own schedule)', () => {
    const schedules = resources(synth(), 'AWS::SecretsManager::RotationSchedule');
    const rotated = schedules.map((schedule) => (schedule.props.SecretId as { Ref: string }).Ref);
    for (const schedule of schedules) {
      expect(days((schedule.props.RotationRules as Props).ScheduleExpression)).toBeLessThanOrEqual(90);
    }
    const secrets = resources(synth(), 'AWS::SecretsManager::Secret').map((secret) => secret.id);
    // Origin-verify and (VOD) the CDN identifier by Secrets Manager; only the signing key otherwise.
    // Live packaging (MediaPackage v2) is reached through Origin Access Control: no CDN identifier.
    expect(secrets.filter((id) => !rotated.includes(id))).toEqual([expect.stringMatching(/^SigningKeysSecret/)]);
    expect(rotated.sort()).toEqual(
      name === 'VOD'
        ? [expect.stringMatching(/^ApiOriginVerify/), expect.stringMatching(/^PackagingCdnIdentifier/)]
        : [expect.stringMatching(/^ApiOriginVerify/)],
    );
    const rotator = resources(synth(), 'AWS::Lambda::Function').find((fn) => fn.id.startsWith('SigningKeysRotator'));
    const env = (rotator?.props.Environment as { Variables: Record<string, string> }).Variables;
    expect(Number(env.ROTATE_AFTER_SECONDS)).toBeLessThanOrEqual(90 * 86400);
  });

  test('APIGateway.8: every route has an authorizer (AuthorizationType CUSTOM)', () => {
    const routes = resources(synth(), 'AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route.props.AuthorizationType).toBe('CUSTOM');
  });

  test('S3.12: no bucket uses ACLs (BucketOwnerEnforced, no AccessControl)', () => {
    const buckets = resources(synth(), 'AWS::S3::Bucket');
    expect(buckets.length).toBe(2);
    for (const bucket of buckets) {
      expect(bucket.props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(bucket.props.AccessControl).toBeUndefined();
    }
  });

  test('CloudFront.5 / standard logging v2: a us-east-1 delivery to the log bucket, without cookies or query strings', () => {
    const template = synth().edgeAlarmsTemplate ?? synth().mainTemplate;
    const source = Object.values(resourcesOf(template, 'AWS::Logs::DeliverySource'))[0]?.Properties as Props;
    expect(source.LogType).toBe('ACCESS_LOGS');
    expect(JSON.stringify(source.ResourceArn)).toMatch(/:distribution\//);
    const delivery = Object.values(resourcesOf(template, 'AWS::Logs::Delivery'))[0]?.Properties as Props;
    expect(delivery.RecordFields).not.toContain('cs(Cookie)');
    expect(delivery.RecordFields).not.toContain('cs-uri-query');
    expect(delivery.RecordFields).toEqual(expect.arrayContaining(['date', 'time', 'c-ip', 'sc-status', 'cs-uri-stem']));
    const destination = Object.values(resourcesOf(template, 'AWS::Logs::DeliveryDestination'))[0]?.Properties as Props;
    expect(JSON.stringify(destination.DestinationResourceArn)).toMatch(/cloudfront/);
    // The legacy ACL-based Logging block is gone.
    const distribution = resources(synth(), 'AWS::CloudFront::Distribution')[0].props.DistributionConfig as Props;
    expect(distribution.Logging).toBeUndefined();
    const policy = resources(synth(), 'AWS::S3::BucketPolicy').find((candidate) =>
      JSON.stringify(candidate.props).includes('delivery.logs.amazonaws.com'),
    );
    expect(JSON.stringify(policy?.props)).toMatch(/"aws:SourceAccount":"111111111111"/);
    expect(JSON.stringify(policy?.props)).toMatch(/delivery-source:\*/);
  });

  test('CloudFront.1/3/6/8/9/10/12: default root object, HTTPS only to viewers and origins, WAF, SNI, no S3 website origin', () => {
    const config = resources(synth(), 'AWS::CloudFront::Distribution')[0].props.DistributionConfig as Props;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.WebACLId).toBeDefined();
    const behaviors = [config.DefaultCacheBehavior, ...((config.CacheBehaviors as Props[]) ?? [])] as Props[];
    for (const behavior of behaviors)
      expect(['redirect-to-https', 'https-only']).toContain(behavior.ViewerProtocolPolicy);
    for (const origin of config.Origins as Props[]) {
      const custom = origin.CustomOriginConfig as Props | undefined;
      if (custom !== undefined) {
        expect(custom.OriginProtocolPolicy).toBe('https-only');
        expect(custom.OriginSSLProtocols).toEqual(['TLSv1.2']);
      } else {
        expect(origin.OriginAccessControlId).toBeDefined();
      }
    }
  });

  test('SNS.2 is suppressed for a reason that holds: the topics deliver to e-mail only', () => {
    const protocols = resources(synth(), 'AWS::SNS::Subscription').map((subscription) => subscription.props.Protocol);
    expect(new Set(protocols)).toEqual(new Set(['email']));
  });
});

test('CloudFront.7: a production config without a custom domain fails, naming the field; a test deployment may', () => {
  expect(issuesOf({ delivery: { domainNames: null, certificateArn: null } })).toEqual(['delivery.domainNames']);
  expect(issuesOf({ deployment: 'test', delivery: { domainNames: null, certificateArn: null } })).toEqual([]);
  const config = resources(vod, 'AWS::CloudFront::Distribution')[0].props.DistributionConfig as Props;
  expect(config.Aliases).toEqual(['video.example.com']);
  expect((config.ViewerCertificate as Props).MinimumProtocolVersion).toBe('TLSv1.2_2021');
});

test('every FSBP suppression is in docs/security-controls.md with the same reason', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'security-controls.md'), 'utf8');
  for (const [control, reason] of Object.entries(FSBP_SUPPRESSIONS)) {
    const cells = doc
      .split('\n')
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .find((row) => row[1] === control && row[2] === 'suppressed');
    expect(cells?.[3]).toBe(reason);
  }
});

test('variants are what this file says they are', () => {
  expect(variants().map(([name, synth]) => [name, synth.main.region])).toEqual([
    ['VOD', 'eu-west-1'],
    ['live', 'us-east-1'],
  ]);
});

test('the Serverless cdk-nag pack runs on every synth: an unacknowledged Serverless finding fails it', () => {
  // The whole deployment passed it above (synthesis would have thrown); this shows it is on.
  const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  exampleApp(app, exampleWith({}));
  // In a stack of its own: the main stack's acknowledgements cover its own functions only.
  new lambda.Function(new Stack(app, 'Other'), 'Unacknowledged', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    memorySize: 128,
  });
  expect(() => app.synth()).toThrow(/Serverless-LambdaDLQ/);
});
