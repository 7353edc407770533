/**
 * Every rejection in the threat model (docs/threat-model.md), each its own test, through the real API with
 * real crypto and a real DynamoDB-compatible server. Each asserts status, error code, the
 * RFC 6750 challenge where one applies, and that no cookie was set.
 */
import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../../lambda/core/http';
import { bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { AUDIENCE, hmacWithPublicKey, idpKey, ISSUER, mint, unsignedToken, validClaims } from '../support/tokens';

const rsa = idpKey('RS256');
const ec = idpKey('ES256');
const stranger = idpKey('RS256', rsa.kid); // same kid, key we do not trust

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ idpKeys: [rsa, ec] });
});
afterAll(() => harness.close());

function play(authorization: string | undefined, videoId = 'demo-1'): Promise<HttpResponse> {
  return harness.api.playback(playbackEvent(videoId, { authorization }));
}

function expectDenied(
  response: HttpResponse,
  status: number,
  code: string,
): { error: string; error_description: string } {
  expect(response.statusCode).toBe(status);
  expect(response.cookies ?? []).toEqual([]);
  expect(JSON.stringify(response.headers).toLowerCase()).not.toContain('set-cookie');
  const body = JSON.parse(response.body ?? '{}') as { error: string; error_description: string };
  expect(body.error).toBe(code);
  expect(body.error_description.length).toBeGreaterThan(0);
  return body;
}

function expectInvalidToken(response: HttpResponse, descriptionPart: RegExp): void {
  const body = expectDenied(response, 401, 'invalid_token');
  expect(body.error_description).toMatch(descriptionPart);
  expect(response.headers['www-authenticate']).toMatch(
    /^Bearer realm="streamgate", error="invalid_token", error_description="[^"\\]+"$/,
  );
}

