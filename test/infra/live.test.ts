/**
 * Clear live channels on MediaPackage v2 (config `live`, lib/live.ts), synthesized with cdk-nag as
 * the app's validation (an unacknowledged finding throws): created beside VOD, and brought (the
 * team's own channel group) beside DRM live. MediaPackage v2 is reached through Origin Access
 * Control, not a secret header; each created endpoint lets only this distribution read it; the
 * live endpoint has no start-over window; `/live/*` caches as MediaPackage recommends with only its
 * own query parameters in the key; the API learns its channels.
 */
import { loadConfigFile } from '../../lib/config';
import { DEPLOY_CONFIGS_DIR } from '../../scripts/deploy-matrix';
import { onlyResource, resourcesOf, synthesize, type Synthesis } from './synth';
import { join } from 'node:path';

type Json = Record<string, unknown>;

const PACKAGER_QUERY = ['aws.manifestfilter', 'aws.manifestsettings', '_HLS_msn', '_HLS_part'];

function distributionOf(synth: Synthesis): Json {
  return onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').properties.DistributionConfig as Json;
}

function behaviour(distribution: Json, pattern: string): Json {
  const found = (distribution.CacheBehaviors as Json[]).find((entry) => entry.PathPattern === pattern);
  if (found === undefined) throw new Error(`no behaviour ${pattern}`);
  return found;
}

function originOf(distribution: Json, originId: unknown): Json {
  return (distribution.Origins as Json[]).find((origin) => origin.Id === originId) as Json;
}

function cachePolicyOf(synth: Synthesis, ref: unknown): Json {
  const id = (ref as { Ref: string }).Ref;
  const policies = resourcesOf(synth.mainTemplate, 'AWS::CloudFront::CachePolicy');
  return (policies[id]?.Properties?.CachePolicyConfig ?? {}) as Json;
}

function apiEnvironmentOf(synth: Synthesis): Record<string, unknown> {
  const functions = Object.values(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function'));
  const withLive = functions.find(
    (fn) => ((fn.Properties?.Environment as Json | undefined)?.Variables as Json | undefined)?.LIVE_CHANNELS,
  );
  return ((withLive?.Properties?.Environment as Json)?.Variables ?? {}) as Record<string, unknown>;
}

describe('live channels created beside VOD', () => {
  let synth: Synthesis;
  let distribution: Json;

  beforeAll(() => {
    synth = synthesize(loadConfigFile(join(DEPLOY_CONFIGS_DIR, 'live-beside-vod.json')));
    distribution = distributionOf(synth);
  }, 180_000);

  test('VOD (/media/) and live (/live/) behaviours in one distribution, live signed and through the function', () => {
    const patterns = (distribution.CacheBehaviors as Json[]).map((entry) => entry.PathPattern);
    expect(patterns).toEqual(expect.arrayContaining(['/media/*.m3u8', '/media/*', '/live/*.m3u8', '/live/*']));
    // Manifests before segments: CloudFront takes the first match.
    expect(patterns.indexOf('/live/*.m3u8')).toBeLessThan(patterns.indexOf('/live/*'));
    for (const pattern of ['/live/*.m3u8', '/live/*']) {
      const live = behaviour(distribution, pattern);
      expect(live.TrustedKeyGroups).toHaveLength(1);
      expect(live.FunctionAssociations).toEqual([expect.objectContaining({ EventType: 'viewer-request' })]);
      expect(live.AllowedMethods).toEqual(['GET', 'HEAD']);
    }
  });

  test('MediaPackage v2 through Origin Access Control: SigV4, origin path /out/v1, no secret header', () => {
    const controls = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::CloudFront::OriginAccessControl'))
      .map(([id, resource]) => ({ id, properties: (resource.Properties ?? {}) as Json }))
      .filter(({ properties }) => JSON.stringify(properties).includes('mediapackagev2'));
    expect(controls).toHaveLength(1);
    const oac = controls[0];
    expect(oac.properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 'mediapackagev2',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const origin = originOf(distribution, behaviour(distribution, '/live/*').TargetOriginId);
    expect(origin.OriginPath).toBe('/out/v1');
    expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oac.id, 'Id'] });
    expect(JSON.stringify(origin)).not.toMatch(/CDNIdentifier/i);
    // No DRM packaging in this variant: no CDN identifier secret exists at all.
    expect(
      Object.keys(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::Secret')).filter((id) =>
        /CdnIdentifier/.test(id),
      ),
    ).toEqual([]);
  });

  test('a channel group "live", per channel a live endpoint without start-over and a start-over endpoint', () => {
    const group = onlyResource(synth.mainTemplate, 'AWS::MediaPackageV2::ChannelGroup');
    expect(group.properties.ChannelGroupName).toBe('live');
    const endpoints = Object.values(resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpoint')).map(
      (endpoint) => endpoint.Properties as Json,
    );
    const named = (channel: string, name: string) =>
      endpoints.find((endpoint) => endpoint.ChannelName === channel && endpoint.OriginEndpointName === name);
    expect(named('premiere-1', 'hls')).toBeDefined();
    expect(named('premiere-1', 'hls')?.StartoverWindowSeconds).toBeUndefined();
    expect(named('premiere-1', 'startover')?.StartoverWindowSeconds).toBe(7200);
    expect(named('news-eu', 'hls')?.StartoverWindowSeconds).toBeUndefined();
    expect(named('news-eu', 'startover')).toBeUndefined(); // "startOverEndpointName": ""
    expect(endpoints).toHaveLength(3);
    for (const endpoint of endpoints) expect(endpoint.Segment).not.toHaveProperty('Encryption');
  });

  test('each endpoint policy lets cloudfront.amazonaws.com read it for this distribution only', () => {
    const policies = Object.values(resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpointPolicy'));
    expect(policies).toHaveLength(3);
    const distributionId = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').id;
    for (const policy of policies) {
      const properties = policy.Properties as Json;
      expect(properties.CdnAuthConfiguration).toBeUndefined();
      const statements = (properties.Policy as { Statement: Json[] }).Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: ['mediapackagev2:GetObject', 'mediapackagev2:GetHeadObject'],
      });
      expect(JSON.stringify((statements[0].Condition as Json).StringEquals)).toContain(`"Ref":"${distributionId}"`);
    }
  });

  test("live caching: playlists ≤ 2 s (the origin's half segment), segments 14 days, MediaPackage's query only", () => {
    const manifests = cachePolicyOf(synth, behaviour(distribution, '/live/*.m3u8').CachePolicyId);
    const segments = cachePolicyOf(synth, behaviour(distribution, '/live/*').CachePolicyId);
    expect(manifests).toMatchObject({ MinTTL: 0, DefaultTTL: 1, MaxTTL: 2 });
    expect(segments).toMatchObject({ DefaultTTL: 1209600, MaxTTL: 1209600 });
    for (const policy of [manifests, segments]) {
      const key = policy.ParametersInCacheKeyAndForwardedToOrigin as Json;
      expect(key.QueryStringsConfig).toEqual({ QueryStringBehavior: 'whitelist', QueryStrings: PACKAGER_QUERY });
      expect(key.CookiesConfig).toEqual({ CookieBehavior: 'none' });
    }
  });

  test('the API knows the channels: live folder, manifest, start-over folder', () => {
    const channels = JSON.parse(String(apiEnvironmentOf(synth).LIVE_CHANNELS));
    expect(channels).toEqual({
      'premiere-1': {
        path: '/live/premiere-1/hls/',
        manifest: 'index.m3u8',
        startOverPath: '/live/premiere-1/startover/',
      },
      news: { path: '/live/news-eu/hls/', manifest: 'index.m3u8' },
    });
  });
});

