/** Configuration: each missing or invalid variable fails at init with an error naming it. */
import { ConfigError, loadConfig } from '../../lambda/core/config';
import { createApi } from '../../lambda/runtime/runtime';
import { cloudFrontKey, LogCapture } from '../support/harness';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';

const base: Record<string, string> = { ...MINIMAL_LAMBDA_ENV };

function errorFor(overrides: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig({ ...base, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('a complete environment loads with the documented defaults', () => {
  const config = loadConfig(base);
  expect(config.token.algorithms).toEqual(['RS256', 'ES256']);
  expect(config.token.clockToleranceSeconds).toBe(30);
  expect(config.token.maxLifetimeSeconds).toBe(3600);
  expect(config.token.maxTokenBytes).toBe(8192);
  expect(config.signing.ttlSeconds).toBe(300);
  expect(config.signing.hashAlgorithm).toBe('SHA256');
  expect(config.signing.bindViewerIp).toBe(false);
  expect(config.entitlement).toEqual({
    scopeClaims: ['scope'],
    videosClaim: 'videos',
    requireVideosClaim: true,
    requirePlayScope: true,
    playScope: 'stream:play',
    adminScope: 'streamgate:admin',
    planClaim: 'plan',
    plans: new Map(),
    streamLimitClaimMax: 10,
  });
  expect(config.token).toMatchObject({ audience: 'streamgate', clientIdClaim: 'client_id', requireJti: true });
  expect(config.token.clientIds).toBeUndefined();
  expect(config.token.tokenUse).toBeUndefined();
  expect(config.token.tokenType).toBeUndefined();
});

test.each([
  ['JWT_ISSUER', { JWT_ISSUER: undefined }, /required/],
  ['JWT_AUDIENCE', { JWT_AUDIENCE: '' }, /required/],
  ['JWT_JWKS_URL', { JWT_JWKS_URL: undefined }, /exactly one/],
  ['JWT_JWKS_URL', { JWT_JWKS: '{"keys":[]}' }, /exactly one/],
  ['JWT_JWKS_URL', { JWT_JWKS_URL: 'http://idp.example/jwks' }, /https/],
  ['JWT_JWKS_URL', { JWT_JWKS_URL: 'not a url' }, /valid URL/],
  ['JWT_ALGORITHMS', { JWT_ALGORITHMS: 'RS256,none' }, /"none" is not allowed/],
  ['JWT_ALGORITHMS', { JWT_ALGORITHMS: 'HS256' }, /"HS256" is not allowed/],
  ['JWT_ALGORITHMS', { JWT_ALGORITHMS: ' , ' }, /at least one/],
  ['JWT_CLOCK_TOLERANCE_SECONDS', { JWT_CLOCK_TOLERANCE_SECONDS: 'ten' }, /whole number/],
  ['JWT_MAX_LIFETIME_SECONDS', { JWT_MAX_LIFETIME_SECONDS: '999999' }, /between/],
  ['JWT_MAX_TOKEN_BYTES', { JWT_MAX_TOKEN_BYTES: '10' }, /between/],
  ['SIGNED_TTL_SECONDS', { SIGNED_TTL_SECONDS: '0' }, /between/],
  ['SIGN_BIND_VIEWER_IP', { SIGN_BIND_VIEWER_IP: 'yes' }, /true or false/],
  ['MEDIA_BASE_URL', { MEDIA_BASE_URL: undefined }, /required/],
  ['MEDIA_BASE_URL', { MEDIA_BASE_URL: 'https://cdn.example/media' }, /scheme and host only/],
  ['MEDIA_BASE_URL', { MEDIA_BASE_URL: 'ftp://cdn.example' }, /http/],
  ['MANIFEST_NAME', { MANIFEST_NAME: '../index.m3u8' }, /plain file name/],
  ['SIGNING_KEY_PAIR_ID', { SIGNING_KEY_PAIR_ID: 'k-lowercase' }, /public key id/],
  ['SIGNING_KEY_SECRET_ARN', { SIGNING_KEY_FILE: '/tmp/key.pem' }, /exactly one/],
  ['SIGNING_KEY_SECRET_ARN', { SIGNING_KEY_SECRET_ARN: undefined }, /exactly one/],
  ['SIGNING_HASH_ALGORITHM', { SIGNING_HASH_ALGORITHM: 'MD5' }, /SHA1, SHA256/],
  ['REVOCATION_TABLE_NAME', { REVOCATION_TABLE_NAME: 'a b' }, /table name/],
  ['STORE_TIMEOUT_MS', { STORE_TIMEOUT_MS: '-1' }, /between/],
  ['COOKIE_DOMAIN', { COOKIE_DOMAIN: '*.cloudfront.net' }, /host name/],
  ['DYNAMODB_ENDPOINT', { DYNAMODB_ENDPOINT: 'localhost:8000' }, /http\(s\) URL/],
  ['SCOPE_CLAIM', { SCOPE_CLAIM: 'has space' }, /claim name/],
  ['SCOPE_CLAIM', { SCOPE_CLAIM: 'a,b,c,d,e' }, /1 to 4/],
  ['JWT_AUDIENCE', { JWT_AUDIENCE: undefined, JWT_CLIENT_ID: 'abc' }, /JWT_CLIENT_ID and JWT_TOKEN_USE/],
  ['JWT_AUDIENCE', { JWT_AUDIENCE: undefined, JWT_TOKEN_USE: 'access' }, /JWT_CLIENT_ID and JWT_TOKEN_USE/],
  ['JWT_CLIENT_ID', { JWT_CLIENT_ID: 'has space' }, /client id/],
  ['JWT_CLIENT_ID_CLAIM', { JWT_CLIENT_ID_CLAIM: 'client id' }, /claim name/],
  ['JWT_TOKEN_USE', { JWT_TOKEN_USE: 'access token' }, /token_use/],
  ['JWT_TYP', { JWT_TYP: 'at jwt' }, /media type/],
  ['JWT_REQUIRE_JTI', { JWT_REQUIRE_JTI: 'sometimes' }, /true or false/],
  ['REQUIRE_PLAY_SCOPE', { REQUIRE_PLAY_SCOPE: 'no' }, /true or false/],
  ['PLAN_CLAIM', { PLAN_CLAIM: 'my plan' }, /claim name/],
  ['STREAM_LIMIT_CLAIM', { STREAM_LIMIT_CLAIM: 'max streams' }, /claim name/],
  ['STREAM_LIMIT_CLAIM_MAX', { STREAM_LIMIT_CLAIM_MAX: '0' }, /between 1 and 1000/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{gold}' }, /not valid JSON/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '["gold"]' }, /object of plans/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{"gold":["a"]}' }, /plan "gold": must be/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{"gold":{"videos":[]}}' }, /plan "gold": videos must list 1 to 100/],
  [
    'ENTITLEMENT_PLANS',
    { ENTITLEMENT_PLANS: '{"gold":{"videos":["trailer-1","series-12/*"]}}' },
    /plan "gold": videos\[1\] must be .*prefix ending in "\*"/,
  ],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{"gold":{"videos":["a*b"]}}' }, /videos\[0\]/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{"gold":{"videos":["*"],"maxStreams":-1}}' }, /maxStreams must be/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{"gold":{"videos":["*"],"maxStreams":1.5}}' }, /maxStreams must be/],
  ['ENTITLEMENT_PLANS', { ENTITLEMENT_PLANS: '{"gold":{"videos":["*"],"streams":2}}' }, /unknown field "streams"/],
  ['DEFAULT_PLAN', { DEFAULT_PLAN: 'gold' }, /names no plan/],
  [
    'DEFAULT_PLAN',
    { ENTITLEMENT_PLANS: '{"free":{"videos":["free-*"]}}', DEFAULT_PLAN: 'free', REQUIRE_VIDEOS_CLAIM: 'false' },
    /cannot be combined with REQUIRE_VIDEOS_CLAIM=false/,
  ],
  ['MAX_SESSIONS_PER_HOUR', { MAX_SESSIONS_PER_HOUR: '0' }, /between 1 and 500/],
  ['MAX_SESSIONS_PER_HOUR', { MAX_CONCURRENT_STREAMS: '30' }, /at least MAX_CONCURRENT_STREAMS \(30\), got 20/],
  ['MAX_GRANTS_PER_BUCKET', { MAX_GRANTS_PER_BUCKET: '4' }, /between 8 and 500/],
])('%s: %j is refused with an error naming it', (variable, overrides, message) => {
  const error = errorFor(overrides);
  expect(error.variable).toBe(variable);
  expect(error.message.startsWith(`${variable}: `)).toBe(true);
  expect(error.message).toMatch(message);
});

test('more plans than ENTITLEMENT_PLANS may hold are refused naming it', () => {
  const plans = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, { videos: ['*'] }]));
  expect(errorFor({ ENTITLEMENT_PLANS: JSON.stringify(plans) }).message).toMatch(
    /^ENTITLEMENT_PLANS: holds more than 50 plans/,
  );
});

