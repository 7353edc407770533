/** Secrets Manager reads at init: a failure names the variable that pointed at the secret. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from './config';

/** A secret's string value; a failure names the variable that pointed at it. */
export async function readSecret(client: SecretsManagerClient, secretArn: string, variable: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new ConfigError(variable, `cannot be read (${error instanceof Error ? error.name : 'unknown error'})`);
  }
}
