/**
 * The rotation's ports over local mode's files, so `npm run rotate-keys` runs exactly the
 * deployed sequence (lambda/core/signing-key-rotation.ts): the slots are key documents
 * (`signing-key.json` active, `.pending.json`, `.previous.json`; the API reads the active one),
 * the account's public keys are `public-keys.json`, and the key group is the key-group file the
 * local edge re-reads within a second. "Deployed" means the edge has had time to re-read it.
 * Every write goes to a temp file renamed into place, so a reader never sees half a file.
 */
import { createPrivateKey, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CloudFrontKeyPort,
  runRotation,
  type KeyGroupState,
  type KeySlots,
  type KeyVersion,
  keyDocumentOf,
  keyVersionOf,
  type RotationPolicy,
  type RotationPorts,
  type SigningKeyStore,
} from '../lambda/core/signing-key-rotation';
import {
  CLOUDFRONT_KEY_TYPES,
  type CloudFrontKeyAlgorithm,
  cloudFrontKeyAlgorithmOf,
} from '../lambda/core/cloudfront-key-types';
import { readIfPresent, writeAtomically } from './atomic-file';
import {
  ACTIVE_KEY_FILE,
  ensureCloudFrontKey,
  KEY_ALGORITHM_VARIABLE,
  KEY_GROUP_FILE,
  type LocalCloudFrontKey,
  PUBLIC_KEYS_FILE,
} from './cloudfront-keys';

/** The local edge re-reads its key-group file at most once a second (local/stack.ts). */
export const LOCAL_EDGE_RELOAD_SECONDS = 1;

const PENDING_KEY_FILE = 'signing-key.pending.json';
const PREVIOUS_KEY_FILE = 'signing-key.previous.json';

const documentText = (version: KeyVersion) => `${JSON.stringify(keyDocumentOf(version), null, 2)}\n`;

export class LocalKeyStore implements SigningKeyStore {
  constructor(
    private readonly dir: string,
    private readonly now: () => number,
  ) {}

  private read(file: string): KeyVersion | undefined {
    return keyVersionOf(readIfPresent(join(this.dir, file)), file);
  }

  async slots(): Promise<KeySlots> {
    return {
      current: this.read(ACTIVE_KEY_FILE),
      pending: this.read(PENDING_KEY_FILE),
      previous: this.read(PREVIOUS_KEY_FILE),
    };
  }

  async putPending(version: KeyVersion): Promise<void> {
    const existing = this.read(PENDING_KEY_FILE);
    if (existing !== undefined && existing.versionId !== version.versionId)
      throw new Error('another rotation is pending');
    writeAtomically(join(this.dir, PENDING_KEY_FILE), documentText(version));
  }

  async activate(pending: KeyVersion, keyPairId: string): Promise<void> {
    const current = this.read(ACTIVE_KEY_FILE);
    if (current?.versionId === pending.versionId) return;
    if (this.read(PREVIOUS_KEY_FILE) !== undefined) throw new Error('the previous key is not retired yet');
    // Previous first: a failure between the two writes leaves the old key active and recorded twice.
    if (current !== undefined) writeAtomically(join(this.dir, PREVIOUS_KEY_FILE), documentText(current));
    writeAtomically(join(this.dir, ACTIVE_KEY_FILE), documentText({ ...pending, keyPairId, activatedAt: this.now() }));
  }

  async clearPending(versionId: string): Promise<void> {
    if (this.read(PENDING_KEY_FILE)?.versionId === versionId) rmSync(join(this.dir, PENDING_KEY_FILE), { force: true });
  }

  async forgetPrevious(versionId: string): Promise<void> {
    if (this.read(PREVIOUS_KEY_FILE)?.versionId === versionId)
      rmSync(join(this.dir, PREVIOUS_KEY_FILE), { force: true });
  }
}

interface PublicKeyEntry {
  id: string;
  name: string;
  publicKeyPem: string;
}

export class LocalCloudFront implements CloudFrontKeyPort {
  private readonly publicKeysFile: string;

  constructor(
    dir: string,
    private readonly keyGroupFile: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.publicKeysFile = join(dir, PUBLIC_KEYS_FILE);
  }

  private publicKeys(): PublicKeyEntry[] {
    const text = readIfPresent(this.publicKeysFile);
    return text === undefined ? [] : ((JSON.parse(text) as { keys: PublicKeyEntry[] }).keys ?? []);
  }

  private savePublicKeys(keys: PublicKeyEntry[]): void {
    writeAtomically(this.publicKeysFile, `${JSON.stringify({ keys }, null, 2)}\n`, 0o644);
  }

  async findPublicKey(name: string): Promise<string | undefined> {
    return this.publicKeys().find((key) => key.name === name)?.id;
  }

  async publicKeyExists(id: string): Promise<boolean> {
    return this.publicKeys().some((key) => key.id === id);
  }

  async createPublicKey(name: string, publicKeyPem: string): Promise<string> {
    const keys = this.publicKeys();
    const existing = keys.find((key) => key.name === name);
    if (existing !== undefined) return existing.id;
    const id = `KLOCAL${randomBytes(5).toString('hex').toUpperCase()}`;
    this.savePublicKeys([...keys, { id, name, publicKeyPem: publicKeyPem.trim() }]);
    return id;
  }

