/**
 * The repository's main stack, in the configured region: one `Streamgate` construct built from
 * the deploy config, and the stack outputs operators read. The construct's id is `Default`, which
 * CDK leaves out of logical ids, so stacks deployed before streamgate became a construct keep
 * every logical id and update in place (test/infra/logical-ids.test.ts).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StreamgateConfig } from './config';
import { propsFromConfig } from './config-props';
import { Streamgate } from './streamgate';
import { StreamgateWebAcl } from './streamgate-props';

export interface StreamgateStackProps extends StackProps {
  /** The validated deploy config. */
  readonly config: StreamgateConfig;
  /** ARN of the CLOUDFRONT-scope web ACL (EdgeStack). */
  readonly webAclArn: string;
  /** Name of the same web ACL (the dimension of its metrics). */
  readonly webAclName: string;
  /**
   * Folder of the API handlers.
   * @default lambda/handlers
   */
  readonly handlersDir?: string;
}

export class StreamgateStack extends Stack {
  readonly streamgate: Streamgate;

  constructor(scope: Construct, id: string, props: StreamgateStackProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      env: { account: config.account, region: config.region },
      crossRegionReferences: true,
    });
    this.streamgate = new Streamgate(
      this,
      'Default',
      { ...propsFromConfig(this, config), webAcl: StreamgateWebAcl.fromArn(props.webAclArn, props.webAclName) },
      { handlersDir: props.handlersDir },
    );
    const sg = this.streamgate;

    new CfnOutput(this, 'BaseUrl', { value: sg.delivery.baseUrl, description: 'Player page, media and API' });
    new CfnOutput(this, 'DistributionDomainName', { value: sg.delivery.distribution.distributionDomainName });
    new CfnOutput(this, 'DistributionId', { value: sg.delivery.distribution.distributionId });
    new CfnOutput(this, 'MediaBucketName', {
      value: sg.media.bucket.bucketName,
      description: 'Upload web/ and media/<videoId>/ here',
    });
    new CfnOutput(this, 'KeyGroupId', {
      value: sg.signingKeys.keyGroup.keyGroupId,
      description: 'Signing keys trusted by CloudFront (members managed by the rotation)',
    });
    new CfnOutput(this, 'SigningKeyRotatorName', {
      value: sg.signingKeys.rotator?.function.functionName ?? '',
      description: 'Invoke with {"force": true} to rotate the signing key now',
    });
    new CfnOutput(this, 'RevocationTableName', { value: sg.table.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: sg.monitoring.topic.topicArn,
      description: `Alarms of ${config.region}; subscribe more endpoints here`,
    });
    if (sg.edgeRevocation !== undefined) {
      new CfnOutput(this, 'EdgeDenyListArn', {
        value: sg.edgeRevocation.store.keyValueStoreArn,
        description: 'KeyValueStore the viewer-request function reads (revoked grants)',
      });
      new CfnOutput(this, 'EdgeDenyListFailedRecordsQueueUrl', {
        value: sg.edgeRevocation.failedRecords.queueUrl,
        description: 'Stream batches the deny-list could not write (see docs/operations.md)',
      });
    }
    new CfnOutput(this, 'DashboardName', { value: sg.monitoring.dashboard.dashboardName });
    if (sg.packaging?.ingestRole !== undefined) {
      new CfnOutput(this, 'VodIngestRoleArn', {
        value: sg.packaging.ingestRole.roleArn,
        description: 'Source role for mediapackage-vod create-asset',
      });
    }
  }

  get table() {
    return this.streamgate.table;
  }
  get media() {
    return this.streamgate.media;
  }
  get signingKeys() {
    return this.streamgate.signingKeys;
  }
  get packaging() {
    return this.streamgate.packaging;
  }
  get delivery() {
    return this.streamgate.delivery;
  }
  get edgeRevocation() {
    return this.streamgate.edgeRevocation;
  }
  get api() {
    return this.streamgate.api;
  }
  get monitoring() {
    return this.streamgate.monitoring;
  }
  get originSecretRotation() {
    return this.streamgate.originSecretRotation;
  }
  get cdnSecretRotation() {
    return this.streamgate.cdnSecretRotation;
  }
  get accessLogs() {
    return this.streamgate.accessLogs;
  }
}
