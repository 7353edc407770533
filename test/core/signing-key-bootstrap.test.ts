/**
 * The signing-key bootstrap custom resource (lambda/handlers/keygen.ts) through every request
 * CloudFormation sends and every failure between them, over stand-ins of the Secrets Manager
 * and CloudFront APIs (test/support/signing-key-fakes.ts) with real keys. The property: after
 * any sequence, the key group trusts exactly the keys it should (the active one, and what the
 * rotation still needs), the active key verifies what it signs, and no public key is left over.
 */
import { createSign, createVerify, randomUUID } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { type RotationPolicy, runRotation } from '../../lambda/core/signing-key-rotation';
import { keygenHandler } from '../../lambda/handlers/keygen';
import { CloudFrontKeys, SecretsManagerKeyStore } from '../../lambda/runtime/signing-key-ports';
import { SigningKeys } from '../../lib/signing-keys';
import { FakeCloudFrontAccount, FakeSecretsManager } from '../support/signing-key-fakes';

type Json = Record<string, unknown>;

const PREFIX = 'streamgate-eu-west-1-sign';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:SigningKeysSecret-AbCdEf';

const policy: RotationPolicy = {
  rotateAfterSeconds: 30 * 86400,
  signedTtlSeconds: 300,
  signerRefreshSeconds: 60,
  clockToleranceSeconds: 30,
  settleSeconds: 120,
  pollSeconds: 60,
  algorithm: 'ECDSA_P256',
  namePrefix: PREFIX,
};

function world() {
  const clock = { now: 1_800_000_000 };
  const sm = new FakeSecretsManager(clock);
  const cf = new FakeCloudFrontAccount(clock);
  const logged: string[] = [];
  const handler = keygenHandler({
    cloudFront: cf as unknown as CloudFrontClient,
    secrets: sm as unknown as SecretsManagerClient,
    log: (line) => logged.push(line),
    now: () => clock.now,
  });
  const event = (
    type: 'Create' | 'Update' | 'Delete',
    physicalId?: string,
    algorithm = 'ECDSA_P256',
  ): CloudFormationCustomResourceEvent =>
    ({
      RequestType: type,
      ...(physicalId === undefined ? {} : { PhysicalResourceId: physicalId }),
      ResourceProperties: { ServiceToken: 'arn:token', SecretArn: SECRET, Algorithm: algorithm, NamePrefix: PREFIX },
      ...(type === 'Update'
        ? {
            OldResourceProperties: {
              ServiceToken: 'arn:token',
              SecretArn: SECRET,
              Algorithm: 'RSA_2048',
              NamePrefix: PREFIX,
            },
          }
        : {}),
      ServiceToken: 'arn:token',
      ResponseURL: 'https://cloudformation.example/response',
      StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/streamgate/1',
      RequestId: randomUUID(),
      LogicalResourceId: 'SigningKeysKeyGroupBootstrap',
      ResourceType: 'Custom::StreamgateSigningKeyGroup',
    }) as CloudFormationCustomResourceEvent;
  /** What CloudFormation generates into a new secret: not a key. */
  const placeholder = async () =>
    sm.send({
      constructor: { name: 'PutSecretValueCommand' },
      input: { ClientRequestToken: 'cfn', SecretString: 'kV2x8mJ4rQ9tL1wZ7pN3sB6yH0cF5gDa' },
    } as never);
  const active = () =>
    JSON.parse(sm.stageOf('AWSCURRENT') ?? '{}') as { keyPairId?: string; privateKey: string; versionId: string };
  const rotationPorts = (keyGroupId: string) => ({
    store: new SecretsManagerKeyStore(sm as unknown as SecretsManagerClient, SECRET, () => clock.now),
    cloudFront: new CloudFrontKeys(cf as unknown as CloudFrontClient, keyGroupId, ['E1']),
    now: () => clock.now,
    newVersionId: randomUUID,
  });
  return { clock, sm, cf, logged, handler, event, placeholder, active, rotationPorts };
}

