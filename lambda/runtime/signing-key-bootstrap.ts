/**
 * The signing keys' bootstrap and teardown over AWS, for the custom resource
 * (lambda/handlers/keygen.ts). Every call converges on one state from whatever it finds, so
 * create, update, a retried create after a failed one, and delete after a partial delete all end
 * the same way:
 *
 * - converge: the signing secret holds an active key whose public key exists; the key group
 *   named `namePrefix` exists and trusts exactly what `keyGroupPlan` says (the active key, and
 *   what the rotation still needs); public keys of ours that nothing needs are deleted.
 * - tear down: the key group and every public key named with the prefix are deleted; one that
 *   is already gone, or still in use, is left (and logged) rather than failing the stack's deletion.
 *
 * CloudFront names are account-wide; `namePrefix` is unique per stack and region, so whatever
 * carries it belongs to this stack (or an earlier one of the same name, whose leftovers these
 * calls are meant to clear).
 */
import { randomUUID } from 'node:crypto';
import {
  type CloudFrontClient,
  CreateKeyGroupCommand,
  DeleteKeyGroupCommand,
  DeletePublicKeyCommand,
  GetKeyGroupCommand,
  GetPublicKeyCommand,
  ListKeyGroupsCommand,
  UpdateKeyGroupCommand,
} from '@aws-sdk/client-cloudfront';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CloudFrontKeyAlgorithm, generateCloudFrontKeyPair } from '../core/cloudfront-key-types';
import { keyGroupPlan, publicKeyName, publicKeyPemOf } from '../core/signing-key-rotation';
import { createPublicKey, errorName, listPublicKeys, SecretsManagerKeyStore } from './signing-key-ports';

export interface BootstrapOptions {
  readonly secrets: SecretsManagerClient;
  readonly cloudFront: CloudFrontClient;
  readonly secretArn: string;
  readonly algorithm: CloudFrontKeyAlgorithm;
  readonly namePrefix: string;
  /** Epoch seconds. @default the system clock */
  readonly now?: () => number;
  /** One line per thing left behind or repaired. @default console.log */
  readonly log?: (message: string) => void;
}

const KEY_GROUP_COMMENT = 'streamgate signing keys (members managed by the rotation)';

/**
 * The active key (generated when the secret holds none; re-published when its public key is
 * gone), the key group trusting exactly what it should, no leftover public key. Answers the key
 * group's id.
 */
