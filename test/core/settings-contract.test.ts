/**
 * Each shared setting is declared once (lambda/core/settings-contract.ts, entitlement-rules.ts):
 * the deploy config's schema, the functions' environment and local mode's config file accept and
 * refuse exactly the same values, at each declared boundary, and fall back to the same default.
 * The boundaries are taken from the declaration, so a range changed there changes all three.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../lambda/core/config';
import { drmCatalog, loadDrmConfig } from '../../lambda/core/drm-config';
import { isVideoPattern, PLAN_LIMITS, VIDEO_ID } from '../../lambda/core/entitlement-rules';
import { videoIdParam } from '../../lambda/core/request';
import {
  type IntegerSetting,
  SHARED_INTEGER_SETTINGS,
  type TextSetting,
  TOKEN,
  TOKEN_TEXT,
} from '../../lambda/core/settings-contract';
import { loadDenyListConfig } from '../../lambda/runtime/deny-list-runtime';
import { ConfigValidationError, type StreamgateConfig, validateConfig } from '../../lib/config';
import { localApiEnvironment } from '../../local/config-settings';
import { parseTokenRequest } from '../../local/idp/token-request';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';

const EXAMPLE = readFileSync(join(__dirname, '..', '..', 'config', 'example.json'), 'utf8');

/** config/example.json (a test deployment) with `field` (dotted) set to `value`, or removed (undefined). */
function configWith(field: string, value: unknown): unknown {
  const json = JSON.parse(EXAMPLE) as Record<string, Record<string, unknown>>;
  json.deployment = 'test' as never;
  const [section, name] = field.split('.');
  json[section] = { ...json[section] };
  if (value === undefined) delete json[section][name];
  else json[section][name] = value;
  return json;
}

/** What the deploy schema (cdk synth) makes of the value: the config, or the fields it refuses. */
function deploy(field: string, value: unknown): StreamgateConfig | string[] {
  try {
    return validateConfig(configWith(field, value), 'test');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues.map((issue) => issue.field);
    throw error;
  }
}

/** What a function's loader makes of the environment: its value, or the variable it refuses. */
function lambda<T>(load: () => T): T | { refused: string } {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) return { refused: error.variable };
    throw error;
  }
}

/** The function loaders' reading of each shared integer setting. */
const READ_BACK: Record<keyof typeof SHARED_INTEGER_SETTINGS, (env: Record<string, string>) => number> = {
  'jwt.clockToleranceSeconds': (env) => loadConfig(env).token.clockToleranceSeconds,
  'jwt.maxLifetimeSeconds': (env) => loadConfig(env).token.maxLifetimeSeconds,
  'signing.ttlSeconds': (env) => loadConfig(env).signing.ttlSeconds,
  'signing.keyRefreshSeconds': (env) => loadConfig(env).signing.keyRefreshSeconds,
  'drm.licenceTimeoutMs': (env) => loadDrmConfig(env).timeoutMs,
  'drm.licenceMaxBodyBytes': (env) => loadDrmConfig(env).maxBodyBytes,
};

const boundaries = ({ min, max }: IntegerSetting) => [min - 1, min, max, max + 1];
const inRange = ({ min, max }: IntegerSetting, value: number) => value >= min && value <= max;

describe.each(Object.entries(SHARED_INTEGER_SETTINGS) as [keyof typeof SHARED_INTEGER_SETTINGS, IntegerSetting][])(
  '%s',
  (field, setting) => {
    const readBack = READ_BACK[field];

    test.each(boundaries(setting))('%d: deploy config, function and local mode agree', (value) => {
      const valid = inRange(setting, value);
      const deployed = deploy(field, value);
      const env = { ...MINIMAL_LAMBDA_ENV, [setting.variable]: String(value) };
      const loaded = lambda(() => readBack(env));
      if (!valid) {
        expect(deployed).toEqual([field]);
        expect(loaded).toEqual({ refused: setting.variable });
        return;
      }
      expect(loaded).toBe(value);
      if (Array.isArray(deployed)) throw new Error(`the deploy config refused ${field} ${value}: ${deployed}`);
      // Local mode: the file's config, through the deploy's mapping, read by the same loader.
      const localEnv = { ...MINIMAL_LAMBDA_ENV, ...localApiEnvironment({ config: deployed, externalIdp: true }) };
      expect(localEnv[setting.variable]).toBe(String(value));
      expect(readBack(localEnv)).toBe(value);
    });

    test('unset, all three take the declared default', () => {
      const deployed = deploy(field, undefined) as StreamgateConfig;
      const [section, name] = field.split('.') as [keyof StreamgateConfig, string];
      expect((deployed[section] as unknown as Record<string, unknown>)[name]).toBe(setting.fallback);
      expect(readBack({ ...MINIMAL_LAMBDA_ENV })).toBe(setting.fallback);
      expect(readBack({ ...MINIMAL_LAMBDA_ENV, ...localApiEnvironment({ config: deployed, externalIdp: true }) })).toBe(
        setting.fallback,
      );
    });
  },
);

