/**
 * Every cdk-nag (AWS Solutions, Serverless) finding streamgate accepts, in one place, each with its
 * one-line reason, acknowledged on streamgate's own constructs only: a host app that adds the rule
 * packs still sees every finding of its own resources. Anything not listed here fails synthesis
 * where the packs are on. Ids with a `[...]` suffix acknowledge one specific finding (cdk-nag 3
 * has no rule-wide wildcard), so a new wildcard still fails.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { StreamgateConfig } from './config';
import type { Delivery } from './delivery';
import type { EdgeRevocation } from './edge-revocation';
import type { MediaOrigin } from './media-origin';
import type { EdgeAlarms, EdgeRefusalLogs, Monitoring } from './monitoring';
import type { DeviceKeys } from './device-keys';
import type { OriginSecretRotation } from './origin-secret-rotation';
import type { Packaging } from './packaging';
import type { SigningKeys } from './signing-keys';

/** The parts of a `Streamgate` whose findings are acknowledged (a shape, so this module imports no construct above it). */
export interface AcknowledgedParts extends IConstruct {
  readonly settings: Pick<StreamgateConfig, 'delivery'>;
  readonly signingKeys: SigningKeys;
  readonly monitoring: Monitoring;
  readonly originSecretRotation: OriginSecretRotation;
  readonly cdnSecretRotation?: OriginSecretRotation;
  readonly packaging?: Packaging;
  readonly media: MediaOrigin;
  readonly delivery: Delivery;
  readonly edgeRevocation?: EdgeRevocation;
  readonly deviceKeys?: DeviceKeys;
}

/**
 * AWS Security Hub FSBP controls streamgate does not pass, each with why (docs/security-controls.md
 * carries the same table; test/infra/fsbp.test.ts checks the two agree and that every other
 * applicable control's property holds in the templates). Suppress these in Security Hub.
 */
export const FSBP_SUPPRESSIONS: Readonly<Record<string, string>> = {
  'SecretsManager.1 (signing key secret)':
    'rotated every signing.rotateAfterDays by the scheduled key rotation, not a Secrets Manager rotation function: a CloudFront key must wait for distribution deployment and for grant expiry; the key-age alarm is the evidence',
  'SecretsManager.4 (signing key secret)':
    'same rotation; ActiveSigningKeyAge and its alarm (rotateAfterDays + 2 days, at most 92) show the age Security Hub cannot read',
  'S3.9 (log bucket)': 'the log bucket is the access-log destination; logging it into itself loops, as AWS advises',
  'S3.11': 'streamgate acts on no object event; a notification with no consumer adds nothing',
  'SNS.2':
    'the alarm topics deliver to e-mail, which has no delivery status logging (it exists for HTTP/S, SQS, Lambda, Firehose, applications)',
  'CloudFront.4':
    'the API origin takes POST/DELETE, which origin groups do not fail over; a second media bucket in another region would double storage for a read-only S3 origin with 11 nines of durability',
  'CloudFront.7 (test deployments only)':
    'a config with "deployment": "test" may use the cloudfront.net name; a production config without a custom domain fails synth',
};

const add = (scope: IConstruct, id: string, reason: string): void => Validations.of(scope).acknowledge({ id, reason });

/** The alarm topics' finding: only on a topic streamgate made (a team's own topic is its business). */
function acknowledgeTopic(topic: IConstruct): void {
  add(
    topic,
    'Serverless-SNSRedrivePolicy',
    'E-mail subscriptions: undelivered alarm mail would sit unread in a queue; alarms stay visible in CloudWatch.',
  );
}

/** The us-east-1 edge alarms' topic, when streamgate made it. */
export function acknowledgeEdgeAlarmFindings(edgeAlarms: EdgeAlarms): void {
  if (edgeAlarms.key !== undefined) acknowledgeTopic(edgeAlarms.topic);
  if (edgeAlarms.edgeRefusals !== undefined) acknowledgeEdgeRefusals(edgeAlarms.edgeRefusals);
}

/** The edge refusal metrics' two SDK calls (ensure the function's log group, set its retention). */
function acknowledgeEdgeRefusals(refusals: EdgeRefusalLogs): void {
  for (const call of refusals.calls)
    add(
      call,
      `AwsSolutions-IAM5[Resource::${Stack.of(call).resolve(refusals.streamsArn)}]`,
      "The viewer-request function's one log group in its `:*` ARN form; no other group or resource.",
    );
  const provider = refusals.provider;
  add(
    provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's AwsCustomResource function: basic execution (its own logs) only; the SDK calls' rights are a separate, scoped policy.",
  );
  add(
    provider,
    'Serverless-LambdaDLQ',
    'Invoked synchronously by CloudFormation for a custom resource: a failure fails the deployment, there is nothing to redrive.',
  );
  add(
    provider,
    'Serverless-LambdaTracing',
    "CDK's AwsCustomResource function offers no tracing setting; it runs at deploy only.",
  );
}

