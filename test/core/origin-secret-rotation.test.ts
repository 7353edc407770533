/**
 * The header-secret rotation steps (lambda/core/origin-secret-rotation.ts) over an in-memory
 * secret (Secrets Manager's label semantics) and distribution, with receivers modelled as
 * Secrets Manager readers: at every moment, the value the distribution sends must be one the
 * receiver accepts, and so must every value an edge may still send while the distribution
 * deploys (CloudFront's `InProgress`: edges switch one by one). Every step is run twice (Secrets
 * Manager may repeat one) and made to fail once; the rotation then completes.
 */
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import {
  ORIGIN_SECRET_STEPS,
  type OriginHeaderSender,
  type OriginSecretStore,
  rotateOriginSecretStep,
} from '../../lambda/core/origin-secret-rotation';
import { distributionSender } from '../../lambda/handlers/rotate-origin-secret';

class World implements OriginSecretStore, OriginHeaderSender {
  now = 1000;
  versions = new Map<string, { value: string; stages: Set<string>; createdAt: number }>([
    ['v0', { value: 'old-value-0123456789', stages: new Set(['AWSCURRENT']), createdAt: 0 }],
  ]);
  sent = 'old-value-0123456789';
  /** What edges may send: the values of every change not yet deployed, and the config's. */
  inFlight = ['old-value-0123456789'];
  /** Epoch seconds the distribution's last change finishes deploying. */
  deployedAt = 0;
  failNext?: string;
  /** Every value the receiver was sent while it did not accept it. */
  refused: string[] = [];
  constructor(private readonly accepts: readonly string[]) {}

  private maybeFail(op: string): void {
    if (this.failNext === op) {
      this.failNext = undefined;
      throw new Error(`${op} failed`);
    }
  }
  accepted(): string[] {
    return [...this.versions.values()].filter((v) => this.accepts.some((s) => v.stages.has(s))).map((v) => v.value);
  }
  check(): void {
    this.settle();
    for (const value of this.inFlight) if (!this.accepted().includes(value)) this.refused.push(value);
  }
  /** Once deployed, every edge sends the config's value. */
  settle(): void {
    if (this.now >= this.deployedAt) this.inFlight = [this.sent];
  }
  async versionValue(token: string) {
    return this.versions.get(token)?.value;
  }
  async versionCreatedAt(token: string) {
    return this.versions.get(token)?.createdAt;
  }
  async putPending(token: string, value: string) {
    this.maybeFail('putPending');
    this.versions.set(token, { value, stages: new Set(['AWSPENDING']), createdAt: this.now });
  }
  async currentVersion() {
    return [...this.versions].find(([, v]) => v.stages.has('AWSCURRENT'))?.[0];
  }
  async promote(token: string, from: string | undefined) {
    this.maybeFail('promote');
    for (const v of this.versions.values()) v.stages.delete('AWSPREVIOUS');
    if (from !== undefined) {
      this.versions.get(from)?.stages.delete('AWSCURRENT');
      this.versions.get(from)?.stages.add('AWSPREVIOUS');
    }
    this.versions.get(token)?.stages.add('AWSCURRENT');
    this.versions.get(token)?.stages.delete('AWSPENDING');
    this.check();
  }
  async sentValues() {
    return [this.sent];
  }
  async send(value: string) {
    this.maybeFail('send');
    this.sent = value;
    this.inFlight.push(value);
    this.deployedAt = this.now + DEPLOYMENT_SECONDS;
    this.check();
  }
  async deployed() {
    this.settle();
    return this.now >= this.deployedAt;
  }
}

/** How long a distribution change takes to reach every edge, here. */
const DEPLOYMENT_SECONDS = 600;

type Order = 'send-then-promote' | 'promote-then-send';

/** The rotation's options over the world: its clock, sleeping moves it on. */
function optionsFor(world: World, order: Order, rotation: { value: string; deploymentWaitSeconds?: number }) {
  return {
    store: world,
    sender: world,
    now: () => world.now,
    sleep: async (seconds: number) => {
      world.now += seconds;
    },
    receiverRefreshSeconds: 60,
    newValue: () => rotation.value,
    order,
    deploymentWaitSeconds: rotation.deploymentWaitSeconds,
    pollSeconds: 30,
  };
}