  async deletePublicKey(id: string): Promise<void> {
    if ((await this.keyGroup()).keyIds.includes(id)) throw new Error(`public key ${id} is in the key group`);
    this.savePublicKeys(this.publicKeys().filter((key) => key.id !== id));
  }

  async keyGroup(): Promise<KeyGroupState> {
    const parsed = JSON.parse(readFileSync(this.keyGroupFile, 'utf8')) as { keys: { id: string }[] };
    return {
      keyIds: parsed.keys.map((key) => key.id),
      lastModified: Math.floor(statSync(this.keyGroupFile).mtimeMs / 1000),
    };
  }

  async setKeyGroup(keyIds: readonly string[]): Promise<void> {
    const known = this.publicKeys();
    const keys = keyIds.map((id) => {
      const key = known.find((entry) => entry.id === id);
      if (key === undefined) throw new Error(`no public key ${id}`);
      return { id, publicKeyPem: key.publicKeyPem };
    });
    writeAtomically(this.keyGroupFile, `${JSON.stringify({ keys }, null, 2)}\n`, 0o644);
  }

  /** The edge re-reads the file at most once a second: after that it trusts what the file says. */
  async deployed(): Promise<boolean> {
    return this.nowMs() - statSync(this.keyGroupFile).mtimeMs > (LOCAL_EDGE_RELOAD_SECONDS + 0.5) * 1000;
  }
}

/** Local timings: the API re-checks its key file on every signature and the clock is shared. */
export function localRotationPolicy(
  signedTtlSeconds: number,
  algorithm: CloudFrontKeyAlgorithm = 'RSA_2048',
): RotationPolicy {
  return {
    rotateAfterSeconds: 30 * 86400,
    signedTtlSeconds,
    signerRefreshSeconds: 1,
    clockToleranceSeconds: 1,
    settleSeconds: LOCAL_EDGE_RELOAD_SECONDS + 1,
    pollSeconds: 1,
    algorithm,
    namePrefix: 'local',
  };
}

export function localRotationPorts(dir: string, keyGroupFile = join(dir, KEY_GROUP_FILE)): RotationPorts {
  const now = () => Math.floor(Date.now() / 1000);
  return {
    store: new LocalKeyStore(dir, now),
    cloudFront: new LocalCloudFront(dir, keyGroupFile),
    now,
    newVersionId: randomUUID,
  };
}

/**
 * The folder's active key, of `algorithm`: made so on a new folder; on a folder whose key is of
 * the other type, switched by the rotation's own steps (the new key trusted, the edge given time
 * to re-read the key group, then activated), so grants signed with the old key keep playing until
 * they expire and `npm run rotate-keys` retires it later. A rotation still in its overlap would
 * make this wait up to a grant's lifetime: refused instead, saying what to run.
 */
export async function ensureLocalKeyAlgorithm(options: {
  dir: string;
  keyGroupFile?: string;
  algorithm: CloudFrontKeyAlgorithm;
  signedTtlSeconds: number;
  onSwitch?: (from: CloudFrontKeyAlgorithm | undefined) => void;
}): Promise<LocalCloudFrontKey> {
  const { dir, algorithm } = options;
  const activeAlgorithm = (): CloudFrontKeyAlgorithm | undefined => {
    const text = readIfPresent(join(dir, ACTIVE_KEY_FILE));
    const pem = keyVersionOf(text, ACTIVE_KEY_FILE)?.privateKeyPem;
    return pem === undefined ? undefined : cloudFrontKeyAlgorithmOf(createPrivateKey(pem));
  };
  const key = ensureCloudFrontKey(dir, algorithm);
  const from = activeAlgorithm();
  if (from === algorithm) return key;
  options.onSwitch?.(from);
  const ports = localRotationPorts(dir, options.keyGroupFile ?? key.keyGroupFile);
  const policy = localRotationPolicy(options.signedTtlSeconds, algorithm);
  let force = true;
  while (activeAlgorithm() !== algorithm) {
    const run = await runRotation(ports, policy, { force });
    if (run.performed.some((step) => step.kind === 'generate')) force = false;
    const stop = run.stoppedAt;
    if (activeAlgorithm() === algorithm) break;
    if (stop.kind !== 'wait' || stop.reason !== 'deployment')
      throw new Error(
        `${KEY_ALGORITHM_VARIABLE}=${algorithm}: ${dir} signs with ${from === undefined ? 'an unsupported key' : CLOUDFRONT_KEY_TYPES[from].label} and a key rotation there is still in its overlap; ` +
          `run \`${KEY_ALGORITHM_VARIABLE}=${algorithm} npm run rotate-keys\` (it waits for it) or use another STREAMGATE_LOCAL_DIR`,
      );
    await new Promise((done) => setTimeout(done, Math.max(200, stop.until * 1000 - Date.now() + 50)));
  }
  return ensureCloudFrontKey(dir, algorithm);
}
