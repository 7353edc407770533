/**
 * Custom resource handler (Provider framework onEvent) that bootstraps the signing keys the
 * rotation then owns: the first key pair is generated here, in the account, and written straight
 * to the signing secret (AWSCURRENT); its public key and the key group are created through the
 * CloudFront API, not as CloudFormation resources, so the rotation can change them without drift
 * that a later deploy would undo.
 *
 * Create and Update converge (lambda/runtime/signing-key-bootstrap.ts): whatever a failed
 * delete, a lost response or a hand edit left, the key group ends trusting the active key and
 * what the rotation still needs, and leftover public keys are deleted. A Create that fails tears
 * down what it made before failing: CDK's Provider answers the rollback's Delete itself, without
 * calling this handler, when the Create returned no physical id. Delete removes the key group and
 * the public keys, tolerating ones already gone or still in use.
 */
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CLOUDFRONT_KEY_ALGORITHMS, isCloudFrontKeyAlgorithm } from '../core/cloudfront-key-types';
import { convergeKeyGroup, tearDownKeyGroup } from '../runtime/signing-key-bootstrap';

export interface KeygenResponse {
  PhysicalResourceId: string;
  Data?: { KeyGroupId: string };
}

export interface KeygenClients {
  readonly cloudFront: CloudFrontClient;
  readonly secrets: SecretsManagerClient;
  /** @default console.log */
  readonly log?: (message: string) => void;
  /** Epoch seconds. @default the system clock */
  readonly now?: () => number;
}

/** The handler over these clients (tests pass stand-ins). */
export function keygenHandler(clients: KeygenClients) {
  const log = clients.log ?? console.log;
  return async (event: CloudFormationCustomResourceEvent): Promise<KeygenResponse> => {
    const { SecretArn: secretArn, Algorithm: algorithm, NamePrefix: namePrefix } = event.ResourceProperties;
    if (typeof secretArn !== 'string' || typeof namePrefix !== 'string' || !isCloudFrontKeyAlgorithm(algorithm)) {
      throw new Error(
        `SecretArn (string), NamePrefix (string) and Algorithm (${CLOUDFRONT_KEY_ALGORITHMS.join(' | ')}) are required`,
      );
    }
    if (event.RequestType === 'Delete') {
      await tearDownKeyGroup(clients.cloudFront, event.PhysicalResourceId, namePrefix, log);
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const converge = () =>
      convergeKeyGroup({
        secrets: clients.secrets,
        cloudFront: clients.cloudFront,
        secretArn,
        algorithm,
        namePrefix,
        log,
        now: clients.now,
      });
    if (event.RequestType === 'Update') {
      // A new id (the key group was gone and is made again) makes CloudFormation delete the old
      // one afterwards; tearDownKeyGroup then removes that id only.
      const keyGroupId = await converge();
      return { PhysicalResourceId: keyGroupId, Data: { KeyGroupId: keyGroupId } };
    }
    try {
      const keyGroupId = await converge();
      return { PhysicalResourceId: keyGroupId, Data: { KeyGroupId: keyGroupId } };
    } catch (error) {
      // The rollback's Delete never reaches this handler: undo here, then fail as the Create did.
      try {
        await tearDownKeyGroup(clients.cloudFront, undefined, namePrefix, log);
      } catch (cleanup) {
        log(`create failed and its clean-up failed too (the next create clears it): ${String(cleanup)}`);
      }
      throw error;
    }
  };
}

// Global service: the CloudFront API answers in us-east-1 whatever the stack's region.
export const handler = keygenHandler({
  cloudFront: new CloudFrontClient({ region: 'us-east-1' }),
  secrets: new SecretsManagerClient({}),
});
