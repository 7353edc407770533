/**
 * The us-east-1 stacks. The edge stack: CloudFront only attaches CLOUDFRONT-scope web ACLs, and
 * those exist only in us-east-1; the main stack reads the ACL's ARN through a cross-region
 * reference. The edge alarms stack: the WAF and CloudFront metrics exist only in us-east-1 and an
 * alarm watches only its own region, so when the main stack is elsewhere their alarms (and the
 * topic they notify) live here. It needs the distribution id, so it comes after the main stack:
 * putting these alarms in the edge stack would make the two stacks depend on each other.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StreamgateConfig } from './config';
import { EdgeProtection } from './edge-protection';
import { EDGE_METRICS_REGION, EdgeAlarms, edgeRefusalKinds } from './monitoring';
import { API_ROUTES, apiMethods } from '../lambda/core/api-routes';
import { CloudFrontAccessLogs } from './cloudfront-logs';
import { MediaOrigin } from './media-origin';

const LICENCE_ROUTE = (() => {
  const route = API_ROUTES.find((candidate) => candidate.operation === 'licence');
  if (route === undefined) throw new Error('the API has no licence route');
  return route;
})();

export interface EdgeStackProps extends StackProps {
  /** The validated deploy config (account, WAF limits, log retention). */
  readonly config: StreamgateConfig;
}

export class EdgeStack extends Stack {
  readonly protection: EdgeProtection;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.config.account, region: 'us-east-1' },
      crossRegionReferences: true,
    });
    const { waf } = props.config;
    this.protection = new EdgeProtection(this, 'EdgeProtection', {
      rateLimitPerIp: waf.rateLimitPerIp,
      apiRateLimitPerIp: waf.apiRateLimitPerIp,
      evaluationWindowSeconds: waf.evaluationWindowSeconds,
      apiMethods: apiMethods(props.config.delivery.allowedOrigins),
      name: props.config.name,
      logRetentionDays: props.config.logRetentionDays,
      licenceRoute: {
        pathPrefix: LICENCE_ROUTE.path.slice(0, LICENCE_ROUTE.path.indexOf('{')),
        method: LICENCE_ROUTE.method,
        maxBodyBytes: props.config.drm.licenceMaxBodyBytes,
      },
    });
  }
}

export interface EdgeAlarmsStackProps extends StackProps {
  /** The validated deploy config (account, name, monitoring). */
  readonly config: StreamgateConfig;
  /** Name of the CLOUDFRONT-scope web ACL (EdgeStack). */
  readonly webAclName: string;
  /** Id of the distribution (main stack). */
  readonly distributionId: string;
  /** Name of the viewer-request function (main stack), whose refusals are counted from its logs. */
  readonly viewerRequestFunctionName: string;
  /** ARN of the log bucket CloudFront's standard logs (v2) go to (main stack). */
  readonly logBucketArn: string;
}

export class EdgeAlarmsStack extends Stack {
  readonly alarms: EdgeAlarms;
  readonly accessLogs: CloudFrontAccessLogs;

  constructor(scope: Construct, id: string, props: EdgeAlarmsStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.config.account, region: EDGE_METRICS_REGION },
      crossRegionReferences: true,
    });
    const { name, monitoring } = props.config;
    this.alarms = new EdgeAlarms(this, 'EdgeAlarms', {
      name,
      alarmEmail: monitoring.alarmEmail,
      alarms: monitoring.alarms,
      webAclName: props.webAclName,
      distributionId: props.distributionId,
      edgeRefusals: {
        functionName: props.viewerRequestFunctionName,
        kinds: edgeRefusalKinds(props.config),
        retentionDays: props.config.logRetentionDays,
      },
    });
    // A CloudFront delivery source exists only in us-east-1.
    this.accessLogs = new CloudFrontAccessLogs(this, 'AccessLogs', {
      distributionId: props.distributionId,
      bucketArn: props.logBucketArn,
      prefix: MediaOrigin.CLOUDFRONT_LOG_PREFIX,
      name,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'WAF and CloudFront alarms; subscribe more endpoints here',
    });
  }
}
