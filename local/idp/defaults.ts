/**
 * The local dev IdP's identity, shared by the start script, the token CLI and the local API
 * config, so a token minted by one is accepted by the others.
 */
import { join, resolve } from 'node:path';

/** `iss` of every dev token; also where the local edge mounts the IdP. */
export const DEV_IDP_ISSUER = 'http://localhost:8080/idp';
/** `aud` of every dev token; the API must be configured with the same audience. */
export const DEV_IDP_AUDIENCE = 'streamgate';
/** Path prefix the IdP's handler answers under: `${prefix}/jwks.json`, `${prefix}/token`. */
export const DEV_IDP_PATH_PREFIX = '/idp';
/**
 * The authentication levels (`acr`) the dev IdP can sign a viewer in at: a plain sign-in, and one
 * confirmed with a second factor (a fixed code: it shows the step-up flow, it protects nothing).
 */
export const DEV_IDP_ACR = { signIn: 'urn:streamgate:loa:1', secondFactor: 'urn:streamgate:loa:2' } as const;
/** The dev IdP's second factor: this code, always (local mode only; shown on the demo page). */
export const DEV_IDP_SECOND_FACTOR_CODE = '246810';
/** Scope granted when a token request names none. */
export const DEV_IDP_DEFAULT_SCOPE = 'stream:play';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** The git-ignored folder for local keys: `$STREAMGATE_LOCAL_DIR`, else `<repo>/.local`. */
export function localDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.STREAMGATE_LOCAL_DIR;
  return configured !== undefined && configured !== '' ? resolve(configured) : join(REPO_ROOT, '.local');
}
