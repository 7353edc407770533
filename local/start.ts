/**
 * `npm start`: brings up the local stack and prints a banner: the URL to open, the demo viewers,
 * the monitor page and a token example. Ctrl-C stops it all.
 * Environment: PORT (default 8080), STREAMGATE_LOCAL_DIR (default .local), SIGNED_TTL_SECONDS,
 * STREAMGATE_KEY_GROUP_FILE (extra trusted keys without code changes), DYNAMODB_ENDPOINT (a
 * DynamoDB-compatible server to use instead of the built-in dynalite), STREAMGATE_KEY_ALGORITHM
 * (RSA_2048, the default, or ECDSA_P256: the type of key local mode signs with).
 * `--config <file>` or STREAMGATE_CONFIG: the team's deploy config file (local/config-file.ts),
 * validated as `cdk synth` validates it; SIGNED_TTL_SECONDS and STREAMGATE_KEY_ALGORITHM, when
 * set, still win over its values.
 */
// First: it takes over warning output before any import loads the AWS SDK.
import { startupWarnings } from './startup-warnings';
import { Logger } from '@aws-lambda-powertools/logger';
import { startBanner } from './banner';
import { KEY_ALGORITHM_VARIABLE, localKeyAlgorithm } from './cloudfront-keys';
import { localDir } from './idp/defaults';
import { configPathFrom } from './config-settings';
import { startLocalStack } from './stack';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT: must be a port number, got "${process.env.PORT}"`);
  const dynamoEndpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  if (dynamoEndpoint !== undefined && !/^https?:\/\/[^/]/.test(dynamoEndpoint)) {
    throw new Error(`DYNAMODB_ENDPOINT: must be an http(s) URL such as http://localhost:8000, got "${dynamoEndpoint}"`);
  }
  const configPath = configPathFrom(process.argv.slice(2), process.env);
  // The deploy schema is loaded only for a file: it brings part of aws-cdk-lib.
  const config = configPath === undefined ? undefined : (await import('./config-file')).loadLocalConfig(configPath);
  const keyAlgorithm = process.env[KEY_ALGORITHM_VARIABLE];
  const stack = await startLocalStack({
    dir: localDir(),
    dynamoEndpoint,
    port,
    signedTtlSeconds: process.env.SIGNED_TTL_SECONDS === undefined ? undefined : Number(process.env.SIGNED_TTL_SECONDS),
    keyGroupFile: process.env.STREAMGATE_KEY_GROUP_FILE,
    keyAlgorithm: config !== undefined && (keyAlgorithm ?? '') === '' ? undefined : localKeyAlgorithm(keyAlgorithm),
    config,
    // As deployed: the edge adds the origin-verify header and the API refuses requests without it.
    originVerify: true,
    logger: new Logger({
      serviceName: 'streamgate-local',
      logLevel: process.env.POWERTOOLS_LOG_LEVEL === undefined ? 'INFO' : undefined,
    }),
  });
  console.log(startBanner(stack.url, startupWarnings));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`streamgate local failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
