/**
 * CloudFront signing-key rotation as a resumable state machine. The durable state lives only in
 * the systems it changes: the key store (Secrets Manager staging labels deployed, files locally)
 * and CloudFront (public keys, the key group, the distribution's status). Each run observes them,
 * `decideRotationStep` (pure) picks the one next step, the runner performs it and observes again,
 * until a step has to wait. So every step is idempotent, a run that fails anywhere is resumed by
 * the next one, and no execution state exists that could disagree with the world.
 *
 * The sequence, and the invariant each wait protects:
 *   generate   new pair, private key into the store's pending slot (AWSPENDING)
 *   publish    public key to CloudFront, named after the pending version (so a retry finds it)
 *   trust      add it to the key group
 *   deploy     wait until the distribution is Deployed and the key group change has settled:
 *              the signer must never use a key an edge does not trust yet
 *   activate   the pending key becomes the active slot (AWSCURRENT) with its key pair id; the old
 *              one becomes AWSPREVIOUS; the API's signers pick it up within their refresh period
 *   expire     wait refresh period + longest signed TTL + clock tolerance after activation:
 *              the last grant signed with the old key has expired by then
 *   retire     take the old key out of the key group, delete its public key, forget its version
 */
import { createPublicKey } from 'node:crypto';
import { type CloudFrontKeyAlgorithm, generateCloudFrontKeyPair } from './cloudfront-key-types';

/** One version of the signing secret (a Secrets Manager version, or a local file). */
export interface KeyVersion {
  /** Unique per rotation; names the public key and makes every write retry-safe. */
  readonly versionId: string;
  readonly privateKeyPem: string;
  /** Set once the public key is published (the active and previous versions always have it). */
  readonly keyPairId?: string;
  /** Epoch seconds the pair was generated. */
  readonly createdAt: number;
  /** Epoch seconds it became the active key (when it did). */
  readonly activatedAt?: number;
}

export interface KeySlots {
  /** The key the API signs with (AWSCURRENT). */
  readonly current?: KeyVersion;
  /** A rotation in progress (AWSPENDING). */
  readonly pending?: KeyVersion;
  /** The key replaced by the last rotation, trusted until its grants expire (AWSPREVIOUS). */
  readonly previous?: KeyVersion;
}

/** Where private keys live. Every write is idempotent for the same `versionId`. */
export interface SigningKeyStore {
  slots(): Promise<KeySlots>;
  /** Stores a new pair under the pending slot. */
  putPending(version: KeyVersion): Promise<void>;
  /** The pending version, now with its key pair id, becomes current; current becomes previous. */
  activate(pending: KeyVersion, keyPairId: string): Promise<void>;
  /** Removes the pending slot once its key is current. */
  clearPending(versionId: string): Promise<void>;
  /** Drops the previous slot once its key is retired. */
  forgetPrevious(versionId: string): Promise<void>;
}

export interface KeyGroupState {
  readonly keyIds: readonly string[];
  /** Epoch seconds of the last change to the key group. */
  readonly lastModified: number;
}

/** The CloudFront side: public keys, the one key group, the distribution(s) that trust it. */
export interface CloudFrontKeyPort {
  /** Id of the public key with this name, if it exists. */
  findPublicKey(name: string): Promise<string | undefined>;
  /** Creates it; answers the id of an existing key with that name and the same key. */
  createPublicKey(name: string, publicKeyPem: string): Promise<string>;
  publicKeyExists(id: string): Promise<boolean>;
  /** Deletes it; a key that is already gone is not an error. */
  deletePublicKey(id: string): Promise<void>;
  keyGroup(): Promise<KeyGroupState>;
  setKeyGroup(keyIds: readonly string[]): Promise<void>;
  /** Whether every distribution using the key group has finished deploying. */
  deployed(): Promise<boolean>;
}

export interface RotationPolicy {
  /** Start a rotation when the active key is this old. */
  readonly rotateAfterSeconds: number;
  /** The longest lifetime of a signed grant (SIGNED_TTL_SECONDS). */
  readonly signedTtlSeconds: number;
  /** The longest a signer keeps using a key after it stopped being current. */
  readonly signerRefreshSeconds: number;
  /** Clock difference allowed between the signer, CloudFront and this run. */
  readonly clockToleranceSeconds: number;
  /** Minimum time between a key group change and trusting it is deployed everywhere. */
  readonly settleSeconds: number;
  /** How long to wait before looking at the distribution again. */
  readonly pollSeconds: number;
  readonly algorithm: CloudFrontKeyAlgorithm;
  /** Prefix of public key names (CloudFront names are per account). */
  readonly namePrefix: string;
}

