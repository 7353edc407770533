/**
 * The signing-key rotation state machine (lambda/core/signing-key-rotation.ts) over in-memory
 * ports, with real keys: every key generated is a real RSA/P-256 pair, and "the signer works"
 * means a policy signed with the active private key verifies against the public key CloudFront
 * holds under that key pair id. The fakes are also safety monitors: CloudFront refuses to drop a
 * key while grants signed with it may live, and the store refuses to activate a key the
 * distribution does not trust yet. Each port operation is made to fail once, before or after
 * its effect (a lost response), and later runs must finish the rotation.
 */
import { createSign, createVerify, randomUUID } from 'node:crypto';
import {
  type CloudFrontKeyPort,
  decideRotationStep,
  type KeyGroupState,
  type KeySlots,
  type KeyVersion,
  type Observation,
  overlapSeconds,
  publicKeyPemOf,
  type RotationPolicy,
  type RotationPorts,
  runRotation,
  type SigningKeyStore,
} from '../../lambda/core/signing-key-rotation';
import { generateCloudFrontKeyPair } from '../../lambda/core/cloudfront-key-types';

const policy: RotationPolicy = {
  rotateAfterSeconds: 30 * 86400,
  signedTtlSeconds: 300,
  signerRefreshSeconds: 60,
  clockToleranceSeconds: 30,
  settleSeconds: 60,
  pollSeconds: 30,
  algorithm: 'ECDSA_P256',
  namePrefix: 'streamgate-test',
};
const DEPLOY_SECONDS = 240;

class Clock {
  constructor(public now = 1_800_000_000) {}
}

class Failure extends Error {}

/** Fails the named operation once, before or after its effect. */
class Faults {
  private armed?: { op: string; when: 'before' | 'after' };
  arm(op: string, when: 'before' | 'after'): void {
    this.armed = { op, when };
  }
  async around<T>(op: string, effect: () => T | Promise<T>): Promise<T> {
    if (this.armed?.op === op && this.armed.when === 'before') {
      this.armed = undefined;
      throw new Failure(`${op} failed before its effect`);
    }
    const result = await effect();
    if (this.armed?.op === op && this.armed.when === 'after') {
      this.armed = undefined;
      throw new Failure(`${op} failed after its effect (response lost)`);
    }
    return result;
  }
}

class FakeCloudFront implements CloudFrontKeyPort {
  readonly keys = new Map<string, { name: string; pem: string }>();
  group: string[] = [];
  groupModified = 0;
  deployedAt = 0;
  /** When the edges started trusting each key (the deployment that added it finished). */
  readonly trustedSince = new Map<string, number>();
  private next = 1;
  /** When each key id stopped being the one signed with (set by the store). */
  readonly retiredFromSigning = new Map<string, number>();
  constructor(
    private readonly clock: Clock,
    private readonly faults: Faults,
  ) {}
  findPublicKey(name: string) {
    return this.faults.around('findPublicKey', () => [...this.keys].find(([, key]) => key.name === name)?.[0]);
  }
  publicKeyExists(id: string) {
    return this.faults.around('publicKeyExists', () => this.keys.has(id));
  }
  createPublicKey(name: string, pem: string) {
    return this.faults.around('createPublicKey', () => {
      const existing = [...this.keys].find(([, key]) => key.name === name);
      if (existing !== undefined) {
        if (existing[1].pem !== pem) throw new Error('PublicKeyAlreadyExists with another key');
        return existing[0];
      }
      const id = `K${String(this.next++).padStart(6, '0')}`;
      this.keys.set(id, { name, pem });
      return id;
    });
  }
  deletePublicKey(id: string) {
    return this.faults.around('deletePublicKey', () => {
      if (this.group.includes(id)) throw new Error('PublicKeyInUse');
      this.keys.delete(id);
    });
  }
  keyGroup() {
    return this.faults.around(
      'keyGroup',
      (): KeyGroupState => ({ keyIds: [...this.group], lastModified: this.groupModified }),
    );
  }
  setKeyGroup(ids: readonly string[]) {
    return this.faults.around('setKeyGroup', () => {
      for (const removed of this.group.filter((id) => !ids.includes(id))) {
        const stopped = this.retiredFromSigning.get(removed);
        const safeAt = (stopped ?? Number.POSITIVE_INFINITY) + policy.signerRefreshSeconds + policy.signedTtlSeconds;
        if (this.clock.now < safeAt) throw new Error(`unsafe: ${removed} untrusted while its grants may live`);
      }
      for (const id of ids) if (!this.keys.has(id)) throw new Error(`no public key ${id}`);
      this.deployedAt = this.clock.now + DEPLOY_SECONDS;
      for (const id of ids) if (!this.group.includes(id)) this.trustedSince.set(id, this.deployedAt);
      this.group = [...ids];
      this.groupModified = this.clock.now;
    });
  }
  deployed() {
    return this.faults.around('deployed', () => this.clock.now >= this.deployedAt);
  }
  /** What the edges trust: the key group once its deployment finished. */
  edgeTrusts(id: string): boolean {
    return this.group.includes(id) && this.clock.now >= (this.trustedSince.get(id) ?? Number.POSITIVE_INFINITY);
  }
}

