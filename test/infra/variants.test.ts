/**
 * The other branches of the config, on one more synthesis: no custom domain, a deny-list geo
 * restriction, signatures not bound to the viewer IP, ECDSA signing keys, and live packaging
 * (MediaPackage v2). Plus the guarantee that an unacknowledged cdk-nag finding fails synthesis.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { onlyResource, resourcesOf, exampleWith, synthesize, type Synthesis } from './synth';

let synth: Synthesis;
let distribution: Record<string, unknown>;

beforeAll(() => {
  synth = synthesize(
    exampleWith({
      // Without a custom domain a config must say it is a test deployment (AWS FSBP CloudFront.7).
      deployment: 'test',
      delivery: {
        domainNames: null,
        certificateArn: null,
        geoRestriction: { type: 'deny', countries: ['KP', 'IR'] },
      },
      signing: {
        bindViewerIp: false,
        keyAlgorithm: 'ECDSA_P256',
      },
      packaging: {
        mode: 'live',
        spekeUrl: 'https://speke.example.com/v2/copyProtection',
        spekeV1Url: null, // the example's VOD-only SPEKE v1 endpoint
        spekeRoleArn: 'arn:aws:iam::111111111111:role/streamgate-speke',
      },
    }),
  );
  distribution = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').properties
    .DistributionConfig as Record<string, unknown>;
}, 120_000);

test('without a custom domain the distribution uses its cloudfront.net name, and the API signs for it', () => {
  expect(distribution.Aliases).toBeUndefined();
  expect(distribution.ViewerCertificate).toBeUndefined();
  const playback = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).find(([id]) =>
    id.startsWith('ApiPlayback'),
  );
  const env = (playback?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(JSON.stringify(env.MEDIA_BASE_URL)).toMatch(/"https:\/\/".*DeliveryDistribution.*"DomainName"/);
});

test('a deny-list geo restriction comes from the config', () => {
  expect(distribution.Restrictions).toEqual({
    GeoRestriction: { RestrictionType: 'blacklist', Locations: ['KP', 'IR'] },
  });
});

test('IPv6 stays on when signatures are not bound to the viewer IP', () => {
  expect(distribution.IPV6Enabled).toBe(true);
});

test('ECDSA P-256 keys: the bootstrap and every rotation generate that type, and the API reads the same secret', () => {
  synth.mainTemplate.hasResourceProperties('Custom::StreamgateSigningKeyGroup', { Algorithm: 'ECDSA_P256' });
  const env = (prefix: string) =>
    (
      Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(prefix),
      )?.[1].Properties?.Environment as { Variables: Record<string, unknown> }
    ).Variables;
  expect(env('SigningKeysRotator').KEY_ALGORITHM).toBe('ECDSA_P256');
  expect(env('ApiPlayback').SIGNING_KEY_SECRET_ARN).toEqual(env('SigningKeysRotator').SIGNING_KEY_SECRET_ARN);
});

test('live packaging: DASH/CMAF with CENC for Widevine and PlayReady, HLS/CMAF with CBCS for FairPlay', () => {
  const speke = {
    Url: 'https://speke.example.com/v2/copyProtection',
    RoleArn: 'arn:aws:iam::111111111111:role/streamgate-speke',
    // MediaPackage v2 spells presets with underscores (v1 with hyphens).
    EncryptionContractConfiguration: { PresetSpeke20Video: 'PRESET_VIDEO_1', PresetSpeke20Audio: 'PRESET_AUDIO_1' },
  };
  synth.mainTemplate.hasResourceProperties('AWS::MediaPackageV2::OriginEndpoint', {
    ContainerType: 'CMAF',
    DashManifests: Match.anyValue(),
    Segment: {
      Encryption: {
        EncryptionMethod: { CmafEncryptionMethod: 'CENC' },
        SpekeKeyProvider: { ...speke, DrmSystems: ['WIDEVINE', 'PLAYREADY'] },
      },
    },
  });
  synth.mainTemplate.hasResourceProperties('AWS::MediaPackageV2::OriginEndpoint', {
    ContainerType: 'CMAF',
    HlsManifests: Match.anyValue(),
    Segment: {
      Encryption: {
        EncryptionMethod: { CmafEncryptionMethod: 'CBCS' },
        SpekeKeyProvider: { ...speke, DrmSystems: ['FAIRPLAY'] },
      },
    },
  });
  synth.mainTemplate.resourceCountIs('AWS::MediaPackage::PackagingGroup', 0);
});

test('live packaging: each endpoint serves only requests with the CDN identifier CloudFront sends', () => {
  const policies = Object.values(resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpointPolicy'));
  expect(policies.length).toBe(2);
  for (const policy of policies) {
    expect(policy.Properties).toMatchObject({
      CdnAuthConfiguration: {
        CdnIdentifierSecretArns: [{ Ref: expect.stringMatching(/^PackagingCdnIdentifier/) }],
        SecretsRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^PackagingCdnAuthRole/), 'Arn'] },
      },
      Policy: {
        Statement: [
          expect.objectContaining({
            Effect: 'Allow',
            Condition: { Bool: { 'mediapackagev2:RequestHasMatchingCdnAuthHeader': 'true' } },
          }),
        ],
      },
    });
  }
  synth.mainTemplate.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: {
      Statement: [Match.objectLike({ Principal: { Service: 'mediapackagev2.amazonaws.com' } })],
    },
  });
  const origins = distribution.Origins as { OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[] }[];
  const header = origins
    .flatMap((origin) => origin.OriginCustomHeaders ?? [])
    .find((candidate) => candidate.HeaderName === 'X-MediaPackageV2-CDNIdentifier');
  expect(JSON.stringify(header?.HeaderValue)).toMatch(
    /\{\{resolve:secretsmanager:.*:SecretString:MediaPackageV2CDNIdentifier::\}\}/,
  );
});

test('cdk-nag: no unacknowledged findings here either (the cloudfront.net certificate is the one acknowledged gap)', () => {
  const report = new AwsSolutionsChecks(synth.app).validateScope(synth.app);
  expect(report.violations).toEqual([]);
  const acknowledged = synth.main.delivery.distribution.node.metadata.filter(
    (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
  );
  expect(JSON.stringify(acknowledged)).toContain('AwsSolutions-CFR4');
});

test('an unacknowledged cdk-nag finding fails synthesis', () => {
  const app = new App();
  const stack = new Stack(app, 'Plain');
  new s3.Bucket(stack, 'Unlogged');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
});

test('live: the MediaPackage v2 CDN identifier rotates (promote first, then switch the header) and the origin-verify value too', () => {
  const rotator = (prefix: string) =>
    (
      Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(prefix),
      )?.[1].Properties?.Environment as { Variables: Record<string, unknown> }
    ).Variables;
  expect(rotator('CdnIdentifierRotationRotator')).toMatchObject({
    HEADER_NAME: 'X-MediaPackageV2-CDNIdentifier',
    ROTATION_ORDER: 'promote-then-send',
    VALUE_JSON_KEY: 'MediaPackageV2CDNIdentifier',
  });
  expect(rotator('OriginVerifyRotationRotator')).toMatchObject({ ROTATION_ORDER: 'send-then-promote' });
  expect(Object.keys(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::RotationSchedule')).length).toBe(2);
});
