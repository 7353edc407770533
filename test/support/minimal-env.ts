/** The fewest Lambda environment variables lambda/core/config.ts accepts: every other one at its default. */
export const MINIMAL_LAMBDA_ENV: Readonly<Record<string, string>> = {
  JWT_ISSUER: 'https://idp.example/',
  JWT_AUDIENCE: 'streamgate',
  JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
  REVOCATION_TABLE_NAME: 'streamgate-revocations',
  MEDIA_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
  SIGNING_KEY_PAIR_ID: 'K2JCJMDEHXQW5F',
  SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cf-key',
};
