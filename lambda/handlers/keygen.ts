/**
 * Custom resource handler (Provider framework onEvent) that bootstraps the signing keys the
 * rotation then owns: the first key pair is generated here, in the account, and written straight
 * to the signing secret (AWSCURRENT); its public key and the key group are created through the
 * CloudFront API, not as CloudFormation resources, so the rotation can change them without drift
 * that a later deploy would undo. Create is idempotent (a key already there is kept, a key group
 * of that name is reused); Update changes nothing (the rotation owns the keys from then on);
 * Delete removes the key group and the public keys it made.
 */
import { randomUUID } from 'node:crypto';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  CLOUDFRONT_KEY_ALGORITHMS,
  type CloudFrontKeyAlgorithm,
  generateCloudFrontKeyPair,
  isCloudFrontKeyAlgorithm,
} from '../core/cloudfront-key-types';
import { publicKeyName, publicKeyPemOf } from '../core/signing-key-rotation';
import {
  createPublicKey,
  deleteKeyGroupAndKeys,
  ensureKeyGroup,
  SecretsManagerKeyStore,
} from '../runtime/signing-key-ports';

export interface KeygenResponse {
  PhysicalResourceId: string;
  Data?: { KeyGroupId: string };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<KeygenResponse> {
  const { SecretArn: secretArn, Algorithm: algorithm, NamePrefix: namePrefix } = event.ResourceProperties;
  if (typeof secretArn !== 'string' || typeof namePrefix !== 'string' || !isCloudFrontKeyAlgorithm(algorithm)) {
    throw new Error(
      `SecretArn (string), NamePrefix (string) and Algorithm (${CLOUDFRONT_KEY_ALGORITHMS.join(' | ')}) are required`,
    );
  }
  // Global service: the CloudFront API answers in us-east-1 whatever the stack's region.
  const cloudFront = new CloudFrontClient({ region: 'us-east-1' });
  if (event.RequestType === 'Delete') {
    await deleteKeyGroupAndKeys(cloudFront, event.PhysicalResourceId, namePrefix);
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  if (event.RequestType === 'Update') {
    return { PhysicalResourceId: event.PhysicalResourceId, Data: { KeyGroupId: event.PhysicalResourceId } };
  }
  const keyGroupId = await bootstrapKeyGroup({
    secrets: new SecretsManagerClient({}),
    cloudFront,
    secretArn,
    algorithm,
    namePrefix,
  });
  return { PhysicalResourceId: keyGroupId, Data: { KeyGroupId: keyGroupId } };
}

export interface BootstrapOptions {
  secrets: SecretsManagerClient;
  cloudFront: CloudFrontClient;
  secretArn: string;
  algorithm: CloudFrontKeyAlgorithm;
  namePrefix: string;
  /** Epoch seconds. @default the system clock */
  now?: () => number;
}

/**
 * The first key and the key group, idempotently: a key already in the secret is kept (a re-run
 * never rotates), a public key already made for it is found by name, a key group of that name
 * is reused. Answers the key group id.
 */
export async function bootstrapKeyGroup(options: BootstrapOptions): Promise<string> {
  const { cloudFront, algorithm, namePrefix } = options;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const store = new SecretsManagerKeyStore(options.secrets, options.secretArn, now);
  let current = (await store.slots()).current;
  if (current === undefined) {
    const { privateKey } = generateCloudFrontKeyPair(algorithm);
    current = {
      versionId: randomUUID(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      createdAt: now(),
    };
    await store.putFirstKey(current);
  }
  if (current.keyPairId === undefined) {
    const keyPairId = await createPublicKey(
      cloudFront,
      publicKeyName({ namePrefix }, current.versionId),
      publicKeyPemOf(current),
    );
    current = { ...current, keyPairId, activatedAt: now() };
    await store.putFirstKey(current);
    // The same key without its id is now AWSPREVIOUS: not a key to keep trusting, drop the label.
    const { previous } = await store.slots();
    if (previous?.versionId === current.versionId) await store.forgetPrevious(current.versionId);
  }
  return ensureKeyGroup(cloudFront, namePrefix, [current.keyPairId as string]);
}