describe('playback refuses', () => {
  test('a request with no Authorization header, with a bare RFC 6750 challenge', async () => {
    const response = await play(undefined);
    expectDenied(response, 401, 'invalid_token');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="streamgate"');
  });

  test('a malformed Authorization header (not "Bearer <token>")', async () => {
    expectInvalidToken(await play(`Basic ${Buffer.from('a:b').toString('base64')}`), /Bearer <token>/);
    expectInvalidToken(await play('Bearer'), /Bearer <token>/);
    expectInvalidToken(await play('Bearer a b'), /Bearer <token>/);
  });

  test('a garbage token', async () => {
    expectInvalidToken(await play(bearer('not-a-jwt')), /compact JWS|malformed/);
    expectInvalidToken(await play(bearer('aaa.bbb.ccc')), /compact JWS|malformed/);
  });

  test('a token with a bad signature', async () => {
    const token = await mint(rsa);
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expectInvalidToken(await play(bearer(`${header}.${payload}.${flipped}`)), /signature/);
  });

  test('a token whose payload was altered after signing', async () => {
    const token = await mint(rsa, { claims: { videos: ['demo-2'] } });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...validClaims(), videos: '*' })).toString('base64url');
    expectInvalidToken(await play(bearer(`${header}.${forged}.${signature}`)), /signature/);
  });

  test('a token whose alg is none', async () => {
    expectInvalidToken(await play(bearer(unsignedToken(validClaims()))), /algorithm/);
  });

  test('an HS256 token signed with the RSA public key as the HMAC secret', async () => {
    expectInvalidToken(await play(bearer(hmacWithPublicKey(rsa.publicPem, validClaims(), rsa.kid))), /algorithm/);
  });

  test('a token signed by a key we do not trust under a trusted kid', async () => {
    expectInvalidToken(await play(bearer(await mint(stranger))), /signature/);
  });

  test('a token with an unknown kid', async () => {
    expectInvalidToken(await play(bearer(await mint({ ...rsa, kid: 'someone-elses-key' }))), /key id/);
  });

  test('a token whose jku header points elsewhere', async () => {
    const attacker = idpKey('RS256', 'attacker');
    const token = await mint(attacker, { header: { jku: 'https://attacker.example/jwks.json' } });
    expectInvalidToken(await play(bearer(token)), /jku/);
  });

  test('a token that embeds its own jwk or x5u', async () => {
    const attacker = idpKey('ES256', 'attacker');
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    expectInvalidToken(await play(bearer(await mint(attacker, { header: { jwk } }))), /jwk/);
    expectInvalidToken(
      await play(bearer(await mint(attacker, { header: { x5u: 'https://attacker.example/cert' } }))),
      /x5u/,
    );
  });

  test('an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await play(bearer(await mint(ec, { now: now - 1000, lifetime: 900 }))), /expired/);
  });

  test('an expired token is still refused just past the clock tolerance, and accepted within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await play(bearer(await mint(ec, { now: now - 935, lifetime: 900 }))), /expired/);
    const withinTolerance = await play(bearer(await mint(ec, { now: now - 920, lifetime: 900 })));
    expect(withinTolerance.statusCode).toBe(200);
  });

  test('a token that is not yet valid (nbf in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { nbf: now + 120 } }))), /not valid yet/);
  });

  test('a token issued in the future (iat beyond the tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { iat: now + 300 } }))), /iat/);
  });

  test('a token from the wrong issuer', async () => {
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { iss: 'https://evil.example/' } }))), /issuer/);
  });

  test('a token whose issuer differs only by a trailing slash', async () => {
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { iss: ISSUER.replace(/\/$/, '') } }))), /issuer/);
  });

  test('a token for the wrong audience', async () => {
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { aud: 'another-api' } }))), /audience/);
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { aud: [`${AUDIENCE}-x`] } }))), /audience/);
  });

  test('a token without jti', async () => {
    expectInvalidToken(await play(bearer(await mint(ec, { omit: ['jti'] }))), /jti/);
  });

  test('a token without sub, exp or iat', async () => {
    for (const claim of ['sub', 'exp', 'iat']) {
      expectInvalidToken(await play(bearer(await mint(ec, { omit: [claim] }))), new RegExp(claim));
    }
  });

  test('a token whose lifetime exceeds the maximum', async () => {
    expectInvalidToken(await play(bearer(await mint(ec, { lifetime: 3601 }))), /lifetime/);
  });

  test('an oversize token, before parsing it', async () => {
    const huge = await mint(ec, { claims: { padding: 'x'.repeat(9000) } });
    expectInvalidToken(await play(bearer(huge)), /larger than 8192/);
    expectInvalidToken(await play(bearer('x'.repeat(100_000))), /larger than 8192/);
  });

  test('a revoked jti', async () => {
    const jti = randomUUID();
    const token = await mint(ec, { claims: { jti } });
    expect((await play(bearer(token))).statusCode).toBe(200);
    await harness.api.session(playbackEvent('x', { authorization: bearer(token) }));
    expectInvalidToken(await play(bearer(token)), /revoked/);
  });

  test('a revoked user', async () => {
    const sub = `user-${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(ec, { claims: { sub }, now: now - 10 });
    expect((await play(bearer(token))).statusCode).toBe(200);
    await harness.access.revokeUser({ iss: ISSUER, sub }, now, now, now + 3600);
    expectInvalidToken(await play(bearer(token)), /revoked/);
  });

  test('a token not entitled to the video', async () => {
    const token = await mint(ec, { claims: { videos: ['demo-2'] } });
    const response = await play(bearer(token), 'demo-1');
    const body = expectDenied(response, 403, 'insufficient_scope');
    expect(body.error_description).toMatch(/not entitled/);
    expect(response.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  test('a token without the stream:play scope', async () => {
    const response = await play(bearer(await mint(ec, { claims: { scope: 'profile email' } })));
    expect(expectDenied(response, 403, 'insufficient_scope').error_description).toMatch(/stream:play/);
  });

  test('a token whose videos claim is malformed', async () => {
    expectInvalidToken(await play(bearer(await mint(ec, { claims: { videos: 'demo-1' } }))), /videos/);
  });

  test.each([
    ['path traversal', '..%2F..%2Fetc'],
    ['a literal dot-dot segment', '..'],
    ['unicode', 'vidéo'],
    ['a zero-width character', 'demo\u200b1'],
    ['too long', 'a'.repeat(129)],
    ['empty', ''],
    ['a slash', 'demo/1'],
    ['a wildcard', 'demo*'],
  ])('a bad videoId (%s)', async (_case, videoId) => {
    const response = await play(bearer(await mint(ec)), videoId);
    expect(expectDenied(response, 400, 'invalid_request').error_description).toMatch(/videoId/);
  });

  test('an unknown delivery mode or query parameter', async () => {
    const token = await mint(ec);
    for (const query of [{ delivery: 'smoke-signal' }, { debug: '1' }] as Record<string, string>[]) {
      const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token), query }));
      expectDenied(response, 400, 'invalid_request');
    }
  });
});
