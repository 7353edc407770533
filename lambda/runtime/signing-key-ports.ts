/**
 * The rotation's ports over AWS (lambda/core/signing-key-rotation.ts): the signing secret's
 * staging labels are the slots (AWSCURRENT active, AWSPENDING new, AWSPREVIOUS old), each version
 * holding a key document; CloudFront holds the public keys, the key group and the distribution.
 * Every write is safe to repeat: versions are written with a ClientRequestToken derived from the
 * rotation's version id, public keys are found by name before one is created, and a key group
 * update carries the ETag it was read with.
 */
import { createHash } from 'node:crypto';
import {
  type CloudFrontClient,
  CreatePublicKeyCommand,
  DeletePublicKeyCommand,
  GetDistributionCommand,
  GetKeyGroupCommand,
  GetPublicKeyCommand,
  ListPublicKeysCommand,
  UpdateKeyGroupCommand,
} from '@aws-sdk/client-cloudfront';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type CloudFrontKeyPort,
  type KeyGroupState,
  type KeySlots,
  type KeyVersion,
  keyDocumentOf,
  keyVersionOf,
  type SigningKeyStore,
} from '../core/signing-key-rotation';

const STAGES = { current: 'AWSCURRENT', pending: 'AWSPENDING', previous: 'AWSPREVIOUS' } as const;

/** A UUID-shaped token derived from `seed`: the same write retried is the same request. */
export function requestToken(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

export class SecretsManagerKeyStore implements SigningKeyStore {
  /** Secrets Manager version ids of the slots last read, by the rotation's version id. */
  private readonly smVersions = new Map<string, string>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly now: () => number,
  ) {}

  async slots(): Promise<KeySlots> {
    const listed = await this.client.send(new ListSecretVersionIdsCommand({ SecretId: this.secretId }));
    const read = async (stage: string): Promise<KeyVersion | undefined> => {
      const entry = (listed.Versions ?? []).find((version) => version.VersionStages?.includes(stage));
      if (entry?.VersionId === undefined) return undefined;
      const value = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionId: entry.VersionId }),
      );
      // CloudFormation's generated placeholder is not a key document: no key in that slot.
      const version = keyVersionOf(value.SecretString, entry.VersionId);
      if (version === undefined) return undefined;
      this.smVersions.set(`${stage}:${version.versionId}`, entry.VersionId);
      const created = entry.CreatedDate === undefined ? undefined : Math.floor(entry.CreatedDate.getTime() / 1000);
      return { ...version, activatedAt: version.activatedAt ?? (stage === STAGES.current ? created : undefined) };
    };
    const [current, pending, previous] = await Promise.all([
      read(STAGES.current),
      read(STAGES.pending),
      read(STAGES.previous),
    ]);
    return { current, pending, previous };
  }

  async putPending(version: KeyVersion): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: this.secretId,
        ClientRequestToken: requestToken(`pending:${version.versionId}`),
        SecretString: JSON.stringify(keyDocumentOf(version)),
        VersionStages: [STAGES.pending],
      }),
    );
  }

  /** Moving AWSCURRENT here makes Secrets Manager move AWSPREVIOUS to the version it left. */
  async activate(pending: KeyVersion, keyPairId: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: this.secretId,
        ClientRequestToken: requestToken(`active:${pending.versionId}`),
        SecretString: JSON.stringify(keyDocumentOf({ ...pending, keyPairId, activatedAt: this.now() })),
        VersionStages: [STAGES.current],
      }),
    );
  }

  async clearPending(versionId: string): Promise<void> {
    await this.removeStage(STAGES.pending, versionId);
  }

  async forgetPrevious(versionId: string): Promise<void> {
    await this.removeStage(STAGES.previous, versionId);
  }

  private async removeStage(stage: string, versionId: string): Promise<void> {
    const smVersion = this.smVersions.get(`${stage}:${versionId}`);
    if (smVersion === undefined) return; // not observed in that slot: nothing to remove
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secretId,
        VersionStage: stage,
        RemoveFromVersionId: smVersion,
      }),
    );
  }

  /** Bootstrap only (no distribution uses the key yet): the first key goes straight to AWSCURRENT. */
  async putFirstKey(version: KeyVersion): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: this.secretId,
        ClientRequestToken: requestToken(`first:${version.versionId}:${version.keyPairId ?? ''}`),
        SecretString: JSON.stringify(keyDocumentOf(version)),
        VersionStages: [STAGES.current],
      }),
    );
  }
}

