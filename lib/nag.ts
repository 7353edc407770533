/**
 * Every cdk-nag (AWS Solutions) finding streamgate accepts, in one place, each with its one-line
 * reason. Anything not listed here fails `cdk synth`. Ids with a `[...]` suffix acknowledge one
 * specific finding (cdk-nag 3 has no rule-wide wildcard), so a new wildcard still fails.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { StreamgateStacks } from './app';

export function acknowledgeFindings({ main }: StreamgateStacks): void {
  const add = (scope: IConstruct, id: string, reason: string): void =>
    Validations.of(scope).acknowledge({ id, reason });

  add(
    main.signingKeys.secret,
    'AwsSolutions-SMG4',
    'Rotated by the scheduled key rotation with a key-age alarm (docs/rotation.md): it must wait for CloudFront deployment and grant expiry.',
  );
  add(
    main.signingKeys,
    'AwsSolutions-IAM5[Resource::*]',
    'CloudFront key group and public key calls take no resource ARN; the functions hold no other "*" (their secret and distribution are named).',
  );
  add(
    main.originSecretRotation,
    'AwsSolutions-IAM5[Resource::*]',
    'Secrets Manager rotation grants GetRandomPassword, which takes no resource; every other call names the secret or the distribution.',
  );
  add(
    main.signingKeys,
    `AwsSolutions-IAM5[Resource::<${logicalId(main.signingKeys.generator.function)}.Arn>:*]`,
    'The custom resource framework invokes the one generator function by ARN with version qualifiers (:*).',
  );
  if (main.cdnSecretRotation !== undefined) {
    add(
      main.cdnSecretRotation,
      'AwsSolutions-IAM5[Resource::*]',
      'Secrets Manager rotation grants GetRandomPassword, which takes no resource; every other call names the secret or the distribution.',
    );
  }
  const packaging = main.packaging;
  if (packaging !== undefined) {
    if (packaging.ingestRole !== undefined) {
      add(
        packaging.ingestRole,
        `AwsSolutions-IAM5[Resource::<${logicalId(main.media.bucket)}.Arn>/vod-source/*]`,
        'MediaPackage VOD may read any source asset, and only those, under the vod-source/ prefix.',
      );
    }
  }
  if (main.delivery.domainNames.length === 0) {
    add(
      main.delivery.distribution,
      'AwsSolutions-CFR4',
      'Without a custom domain the cloudfront.net certificate is used, whose TLS policy cannot be chosen; set delivery.domainNames.',
    );
  }
}

/** The CloudFormation logical id of a construct's default resource, as cdk-nag prints it in finding ids. */
function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}
