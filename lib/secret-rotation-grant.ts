/**
 * What a Secrets Manager rotation function needs on the one secret it rotates (the four-step
 * protocol: describe, read, stage the new version, promote it); shared by the origin-secret and
 * device-key rotators.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

export function rotateThisSecretStatement(secretArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'RotateThisSecret',
    actions: [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:ListSecretVersionIds',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ],
    resources: [secretArn],
  });
}
