/**
 * Device binding's keys, deployed (docs/access-layers.md): a Secrets Manager secret holding the
 * key ring the API tags grants with, and its rotation (lambda/handlers/rotate-device-key.ts), which
 * writes each new key to the edge's KeyValueStore before the API may use it and drops the key two
 * rotations old. The secret is created with a random value that is no ring: Secrets Manager runs
 * the first rotation at once, which makes the first ring (the API answers 503 until then).
 */
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DENY_LIST_KVS_ARN_VARIABLE } from '../lambda/runtime/deny-list-env';
import { KVS_WRITER_ACTIONS } from './edge-revocation';
import { NodeFunction } from './node-function';
import { rotateThisSecretStatement } from './secret-rotation-grant';

export interface DeviceKeysProps {
  /** The viewer-request function's KeyValueStore (the edge deny-list's). */
  readonly store: cloudfront.IKeyValueStore;
  /** Days between rotations, 1 to 90. */
  readonly rotateAfterDays: number;
  readonly logRetentionDays?: number;
}

export class DeviceKeys extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly rotator: NodeFunction;

  constructor(scope: Construct, id: string, props: DeviceKeysProps) {
    super(scope, id);
    const days = props.rotateAfterDays;
    if (!Number.isInteger(days) || days < 1 || days > 90)
      throw new Error(`DeviceKeys: rotateAfterDays must be a whole number from 1 to 90, got ${days}`);
    this.secret = new secretsmanager.Secret(this, 'Ring', {
      description: 'streamgate: device-binding key ring (current and previous HMAC keys)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    this.rotator = new NodeFunction(this, 'Rotator', {
      entry: path.join(__dirname, '..', 'lambda', 'handlers', 'rotate-device-key.ts'),
      description: 'streamgate: rotates the device-binding keys (secret and edge KeyValueStore)',
      environment: { [DENY_LIST_KVS_ARN_VARIABLE]: props.store.keyValueStoreArn },
      timeout: Duration.minutes(2),
      logRetentionDays: props.logRetentionDays,
    });
    this.rotator.role.addToPrincipalPolicy(rotateThisSecretStatement(this.secret.secretArn));
    this.rotator.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: KVS_WRITER_ACTIONS, resources: [props.store.keyValueStoreArn] }),
    );
    // Immediately at creation too: the first rotation turns the random value into the first ring.
    this.secret.addRotationSchedule('Rotation', {
      rotationLambda: this.rotator.function,
      automaticallyAfter: Duration.days(days),
    });
  }
}
