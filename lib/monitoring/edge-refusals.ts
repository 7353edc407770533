/**
 * Metrics for the viewer-request function's refusals (domain restriction, device binding).
 * CloudFront Functions cannot emit metrics: their console.log lines go to CloudWatch Logs
 * `/aws/cloudfront/function/<FunctionName>` in us-east-1
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-logs.html),
 * where metric filters count the `streamgate-refused <kind>` lines.
 *
 * CloudFront creates that group itself at the function's first log line, so a `AWS::Logs::LogGroup`
 * would fail once it exists: an AwsCustomResource creates it if missing (ResourceAlreadyExists is
 * ignored) and sets its retention, and the filters come after it.
 */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import {
  EDGE_REFUSAL_LOG_TAG,
  EDGE_REFUSAL_METRIC,
  type EdgeRefusalKind,
  METRICS_NAMESPACE,
} from '../../lambda/core/metric-names';
import { EDGE_METRICS_REGION } from './signals';

/** The id CDK gives the stack-wide function every AwsCustomResource runs on (aws-cdk-lib custom-resources). */
const AWS_CUSTOM_RESOURCE_SINGLETON = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface EdgeRefusalLogsProps {
  /** The viewer-request function's name (its log group is named after it). */
  readonly functionName: string;
  /** Which refusals are counted: only the layers that are on. */
  readonly kinds: readonly EdgeRefusalKind[];
  /** Retention of the function's log group. */
  readonly retentionDays: number;
}

/** The refusal kinds a deployment's layers make: only the layers that are on. */
export function edgeRefusalKinds(config: {
  readonly domainRestriction: { readonly enabled: boolean };
  readonly deviceBinding: { readonly enabled: boolean };
}): EdgeRefusalKind[] {
  return [
    ...(config.domainRestriction.enabled ? (['foreign-site'] as const) : []),
    ...(config.deviceBinding.enabled ? (['device'] as const) : []),
  ];
}

/** The log group CloudFront writes a function's logs to. */
export const functionLogGroupName = (functionName: string): string => `/aws/cloudfront/function/${functionName}`;

/** The filter pattern of one refusal kind: the function's exact log phrase. */
export const refusalPattern = (kind: EdgeRefusalKind): string => `"${EDGE_REFUSAL_LOG_TAG} ${kind}"`;

export class EdgeRefusalLogs extends Construct {
  readonly logGroupName: string;
  readonly filters: readonly logs.MetricFilter[];
  /** The one wildcard resource its custom resources are granted (lib/nag.ts acknowledges it). */
  readonly streamsArn: string;
  /** The custom resources and the stack's AwsCustomResource function they run on (lib/nag.ts). */
  readonly calls: readonly cr.AwsCustomResource[];
  readonly provider: IConstruct;

  constructor(scope: Construct, id: string, props: EdgeRefusalLogsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (stack.region !== EDGE_METRICS_REGION)
      throw new Error(`EdgeRefusalLogs needs a stack in ${EDGE_METRICS_REGION}, where CloudFront Functions log`);
    if (props.kinds.length === 0) throw new Error('EdgeRefusalLogs: kinds must name at least one refusal');
    this.logGroupName = functionLogGroupName(props.functionName);
    const groupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: this.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // The group and its `:*` form (a log group's ARN as CloudFormation and IAM examples write it): nothing else.
    this.streamsArn = `${groupArn}:*`;
    const policy = cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [groupArn, this.streamsArn] });
    // The calls' own function logs here: unnamed, kept as long as the stack's other logs and
    // deleted with the stack (CDK's default group for it would be retained under the function's name).
    const callLogs = new logs.LogGroup(this, 'CallLogs', {
      retention: props.retentionDays as logs.RetentionDays, // one of CloudWatch's values: the config checks it
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const ensure = new cr.AwsCustomResource(this, 'EnsureLogGroup', {
      onCreate: {
        service: 'CloudWatchLogs',
        action: 'createLogGroup',
        parameters: { logGroupName: this.logGroupName },
        physicalResourceId: cr.PhysicalResourceId.of(this.logGroupName),
        // CloudFront created it already: that is the group wanted.
        ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
      },
      // The group outlives the stack: CloudFront writes to it whatever the stack does.
      policy,
      installLatestAwsSdk: false,
      memorySize: 256,
      logGroup: callLogs,
    });
    const retention = new cr.AwsCustomResource(this, 'Retention', {
      onUpdate: {
        service: 'CloudWatchLogs',
        action: 'putRetentionPolicy',
        parameters: { logGroupName: this.logGroupName, retentionInDays: props.retentionDays },
        physicalResourceId: cr.PhysicalResourceId.of(`${this.logGroupName}:retention`),
      },
      policy,
      installLatestAwsSdk: false,
      memorySize: 256,
      logGroup: callLogs,
    });
    retention.node.addDependency(ensure);
    this.calls = [ensure, retention];
    const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON);
    if (provider === undefined) throw new Error('EdgeRefusalLogs: the AwsCustomResource function was not found');
    this.provider = provider;
    const logGroup = logs.LogGroup.fromLogGroupName(this, 'LogGroup', this.logGroupName);
    this.filters = props.kinds.map((kind) => {
      const filter = new logs.MetricFilter(this, `${EDGE_REFUSAL_METRIC[kind]}Filter`, {
        logGroup,
        filterPattern: logs.FilterPattern.literal(refusalPattern(kind)),
        metricNamespace: METRICS_NAMESPACE,
        metricName: EDGE_REFUSAL_METRIC[kind],
        metricValue: '1',
      });
      filter.node.addDependency(ensure);
      return filter;
    });
  }
}
