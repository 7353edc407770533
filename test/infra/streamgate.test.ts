/**
 * `Streamgate` as a guest in a team's own CDK app: its props (the config file read into them is
 * lossless; a bad value is refused under the prop's name), and a host stack that brings its own
 * bucket (catalogue under `hls/`), alarm topic and distribution, next to an unrelated bucket.
 */
import { App, Aspects, Duration, Stack, Stage, Tags, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { propsFromConfig } from '../../lib/config-props';
import { resolveSettings, Streamgate, StreamgatePropsError } from '../../lib/streamgate';
import { type StreamgateProps, StreamgateGeoRestriction, StreamgateWebAcl } from '../../lib/streamgate-props';
import { RECORDED_CONFIGURATIONS } from './logical-ids';
import { cdkContext, exampleWith } from './synth';

const ENV = { account: '111111111111', region: 'eu-west-1' };

/** Minimal props a team writes: its IdP, a geo choice and its web ACL. */
function minimalProps(overrides: Partial<StreamgateProps> = {}): StreamgateProps {
  return {
    name: 'video',
    deployment: 'test',
    identity: {
      issuer: 'https://login.example.com/',
      audience: 'video-api',
      jwksUrl: 'https://login.example.com/.well-known/jwks.json',
    },
    distribution: { geoRestriction: StreamgateGeoRestriction.none() },
    webAcl: StreamgateWebAcl.none(),
    ...overrides,
  };
}

function propErrors(props: StreamgateProps): string[] {
  try {
    resolveSettings(props);
  } catch (error) {
    if (error instanceof StreamgatePropsError) return error.issues.map((issue) => issue.prop);
    throw error;
  }
  return [];
}

describe('props', () => {
  test.each(Object.keys(RECORDED_CONFIGURATIONS))(
    'the %s config file read into props gives back the same settings',
    (name) => {
      const config = exampleWith(RECORDED_CONFIGURATIONS[name]);
      const stack = new Stack(new App(), 'Host', { env: ENV });
      const { account, region, ...settings } = config;
      const resolved = resolveSettings(propsFromConfig(stack, config));
      const { account: _a, region: _r, ...resolvedSettings } = resolved;
      expect(resolvedSettings).toEqual(settings);
    },
  );

  test('a refused value is named as the props spell it', () => {
    expect(propErrors(minimalProps({ grants: { lifetime: Duration.seconds(2) } }))).toEqual(['grants.lifetime']);
    expect(propErrors(minimalProps({ media: { manifestTtl: Duration.hours(2) } }))).toEqual(['media.manifestTtl']);
    expect(
      propErrors(
        minimalProps({
          identity: {
            issuer: 'http://x',
            audience: 'a',
            jwksUrl: 'https://x/jwks',
            clockTolerance: Duration.minutes(10),
          },
        }),
      ).sort(),
    ).toEqual(['identity.clockTolerance', 'identity.issuer']);
    expect(
      propErrors(minimalProps({ distribution: { geoRestriction: StreamgateGeoRestriction.allow('XX') } })),
    ).toEqual(['distribution.geoRestriction.countries[0]']);
    expect(propErrors(minimalProps({ media: { keyPrefix: 'api/' } }))).toEqual(['media.keyPrefix']);
    expect(propErrors(minimalProps({ media: { keyPrefix: 'HLS' } }))).toEqual(['media.keyPrefix']);
  });

  test('it works inside a Stage (as CDK Pipelines deploys one), with no env of its own', () => {
    const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
    const stage = new Stage(app, 'Prod', { env: ENV });
    const stack = new Stack(stage, 'Video');
    new Streamgate(stack, 'Streamgate', minimalProps());
    const assembly = stage.synth();
    const artifact = assembly.getStackByName(stack.stackName);
    expect(artifact.environment.region).toBe('eu-west-1');
    expect(Object.keys(artifact.template.Resources).length).toBeGreaterThan(50);
  }, 120_000);

  test('outside us-east-1 the web ACL must be chosen, and it is refused beside the team’s own distribution', () => {
    const stack = new Stack(new App(), 'Host', { env: ENV });
    expect(() => new Streamgate(stack, 'Video', minimalProps({ webAcl: undefined }))).toThrow(
      /webAcl: is required outside us-east-1/,
    );
  });
});

describe('inside a host app with its own bucket, topic and distribution', () => {
  let template: Template;
  let app: App;
  let host: Stack;
  let catalogue: s3.Bucket;

  beforeAll(() => {
    app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
    host = new Stack(app, 'Platform', { env: ENV });
    catalogue = new s3.Bucket(host, 'Catalogue', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    });
    // Unrelated to streamgate, and something cdk-nag flags (no access logs, no SSL enforcement).
    new s3.Bucket(host, 'Unrelated');
    const pager = new sns.Topic(host, 'Pager');
    const web = new cloudfront.Distribution(host, 'Web', {
      defaultBehavior: { origin: new origins.HttpOrigin('app.example.com') },
      geoRestriction: cloudfront.GeoRestriction.allowlist('GB'),
    });
    new Streamgate(host, 'Video', {
      ...minimalProps({ webAcl: undefined }),
      media: { bucket: catalogue, keyPrefix: 'hls/' },
      alarms: { topic: pager },
      distribution: { distribution: web, publicDomainName: 'video.example.com' },
    });
    template = Template.fromStack(host);
  }, 120_000);

  test('the team’s distribution is the only one, and carries the signed behaviours for its prefix and the API', () => {
    const distributions = template.findResources('AWS::CloudFront::Distribution');
    expect(Object.keys(distributions)).toHaveLength(1);
    const config = Object.values(distributions)[0].Properties.DistributionConfig;
    const patterns = config.CacheBehaviors.map((behaviour: { PathPattern: string }) => behaviour.PathPattern);
    expect(patterns).toEqual(['/hls/*.m3u8', '/hls/*.mpd', '/hls/*', '/api/*']);
    for (const behaviour of config.CacheBehaviors.slice(0, 3)) {
      expect(behaviour.TrustedKeyGroups).toHaveLength(1);
      expect(behaviour.ViewerProtocolPolicy).toBe('redirect-to-https');
      expect(behaviour.FunctionAssociations).toHaveLength(1);
    }
    // What the team set stays the team's: its default behaviour and geo restriction.
    expect(config.DefaultCacheBehavior.TrustedKeyGroups).toBeUndefined();
    expect(config.Restrictions.GeoRestriction).toEqual({ Locations: ['GB'], RestrictionType: 'whitelist' });
  });

  test('no media bucket of streamgate’s own; CloudFront may read only the catalogue’s hls/ objects', () => {
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    // The team's two buckets and streamgate's log bucket.
    expect(buckets).toHaveLength(3);
    const policies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: host.getLogicalId(catalogue.node.defaultChild as s3.CfnBucket) } },
    });
    const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement as {
      Principal?: { Service?: string };
      Resource: unknown;
    }[];
    const cloudFront = statements.filter((statement) => statement.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(cloudFront).toHaveLength(1);
    expect(JSON.stringify(cloudFront[0].Resource)).toMatch(/\/hls\/\*"/);
  });

  test('grants and manifest URLs name the team’s domain and prefix', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ MEDIA_BASE_URL: 'https://video.example.com', MEDIA_PATH_PREFIX: '/hls/' }),
      },
    });
  });

  test('every alarm notifies the team’s topic, and streamgate makes no topic or key of its own', () => {
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toHaveLength(1);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toHaveLength(0);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(5);
    const pagerRef = { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] };
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([pagerRef]);
  });

  test('no aspect, tag or validation plugin reaches the app or the host’s resources', () => {
    expect(Aspects.of(app).all).toHaveLength(0);
    expect(Aspects.of(host).all).toHaveLength(0);
    const unrelated = Object.values(template.findResources('AWS::S3::Bucket')).filter(
      (bucket) =>
        bucket.Properties?.BucketEncryption === undefined && bucket.Properties?.LoggingConfiguration === undefined,
    );
    for (const bucket of unrelated) expect(bucket.Properties?.Tags).toBeUndefined();
    expect(Annotations.fromStack(host).findError('*', Match.anyValue())).toEqual([]);
  });

  test('with cdk-nag on the host app, streamgate’s own resources have no unacknowledged finding', () => {
    const nagApp = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(nagApp, 'Platform', { env: ENV });
    const bucket = new s3.Bucket(stack, 'Catalogue', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    });
    Tags.of(stack).add('team', 'platform');
    new Streamgate(stack, 'Video', minimalProps({ media: { bucket, keyPrefix: 'hls/' } }));
    Validations.of(nagApp).addPlugins(new AwsSolutionsChecks(nagApp), new ServerlessChecks(nagApp));
    let report = '';
    try {
      nagApp.synth();
    } catch (error) {
      report = error instanceof Error ? error.message : String(error);
    }
    // Findings may name only the host's own bucket (its logs, its versioning): never a path under Video/.
    const streamgateFindings = report.split('\n').filter((line) => line.includes('/Video/'));
    expect(streamgateFindings).toEqual([]);
    // The packs did run: the host's own bucket (no access logs) is reported, as it should be.
    expect(report).toMatch(/Platform\/Catalogue\/Resource/);
  }, 120_000);
});
