/**
 * The verified-token cache reuses a signature check, never a decision: expiry is re-checked on
 * every hit, entries end with the key-set cache period, and revocation is read on every call.
 */
import { loadConfig } from '../../lambda/core/config';
import { TokenVerifier } from '../../lambda/core/token-verifier';
import { AUDIENCE, idpKey, ISSUER, jwksOf, mint } from '../support/tokens';

const idp = idpKey('ES256');
const env = (extra: Record<string, string> = {}) => ({
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  JWT_JWKS: JSON.stringify(jwksOf(idp)),
  REVOCATION_TABLE_NAME: 'table',
  MEDIA_BASE_URL: 'https://media.test.example',
  SIGNING_KEY_PAIR_ID: 'K1',
  SIGNING_KEY_FILE: '/unused',
  ...extra,
});

test('a token verified earlier is refused once it expires (plus tolerance), exactly as a fresh check would', async () => {
  const verifier = new TokenVerifier(loadConfig(env()).token);
  const now = Math.floor(Date.now() / 1000);
  const token = await mint(idp, { now, lifetime: 120 });
  await expect(verifier.verify(token, now)).resolves.toMatchObject({ exp: now + 120 });
  await expect(verifier.verify(token, now + 149)).resolves.toMatchObject({ exp: now + 120 });
  await expect(verifier.verify(token, now + 150)).rejects.toMatchObject({ reason: 'expired' });
  // And a fresh verifier agrees at both instants.
  const fresh = new TokenVerifier(loadConfig(env({ JWT_VERIFIED_CACHE_SECONDS: '0' })).token);
  await expect(fresh.verify(token, now + 149)).resolves.toBeDefined();
  await expect(fresh.verify(token, now + 150)).rejects.toMatchObject({ reason: 'expired' });
});

test('a cache entry lasts at most JWT_VERIFIED_CACHE_SECONDS, then the token is verified again', async () => {
  const verifier = new TokenVerifier(loadConfig(env({ JWT_VERIFIED_CACHE_SECONDS: '60' })).token);
  const entries = (verifier as unknown as { verified: Map<string, { until: number }> }).verified;
  const now = Math.floor(Date.now() / 1000);
  const token = await mint(idp, { now, lifetime: 900 });
  await verifier.verify(token, now);
  expect(entries.get(token)?.until).toBe(now + 60);
  await verifier.verify(token, now + 59);
  expect(entries.get(token)?.until).toBe(now + 60);
  await verifier.verify(token, now + 60); // expired entry: full verification, new entry
  expect(entries.get(token)?.until).toBe(now + 120);
});

test('a refused token is never cached', async () => {
  const verifier = new TokenVerifier(loadConfig(env()).token);
  const now = Math.floor(Date.now() / 1000);
  const token = await mint(idp, { now, claims: { aud: 'other' } });
  await expect(verifier.verify(token, now)).rejects.toMatchObject({ reason: 'wrong_audience' });
  await expect(verifier.verify(token, now)).rejects.toMatchObject({ reason: 'wrong_audience' });
});

test('the cache holds at most JWT_VERIFIED_CACHE_ENTRIES tokens', async () => {
  const verifier = new TokenVerifier(loadConfig(env({ JWT_VERIFIED_CACHE_ENTRIES: '2' })).token);
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 5; i += 1) await verifier.verify(await mint(idp, { now }), now);
  expect((verifier as unknown as { verified: Map<string, unknown> }).verified.size).toBe(2);
});

test('JWT_VERIFIED_CACHE_SECONDS may not outlive the remote key-set cache', () => {
  expect(() =>
    loadConfig({
      ...env({
        JWT_JWKS: '',
        JWT_JWKS_URL: 'https://idp.example/jwks',
        JWKS_CACHE_MAX_AGE_SECONDS: '60',
        JWT_VERIFIED_CACHE_SECONDS: '120',
      }),
    }),
  ).toThrow(/^JWT_VERIFIED_CACHE_SECONDS: must not exceed JWKS_CACHE_MAX_AGE_SECONDS/);
});
