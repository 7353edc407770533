/**
 * The dev IdP's OAuth 2.0 client-credentials grant (RFC 6749 §4.4), so the operator CLI gets its
 * admin token locally the way it gets one from the team's IdP deployed. One confidential client,
 * `streamgate-operator`, whose secret is made on first use and kept in the local folder (0600,
 * git-ignored); it may ask for the admin scope only. Client authentication: HTTP Basic
 * (client_secret_basic) or form fields (client_secret_post), compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { createFileOnce, readIfPresent } from '../atomic-file';

export const OPERATOR_CLIENT_ID = 'streamgate-operator';
/** What the operator client gets: the API's default admin scope (lambda/core/config.ts ADMIN_SCOPE). */
export const OPERATOR_SCOPE = 'streamgate:admin';
export const CLIENT_TOKEN_TTL_SECONDS = 900;
const CLIENTS_FILE = 'idp-operator-client.json';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** The operator client of the folder `dir`: read, or made on first use (one winner if two processes race). */
export function loadOrCreateOperatorClient(dir: string): OAuthClient {
  const path = join(dir, CLIENTS_FILE);
  const made: OAuthClient = { clientId: OPERATOR_CLIENT_ID, clientSecret: randomBytes(32).toString('base64url') };
  createFileOnce(path, `${JSON.stringify(made)}\n`, 0o600);
  const stored = JSON.parse(readIfPresent(path) ?? '{}') as Partial<OAuthClient>;
  if (typeof stored.clientId !== 'string' || typeof stored.clientSecret !== 'string')
    throw new Error(`${path}: not an OAuth client (delete it to make a new one)`);
  return { clientId: stored.clientId, clientSecret: stored.clientSecret };
}

/** An RFC 6749 §5.2 error: its status, code and (for invalid_client) the Basic challenge. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope',
    message: string,
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}

/**
 * Checks a token request (form body, Authorization header) against `client`: answers the scope
 * to grant, or throws OAuthError naming what is wrong.
 */
export function clientCredentialsGrant(
  client: OAuthClient,
  authorization: string | undefined,
  form: URLSearchParams,
): string {
  if (form.get('grant_type') !== 'client_credentials')
    throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
  let id = form.get('client_id');
  let secret = form.get('client_secret');
  if (authorization !== undefined) {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization);
    if (basic === null) throw new OAuthError(401, 'invalid_client', 'Authorization must be HTTP Basic');
    if (id !== null || secret !== null)
      throw new OAuthError(400, 'invalid_request', 'authenticate once: Basic or form fields, not both');
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // RFC 6749 §2.3.1: both parts form-urlencoded inside Basic.
    id = decodeURIComponent(decoded.slice(0, colon === -1 ? undefined : colon).replace(/\+/g, ' '));
    secret = colon === -1 ? '' : decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  }
  if (id === null || secret === null) throw new OAuthError(401, 'invalid_client', 'client authentication is required');
  if (!(sameText(id, client.clientId) && sameText(secret, client.clientSecret)))
    throw new OAuthError(401, 'invalid_client', 'unknown client or wrong secret');
  const scope = form.get('scope');
  if (scope?.split(' ').some((wanted) => wanted !== OPERATOR_SCOPE))
    throw new OAuthError(400, 'invalid_scope', `this client may ask for "${OPERATOR_SCOPE}" only`);
  return OPERATOR_SCOPE;
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
