/**
 * Automatic rotation of a header secret CloudFront sends to an origin (origin-verify): a Secrets
 * Manager rotation schedule whose function (lambda/handlers/rotate-origin-secret.ts) makes a new
 * value pending, waits until every receiver has re-read (they accept AWSPENDING), points the
 * distribution's origin header at it, and promotes it. CloudFormation and the rotation agree:
 * the distribution's header is a dynamic reference to AWSCURRENT, which is what the rotation
 * leaves CloudFront sending, so a later deploy writes the same value back.
 */
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { NodeFunction } from './node-function';

export interface OriginSecretRotationProps {
  readonly secret: secretsmanager.Secret;
  /** The header CloudFront sends the value in. */
  readonly headerName: string;
  readonly distributionId: string;
  /** Days between rotations (AWS FSBP SecretsManager.4 allows 90 at most). */
  readonly rotateAfterDays: number;
  /** The longest a receiver keeps the values before re-reading (OriginAuthorizer refreshAfterMs). */
  readonly receiverRefreshSeconds: number;
  /**
   * `send-then-promote` when receivers accept the pending value (origin-verify);
   * `promote-then-send` when they read only current and previous (MediaPackage).
   * @default send-then-promote
   */
  readonly order?: 'send-then-promote' | 'promote-then-send';
  /** Key of the header value in a JSON secret. @default - the secret is the value */
  readonly valueJsonKey?: string;
  readonly logRetentionDays?: number;
}

export class OriginSecretRotation extends Construct {
  readonly rotator: NodeFunction;

  constructor(scope: Construct, id: string, props: OriginSecretRotationProps) {
    super(scope, id);
    if (!Number.isInteger(props.rotateAfterDays) || props.rotateAfterDays < 1 || props.rotateAfterDays > 90) {
      throw new Error(
        `OriginSecretRotation: rotateAfterDays must be a whole number from 1 to 90, got ${props.rotateAfterDays}`,
      );
    }
    this.rotator = new NodeFunction(this, 'Rotator', {
      entry: path.join(__dirname, '..', 'lambda', 'handlers', 'rotate-origin-secret.ts'),
      description: `streamgate: rotates the value CloudFront sends in ${props.headerName}`,
      // createSecret waits for the last distribution change to deploy (minutes), and setSecret
      // (finishSecret in promote-then-send) for the receivers' refresh period: Lambda's longest.
      timeout: Duration.seconds(900),
      logRetentionDays: props.logRetentionDays,
      environment: {
        DISTRIBUTION_ID: props.distributionId,
        HEADER_NAME: props.headerName,
        RECEIVER_REFRESH_SECONDS: String(props.receiverRefreshSeconds),
        ROTATION_ORDER: props.order ?? 'send-then-promote',
        ...(props.valueJsonKey === undefined ? {} : { VALUE_JSON_KEY: props.valueJsonKey }),
      },
    });
    this.rotator.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RotateThisSecret',
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [props.secret.secretArn],
      }),
    );
    this.rotator.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ThisDistributionsOriginHeader',
        // GetDistribution: its status, to start a rotation only once the last change is Deployed.
        actions: ['cloudfront:GetDistribution', 'cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution'],
        resources: [
          Stack.of(this).formatArn({
            service: 'cloudfront',
            region: '',
            resource: 'distribution',
            resourceName: props.distributionId,
          }),
        ],
      }),
    );
    props.secret.addRotationSchedule('Rotation', {
      rotationLambda: this.rotator.function,
      automaticallyAfter: Duration.days(props.rotateAfterDays),
    });
  }
}