test('a Cognito access-token configuration loads without an audience: client id and token_use pin the token', () => {
  const config = loadConfig({
    ...base,
    JWT_AUDIENCE: undefined,
    JWT_CLIENT_ID: '1example23456789',
    JWT_TOKEN_USE: 'access',
    SCOPE_CLAIM: 'scope, cognito:groups',
  });
  expect(config.token).toMatchObject({
    clientIds: ['1example23456789'],
    clientIdClaim: 'client_id',
    tokenUse: 'access',
  });
  expect(config.token.audience).toBeUndefined();
  expect(config.entitlement.scopeClaims).toEqual(['scope', 'cognito:groups']);
});

test('plans, a default plan and a capped stream-limit claim load as configured', () => {
  const config = loadConfig({
    ...base,
    JWT_REQUIRE_JTI: 'false',
    JWT_TYP: 'at+jwt',
    JWT_MAX_LIFETIME_SECONDS: '86400',
    PLAN_CLAIM: 'https://streamgate.example.com/plan',
    ENTITLEMENT_PLANS:
      '{"free":{"videos":["free-*"],"maxStreams":1},"gold":{"videos":["*"],"maxStreams":4},"Premium Users":{"videos":["series-12-*","trailer-1"]}}',
    DEFAULT_PLAN: 'free',
    STREAM_LIMIT_CLAIM: 'max_streams',
    STREAM_LIMIT_CLAIM_MAX: '8',
  });
  expect(config.token).toMatchObject({ requireJti: false, tokenType: 'at+jwt', maxLifetimeSeconds: 86400 });
  expect([...config.entitlement.plans]).toEqual([
    ['free', { videos: ['free-*'], maxStreams: 1 }],
    ['gold', { videos: ['*'], maxStreams: 4 }],
    ['Premium Users', { videos: ['series-12-*', 'trailer-1'] }],
  ]);
  expect(config.entitlement).toMatchObject({
    planClaim: 'https://streamgate.example.com/plan',
    defaultPlan: 'free',
    streamLimitClaim: 'max_streams',
    streamLimitClaimMax: 8,
  });
});