/** Every finding of the construct's own resources, on those resources (or the construct's subtree). */
export function acknowledgeFindings(main: AcknowledgedParts): void {
  // cdk-nag Serverless pack.
  add(
    main,
    'Serverless-LambdaTracing',
    'Latency and every decision are EMF metrics and logs already; X-Ray would put a "*" policy on every role.',
  );
  add(
    main,
    'Serverless-LambdaDLQ',
    'Invoked synchronously (API Gateway, CloudFormation, Secrets Manager) or retried by the next scheduled run; errors alarm.',
  );
  add(
    main.signingKeys.provider,
    'Serverless-LambdaDefaultMemorySize',
    "CDK's custom resource framework function: its memory is the framework's choice, not ours.",
  );
  if (main.signingKeys.rotationSchedule !== undefined) {
    add(
      main.signingKeys.rotationSchedule,
      'Serverless-EventBusDLQ',
      'A missed rotation run is redone by the next one (minutes later); the key-age alarm fires if runs keep failing.',
    );
  }
  if (main.monitoring.key !== undefined) acknowledgeTopic(main.monitoring.topic);
  if (main.monitoring.edgeRefusals !== undefined) acknowledgeEdgeRefusals(main.monitoring.edgeRefusals);

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
  if (main.deviceKeys !== undefined) {
    add(
      main.deviceKeys,
      'AwsSolutions-IAM5[Resource::*]',
      'Secrets Manager rotation grants GetRandomPassword, which takes no resource; every other call names the secret or the KeyValueStore.',
    );
  }
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
        `AwsSolutions-IAM5[Resource::${arnReference(main.media.bucket)}/vod-source/*]`,
        'MediaPackage VOD may read any source asset, and only those, under the vod-source/ prefix.',
      );
    }
  }
  // The distribution's own findings are the team's business when it brought the distribution.
  if (!main.delivery.distributionIsShared) {
    add(
      main.delivery.distribution,
      'AwsSolutions-CFR3',
      'Standard logging v2 (AWS::Logs::Delivery from us-east-1, lib/cloudfront-logs.ts) replaces the legacy Logging property this rule reads.',
    );
    if (main.settings.delivery.geoRestriction.type === 'none') {
      add(
        main.delivery.distribution,
        'AwsSolutions-CFR1',
        'Geo restriction "none" was chosen (a global service); grants, not geography, decide who plays.',
      );
    }
    if (!main.delivery.hasWebAcl) {
      add(
        main.delivery.distribution,
        'AwsSolutions-CFR2',
        'No web ACL was chosen (StreamgateWebAcl.none()): the team protects the distribution another way.',
      );
    }
  }
  if (main.media.bucketIsShared && main.media.logBucketIsOwn) {
    add(
      main.media.logBucket,
      'AwsSolutions-S1',
      'The log bucket is the destination of CloudFront standard logs; logging it into itself loops, as AWS advises.',
    );
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
      'Serverless-SQSRedrivePolicy',
      "The stream consumer's on-failure destination is itself the dead-letter queue; its depth is alarmed.",
    );
    add(
      edgeRevocation.schedule,
      'Serverless-EventBusDLQ',
      'A missed sweep is redone by the next one minutes later; the store size is alarmed.',
    );
    add(
      edgeRevocation.failedRecords,
      'AwsSolutions-SQS3',
      "This queue is the stream event source's on-failure destination (a DLQ itself); its depth is alarmed.",
    );
  }
  if (main.delivery.domainNames.length === 0 && !main.delivery.distributionIsShared) {
    add(
      main.delivery.distribution,
      'AwsSolutions-CFR4',
      'Without a custom domain the cloudfront.net certificate is used, whose TLS policy cannot be chosen; set delivery.domainNames.',
    );
  }
}

/**
 * A bucket's ARN as cdk-nag prints it in a finding id: `<LogicalId.Arn>` for a bucket of this
 * stack, else the ARN itself (an imported bucket's is a plain string).
 */
function arnReference(bucket: IConstruct & { readonly bucketArn: string }): string {
  const resource = bucket.node.defaultChild;
  if (CfnElement.isCfnElement(resource) && Stack.of(resource) === Stack.of(bucket)) return `<${logicalId(bucket)}.Arn>`;
  return bucket.bucketArn;
}

/** The CloudFormation logical id of a construct's default resource, as cdk-nag prints it in finding ids. */
function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}
