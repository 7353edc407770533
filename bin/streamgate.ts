#!/usr/bin/env node
/**
 * CDK app entry: reads the deploy config named by the `streamgate:config` context (cdk.json, or
 * `-c streamgate:config=path`), validates it, and builds the stacks. A bad config stops here with
 * one line per bad field.
 */
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { exampleApp } from './example-app';
import { ConfigValidationError, loadConfigFile } from '../lib/config';

const app = new App();
const configPath: unknown = app.node.tryGetContext('streamgate:config');
if (typeof configPath !== 'string' || configPath === '') {
  console.error(
    'streamgate: set the context "streamgate:config" to the deploy config file (cdk.json, or -c streamgate:config=config/prod.json)',
  );
  process.exit(1);
}
try {
  exampleApp(app, loadConfigFile(path.resolve(configPath)));
} catch (error) {
  if (!(error instanceof ConfigValidationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
