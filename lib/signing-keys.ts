/**
 * Signing keys: one CloudFront PublicKey per rotation slot, all trusted by one KeyGroup, and the
 * active slot's private key in Secrets Manager for the playback function. Private keys are made
 * in the account at deploy time by a custom resource (lambda/handlers/keygen.ts) that writes them to
 * the slot's secret and returns only the public key: no key material in templates or the repo.
 *
 * Every slot's resources are named by (id, generation, algorithm), so bumping a generation
 * replaces that slot's secret, key pair and PublicKey as new resources; CloudFormation deletes
 * the old ones only after the new ones exist, and a rollback keeps the old ones intact.
 */
import * as path from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { SigningKeyConfig } from './config';
import { logRetention, NodeFunction } from './node-function';

/** CloudFront's quota of public keys in one key group. */
const MAX_KEYS_PER_GROUP = 5;

export interface SigningKeysProps {
  /** The key slots; the key group trusts every one of them (two for rotation). */
  readonly keys: readonly SigningKeyConfig[];
  /** Id of the slot whose private key signs cookies and URLs. */
  readonly activeKeyId: string;
  /**
   * Days to keep the key generator's logs.
   * @default 90
   */
  readonly logRetentionDays?: number;
}

export class SigningKeys extends Construct {
  readonly keyGroup: cloudfront.KeyGroup;
  readonly publicKeys: ReadonlyMap<string, cloudfront.PublicKey>;
  /** The key CloudFront checks signatures of the active slot against; its id is the Key-Pair-Id. */
  readonly activePublicKey: cloudfront.PublicKey;
  /** The active slot's private key (PKCS#8 PEM), written by the key generator. */
  readonly activePrivateKey: secretsmanager.Secret;
  /** Every slot's private key secret, by slot id. */
  readonly privateKeys: ReadonlyMap<string, secretsmanager.Secret>;
  /** The custom resource function that generates key pairs (its role can write the slots' secrets). */
  readonly generator: NodeFunction;
  /** The custom resource provider (framework function) in front of the generator. */
  readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);
    validateKeys(props);

    this.generator = new NodeFunction(this, 'Generator', {
      entry: path.join(__dirname, '..', 'lambda', 'handlers', 'keygen.ts'),
      description: 'streamgate: generates CloudFront signing key pairs into Secrets Manager',
      timeout: Duration.seconds(60),
      logRetentionDays: props.logRetentionDays,
    });
    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logRetention(props.logRetentionDays, 'SigningKeys'),
    });
    // Our own framework role: it may write its log group and invoke the generator, no managed policy.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'streamgate: custom resource framework for signing key pairs',
    });
    providerLogs.grantWrite(frameworkRole);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.generator.function,
      logGroup: providerLogs,
      frameworkOnEventRole: frameworkRole,
    });

    const publicKeys = new Map<string, cloudfront.PublicKey>();
    const privateKeys = new Map<string, secretsmanager.Secret>();
    for (const key of props.keys) {
      const slot = new Construct(this, `${key.id}-g${key.generation}-${key.algorithm.toLowerCase()}`);
      const secret = new secretsmanager.Secret(slot, 'PrivateKey', {
        description: `streamgate CloudFront signing private key, slot ${key.id} generation ${key.generation} (written by the key generator)`,
      });
      secret.grantRead(this.generator.role);
      secret.grantWrite(this.generator.role);
      const keyPair = new CustomResource(slot, 'KeyPair', {
        serviceToken: this.provider.serviceToken,
        resourceType: 'Custom::StreamgateSigningKeyPair',
        properties: { SecretArn: secret.secretArn, Algorithm: key.algorithm },
      });
      publicKeys.set(
        key.id,
        new cloudfront.PublicKey(slot, 'PublicKey', {
          encodedKey: keyPair.getAttString('PublicKeyPem'),
          comment: `streamgate slot ${key.id} generation ${key.generation} (${key.algorithm})`,
        }),
      );
      privateKeys.set(key.id, secret);
    }

    this.publicKeys = publicKeys;
    this.privateKeys = privateKeys;
    this.keyGroup = new cloudfront.KeyGroup(this, 'KeyGroup', {
      items: [...publicKeys.values()],
      comment: 'streamgate: keys CloudFront accepts for signed cookies and URLs',
    });
    this.activePublicKey = required(publicKeys.get(props.activeKeyId));
    this.activePrivateKey = required(privateKeys.get(props.activeKeyId));
  }

  /** Lets `grantee` read the active private key (the playback function, nothing else). */
  grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.activePrivateKey.grantRead(grantee);
  }
}

function validateKeys(props: SigningKeysProps): void {
  const ids = props.keys.map((key) => key.id);
  if (props.keys.length < 1 || props.keys.length > MAX_KEYS_PER_GROUP) {
    throw new Error(
      `SigningKeys: keys must hold 1 to ${MAX_KEYS_PER_GROUP} slots (CloudFront's key group quota), got ${props.keys.length}`,
    );
  }
  if (new Set(ids).size !== ids.length)
    throw new Error(`SigningKeys: keys must have distinct ids, got ${ids.join(', ')}`);
  for (const key of props.keys) {
    if (!/^[a-z][a-z0-9]{0,15}$/.test(key.id))
      throw new Error(`SigningKeys: keys[].id must be a lower-case slot name, got "${key.id}"`);
    if (!Number.isInteger(key.generation) || key.generation < 1) {
      throw new Error(
        `SigningKeys: keys[].generation must be a whole number >= 1, got ${key.generation} for "${key.id}"`,
      );
    }
  }
  if (!ids.includes(props.activeKeyId)) {
    throw new Error(`SigningKeys: activeKeyId must be one of ${ids.join(', ')}, got "${props.activeKeyId}"`);
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('SigningKeys: unreachable, the active key was validated');
  return value;
}
