/**
 * The signer follows the active slot (lambda/runtime/signing-key.ts ActiveSigningKey): deployed,
 * it re-reads the secret once the key is `keyRefreshSeconds` old and never signs with an older
 * one (a failed re-read is a 503, not a stale signature); locally it follows the key file. Real
 * keys; the Secrets Manager client answers GetSecretValue from a map, as the service does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateCloudFrontKeyPair } from '../../lambda/core/cloudfront-key-types';
import type { SigningConfig } from '../../lambda/core/config';
import { SigningKeyUnavailable } from '../../lambda/core/errors';
import { ActiveSigningKey } from '../../lambda/runtime/signing-key';

const pem = () =>
  generateCloudFrontKeyPair('ECDSA_P256').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const doc = (keyPairId: string) => JSON.stringify({ privateKey: pem(), keyPairId });
const config = (key: SigningConfig['key']): SigningConfig => ({
  mediaBaseUrl: 'https://media.test.example',
  manifestName: 'index.m3u8',
  ttlSeconds: 300,
  bindViewerIp: false,
  key,
  keyRefreshSeconds: 60,
  hashAlgorithm: 'SHA256',
});

test('deployed: the key and its key pair id switch together within one refresh period, and no sooner', async () => {
  let now = 0;
  let value = doc('KOLD');
  let reads = 0;
  const client = {
    send: async () => {
      reads += 1;
      return { SecretString: value };
    },
  } as unknown as SecretsManagerClient;
  const active = await ActiveSigningKey.create(
    config({ kind: 'secret', secretArn: 'arn' }),
    () => client,
    () => now,
  );
  expect(active.current().keyPairId).toBe('KOLD');
  value = doc('KNEW'); // the rotation activates the new key
  now = 59_999;
  await active.refresh();
  expect([active.current().keyPairId, reads]).toEqual(['KOLD', 1]);
  now = 60_000;
  await active.refresh();
  expect([active.current().keyPairId, reads]).toEqual(['KNEW', 2]);
  expect(active.current().privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
});

test('deployed: a failed re-read refuses to sign (503) rather than sign with a key that may be retired', async () => {
  let now = 0;
  let failing = false;
  const client = {
    send: async () => {
      if (failing) throw Object.assign(new Error('x'), { name: 'InternalServiceError' });
      return { SecretString: doc('KOLD') };
    },
  } as unknown as SecretsManagerClient;
  const active = await ActiveSigningKey.create(
    config({ kind: 'secret', secretArn: 'arn' }),
    () => client,
    () => now,
  );
  failing = true;
  now = 61_000;
  await expect(active.refresh()).rejects.toBeInstanceOf(SigningKeyUnavailable);
  // A caller that skipped refresh still cannot sign with a key twice the period old.
  now = 121_000;
  expect(() => active.current()).toThrow(SigningKeyUnavailable);
  failing = false;
  await active.refresh();
  expect(active.current().keyPairId).toBe('KOLD');
});

test('local: the signer follows the key file as the rotation rewrites it', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'streamgate-key-')), 'signing-key.json');
  writeFileSync(file, doc('KLOCALA'));
  const active = await ActiveSigningKey.create(config({ kind: 'file', path: file }), () => {
    throw new Error('no Secrets Manager locally');
  });
  expect(active.current().keyPairId).toBe('KLOCALA');
  await new Promise((done) => setTimeout(done, 20)); // a later modification time
  writeFileSync(file, doc('KLOCALB'));
  expect(active.current().keyPairId).toBe('KLOCALB');
});
