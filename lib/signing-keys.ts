/**
 * CloudFront signing keys that rotate themselves.
 *
 * Ownership: CloudFormation owns the signing secret (one secret; its staging labels are the
 * slots: AWSCURRENT active, AWSPENDING new, AWSPREVIOUS old) and a bootstrap custom resource.
 * The custom resource (lambda/handlers/keygen.ts) generates the first key pair in the account
 * and creates the first public key and the key group through the CloudFront API; from then on
 * the rotation (lambda/handlers/rotate-signing-key.ts) owns the public keys and the key group's
 * members. Neither is an `AWS::CloudFront::PublicKey` / `KeyGroup` resource, so there is no
 * template state a later `cdk deploy` could write back over a rotation (no drift to undo), and
 * the distribution refers to the key group by id. The custom resource's Create and Update
 * converge on what the rotation expects (the key group trusts the active key and what the
 * rotation still needs, no leftover public key), and a failed Create undoes itself
 * (lambda/runtime/signing-key-bootstrap.ts).
 *
 * The rotation is a function run on a schedule, not a Step Functions workflow: every step is
 * idempotent and resumable from what the secret and CloudFront show, so "wait" simply means
 * "return, and look again next run" (no Lambda time is paid while waiting, and there is no
 * execution state that could disagree with the world). Each run reports the active key's age;
 * `keyAgeAlarm` fires when it passes the schedule plus a margin, or when runs stop reporting.
 */
import * as path from 'node:path';
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, SERVICE_DIMENSION } from '../lambda/core/metric-names';
import { logRetention, NodeFunction } from './node-function';

/** Days past the rotation age before the key-age alarm fires (a few failed runs are not an incident). */
export const KEY_AGE_ALARM_MARGIN_DAYS = 2;

export interface SigningKeysProps {
  /** Type of the key pairs generated (the first one, and each rotation's). @default RSA_2048 */
  readonly algorithm?: CloudFrontKeyAlgorithm;
  /**
   * Days to keep the key functions' logs.
   * @default 90
   */
  readonly logRetentionDays?: number;
}

export interface SigningKeyRotationProps {
  /** The distribution(s) whose deployment a new key waits for. */
  readonly distributionIds: readonly string[];
  /** Rotate when the active key is this many days old (1 to 90). */
  readonly rotateAfterDays: number;
  /** Minutes between runs. */
  readonly checkEveryMinutes: number;
  /** The longest signed grant (SIGNED_TTL_SECONDS). */
  readonly signedTtlSeconds: number;
  /** How long a signer keeps a loaded key (SIGNING_KEY_REFRESH_SECONDS). */
  readonly keyRefreshSeconds: number;
  /** Clock difference allowed between the signer and CloudFront. */
  readonly clockToleranceSeconds: number;
  /** Name of the key-age alarm: `<deployment name>-…`, the names the alarm topic accepts. */
  readonly alarmName: string;
}

export class SigningKeys extends Construct {
  /** The key group CloudFront checks signatures against (members owned by the rotation). */
  readonly keyGroup: cloudfront.IKeyGroup;
  /** The signing secret; its AWSCURRENT version is the active key document (private key + key pair id). */
  readonly secret: secretsmanager.Secret;
  /** Name prefix of the key group and of every public key the rotation creates. */
  readonly namePrefix: string;
  readonly algorithm: CloudFrontKeyAlgorithm;
  /** The bootstrap custom resource's function. */
  readonly generator: NodeFunction;
  readonly provider: cr.Provider;
  /** Set by `addRotation`. */
  rotator?: NodeFunction;
  keyAgeAlarm?: cloudwatch.Alarm;
  rotationSchedule?: events.Rule;
  private readonly logRetentionDays?: number;