export async function convergeKeyGroup(options: BootstrapOptions): Promise<string> {
  const { cloudFront, algorithm, namePrefix } = options;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const log = options.log ?? console.log;
  const store = new SecretsManagerKeyStore(options.secrets, options.secretArn, now);
  let current = (await store.slots()).current;
  if (current === undefined) {
    const { privateKey } = generateCloudFrontKeyPair(algorithm);
    current = {
      versionId: randomUUID(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      createdAt: now(),
    };
    await store.putFirstKey(current);
  }
  if (current.keyPairId === undefined || !(await publicKeyExists(cloudFront, current.keyPairId))) {
    if (current.keyPairId !== undefined)
      log(`the active key's public key ${current.keyPairId} is gone: publishing it again`);
    // Found by name when a lost response already created it.
    const keyPairId = await createPublicKey(
      cloudFront,
      publicKeyName({ namePrefix }, current.versionId),
      publicKeyPemOf(current),
    );
    current = { ...current, keyPairId, activatedAt: now() };
    await store.putFirstKey(current);
    // The same key without that id is now AWSPREVIOUS: not a key to keep trusting, drop the label.
    const { previous } = await store.slots();
    if (previous?.versionId === current.versionId) await store.forgetPrevious(current.versionId);
  }
  const slots = await store.slots();
  const ourKeys = (await listPublicKeys(cloudFront)).filter((key) => key.name.startsWith(`${namePrefix}-`));
  const existing = await findKeyGroup(cloudFront, namePrefix);
  const plan = keyGroupPlan({ slots, members: existing?.members ?? [], ourKeys, namePrefix });
  let keyGroupId: string;
  if (existing === undefined) {
    keyGroupId = await createKeyGroup(cloudFront, namePrefix, plan.members);
  } else {
    keyGroupId = existing.id;
    if (!sameMembers(existing.members, plan.members)) {
      log(`key group ${existing.id} trusted [${existing.members.join(', ')}]: now [${plan.members.join(', ')}]`);
      await setMembers(cloudFront, existing.id, plan.members);
    }
  }
  for (const id of plan.deleteKeys) {
    const outcome = await deletePublicKey(cloudFront, id);
    log(`leftover public key ${id}: ${outcome}`);
  }
  return keyGroupId;
}

/**
 * Deletes the key group (`keyGroupId` and the one named `namePrefix`) and every public key named
 * with the prefix. When a key group of that name exists under another id, the call is
 * CloudFormation cleaning up after an update that moved to it: only `keyGroupId` goes.
 */
export async function tearDownKeyGroup(
  cloudFront: CloudFrontClient,
  keyGroupId: string | undefined,
  namePrefix: string,
  log: (message: string) => void = console.log,
): Promise<void> {
  const named = await findKeyGroup(cloudFront, namePrefix);
  if (keyGroupId !== undefined && named !== undefined && named.id !== keyGroupId) {
    log(`key group ${keyGroupId} was replaced by ${named.id}: ${await deleteKeyGroup(cloudFront, keyGroupId)}`);
    return;
  }
  for (const id of new Set([keyGroupId, named?.id].flatMap((id) => (id === undefined ? [] : [id]))))
    log(`key group ${id}: ${await deleteKeyGroup(cloudFront, id)}`);
  for (const key of await listPublicKeys(cloudFront)) {
    if (!key.name.startsWith(`${namePrefix}-`)) continue;
    log(`public key ${key.id} (${key.name}): ${await deletePublicKey(cloudFront, key.id)}`);
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

async function publicKeyExists(client: CloudFrontClient, id: string): Promise<boolean> {
  try {
    await client.send(new GetPublicKeyCommand({ Id: id }));
    return true;
  } catch (error) {
    if (errorName(error) === 'NoSuchPublicKey') return false;
    throw error;
  }
}

/** The key group of that name (names are unique in the account), with its members. */
async function findKeyGroup(
  client: CloudFrontClient,
  name: string,
): Promise<{ id: string; members: string[] } | undefined> {
  let marker: string | undefined;
  do {
    const { KeyGroupList } = await client.send(new ListKeyGroupsCommand({ Marker: marker }));
    for (const item of KeyGroupList?.Items ?? []) {
      const group = item.KeyGroup;
      if (group?.Id !== undefined && group.KeyGroupConfig?.Name === name)
        return { id: group.Id, members: [...(group.KeyGroupConfig.Items ?? [])] };
    }
    marker = KeyGroupList?.NextMarker;
  } while (marker !== undefined && marker !== '');
  return undefined;
}

async function createKeyGroup(client: CloudFrontClient, name: string, members: readonly string[]): Promise<string> {
  try {
    const { KeyGroup } = await client.send(
      new CreateKeyGroupCommand({ KeyGroupConfig: { Name: name, Items: [...members], Comment: KEY_GROUP_COMMENT } }),
    );
    if (KeyGroup?.Id === undefined) throw new Error('CreateKeyGroup answered no id');
    return KeyGroup.Id;
  } catch (error) {
    // A lost response: the group is there, made by this very call; make sure of its members.
    if (errorName(error) !== 'KeyGroupAlreadyExists') throw error;
    const found = await findKeyGroup(client, name);
    if (found === undefined) throw error;
    if (!sameMembers(found.members, members)) await setMembers(client, found.id, members);
    return found.id;
  }
}

/** Sets the members, with the ETag just read (one retry if another writer came in between). */
async function setMembers(client: CloudFrontClient, id: string, members: readonly string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { KeyGroup, ETag } = await client.send(new GetKeyGroupCommand({ Id: id }));
    const config = KeyGroup?.KeyGroupConfig;
    if (config?.Name === undefined) throw new Error(`key group ${id} has no configuration`);
    try {
      await client.send(
        new UpdateKeyGroupCommand({
          Id: id,
          IfMatch: ETag,
          KeyGroupConfig: { Name: config.Name, Comment: config.Comment, Items: [...members] },
        }),
      );
      return;
    } catch (error) {
      if (errorName(error) !== 'PreconditionFailed' || attempt >= 2) throw error;
    }
  }
}

type DeleteOutcome = 'deleted' | 'already gone' | 'left: still in use';

async function deleteKeyGroup(client: CloudFrontClient, id: string): Promise<DeleteOutcome> {
  return deleteWithETag(
    async () => (await client.send(new GetKeyGroupCommand({ Id: id }))).ETag,
    async (etag) => {
      await client.send(new DeleteKeyGroupCommand({ Id: id, IfMatch: etag }));
    },
    'NoSuchResource',
    'ResourceInUse',
  );
}

async function deletePublicKey(client: CloudFrontClient, id: string): Promise<DeleteOutcome> {
  return deleteWithETag(
    async () => (await client.send(new GetPublicKeyCommand({ Id: id }))).ETag,
    async (etag) => {
      await client.send(new DeletePublicKeyCommand({ Id: id, IfMatch: etag }));
    },
    'NoSuchPublicKey',
    'PublicKeyInUse',
  );
}

/** Read the ETag, delete with it; gone and in use are outcomes, not failures (one retry on a changed ETag). */
async function deleteWithETag(
  etagOf: () => Promise<string | undefined>,
  remove: (etag: string | undefined) => Promise<void>,
  gone: string,
  inUse: string,
): Promise<DeleteOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await remove(await etagOf());
      return 'deleted';
    } catch (error) {
      const name = errorName(error);
      if (name === gone) return 'already gone';
      if (name === inUse) return 'left: still in use';
      if (name !== 'PreconditionFailed' || attempt >= 2) throw error;
    }
  }
}
