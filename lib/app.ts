/**
 * The repository's whole deployment from one validated config (what `cdk deploy` of this
 * repository deploys): the us-east-1 edge stack (WAF), the main stack (one `Streamgate`), and,
 * when the main stack is not in us-east-1, the us-east-1 edge alarms stack (WAF and CloudFront
 * alarms, whose metrics exist only there). It adds no rule pack, aspect or tag to the app: the
 * app that calls it does (bin/streamgate.ts, as cdk-nag's README shows).
 */
import type { Construct } from 'constructs';
import type { StreamgateConfig } from './config';
import { EdgeAlarmsStack, EdgeStack } from './edge-stack';
import { EDGE_METRICS_REGION } from './monitoring';
import { acknowledgeEdgeAlarmFindings } from './nag';
import { StreamgateStack } from './streamgate-stack';

export interface StreamgateStacks {
  readonly edge: EdgeStack;
  readonly main: StreamgateStack;
  /** The WAF and CloudFront alarms when the main stack is outside us-east-1 (else they are in it). */
  readonly edgeAlarms?: EdgeAlarmsStack;
}

export interface CreateStreamgateOptions {
  /**
   * Folder of the API handlers.
   * @default lambda/handlers
   */
  readonly handlersDir?: string;
}

export function createStreamgate(
  app: Construct,
  config: StreamgateConfig,
  options: CreateStreamgateOptions = {},
): StreamgateStacks {
  const edge = new EdgeStack(app, `${config.name}-edge`, {
    config,
    description: 'streamgate edge protection: CLOUDFRONT-scope WAF web ACL (us-east-1)',
  });
  const main = new StreamgateStack(app, config.name, {
    config,
    webAclArn: edge.protection.webAclArn,
    webAclName: edge.protection.webAclName,
    handlersDir: options.handlersDir,
    description:
      'streamgate: token-protected video streaming (CloudFront signed cookies, playback API, MediaPackage DRM)',
  });
  const edgeAlarms =
    config.region === EDGE_METRICS_REGION
      ? undefined
      : new EdgeAlarmsStack(app, `${config.name}-edge-alarms`, {
          config,
          webAclName: edge.protection.webAclName,
          distributionId: main.delivery.distribution.distributionId,
          viewerRequestFunctionName: main.delivery.viewerRequestFunction.functionName,
          logBucketArn: main.media.logBucket.bucketArn,
          description:
            'streamgate edge alarms: WAF and CloudFront alarms and their SNS topic (us-east-1, where those metrics live)',
        });
  if (edgeAlarms !== undefined) acknowledgeEdgeAlarmFindings(edgeAlarms.alarms);
  return { edge, main, edgeAlarms };
}
