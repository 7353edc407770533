/**
 * The deployed shape, asserted on one synthesis of config/example.json (custom domain, allow-list
 * geo restriction, IP-bound signatures, VOD packaging). Bundling is skipped here; bundle.test.ts
 * bundles the functions for real.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../lambda/core/config';
import { createVerify } from 'node:crypto';
import { loadDrmConfig } from '../../lambda/core/drm-config';
import { bearer, MEDIA_BASE_URL, playbackEvent, startHarness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';
import { STATE_TABLE } from '../../lambda/store/table-schema';
import { DEFAULT_MEDIA_KEY_PREFIX } from '../../lambda/core/media-paths';
import { loadConfigFile, type StreamgateConfig } from '../../lib/config';
import { MediaOrigin } from '../../lib/media-origin';
import { DRM_SYSTEM_IDS, VOD_SOURCE_PREFIX } from '../../lib/packaging';
import { ORIGIN_VERIFY_HEADER } from '../../lib/playback-api';
import { EXAMPLE_CONFIG, onlyResource, resourcesOf, synthesize, type Synthesis } from './synth';

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

interface Behavior {
  PathPattern?: string;
  TrustedKeyGroups?: unknown[];
  ViewerProtocolPolicy: string;
  CachePolicyId: unknown;
  OriginRequestPolicyId?: unknown;
  AllowedMethods: string[];
  TargetOriginId: string;
}

let config: StreamgateConfig;
let synth: Synthesis;
let distribution: Record<string, unknown>;
let behaviors: Behavior[];

beforeAll(() => {
  config = loadConfigFile(EXAMPLE_CONFIG);
  synth = synthesize(config);
  distribution = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').properties
    .DistributionConfig as Record<string, unknown>;
  behaviors = [...(distribution.CacheBehaviors as Behavior[]), distribution.DefaultCacheBehavior as Behavior];
}, 120_000);

const behavior = (pattern: string): Behavior => {
  const found = behaviors.find((candidate) => candidate.PathPattern === pattern);
  if (found === undefined) throw new Error(`no behaviour for ${pattern}`);
  return found;
};
const refOf = (type: string): { Ref: string } => ({ Ref: onlyResource(synth.mainTemplate, type).id });
const policiesOf = (roleIdPrefix: string): { Action: string | string[]; Resource: unknown }[] => {
  const found = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::IAM::Policy')).filter(([id]) =>
    id.startsWith(roleIdPrefix),
  );
  return found.flatMap(
    ([, policy]) =>
      (policy.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
        .Statement,
  );
};
const actionsOf = (roleIdPrefix: string): string[] =>
  policiesOf(roleIdPrefix).flatMap((statement) => [statement.Action].flat());

describe('media origin', () => {
  test('the bucket blocks all public access, enforces TLS, is encrypted, versioned and logs to a separate bucket', () => {
    synth.mainTemplate.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^MediaOriginLogBucket') },
        LogFilePrefix: 's3-access/',
      },
    });
    synth.mainTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^MediaOriginBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('the bucket is readable only by this distribution, through OAC (no OAI)', () => {
    const distributionId = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').id;
    synth.mainTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^MediaOriginBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: Match.stringLikeRegexp('^CloudFrontReads'),
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: Match.anyValue(),
            Condition: {
              StringEquals: {
                'AWS:SourceArn': {
                  'Fn::Join': [
                    '',
                    [Match.stringLikeRegexp('^arn:aws:cloudfront::\\d{12}:distribution/$'), { Ref: distributionId }],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
    for (const bucketPolicy of Object.values(resourcesOf(synth.mainTemplate, 'AWS::S3::BucketPolicy'))) {
      const statements = (
        bucketPolicy.Properties?.PolicyDocument as { Statement: { Effect: string; Principal: unknown }[] }
      ).Statement;
      const publicAllows = statements.filter(
        (statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Principal).includes('"*"'),
      );
      expect(publicAllows).toEqual([]);
    }
    synth.mainTemplate.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    synth.mainTemplate.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    const s3Origins = (
      distribution.Origins as { S3OriginConfig?: { OriginAccessIdentity: string }; OriginAccessControlId?: unknown }[]
    ).filter((origin) => origin.S3OriginConfig !== undefined);
    expect(s3Origins.length).toBe(2);
    for (const origin of s3Origins) {
      expect(origin.S3OriginConfig?.OriginAccessIdentity).toBe('');
      expect(origin.OriginAccessControlId).toBeDefined();
    }
  });
});

describe('media bucket reads', () => {
  test('the distribution may read the player page and the media, nothing else (not the VOD sources MediaPackage ingests)', () => {
    const bucketPolicy = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::S3::BucketPolicy')).find(([id]) =>
      id.startsWith('MediaOriginBucketPolicy'),
    );
    const statements = (bucketPolicy?.[1].Properties?.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const cloudFrontReads = statements
      .filter((statement) => JSON.stringify(statement.Principal) === '{"Service":"cloudfront.amazonaws.com"}')
      .map((statement) => [statement.Effect, statement.Action, JSON.stringify(statement.Resource)]);
    expect(cloudFrontReads).toHaveLength(2);
    expect(cloudFrontReads.map(([, , resource]) => JSON.parse(resource as string)['Fn::Join'][1][1]).sort()).toEqual([
      `/${DEFAULT_MEDIA_KEY_PREFIX}*`,
      `/${MediaOrigin.WEB_PREFIX}/*`,
    ]);
    for (const [effect, action] of cloudFrontReads) expect([effect, action]).toEqual(['Allow', 's3:GetObject']);
    expect(JSON.stringify(statements)).not.toContain(VOD_SOURCE_PREFIX);
  });
});

describe('delivery', () => {
  test("every media behaviour (/media/*, /drm/*) requires the trusted key group (the bootstrap resource's id)", () => {
    const keyGroup = {
      'Fn::GetAtt': [onlyResource(synth.mainTemplate, 'Custom::StreamgateSigningKeyGroup').id, 'KeyGroupId'],
    };
    const media = behaviors.filter((candidate) => /^\/(media|drm)\//.test(candidate.PathPattern ?? ''));
    expect(media.map((candidate) => candidate.PathPattern)).toEqual([
      '/media/*.m3u8',
      '/media/*.mpd',
      '/media/*',
      '/drm/*',
    ]);
    for (const candidate of media) expect(candidate.TrustedKeyGroups).toEqual([keyGroup]);
  });

  test('/api/* forwards Authorization (all viewer headers but Host) and caches nothing', () => {
    const api = behavior('/api/*');
    expect(api.CachePolicyId).toBe(CACHING_DISABLED);
    expect(api.OriginRequestPolicyId).toBe(ALL_VIEWER_EXCEPT_HOST_HEADER);
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['POST', 'DELETE']));
    expect(api.TrustedKeyGroups).toBeUndefined();
    const origin = (
      distribution.Origins as { Id: string; OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[] }[]
    ).find((candidate) => candidate.Id === api.TargetOriginId);
    const verify = origin?.OriginCustomHeaders?.find((header) => header.HeaderName === 'x-origin-verify');
    // A dynamic reference resolved by CloudFormation at deploy time, never the value itself.
    expect(JSON.stringify(verify?.HeaderValue)).toMatch(/\{\{resolve:secretsmanager:.*"Ref":"ApiOriginVerify/);
  });

  test('viewers are on HTTPS only, with TLSv1.2_2021 as the minimum and HTTP/2 and HTTP/3', () => {
    for (const candidate of behaviors)
      expect(['redirect-to-https', 'https-only']).toContain(candidate.ViewerProtocolPolicy);
    expect(distribution.ViewerCertificate).toEqual({
      AcmCertificateArn: config.delivery.certificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(distribution.Aliases).toEqual(['video.example.com']);
    expect(distribution.HttpVersion).toBe('http2and3');
  });

  test('geo restriction comes from the config', () => {
    expect(distribution.Restrictions).toEqual({
      GeoRestriction: { RestrictionType: 'whitelist', Locations: ['US', 'CA', 'GB', 'DE', 'FR'] },
    });
  });

  test('manifests get the short TTL and segments the long one, with signing parameters out of the cache key', () => {
    const ttlOf = (pattern: string): Record<string, unknown> => {
      const id = (behavior(pattern).CachePolicyId as { Ref: string }).Ref;
      const policy = synth.mainTemplate.toJSON().Resources[id].Properties.CachePolicyConfig as Record<string, unknown>;
      expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
        QueryStringsConfig: { QueryStringBehavior: 'none' },
        CookiesConfig: { CookieBehavior: 'none' },
      });
      return { min: policy.MinTTL, default: policy.DefaultTTL, max: policy.MaxTTL };
    };
    expect(ttlOf('/media/*.m3u8')).toEqual({ min: 0, default: 2, max: 2 });
    expect(ttlOf('/media/*.mpd')).toEqual({ min: 0, default: 2, max: 2 });
    expect(ttlOf('/media/*')).toEqual({ min: 0, default: 86400, max: 31536000 });
  });

  test('responses carry HSTS, nosniff, frame denial and the player CSP', () => {
    synth.mainTemplate.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("media-src 'self' blob:"),
            Override: true,
          },
        },
      },
    });
    const policy = refOf('AWS::CloudFront::ResponseHeadersPolicy');
    for (const candidate of behaviors)
      expect((candidate as unknown as { ResponseHeadersPolicyId: unknown }).ResponseHeadersPolicyId).toEqual(policy);
  });

  test('standard logging is v2 (test/infra/fsbp.test.ts), and IPv6 is off because signatures bind the viewer IP', () => {
    expect(distribution.Logging).toBeUndefined();
    expect(config.signing.bindViewerIp).toBe(true);
    expect(distribution.IPV6Enabled).toBe(false);
  });

  test('the origin secrets version is in the distribution and the functions, so bumping it re-reads the header secrets', () => {
    expect(distribution.Comment).toMatch(/\(origin secrets v1\)$/);
    for (const [, fn] of Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('Api'),
    )) {
      expect(
        (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.ORIGIN_SECRETS_VERSION,
      ).toBe('1');
    }
  });

  test('the player page is the default behaviour, from web/ in the bucket', () => {
    const defaults = distribution.DefaultCacheBehavior as Behavior;
    const origin = (distribution.Origins as { Id: string; OriginPath?: string }[]).find(
      (candidate) => candidate.Id === defaults.TargetOriginId,
    );
    expect(origin?.OriginPath).toBe('/web');
    expect(distribution.DefaultRootObject).toBe('index.html');
  });
});

describe('edge protection', () => {
  test('the web ACL is CLOUDFRONT-scope in us-east-1 and attached to the distribution', () => {
    expect(synth.edge.region).toBe('us-east-1');
    synth.edgeTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
    });
    expect(JSON.stringify(distribution.WebACLId)).toContain(synth.edge.stackName);
    expect(JSON.stringify(distribution.WebACLId)).toContain('us-east-1');
  });

  test('rate-based rules: per IP overall and a tighter limit on /api/, with the configured numbers', () => {
    const rules = onlyResource(synth.edgeTemplate, 'AWS::WAFv2::WebACL').properties.Rules as {
      Name: string;
      Statement: Record<string, unknown>;
      Action?: unknown;
    }[];
    const rule = (name: string): { Statement: Record<string, unknown>; Action?: unknown } => {
      const found = rules.find((candidate) => candidate.Name === name);
      if (found === undefined) throw new Error(`no rule ${name}`);
      return found;
    };
    expect(rule('RateLimitPerIp')).toMatchObject({
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
    });
    expect(rule('ApiRateLimitPerIp')).toMatchObject({
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          Limit: 300,
          AggregateKeyType: 'IP',
          ScopeDownStatement: {
            ByteMatchStatement: {
              FieldToMatch: { UriPath: {} },
              PositionalConstraint: 'STARTS_WITH',
              SearchString: '/api/',
            },
          },
        },
      },
    });
    expect(JSON.stringify(rule('ApiMethodAllowList').Statement)).toMatch(
      /"SearchString":"POST".*"SearchString":"DELETE"/,
    );
  });

  test('a disguised API path (//api/, /%61pi/) cannot dodge the /api/ rules: every URI-path match URL-decodes, then normalizes', () => {
    // WAF matches the path as the viewer sent it, so a raw match misses `//api/...` and `/%61pi/...`, which
    // CloudFront and the API may still read as /api/. Evaluating the match itself (does WAF, with these
    // transformations, match those paths?) is not possible offline: there is no local WAF engine. This asserts
    // the configuration that makes it match: URL_DECODE, then NORMALIZE_PATH, on every URI-path match.
    const rules = onlyResource(synth.edgeTemplate, 'AWS::WAFv2::WebACL').properties.Rules as {
      Name: string;
      Statement: unknown;
    }[];
    const pathMatches: { rule: string; textTransformations: unknown }[] = [];
    const visit = (rule: string, node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      const field = record.FieldToMatch as Record<string, unknown> | undefined;
      if (field?.UriPath !== undefined) pathMatches.push({ rule, textTransformations: record.TextTransformations });
      for (const child of Object.values(record)) visit(rule, child);
    };
    for (const rule of rules) visit(rule.Name, rule.Statement);
    expect(pathMatches.map((match) => match.rule)).toEqual([
      'ApiRateLimitPerIp',
      'ApiMethodAllowList',
      'LicenceBodySize',
      'ManagedBodyRulesOutsideLicence',
    ]);
    for (const match of pathMatches) {
      expect(match).toEqual({
        rule: match.rule,
        textTransformations: [
          { Priority: 0, Type: 'URL_DECODE' },
          { Priority: 1, Type: 'NORMALIZE_PATH' },
        ],
      });
    }
  });

  test('the managed rule groups are Common, KnownBadInputs and AmazonIpReputationList', () => {
    const rules = onlyResource(synth.edgeTemplate, 'AWS::WAFv2::WebACL').properties.Rules as {
      Statement: { ManagedRuleGroupStatement?: { Name: string; VendorName: string } };
    }[];
    const groups = rules.flatMap((rule) =>
      rule.Statement.ManagedRuleGroupStatement === undefined ? [] : [rule.Statement.ManagedRuleGroupStatement],
    );
    expect(groups).toEqual(
      expect.arrayContaining([
        // The body rules of the first two are scoped away from the licence route (test/infra/waf-licence.test.ts).
        expect.objectContaining({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' }),
        expect.objectContaining({ VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' }),
        { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
      ]),
    );
  });

  test('WAF logs go to an aws-waf-logs- log group with credentials redacted', () => {
    // Retained, so named after the stack's id: a redeploy never collides with a group left behind.
    synth.edgeTemplate.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: {
        LogGroupName: {
          'Fn::Join': [
            '',
            ['aws-waf-logs-streamgate-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }],
          ],
        },
        RetentionInDays: 90,
      },
    });
    synth.edgeTemplate.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebAcl'), 'Arn'] },
      // The log group's ARN without the `:*` suffix, as WAF requires.
      LogDestinationConfigs: [
        {
          'Fn::Join': [
            '',
            ['arn:aws:logs:us-east-1:111111111111:log-group:', { Ref: Match.stringLikeRegexp('^EdgeProtectionLogs') }],
          ],
        },
      ],
      RedactedFields: [
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'cookie' } },
        { QueryString: {} },
      ],
    });
  });
});

describe('revocation table', () => {
  test('uses the shared key schema (no index: one item per user), on-demand billing, TTL, PITR, encryption and deletion protection', () => {
    synth.mainTemplate.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
        GlobalSecondaryIndexes: Match.absent(),
        LocalSecondaryIndexes: Match.absent(),
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('playback API', () => {
  test('six routes on an HTTP API whose stage throttles and writes access logs', () => {
    for (const route of [
      'POST /api/v1/playback/{videoId}',
      'POST /api/v1/revocations',
      'DELETE /api/v1/revocations/users/{sub}',
      'GET /api/v1/users/{sub}/sessions',
      'DELETE /api/v1/session',
      'POST /api/v1/licence/{videoId}/{drmSystem}',
    ]) {
      synth.mainTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: route });
    }
    synth.mainTemplate.resourceCountIs('AWS::ApiGatewayV2::Route', 6);
    synth.mainTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.requestId') },
    });
    synth.mainTemplate.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  test('functions run the newest Node.js on arm64 with source maps and a log retention', () => {
    const functions = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('Api'),
    );
    // playback, revocations, session, licence and the origin authorizer.
    expect(functions.length).toBe(5);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
      });
    }
    for (const [, group] of Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties?.RetentionInDays).toBe(90);
    }
  });

  test('the environment satisfies lambda/core/config.ts (deploy-time references stand in as plausible values)', () => {
    const operations = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(
      ([name]) => name.startsWith('Api') && !name.startsWith('ApiOriginAuthorizer'),
    );
    expect(operations.length).toBe(4);
    for (const [id, fn] of operations) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : standIn(name)]),
      );
      const loaded = loadConfig(env);
      expect({
        id,
        issuer: loaded.token.issuer,
        ttl: loaded.signing.ttlSeconds,
        bind: loaded.signing.bindViewerIp,
        abuse: loaded.abuse,
        videosClaimRequired: loaded.entitlement.requireVideosClaim,
      }).toEqual({
        id,
        videosClaimRequired: true,
        issuer: 'https://login.example.com/',
        ttl: 300,
        bind: true,
        abuse: {
          sharing: { maxNetworks: 3, maxCountries: 1, action: 'alert' },
          maxConcurrentStreams: 3,
          rateLimit: 60,
          rateWindowSeconds: 60,
          maxSessionsPerHour: 20,
          maxGrantsPerBucket: 32,
          streamLimitPolicy: 'reject-newest',
        },
      });
      expect(loaded.edgeDenyList).toBe(true);
      expect(loaded.viewerIpHeader).toBe('cloudfront-viewer-address');
      expect(loaded.viewerCountryHeader).toBe('cloudfront-viewer-country');
      // The key pair id comes with the key, from the active slot: a rotation changes both at once.
      expect(variables.SIGNING_KEY_PAIR_ID).toBeUndefined();
      expect(variables.SIGNING_KEY_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^SigningKeysSecret/) });
      expect(loaded.signing.keyRefreshSeconds).toBe(60);
      expect(variables.ORIGIN_VERIFY_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^ApiOriginVerify/) });
    }
  });

  test('least privilege: each function gets exactly the DynamoDB calls its operation makes and only playback reads the signing key', () => {
    const secretRefs = (prefix: string): string[] =>
      policiesOf(prefix)
        .filter((statement) => [statement.Action].flat().includes('secretsmanager:GetSecretValue'))
        .flatMap((statement) =>
          [statement.Resource].flat().map((resource) => (resource as { Ref?: string }).Ref ?? String(resource)),
        );
    const common = [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ];
    const tableActions = (prefix: string): string[] =>
      [...new Set(actionsOf(prefix).filter((action) => action.startsWith('dynamodb:')))].sort();

    // Every operation: consistent reads and conditional updates of single items, nothing else
    // (no scans, queries, batch or unconditional puts, no deletes).
    for (const role of ['ApiPlaybackRole', 'ApiRevocationsRole', 'ApiSessionRole', 'ApiLicenceRole']) {
      expect(tableActions(role)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    }
    for (const prefix of ['ApiPlaybackRole', 'ApiRevocationsRole', 'ApiSessionRole', 'ApiLicenceRole']) {
      expect([...new Set(actionsOf(prefix).filter((action) => !action.startsWith('dynamodb:')))].sort()).toEqual(
        common,
      );
      for (const statement of policiesOf(prefix).filter((candidate) =>
        [candidate.Action].flat().some((action) => action.startsWith('dynamodb:')),
      )) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RevocationsTable/), 'Arn'] });
      }
    }
    expect(secretRefs('ApiPlaybackRole').sort()).toEqual(
      [expect.stringMatching(/^ApiOriginVerify/), expect.stringMatching(/^SigningKeysSecret/)].sort(),
    );
    expect(secretRefs('ApiRevocationsRole')).toEqual([expect.stringMatching(/^ApiOriginVerify/)]);
    expect(secretRefs('ApiSessionRole')).toEqual([expect.stringMatching(/^ApiOriginVerify/)]);
    // The licence function: the origin-verify secret and its licence servers' credential, no signing key.
    expect(secretRefs('ApiLicenceRole').sort()).toEqual(
      [expect.stringMatching(/^ApiOriginVerify/), config.drm.upstreams.widevine?.secretArn].sort(),
    );
    // Only the key functions write the signing secret; only playback reads it besides them.
    const readers = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties).includes('SigningKeysSecret'))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(readers.sort()).toEqual([
      'ApiPlaybackRoleDefaultPolicy',
      'SigningKeysGeneratorRoleDefaultPolicy',
      'SigningKeysRotatorRoleDefaultPolicy',
    ]);
    // The only "*": CloudFront's key group and public key calls, Secrets Manager's
    // GetRandomPassword (rotation) and dynamodb:ListStreams (the deny-list's stream consumer),
    // which take no resource ARN.
    const unscoped = /^(cloudfront:\w+(PublicKeys?|KeyGroups?)|secretsmanager:GetRandomPassword|dynamodb:ListStreams)$/;
    for (const statement of policiesOf('')) {
      if (JSON.stringify(statement.Resource) !== '"*"') continue;
      expect([statement.Action].flat().filter((action) => !unscoped.test(action))).toEqual([]);
    }
  });
});

describe('DRM (licence route and catalog)', () => {
  const drmViewerKey = idpKey('ES256');
  const variablesOf = (idPrefix: string): Record<string, unknown> => {
    const [[, fn]] = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith(idPrefix),
    );
    return (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  };

  test('the DRM catalog and licence servers reach the playback and licence functions as the functions parse them', () => {
    for (const fn of ['ApiPlayback', 'ApiLicence']) {
      const variables = variablesOf(fn);
      const drm = loadDrmConfig(variables as Record<string, string>);
      expect([fn, Object.fromEntries(drm.catalog)]).toEqual([fn, config.drm.catalog]);
      expect([fn, Object.keys(drm.upstreams).sort()]).toEqual([fn, ['playready', 'widevine']]);
      expect(drm.upstreams.widevine).toMatchObject({
        header: 'x-api-key',
        secretArn: config.drm.upstreams.widevine?.secretArn,
      });
      expect(drm.timeoutMs).toBe(3000);
      // The template holds the secret's ARN only, never a credential.
      expect(JSON.stringify(variables)).not.toMatch(/"x-api-key":"[^"]/);
    }
  });

  test("only the licence function may read a licence server's credential, with GetSecretValue on that secret alone", () => {
    const arn = config.drm.upstreams.widevine?.secretArn ?? 'unset';
    const grants = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties).includes(arn))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(grants).toEqual(['ApiLicenceRoleDefaultPolicy']);
    const statements = policiesOf('ApiLicenceRole').filter((statement) =>
      JSON.stringify(statement.Resource).includes(arn),
    );
    expect(statements).toEqual([{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: arn }]);
    // The licence function is not handed the signing key either.
    expect(JSON.stringify(policiesOf('ApiLicenceRole'))).not.toContain('SigningKeysSecret');
  });

  test("a playback call with the synthesized playback function's catalog signs cookies covering the /drm/ prefix (checked independently)", async () => {
    const variables = variablesOf('ApiPlayback');
    const harness = await startHarness({
      idpKeys: [drmViewerKey],
      extraEnv: { DRM_CATALOG: String(variables.DRM_CATALOG), LICENCE_UPSTREAMS: String(variables.LICENCE_UPSTREAMS) },
    });
    try {
      const response = await harness.api.playback(
        playbackEvent('feature-1', { authorization: bearer(await mint(drmViewerKey)) }),
      );
      expect(response.statusCode).toBe(200);
      const drmPath = config.drm.catalog['feature-1'].paths[0];
      const lines = (response.cookies ?? []).filter((line) => line.includes(`Path=${drmPath};`));
      const value = (name: string) =>
        (lines.find((line) => line.startsWith(`${name}=`)) ?? '').split(';')[0].slice(name.length + 1);
      const fromCloudFront = (text: string) =>
        Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
      const policyBytes = fromCloudFront(value('CloudFront-Policy'));
      const policy = JSON.parse(policyBytes.toString('utf8')) as { Statement: { Resource: string }[] };
      expect(policy.Statement[0].Resource).toBe(`${MEDIA_BASE_URL}${drmPath}*`);
      expect(
        createVerify('sha256')
          .update(policyBytes)
          .verify(harness.signingKey.publicKey, fromCloudFront(value('CloudFront-Signature'))),
      ).toBe(true);
    } finally {
      await harness.close();
    }
  });

  test('the licence function times out well after the licence server bound it applies', () => {
    const [[, fn]] = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('ApiLicence'),
    );
    expect(Number(fn.Properties?.Timeout) * 1000).toBeGreaterThan(config.drm.licenceTimeoutMs + 1000);
  });
});

describe('origin authorizer (direct calls to the execute-api endpoint)', () => {
  const authorizerId = (): string => onlyResource(synth.mainTemplate, 'AWS::ApiGatewayV2::Authorizer').id;

  test('a direct call is refused before any API function runs: every route is CUSTOM-authorized by the origin authorizer', () => {
    const routes = Object.values(resourcesOf(synth.mainTemplate, 'AWS::ApiGatewayV2::Route'));
    expect(routes.length).toBe(6);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId() } });
    }
  });

  test('a missing header is a 401 from API Gateway itself: the header is the identity source; payload 2.0, simple responses, cached by value', () => {
    const { properties } = onlyResource(synth.mainTemplate, 'AWS::ApiGatewayV2::Authorizer');
    expect(properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`],
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(JSON.stringify(properties.AuthorizerUri)).toMatch(/ApiOriginAuthorizerFunction/);
    // CloudFront sends the same header name the authorizer reads.
    expect(ORIGIN_VERIFY_HEADER).toBe('x-origin-verify');
  });

  test('the authorizer function reads only the origin-verify secret (GetSecretValue, current and previous versions) and nothing else', () => {
    const statements = policiesOf('ApiOriginAuthorizerRole') as unknown as {
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }[];
    const secretStatements = statements.filter(
      (statement) => ![statement.Action].flat().every((action) => action.startsWith('logs:')),
    );
    expect(secretStatements).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/^ApiOriginVerify/) },
        Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'] } },
      },
    ]);
    expect(actionsOf('ApiOriginAuthorizerRole').sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
    const fn = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('ApiOriginAuthorizer'),
    );
    expect(
      Object.keys((fn?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables).sort(),
    ).toEqual(['NODE_OPTIONS', 'ORIGIN_SECRETS_VERSION', 'ORIGIN_VERIFY_SECRET_ARN']);
    // Only API Gateway may invoke it, and only as this API's authorizer.
    synth.mainTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiOriginAuthorizerFunction'), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/authorizers/')])] }),
    });
  });

  test('rotation: the distribution is updated after the authorizer, so no edge sends a new value to a container that does not know it', () => {
    const distribution = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').id;
    const dependsOn = [synth.mainTemplate.toJSON().Resources[distribution].DependsOn ?? []].flat() as string[];
    expect(dependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ApiOriginAuthorizerFunction/)]));
  });
});

describe('signing keys', () => {
  const statementsOf = (prefix: string) =>
    policiesOf(prefix) as unknown as { Sid?: string; Action: string | string[]; Resource: unknown }[];

  test('ownership: CloudFormation has no public key or key group resource to write back over a rotation', () => {
    synth.mainTemplate.resourceCountIs('AWS::CloudFront::PublicKey', 0);
    synth.mainTemplate.resourceCountIs('AWS::CloudFront::KeyGroup', 0);
    const { properties } = onlyResource(synth.mainTemplate, 'Custom::StreamgateSigningKeyGroup');
    expect(properties).toMatchObject({
      SecretArn: { Ref: expect.stringMatching(/^SigningKeysSecret/) },
      Algorithm: 'RSA_2048',
      NamePrefix: expect.stringContaining('-sign'),
    });
    // Only the secret is CloudFormation's, and it never sets the value (no SecretString).
    const secret = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::Secret')).find(([id]) =>
      id.startsWith('SigningKeysSecret'),
    );
    expect(secret?.[1].Properties?.SecretString).toBeUndefined();
  });

  test('a schedule runs the rotator; it may write only the signing secret and read only this distribution', () => {
    const rotator = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('SigningKeysRotator'),
    );
    expect(rotator).toBeDefined();
    const env = (rotator?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      ROTATE_AFTER_SECONDS: String(30 * 86400),
      SIGNED_TTL_SECONDS: '300',
      SIGNING_KEY_REFRESH_SECONDS: '60',
      CLOCK_TOLERANCE_SECONDS: '30',
      KEY_ALGORITHM: 'RSA_2048',
    });
    synth.mainTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [rotator?.[0], 'Arn'] } })],
    });
    const statements = statementsOf('SigningKeysRotatorRole');
    const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);
    expect(bySid('SigningSecretSlots')?.Resource).toEqual({ Ref: expect.stringMatching(/^SigningKeysSecret/) });
    expect([bySid('SigningSecretSlots')?.Action].flat().sort()).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:ListSecretVersionIds',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    expect(JSON.stringify(bySid('DistributionStatus')?.Resource)).toMatch(/distribution\/.*DeliveryDistribution/);
    expect([bySid('KeyGroupAndPublicKeys')?.Action].flat()).not.toContain('cloudfront:CreateKeyGroup');
    expect([bySid('KeyGroupAndPublicKeys')?.Action].flat()).not.toContain('cloudfront:DeleteKeyGroup');
    // No other secret, no UpdateDistribution.
    expect(JSON.stringify(statements)).not.toMatch(/ApiOriginVerify|UpdateDistribution/);
  });

  test('a key-age alarm fires past the schedule plus two days, and when the rotation stops reporting', () => {
    synth.mainTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      // The alarm topic's policy admits only alarms named <name>-*.
      AlarmName: 'streamgate-signing-key-age',
      MetricName: 'ActiveSigningKeyAge',
      Namespace: 'Streamgate',
      Statistic: 'Maximum',
      Threshold: 32 * 86400,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
    });
  });

  test('origin-verify rotates itself: a 30-day Secrets Manager schedule whose function may change only this secret and this distribution', () => {
    const secret = Object.keys(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::Secret')).find((id) =>
      id.startsWith('ApiOriginVerify'),
    );
    synth.mainTemplate.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: secret },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OriginVerifyRotationRotatorFunction'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    const statements = statementsOf('OriginVerifyRotationRotatorRole');
    const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);
    expect(bySid('RotateThisSecret')?.Resource).toEqual({ Ref: secret });
    expect([bySid('ThisDistributionsOriginHeader')?.Action].flat().sort()).toEqual([
      'cloudfront:GetDistribution',
      'cloudfront:GetDistributionConfig',
      'cloudfront:UpdateDistribution',
    ]);
    expect(JSON.stringify(bySid('ThisDistributionsOriginHeader')?.Resource)).toMatch(
      /distribution\/.*DeliveryDistribution/,
    );
    expect(JSON.stringify(statements)).not.toMatch(/SigningKeysSecret|PackagingCdn/);
  });

  test('the MediaPackage CDN identifier rotates itself too: promote first (MediaPackage accepts AWSPREVIOUS), then switch the header', () => {
    const secret = Object.keys(resourcesOf(synth.mainTemplate, 'AWS::SecretsManager::Secret')).find((id) =>
      id.startsWith('PackagingCdnIdentifier'),
    );
    synth.mainTemplate.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: secret },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CdnIdentifierRotationRotatorFunction'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    const rotator = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('CdnIdentifierRotationRotator'),
    );
    expect((rotator?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      HEADER_NAME: 'X-MediaPackage-CDNIdentifier',
      ROTATION_ORDER: 'promote-then-send',
      VALUE_JSON_KEY: 'MediaPackageCDNIdentifier',
    });
    expect(JSON.stringify(statementsOf('CdnIdentifierRotationRotatorRole'))).not.toMatch(
      /ApiOriginVerify|SigningKeysSecret/,
    );
  });

  test('no private key material appears in any template', () => {
    const dir = synth.assembly.directory;
    const templates = readdirSync(dir).filter((file) => file.endsWith('.template.json'));
    // Edge (WAF), main, and the edge alarms (the main stack is not in us-east-1).
    expect(templates.length).toBe(3);
    for (const file of templates) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      expect(text).not.toMatch(/PRIVATE KEY/);
      // A PEM/DER key body is a long unbroken base64 run; templates hold none.
      expect(text).not.toMatch(/MII[A-Za-z0-9+/]{100,}/);
      expect(text).not.toMatch(/BEGIN PUBLIC KEY/);
    }
  });
});

describe('packaging (VOD)', () => {
  test('DASH carries Widevine and PlayReady (SPEKE v2.0), HLS carries FairPlay (SPEKE v1.0, its own endpoint)', () => {
    const speke = {
      Url: 'https://speke.example.com/v2/copyProtection',
      RoleArn: 'arn:aws:iam::111111111111:role/streamgate-speke',
    };
    synth.mainTemplate.hasResourceProperties('AWS::MediaPackage::PackagingConfiguration', {
      DashPackage: {
        Encryption: {
          SpekeKeyProvider: {
            ...speke,
            SystemIds: [DRM_SYSTEM_IDS.WIDEVINE, DRM_SYSTEM_IDS.PLAYREADY],
            EncryptionContractConfiguration: {
              PresetSpeke20Video: 'PRESET-VIDEO-1',
              PresetSpeke20Audio: 'PRESET-AUDIO-1',
            },
          },
        },
      },
    });
    synth.mainTemplate.hasResourceProperties('AWS::MediaPackage::PackagingConfiguration', {
      HlsPackage: {
        Encryption: {
          EncryptionMethod: 'SAMPLE_AES',
          SpekeKeyProvider: {
            Url: 'https://speke.example.com/v1/copyProtection',
            RoleArn: speke.RoleArn,
            SystemIds: [DRM_SYSTEM_IDS.FAIRPLAY],
          },
        },
      },
    });
  });

  test('only CloudFront may pull: CDN authorization with a Secrets Manager identifier it sends as a header', () => {
    synth.mainTemplate.hasResourceProperties('AWS::MediaPackage::PackagingGroup', {
      Authorization: {
        CdnIdentifierSecret: { Ref: Match.stringLikeRegexp('^PackagingCdnIdentifier') },
        SecretsRoleArn: Match.anyValue(),
      },
    });
    synth.mainTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'mediapackage.amazonaws.com' } })],
      },
    });
    const drm = behavior('/drm/*');
    const origin = (
      distribution.Origins as { Id: string; OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[] }[]
    ).find((candidate) => candidate.Id === drm.TargetOriginId);
    expect(origin?.OriginCustomHeaders?.map((header) => header.HeaderName)).toEqual(['X-MediaPackage-CDNIdentifier']);
    expect(JSON.stringify(origin?.OriginCustomHeaders?.[0].HeaderValue)).toMatch(
      /\{\{resolve:secretsmanager:.*:SecretString:MediaPackageCDNIdentifier::\}\}/,
    );
    // MediaPackage v1 has no Origin Access Control: the header stays its only gate (v2 live uses OAC).
    expect(origin).not.toHaveProperty('OriginAccessControlId');
    expect(JSON.stringify(synth.mainTemplate.findResources('AWS::CloudFront::OriginAccessControl'))).not.toContain(
      'mediapackagev2',
    );
  });
});

describe('cdk-nag', () => {
  test('AwsSolutions reports no unacknowledged findings on either stack', () => {
    const report = new AwsSolutionsChecks(synth.app).validateScope(synth.app);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  test('every acknowledgement carries a one-line reason', () => {
    const reasons = synth.app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((entry) => Object.values(entry.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(/^[^\n]{20,200}$/);
  });
});

/** Values a deploy resolves (ARNs, ids, names), in the form the runtime expects. */
function standIn(variable: string): string {
  const values: Record<string, string> = {
    REVOCATION_TABLE_NAME: 'streamgate-RevocationsTable-1ABC',
    SIGNING_KEY_PAIR_ID: 'K2JCJMDEHXQW5F',
    SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:key-AbCdEf',
    ORIGIN_VERIFY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:verify-AbCdEf',
    MEDIA_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
  };
  const value = values[variable];
  if (value === undefined) throw new Error(`no stand-in for ${variable}`);
  return value;
}
