/**
 * The device key the API tags grants with (lambda/core/device-binding.ts): the ring's current
 * key, from the Secrets Manager secret (deployed) or a file (local mode), re-read once a minute so
 * a rotation reaches every container. The edge accepts the previous key too, so a container that
 * still tags with it for up to a minute after a rotation is not refused.
 */
import { readFileSync } from 'node:fs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ACCESS_LAYER_VARIABLES } from '../core/access-layers-config';
import { type DeviceKey, parseDeviceKeyRing } from '../core/device-binding';
import { SigningKeyUnavailable } from '../core/errors';
import { readSecret } from './secrets';

export const DEVICE_KEY_REFRESH_MS = 60_000;

type Env = Readonly<Record<string, string | undefined>>;

/** The current-key reader for this environment; undefined when device binding is off. */
export function deviceKeyReader(
  env: Env,
  secrets: () => SecretsManagerClient,
  now: () => number = Date.now,
): (() => Promise<DeviceKey>) | undefined {
  const v = ACCESS_LAYER_VARIABLES;
  if (env[v.deviceBinding] !== 'on') return undefined;
  const secretArn = env[v.deviceKeySecretArn];
  const file = env[v.deviceKeyFile];
  const source = secretArn !== undefined && secretArn !== '' ? v.deviceKeySecretArn : v.deviceKeyFile;
  const load = async (): Promise<string | undefined> =>
    source === v.deviceKeySecretArn
      ? readSecret(secrets(), secretArn as string, source)
      : readFileSync(file as string, 'utf8');
  let cached: { key: DeviceKey; at: number } | undefined;
  return async () => {
    if (cached !== undefined && now() - cached.at < DEVICE_KEY_REFRESH_MS) return cached.key;
    let text: string | undefined;
    try {
      text = await load();
    } catch (error) {
      // Fail closed: no tag, no grant (the edge would refuse an untagged one anyway).
      if (cached !== undefined) return cached.key;
      throw new SigningKeyUnavailable(error instanceof Error ? error.name : 'unknown', { cause: error });
    }
    const ring = parseDeviceKeyRing(text ?? '');
    // Not a ring yet (a new secret before its first rotation): fail closed, retry shortly.
    if (typeof ring === 'string') throw new SigningKeyUnavailable(`${source}: the device key ring: ${ring}`);
    cached = { key: ring.current, at: now() };
    return ring.current;
  };
}
