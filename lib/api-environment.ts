/**
 * The API functions' environment (the lambda/core/config.ts variables), and its size. Lambda
 * refuses a function whose environment takes more than 4 KB in all, and it does so at deploy
 * time, after the template was accepted: so the whole environment is measured at validation,
 * every variable at the longest value it can take once deployed, and a config that would not
 * fit is refused naming the fields that fill it (lib/config.ts).
 *
 * The four API functions share one environment (lib/playback-api.ts): the variables from the
 * config below, and four the constructs add whose values CloudFormation makes at deploy time
 * (a table name, two secret ARNs, the cloudfront.net name), bounded here from how
 * CloudFormation names what it creates.
 */
import { liveApiChannels } from './live-api-channels';
import { ABUSE_DEFAULTS, type AbuseSettingName, STREAM_LIMIT_POLICY } from '../lambda/core/abuse-defaults';
import { EDGE_DENY_LIST_VARIABLE } from '../lambda/runtime/deny-list-env';
import { ACCESS_LAYER_VARIABLES } from '../lambda/core/access-layers-config';
import { MEDIA_PATH_PREFIX_VARIABLE, mediaPathPrefix } from '../lambda/core/media-paths';
import { MAX_RENTALS_RECORDED_VARIABLE, RENTAL_TITLES_VARIABLE, RENTALS_CLAIM_VARIABLE } from '../lambda/core/rentals';
import { STEP_UP_VARIABLE } from '../lambda/core/step-up';
import type { StreamgateConfig } from './config/schema';

/** Lambda's cap on one function's environment: every name and value, with the encoding between. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/** The abuse settings, in the order the environment lists them. */
const ABUSE_SETTING_NAMES = Object.keys(ABUSE_DEFAULTS) as AbuseSettingName[];

