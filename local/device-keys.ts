/**
 * Device binding's keys in local mode (lambda/core/device-binding.ts): the ring in
 * `<dir>/device-keys.json` (the API reads it, as DEVICE_KEY_FILE), each key in use also in the
 * edge's KeyValueStore, as the deployed rotation keeps the secret and the store
 * (lambda/handlers/rotate-device-key.ts). A rotation writes the store first, then the ring, then
 * drops the key two rotations old: the edge always knows every key the API may tag with.
 */
import { join } from 'node:path';
import {
  type DeviceKey,
  type DeviceKeyRing,
  deviceKeyName,
  parseDeviceKeyRing,
  rotateDeviceKeys,
} from '../lambda/core/device-binding';
import { newDeviceKey } from '../lambda/core/device-key-rotation';
import { readIfPresent, writeAtomically } from './atomic-file';
import type { LocalKeyValueStore } from './edge/key-value-store';

export const DEVICE_KEY_FILE = 'device-keys.json';

export class LocalDeviceKeys {
  readonly file: string;

  constructor(
    dir: string,
    private readonly store: LocalKeyValueStore,
  ) {
    this.file = join(dir, DEVICE_KEY_FILE);
  }

  ring(): DeviceKeyRing | undefined {
    const text = readIfPresent(this.file);
    if (text === undefined) return undefined;
    const ring = parseDeviceKeyRing(text);
    if (typeof ring === 'string') throw new Error(`${this.file}: ${ring}; delete it and restart npm start`);
    return ring;
  }

  /** At start: the folder's ring (made on first start) into the in-memory store. */
  ensure(): DeviceKeyRing {
    const ring = this.ring();
    if (ring === undefined) return this.rotate();
    for (const key of [ring.current, ...(ring.previous === undefined ? [] : [ring.previous])])
      this.store.setKey(deviceKeyName(key.kid), key.secret);
    return ring;
  }

  /** One rotation: the new key becomes current, the current one previous, the previous one is dropped. */
  rotate(next: DeviceKey = newDeviceKey()): DeviceKeyRing {
    const plan = rotateDeviceKeys(this.ring(), next);
    for (const key of plan.put) this.store.setKey(deviceKeyName(key.kid), key.secret);
    writeAtomically(this.file, `${JSON.stringify(plan.ring, null, 2)}\n`, 0o600);
    for (const name of plan.remove) this.store.deleteKey(name);
    return plan.ring;
  }
}
