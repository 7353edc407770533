/**
 * A Node.js Lambda as every streamgate function is built: arm64, the newest Node.js runtime in
 * this aws-cdk-lib, minified with source maps, its own log group with a retention, and a role
 * that can write to that log group and nothing else until a construct grants it more.
 *
 * The code: in this repository (the handler's TypeScript source is there) it is bundled at synth
 * by the local esbuild (never Docker); in the published package (no sources, no lock file, no
 * esbuild at the consumer) it is the bundle `npm pack` built from the same source with the same
 * options (scripts/build-package.ts), under `lambda-bundles/<handler>/` beside the compiled lib.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOG_RETENTION_DAYS } from './config';

/** The newest Node.js Lambda runtime this aws-cdk-lib knows; arm64 is cheaper per ms for the same work. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const NODE_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * SDK v3 clients the Lambda runtime already ships: kept out of the bundle. Everything else,
 * notably `@aws-sdk/cloudfront-signer` (not in the runtime), jose and Powertools, is bundled.
 */
export const RUNTIME_PROVIDED_MODULES = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-cloudfront',
];

/** esbuild's options for every handler: the same at synth (NodejsFunction) and in the package's prebuilt bundles. */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  format: OutputFormat.CJS,
  // Prefer packages' ES module builds: smaller bundles through tree shaking (jose, Powertools).
  mainFields: ['module', 'main'],
} as const;

/** Where the package keeps a handler's prebuilt bundle: `<package>/dist/lambda-bundles/<handler>/index.js`. */
export function prebuiltBundleDir(entry: string): string {
  return path.join(__dirname, '..', 'lambda-bundles', path.basename(entry).replace(/\.[cm]?[jt]s$/, ''));
}

/** A CloudWatch Logs retention from a day count (default 90); `owner` names the construct in the error. */
export function logRetention(days: number | undefined, owner: string): logs.RetentionDays {
  const retention = LOG_RETENTION_DAYS.find((candidate) => candidate === (days ?? 90));
  if (retention === undefined)
    throw new Error(`${owner}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${days}`);
  return retention;
}

export interface NodeFunctionProps {
  /** Path of the TypeScript entry file exporting `handler`. */
  readonly entry: string;
  /** What the function is for (shown in the console). */
  readonly description: string;
  /**
   * Environment variables.
   * @default - none besides NODE_OPTIONS (source maps)
   */
  readonly environment?: Record<string, string>;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Time limit per invocation.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Days to keep the function's logs; one of the CloudWatch Logs retention periods.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Modules esbuild leaves out of the bundle because the runtime provides them.
   * @default RUNTIME_PROVIDED_MODULES
   */
  readonly externalModules?: string[];
}

export class NodeFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 256;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(
        `NodeFunction ${id}: memorySize must be a whole number of MB from 128 to 10240, got ${memorySize}`,
      );
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logRetention(props.logRetentionDays, `NodeFunction ${id}`),
    });
    // An explicit role instead of the default AWSLambdaBasicExecutionRole: it may write only to its own log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${Stack.of(this).stackName})`,
    });
    this.logGroup.grantWrite(this.role);

    const common = {
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: NODE_ARCHITECTURE,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    };
    if (existsSync(props.entry)) {
      this.function = new NodejsFunction(this, 'Function', {
        ...common,
        entry: props.entry,
        handler: 'handler',
        bundling: {
          ...BUNDLING,
          mainFields: [...BUNDLING.mainFields],
          externalModules: props.externalModules ?? RUNTIME_PROVIDED_MODULES,
        },
      });
      return;
    }
    const bundle = prebuiltBundleDir(props.entry);
    if (!existsSync(path.join(bundle, 'index.js'))) {
      throw new Error(
        `NodeFunction ${id}: neither the handler source ${props.entry} nor a prebuilt bundle in ${bundle} exists (build the package with npm pack)`,
      );
    }
    this.function = new lambda.Function(this, 'Function', {
      ...common,
      code: lambda.Code.fromAsset(bundle),
      handler: 'index.handler',
    });
  }
}
