/**
 * Rotation of the device keys (lambda/core/device-binding.ts) as the four Secrets Manager rotation
 * steps, over the secret (the ring the API reads) and the edge's KeyValueStore (the keys the
 * function reads). The order keeps every tag in play valid:
 *   createSecret  the next ring (a new current key, the old current as previous) under AWSPENDING
 *   setSecret     both keys of that ring into the KeyValueStore: the edge knows the new key
 *                 before any API container tags with it
 *   testSecret    nothing more to check (setSecret's write either succeeded or threw)
 *   finishSecret  AWSCURRENT moves to the new ring (the API picks it up within a minute, the edge
 *                 accepts both meanwhile); then the key two rotations old leaves the store
 * Each step is idempotent for its token. A secret whose current value is not a ring yet (the
 * random value it was created with) rotates to a ring of one key.
 */
import { randomBytes } from 'node:crypto';
import type { OriginSecretStore } from './origin-secret-rotation';
import { type DeviceKey, deviceKeyName, parseDeviceKeyRing, rotateDeviceKeys } from './device-binding';

export const DEVICE_KEY_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type DeviceKeyStep = (typeof DEVICE_KEY_STEPS)[number];

/** The KeyValueStore's writes the rotation makes. */
export interface DeviceKeyEdge {
  putValues(entries: readonly { key: string; value: string }[]): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
}

/** A new key: 32 random bytes, base64url, and an id unique enough never to repeat within a ring. */
export function newDeviceKey(now: number = Date.now()): DeviceKey {
  return {
    kid: `k${now.toString(36)}${randomBytes(3).toString('hex')}`.slice(0, 16),
    secret: randomBytes(32).toString('base64url'),
  };
}

async function ringOf(store: OriginSecretStore, version: string | undefined) {
  const text = version === undefined ? undefined : await store.versionValue(version);
  const ring = text === undefined ? undefined : parseDeviceKeyRing(text);
  return typeof ring === 'string' ? undefined : ring;
}

export async function rotateDeviceKeyStep(
  step: DeviceKeyStep,
  token: string,
  store: OriginSecretStore,
  edge: DeviceKeyEdge,
  next: () => DeviceKey = newDeviceKey,
): Promise<void> {
  switch (step) {
    case 'createSecret': {
      if ((await store.versionValue(token)) !== undefined) return;
      const plan = rotateDeviceKeys(await ringOf(store, await store.currentVersion()), next());
      await store.putPending(token, JSON.stringify(plan.ring));
      return;
    }
    case 'setSecret': {
      const pending = await ringOf(store, token);
      if (pending === undefined) throw new Error('no pending device key ring for this rotation token');
      const keys = [pending.current, ...(pending.previous === undefined ? [] : [pending.previous])];
      await edge.putValues(keys.map((key) => ({ key: deviceKeyName(key.kid), value: key.secret })));
      return;
    }
    case 'testSecret':
      return;
    case 'finishSecret': {
      const current = await store.currentVersion();
      if (current === token) return;
      const before = await ringOf(store, current);
      const pending = await ringOf(store, token);
      await store.promote(token, current);
      const kept = new Set([pending?.current.kid, pending?.previous?.kid]);
      const dropped = before?.previous;
      if (dropped !== undefined && !kept.has(dropped.kid)) await edge.delete([deviceKeyName(dropped.kid)]);
      return;
    }
  }
}
