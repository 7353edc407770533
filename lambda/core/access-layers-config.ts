/**
 * The API's settings for domain restriction and device binding, from its environment (kept
 * apart from config.ts so the layers are one concern each; config.ts spreads this in).
 */
import { type DomainRestriction, SITE_ORIGIN } from './domain-restriction';

export const DOMAIN_RESTRICTION_VARIABLE = 'DOMAIN_RESTRICTION';
export const DOMAIN_RESTRICTION_SITES_VARIABLE = 'DOMAIN_RESTRICTION_SITES';
export const DOMAIN_RESTRICTION_MISSING_VARIABLE = 'DOMAIN_RESTRICTION_MISSING';
export const DEVICE_BINDING_VARIABLE = 'DEVICE_BINDING';
export const DEVICE_KEY_SECRET_ARN_VARIABLE = 'DEVICE_KEY_SECRET_ARN';
export const DEVICE_KEY_FILE_VARIABLE = 'DEVICE_KEY_FILE';

export const ACCESS_LAYER_VARIABLES = {
  /** on: refuse calls from sites not allowed. */
  domainRestriction: DOMAIN_RESTRICTION_VARIABLE,
  /** Comma-separated origins allowed besides the service's own host. */
  sites: DOMAIN_RESTRICTION_SITES_VARIABLE,
  missing: DOMAIN_RESTRICTION_MISSING_VARIABLE,
  deviceBinding: DEVICE_BINDING_VARIABLE,
  /** Deployed: the Secrets Manager secret holding the device key ring (lambda/core/device-binding.ts). */
  deviceKeySecretArn: DEVICE_KEY_SECRET_ARN_VARIABLE,
  /** Local: the file holding it (local/device-keys.ts). */
  deviceKeyFile: DEVICE_KEY_FILE_VARIABLE,
} as const;

/** `optional` reads a variable (undefined when unset or empty); `error` makes the ConfigError naming it. */
export function readAccessLayers(
  optional: (name: string) => string | undefined,
  error: (variable: string, problem: string) => Error,
): {
  domainRestriction?: DomainRestriction;
  deviceBinding: boolean;
} {
  const v = ACCESS_LAYER_VARIABLES;
  const restriction = optional(v.domainRestriction) ?? 'off';
  if (restriction !== 'on' && restriction !== 'off')
    throw error(v.domainRestriction, `must be on or off, got "${restriction}"`);
  const missing = optional(v.missing) ?? 'allow';
  if (missing !== 'allow' && missing !== 'deny') throw error(v.missing, `must be allow or deny, got "${missing}"`);
  let domainRestriction: DomainRestriction | undefined;
  if (restriction === 'on') {
    const sites = (optional(v.sites) ?? '')
      .split(',')
      .map((site) => site.trim())
      .filter((site) => site !== '');
    for (const site of sites)
      if (!SITE_ORIGIN.test(site))
        throw error(v.sites, `each entry must be an origin such as https://www.example.com, got "${site}"`);
    domainRestriction = { sites, missing };
  }
  const binding = optional(v.deviceBinding) ?? 'off';
  if (binding !== 'on' && binding !== 'off') throw error(v.deviceBinding, `must be on or off, got "${binding}"`);
  if (binding === 'on' && optional(v.deviceKeySecretArn) === undefined && optional(v.deviceKeyFile) === undefined)
    throw error(v.deviceBinding, `is on, but neither ${v.deviceKeySecretArn} nor ${v.deviceKeyFile} is set`);
  return { ...(domainRestriction === undefined ? {} : { domainRestriction }), deviceBinding: binding === 'on' };
}