export interface Observation {
  readonly now: number;
  readonly slots: KeySlots;
  readonly keyGroup: KeyGroupState;
  /** The pending version's public key id, when it is published. */
  readonly pendingPublicKeyId?: string;
  readonly deployed: boolean;
  /** Whether the previous version's public key still exists in CloudFront. */
  readonly previousPublicKeyExists: boolean;
  /**
   * Whether the active key's public key still exists, observed only when the key group does not
   * trust it (a key group reused or edited by hand); undefined: not observed (taken as existing).
   */
  readonly currentPublicKeyExists?: boolean;
  /** Start a rotation now even if the key is not old (the on-demand run). */
  readonly force: boolean;
}

export type RotationStep =
  | { readonly kind: 'generate' }
  | { readonly kind: 'publish'; readonly pending: KeyVersion }
  | { readonly kind: 'trust'; readonly keyPairId: string }
  | { readonly kind: 'activate'; readonly pending: KeyVersion; readonly keyPairId: string }
  | { readonly kind: 'clear-pending'; readonly versionId: string }
  | { readonly kind: 'untrust'; readonly keyPairId: string }
  | { readonly kind: 'delete-public-key'; readonly keyPairId: string }
  | { readonly kind: 'forget-previous'; readonly versionId: string }
  /** Nothing can be done until `until` (epoch seconds); `reason` says what is awaited. */
  | { readonly kind: 'wait'; readonly until: number; readonly reason: 'deployment' | 'grant-expiry' }
  /** Nothing to do: the next rotation is due at `until`. */
  | { readonly kind: 'idle'; readonly until: number };