/** The lambda/core/config.ts variables that come from the deploy config. */
export function apiEnvironment(
  config: StreamgateConfig,
  mediaBaseUrl: string,
  mediaPath: string = mediaPathPrefix(),
): Record<string, string> {
  const { jwt, entitlement, signing, delivery, abuse, edgeRevocation, drm } = config;
  return {
    JWT_ISSUER: jwt.issuer,
    JWT_JWKS_URL: jwt.jwksUrl,
    JWT_ALGORITHMS: jwt.algorithms.join(','),
    JWT_CLOCK_TOLERANCE_SECONDS: String(jwt.clockToleranceSeconds),
    JWT_MAX_LIFETIME_SECONDS: String(jwt.maxLifetimeSeconds),
    JWT_CLIENT_ID_CLAIM: jwt.clientIdClaim,
    JWT_REQUIRE_JTI: String(jwt.requireJti),
    ...definedOnly({
      JWT_AUDIENCE: jwt.audience,
      JWT_CLIENT_ID: jwt.clientId?.join(','),
      JWT_TOKEN_USE: jwt.tokenUse,
      JWT_TYP: jwt.tokenType,
      DEFAULT_PLAN: entitlement.defaultPlan,
      STREAM_LIMIT_CLAIM: entitlement.streamLimitClaim,
    }),
    SCOPE_CLAIM: entitlement.scopeClaim.join(','),
    VIDEOS_CLAIM: entitlement.videosClaim,
    REQUIRE_VIDEOS_CLAIM: String(entitlement.requireVideosClaim),
    REQUIRE_PLAY_SCOPE: String(entitlement.requirePlayScope),
    PLAY_SCOPE: entitlement.playScope,
    ADMIN_SCOPE: entitlement.adminScope,
    PLAN_CLAIM: entitlement.planClaim,
    ...(Object.keys(entitlement.plans).length > 0 ? { ENTITLEMENT_PLANS: JSON.stringify(entitlement.plans) } : {}),
    STREAM_LIMIT_CLAIM_MAX: String(entitlement.streamLimitClaimMax),
    // The title rules (lambda/core/step-up.ts, lambda/core/rentals.ts): only when set, so other templates keep their environment.
    ...(Object.keys(entitlement.stepUp).length > 0 ? { [STEP_UP_VARIABLE]: JSON.stringify(entitlement.stepUp) } : {}),
    ...(Object.keys(entitlement.rentals.titles).length > 0
      ? {
          [RENTAL_TITLES_VARIABLE]: JSON.stringify(entitlement.rentals.titles),
          [RENTALS_CLAIM_VARIABLE]: entitlement.rentals.claim,
          [MAX_RENTALS_RECORDED_VARIABLE]: String(entitlement.rentals.maxRecorded),
        }
      : {}),
    MEDIA_BASE_URL: mediaBaseUrl,
    // Only when not the default: today's templates keep their environment (and their functions).
    ...(mediaPath !== mediaPathPrefix() ? { [MEDIA_PATH_PREFIX_VARIABLE]: mediaPath } : {}),
    MANIFEST_NAME: delivery.manifestName,
    SIGNED_TTL_SECONDS: String(signing.ttlSeconds),
    SIGN_BIND_VIEWER_IP: String(signing.bindViewerIp),
    SIGNING_HASH_ALGORITHM: signing.hashAlgorithm,
    SIGNING_KEY_REFRESH_SECONDS: String(signing.keyRefreshSeconds),
    ...(signing.cookieDomain !== undefined ? { COOKIE_DOMAIN: signing.cookieDomain } : {}),
    ...Object.fromEntries(ABUSE_SETTING_NAMES.map((name) => [ABUSE_DEFAULTS[name].variable, String(abuse[name])])),
    [STREAM_LIMIT_POLICY.variable]: abuse.streamLimitPolicy,
    // on: the API records each grant's id so revoking a session denies its grants at the edge.
    [EDGE_DENY_LIST_VARIABLE]: edgeRevocation.enabled ? 'on' : 'off',
    // CloudFront sets these (the ALL_VIEWER_EXCEPT_HOST_HEADER policy forwards them): ip:port and country.
    VIEWER_IP_HEADER: 'cloudfront-viewer-address',
    VIEWER_COUNTRY_HEADER: 'cloudfront-viewer-country',
    // The DRM catalog signs /drm/ access (playback) and gates licences (licence); no secret values.
    DRM_CATALOG: JSON.stringify(drm.catalog),
    LICENCE_UPSTREAMS: JSON.stringify(drm.upstreams),
    LICENCE_TIMEOUT_MS: String(drm.licenceTimeoutMs),
    LICENCE_MAX_BODY_BYTES: String(drm.licenceMaxBodyBytes),
    ...(config.domainRestriction.enabled
      ? {
          [ACCESS_LAYER_VARIABLES.domainRestriction]: 'on',
          [ACCESS_LAYER_VARIABLES.sites]: config.domainRestriction.sites.join(','),
          [ACCESS_LAYER_VARIABLES.missing]: config.domainRestriction.missingHeaders,
        }
      : {}),
    ...(config.deviceBinding.enabled ? { [ACCESS_LAYER_VARIABLES.deviceBinding]: 'on' } : {}),
    // Live channels' folders (lib/live.ts): a grant for one opens its live folder only.
    ...(config.live.channels.length > 0
      ? { LIVE_CHANNELS: JSON.stringify(liveApiChannels(config.live.channels)) }
      : {}),
    // Not read by the code: changing it replaces every container, so the origin-verify value is re-read.
    ORIGIN_SECRETS_VERSION: String(delivery.originSecretsVersion),
  };
}

/** The entries whose value is set (an unset optional setting is left out of the environment). */
function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The config field each variable comes from, where one field decides its length. */
export const VARIABLE_FIELDS: Readonly<Record<string, string>> = {
  JWT_ISSUER: 'jwt.issuer',
  JWT_AUDIENCE: 'jwt.audience',
  JWT_JWKS_URL: 'jwt.jwksUrl',
  JWT_ALGORITHMS: 'jwt.algorithms',
  SCOPE_CLAIM: 'entitlement.scopeClaim',
  VIDEOS_CLAIM: 'entitlement.videosClaim',
  PLAY_SCOPE: 'entitlement.playScope',
  ADMIN_SCOPE: 'entitlement.adminScope',
  MEDIA_BASE_URL: 'delivery.domainNames',
  MANIFEST_NAME: 'delivery.manifestName',
  COOKIE_DOMAIN: 'signing.cookieDomain',
  ENTITLEMENT_PLANS: 'entitlement.plans',
  [STEP_UP_VARIABLE]: 'entitlement.stepUp',
  [RENTAL_TITLES_VARIABLE]: 'entitlement.rentals.titles',
  DRM_CATALOG: 'drm.catalog',
  LICENCE_UPSTREAMS: 'drm.upstreams',
  [ACCESS_LAYER_VARIABLES.sites]: 'domainRestriction.sites',
  LIVE_CHANNELS: 'live.channels',
};