describe('at init', () => {
  let logs: LogCapture;
  beforeEach(() => {
    logs = new LogCapture();
  });
  afterEach(() => logs.stop());

  const localEnv = (overrides: Record<string, string>) => ({
    ...base,
    SIGNING_KEY_SECRET_ARN: '',
    JWT_JWKS_URL: '',
    JWT_PUBLIC_KEY_PEM: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----',
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    ...overrides,
  });

  test('an unreadable signing key file is named, and the key is never echoed', async () => {
    await expect(
      createApi({ env: localEnv({ SIGNING_KEY_FILE: '/nonexistent/key.pem' }), logger: logs.logger }),
    ).rejects.toThrow(/^SIGNING_KEY_FILE: cannot read/);
  });

  test('a signing key CloudFront does not accept (RSA-1024, P-384) is refused naming the variable', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    for (const pair of [
      generateKeyPairSync('rsa', { modulusLength: 1024 }),
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
    ]) {
      const file = cloudFrontKey('rsa-2048').file;
      writeFileSync(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await expect(createApi({ env: localEnv({ SIGNING_KEY_FILE: file }), logger: logs.logger })).rejects.toThrow(
        /^SIGNING_KEY_FILE: must be an RSA-2048 or ECDSA P-256/,
      );
    }
  });

  test('a bad IdP public key is refused naming JWT_PUBLIC_KEY_PEM', async () => {
    await expect(
      createApi({ env: localEnv({ SIGNING_KEY_FILE: cloudFrontKey('ecdsa-p256').file }), logger: logs.logger }),
    ).rejects.toThrow(/^JWT_PUBLIC_KEY_PEM: is not a usable public key/);
  });

  test('a JWKS with private key material is refused naming JWT_JWKS', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const jwk = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'jwk' });
    const env = localEnv({
      SIGNING_KEY_FILE: cloudFrontKey('ecdsa-p256').file,
      JWT_PUBLIC_KEY_PEM: '',
      JWT_JWKS: JSON.stringify({ keys: [jwk] }),
    });
    await expect(createApi({ env, logger: logs.logger })).rejects.toThrow(
      /^JWT_JWKS: key 0 contains private key material/,
    );
  });

  test('the init failure is logged with the variable and without key material', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    // A real key cut short: unreadable, and its first body line must not reach the logs.
    const lines = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
      .split('\n');
    const file = cloudFrontKey('rsa-2048').file;
    writeFileSync(file, [...lines.slice(0, 3), lines[lines.length - 2]].join('\n'));
    await expect(createApi({ env: localEnv({ SIGNING_KEY_FILE: file }), logger: logs.logger })).rejects.toThrow(
      /SIGNING_KEY_FILE/,
    );
    expect(logs.text()).toContain('SIGNING_KEY_FILE');
    expect(logs.text()).not.toContain(lines[1]);
  });
});
