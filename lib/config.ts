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
import type { SharingAction } from '../lambda/core/abuse-defaults';
import type { CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import { apiEnvironmentSize, environmentProblem } from './api-environment';
import type { GeoRestrictionConfig, PRICE_CLASSES } from './config/delivery';
import { fieldIssues, isRecord } from './config/fields';
import type { PackagingConfig, PackagingMode } from './config/packaging';
import { DEFAULT_PLAYER_CSP } from './page-headers';

export { LOG_RETENTION_DAYS, settingsSchema } from './config/schema';
import { settingsSchema } from './config/schema';
import type { StreamgateConfig } from './config/schema';

/** The schema a config file (and a construct's props) is validated by: the settings, and the whole Lambda environment fitting its 4 KB. */
export const configSchema = settingsSchema.superRefine(
  (config, ctx) => {
    const size = apiEnvironmentSize(config);
    const problem = environmentProblem(size);
    if (problem === undefined) return;
    ctx.addIssue({ code: 'custom', path: size.byField[0].field.split('.'), message: problem, input: config });
  },
  // Measured once every field is valid: a size of invalid values would only repeat their problems.
  { when: (payload) => payload.issues.length === 0 },
);

export type { StreamgateConfig };
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