/** The key CloudFront holds under the active key pair id verifies what the active private key signs. */
function activeKeyWorks(w: ReturnType<typeof world>): boolean {
  const { keyPairId, privateKey } = w.active();
  const pem = keyPairId === undefined ? undefined : w.cf.keys.get(keyPairId)?.pem;
  if (pem === undefined) return false;
  const signature = createSign('SHA256').update('policy').sign(privateKey);
  return createVerify('SHA256').update('policy').verify(pem, signature);
}

/** The members of our key group (the one named with the prefix), sorted; undefined without one. */
function members(w: ReturnType<typeof world>): string[] | undefined {
  const group = w.cf.groupNamed(PREFIX);
  return group === undefined ? undefined : [...group.items].sort();
}

test('Create on a fresh account: the first key from the placeholder, trusted alone; a repeated Create changes nothing', async () => {
  const w = world();
  await w.placeholder();
  const created = await w.handler(w.event('Create'));
  const { keyPairId } = w.active();
  expect(created).toEqual({
    PhysicalResourceId: w.cf.groupNamed(PREFIX)?.id,
    Data: { KeyGroupId: created.PhysicalResourceId },
  });
  expect(members(w)).toEqual([keyPairId]);
  expect(w.cf.keysNamed(`${PREFIX}-`)).toEqual([keyPairId]);
  expect(activeKeyWorks(w)).toBe(true);
  expect(w.sm.stageOf('AWSPREVIOUS')).toBeUndefined();

  const versions = w.sm.versions.size;
  expect(await w.handler(w.event('Create'))).toEqual(created);
  expect([w.sm.versions.size, w.cf.keys.size, w.active().keyPairId]).toEqual([versions, 1, keyPairId]);
});

test('Create reusing the key group an earlier stack of the same name left: it trusts only the new key, and the old keys are deleted', async () => {
  const w = world();
  // A destroyed stack's delete failed half-way: its group and keys are still there.
  const oldKeys = [w.cf.addKey(`${PREFIX}-old-version-1`), w.cf.addKey(`${PREFIX}-old-version-2`)];
  const foreign = w.cf.addKey('someone-else-key');
  w.cf.addGroup(PREFIX, [...oldKeys, foreign]);
  await w.placeholder();
  const { PhysicalResourceId } = await w.handler(w.event('Create'));
  const { keyPairId } = w.active();
  expect(PhysicalResourceId).toBe(w.cf.groupNamed(PREFIX)?.id);
  expect(members(w)).toEqual([keyPairId]);
  expect(activeKeyWorks(w)).toBe(true);
  // Ours are gone; a key of another name is only dropped from the group, never deleted.
  expect(w.cf.keysNamed(`${PREFIX}-`)).toEqual([keyPairId]);
  expect(w.cf.keys.has(foreign)).toBe(true);
});

test.each([
  ['creating the key group', 'CreateKeyGroupCommand', 'cloudfront'],
  ['recording the key pair id in the secret', 'PutSecretValueCommand', 'secrets'],
  ['listing the public keys', 'ListPublicKeysCommand', 'cloudfront'],
] as const)(
  'a Create that fails at %s leaves no public key and no key group (the rollback never calls the handler)',
  async (_, command, service) => {
    const w = world();
    await w.placeholder();
    // The first PutSecretValue stores the generated key; fail the one after publishing.
    if (command === 'PutSecretValueCommand') {
      const send = w.sm.send.bind(w.sm);
      let puts = 0;
      w.sm.send = async (cmd) => {
        if (cmd.constructor.name === 'PutSecretValueCommand' && ++puts === 2)
          w.sm.failNext.set(command, 'InternalServiceError');
        return send(cmd);
      };
    } else {
      (service === 'cloudfront' ? w.cf : w.sm).failNext.set(command, 'ServiceUnavailable');
    }
    await expect(w.handler(w.event('Create'))).rejects.toThrow(/ServiceUnavailable|InternalServiceError/);
    expect(w.cf.keysNamed(`${PREFIX}-`)).toEqual([]);
    expect(w.cf.groupNamed(PREFIX)).toBeUndefined();
  },
);

