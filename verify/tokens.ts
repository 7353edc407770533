/**
 * Where the battery gets bearer tokens, in the shapes real identity providers offer: a command
 * that prints one (the local dev IdP's `npm run -s token`, a CLI of the team's IdP), the OAuth 2.0
 * client-credentials grant (RFC 6749 §4.4), or a fixed token in an environment variable.
 * A command is told which test user the battery wants (STREAMGATE_VERIFY_SUB) and which videos
 * (STREAMGATE_VERIFY_VIDEOS); the other sources give the IdP's own subject.
 */
import { execFile } from 'node:child_process';
import { decodeJwt } from 'jose';

export interface IssuedToken {
  token: string;
  sub?: string;
  jti?: string;
  /** Epoch seconds. */
  iat?: number;
  exp?: number;
}

export interface TokenSource {
  /** For the report: the kind of source, never a secret. */
  readonly description: string;
  /** Whether each call gives a new token (a command, client credentials) or always the same one. */
  readonly mints: boolean;
  /** Whether the source can issue tokens for the test user the battery names. */
  readonly honoursSub: boolean;
  token(request: { sub: string; videos: string[] }): Promise<IssuedToken>;
}

export class TokenSourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenSourceError';
  }
}

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The claims the battery uses, read without verifying (the deployment verifies; this only reports). */
export function describeToken(token: string): IssuedToken {
  if (!JWS_COMPACT.test(token)) throw new TokenSourceError('the token source gave something that is not a compact JWT');
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch (cause) {
    throw new TokenSourceError('the token source gave a JWT whose claims cannot be read', { cause });
  }
  return {
    token,
    ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
    ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
    ...(typeof claims.iat === 'number' ? { iat: claims.iat } : {}),
    ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
  };
}

/** Runs `command` in a shell; its last non-empty line on stdout is the token. */
export function commandSource(command: string, env: NodeJS.ProcessEnv = process.env): TokenSource {
  return {
    description: 'command',
    mints: true,
    honoursSub: true,
    token: ({ sub, videos }) =>
      new Promise((done, fail) => {
        execFile(
          '/bin/sh',
          ['-c', command],
          {
            env: { ...env, STREAMGATE_VERIFY_SUB: sub, STREAMGATE_VERIFY_VIDEOS: videos.join(',') },
            timeout: 60_000,
            maxBuffer: 1024 * 1024,
          },
          (error, stdout, stderr) => {
            if (error !== null) {
              const said = String(stderr).trim().split('\n').slice(-3).join(' / ');
              fail(
                new TokenSourceError(
                  `token command failed (${error.message.split('\n')[0]})${said ? `: ${said}` : ''}`,
                ),
              );
              return;
            }
            const line = String(stdout)
              .split('\n')
              .map((text) => text.trim())
              .filter((text) => text !== '')
              .pop();
            try {
              done(describeToken(line ?? ''));
            } catch (cause) {
              fail(cause);
            }
          },
        );
      }),
  };
}

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Some IdPs (Auth0) want the API's identifier as `audience`. */
  audience?: string;
  /** RFC 6749 §2.3.1: HTTP Basic (every server must take it) or the body. @default 'basic' */
  auth?: 'basic' | 'post';
}

/** The client-credentials grant: POST the token endpoint, read `access_token`. */
export function clientCredentialsSource(client: ClientCredentials): TokenSource {
  return {
    description: `client credentials (${client.clientId} at ${new URL(client.tokenUrl).host})`,
    mints: true,
    honoursSub: false,
    token: async () => {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      if (client.scope !== undefined) form.set('scope', client.scope);
      if (client.audience !== undefined) form.set('audience', client.audience);
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      if (client.auth === 'post') {
        form.set('client_id', client.clientId);
        form.set('client_secret', client.clientSecret);
      } else {
        // RFC 6749 §2.3.1: each part form-encoded before base64.
        const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
        headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
      }
      let response: Response;
      try {
        response = await fetch(client.tokenUrl, {
          method: 'POST',
          headers,
          body: form,
          signal: AbortSignal.timeout(15_000),
        });
      } catch (cause) {
        throw new TokenSourceError(`token endpoint ${client.tokenUrl} unreachable`, { cause });
      }
      const text = await response.text();
      let body: { access_token?: unknown; error?: unknown } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // reported below
      }
      if (!response.ok || typeof body.access_token !== 'string') {
        const error = typeof body.error === 'string' ? `: ${body.error}` : '';
        throw new TokenSourceError(`token endpoint answered ${response.status}${error} (no access_token)`);
      }
      return describeToken(body.access_token);
    },
  };
}

/** One fixed token (an environment variable): read-only checks only. */
export function staticSource(token: string, variable: string): TokenSource {
  let issued: IssuedToken;
  try {
    issued = describeToken(token);
  } catch (cause) {
    throw new TokenSourceError(`$${variable}: ${(cause as Error).message}`, { cause });
  }
  return {
    description: `$${variable}`,
    mints: false,
    honoursSub: false,
    token: async () => issued,
  };
}