  constructor(scope: Construct, id: string, props: SigningKeysProps = {}) {
    super(scope, id);
    this.algorithm = props.algorithm ?? 'RSA_2048';
    this.logRetentionDays = props.logRetentionDays;
    // Unique per stack in the account (CloudFront names are account-wide), short enough for a key name + UUID.
    this.namePrefix = `${Stack.of(this).stackName}-${Stack.of(this).region}-sign`.slice(0, 80);

    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'streamgate CloudFront signing key: AWSCURRENT is the active key document, AWSPENDING/AWSPREVIOUS the rotation slots (written by the key functions only)',
    });

    this.generator = new NodeFunction(this, 'Generator', {
      entry: path.join(__dirname, '..', 'lambda', 'handlers', 'keygen.ts'),
      description: 'streamgate: bootstraps the CloudFront signing key, its public key and key group',
      timeout: Duration.seconds(60),
      logRetentionDays: props.logRetentionDays,
    });
    this.grantKeyManagement(this.generator.role, true);
    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logRetention(props.logRetentionDays, 'SigningKeys'),
    });
    // Our own framework role: it may write its log group and invoke the generator, no managed policy.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'streamgate: custom resource framework for the signing key bootstrap',
    });
    providerLogs.grantWrite(frameworkRole);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.generator.function,
      logGroup: providerLogs,
      frameworkOnEventRole: frameworkRole,
    });
    const bootstrap = new CustomResource(this, 'KeyGroupBootstrap', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::StreamgateSigningKeyGroup',
      properties: { SecretArn: this.secret.secretArn, Algorithm: this.algorithm, NamePrefix: this.namePrefix },
    });
    this.keyGroup = cloudfront.KeyGroup.fromKeyGroupId(this, 'KeyGroup', bootstrap.getAttString('KeyGroupId'));
  }

  /**
   * The scheduled rotation, once the distribution exists: its function, schedule and key-age alarm.
   * The function may touch only this secret, and CloudFront's key group, public key and
   * distribution-status calls (which CloudFront does not scope to a resource, except the distribution).
   */
  addRotation(props: SigningKeyRotationProps): void {
    if (!Number.isInteger(props.rotateAfterDays) || props.rotateAfterDays < 1 || props.rotateAfterDays > 90) {
      throw new Error(`SigningKeys: rotateAfterDays must be a whole number from 1 to 90, got ${props.rotateAfterDays}`);
    }
    const rotator = new NodeFunction(this, 'Rotator', {
      entry: path.join(__dirname, '..', 'lambda', 'handlers', 'rotate-signing-key.ts'),
      description: 'streamgate: scheduled CloudFront signing-key rotation (one resumable step at a time)',
      timeout: Duration.seconds(60),
      logRetentionDays: this.logRetentionDays,
      environment: {
        SIGNING_KEY_SECRET_ARN: this.secret.secretArn,
        KEY_GROUP_ID: this.keyGroup.keyGroupId,
        DISTRIBUTION_ID: props.distributionIds.join(','),
        KEY_NAME_PREFIX: this.namePrefix,
        KEY_ALGORITHM: this.algorithm,
        ROTATE_AFTER_SECONDS: String(props.rotateAfterDays * 86400),
        SIGNED_TTL_SECONDS: String(props.signedTtlSeconds),
        SIGNING_KEY_REFRESH_SECONDS: String(props.keyRefreshSeconds),
        CLOCK_TOLERANCE_SECONDS: String(props.clockToleranceSeconds),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.grantKeyManagement(rotator.role, false);
    rotator.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributionStatus',
        actions: ['cloudfront:GetDistribution'],
        resources: props.distributionIds.map((id) =>
          Stack.of(this).formatArn({ service: 'cloudfront', region: '', resource: 'distribution', resourceName: id }),
        ),
      }),
    );
    this.rotationSchedule = new events.Rule(this, 'RotationSchedule', {
      description: 'streamgate: run the signing-key rotation (each run does what is ready)',
      schedule: events.Schedule.rate(Duration.minutes(props.checkEveryMinutes)),
      targets: [new targets.LambdaFunction(rotator.function, { retryAttempts: 0 })],
    });
    const age = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.signingKeyAge,
      dimensionsMap: { [SERVICE_DIMENSION]: METRICS_SERVICE },
      statistic: 'Maximum',
      period: Duration.hours(1),
    });
    this.keyAgeAlarm = new cloudwatch.Alarm(this, 'KeyAgeAlarm', {
      alarmName: props.alarmName,
      alarmDescription: `streamgate: the CloudFront signing key is older than ${props.rotateAfterDays}+${KEY_AGE_ALARM_MARGIN_DAYS} days, or the rotation stopped reporting: see docs/rotation.md "Runbook"`,
      metric: age,
      threshold: (props.rotateAfterDays + KEY_AGE_ALARM_MARGIN_DAYS) * 86400,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // No report for three hours means the rotation is not running: that is the stall to page on.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.rotator = rotator;
  }

  /** Lets `grantee` read the active key document (the playback function, nothing else). */
  grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }

  /**
   * Both key functions move the secret's labels (the bootstrap drops the AWSPREVIOUS label its
   * own first write leaves) and set the key group's members (the bootstrap converges them); only
   * the bootstrap creates, lists and deletes key groups. test/core/signing-key-bootstrap.test.ts
   * checks every call the functions make against these grants.
   */
  private grantKeyManagement(role: iam.Role, bootstrap: boolean): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SigningSecretSlots',
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [this.secret.secretArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeyGroupAndPublicKeys',
        // CloudFront has no resource-level permissions for these calls: the resource is "*".
        actions: [
          'cloudfront:ListPublicKeys',
          'cloudfront:GetPublicKey',
          'cloudfront:CreatePublicKey',
          'cloudfront:DeletePublicKey',
          'cloudfront:GetKeyGroup',
          'cloudfront:UpdateKeyGroup',
          ...(bootstrap ? ['cloudfront:CreateKeyGroup', 'cloudfront:ListKeyGroups', 'cloudfront:DeleteKeyGroup'] : []),
        ],
        resources: ['*'],
      }),
    );
  }
}