/** The public key name for a version: deterministic, so a retried publish finds its own key. */
export function publicKeyName(policy: Pick<RotationPolicy, 'namePrefix'>, versionId: string): string {
  return `${policy.namePrefix}-${versionId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128);
}

/** Seconds after activation before the previous key may be retired. */
export function overlapSeconds(policy: RotationPolicy): number {
  return policy.signerRefreshSeconds + policy.signedTtlSeconds + policy.clockToleranceSeconds;
}

/** The one next step, from what is observed. Pure. */
export function decideRotationStep(observed: Observation, policy: RotationPolicy): RotationStep {
  const { slots, keyGroup, now } = observed;
  const { current, pending, previous } = slots;
  const trusted = (id: string | undefined) => id !== undefined && keyGroup.keyIds.includes(id);

  // A pending version whose key is already current: the activation finished but its clean-up did not.
  if (pending !== undefined && current?.versionId === pending.versionId) {
    return { kind: 'clear-pending', versionId: pending.versionId };
  }
  // The active key must be trusted, whatever else is under way: a key group that lost it (reused
  // by name after a failed delete, or edited by hand) answers 403 to every grant signed with it.
  if (current?.keyPairId !== undefined && !trusted(current.keyPairId)) {
    if (observed.currentPublicKeyExists !== false) return { kind: 'trust', keyPairId: current.keyPairId };
    // Its public key is gone: nothing can trust that key again, so replace it now (a rotation).
    if (pending === undefined) return { kind: 'generate' };
  }
  // Retire the previous key before activating another: the key group then never holds more than
  // two of ours, and activation (which makes the current key the previous one) loses no key.
  if (previous !== undefined) {
    const id = previous.keyPairId;
    if (id !== undefined && id !== current?.keyPairId && trusted(id)) {
      const retireAt = (current?.activatedAt ?? now) + overlapSeconds(policy);
      if (now >= retireAt) return { kind: 'untrust', keyPairId: id };
      // A rotation started meanwhile may publish and deploy; it waits below only to activate.
      if (pending === undefined) return { kind: 'wait', until: retireAt, reason: 'grant-expiry' };
    } else if (id !== undefined && id !== current?.keyPairId && observed.previousPublicKeyExists) {
      return { kind: 'delete-public-key', keyPairId: id };
    } else {
      return { kind: 'forget-previous', versionId: previous.versionId };
    }
  }
  if (pending !== undefined) {
    const keyPairId = observed.pendingPublicKeyId;
    if (keyPairId === undefined) return { kind: 'publish', pending };
    if (!trusted(keyPairId)) return { kind: 'trust', keyPairId };
    const settledAt = keyGroup.lastModified + policy.settleSeconds;
    if (!observed.deployed || now < settledAt) {
      return { kind: 'wait', until: Math.max(now + policy.pollSeconds, settledAt), reason: 'deployment' };
    }
    if (previous !== undefined) {
      // Only a previous key still inside its overlap is left here (see above).
      return { kind: 'wait', until: (current?.activatedAt ?? now) + overlapSeconds(policy), reason: 'grant-expiry' };
    }
    return { kind: 'activate', pending, keyPairId };
  }
  if (current === undefined || observed.force) return { kind: 'generate' };
  const dueAt = (current.activatedAt ?? current.createdAt) + policy.rotateAfterSeconds;
  return now >= dueAt ? { kind: 'generate' } : { kind: 'idle', until: dueAt };
}

export interface RotationPorts {
  readonly store: SigningKeyStore;
  readonly cloudFront: CloudFrontKeyPort;
  /** Epoch seconds. */
  readonly now: () => number;
  /** A new unique version id (a UUID). */
  readonly newVersionId: () => string;
}

export interface RotationRun {
  /** The steps performed, in order. */
  readonly performed: RotationStep[];
  /** Where the run stopped: a wait, or idle. */
  readonly stoppedAt: Extract<RotationStep, { kind: 'wait' | 'idle' }>;
  /** Age in seconds of the key the API signs with, after the run (undefined: none yet). */
  readonly activeKeyAgeSeconds?: number;
  readonly activeKeyPairId?: string;
}

/** Observes, decides and performs steps until one has to wait (at most `maxSteps`). */
export async function runRotation(
  ports: RotationPorts,
  policy: RotationPolicy,
  options: { force?: boolean; maxSteps?: number } = {},
): Promise<RotationRun> {
  const performed: RotationStep[] = [];
  let force = options.force === true;
  for (let i = 0; i < (options.maxSteps ?? 20); i++) {
    const observed = await observe(ports, policy, force);
    const step = decideRotationStep(observed, policy);
    if (step.kind === 'wait' || step.kind === 'idle') {
      const current = observed.slots.current;
      return {
        performed,
        stoppedAt: step,
        activeKeyPairId: current?.keyPairId,
        activeKeyAgeSeconds:
          current === undefined ? undefined : observed.now - (current.activatedAt ?? current.createdAt),
      };
    }
    await perform(step, ports, policy);
    performed.push(step);
    if (step.kind === 'generate') force = false; // forced once: the rotation it started is now pending
  }
  throw new Error(`signing-key rotation did not settle within ${options.maxSteps ?? 20} steps`);
}

async function observe(ports: RotationPorts, policy: RotationPolicy, force: boolean): Promise<Observation> {
  const [slots, keyGroup, deployed] = await Promise.all([
    ports.store.slots(),
    ports.cloudFront.keyGroup(),
    ports.cloudFront.deployed(),
  ]);
  const { current, pending, previous } = slots;
  const untrustedCurrent =
    current?.keyPairId !== undefined && !keyGroup.keyIds.includes(current.keyPairId) ? current.keyPairId : undefined;
  const [pendingPublicKeyId, previousPublicKeyExists, currentPublicKeyExists] = await Promise.all([
    pending === undefined ? undefined : ports.cloudFront.findPublicKey(publicKeyName(policy, pending.versionId)),
    previous?.keyPairId === undefined ? false : ports.cloudFront.publicKeyExists(previous.keyPairId),
    untrustedCurrent === undefined ? undefined : ports.cloudFront.publicKeyExists(untrustedCurrent),
  ]);
  return {
    now: ports.now(),
    slots,
    keyGroup,
    deployed,
    pendingPublicKeyId,
    previousPublicKeyExists,
    currentPublicKeyExists,
    force,
  };
}

async function perform(step: RotationStep, ports: RotationPorts, policy: RotationPolicy): Promise<void> {
  const { store, cloudFront } = ports;
  switch (step.kind) {
    case 'generate': {
      const { privateKey } = generateCloudFrontKeyPair(policy.algorithm);
      const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await store.putPending({ versionId: ports.newVersionId(), privateKeyPem, createdAt: ports.now() });
      return;
    }
    case 'publish':
      await cloudFront.createPublicKey(publicKeyName(policy, step.pending.versionId), publicKeyPemOf(step.pending));
      return;
    case 'trust': {
      const group = await cloudFront.keyGroup();
      if (!group.keyIds.includes(step.keyPairId)) await cloudFront.setKeyGroup([...group.keyIds, step.keyPairId]);
      return;
    }
    case 'activate':
      await store.activate(step.pending, step.keyPairId);
      return;
    case 'clear-pending':
      await store.clearPending(step.versionId);
      return;
    case 'untrust': {
      const group = await cloudFront.keyGroup();
      const remaining = group.keyIds.filter((id) => id !== step.keyPairId);
      if (remaining.length === 0) throw new Error('refusing to empty the key group');
      if (remaining.length !== group.keyIds.length) await cloudFront.setKeyGroup(remaining);
      return;
    }
    case 'delete-public-key':
      await cloudFront.deletePublicKey(step.keyPairId);
      return;
    case 'forget-previous':
      await store.forgetPrevious(step.versionId);
      return;
  }
}

/** What the bootstrap (lambda/runtime/signing-key-bootstrap.ts) leaves in CloudFront. */
export interface KeyGroupPlan {
  /** The key group's members: exactly these. */
  readonly members: readonly string[];
  /** Public keys of ours (named with the prefix) that no slot needs: leftovers to delete. */
  readonly deleteKeys: readonly string[];
}

/**
 * The key group trusts the active key, plus what the rotation still needs of the members it
 * already has (a pending key it trusted, the previous key until retired); any other member is a
 * leftover of an earlier stack of the same name, or a hand edit. A public key of ours that no
 * slot names (by key pair id, or by the name its version gives it) is a leftover too: of a
 * failed create, or of a delete that could not finish. Pure.
 */
export function keyGroupPlan(input: {
  readonly slots: KeySlots;
  /** The current members, when the key group exists. */
  readonly members: readonly string[];
  /** Every public key named with `namePrefix-`. */
  readonly ourKeys: readonly { readonly id: string; readonly name: string }[];
  readonly namePrefix: string;
}): KeyGroupPlan {
  const { slots, members, ourKeys, namePrefix } = input;
  const active = slots.current?.keyPairId;
  if (active === undefined) throw new Error('the active key has no public key yet');
  const versions = [slots.current, slots.pending, slots.previous].flatMap((version) =>
    version === undefined ? [] : [version],
  );
  const slotNames = new Set(versions.map((version) => publicKeyName({ namePrefix }, version.versionId)));
  const needed = new Set([
    ...versions.flatMap((version) => (version.keyPairId === undefined ? [] : [version.keyPairId])),
    ...ourKeys.filter((key) => slotNames.has(key.name)).map((key) => key.id),
  ]);
  const kept = [active, ...members.filter((id) => id !== active && needed.has(id))];
  return {
    members: kept,
    deleteKeys: ourKeys.map((key) => key.id).filter((id) => !needed.has(id) && !kept.includes(id)),
  };
}

/** The SPKI PEM CloudFront takes for a version's private key. */
export function publicKeyPemOf(version: Pick<KeyVersion, 'privateKeyPem'>): string {
  return createPublicKey(version.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** The signing secret's value: what the API reads from the active slot. */
export interface SigningKeyDocument {
  readonly privateKey: string;
  readonly keyPairId?: string;
  readonly versionId?: string;
  readonly createdAt?: number;
  readonly activatedAt?: number;
}

export function keyDocumentOf(version: KeyVersion): SigningKeyDocument {
  return {
    privateKey: version.privateKeyPem,
    keyPairId: version.keyPairId,
    versionId: version.versionId,
    createdAt: version.createdAt,
    activatedAt: version.activatedAt,
  };
}

/** A version from a stored document; undefined when the text is not one (e.g. a placeholder). */
export function keyVersionOf(text: string | undefined, fallbackVersionId: string): KeyVersion | undefined {
  if (text === undefined || !text.trimStart().startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const doc = parsed as Record<string, unknown>;
  if (typeof doc.privateKey !== 'string') return undefined;
  const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  return {
    versionId: typeof doc.versionId === 'string' ? doc.versionId : fallbackVersionId,
    privateKeyPem: doc.privateKey,
    keyPairId: typeof doc.keyPairId === 'string' ? doc.keyPairId : undefined,
    createdAt: num(doc.createdAt) ?? 0,
    activatedAt: num(doc.activatedAt),
  };
}
