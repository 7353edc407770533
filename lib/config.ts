/**
 * The deploy configuration: one typed object read from a JSON file (cdk.json context
 * `streamgate:config`) and validated before any construct exists. Every problem is reported with
 * the dotted path of the field, and all problems at once, so a bad file fails `cdk synth` with a
 * list an operator can fix in one pass.
 *
 * One zod schema per concern (lib/config/*.ts), each field declared once there: its kind, range,
 * default and message. The types are the schemas' output types.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { SharingAction } from '../lambda/core/abuse-defaults';
import type { CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import { edgeRevocationSchema } from './config/edge-revocation';
import { deliverySchema, type GeoRestrictionConfig, type PRICE_CLASSES } from './config/delivery';
import { choice, fieldIssues, isRecord, section, text, whenValid } from './config/fields';
import { entitlementSchema, jwtSchema } from './config/identity';
import { drmSchema, MAX_DRM_ENVIRONMENT_BYTES } from './config/drm';
import { monitoringSchema } from './config/monitoring';
import { type PackagingConfig, type PackagingMode, packagingSchema } from './config/packaging';
import { abuseSchema, apiSchema, wafSchema } from './config/protection';
import { signingSchema } from './config/signing';
import { DEFAULT_PLAYER_CSP } from './page-headers';

/** CloudWatch Logs retention periods (days) that exist. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const configSchema = section({
  /**
   * `production` (default) requires a custom domain (AWS FSBP CloudFront.7); `test` allows the
   * cloudfront.net name, for a deployment nobody outside the team uses.
   */
  deployment: choice(['production', 'test']).default('production'),
  /** Prefix of stack and resource names. */
  name: text(/^[A-Za-z][A-Za-z0-9-]{0,30}$/, 'a letter then letters, digits or "-" (at most 31)'),
  account: text(/^\d{12}$/, 'a 12-digit AWS account id'),
  region: text(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as eu-west-1'),
  jwt: jwtSchema,
  entitlement: entitlementSchema,
  signing: signingSchema,
  delivery: deliverySchema,
  api: apiSchema,
  /** The playback API's own abuse defences (lambda/core: sharing detection, stream and rate limits). */
  abuse: abuseSchema,
  waf: wafSchema,
  /** The edge deny-list (lib/edge-revocation.ts): revocation reaches every edge in seconds. */
  edgeRevocation: edgeRevocationSchema,
  packaging: packagingSchema,
  /** DRM catalog and licence servers (lib/config/drm.ts). */
  drm: drmSchema,
  /** Alarms, their topic(s) and the dashboard (lib/monitoring.ts). */
  monitoring: monitoringSchema,
  logRetentionDays: choice(LOG_RETENTION_DAYS).default(90),
})
  .superRefine(
    ({ entitlement, drm }, ctx) => {
      // Plans and the DRM catalog share the functions' 4 KB environment (lib/config/drm.ts).
      const plans = Object.keys(entitlement.plans).length === 0 ? 0 : JSON.stringify(entitlement.plans).length;
      const drmBytes = JSON.stringify(drm.catalog).length + JSON.stringify(drm.upstreams).length;
      if (plans > 0 && plans + drmBytes > MAX_DRM_ENVIRONMENT_BYTES)
        ctx.addIssue({
          code: 'custom',
          path: ['entitlement', 'plans'],
          message: `plans take ${plans} bytes and drm ${drmBytes}; together at most ${MAX_DRM_ENVIRONMENT_BYTES} fit in the functions' environment (name videos by prefix)`,
          input: entitlement.plans,
        });
    },
    whenValid('entitlement', 'drm'),
  )
  .superRefine(
    ({ deployment, delivery }, ctx) => {
      if (deployment === 'production' && delivery.domainNames.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['delivery', 'domainNames'],
          message:
            'a production deployment needs a custom domain (AWS FSBP CloudFront.7): set delivery.domainNames and delivery.certificateArn, or mark the config "deployment": "test"',
          input: delivery.domainNames,
        });
      }
    },
    whenValid('deployment', 'delivery'),
  );

export type StreamgateConfig = z.output<typeof configSchema>;
export type KeyAlgorithm = CloudFrontKeyAlgorithm;
export type PriceClassName = (typeof PRICE_CLASSES)[number];
export type { GeoRestrictionConfig, PackagingConfig, PackagingMode, SharingAction };

/** The player page's default Content-Security-Policy (lib/page-headers.ts). */
export { DEFAULT_PLAYER_CSP };

export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `delivery.geoRestriction.countries[1]`. */
  readonly field: string;
  readonly problem: string;
}

export class ConfigValidationError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    source: string,
  ) {
    super(`invalid streamgate config (${source}):\n${issues.map((i) => `  - ${i.field}: ${i.problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Reads and validates the JSON file at `path`; throws ConfigValidationError naming every bad field. */
export function loadConfigFile(path: string): StreamgateConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigValidationError(
      [{ field: '(file)', problem: `cannot read JSON: ${error instanceof Error ? error.message : String(error)}` }],
      path,
    );
  }
  return validateConfig(raw, path);
}

/** Validates parsed JSON; `source` only labels the error message. */
export function validateConfig(raw: unknown, source = 'config'): StreamgateConfig {
  // Anything but an object reads as an empty one: every required field is then reported.
  const result = configSchema.safeParse(isRecord(raw) ? raw : {});
  if (!result.success) throw new ConfigValidationError(fieldIssues(result.error), source);
  return result.data;
}
