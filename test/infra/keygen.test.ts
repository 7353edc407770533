/**
 * The signing-key generator's decision (lambda/handlers/keygen.ts `planKeyPair`), with real crypto:
 * it makes a key CloudFront accepts when the slot's secret holds only its placeholder, keeps the
 * key it finds on every later run, and refuses to swap a key for one of another type.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { planKeyPair } from '../../lambda/handlers/keygen';

const PLACEHOLDER = 'kV2x8mJ4rQ9tL1wZ7pN3sB6yH0cF5gDa'; // what CloudFormation generates into a new secret

test.each([
  ['RSA_2048', 'rsa', { modulusLength: 2048 }],
  ['ECDSA_P256', 'ec', { namedCurve: 'prime256v1' }],
] as const)('generates a %s pair when the secret holds only the placeholder', (algorithm, type, details) => {
  const plan = planKeyPair(PLACEHOLDER, algorithm);
  expect(plan.newPrivateKeyPem).toBeDefined();
  const privateKey = createPrivateKey(plan.newPrivateKeyPem ?? '');
  expect(privateKey.asymmetricKeyType).toBe(type);
  expect(privateKey.asymmetricKeyDetails).toMatchObject(details);
  // SPKI PEM is the form CloudFront's PublicKey takes; it must verify what the private key signs.
  expect(plan.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  const policy = Buffer.from('{"Statement":[{"Resource":"https://example.com/media/v1/*"}]}');
  expect(verify('sha256', policy, createPublicKey(plan.publicKeyPem), sign('sha256', policy, privateKey))).toBe(true);
});

test('keeps the key a secret already holds: re-running Create or Update never rotates', () => {
  const first = planKeyPair(undefined, 'ECDSA_P256');
  const again = planKeyPair(first.newPrivateKeyPem, 'ECDSA_P256');
  expect(again.newPrivateKeyPem).toBeUndefined();
  expect(again.publicKeyPem).toBe(first.publicKeyPem);
});

test('refuses to replace a key of another type (a new generation is the way to change it)', () => {
  const rsa = planKeyPair(PLACEHOLDER, 'RSA_2048');
  expect(() => planKeyPair(rsa.newPrivateKeyPem, 'ECDSA_P256')).toThrow(/bump the slot's generation/);
});
