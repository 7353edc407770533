/**
 * The deploy config's schema: every field declared once per concern (lib/config/*.ts) and the
 * rules across sections. Its output type is the validated config every construct reads. The
 * whole-environment size check is added in lib/config.ts (it needs this type, so it cannot live here).
 */
import type { z } from 'zod';
import { isLoopbackHost } from '../../lambda/core/settings-contract';
import { drmSchema } from './drm';
import { deliverySchema } from './delivery';
import { edgeRevocationSchema } from './edge-revocation';
import { deviceBindingSchema, domainRestrictionSchema } from './access-layers';
import { choice, section, text, whenValid } from './fields';
import { entitlementSchema, jwtSchema } from './identity';
import { localSchema } from './local';
import { monitoringSchema } from './monitoring';
import { packagingSchema } from './packaging';
import { liveSchema } from './live';
import { abuseSchema, apiSchema, wafSchema } from './protection';
import { signingSchema } from './signing';

/** CloudWatch Logs retention periods (days) that exist. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The whole config's schema (exported so tests can walk its fields, e.g. every value of every choice). */
export const settingsSchema = section({
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
  /** Sites allowed to play (lib/config/access-layers.ts, docs/access-layers.md). */
  domainRestriction: domainRestrictionSchema,
  /** Grants bound to the browser that asked (lib/config/access-layers.ts, docs/access-layers.md). */
  deviceBinding: deviceBindingSchema,
  packaging: packagingSchema,
  /** Clear live channels on MediaPackage v2 under /live/ (lib/config/live.ts, lib/live.ts). */
  live: liveSchema,
  /** DRM catalog and licence servers (lib/config/drm.ts). */
  drm: drmSchema,
  /** Alarms, their topic(s) and the dashboard (lib/monitoring.ts). */
  monitoring: monitoringSchema,
  logRetentionDays: choice(LOG_RETENTION_DAYS).default(90),
  /** What `npm start` alone reads from this file (lib/config/local.ts); the deployment ignores it. */
  local: localSchema,
})
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
  )
  .superRefine(
    ({ deviceBinding, edgeRevocation }, ctx) => {
      // The device keys live in the function's one KeyValueStore, which edge revocation deploys.
      if (deviceBinding.enabled && !edgeRevocation.enabled)
        ctx.addIssue({
          code: 'custom',
          path: ['deviceBinding', 'enabled'],
          message:
            'needs edgeRevocation.enabled: the device keys live in the KeyValueStore edge revocation deploys (a function reads one store)',
          input: deviceBinding.enabled,
        });
    },
    whenValid('deviceBinding', 'edgeRevocation'),
  )
  .superRefine(
    ({ deployment, jwt }, ctx) => {
      // The functions accept a loopback key set (local mode serves one); deployed, nothing listens there.
      if (deployment === 'production' && jwt.jwksUrl !== '' && isLoopbackHost(new URL(jwt.jwksUrl).hostname))
        ctx.addIssue({
          code: 'custom',
          path: ['jwt', 'jwksUrl'],
          message:
            'is a loopback address, which only local mode can reach: give the IdP\'s https key set URL, or mark the config "deployment": "test"',
          input: jwt.jwksUrl,
        });
    },
    whenValid('deployment', 'jwt'),
  )
  .superRefine(
    ({ packaging, drm }, ctx) => {
      // /drm/ is served only from MediaPackage (lib/delivery.ts): without it a catalog's grants open nothing.
      if (packaging.mode === 'none' && Object.keys(drm.catalog).length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['drm', 'catalog'],
          message:
            'lists DRM videos, but packaging.mode is "none": no /drm/ behaviour serves them; set packaging.mode to "live" or "vod", or empty the catalog',
          input: drm.catalog,
        });
    },
    whenValid('packaging', 'drm'),
  );

export type StreamgateConfig = z.output<typeof settingsSchema>;