export class CloudFrontKeys implements CloudFrontKeyPort {
  constructor(
    private readonly client: CloudFrontClient,
    private readonly keyGroupId: string,
    private readonly distributionIds: readonly string[],
  ) {}

  async findPublicKey(name: string): Promise<string | undefined> {
    return (await listPublicKeys(this.client)).find((key) => key.name === name)?.id;
  }

  async publicKeyExists(id: string): Promise<boolean> {
    try {
      await this.client.send(new GetPublicKeyCommand({ Id: id }));
      return true;
    } catch (error) {
      if (errorName(error) === 'NoSuchPublicKey') return false;
      throw error;
    }
  }

  async createPublicKey(name: string, publicKeyPem: string): Promise<string> {
    return createPublicKey(this.client, name, publicKeyPem);
  }

  async deletePublicKey(id: string): Promise<void> {
    try {
      const { ETag } = await this.client.send(new GetPublicKeyCommand({ Id: id }));
      await this.client.send(new DeletePublicKeyCommand({ Id: id, IfMatch: ETag }));
    } catch (error) {
      if (errorName(error) !== 'NoSuchPublicKey') throw error;
    }
  }

  async keyGroup(): Promise<KeyGroupState> {
    const { KeyGroup } = await this.client.send(new GetKeyGroupCommand({ Id: this.keyGroupId }));
    return {
      keyIds: KeyGroup?.KeyGroupConfig?.Items ?? [],
      lastModified: Math.floor((KeyGroup?.LastModifiedTime?.getTime() ?? 0) / 1000),
    };
  }

  async setKeyGroup(keyIds: readonly string[]): Promise<void> {
    const { KeyGroup, ETag } = await this.client.send(new GetKeyGroupCommand({ Id: this.keyGroupId }));
    const config = KeyGroup?.KeyGroupConfig;
    if (config?.Name === undefined) throw new Error(`key group ${this.keyGroupId} has no configuration`);
    await this.client.send(
      new UpdateKeyGroupCommand({
        Id: this.keyGroupId,
        IfMatch: ETag,
        KeyGroupConfig: { Name: config.Name, Comment: config.Comment, Items: [...keyIds] },
      }),
    );
  }

  deployed(): Promise<boolean> {
    return distributionsDeployed(this.client, this.distributionIds);
  }
}

/**
 * Whether every edge applies each distribution's current config (status `Deployed`, not
 * `InProgress`). Both rotations wait on it: signing keys and origin secrets.
 */
export async function distributionsDeployed(
  client: CloudFrontClient,
  distributionIds: readonly string[],
): Promise<boolean> {
  const statuses = await Promise.all(
    distributionIds.map(async (id) => (await client.send(new GetDistributionCommand({ Id: id }))).Distribution?.Status),
  );
  return statuses.every((status) => status === 'Deployed');
}

/** Every public key in the account (CloudFront names are account-wide), by id and name. */
export async function listPublicKeys(client: CloudFrontClient): Promise<{ id: string; name: string }[]> {
  const keys: { id: string; name: string }[] = [];
  let marker: string | undefined;
  do {
    const { PublicKeyList } = await client.send(new ListPublicKeysCommand({ Marker: marker }));
    for (const item of PublicKeyList?.Items ?? []) {
      if (item.Id !== undefined && item.Name !== undefined) keys.push({ id: item.Id, name: item.Name });
    }
    marker = PublicKeyList?.NextMarker;
  } while (marker !== undefined && marker !== '');
  return keys;
}

/** Creates the public key, or answers the id of the one a lost response already created. */
export async function createPublicKey(client: CloudFrontClient, name: string, publicKeyPem: string): Promise<string> {
  try {
    const { PublicKey } = await client.send(
      new CreatePublicKeyCommand({
        PublicKeyConfig: {
          CallerReference: name,
          Name: name,
          EncodedKey: publicKeyPem,
          Comment: 'streamgate signing key (managed by the rotation; not a CloudFormation resource)',
        },
      }),
    );
    if (PublicKey?.Id === undefined) throw new Error('CreatePublicKey answered no id');
    return PublicKey.Id;
  } catch (error) {
    if (errorName(error) !== 'PublicKeyAlreadyExists') throw error;
    const existing = (await listPublicKeys(client)).find((key) => key.name === name);
    if (existing === undefined) throw error;
    return existing.id;
  }
}
