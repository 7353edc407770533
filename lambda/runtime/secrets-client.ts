/**
 * The two Secrets Manager pieces streamgate uses, in a module of their own so that
 * lambda/runtime/secrets.ts can load them on first use (and a bundle keeps only these two).
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
