/**
 * Custom resource handler (Provider framework onEvent) that gives a signing-key slot its key pair:
 * the private key is generated here, in the account, and written straight to the slot's Secrets
 * Manager secret; only the public key goes back to CloudFormation. Create and Update are
 * idempotent: a secret that already holds a usable key keeps it, so re-running never rotates.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  CLOUDFRONT_KEY_ALGORITHMS,
  cloudFrontKeyAlgorithmOf,
  type CloudFrontKeyAlgorithm as KeyAlgorithm,
  generateCloudFrontKeyPair,
  isCloudFrontKeyAlgorithm,
} from '../core/cloudfront-key-types';

export interface KeyPairPlan {
  publicKeyPem: string;
  /** Set when a new key was generated and must be stored; PKCS#8 PEM. */
  newPrivateKeyPem?: string;
}

/**
 * Decides from the secret's current value: keep the key it holds, or generate one. The
 * placeholder CloudFormation puts in a new secret is not a key, so the first run generates.
 */
export function planKeyPair(current: string | undefined, algorithm: KeyAlgorithm): KeyPairPlan {
  const existing = readPrivateKey(current);
  if (existing !== undefined) {
    if (cloudFrontKeyAlgorithmOf(existing) !== algorithm) {
      // Replacing it here would swap the key under a PublicKey CloudFront cannot update: refuse.
      throw new Error(`the secret already holds a key that is not ${algorithm}; bump the slot's generation instead`);
    }
    return { publicKeyPem: publicPemOf(existing) };
  }
  const { privateKey } = generateCloudFrontKeyPair(algorithm);
  return {
    publicKeyPem: publicPemOf(privateKey),
    newPrivateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function readPrivateKey(value: string | undefined): KeyObject | undefined {
  if (value === undefined) return undefined;
  try {
    return createPrivateKey(value);
  } catch {
    return undefined;
  }
}

function publicPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

const secrets = new SecretsManagerClient({});

export interface KeygenResponse {
  PhysicalResourceId: string;
  Data?: { PublicKeyPem: string };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<KeygenResponse> {
  // Deleting the slot deletes its secret (a CloudFormation resource); nothing to undo here.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const secretArn: unknown = event.ResourceProperties.SecretArn;
  const algorithm: unknown = event.ResourceProperties.Algorithm;
  if (typeof secretArn !== 'string' || !isCloudFrontKeyAlgorithm(algorithm)) {
    throw new Error(`SecretArn (string) and Algorithm (${CLOUDFRONT_KEY_ALGORITHMS.join(' | ')}) are required`);
  }
  const current = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const plan = planKeyPair(current.SecretString, algorithm);
  if (plan.newPrivateKeyPem !== undefined) {
    await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: plan.newPrivateKeyPem }));
  }
  return { PhysicalResourceId: secretArn, Data: { PublicKeyPem: plan.publicKeyPem } };
}
