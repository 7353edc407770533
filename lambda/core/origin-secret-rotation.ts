/**
 * Rotation of a value CloudFront sends to an origin in a custom header (origin-verify; the same
 * shape fits a CDN identifier), as the four Secrets Manager rotation steps. The order makes a
 * rotation invisible to viewers:
 *   createSecret  a new random value under AWSPENDING, for this rotation's token
 *   setSecret     wait until every receiver has re-read its values (they accept AWSPENDING:
 *                 origin-verify.ts), then make the distribution send the new value
 *   testSecret    the distribution's config carries the new value on every such origin
 *   finishSecret  AWSCURRENT moves to the new value; the old one becomes AWSPREVIOUS, still
 *                 accepted while edges that have not picked up the change send it
 * Each step is idempotent for its token, as Secrets Manager requires (it may call a step again).
 *
 * A rotation starts (createSecret) only once the distribution is Deployed sending the current
 * value, as the signing-key rotation waits for deployment: a rotation ends with the value before
 * it unlabelled, and edges still deploying the previous rotation's change send exactly that value.
 *
 * A receiver that reads only AWSCURRENT and AWSPREVIOUS (MediaPackage CDN authorization) needs
 * the other order, `promote-then-send`: setSecret and testSecret change nothing, finishSecret
 * promotes the new value (the old one stays accepted as AWSPREVIOUS), waits for the receiver to
 * re-read, then makes the distribution send the new value.
 */
import { randomBytes } from 'node:crypto';

export const ORIGIN_SECRET_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type OriginSecretStep = (typeof ORIGIN_SECRET_STEPS)[number];

/** The secret's versions (Secrets Manager deployed, a file locally). */
export interface OriginSecretStore {
  /** The value of the version created for `token`, if there is one. */
  versionValue(token: string): Promise<string | undefined>;
  /** Epoch seconds that version was created. */
  versionCreatedAt(token: string): Promise<number | undefined>;
  putPending(token: string, value: string): Promise<void>;
  /** The version id AWSCURRENT is on. */
  currentVersion(): Promise<string | undefined>;
  /** Moves AWSCURRENT from `from` to `token` (the store moves AWSPREVIOUS to `from`). */
  promote(token: string, from: string | undefined): Promise<void>;
}

/** What the distribution sends in the header (one entry per origin that carries it). */
export interface OriginHeaderSender {
  /** What its config says (edges may still send the value before, until it is deployed). */
  sentValues(): Promise<string[]>;
  send(value: string): Promise<void>;
  /** Whether every edge applies its config: CloudFront's status `Deployed`. */
  deployed(): Promise<boolean>;
}

export interface OriginSecretRotationOptions {
  store: OriginSecretStore;
  sender: OriginHeaderSender;
  /** Epoch seconds. */
  now: () => number;
  sleep: (seconds: number) => Promise<void>;
  /** The longest a receiver keeps values before re-reading them (OriginAuthorizer refreshAfterMs). */
  receiverRefreshSeconds: number;
  /** A new value. @default 48 random hex characters */
  newValue?: () => string;
  /** The header value a secret value stands for (a JSON secret holds it under a key). @default the value itself */
  headerValueOf?: (secretValue: string) => string;
  /** @default 'send-then-promote' (receivers accept AWSPENDING) */
  order?: 'send-then-promote' | 'promote-then-send';
  /**
   * How long createSecret waits for the distribution to be Deployed before it gives up, having
   * created nothing (the rotation is then retried later). @default 0: look once
   */
  deploymentWaitSeconds?: number;
  /** Between two looks at the distribution's status. @default 20 */
  pollSeconds?: number;
}

export async function rotateOriginSecretStep(
  step: OriginSecretStep,
  token: string,
  options: OriginSecretRotationOptions,
): Promise<void> {
  const { store, sender } = options;
  const headerValue = options.headerValueOf ?? ((value: string) => value);
  if (options.order === 'promote-then-send') return promoteThenSend(step, token, options, headerValue);
  switch (step) {
    case 'createSecret': {
      if ((await store.versionValue(token)) !== undefined) return;
      await untilDeployedWithCurrent(options, headerValue);
      await store.putPending(token, (options.newValue ?? (() => randomBytes(24).toString('hex')))());
      return;
    }
    case 'setSecret': {
      const value = headerValue(await requiredValue(store, token));
      const createdAt = (await store.versionCreatedAt(token)) ?? options.now();
      // Every receiver must know the value before any edge sends it (a refusal would be cached).
      const readyAt = createdAt + options.receiverRefreshSeconds + 5;
      if (options.now() < readyAt) await options.sleep(readyAt - options.now());
      if ((await sender.sentValues()).every((sent) => sent === value)) return;
      await sender.send(value);
      return;
    }
    case 'testSecret': {
      const value = headerValue(await requiredValue(store, token));
      const sent = await sender.sentValues();
      if (sent.length === 0 || sent.some((candidate) => candidate !== value)) {
        throw new Error('the distribution does not send the pending value yet');
      }
      return;
    }
    case 'finishSecret': {
      const current = await store.currentVersion();
      if (current === token) return;
      await store.promote(token, current);
      return;
    }
  }
}

async function promoteThenSend(
  step: OriginSecretStep,
  token: string,
  options: OriginSecretRotationOptions,
  headerValue: (value: string) => string,
): Promise<void> {
  const { store, sender } = options;
  if (step === 'createSecret') return rotateOriginSecretStep(step, token, { ...options, order: undefined });
  const value = headerValue(await requiredValue(store, token)); // also checks the value's shape
  if (step !== 'finishSecret') return;
  const current = await store.currentVersion();
  if (current !== token) await store.promote(token, current);
  if ((await sender.sentValues()).every((sent) => sent === value)) return;
  // The receiver re-reads AWSCURRENT on its own schedule; until then it knows only the old value.
  await options.sleep(options.receiverRefreshSeconds);
  await sender.send(value);
}

/**
 * Returns once every edge sends AWSCURRENT's value: the config says so and the distribution is
 * Deployed. Polls until `deploymentWaitSeconds` have passed, then throws; a config that sends
 * another value throws at once (the last rotation did not finish: waiting cannot fix that).
 */
async function untilDeployedWithCurrent(
  options: OriginSecretRotationOptions,
  headerValue: (value: string) => string,
): Promise<void> {
  const { store, sender } = options;
  const current = await store.currentVersion();
  const value = current === undefined ? undefined : await store.versionValue(current);
  if (value === undefined) throw new Error('the secret has no AWSCURRENT value to rotate from');
  const sent = await sender.sentValues();
  if (sent.length === 0 || sent.some((candidate) => candidate !== headerValue(value)))
    throw new Error(
      'the distribution does not send the current value: finish the last rotation before starting another',
    );
  const deadline = options.now() + (options.deploymentWaitSeconds ?? 0);
  while (!(await sender.deployed())) {
    const left = deadline - options.now();
    if (left <= 0)
      throw new Error(
        'the distribution is still deploying the last change; nothing was created: rotate again once it is Deployed',
      );
    await options.sleep(Math.min(options.pollSeconds ?? 20, left));
  }
}

async function requiredValue(store: OriginSecretStore, token: string): Promise<string> {
  const value = await store.versionValue(token);
  if (value === undefined) throw new Error('no pending version for this rotation token');
  return value;
}
