/**
 * The other branches of the config, on one more synthesis: no custom domain, a deny-list geo
 * restriction, signatures not bound to the viewer IP, ECDSA signing keys, and live packaging
 * (MediaPackage v2 through Origin Access Control). Plus the guarantee that an unacknowledged cdk-nag finding fails synthesis.
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

test('live packaging: CloudFront reaches MediaPackage v2 under /drm/ through Origin Access Control (SigV4)', () => {
  const controls = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::CloudFront::OriginAccessControl')).filter(
    ([, resource]) => JSON.stringify(resource.Properties).includes('mediapackagev2'),
  );
  expect(controls).toHaveLength(1);
  const [oacId, oac] = controls[0];
  expect((oac.Properties as Record<string, unknown>).OriginAccessControlConfig).toMatchObject({
    OriginAccessControlOriginType: 'mediapackagev2',
    SigningBehavior: 'always',
    SigningProtocol: 'sigv4',
  });
  const drm = (distribution.CacheBehaviors as Record<string, unknown>[]).find(
    (behaviour) => behaviour.PathPattern === '/drm/*',
  );
  const origin = (distribution.Origins as Record<string, unknown>[]).find((o) => o.Id === drm?.TargetOriginId);
  expect(origin?.DomainName).toEqual({
    'Fn::GetAtt': [expect.stringMatching(/^PackagingChannelGroup/), 'EgressDomain'],
  });
  expect(origin?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
  // No path on the origin: the viewer-request function rewrites /drm/ to /out/v1/ (and OAC signs that).
  expect(origin?.OriginPath).toBeUndefined();
  expect(origin?.OriginCustomHeaders).toBeUndefined();
});

test('live packaging: each endpoint lets only this distribution read it, with no CDN identifier secret, role or header', () => {
  const policies = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpointPolicy'));
  expect(policies.map(([id]) => id).sort()).toEqual([
    expect.stringMatching(/^PackagingDashEndpointPolicy/),
    expect.stringMatching(/^PackagingHlsEndpointPolicy/),
  ]);
  const distributionId = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').id;
  const endpoints = resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpoint');
  for (const [, policy] of policies) {
    const properties = policy.Properties as Record<string, unknown>;
    expect(properties.CdnAuthConfiguration).toBeUndefined();
    const endpointId = Object.entries(endpoints).find(
      ([, endpoint]) =>
        (endpoint.Properties as Record<string, unknown>).OriginEndpointName === properties.OriginEndpointName,
    )?.[0];
    expect(properties.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowCloudFrontOacOfThisDistribution',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: ['mediapackagev2:GetObject', 'mediapackagev2:GetHeadObject'],
          Resource: { 'Fn::GetAtt': [endpointId, 'Arn'] },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': {
                'Fn::Join': [
                  '',
                  [`arn:aws:cloudfront::${Stack.of(synth.main).account}:distribution/`, { Ref: distributionId }],
                ],
              },
            },
          },
        },
      ],
    });
  }
  const template = JSON.stringify(synth.mainTemplate.toJSON());
  expect(template).not.toMatch(/CDNIdentifier|CdnIdentifier|RequestHasMatchingCdnAuthHeader/);
  expect(Object.keys(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::Secret'))).not.toContainEqual(
    expect.stringMatching(/^PackagingCdnIdentifier/),
  );
  // No role for MediaPackage v2 to read a secret with.
  expect(template).not.toContain('mediapackagev2.amazonaws.com');
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

test('live: only the origin-verify value rotates (MediaPackage v2 has no CDN identifier to rotate)', () => {
  const functions = Object.keys(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function'));
  expect(functions.filter((id) => id.startsWith('CdnIdentifierRotation'))).toEqual([]);
  expect(functions.filter((id) => id.startsWith('OriginVerifyRotationRotator'))).toHaveLength(1);
  const schedules = Object.values(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::RotationSchedule'));
  expect(schedules.map((schedule) => (schedule.Properties?.SecretId as { Ref: string }).Ref)).toEqual([
    expect.stringMatching(/^ApiOriginVerify/),
  ]);
});
