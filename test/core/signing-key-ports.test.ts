/**
 * The rotation's AWS adapters (lambda/runtime/signing-key-ports.ts) against in-memory stand-ins
 * for the Secrets Manager and CloudFront APIs that model the documented semantics the adapters
 * rely on: staging labels move (and AWSPREVIOUS follows AWSCURRENT), a ClientRequestToken makes a
 * repeated write a no-op, key group updates need the current ETag, public key names are unique,
 * and a key group change puts the distribution InProgress for a while. The rotation then runs
 * end to end over them with real keys.
 */
import { createSign, createVerify, randomUUID } from 'node:crypto';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { overlapSeconds, type RotationPolicy, runRotation } from '../../lambda/core/signing-key-rotation';
import { CloudFrontKeys, SecretsManagerKeyStore } from '../../lambda/runtime/signing-key-ports';

import { FakeSecretsManager, fail } from '../support/signing-key-fakes';

type Input = Record<string, unknown>;

class FakeCloudFront {
  readonly keys = new Map<string, { name: string; pem: string; etag: string }>();
  group = { name: 'kg', items: [] as string[], etag: 'E0', modified: new Date(0) };
  deployedAt = 0;
  private next = 1;
  constructor(private readonly clock: { now: number }) {}
  async send(command: { constructor: { name: string }; input: Input }): Promise<unknown> {
    const input = command.input;
    switch (command.constructor.name) {
      case 'ListPublicKeysCommand':
        return { PublicKeyList: { Items: [...this.keys].map(([Id, k]) => ({ Id, Name: k.name })) } };
      case 'GetPublicKeyCommand': {
        const key = this.keys.get(input.Id as string) ?? fail('NoSuchPublicKey');
        return { PublicKey: { Id: input.Id }, ETag: key.etag };
      }
      case 'CreatePublicKeyCommand': {
        const config = input.PublicKeyConfig as { Name: string; EncodedKey: string };
        if ([...this.keys.values()].some((k) => k.name === config.Name)) fail('PublicKeyAlreadyExists');
        const id = `K${this.next++}`;
        this.keys.set(id, { name: config.Name, pem: config.EncodedKey, etag: `E${id}` });
        return { PublicKey: { Id: id } };
      }
      case 'DeletePublicKeyCommand': {
        const key = this.keys.get(input.Id as string) ?? fail('NoSuchPublicKey');
        if (key.etag !== input.IfMatch) fail('PreconditionFailed');
        if (this.group.items.includes(input.Id as string)) fail('PublicKeyInUse');
        this.keys.delete(input.Id as string);
        return {};
      }
      case 'GetKeyGroupCommand':
        return {
          KeyGroup: {
            Id: 'KG1',
            LastModifiedTime: this.group.modified,
            KeyGroupConfig: { Name: this.group.name, Items: [...this.group.items] },
          },
          ETag: this.group.etag,
        };
      case 'UpdateKeyGroupCommand': {
        if (input.IfMatch !== this.group.etag) fail('PreconditionFailed');
        const config = input.KeyGroupConfig as { Items: string[] };
        for (const id of config.Items) if (!this.keys.has(id)) fail('NoSuchResource');
        this.group = {
          ...this.group,
          items: [...config.Items],
          etag: randomUUID(),
          modified: new Date(this.clock.now * 1000),
        };
        this.deployedAt = this.clock.now + 300;
        return {};
      }
      case 'GetDistributionCommand':
        return { Distribution: { Status: this.clock.now >= this.deployedAt ? 'Deployed' : 'InProgress' } };
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  }
}

const policy: RotationPolicy = {
  rotateAfterSeconds: 30 * 86400,
  signedTtlSeconds: 300,
  signerRefreshSeconds: 60,
  clockToleranceSeconds: 30,
  settleSeconds: 120,
  pollSeconds: 60,
  algorithm: 'RSA_2048',
  namePrefix: 'streamgate-eu-west-1-sign',
};

test('a full rotation over the AWS adapters: labels, key group and public keys end as the rotation intends', async () => {
  const clock = { now: 1_800_000_000 };
  const sm = new FakeSecretsManager(clock);
  const cf = new FakeCloudFront(clock);
  const store = new SecretsManagerKeyStore(sm as unknown as SecretsManagerClient, 'arn:secret', () => clock.now);
  const ports = {
    store,
    cloudFront: new CloudFrontKeys(cf as unknown as CloudFrontClient, 'KG1', ['E1']),
    now: () => clock.now,
    newVersionId: randomUUID,
  };
  // Bootstrap as the custom resource does: the first key straight to AWSCURRENT, trusted.
  const first = await runRotation(ports, policy); // no key at all: generate, publish, trust
  expect(first.performed.map((s) => s.kind)).toEqual(['generate', 'publish', 'trust']);
  clock.now += 400;
  await runRotation(ports, policy);
  const firstDoc = JSON.parse(sm.stageOf('AWSCURRENT') ?? '{}') as { keyPairId: string; privateKey: string };
  expect(firstDoc.keyPairId).toBe('K1');
  expect(sm.stageOf('AWSPENDING')).toBeUndefined();

  // A month later the scheduled run starts the next rotation.
  clock.now += policy.rotateAfterSeconds;
  const start = await runRotation(ports, policy);
  expect(start.performed.map((s) => s.kind)).toEqual(['generate', 'publish', 'trust']);
  expect(start.stoppedAt).toMatchObject({ kind: 'wait', reason: 'deployment' });
  expect(JSON.parse(sm.stageOf('AWSPENDING') ?? '{}').keyPairId).toBeUndefined();
  expect(cf.group.items).toEqual(['K1', 'K2']);
  // A repeated run while CloudFront deploys changes nothing (and writes nothing twice).
  const versionsBefore = sm.versions.size;
  await runRotation(ports, policy);
  expect(sm.versions.size).toBe(versionsBefore);

  clock.now += 400;
  const switched = await runRotation(ports, policy);
  expect(switched.performed.map((s) => s.kind)).toEqual(['activate', 'clear-pending']);
  const active = JSON.parse(sm.stageOf('AWSCURRENT') ?? '{}') as { keyPairId: string; privateKey: string };
  expect(active.keyPairId).toBe('K2');
  expect(JSON.parse(sm.stageOf('AWSPREVIOUS') ?? '{}').keyPairId).toBe('K1');
  expect(sm.stageOf('AWSPENDING')).toBeUndefined();

  clock.now += overlapSeconds(policy);
  const retired = await runRotation(ports, policy);
  expect(retired.performed.map((s) => s.kind)).toEqual(['untrust', 'delete-public-key', 'forget-previous']);
  expect(cf.group.items).toEqual(['K2']);
  expect([...cf.keys.keys()]).toEqual(['K2']);
  expect(sm.stageOf('AWSPREVIOUS')).toBeUndefined();
  // The key CloudFront holds verifies what the active private key signs.
  const signature = createSign('SHA256').update('policy').sign(active.privateKey);
  expect(
    createVerify('SHA256')
      .update('policy')
      .verify(cf.keys.get('K2')?.pem ?? '', signature),
  ).toBe(true);
});

test('a public key whose CreatePublicKey response was lost is found by name, not created twice', async () => {
  const clock = { now: 1_800_000_000 };
  const cf = new FakeCloudFront(clock);
  const keys = new CloudFrontKeys(cf as unknown as CloudFrontClient, 'KG1', ['E1']);
  const id = await keys.createPublicKey('p-1', 'PEM');
  expect(await keys.createPublicKey('p-1', 'PEM')).toBe(id);
  expect(cf.keys.size).toBe(1);
  await keys.deletePublicKey(id);
  await keys.deletePublicKey(id); // already gone: not an error
  expect(await keys.publicKeyExists(id)).toBe(false);
});
