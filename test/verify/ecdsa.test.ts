/**
 * The twin signature (r, n − s) the high-S question presents: real P-256 keys and node:crypto's
 * verifier, which (like OpenSSL) accepts both halves.
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import {
  encodeDerSignature,
  isHighS,
  isP256Signature,
  malleableTwin,
  P256_ORDER,
  parseDerSignature,
} from '../../verify/ecdsa';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
// Deterministic inputs; ECDSA's own nonce is random, so each signature differs from run to run.
const messages = Array.from({ length: 24 }, (_, index) => createHash('sha256').update(`policy ${index}`).digest());

test('the twin of a P-256 signature verifies under the same key, differs from it, and its twin is the original', () => {
  for (const message of messages) {
    const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
    const twin = malleableTwin(der);
    expect(twin.equals(der)).toBe(false);
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, twin)).toBe(true);
    expect(malleableTwin(twin).equals(der)).toBe(true);
    const [s, twinS] = [parseDerSignature(der)?.s, parseDerSignature(twin)?.s];
    expect(s !== undefined && twinS !== undefined && s + twinS).toBe(P256_ORDER);
    // Exactly one of the pair is high-S.
    expect(isHighS(s as bigint)).toBe(!isHighS(twinS as bigint));
  }
});

test('a twin made of another message does not verify (the twin is tied to its own policy)', () => {
  const der = sign('sha256', messages[0], { key: privateKey, dsaEncoding: 'der' });
  expect(verify('sha256', messages[1], { key: publicKey, dsaEncoding: 'der' }, malleableTwin(der))).toBe(false);
});

test('DER is read strictly: encoding round-trips, and an RSA signature, P1363 bytes or a padded integer are not P-256 DER', () => {
  const der = sign('sha256', messages[0], { key: privateKey, dsaEncoding: 'der' });
  const parsed = parseDerSignature(der);
  expect(parsed).toBeDefined();
  expect(encodeDerSignature(parsed as { r: bigint; s: bigint }).equals(der)).toBe(true);
  expect(isP256Signature(der)).toBe(true);

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  expect(isP256Signature(sign('sha256', messages[0], rsa))).toBe(false);
  expect(isP256Signature(sign('sha256', messages[0], { key: privateKey, dsaEncoding: 'ieee-p1363' }))).toBe(false);
  // r with a needless leading zero byte: not DER.
  const r = Buffer.from('01'.repeat(32), 'hex');
  const padded = Buffer.concat([Buffer.from([0x30, 70, 0x02, 33, 0x00]), r, Buffer.from([0x02, 33, 0x00]), r]);
  expect(parseDerSignature(padded)).toBeUndefined();
  expect(() => malleableTwin(Buffer.from('not a signature'))).toThrow('not a DER ECDSA P-256 signature');
});
