/**
 * Secrets Manager reads at init: a failure names the variable that pointed at the secret. The
 * client module is loaded on first use only, so a process that reads no secret (a signing key
 * from a file, no origin-verify secret: local mode) never loads or initialises it.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../core/config';

type SecretsClientModule = typeof import('./secrets-client');

/**
 * `require`, not `import()`: esbuild evaluates a bundled module that is required when it is
 * first required, and leaves an external one a plain require that the Lambda runtime resolves
 * to its own SDK copy; an external `import()` would stay an ES module import, resolved otherwise.
 */
function secretsManager(): SecretsClientModule {
  return require('./secrets-client') as SecretsClientModule;
}

/** A Secrets Manager client for `region` (the SDK's default when undefined). */
export function createSecretsClient(region?: string): SecretsManagerClient {
  return new (secretsManager().SecretsManagerClient)({ region });
}

export interface ReadSecretOptions {
  /** Staging label of the version to read. @default Secrets Manager's default, AWSCURRENT */
  versionStage?: string;
  /** Answer undefined, instead of failing, when no version carries `versionStage`. @default false */
  optional?: boolean;
}

/** A secret's string value; a failure names the variable that pointed at it. */
export async function readSecret(
  client: SecretsManagerClient,
  secretArn: string,
  variable: string,
  options: ReadSecretOptions = {},
): Promise<string | undefined> {
  try {
    return (
      await client.send(
        new (secretsManager().GetSecretValueCommand)({ SecretId: secretArn, VersionStage: options.versionStage }),
      )
    ).SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown error';
    if (options.optional === true && name === 'ResourceNotFoundException') return undefined;
    throw new ConfigError(variable, `cannot be read (${name})`, { cause: error });
  }
}
