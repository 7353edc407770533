/**
 * The whole deployment from one validated config: the us-east-1 edge stack (WAF) and the main
 * stack, with cdk-nag's AWS Solutions pack as a validation plugin on every synth. An
 * unacknowledged finding fails synthesis (CDK's policy-validation report); every acknowledgement
 * carries a one-line reason (lib/nag.ts).
 */
import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { StreamgateConfig } from './config';
import { EdgeStack } from './edge-stack';
import { acknowledgeFindings } from './nag';
import { StreamgateStack } from './streamgate-stack';

export interface StreamgateStacks {
  readonly edge: EdgeStack;
  readonly main: StreamgateStack;
}

export interface CreateStreamgateOptions {
  /**
   * Folder of the API handlers.
   * @default lambda/handlers
   */
  readonly handlersDir?: string;
}

export function createStreamgate(app: App, config: StreamgateConfig, options: CreateStreamgateOptions = {}): StreamgateStacks {
  const edge = new EdgeStack(app, `${config.name}-edge`, {
    config,
    description: 'streamgate edge protection: CLOUDFRONT-scope WAF web ACL (us-east-1)',
  });
  const main = new StreamgateStack(app, config.name, {
    config,
    webAclArn: edge.protection.webAclArn,
    handlersDir: options.handlersDir,
    description: 'streamgate: token-protected video streaming (CloudFront signed cookies, playback API, MediaPackage DRM)',
  });
  Tags.of(app).add('project', 'streamgate');
  acknowledgeFindings({ edge, main });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { edge, main };
}
