/** Secrets Manager reads at init: a failure names the variable that pointed at the secret. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../core/config';

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
    return (await client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: options.versionStage })))
      .SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown error';
    if (options.optional === true && name === 'ResourceNotFoundException') return undefined;
    throw new ConfigError(variable, `cannot be read (${name})`);
  }
}