test('the deny-list functions take the clock tolerance from the same declaration', () => {
  const base = { EDGE_DENY_LIST_KVS_ARN: 'arn:aws:cloudfront::123456789012:key-value-store/x' };
  const setting = TOKEN.clockToleranceSeconds;
  for (const value of boundaries(setting)) {
    const loaded = lambda(() => loadDenyListConfig({ ...base, [setting.variable]: String(value) }).toleranceSeconds);
    expect([value, loaded]).toEqual([value, inRange(setting, value) ? value : { refused: setting.variable }]);
  }
  expect(loadDenyListConfig(base).toleranceSeconds).toBe(setting.fallback);
});

test('entitlement.streamLimitClaimMax: deploy config and function agree at each boundary', () => {
  const setting = { variable: 'STREAM_LIMIT_CLAIM_MAX', ...PLAN_LIMITS.streamLimitClaimMax };
  for (const value of boundaries(setting)) {
    const deployed = deploy('entitlement.streamLimitClaimMax', value);
    const loaded = lambda(
      () => loadConfig({ ...MINIMAL_LAMBDA_ENV, [setting.variable]: String(value) }).entitlement.streamLimitClaimMax,
    );
    const valid = inRange(setting, value);
    expect([value, Array.isArray(deployed)]).toEqual([value, !valid]);
    expect([value, loaded]).toEqual([value, valid ? value : { refused: setting.variable }]);
  }
});

describe.each([
  ['jwt.audience', TOKEN_TEXT.audience, ['team-api', 'a b', 'x'.repeat(256), 'x'.repeat(257)]],
  ['jwt.tokenUse', TOKEN_TEXT.tokenUse, ['access', 'access token', 'x'.repeat(64), 'x'.repeat(65)]],
  ['jwt.tokenType', TOKEN_TEXT.tokenType, ['at+jwt', 'at jwt', 'x'.repeat(64), 'x'.repeat(65)]],
  ['jwt.clientId', TOKEN_TEXT.clientId, ['app-1', 'app 1', 'x'.repeat(256), 'x'.repeat(257)]],
] as [string, TextSetting, string[]][])('%s', (field, setting, values) => {
  test.each(values)('%j: deploy config and function agree', (value) => {
    const valid = setting.pattern.test(value);
    const deployed = deploy(field, value);
    const loaded = lambda(() => loadConfig({ ...MINIMAL_LAMBDA_ENV, [setting.variable]: value }));
    expect(Array.isArray(deployed)).toBe(!valid);
    if (valid) expect(loaded).not.toHaveProperty('refused');
    else expect(loaded).toEqual({ refused: setting.variable });
  });
});

describe('jwt.jwksUrl: one rule for the deploy config and the function', () => {
  test.each([
    ['https://idp.example/.well-known/jwks.json', true],
    ['http://127.0.0.1:9/jwks.json', true],
    ['http://localhost:9/jwks.json', true],
    ['http://idp.example/jwks.json', false],
    ['https://user:secret@idp.example/jwks.json', false],
    ['not a url', false],
  ])('%s', (url, valid) => {
    expect(Array.isArray(deploy('jwt.jwksUrl', url))).toBe(!valid);
    const loaded = lambda(() => loadConfig({ ...MINIMAL_LAMBDA_ENV, JWT_JWKS_URL: url }));
    if (valid) expect(loaded).not.toHaveProperty('refused');
    else expect(loaded).toEqual({ refused: 'JWT_JWKS_URL' });
  });

  test('a production deployment refuses a loopback key set, which only local mode can reach', () => {
    const json = configWith('jwt.jwksUrl', 'http://127.0.0.1:9/jwks.json') as Record<string, unknown>;
    delete json.deployment;
    expect(() => validateConfig(json)).toThrow(/jwt\.jwksUrl: is a loopback address/);
  });
});

describe('a video id: one pattern for the route, the deploy config, the functions and the dev IdP', () => {
  test.each(['a', 'Series_12-ep-3', 'x'.repeat(128), 'x'.repeat(129), '', 'a/b', 'a.b', 'a b', 'é', 'a*'])(
    '%j',
    (id) => {
      const valid = VIDEO_ID.test(id);
      const refuses = (act: () => unknown): boolean => {
        try {
          act();
          return false;
        } catch {
          return true;
        }
      };
      const catalogEntry = { [id]: { paths: ['/drm/x/'], manifest: '/drm/x/index.m3u8' } };
      expect({
        route: !refuses(() => videoIdParam(id)),
        deploy: !Array.isArray(deploy('drm.catalog', catalogEntry)),
        function: !refuses(() => drmCatalog(JSON.stringify(catalogEntry))),
        devIdp: !refuses(() => parseTokenRequest({ sub: 'alice', videos: [id] }, false)),
        entitlement: isVideoPattern(id) && !id.endsWith('*'),
      }).toEqual({ route: valid, deploy: valid, function: valid, devIdp: valid, entitlement: valid });
    },
  );
});

test("local mode without an IdP in the file keeps the dev IdP: the file's IdP variables are left out", () => {
  const config = deploy('jwt.jwksUrl', '') as StreamgateConfig;
  const env = localApiEnvironment({ config, externalIdp: false });
  for (const name of ['JWT_ISSUER', 'JWT_JWKS_URL', 'JWT_AUDIENCE', 'JWT_ALGORITHMS'])
    expect(env[name]).toBeUndefined();
  // Everything else still comes from the file.
  expect(env[TOKEN.clockToleranceSeconds.variable]).toBe(String(config.jwt.clockToleranceSeconds));
  expect(env.VIDEOS_CLAIM).toBe(config.entitlement.videosClaim);
});
