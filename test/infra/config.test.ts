/**
 * The deploy config is validated before any construct exists: each bad field yields an error
 * naming that field, all problems are reported together, and `cdk synth` itself stops on them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../lambda/core/config';
import { DEFAULT_PLAYER_CSP, loadConfigFile, validateConfig } from '../../lib/config';
import { apiEnvironment } from '../../lib/api-environment';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';
import { EXAMPLE_CONFIG, exampleJsonWith, issuesOf, ROOT } from './synth';

type Json = Record<string, unknown>;

test('the example config is valid, with defaults filled in', () => {
  const config = loadConfigFile(EXAMPLE_CONFIG);
  expect(config.signing).toMatchObject({ keyAlgorithm: 'RSA_2048', rotateAfterDays: 30, keyRefreshSeconds: 60 });
  expect(config.entitlement).toEqual({
    scopeClaim: ['scope'],
    videosClaim: 'videos',
    requireVideosClaim: true,
    requirePlayScope: true,
    playScope: 'stream:play',
    adminScope: 'streamgate:admin',
    planClaim: 'plan',
    plans: {},
    streamLimitClaimMax: 10,
    stepUp: {},
    rentals: { titles: {}, claim: 'rentals', maxRecorded: 20 },
  });
  expect(config.jwt).toMatchObject({ clientIdClaim: 'client_id', requireJti: true, maxLifetimeSeconds: 3600 });
  expect(config.delivery.contentSecurityPolicy).toBe(DEFAULT_PLAYER_CSP);
  expect(config.delivery.manifestName).toBe('index.m3u8');
});

test.each<[string, Json, string]>([
  ['a missing name', { name: null }, 'name'],
  ['a step-up rule that asks for nothing', { entitlement: { stepUp: { 'premium-*': {} } } }, 'entitlement.stepUp'],
  [
    'a step-up acr value with a space',
    { entitlement: { stepUp: { 'premium-*': { acrValues: ['a b'] } } } },
    'entitlement.stepUp',
  ],
  [
    'a rental play window under 10 s',
    { entitlement: { rentals: { titles: { 'film-*': { startWithinSeconds: 60, playForSeconds: 1 } } } } },
    'entitlement.rentals.titles',
  ],
  ['a rental cap of 0', { entitlement: { rentals: { maxRecorded: 0 } } }, 'entitlement.rentals.maxRecorded'],
  ['an account id that is not 12 digits', { account: '1234' }, 'account'],
  ['a region that is not a region', { region: 'europe' }, 'region'],
  ['a JWT issuer that is not an https URL', { jwt: { issuer: 'http://login.example.com/' } }, 'jwt.issuer'],
  ['a missing JWT audience', { jwt: { audience: null } }, 'jwt.audience'],
  ['a JWKS URL that is not a URL', { jwt: { jwksUrl: 'jwks.json' } }, 'jwt.jwksUrl'],
  ['a symmetric JWT algorithm', { jwt: { algorithms: ['RS256', 'HS256'] } }, 'jwt.algorithms[1]'],
  ['the none algorithm', { jwt: { algorithms: ['none'] } }, 'jwt.algorithms[0]'],
  ['an empty algorithm list', { jwt: { algorithms: [] } }, 'jwt.algorithms'],
  ['a clock tolerance over 300 s', { jwt: { clockToleranceSeconds: 301 } }, 'jwt.clockToleranceSeconds'],
  ['a claim name with spaces', { entitlement: { videosClaim: 'my videos' } }, 'entitlement.videosClaim'],
  [
    'no audience and no client id + token_use to stand for it',
    { jwt: { audience: null, clientId: '1example23456789' } },
    'jwt.audience',
  ],
  ['a token_use with a space', { jwt: { tokenUse: 'access token' } }, 'jwt.tokenUse'],
  ['a typ that is not a media type', { jwt: { tokenType: 'at jwt' } }, 'jwt.tokenType'],
  ['requireJti that is not a boolean', { jwt: { requireJti: 'no' } }, 'jwt.requireJti'],
  ['a lifetime cap over 24 h', { jwt: { maxLifetimeSeconds: 86401 } }, 'jwt.maxLifetimeSeconds'],
  ['a client id claim with a space', { jwt: { clientIdClaim: 'client id' } }, 'jwt.clientIdClaim'],
  ['a fifth scope claim', { entitlement: { scopeClaim: ['a', 'b', 'c', 'd', 'e'] } }, 'entitlement.scopeClaim'],
  [
    'a scope claim list with a bad name',
    { entitlement: { scopeClaim: ['scp', 'my roles'] } },
    'entitlement.scopeClaim[1]',
  ],
  [
    'a plan entry with a slash (ids have none: prefixes end in "*")',
    { entitlement: { plans: { gold: { videos: ['series-12/*'] } } } },
    'entitlement.plans.gold.videos[0]',
  ],
  ['a plan with no videos', { entitlement: { plans: { gold: { videos: [] } } } }, 'entitlement.plans.gold.videos'],
  [
    'a plan stream limit over 1000',
    { entitlement: { plans: { gold: { videos: ['*'], maxStreams: 1001 } } } },
    'entitlement.plans.gold.maxStreams',
  ],
  [
    'an unknown plan field',
    { entitlement: { plans: { gold: { videos: ['*'], streams: 2 } } } },
    'entitlement.plans.gold.streams',
  ],
  ['a default plan that is not a plan', { entitlement: { defaultPlan: 'free' } }, 'entitlement.defaultPlan'],
  [
    'a default plan with requireVideosClaim false',
    { entitlement: { plans: { free: { videos: ['free-*'] } }, defaultPlan: 'free', requireVideosClaim: false } },
    'entitlement.defaultPlan',
  ],
  ['a stream-limit claim cap of 0', { entitlement: { streamLimitClaimMax: 0 } }, 'entitlement.streamLimitClaimMax'],
  [
    'a stream-limit claim with a space',
    { entitlement: { streamLimitClaim: 'max streams' } },
    'entitlement.streamLimitClaim',
  ],
  [
    "plans too large for the functions' environment",
    {
      entitlement: {
        plans: Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [
            `plan-${i}`,
            { videos: Array.from({ length: 5 }, (_, j) => `video-${i}-${j}`) },
          ]),
        ),
      },
    },
    'entitlement.plans',
  ],
  ['a cookie TTL under 5 s', { signing: { ttlSeconds: 4 } }, 'signing.ttlSeconds'],
  ['a cookie TTL that is not a whole number', { signing: { ttlSeconds: 300.5 } }, 'signing.ttlSeconds'],
  ['an unknown hash algorithm', { signing: { hashAlgorithm: 'MD5' } }, 'signing.hashAlgorithm'],
  ['IP binding that is not a boolean', { signing: { bindViewerIp: 'yes' } }, 'signing.bindViewerIp'],
  ['a key algorithm CloudFront does not take', { signing: { keyAlgorithm: 'RSA_4096' } }, 'signing.keyAlgorithm'],
  [
    'a rotation age over 90 days (FSBP SecretsManager.4)',
    { signing: { rotateAfterDays: 91 } },
    'signing.rotateAfterDays',
  ],
  [
    'a rotation check more often than every 5 minutes',
    { signing: { rotationCheckMinutes: 1 } },
    'signing.rotationCheckMinutes',
  ],
  ['the retired two-slot key list', { signing: { keys: [] } }, 'signing.keys'],
  ['a cookie domain with a wildcard', { signing: { cookieDomain: '*.example.com' } }, 'signing.cookieDomain'],
  [
    'a lower-case country code',
    { delivery: { geoRestriction: { type: 'allow', countries: ['us'] } } },
    'delivery.geoRestriction.countries[0]',
  ],
  [
    'a country code that does not exist',
    { delivery: { geoRestriction: { type: 'deny', countries: ['CN', 'XX'] } } },
    'delivery.geoRestriction.countries[1]',
  ],
  [
    'an allow list with no countries',
    { delivery: { geoRestriction: { type: 'allow', countries: [] } } },
    'delivery.geoRestriction.countries',
  ],
  [
    'an unknown geo restriction type',
    { delivery: { geoRestriction: { type: 'block', countries: ['US'] } } },
    'delivery.geoRestriction.type',
  ],
  [
    'countries with type none',
    { delivery: { geoRestriction: { type: 'none', countries: ['US'] } } },
    'delivery.geoRestriction.countries',
  ],
  [
    'a certificate outside us-east-1',
    {
      delivery: {
        certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-4000-8000-000000000000',
      },
    },
    'delivery.certificateArn',
  ],
  ['a custom domain without a certificate', { delivery: { certificateArn: null } }, 'delivery.certificateArn'],
  [
    'a domain name with a scheme',
    { delivery: { domainNames: ['https://video.example.com'] } },
    'delivery.domainNames[0]',
  ],
  ['a manifest TTL of 0', { delivery: { manifestTtlSeconds: 0 } }, 'delivery.manifestTtlSeconds'],
  [
    'a manifest TTL above the segment TTL',
    { delivery: { manifestTtlSeconds: 600, segmentTtlSeconds: 300 } },
    'delivery.manifestTtlSeconds',
  ],
  ['a segment TTL under a minute', { delivery: { segmentTtlSeconds: 30 } }, 'delivery.segmentTtlSeconds'],
  ['an origin secrets version of 0', { delivery: { originSecretsVersion: 0 } }, 'delivery.originSecretsVersion'],
  ['an unknown price class', { delivery: { priceClass: 'PriceClass_50' } }, 'delivery.priceClass'],
  ['an API rate limit of 0', { api: { throttleRateLimit: 0 } }, 'api.throttleRateLimit'],
  ['an unknown sharing action', { abuse: { sharingAction: 'ban' } }, 'abuse.sharingAction'],
  ['a negative stream limit', { abuse: { maxConcurrentStreams: -1 } }, 'abuse.maxConcurrentStreams'],
  [
    'a session cap below the stream limit',
    { abuse: { maxConcurrentStreams: 30, maxSessionsPerHour: 20 } },
    'abuse.maxSessionsPerHour',
  ],
  ['a grant budget under one call’s worth', { abuse: { maxGrantsPerBucket: 2 } }, 'abuse.maxGrantsPerBucket'],
  ["a WAF limit under WAF's minimum of 10", { waf: { rateLimitPerIp: 5 } }, 'waf.rateLimitPerIp'],
  [
    'an /api/ limit that is not tighter',
    { waf: { rateLimitPerIp: 500, apiRateLimitPerIp: 500 } },
    'waf.apiRateLimitPerIp',
  ],
  ['an evaluation window WAF does not offer', { waf: { evaluationWindowSeconds: 90 } }, 'waf.evaluationWindowSeconds'],
  ['a SPEKE URL over plain http', { packaging: { spekeUrl: 'http://speke.example.com/v2' } }, 'packaging.spekeUrl'],
  [
    'a SPEKE role that is not a role ARN',
    { packaging: { spekeRoleArn: 'arn:aws:iam::111111111111:user/speke' } },
    'packaging.spekeRoleArn',
  ],
  ['an unknown SPEKE preset', { packaging: { presetVideo: 'PRESET-VIDEO-9' } }, 'packaging.presetVideo'],
  ['SHARED on video only', { packaging: { presetVideo: 'SHARED' } }, 'packaging.presetAudio'],
  ['an unknown packaging mode', { packaging: { mode: 'hybrid' } }, 'packaging.mode'],
  // VOD's HLS speaks SPEKE v1.0: its endpoint is said, never assumed to be the v2 one.
  ['VOD without a SPEKE v1 endpoint', { packaging: { spekeV1Url: null } }, 'packaging.spekeV1Url'],
  ['VOD with an empty SPEKE v1 endpoint', { packaging: { spekeV1Url: '' } }, 'packaging.spekeV1Url'],
  [
    'a SPEKE v1 URL over plain http',
    { packaging: { spekeV1Url: 'http://speke.example.com/v1' } },
    'packaging.spekeV1Url',
  ],
  ['a SPEKE v1 endpoint on live packaging', { packaging: { mode: 'live' } }, 'packaging.spekeV1Url'],
  ['a log retention CloudWatch does not offer', { logRetentionDays: 10 }, 'logRetentionDays'],
  ['a misspelt field', { delivery: { manifestTTLSeconds: 2 } }, 'delivery.manifestTTLSeconds'],
])('rejects %s, naming the field', (_, overrides, field) => {
  expect(issuesOf(overrides)).toEqual([field]);
});

test("identity-provider settings reach the functions' environment and read back as configured (a Cognito pool with plans)", () => {
  const config = validateConfig(
    exampleJsonWith({
      jwt: {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
        audience: null,
        clientId: ['1example23456789', '7oncall0m2m0client000000'],
        tokenUse: 'access',
        jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
        algorithms: ['RS256'],
        maxLifetimeSeconds: 86400,
        requireJti: false,
        tokenType: 'at+jwt',
      },
      entitlement: {
        scopeClaim: ['scope', 'cognito:groups'],
        planClaim: 'cognito:groups',
        plans: { free: { videos: ['free-*'], maxStreams: 1 }, gold: { videos: ['*'], maxStreams: 4 } },
        defaultPlan: 'free',
        streamLimitClaim: 'custom:max_streams',
        streamLimitClaimMax: 6,
      },
    }),
  );
  const environment = apiEnvironment(config, 'https://video.example.com');
  const loaded = loadConfig({ ...MINIMAL_LAMBDA_ENV, JWT_AUDIENCE: undefined, ...environment });
  expect(loaded.token).toMatchObject({
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
    clientIds: ['1example23456789', '7oncall0m2m0client000000'],
    clientIdClaim: 'client_id',
    tokenUse: 'access',
    tokenType: 'at+jwt',
    requireJti: false,
    maxLifetimeSeconds: 86400,
  });
  expect(loaded.token.audience).toBeUndefined();
  expect(environment.JWT_AUDIENCE).toBeUndefined();
  expect(loaded.entitlement).toMatchObject({
    scopeClaims: ['scope', 'cognito:groups'],
    planClaim: 'cognito:groups',
    defaultPlan: 'free',
    streamLimitClaim: 'custom:max_streams',
    streamLimitClaimMax: 6,
  });
  expect(Object.fromEntries(loaded.entitlement.plans)).toEqual(config.entitlement.plans);
});

test('reports every bad field at once, one line each', () => {
  let message = '';
  try {
    validateConfig(
      exampleJsonWith({ account: 'x', jwt: { issuer: 'ftp://x' }, waf: { evaluationWindowSeconds: 1 } }),
      'config/bad.json',
    );
  } catch (error) {
    message = error instanceof Error ? error.message : '';
  }
  expect(message.split('\n')).toEqual([
    'invalid streamgate config (config/bad.json):',
    expect.stringMatching(/^ {2}- account: /),
    expect.stringMatching(/^ {2}- jwt\.issuer: /),
    expect.stringMatching(/^ {2}- waf\.evaluationWindowSeconds: /),
  ]);
});

test('a file that is not JSON is reported as such', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'streamgate-config-')), 'broken.json');
  writeFileSync(file, '{ "name": ');
  expect(() => loadConfigFile(file)).toThrow(/\(file\): cannot read JSON/);
});

test('cdk synth stops on a bad config with the field named, before building anything', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-config-'));
  const file = path.join(dir, 'bad.json');
  writeFileSync(
    file,
    JSON.stringify(exampleJsonWith({ delivery: { geoRestriction: { type: 'allow', countries: ['usa'] } } })),
  );
  const run = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin', 'streamgate.ts')],
    {
      cwd: ROOT,
      // What the CDK CLI hands the app: its context and output directory.
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ 'streamgate:config': file }),
        CDK_OUTDIR: path.join(dir, 'out'),
      },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('delivery.geoRestriction.countries[0]: must be an upper-case ISO 3166-1 alpha-2 code');
}, 60_000);
