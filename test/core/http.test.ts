/**
 * lambda/core/http.ts: the API's answers on the wire. Every error body is `{error, reason,
 * error_description}`, with the RFC 6750 challenge where a token is at fault, Retry-After where
 * waiting helps, and nothing cached.
 */
import {
  InsufficientScope,
  InvalidRequest,
  InvalidToken,
  OriginNotVerified,
  RateLimited,
  StoreUnavailable,
} from '../../lambda/core/errors';
import { emptyResponse, errorResponse, internalErrorResponse, jsonResponse, REALM } from '../../lambda/core/http';

const body = (response: { body?: string }) => JSON.parse(response.body ?? '') as Record<string, unknown>;

test('a JSON answer is no-store JSON, with cookies only when there are some', () => {
  const answer = jsonResponse(200, { a: 1 }, ['c=1']);
  expect(answer).toEqual({
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: '{"a":1}',
    cookies: ['c=1'],
  });
  expect('cookies' in jsonResponse(200, {}, [])).toBe(false);
  expect(emptyResponse(204)).toEqual({ statusCode: 204, headers: { 'cache-control': 'no-store' } });
});

test('a request without credentials is challenged with the realm only (RFC 6750 §3.1)', () => {
  const answer = errorResponse(new InvalidToken('missing_token', 'a bearer token is required'));
  expect(answer.statusCode).toBe(401);
  expect(answer.headers['www-authenticate']).toBe(`Bearer realm="${REALM}"`);
  expect(body(answer)).toEqual({
    error: 'invalid_token',
    reason: 'missing_token',
    error_description: 'a bearer token is required',
  });
});

test('a bad token or a missing scope is challenged with its error code, the description made quotable', () => {
  const token = errorResponse(new InvalidToken('malformed_token', 'claim "videos" is \\bad\\ — see docs'));
  expect(token.headers['www-authenticate']).toBe(
    `Bearer realm="${REALM}", error="invalid_token", error_description="claim 'videos' is 'bad' ? see docs"`,
  );
  // The body keeps the description as it was: only the header has RFC 6750's character limits.
  expect(body(token).error_description).toBe('claim "videos" is \\bad\\ — see docs');
  const scope = errorResponse(new InsufficientScope('not entitled to demo-2'));
  expect(scope.statusCode).toBe(403);
  expect(scope.headers['www-authenticate']).toBe(
    `Bearer realm="${REALM}", error="insufficient_scope", error_description="not entitled to demo-2"`,
  );
});

test('refusals that are not about the token carry no challenge; one that asks to wait carries Retry-After', () => {
  for (const error of [new InvalidRequest('bad'), new OriginNotVerified()]) {
    expect(errorResponse(error).headers['www-authenticate']).toBeUndefined();
    expect(errorResponse(error).headers['retry-after']).toBeUndefined();
  }
  const limited = errorResponse(new RateLimited(12));
  expect([limited.statusCode, limited.headers['retry-after']]).toEqual([429, '12']);
  const outage = errorResponse(new StoreUnavailable('timed out'));
  expect([outage.statusCode, outage.headers['retry-after'], outage.headers['www-authenticate']]).toEqual([
    503,
    '5',
    undefined,
  ]);
  // The dependency failure behind a 503 never reaches the wire.
  expect(errorResponse(new StoreUnavailable('table streamgate-x throttled')).body).not.toContain('streamgate-x');
});

test('an unexpected failure answers a fixed 500', () => {
  expect(internalErrorResponse()).toEqual({
    statusCode: 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ error: 'server_error', reason: 'internal_error', error_description: 'internal error' }),
  });
});
