/**
 * The `reason` code of every API error body (lambda/core/reason-codes.ts): each internal reason
 * reaches the wire as a documented code with its one status, the docs list exactly the codes,
 * and every check of a token's trust answers one code, so a forger cannot tell which check
 * stopped the token. Real error classes, real crypto, the real API over a real DynamoDB server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorResponse, type HttpResponse, internalErrorResponse } from '../../lambda/core/http';
import { StepUpRequired } from '../../lambda/core/errors';
import { WIRE_REASONS, type WireReason } from '../../lambda/core/reason-codes';
import { ONE_ERROR_PER_REASON } from '../support/api-errors';
import { apiEvent, bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { hmacWithPublicKey, idpKey, ISSUER, mint, unsignedToken, validClaims } from '../support/tokens';

const bodyOf = (response: HttpResponse) => JSON.parse(String(response.body)) as Record<string, unknown>;

describe('every error body', () => {
  test.each(Object.entries(ONE_ERROR_PER_REASON))(
    '%s: {error, reason, error_description}, the reason documented with this status',
    (reason, error) => {
      expect(error.reason).toBe(reason);
      const response = errorResponse(error);
      const body = bodyOf(response);
      // A step-up challenge repeats its RFC 9470 parameters in the body (docs/api.md#step-up-for-premium-titles-rfc-9470).
      const extra = error instanceof StepUpRequired ? ['acr_values', 'max_age'] : [];
      expect(Object.keys(body)).toEqual(['error', 'reason', 'error_description', ...extra]);
      expect(body).toMatchObject({
        error: error.code,
        reason: expect.any(String),
        error_description: error.description,
      });
      expect(Object.keys(WIRE_REASONS)).toContain(body.reason);
      expect(WIRE_REASONS[body.reason as WireReason]).toBe(response.statusCode);
    },
  );

  test('a bug answers 500 server_error with the reason internal_error, and nothing about the bug', () => {
    const response = internalErrorResponse();
    expect(response.statusCode).toBe(WIRE_REASONS.internal_error);
    expect(bodyOf(response)).toEqual({
      error: 'server_error',
      reason: 'internal_error',
      error_description: 'internal error',
    });
  });

  test('every wire reason is sent for some refusal: none is documented that the API never sends', () => {
    const sent = new Set([
      ...Object.values(ONE_ERROR_PER_REASON).map((error) => bodyOf(errorResponse(error)).reason),
      bodyOf(internalErrorResponse()).reason,
    ]);
    expect([...sent].sort()).toEqual(Object.keys(WIRE_REASONS).sort());
  });

  test('which dependency failed stays in the logs: every 503 answers the one reason unavailable', () => {
    const unavailable = Object.values(ONE_ERROR_PER_REASON).filter((error) => error.status === 503);
    // The table, the IdP's keys, the signing key, the licence server (contention is a 429 now).
    expect(unavailable.length).toBeGreaterThanOrEqual(4);
    for (const error of unavailable) expect(bodyOf(errorResponse(error)).reason).toBe('unavailable');
  });
});

test('docs/api.md lists every reason code with its HTTP status, and no other', () => {
  const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');
  const section = docs.slice(docs.indexOf('### Reason codes'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| ---')));
  const rows = [...table.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) /gm)].map(([, reason, status]) => [
    reason,
    Number(status),
  ]);
  expect(rows.length).toBeGreaterThan(0);
  expect(Object.fromEntries(rows)).toEqual(WIRE_REASONS);
  expect(rows).toHaveLength(Object.keys(WIRE_REASONS).length);
});

describe('through the real API', () => {
  const rsa = idpKey('RS256');
  const ec = idpKey('ES256');
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ idpKeys: [rsa, ec] });
  });
  afterAll(() => harness.close());

  const reasonOf = async (authorization: string | undefined, videoId = 'demo-1') => {
    const response = await harness.api.playback(playbackEvent(videoId, { authorization }));
    return { status: response.statusCode, ...bodyOf(response) };
  };

  test('every token a forger can shape gets one reason, token_rejected, whichever check stopped it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await mint(rsa);
    const [header, payload, signature] = signed.split('.');
    const forgeries: Record<string, string> = {
      'bad signature': `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`,
      'untrusted key under a trusted kid': await mint(idpKey('RS256', rsa.kid)),
      'unknown kid': await mint({ ...rsa, kid: 'someone-elses-key' }),
      'alg none': unsignedToken(validClaims()),
      'HS256 keyed with the public key': hmacWithPublicKey(rsa.publicPem, validClaims(), rsa.kid),
      'jku header': await mint(idpKey('RS256', 'attacker'), { header: { jku: 'https://attacker.example/jwks.json' } }),
      'wrong issuer': await mint(ec, { claims: { iss: 'https://evil.example/' } }),
      'issuer without its trailing slash': await mint(ec, { claims: { iss: ISSUER.replace(/\/$/, '') } }),
      'wrong audience': await mint(ec, { claims: { aud: 'another-api' } }),
      'not valid yet': await mint(ec, { claims: { nbf: now + 600 } }),
      'lifetime too long': await mint(ec, { lifetime: 86400 }),
      'no jti': await mint(ec, { omit: ['jti'] }),
    };
    for (const [name, forged] of Object.entries(forgeries)) {
      expect([name, await reasonOf(bearer(forged))]).toEqual([
        name,
        expect.objectContaining({ status: 401, error: 'invalid_token', reason: 'token_rejected' }),
      ]);
    }
  });

  test('what the caller can act on has its own reason: missing, malformed, expired, revoked, not entitled, bad request', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reasonOf(undefined)).toMatchObject({ status: 401, reason: 'missing_token' });
    expect(await reasonOf('Basic YTpi')).toMatchObject({ status: 401, reason: 'malformed_token' });
    expect(await reasonOf(bearer('not-a-jwt'))).toMatchObject({ status: 401, reason: 'malformed_token' });
    expect(await reasonOf(bearer('x'.repeat(9000)))).toMatchObject({ status: 401, reason: 'malformed_token' });
    const expired = await mint(ec, { now: now - 1000, lifetime: 900 });
    expect(await reasonOf(bearer(expired))).toMatchObject({ status: 401, reason: 'expired' });
    const narrow = await mint(ec, { claims: { videos: ['demo-1'] } });
    expect(await reasonOf(bearer(narrow), 'demo-2')).toMatchObject({ status: 403, reason: 'not_entitled' });
    expect(await reasonOf(bearer(narrow), 'bad id!')).toMatchObject({ status: 400, reason: 'bad_request' });
    const leaving = await mint(ec);
    const logout = await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(leaving) }));
    expect(logout.statusCode).toBe(204);
    expect(await reasonOf(bearer(leaving))).toMatchObject({ status: 401, error: 'invalid_token', reason: 'revoked' });
  });
});
