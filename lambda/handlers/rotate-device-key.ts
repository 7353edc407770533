/**
 * Secrets Manager rotation function for the device key ring: the four steps of
 * lambda/core/device-key-rotation.ts over Secrets Manager and the edge's KeyValueStore. Keys are
 * never logged.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { DEVICE_KEY_STEPS, type DeviceKeyStep, rotateDeviceKeyStep } from '../core/device-key-rotation';
import { DENY_LIST_KVS_ARN_VARIABLE } from '../runtime/deny-list-env';
import { KvsDenyList } from '../store/kvs-deny-list';
import { storeFor } from './rotate-origin-secret';

const secrets = new SecretsManagerClient({});

export async function handler(event: SecretsManagerRotationEvent): Promise<void> {
  const kvsArn = process.env[DENY_LIST_KVS_ARN_VARIABLE];
  if (kvsArn === undefined || kvsArn === '') throw new Error(`${DENY_LIST_KVS_ARN_VARIABLE} must be set`);
  if (!(DEVICE_KEY_STEPS as readonly string[]).includes(event.Step)) throw new Error(`unknown step ${event.Step}`);
  await rotateDeviceKeyStep(
    event.Step as DeviceKeyStep,
    event.ClientRequestToken,
    storeFor(secrets, event.SecretId),
    new KvsDenyList({ kvsArn }),
  );
  console.log(JSON.stringify({ message: 'device key rotation step done', step: event.Step }));
}