async function rotate(
  world: World,
  order: Order,
  failing?: string,
  rotation: { token: string; value: string; deploymentWaitSeconds?: number } = {
    token: 'token-1',
    value: 'new-value-0123456789',
  },
) {
  world.failNext = failing;
  const errors: string[] = [];
  for (const step of ORIGIN_SECRET_STEPS) {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const options = optionsFor(world, order, rotation);
        await rotateOriginSecretStep(step, rotation.token, options);
        await rotateOriginSecretStep(step, rotation.token, options); // a repeated call changes nothing more
        break;
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
  }
  return errors;
}

describe.each([
  ['send-then-promote', ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']],
  ['promote-then-send', ['AWSCURRENT', 'AWSPREVIOUS']],
] as const)('%s, with a receiver that reads %j', (order, accepts) => {
  for (const failing of [undefined, 'putPending', 'send', 'promote']) {
    it(`completes with no refused value${failing === undefined ? '' : ` when ${failing} fails once`}`, async () => {
      const world = new World(accepts);
      const errors = await rotate(world, order, failing);
      expect(errors).toEqual(failing === undefined ? [] : [`${failing} failed`]);
      expect(world.refused).toEqual([]);
      expect(world.sent).toBe('new-value-0123456789');
      expect(await world.versionValue((await world.currentVersion()) ?? '')).toBe('new-value-0123456789');
      // The old value stays accepted for edges that still send it.
      expect(world.accepted()).toContain('old-value-0123456789');
    });
  }
});

it('send-then-promote waits for the receivers to re-read before the distribution sends the new value', async () => {
  const world = new World(['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']);
  const options = {
    store: world,
    sender: world,
    now: () => world.now,
    sleep: async (seconds: number) => {
      world.now += seconds;
    },
    receiverRefreshSeconds: 60,
  };
  await rotateOriginSecretStep('createSecret', 't', options);
  const created = world.now;
  await rotateOriginSecretStep('setSecret', 't', options);
  expect(world.now).toBeGreaterThanOrEqual(created + 60);
});

it('the wrong order is caught: sending before promoting to a receiver that ignores AWSPENDING is refused', async () => {
  const world = new World(['AWSCURRENT', 'AWSPREVIOUS']);
  await rotate(world, 'send-then-promote');
  expect(world.refused).toEqual(['new-value-0123456789']);
});

describe.each([
  ['send-then-promote', ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']],
  ['promote-then-send', ['AWSCURRENT', 'AWSPREVIOUS']],
] as const)('two rotations inside one deployment (%s)', (order, accepts) => {
  const second = { token: 'token-2', value: 'newer-value-0123456789' };

  it('the second one, started while the first deploys, creates nothing and fails, to be retried later', async () => {
    const world = new World(accepts);
    expect(await rotate(world, order)).toEqual([]);
    expect(await world.deployed()).toBe(false);
    // Secrets Manager stops a rotation at its first failing step: createSecret here.
    const started = world.now;
    await expect(
      rotateOriginSecretStep('createSecret', second.token, optionsFor(world, order, second)),
    ).rejects.toThrow(/still deploying the last change; nothing was created/);
    expect(world.now).toBe(started); // no wait asked for, none made
    expect(await world.versionValue('token-2')).toBeUndefined();
    // The first rotation's value stays current and sent; edges still sending the one before it are accepted.
    expect(world.sent).toBe('new-value-0123456789');
    expect(world.refused).toEqual([]);
  });

  it('given time, it waits until the distribution is Deployed, then rotates with no refused value', async () => {
    const world = new World(accepts);
    expect(await rotate(world, order)).toEqual([]);
    const firstDeployed = world.deployedAt;
    expect(await rotate(world, order, undefined, { ...second, deploymentWaitSeconds: 900 })).toEqual([]);
    expect(world.versions.get('token-2')?.createdAt).toBeGreaterThanOrEqual(firstDeployed);
    expect(world.sent).toBe('newer-value-0123456789');
    expect(world.refused).toEqual([]);
    // Back to back once more, immediately: every edge's value stays accepted throughout.
    world.now = world.deployedAt;
    expect(
      await rotate(world, order, undefined, {
        token: 'token-3',
        value: 'newest-value-0123456789',
        deploymentWaitSeconds: 900,
      }),
    ).toEqual([]);
    expect(world.refused).toEqual([]);
  });

  it('a distribution sending another value than the current one (a rotation left half done) refuses to start', async () => {
    const world = new World(accepts);
    world.sent = 'stray-value-0123456789';
    world.inFlight = [world.sent];
    const errors = await rotate(world, order, undefined, { ...second, deploymentWaitSeconds: 900 });
    expect(errors[0]).toMatch(/does not send the current value/);
    expect(await world.versionValue('token-2')).toBeUndefined();
  });
});

describe('the distribution adapter (lambda/handlers/rotate-origin-secret.ts)', () => {
  /** GetDistributionConfig / UpdateDistribution with ETags, as CloudFront answers them. */
  function fakeCloudFront() {
    type Header = { HeaderName: string; HeaderValue: string };
    type Config = { Origins: { Items: { Id: string; CustomHeaders: { Quantity: number; Items: Header[] } }[] } };
    const config: Config = {
      Origins: {
        Items: [
          { Id: 'media', CustomHeaders: { Quantity: 0, Items: [] } },
          { Id: 'api', CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'x-origin-verify', HeaderValue: 'old' }] } },
          {
            Id: 'api2',
            CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'X-Origin-Verify', HeaderValue: 'old' }] },
          },
        ],
      },
    };
    const state = { etag: 'E1', updates: 0, config, status: 'Deployed' };
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name === 'GetDistributionConfigCommand') {
          return { DistributionConfig: structuredClone(state.config), ETag: state.etag };
        }
        if (command.constructor.name === 'UpdateDistributionCommand') {
          if (command.input.IfMatch !== state.etag) throw Object.assign(new Error('x'), { name: 'PreconditionFailed' });
          state.config = structuredClone(command.input.DistributionConfig) as Config;
          state.etag = `E${++state.updates + 1}`;
          state.status = 'InProgress';
          return {};
        }
        if (command.constructor.name === 'GetDistributionCommand') {
          if (command.input.Id !== 'E123') throw Object.assign(new Error('x'), { name: 'NoSuchDistribution' });
          return { Distribution: { Id: 'E123', Status: state.status } };
        }
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    };
    return { state, client: client as unknown as CloudFrontClient };
  }

  it('sets the header on every origin that carries it (any case), leaves the others, and uses the ETag', async () => {
    const { state, client } = fakeCloudFront();
    const sender = distributionSender(client, 'E123', 'x-origin-verify');
    expect(await sender.sentValues()).toEqual(['old', 'old']);
    await sender.send('new-value');
    expect(await sender.sentValues()).toEqual(['new-value', 'new-value']);
    expect(state.config.Origins.Items[0].CustomHeaders.Items).toEqual([]);
    expect(state.updates).toBe(1);
  });

  it("reads the distribution's status: InProgress after a change, Deployed once CloudFront says so", async () => {
    const { state, client } = fakeCloudFront();
    const sender = distributionSender(client, 'E123', 'x-origin-verify');
    expect(await sender.deployed()).toBe(true);
    await sender.send('new-value');
    expect(await sender.deployed()).toBe(false);
    state.status = 'Deployed';
    expect(await sender.deployed()).toBe(true);
  });

  it('refuses to "send" through a distribution with no origin carrying the header', async () => {
    const { client } = fakeCloudFront();
    await expect(distributionSender(client, 'E123', 'x-other').send('v')).rejects.toThrow(
      /no origin of E123 sends x-other/,
    );
  });
});