/**
 * Longest logical id CDK gives the resources named below: the construct path's letters (ours
 * are under 40) and an 8-character hash, well under this.
 */
export const MAX_LOGICAL_ID_LENGTH = 64;
/** The random part CloudFormation appends to a name it generates (12 or 13 characters). */
export const GENERATED_SUFFIX_LENGTH = 13;
/** The cloudfront.net name: `d` and 13 characters. */
export const CLOUDFRONT_DOMAIN_LENGTH = 'd111111abcdef8.cloudfront.net'.length;

/**
 * The variables the constructs add (lib/node-function.ts, lib/playback-api.ts), each at the
 * longest value it can take once deployed: a table CloudFormation names
 * `<stack>-<logical id>-<suffix>`, a secret it names `<logical id>-<suffix>` (the ARN adds
 * Secrets Manager's own `-XXXXXX`).
 */
export function deployTimeVariables(config: StreamgateConfig): Record<string, string> {
  const partition = 'aws-us-gov'; // the longest partition name
  const generatedSecret = 'x'.repeat(MAX_LOGICAL_ID_LENGTH + 1 + GENERATED_SUFFIX_LENGTH);
  const secretArn = `arn:${partition}:secretsmanager:${config.region}:${config.account}:secret:${generatedSecret}-XXXXXX`;
  return {
    NODE_OPTIONS: '--enable-source-maps',
    REVOCATION_TABLE_NAME: 'x'.repeat(config.name.length + 1 + MAX_LOGICAL_ID_LENGTH + 1 + GENERATED_SUFFIX_LENGTH),
    SIGNING_KEY_SECRET_ARN: secretArn,
    ORIGIN_VERIFY_SECRET_ARN: secretArn,
    ...(config.deviceBinding.enabled ? { [ACCESS_LAYER_VARIABLES.deviceKeySecretArn]: secretArn } : {}),
  };
}

/** What the environment takes: name and value of each variable, and the JSON around them. */
export function environmentBytes(variables: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(variables), 'utf8');
}

export interface EnvironmentSize {
  readonly bytes: number;
  /** Bytes each config field's variable takes (name and value), largest first. */
  readonly byField: readonly { readonly field: string; readonly bytes: number }[];
}

/** Every variable of the API functions, each at the longest value it can take once deployed. */
export function worstCaseVariables(config: StreamgateConfig): Record<string, string> {
  const mediaBaseUrl = `https://${config.delivery.domainNames[0] ?? 'x'.repeat(CLOUDFRONT_DOMAIN_LENGTH)}`;
  return { ...apiEnvironment(config, mediaBaseUrl), ...deployTimeVariables(config) };
}

/** The API functions' environment at its deployed worst case, for this config. */
export function apiEnvironmentSize(config: StreamgateConfig): EnvironmentSize {
  const variables = worstCaseVariables(config);
  const byField = Object.entries(variables)
    .filter(([name]) => VARIABLE_FIELDS[name] !== undefined)
    .map(([name, value]) => ({ field: VARIABLE_FIELDS[name], bytes: environmentBytes({ [name]: value }) }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: environmentBytes(variables), byField };
}

/** The problem to report when the environment does not fit, naming the fields that fill it; else undefined. */
export function environmentProblem(size: EnvironmentSize): string | undefined {
  if (size.bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return undefined;
  const fields = size.byField
    .filter(({ bytes }) => bytes >= 64)
    .map(({ field, bytes }) => `${field} ${bytes}`)
    .join(', ');
  return (
    `the API functions' environment would take ${size.bytes} bytes once deployed, over Lambda's ` +
    `${LAMBDA_ENVIRONMENT_LIMIT_BYTES}; shorten these (bytes each): ${fields}`
  );
}
