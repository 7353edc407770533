/**
 * The operator's admin token: `$STREAMGATE_ADMIN_TOKEN` as given, or the OAuth 2.0
 * client-credentials grant against the IdP's token endpoint (`--token-url`), the client's id and
 * secret read from `$STREAMGATE_CLIENT_ID` / `$STREAMGATE_CLIENT_SECRET` only: never a command-line
 * argument (visible in `ps` and shell history), never printed. The grant itself is verify's
 * (verify/tokens.ts); a granted token is reused until a minute before it expires.
 */
import { clientCredentialsSource, staticSource, type TokenSource } from '../../verify/tokens';

export const ADMIN_TOKEN_VARIABLE = 'STREAMGATE_ADMIN_TOKEN';
export const CLIENT_ID_VARIABLE = 'STREAMGATE_CLIENT_ID';
export const CLIENT_SECRET_VARIABLE = 'STREAMGATE_CLIENT_SECRET';
/** Renew this long before `exp`, so a bulk run never sends an expiring token. */
const RENEW_BEFORE_SECONDS = 60;

export interface CredentialOptions {
  tokenUrl?: string;
  scope?: string;
  audience?: string;
  clientAuth?: 'basic' | 'post';
}

export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

/** A function giving a current admin bearer token, from the one source the options and environment name. */
export function adminTokens(options: CredentialOptions, env: NodeJS.ProcessEnv): () => Promise<string> {
  const fixed = env[ADMIN_TOKEN_VARIABLE];
  const hasFixed = fixed !== undefined && fixed !== '';
  if (options.tokenUrl !== undefined && hasFixed)
    throw new CredentialError(`one admin credential: --token-url or $${ADMIN_TOKEN_VARIABLE}, not both`);
  let source: TokenSource;
  if (options.tokenUrl !== undefined) {
    const clientId = env[CLIENT_ID_VARIABLE];
    const clientSecret = env[CLIENT_SECRET_VARIABLE];
    const missing = [
      clientId ? undefined : CLIENT_ID_VARIABLE,
      clientSecret ? undefined : CLIENT_SECRET_VARIABLE,
    ].filter((name) => name !== undefined);
    if (missing.length > 0)
      throw new CredentialError(`--token-url needs the client in the environment: set $${missing.join(' and $')}`);
    source = clientCredentialsSource({
      tokenUrl: options.tokenUrl,
      clientId: clientId as string,
      clientSecret: clientSecret as string,
      scope: options.scope,
      audience: options.audience,
      auth: options.clientAuth,
    });
  } else if (hasFixed) {
    source = staticSource(fixed, ADMIN_TOKEN_VARIABLE);
  } else {
    throw new CredentialError(
      `an admin credential is required: --token-url with $${CLIENT_ID_VARIABLE} and $${CLIENT_SECRET_VARIABLE} (client credentials), or $${ADMIN_TOKEN_VARIABLE}`,
    );
  }
  let current: { token: string; renewAt: number } | undefined;
  return async () => {
    const now = Math.floor(Date.now() / 1000);
    if (current !== undefined && now < current.renewAt) return current.token;
    const issued = await source.token({ sub: '', videos: [] });
    current = { token: issued.token, renewAt: (issued.exp ?? now) - RENEW_BEFORE_SECONDS };
    return issued.token;
  };
}
