/**
 * In-memory stand-ins for the Secrets Manager and CloudFront APIs the signing-key functions call,
 * at the SDK client level (`send(command)`), modelling the documented behaviour they rely on:
 * staging labels, request tokens, account-wide unique names, ETags, a key that a key group
 * holds cannot be deleted, a key group a distribution uses cannot be deleted.
 */
type Input = Record<string, unknown>;

export const fail = (name: string): never => {
  const error = new Error(name);
  error.name = name;
  throw error;
};

/** Throws the error queued for this command, once. */
function injected(failNext: Map<string, string>, command: string): void {
  const name = failNext.get(command);
  if (name === undefined) return;
  failNext.delete(command);
  fail(name);
}

/**
 * Secrets Manager as the key store uses it: staging labels move (AWSPREVIOUS follows
 * AWSCURRENT), a ClientRequestToken makes a repeated write a no-op (a different value under the
 * same token is refused), and the next call of a command can be made to fail.
 */
export class FakeSecretsManager {
  /** Command name → error name: the next call of that command fails with it (then the entry is gone). */
  readonly failNext = new Map<string, string>();
  /** Every command sent, by name. */
  readonly calls: string[] = [];
  readonly versions = new Map<string, { value: string; stages: Set<string>; created: Date }>();
  constructor(private readonly clock: { now: number }) {}
  async send(command: { constructor: { name: string }; input: Input }): Promise<unknown> {
    const input = command.input;
    this.calls.push(command.constructor.name);
    injected(this.failNext, command.constructor.name);
    switch (command.constructor.name) {
      case 'ListSecretVersionIdsCommand':
        return {
          Versions: [...this.versions].map(([id, v]) => ({
            VersionId: id,
            VersionStages: [...v.stages],
            CreatedDate: v.created,
          })),
        };
      case 'GetSecretValueCommand': {
        const version = this.versions.get(input.VersionId as string) ?? fail('ResourceNotFoundException');
        return { SecretString: version.value };
      }
      case 'PutSecretValueCommand': {
        const token = input.ClientRequestToken as string;
        const existing = this.versions.get(token);
        if (existing !== undefined) {
          if (existing.value !== input.SecretString) fail('ResourceExistsException');
          return {};
        }
        const stages = (input.VersionStages as string[]) ?? ['AWSCURRENT'];
        for (const stage of stages) this.moveStage(stage, token);
        this.versions.set(token, {
          value: input.SecretString as string,
          stages: new Set(stages),
          created: new Date(this.clock.now * 1000),
        });
        return {};
      }
      case 'UpdateSecretVersionStageCommand': {
        const version = this.versions.get(input.RemoveFromVersionId as string);
        if (version === undefined || !version.stages.has(input.VersionStage as string))
          fail('InvalidParameterException');
        version?.stages.delete(input.VersionStage as string);
        return {};
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  }
  /** A label is on one version at most; moving AWSCURRENT moves AWSPREVIOUS to the version it left. */
  private moveStage(stage: string, to: string): void {
    for (const [id, version] of this.versions) {
      if (id !== to && version.stages.delete(stage) && stage === 'AWSCURRENT') {
        for (const other of this.versions.values()) other.stages.delete('AWSPREVIOUS');
        version.stages.add('AWSPREVIOUS');
      }
    }
  }
  stageOf(stage: string): string | undefined {
    return [...this.versions.values()].find((v) => v.stages.has(stage))?.value;
  }
}

interface PublicKey {
  name: string;
  pem: string;
  etag: string;
}
interface KeyGroup {
  name: string;
  items: string[];
  comment?: string;
  etag: string;
  modified: Date;
}

/**
 * One account's CloudFront public keys, key groups and the distribution (for the rotation):
 * names are unique per account; a public key a key group holds cannot be deleted
 * (PublicKeyInUse), nor a key group a distribution uses (ResourceInUse); updates and deletes
 * need the current ETag; a key group change puts the distribution InProgress for a while.
 */
export class FakeCloudFrontAccount {
  readonly keys = new Map<string, PublicKey>();
  readonly groups = new Map<string, KeyGroup>();
  /** Key groups a distribution uses. */
  readonly inUse = new Set<string>();
  readonly failNext = new Map<string, string>();
  /** Every command sent, by name. */
  readonly calls: string[] = [];
  deployedAt = 0;
  private next = 1;
  constructor(private readonly clock: { now: number }) {}

  /** Adds a public key as if made earlier (by an earlier stack of the same name, or by hand). */
  addKey(name: string, pem = 'PEM'): string {
    const id = `K${this.next++}`;
    this.keys.set(id, { name, pem, etag: `E${id}-1` });
    return id;
  }

  addGroup(name: string, items: string[]): string {
    const id = `G${this.next++}`;
    this.groups.set(id, { name, items: [...items], etag: `E${id}-1`, modified: new Date(this.clock.now * 1000) });
    return id;
  }

  groupNamed(name: string): ({ id: string } & KeyGroup) | undefined {
    const found = [...this.groups].find(([, group]) => group.name === name);
    return found === undefined ? undefined : { id: found[0], ...found[1] };
  }

  keysNamed(prefix: string): string[] {
    return [...this.keys].filter(([, key]) => key.name.startsWith(prefix)).map(([id]) => id);
  }

  async send(command: { constructor: { name: string }; input: Input }): Promise<unknown> {
    const input = command.input;
    const name = command.constructor.name;
    this.calls.push(name);
    injected(this.failNext, name);
    switch (name) {
      case 'ListPublicKeysCommand':
        return { PublicKeyList: { Items: [...this.keys].map(([Id, key]) => ({ Id, Name: key.name })) } };
      case 'GetPublicKeyCommand': {
        const key = this.keys.get(input.Id as string) ?? fail('NoSuchPublicKey');
        return {
          PublicKey: { Id: input.Id, PublicKeyConfig: { Name: key.name, EncodedKey: key.pem } },
          ETag: key.etag,
        };
      }
      case 'CreatePublicKeyCommand': {
        const config = input.PublicKeyConfig as { Name: string; EncodedKey: string };
        if ([...this.keys.values()].some((key) => key.name === config.Name)) fail('PublicKeyAlreadyExists');
        return { PublicKey: { Id: this.addKey(config.Name, config.EncodedKey) } };
      }
      case 'DeletePublicKeyCommand': {
        const id = input.Id as string;
        const key = this.keys.get(id) ?? fail('NoSuchPublicKey');
        if (key.etag !== input.IfMatch) fail('PreconditionFailed');
        if ([...this.groups.values()].some((group) => group.items.includes(id))) fail('PublicKeyInUse');
        this.keys.delete(id);
        return {};
      }
      case 'ListKeyGroupsCommand':
        return {
          KeyGroupList: {
            Items: [...this.groups].map(([Id, group]) => ({
              KeyGroup: { Id, KeyGroupConfig: { Name: group.name, Items: [...group.items], Comment: group.comment } },
            })),
          },
        };
      case 'GetKeyGroupCommand': {
        const group = this.groups.get(input.Id as string) ?? fail('NoSuchResource');
        return {
          KeyGroup: {
            Id: input.Id,
            LastModifiedTime: group.modified,
            KeyGroupConfig: { Name: group.name, Items: [...group.items], Comment: group.comment },
          },
          ETag: group.etag,
        };
      }
      case 'CreateKeyGroupCommand': {
        const config = input.KeyGroupConfig as { Name: string; Items: string[]; Comment?: string };
        if (this.groupNamed(config.Name) !== undefined) fail('KeyGroupAlreadyExists');
        if (config.Items.length === 0) fail('InvalidArgument');
        for (const id of config.Items) if (!this.keys.has(id)) fail('NoSuchPublicKey');
        const id = this.addGroup(config.Name, config.Items);
        const group = this.groups.get(id);
        if (group !== undefined) group.comment = config.Comment;
        return { KeyGroup: { Id: id } };
      }
      case 'UpdateKeyGroupCommand': {
        const id = input.Id as string;
        const group = this.groups.get(id) ?? fail('NoSuchResource');
        if (input.IfMatch !== group.etag) fail('PreconditionFailed');
        const config = input.KeyGroupConfig as { Name: string; Items: string[]; Comment?: string };
        if (config.Items.length === 0) fail('InvalidArgument');
        for (const key of config.Items) if (!this.keys.has(key)) fail('NoSuchPublicKey');
        const version = Number(group.etag.split('-').pop()) + 1;
        this.groups.set(id, {
          name: config.Name,
          items: [...config.Items],
          comment: config.Comment,
          etag: `E${id}-${version}`,
          modified: new Date(this.clock.now * 1000),
        });
        this.deployedAt = this.clock.now + 300;
        return {};
      }
      case 'DeleteKeyGroupCommand': {
        const id = input.Id as string;
        const group = this.groups.get(id) ?? fail('NoSuchResource');
        if (group.etag !== input.IfMatch) fail('PreconditionFailed');
        if (this.inUse.has(id)) fail('ResourceInUse');
        this.groups.delete(id);
        return {};
      }
      case 'GetDistributionCommand':
        return { Distribution: { Status: this.clock.now >= this.deployedAt ? 'Deployed' : 'InProgress' } };
      default:
        throw new Error(`unexpected ${name}`);
    }
  }
}