test('a failed Create whose clean-up fails too is cleared by the next Create: one key, trusted, nothing left over', async () => {
  const w = world();
  await w.placeholder();
  w.cf.failNext.set('CreateKeyGroupCommand', 'ServiceUnavailable');
  w.cf.failNext.set('ListKeyGroupsCommand', 'ServiceUnavailable');
  w.cf.failNext.set('DeletePublicKeyCommand', 'ServiceUnavailable');
  await expect(w.handler(w.event('Create'))).rejects.toThrow('ServiceUnavailable');
  expect(w.cf.keysNamed(`${PREFIX}-`)).toHaveLength(1); // leaked, for now
  expect(w.logged.some((line) => line.startsWith('create failed and its clean-up failed too'))).toBe(true);

  // The redeploy: a new stack of the same name, a new secret.
  const next = world();
  Object.assign(next.cf, { keys: w.cf.keys, groups: w.cf.groups });
  await next.placeholder();
  await next.handler(next.event('Create'));
  const { keyPairId } = next.active();
  expect(members(next)).toEqual([keyPairId]);
  expect(next.cf.keysNamed(`${PREFIX}-`)).toEqual([keyPairId]);
  expect(activeKeyWorks(next)).toBe(true);
});

test('Update converges a key group that lost the active key, keeps what the rotation needs, drops the rest', async () => {
  const w = world();
  await w.placeholder();
  const { PhysicalResourceId: groupId } = await w.handler(w.event('Create'));
  // A rotation under way: a new key pending, published and trusted.
  w.clock.now += policy.rotateAfterSeconds;
  await runRotation(w.rotationPorts(groupId), policy);
  const group = w.cf.groups.get(groupId);
  const [first, pending] = group?.items ?? [];
  expect(pending).toBeDefined();
  // A hand edit: the active key taken out, a stray key put in.
  const stray = w.cf.addKey(`${PREFIX}-stray`);
  if (group !== undefined) group.items = [pending, stray];

  expect(await w.handler(w.event('Update', groupId))).toEqual({
    PhysicalResourceId: groupId,
    Data: { KeyGroupId: groupId },
  });
  expect(members(w)).toEqual([first, pending].sort());
  expect(w.cf.keys.has(stray)).toBe(false);
  expect(activeKeyWorks(w)).toBe(true);
  // The rotation carries on from there and ends with the new key alone.
  w.clock.now += 400;
  await runRotation(w.rotationPorts(groupId), policy);
  w.clock.now += 400;
  const done = await runRotation(w.rotationPorts(groupId), policy);
  expect(done.activeKeyPairId).toBe(pending);
  expect(members(w)).toEqual([pending]);
  expect(activeKeyWorks(w)).toBe(true);
});

test('Update re-publishes an active key whose public key was deleted, and the secret names the new id', async () => {
  const w = world();
  await w.placeholder();
  const { PhysicalResourceId: groupId } = await w.handler(w.event('Create'));
  const lost = w.active().keyPairId as string;
  // Deleted by hand (after taking it out of the group, as CloudFront requires); a second key keeps the group valid.
  const other = w.cf.addKey(`${PREFIX}-other`);
  const group = w.cf.groups.get(groupId);
  if (group !== undefined) group.items = [other];
  w.cf.keys.delete(lost);

  await w.handler(w.event('Update', groupId));
  const { keyPairId } = w.active();
  expect(keyPairId).not.toBe(lost);
  expect(members(w)).toEqual([keyPairId]);
  expect(activeKeyWorks(w)).toBe(true);
  expect(w.sm.stageOf('AWSPREVIOUS')).toBeUndefined();
});

