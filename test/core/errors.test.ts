/**
 * lambda/core/errors.ts: the API's refusals. Each keeps its reason, its class name and the
 * OAuth-style code its status implies; the ones worth retrying say when; a dependency failure
 * keeps its cause, summarised for the log bounded and with any token masked.
 */
import {
  ApiError,
  causeSummary,
  DependencyUnavailable,
  InvalidToken,
  StoreUnavailable,
  UpstreamUnavailable,
} from '../../lambda/core/errors';
import { ONE_ERROR_PER_REASON } from '../support/api-errors';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';

test('every refusal carries its reason, its own class name, and the code its status implies', () => {
  const codesByStatus: Record<number, string[]> = {};
  for (const [reason, error] of Object.entries(ONE_ERROR_PER_REASON)) {
    expect(error).toBeInstanceOf(ApiError);
    expect(error.reason).toBe(reason);
    expect(error.name).toBe(error.constructor.name);
    expect(error.message).toBe(error.description);
    codesByStatus[error.status] = [...new Set([...(codesByStatus[error.status] ?? []), error.code])].sort();
  }
  expect(codesByStatus).toEqual({
    400: ['invalid_request'],
    401: ['insufficient_user_authentication', 'invalid_token'],
    403: [
      'concurrency_limit',
      'forbidden',
      'insufficient_scope',
      'licence_refused',
      'rental_expired',
      'session_ended',
      'session_not_playing',
      'sharing_suspected',
    ].sort(),
    404: ['not_found'],
    413: ['payload_too_large'],
    429: ['rate_limited', 'too_many_grants', 'too_many_rentals', 'too_many_sessions'],
    502: ['bad_gateway'],
    503: ['temporarily_unavailable'],
    504: ['gateway_timeout'],
  });
});

test("a refusal worth retrying says when; the caller's own faults do not", () => {
  const retryable = Object.entries(ONE_ERROR_PER_REASON)
    .filter(([, error]) => error.retryAfterSeconds !== undefined)
    .map(([reason]) => reason)
    .sort();
  expect(retryable).toEqual(
    [
      'rate_limited',
      'store_unavailable',
      'store_contention',
      'upstream_credential_refused',
      'too_many_sessions',
      'too_many_grants',
      'too_many_rentals',
      'keys_unavailable',
      'signing_key_unavailable',
      'upstream_timeout',
      'upstream_unavailable',
    ].sort(),
  );
  for (const error of Object.values(ONE_ERROR_PER_REASON)) {
    if (error instanceof DependencyUnavailable) expect([error.status, error.retryAfterSeconds]).toEqual([503, 5]);
    if (error.status < 500 && error.status !== 429) expect(error.retryAfterSeconds).toBeUndefined();
  }
});

describe('causeSummary', () => {
  test("names a dependency failure's class and message, never its stack", () => {
    const sdk = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const error = new StoreUnavailable('throttled', { cause: sdk });
    expect(error.cause).toBe(sdk);
    expect(causeSummary(error)).toEqual({ name: 'ThrottlingException', message: 'Rate exceeded' });
  });

  test('masks anything shaped like a JWT and bounds a long message', () => {
    const summary = causeSummary(
      new UpstreamUnavailable({ cause: new Error(`bad token ${TOKEN} ${'x'.repeat(400)}`) }),
    );
    expect(summary?.message).not.toContain(TOKEN);
    expect(summary?.message.startsWith('bad token [token] xxx')).toBe(true);
    expect(summary?.message).toHaveLength(301);
    expect(summary?.message.endsWith('…')).toBe(true);
  });

  test('summarises a thrown non-Error by its type, and nothing when there is no cause', () => {
    expect(causeSummary(new UpstreamUnavailable({ cause: `socket hang up ${TOKEN}` }))).toEqual({
      name: 'string',
      message: 'socket hang up [token]',
    });
    expect(causeSummary(new InvalidToken('expired', 'token has expired'))).toBeUndefined();
  });
});
