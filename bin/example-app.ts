/**
 * The example app this repository deploys: the whole deployment from a config file
 * (lib/app.ts), with what an app does for itself: cdk-nag's AWS Solutions and Serverless packs as
 * validation plugins on every synth (an unacknowledged finding fails synthesis; streamgate's own
 * acknowledgements, each with its reason, are in lib/nag.ts) and a project tag on everything.
 */
import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type CreateStreamgateOptions, createStreamgate, type StreamgateStacks } from '../lib/app';
import type { StreamgateConfig } from '../lib/config';

export function exampleApp(
  app: App,
  config: StreamgateConfig,
  options: CreateStreamgateOptions = {},
): StreamgateStacks {
  const stacks = createStreamgate(app, config, options);
  Tags.of(app).add('project', 'streamgate');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return stacks;
}