test('Update after the key group was deleted makes it again; the Delete CloudFormation then sends for the old id leaves the new one whole', async () => {
  const w = world();
  await w.placeholder();
  const { PhysicalResourceId: oldId } = await w.handler(w.event('Create'));
  w.cf.groups.delete(oldId);
  const { PhysicalResourceId: newId } = await w.handler(w.event('Update', oldId));
  expect(newId).not.toBe(oldId);
  const { keyPairId } = w.active();
  expect(members(w)).toEqual([keyPairId]);

  await w.handler(w.event('Delete', oldId));
  expect(w.cf.groupNamed(PREFIX)?.id).toBe(newId);
  expect(members(w)).toEqual([keyPairId]);
  expect(activeKeyWorks(w)).toBe(true);
});

test('Delete removes the key group and every key of ours, tolerating keys already gone or still in use', async () => {
  const w = world();
  await w.placeholder();
  const { PhysicalResourceId: groupId } = await w.handler(w.event('Create'));
  const active = w.active().keyPairId as string;
  const gone = w.cf.addKey(`${PREFIX}-gone`);
  const held = w.cf.addKey(`${PREFIX}-held-elsewhere`);
  w.cf.addGroup('another-stack-group', [held]);
  w.cf.keys.delete(gone);

  await expect(w.handler(w.event('Delete', groupId))).resolves.toEqual({ PhysicalResourceId: groupId });
  expect(w.cf.groupNamed(PREFIX)).toBeUndefined();
  expect(w.cf.keys.has(active)).toBe(false);
  expect(w.cf.keysNamed(`${PREFIX}-`)).toEqual([held]);
  expect(w.logged).toContain(`public key ${held} (${PREFIX}-held-elsewhere): left: still in use`);

  // Deleting again (a retried stack deletion) finds nothing and succeeds.
  await expect(w.handler(w.event('Delete', groupId))).resolves.toEqual({ PhysicalResourceId: groupId });
});

test('Delete while a distribution still uses the key group: the stack deletion goes on, and the next Create converges the group', async () => {
  const w = world();
  await w.placeholder();
  const { PhysicalResourceId: groupId } = await w.handler(w.event('Create'));
  w.cf.inUse.add(groupId);
  await expect(w.handler(w.event('Delete', groupId))).resolves.toEqual({ PhysicalResourceId: groupId });
  expect(w.logged).toContain(`key group ${groupId}: left: still in use`);

  const next = world();
  Object.assign(next.cf, { keys: w.cf.keys, groups: w.cf.groups });
  await next.placeholder();
  const { PhysicalResourceId } = await next.handler(next.event('Create'));
  expect(PhysicalResourceId).toBe(groupId);
  expect(members(next)).toEqual([next.active().keyPairId]);
  expect(next.cf.keysNamed(`${PREFIX}-`)).toEqual([next.active().keyPairId]);
});

test('the rotation re-trusts the active key a key group lost, and replaces an active key whose public key is gone', async () => {
  const w = world();
  await w.placeholder();
  const { PhysicalResourceId: groupId } = await w.handler(w.event('Create'));
  const first = w.active().keyPairId as string;
  const stray = w.cf.addKey('stray');
  const group = w.cf.groups.get(groupId);
  if (group !== undefined) group.items = [stray];

  const run = await runRotation(w.rotationPorts(groupId), policy);
  expect(run.performed).toEqual([{ kind: 'trust', keyPairId: first }]);
  expect(w.cf.groups.get(groupId)?.items).toContain(first);

  // Now its public key goes (taken out of the group first, as CloudFront requires).
  const edited = w.cf.groups.get(groupId);
  if (edited !== undefined) edited.items = [stray];
  w.cf.keys.delete(first);
  const replaced = await runRotation(w.rotationPorts(groupId), policy);
  expect(replaced.performed.map((step) => step.kind)).toEqual(['generate', 'publish', 'trust']);
  w.clock.now += 400;
  const activated = await runRotation(w.rotationPorts(groupId), policy);
  expect(activated.performed.map((step) => step.kind)).toContain('activate');
  expect(activeKeyWorks(w)).toBe(true);
  expect(w.cf.groups.get(groupId)?.items).toContain(w.active().keyPairId);
});

