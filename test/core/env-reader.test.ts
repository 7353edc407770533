/**
 * lambda/core/env-reader.ts: the one way the functions read their environment. Blank reads as
 * unset, an unset setting takes its declared default, and every bad value is a ConfigError that
 * names the variable and says what it must be.
 */
import { ConfigError, EnvReader } from '../../lambda/core/env-reader';
import { TOKEN } from '../../lambda/core/settings-contract';

const TOLERANCE = { variable: 'JWT_CLOCK_TOLERANCE_SECONDS', fallback: 30, min: 0, max: 300 };
const ACTION = { variable: 'SHARING_ACTION', fallback: 'alert', allowed: ['alert', 'revoke-token'] as const };
const CLAIM = { variable: 'SCOPE_CLAIM', pattern: /^[a-z]{1,8}$/, what: 'a claim name such as scope' };

/** The ConfigError `read` throws, as `variable: message` (fails when it throws anything else or nothing). */
function problem(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) {
      expect(error.message.startsWith(`${error.variable}: `)).toBe(true);
      return error.message;
    }
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('presence', () => {
  test('a value is trimmed, and a blank one reads as unset', () => {
    const env = new EnvReader({ A: '  value \n', B: '   ', C: '' });
    expect(env.optional('A')).toBe('value');
    expect(env.optional('B')).toBeUndefined();
    expect(env.optional('C')).toBeUndefined();
    expect(env.optional('D')).toBeUndefined();
  });

  test('a required variable unset or blank is an error naming it', () => {
    expect(problem(() => new EnvReader({ JWT_ISSUER: ' ' }).required('JWT_ISSUER'))).toBe(
      'JWT_ISSUER: is required but not set',
    );
    expect(new EnvReader({ JWT_ISSUER: 'https://idp/' }).required('JWT_ISSUER')).toBe('https://idp/');
  });
});

describe('whole numbers', () => {
  test('unset takes the declared default; a set value inside the range is read', () => {
    expect(new EnvReader({}).integer(TOLERANCE)).toBe(30);
    expect(new EnvReader({ JWT_CLOCK_TOLERANCE_SECONDS: '0' }).integer(TOLERANCE)).toBe(0);
    expect(new EnvReader({ JWT_CLOCK_TOLERANCE_SECONDS: '300' }).integer(TOLERANCE)).toBe(300);
    expect(new EnvReader({}).integer(TOKEN.maxTokenBytes)).toBe(TOKEN.maxTokenBytes.fallback);
  });

  test('a value outside the range, or not a whole number, is an error naming the variable and the range', () => {
    const read = (value: string) => () => new EnvReader({ JWT_CLOCK_TOLERANCE_SECONDS: value }).integer(TOLERANCE);
    expect(problem(read('301'))).toBe('JWT_CLOCK_TOLERANCE_SECONDS: must be between 0 and 300, got 301');
    expect(problem(read('-1'))).toBe('JWT_CLOCK_TOLERANCE_SECONDS: must be between 0 and 300, got -1');
    for (const bad of ['1.5', '30s', '1e2', '0x10']) {
      expect(problem(read(bad))).toBe(`JWT_CLOCK_TOLERANCE_SECONDS: must be a whole number, got "${bad}"`);
    }
    // A long value is quoted short: an error message is no place for a pasted secret.
    expect(problem(read('x'.repeat(500)))).toBe(
      `JWT_CLOCK_TOLERANCE_SECONDS: must be a whole number, got "${'x'.repeat(32)}"`,
    );
  });

  test('a required whole number has no default', () => {
    expect(problem(() => new EnvReader({}).requiredInteger('STORE_TIMEOUT_MS', 1, 10))).toBe(
      'STORE_TIMEOUT_MS: is required but not set',
    );
    expect(new EnvReader({ STORE_TIMEOUT_MS: ' 7 ' }).requiredInteger('STORE_TIMEOUT_MS', 1, 10)).toBe(7);
  });
});

test('a boolean is true/1 or false/0 in any case, its default when unset, and an error otherwise', () => {
  const read = (value?: string) => new EnvReader({ EDGE_DENY_LIST: value }).boolean('EDGE_DENY_LIST', true);
  expect([read('TRUE'), read('1'), read('False'), read('0'), read(undefined)]).toEqual([
    true,
    true,
    false,
    false,
    true,
  ]);
  expect(problem(() => read('yes'))).toBe('EDGE_DENY_LIST: must be true or false, got "yes"');
});

test('a choice is one of the allowed values exactly, its default when unset, and an error listing them otherwise', () => {
  expect(new EnvReader({}).oneOf(ACTION)).toBe('alert');
  expect(new EnvReader({ SHARING_ACTION: 'revoke-token' }).oneOf(ACTION)).toBe('revoke-token');
  expect(problem(() => new EnvReader({ SHARING_ACTION: 'Revoke-Token' }).oneOf(ACTION))).toBe(
    'SHARING_ACTION: must be one of alert, revoke-token, got "Revoke-Token"',
  );
});

test('a text setting must match its pattern; an optional one is checked only when set', () => {
  expect(new EnvReader({ SCOPE_CLAIM: 'scope' }).text(CLAIM)).toBe('scope');
  expect(problem(() => new EnvReader({ SCOPE_CLAIM: 'sc ope' }).text(CLAIM))).toBe(
    'SCOPE_CLAIM: must be a claim name such as scope, got "sc ope"',
  );
  expect(problem(() => new EnvReader({}).text(CLAIM))).toBe('SCOPE_CLAIM: is required but not set');
  expect(new EnvReader({ SCOPE_CLAIM: ' ' }).optionalText(CLAIM)).toBeUndefined();
  expect(problem(() => new EnvReader({ SCOPE_CLAIM: 'UPPER' }).optionalText(CLAIM))).toBe(
    'SCOPE_CLAIM: must be a claim name such as scope, got "UPPER"',
  );
});

test('a JSON object is {} when unset; invalid JSON and JSON that is no object are errors of their own', () => {
  expect(new EnvReader({}).jsonObject('DRM_CATALOG')).toEqual({});
  expect(new EnvReader({ DRM_CATALOG: '{"a":{"b":1}}' }).jsonObject('DRM_CATALOG')).toEqual({ a: { b: 1 } });
  expect(problem(() => new EnvReader({ DRM_CATALOG: '{a:1}' }).jsonObject('DRM_CATALOG'))).toBe(
    'DRM_CATALOG: is not valid JSON',
  );
  for (const notObject of ['[]', 'null', '"text"', '3']) {
    expect(problem(() => new EnvReader({ DRM_CATALOG: notObject }).jsonObject('DRM_CATALOG', 'a catalog object'))).toBe(
      'DRM_CATALOG: must be a catalog object',
    );
  }
});

test('a URL is parsed, undefined when unset, and an error quoting the value when it is none', () => {
  expect(new EnvReader({ DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).optionalUrl('DYNAMODB_ENDPOINT')?.port).toBe(
    '8000',
  );
  expect(new EnvReader({}).optionalUrl('DYNAMODB_ENDPOINT')).toBeUndefined();
  expect(problem(() => new EnvReader({ DYNAMODB_ENDPOINT: 'localhost 8000' }).optionalUrl('DYNAMODB_ENDPOINT'))).toBe(
    'DYNAMODB_ENDPOINT: is not a valid URL: "localhost 8000"',
  );
});

test('without an environment given, it reads the process environment', () => {
  const name = 'STREAMGATE_ENV_READER_TEST';
  process.env[name] = ' from-process ';
  try {
    expect(new EnvReader().optional(name)).toBe('from-process');
  } finally {
    delete process.env[name];
  }
});