class FakeStore implements SigningKeyStore {
  current?: KeyVersion;
  pending?: KeyVersion;
  previous?: KeyVersion;
  constructor(
    private readonly clock: Clock,
    private readonly faults: Faults,
    private readonly cloudFront: FakeCloudFront,
  ) {}
  slots() {
    return this.faults.around(
      'slots',
      (): KeySlots => ({ current: this.current, pending: this.pending, previous: this.previous }),
    );
  }
  putPending(version: KeyVersion) {
    return this.faults.around('putPending', () => {
      if (this.pending !== undefined && this.pending.versionId !== version.versionId)
        throw new Error('another rotation is pending');
      this.pending = version;
    });
  }
  activate(pending: KeyVersion, keyPairId: string) {
    return this.faults.around('activate', () => {
      if (this.current?.versionId === pending.versionId) return;
      if (!this.cloudFront.edgeTrusts(keyPairId))
        throw new Error(`unsafe: activating ${keyPairId} before edges trust it`);
      if (this.previous !== undefined) throw new Error('unsafe: activation would lose the previous key');
      if (this.current?.keyPairId !== undefined)
        this.cloudFront.retiredFromSigning.set(this.current.keyPairId, this.clock.now);
      this.previous = this.current;
      this.current = { ...pending, keyPairId, activatedAt: this.clock.now };
    });
  }
  clearPending(versionId: string) {
    return this.faults.around('clearPending', () => {
      if (this.pending?.versionId === versionId) this.pending = undefined;
    });
  }
  forgetPrevious(versionId: string) {
    return this.faults.around('forgetPrevious', () => {
      if (this.previous?.versionId === versionId) this.previous = undefined;
    });
  }
}

function world() {
  const clock = new Clock();
  const faults = new Faults();
  const cloudFront = new FakeCloudFront(clock, faults);
  const store = new FakeStore(clock, faults, cloudFront);
  const ports: RotationPorts = { store, cloudFront, now: () => clock.now, newVersionId: randomUUID };
  return { clock, faults, cloudFront, store, ports };
}