/** The IAM action a command needs: `ListPublicKeysCommand` of CloudFront is `cloudfront:ListPublicKeys`. */
const actionOf = (service: string, command: string) => `${service}:${command.replace(/Command$/, '')}`;

test("every call the key functions make is granted to their role in the template (the bootstrap's first deploy needs UpdateSecretVersionStage)", async () => {
  const w = world();
  const made = { bootstrap: new Set<string>(), rotation: new Set<string>() };
  const recording = (who: keyof typeof made) => {
    const cf = w.cf.calls.length;
    const sm = w.sm.calls.length;
    return () => {
      for (const call of w.cf.calls.slice(cf)) made[who].add(actionOf('cloudfront', call));
      for (const call of w.sm.calls.slice(sm)) made[who].add(actionOf('secretsmanager', call));
    };
  };
  // The bootstrap: a first Create over leftovers, an Update that re-publishes and converges, a Delete.
  let done = recording('bootstrap');
  w.cf.addGroup(PREFIX, [w.cf.addKey(`${PREFIX}-old`)]);
  await w.placeholder();
  const { PhysicalResourceId: groupId } = await w.handler(w.event('Create'));
  const first = w.active().keyPairId as string;
  const group = w.cf.groups.get(groupId);
  if (group !== undefined) group.items = [w.cf.addKey(`${PREFIX}-stray`)];
  w.cf.keys.delete(first);
  await w.handler(w.event('Update', groupId));
  done();
  // A whole rotation, then a lost trust repaired.
  done = recording('rotation');
  w.clock.now += policy.rotateAfterSeconds;
  await runRotation(w.rotationPorts(groupId), policy);
  w.clock.now += 400;
  await runRotation(w.rotationPorts(groupId), policy);
  w.clock.now += 400;
  await runRotation(w.rotationPorts(groupId), policy);
  const edited = w.cf.groups.get(groupId);
  if (edited !== undefined) edited.items = [w.cf.addKey('stray')];
  await runRotation(w.rotationPorts(groupId), policy);
  done();
  done = recording('bootstrap');
  await w.handler(w.event('Delete', groupId));
  done();

  const stack = new Stack(new App(), 'Keys', { env: { account: '111111111111', region: 'eu-west-1' } });
  const keys = new SigningKeys(stack, 'SigningKeys');
  keys.addRotation({
    distributionIds: ['E1'],
    rotateAfterDays: 30,
    checkEveryMinutes: 10,
    signedTtlSeconds: 300,
    keyRefreshSeconds: 60,
    clockToleranceSeconds: 30,
    alarmName: 'streamgate-signing-key-age',
  });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Json }>;
  };
  const granted = (rolePrefix: string) =>
    new Set(
      Object.values(template.Resources)
        .filter(
          (resource) =>
            resource.Type === 'AWS::IAM::Policy' &&
            JSON.stringify(resource.Properties.Roles).includes(`"SigningKeys${rolePrefix}Role`),
        )
        .flatMap(
          (resource) =>
            (resource.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement,
        )
        .flatMap((statement) => [statement.Action].flat()),
    );
  for (const [who, rolePrefix] of [
    ['bootstrap', 'Generator'],
    ['rotation', 'Rotator'],
  ] as const) {
    expect(made[who].size).toBeGreaterThan(5);
    const allowed = granted(rolePrefix);
    expect({ who, missing: [...made[who]].filter((action) => !allowed.has(action)) }).toEqual({ who, missing: [] });
  }
});
