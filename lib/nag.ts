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

  for (const secret of main.signingKeys.privateKeys.values()) {
    add(
      secret,
      'AwsSolutions-SMG4',
      'Signing keys rotate by the two-slot procedure (docs/deploy.md): Secrets Manager rotation cannot change the CloudFront public key.',
    );
  }
  add(
    main.api.originVerifySecret,
    'AwsSolutions-SMG4',
    'CloudFront reads the value only at deploy (dynamic reference); rotated by the documented update-and-redeploy procedure.',
  );
  add(
    main.signingKeys,
    `AwsSolutions-IAM5[Resource::<${logicalId(main.signingKeys.generator.function)}.Arn>:*]`,
    'The custom resource framework invokes the one generator function by ARN with version qualifiers (:*).',
  );
  const packaging = main.packaging;
  if (packaging !== undefined) {
    add(
      packaging.cdnSecret,
      'AwsSolutions-SMG4',
      'MediaPackage CDN authorization uses a static identifier; rotated manually as docs/deploy.md describes.',
    );
    if (packaging.ingestRole !== undefined) {
      add(
        packaging.ingestRole,
        `AwsSolutions-IAM5[Resource::<${logicalId(main.media.bucket)}.Arn>/vod-source/*]`,
        'MediaPackage VOD may read any source asset, and only those, under the vod-source/ prefix.',
      );
    }
  }
  const edgeRevocation = main.edgeRevocation;
  if (edgeRevocation !== undefined) {
    add(
      edgeRevocation.streamConsumer.role,
      'AwsSolutions-IAM5[Resource::*]',
      'dynamodb:ListStreams (added with the stream event source) has no resource-level permission; every other action names its ARN.',
    );
    add(
      edgeRevocation.failedRecords,
      'AwsSolutions-SQS3',
      "This queue is the stream event source's on-failure destination (a DLQ itself); its depth is alarmed.",
    );
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
