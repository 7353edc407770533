/**
 * What local mode takes from a team's deploy config file once it is validated
 * (local/config-file.ts): the functions' environment, made by the deploy's own mapping
 * (lib/api-environment.ts) so every setting reaches local mode as it reaches the Lambdas, new
 * ones included, and the content folder's video list. Only what cannot work on a laptop is left
 * to local mode (the edge's layers, domain restriction and device binding, come from the file too:
 * local/stack.ts): the media URL and signing key, the DRM vendors (local mode's ClearKey server
 * stands in), the cookie domain and the edge deny-list switch (the stack's own). A config whose
 * `jwt.jwksUrl` is empty names no IdP: the dev IdP's settings stay.
 * No runtime import of the deploy schema: the local stack loads no aws-cdk-lib through it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isVideoId } from '../lambda/core/entitlement-rules';
import { apiEnvironment } from '../lib/api-environment';
import type { StreamgateConfig } from '../lib/config/schema';

export const CONFIG_VARIABLE = 'STREAMGATE_CONFIG';
export const CONFIG_FLAG = '--config';

/** The variables of the deploy mapping that local mode sets itself (or, deployed only, leaves out). */
const LOCAL_ONLY = ['MEDIA_BASE_URL', 'COOKIE_DOMAIN', 'DRM_CATALOG', 'LICENCE_UPSTREAMS', 'EDGE_DENY_LIST'] as const;
/** The IdP's variables: replaced by the dev IdP's when the file names no key set. */
const IDP_VARIABLES = [
  'JWT_ISSUER',
  'JWT_JWKS_URL',
  'JWT_AUDIENCE',
  'JWT_ALGORITHMS',
  'JWT_CLIENT_ID',
  'JWT_TOKEN_USE',
  'JWT_TYP',
];

export interface LocalConfig {
  /** The validated deploy config. */
  readonly config: StreamgateConfig;
  /** Whether the file names an IdP (`jwt.jwksUrl`); false: the dev IdP's tokens are trusted. */
  readonly externalIdp: boolean;
  /** The media folder to serve (absolute), when the file names one (`local.contentDir`). */
  readonly contentDir?: string;
}

/** The config file `npm start` was given: `--config <file>` first, else STREAMGATE_CONFIG; undefined: none. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const at = argv.indexOf(CONFIG_FLAG);
  if (at !== -1) {
    const path = argv[at + 1];
    if (path === undefined || path.startsWith('-')) throw new Error(`${CONFIG_FLAG}: give the config file's path`);
    return resolve(path);
  }
  const fromEnv = env[CONFIG_VARIABLE]?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : resolve(fromEnv);
}

/** The functions' environment from the file, as deployed, less what local mode sets itself. */
export function localApiEnvironment({ config, externalIdp }: LocalConfig): Record<string, string> {
  // The media URL is local mode's own; any value here is replaced.
  const env = apiEnvironment(config, 'http://localhost');
  const dropped = new Set<string>([...LOCAL_ONLY, ...(externalIdp ? [] : IDP_VARIABLES)]);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !dropped.has(name)));
}

/** The player page's list of a team's folder: each `<videoId>/` holding the manifest. */
export function contentCatalog(contentDir: string, manifestName: string): { id: string; title: string }[] {
  return readdirSync(contentDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isVideoId(entry.name))
    .filter((entry) => existsSync(join(contentDir, entry.name, manifestName)))
    .map((entry) => ({ id: entry.name, title: entry.name }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
