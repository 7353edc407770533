/**
 * The whole deployment from one validated config: the us-east-1 edge stack (WAF), the main
 * stack, and, when the main stack is not in us-east-1, the us-east-1 edge alarms stack (WAF and
 * CloudFront alarms, whose metrics exist only there), with cdk-nag's AWS Solutions pack as a
 * validation plugin on every synth. An unacknowledged finding fails synthesis (CDK's
 * policy-validation report); every acknowledgement carries a one-line reason (lib/nag.ts).
 */
import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { StreamgateConfig } from './config';
import { EdgeAlarmsStack, EdgeStack } from './edge-stack';
import { EDGE_METRICS_REGION } from './monitoring';
import { acknowledgeFindings } from './nag';
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
  app: App,
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
          logBucketArn: main.media.logBucket.bucketArn,
          description:
            'streamgate edge alarms: WAF and CloudFront alarms and their SNS topic (us-east-1, where those metrics live)',
        });
  Tags.of(app).add('project', 'streamgate');
  const stacks = { edge, main, edgeAlarms };
  acknowledgeFindings(stacks);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return stacks;
}