describe('brought live channels beside DRM live', () => {
  let synth: Synthesis;
  let distribution: Json;

  beforeAll(() => {
    synth = synthesize(loadConfigFile(join(DEPLOY_CONFIGS_DIR, 'live-byo-beside-drm-live.json')));
    distribution = distributionOf(synth);
  }, 180_000);

  test('creates no clear live channel, endpoint or policy; routes /live/ to the given egress through OAC', () => {
    const endpoints = Object.values(resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpoint'));
    // Only DRM live's own two (DASH, HLS), encrypted.
    expect(endpoints).toHaveLength(2);
    for (const endpoint of endpoints) expect((endpoint.Properties as Json).Segment).toHaveProperty('Encryption');
    const origin = originOf(distribution, behaviour(distribution, '/live/*').TargetOriginId);
    expect(origin.DomainName).toBe('abcd1234.egress.mediapackagev2.eu-west-1.amazonaws.com');
    expect(origin.OriginPath).toBe('/out/v1');
    expect(origin.OriginAccessControlId).toBeDefined();
  });

  test('clear live (/live/) beside DRM live (/drm/), each to its own origin', () => {
    const live = behaviour(distribution, '/live/*');
    const drm = behaviour(distribution, '/drm/*');
    expect(live.TargetOriginId).not.toBe(drm.TargetOriginId);
  });

  test('DRM live (/drm/) through its own OAC too: SigV4 to its channel group, no CDN identifier header or secret', () => {
    const controls = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::CloudFront::OriginAccessControl')).filter(
      ([, resource]) => JSON.stringify(resource.Properties).includes('mediapackagev2'),
    );
    // One for the brought clear channels, one for the DRM channel.
    expect(controls).toHaveLength(2);
    for (const [, control] of controls)
      expect((control.Properties as Json).OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 'mediapackagev2',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
    const drm = originOf(distribution, behaviour(distribution, '/drm/*').TargetOriginId);
    const drmControl = controls.find(([id]) => id.startsWith('PackagingOriginAccessControl'));
    expect(drm.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [drmControl?.[0], 'Id'] });
    expect(drm.DomainName).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PackagingChannelGroup/), 'EgressDomain'] });
    expect(drm.OriginCustomHeaders).toBeUndefined();
    const template = JSON.stringify(synth.mainTemplate.toJSON());
    expect(template).not.toMatch(/CDNIdentifier|CdnIdentifier|RequestHasMatchingCdnAuthHeader/);
  });

  test("only DRM live's own endpoints get a policy, each for cloudfront.amazonaws.com on this distribution", () => {
    const policies = Object.values(resourcesOf(synth.mainTemplate, 'AWS::MediaPackageV2::OriginEndpointPolicy'));
    expect(policies.map((policy) => (policy.Properties as Json).OriginEndpointName).sort()).toEqual(['dash', 'hls']);
    const distributionId = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').id;
    for (const policy of policies) {
      const properties = policy.Properties as Json;
      expect(properties.CdnAuthConfiguration).toBeUndefined();
      const statements = (properties.Policy as { Statement: Json[] }).Statement;
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: ['mediapackagev2:GetObject', 'mediapackagev2:GetHeadObject'],
        }),
      ]);
      const sourceArn = JSON.stringify((statements[0].Condition as Json).StringEquals);
      expect(sourceArn).toContain(':distribution/');
      expect(sourceArn).toContain(`"Ref":"${distributionId}"`);
    }
  });

  test('the API gets the brought endpoint names', () => {
    expect(JSON.parse(String(apiEnvironmentOf(synth).LIVE_CHANNELS))).toEqual({
      'match-7': { path: '/live/match-7/main/', manifest: 'index.m3u8', startOverPath: '/live/match-7/catchup/' },
    });
  });
});