/** A deployed stack: one key, active for a while, trusted and deployed. */
function bootstrapped() {
  const w = world();
  const { privateKey } = generateCloudFrontKeyPair(policy.algorithm);
  const version: KeyVersion = {
    versionId: randomUUID(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAt: w.clock.now - 31 * 86400,
    activatedAt: w.clock.now - 31 * 86400,
  };
  w.cloudFront.keys.set('K000000', { name: 'bootstrap', pem: publicKeyPemOf(version) });
  w.cloudFront.group = ['K000000'];
  w.cloudFront.trustedSince.set('K000000', 0);
  w.store.current = { ...version, keyPairId: 'K000000' };
  return w;
}

/** The signer works: a policy signed with the active key verifies with what CloudFront trusts. */
function expectSignerTrusted(w: ReturnType<typeof world>): void {
  const current = w.store.current;
  expect(current?.keyPairId).toBeDefined();
  const id = current?.keyPairId ?? '';
  expect(w.cloudFront.edgeTrusts(id)).toBe(true);
  const policyText = JSON.stringify({
    Statement: [{ Resource: 'https://x/*', Condition: { DateLessThan: { 'AWS:EpochTime': w.clock.now + 300 } } }],
  });
  const signature = createSign('SHA256')
    .update(policyText)
    .sign(current?.privateKeyPem ?? '');
  const publicPem = w.cloudFront.keys.get(id)?.pem ?? '';
  expect(createVerify('SHA256').update(policyText).verify(publicPem, signature)).toBe(true);
}

/** Runs rotation like the scheduler does until it is idle again, checking the signer each run. */
async function driveToIdle(w: ReturnType<typeof world>, options: { force?: boolean } = {}) {
  const errors: string[] = [];
  let force = options.force === true;
  for (let run = 0; run < 40; run++) {
    try {
      const result = await runRotation(w.ports, policy, { force });
      force = false;
      if (w.store.current !== undefined) expectSignerTrusted(w);
      if (result.stoppedAt.kind === 'idle') return { result, errors };
      w.clock.now = Math.max(w.clock.now + 1, result.stoppedAt.until);
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
      errors.push(error.message);
      w.clock.now += 60; // the next scheduled run
    }
  }
  throw new Error('rotation never became idle');
}

function expectRotatedOnce(w: ReturnType<typeof world>, oldKeyPairId: string): void {
  expect(w.store.pending).toBeUndefined();
  expect(w.store.previous).toBeUndefined();
  const id = w.store.current?.keyPairId;
  expect(id).toBeDefined();
  expect(id).not.toBe(oldKeyPairId);
  expect(w.cloudFront.group).toEqual([id]);
  expect([...w.cloudFront.keys.keys()]).toEqual([id]);
  expectSignerTrusted(w);
}

describe('a scheduled rotation, step by step', () => {
  it('publishes, waits for deployment, activates, waits for the old grants, then retires the old key', async () => {
    const w = bootstrapped();
    const first = await runRotation(w.ports, policy);
    expect(first.performed.map((s) => s.kind)).toEqual(['generate', 'publish', 'trust']);
    expect(first.stoppedAt).toMatchObject({ kind: 'wait', reason: 'deployment' });
    expect(w.cloudFront.group).toHaveLength(2);
    expect(w.store.current?.keyPairId).toBe('K000000'); // still signing with the old key

    // Not yet deployed: nothing moves.
    w.clock.now += 60;
    expect((await runRotation(w.ports, policy)).performed).toEqual([]);

    w.clock.now += DEPLOY_SECONDS;
    const second = await runRotation(w.ports, policy);
    expect(second.performed.map((s) => s.kind)).toEqual(['activate', 'clear-pending']);
    expect(second.stoppedAt).toEqual({
      kind: 'wait',
      until: w.clock.now + overlapSeconds(policy),
      reason: 'grant-expiry',
    });
    expect(w.store.previous?.keyPairId).toBe('K000000');
    expect(w.cloudFront.group).toContain('K000000'); // both trusted during the overlap
    expectSignerTrusted(w);

    w.clock.now += overlapSeconds(policy) - 1;
    expect((await runRotation(w.ports, policy)).performed).toEqual([]);
    w.clock.now += 1;
    const third = await runRotation(w.ports, policy);
    expect(third.performed.map((s) => s.kind)).toEqual(['untrust', 'delete-public-key', 'forget-previous']);
    expect(third.stoppedAt).toEqual({
      kind: 'idle',
      until: (w.store.current?.activatedAt ?? 0) + policy.rotateAfterSeconds,
    });
    expect(third.activeKeyAgeSeconds).toBe(overlapSeconds(policy));
    expectRotatedOnce(w, 'K000000');
  });

  it('does nothing before the key is due, and reports its age', async () => {
    const w = bootstrapped();
    w.store.current = { ...(w.store.current as KeyVersion), activatedAt: w.clock.now - 86400 };
    const run = await runRotation(w.ports, policy);
    expect(run.performed).toEqual([]);
    expect(run.stoppedAt).toEqual({ kind: 'idle', until: w.clock.now - 86400 + policy.rotateAfterSeconds });
    expect(run.activeKeyAgeSeconds).toBe(86400);
    expect(run.activeKeyPairId).toBe('K000000');
  });

  it('rotates a young key on demand (force), and only once', async () => {
    const w = bootstrapped();
    w.store.current = { ...(w.store.current as KeyVersion), activatedAt: w.clock.now - 10 };
    await driveToIdle(w, { force: true });
    expectRotatedOnce(w, 'K000000');
  });

  it('bootstraps an empty store: the first key is activated once deployed, with no previous key', async () => {
    const w = world();
    await driveToIdle(w);
    expect(w.store.current?.keyPairId).toBeDefined();
    expect(w.cloudFront.group).toEqual([w.store.current?.keyPairId]);
  });

  it('a forced run during an overlap starts nothing: the old key keeps its slot until its grants expire', async () => {
    const w = bootstrapped();
    await runRotation(w.ports, policy);
    w.clock.now += DEPLOY_SECONDS + 1;
    await runRotation(w.ports, policy); // activated; overlap starts
    const activatedAt = w.clock.now;
    w.clock.now += 10;
    const forced = await runRotation(w.ports, policy, { force: true });
    expect(forced.performed).toEqual([]);
    expect(forced.stoppedAt).toEqual({
      kind: 'wait',
      until: activatedAt + overlapSeconds(policy),
      reason: 'grant-expiry',
    });
    expect(w.cloudFront.group).toEqual(['K000000', w.store.current?.keyPairId]);
    await driveToIdle(w);
    expectRotatedOnce(w, 'K000000');
  });
});

const OPERATIONS = [
  'slots',
  'putPending',
  'findPublicKey',
  'createPublicKey',
  'keyGroup',
  'setKeyGroup',
  'deployed',
  'activate',
  'clearPending',
  'publicKeyExists',
  'deletePublicKey',
  'forgetPrevious',
] as const;

describe('every step failing once, before or after its effect, is resumed by the next run', () => {
  for (const op of OPERATIONS) {
    for (const when of ['before', 'after'] as const) {
      it(`${op} fails ${when} its effect`, async () => {
        const w = bootstrapped();
        // Let the rotation get to the step first when it is a later one.
        if (['activate', 'clearPending', 'deployed'].includes(op)) {
          await runRotation(w.ports, policy);
          w.clock.now += DEPLOY_SECONDS;
        }
        if (['publicKeyExists', 'deletePublicKey', 'forgetPrevious'].includes(op)) {
          await runRotation(w.ports, policy);
          w.clock.now += DEPLOY_SECONDS;
          await runRotation(w.ports, policy);
          w.clock.now += overlapSeconds(policy);
        }
        w.faults.arm(op, when);
        const { errors } = await driveToIdle(w);
        expect(errors).toEqual([expect.stringContaining(op)]);
        expectRotatedOnce(w, 'K000000');
      });
    }
  }
});

describe('decideRotationStep (pure)', () => {
  const base = (slots: KeySlots, extra: Partial<Observation> = {}): Observation => ({
    now: 1000,
    slots,
    keyGroup: { keyIds: ['KOLD'], lastModified: 0 },
    deployed: true,
    previousPublicKeyExists: false,
    force: false,
    ...extra,
  });
  const version = (id: string, extra: Partial<KeyVersion> = {}): KeyVersion => ({
    versionId: id,
    privateKeyPem: 'unused',
    createdAt: 0,
    ...extra,
  });

  it('never activates before the key group change has settled, even when the distribution says Deployed', () => {
    const step = decideRotationStep(
      base(
        { current: version('old', { keyPairId: 'KOLD', activatedAt: 0 }), pending: version('new') },
        { keyGroup: { keyIds: ['KOLD', 'KNEW'], lastModified: 990 }, pendingPublicKeyId: 'KNEW' },
      ),
      policy,
    );
    expect(step).toEqual({ kind: 'wait', until: 990 + policy.settleSeconds, reason: 'deployment' });
  });

  it('never untrusts the key it signs with', () => {
    const step = decideRotationStep(
      base({
        current: version('a', { keyPairId: 'KOLD', activatedAt: 0 }),
        previous: version('a', { keyPairId: 'KOLD' }),
      }),
      policy,
    );
    expect(step).toEqual({ kind: 'forget-previous', versionId: 'a' });
  });
});
