/**
 * The deploy configuration: one typed object read from a JSON file (cdk.json context
 * `streamgate:config`) and validated before any construct exists. Every problem is reported with
 * the dotted path of the field, and all problems at once, so a bad file fails `cdk synth` with a
 * list an operator can fix in one pass.
 */
import { readFileSync } from 'node:fs';
import { ABUSE_DEFAULTS, type AbuseSettingName, type SharingAction } from '../lambda/core/abuse-defaults';
import { CLOUDFRONT_KEY_ALGORITHMS, type CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import { ASYMMETRIC_ALGORITHMS, type HashAlgorithm, type JwsAlgorithm } from '../lambda/core/config';
import { DEFAULT_PLAYER_CSP } from './page-headers';
import { ALARM_KEYS, type AlarmKey, alarmSettingFields, alarmSettingProblems, type AlarmThresholds, EMAIL_ADDRESS, resolveAlarms } from './monitoring';

export type KeyAlgorithm = CloudFrontKeyAlgorithm;
export type PriceClassName = 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';
export type PackagingMode = 'none' | 'live' | 'vod';
export type { SharingAction };

export interface SigningKeyConfig {
  /** Stable slot name (`blue`, `green`); part of construct ids. */
  readonly id: string;
  /** Bump to replace this slot's key pair (rotation). */
  readonly generation: number;
  readonly algorithm: KeyAlgorithm;
}

export type GeoRestrictionConfig =
  | { readonly type: 'none' }
  | { readonly type: 'allow' | 'deny'; readonly countries: readonly string[] };

export type PackagingConfig =
  | { readonly mode: 'none' }
  | {
      readonly mode: 'live' | 'vod';
      readonly spekeUrl: string;
      readonly spekeRoleArn: string;
      readonly presetVideo: string;
      readonly presetAudio: string;
    };

export interface StreamgateConfig {
  /** Prefix of stack and resource names. */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly jwt: {
    readonly issuer: string;
    readonly audience: string;
    readonly jwksUrl: string;
    readonly algorithms: readonly JwsAlgorithm[];
    readonly clockToleranceSeconds: number;
    readonly maxLifetimeSeconds: number;
  };
  readonly entitlement: {
    readonly scopeClaim: string;
    readonly videosClaim: string;
    readonly playScope: string;
    readonly adminScope: string;
  };
  readonly signing: {
    readonly ttlSeconds: number;
    readonly hashAlgorithm: HashAlgorithm;
    readonly bindViewerIp: boolean;
    readonly cookieDomain?: string;
    readonly activeKeyId: string;
    readonly keys: readonly SigningKeyConfig[];
  };
  readonly delivery: {
    readonly domainNames: readonly string[];
    readonly certificateArn?: string;
    readonly priceClass: PriceClassName;
    readonly geoRestriction: GeoRestrictionConfig;
    readonly manifestTtlSeconds: number;
    readonly segmentTtlSeconds: number;
    readonly manifestName: string;
    readonly contentSecurityPolicy: string;
    /** Bump after changing an origin header secret so CloudFront and the functions re-read it. */
    readonly originSecretsVersion: number;
  };
  readonly api: {
    readonly throttleRateLimit: number;
    readonly throttleBurstLimit: number;
  };
  /** The playback API's own abuse defences (lambda/core: sharing detection, stream and rate limits). */
  readonly abuse: {
    /** Distinct networks per token before sharing is suspected; 0 turns detection off. */
    readonly sharingMaxNetworks: number;
    readonly sharingMaxCountries: number;
    readonly sharingAction: SharingAction;
    /** Active playback sessions per user; 0 = unlimited. */
    readonly maxConcurrentStreams: number;
    /** API calls per user per window; 0 = unlimited. */
    readonly rateLimitPerWindow: number;
    readonly rateWindowSeconds: number;
  };
  readonly waf: {
    readonly rateLimitPerIp: number;
    readonly apiRateLimitPerIp: number;
    readonly evaluationWindowSeconds: number;
  };
  readonly packaging: PackagingConfig;
  /** Alarms, their topic(s) and the dashboard (lib/monitoring.ts). */
  readonly monitoring: {
    /** Subscribed to the alarm topic of each region; absent: no subscription. */
    readonly alarmEmail?: string;
    /** Every alarm's threshold, period and evaluation periods (defaults: DEFAULT_ALARMS). */
    readonly alarms: AlarmThresholds;
  };
  readonly logRetentionDays: number;
}

export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `delivery.geoRestriction.countries[1]`. */
  readonly field: string;
  readonly problem: string;
}

/** The player page's default Content-Security-Policy (lib/page-headers.ts). */
export { DEFAULT_PLAYER_CSP };

export class ConfigValidationError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    source: string,
  ) {
    super(`invalid streamgate config (${source}):\n${issues.map((i) => `  - ${i.field}: ${i.problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** ISO 3166-1 alpha-2, the codes CloudFront geo restriction takes. */
const COUNTRY_CODES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** CloudWatch Logs retention periods (days) that exist. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const;
/** SPEKE v2 presets; either spelling (MediaPackage v1 uses `-`, v2 `_`), Packaging converts. */
const presets = (kind: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => [`PRESET-${kind}-${i + 1}`, `PRESET_${kind}_${i + 1}`]).flat().concat(['SHARED', 'UNENCRYPTED']);
const VIDEO_PRESETS = presets('VIDEO', 8);
const AUDIO_PRESETS = presets('AUDIO', 3);
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Same rule as lambda/core/config.ts applies to claim names at runtime. */
const CLAIM_NAME = /^[A-Za-z0-9_:./-]{1,128}$/;

/** Reads and validates the JSON file at `path`; throws ConfigValidationError naming every bad field. */
export function loadConfigFile(path: string): StreamgateConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigValidationError([{ field: '(file)', problem: `cannot read JSON: ${error instanceof Error ? error.message : String(error)}` }], path);
  }
  return validateConfig(raw, path);
}

/** Validates parsed JSON; `source` only labels the error message. */
export function validateConfig(raw: unknown, source = 'config'): StreamgateConfig {
  const issues: ConfigIssue[] = [];
  const root = new Fields(issues, '', raw, [
    'name', 'account', 'region', 'jwt', 'entitlement', 'signing', 'delivery', 'api', 'abuse', 'waf', 'packaging', 'monitoring', 'logRetentionDays',
  ]);
  const config: StreamgateConfig = {
    name: root.string('name', { pattern: /^[A-Za-z][A-Za-z0-9-]{0,30}$/, what: 'a letter then letters, digits or "-" (at most 31)' }),
    account: root.string('account', { pattern: /^\d{12}$/, what: 'a 12-digit AWS account id' }),
    region: root.string('region', { pattern: /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, what: 'an AWS region such as eu-west-1' }),
    jwt: readJwt(root.object('jwt')),
    entitlement: readEntitlement(root.object('entitlement', true)),
    signing: readSigning(root.object('signing')),
    delivery: readDelivery(root.object('delivery')),
    api: readApi(root.object('api', true)),
    abuse: readAbuse(root.object('abuse', true)),
    waf: readWaf(root.object('waf', true)),
    packaging: readPackaging(root.object('packaging', true)),
    monitoring: readMonitoring(root.object('monitoring', true)),
    logRetentionDays: root.oneOf('logRetentionDays', LOG_RETENTION_DAYS, 90),
  };
  if (issues.length > 0) throw new ConfigValidationError(issues, source);
  return config;
}

function readJwt(jwt: Fields): StreamgateConfig['jwt'] {
  return {
    issuer: jwt.httpsUrl('issuer'),
    audience: jwt.string('audience', { pattern: /^\S{1,256}$/, what: 'a non-empty audience without spaces' }),
    jwksUrl: jwt.httpsUrl('jwksUrl'),
    algorithms: jwt.list('algorithms', (item, at) => item.oneOf(at, ASYMMETRIC_ALGORITHMS), ['RS256', 'ES256'], 1),
    clockToleranceSeconds: jwt.integer('clockToleranceSeconds', 0, 300, 30),
    maxLifetimeSeconds: jwt.integer('maxLifetimeSeconds', 60, 86400, 3600),
  };
}

function readEntitlement(entitlement: Fields): StreamgateConfig['entitlement'] {
  const claim = { pattern: CLAIM_NAME, what: 'a claim name such as scope' };
  return {
    scopeClaim: entitlement.string('scopeClaim', { ...claim, fallback: 'scope' }),
    videosClaim: entitlement.string('videosClaim', { ...claim, fallback: 'videos' }),
    playScope: entitlement.string('playScope', { pattern: /^\S{1,128}$/, what: 'a scope value', fallback: 'stream:play' }),
    adminScope: entitlement.string('adminScope', { pattern: /^\S{1,128}$/, what: 'a scope value', fallback: 'streamgate:admin' }),
  };
}

function readSigning(signing: Fields): StreamgateConfig['signing'] {
  const keys = signing.list(
    'keys',
    (item, at) => {
      const key = item.objectAt(at, ['id', 'generation', 'algorithm']);
      return {
        id: key.string('id', { pattern: /^[a-z][a-z0-9]{0,15}$/, what: 'a lower-case slot name such as blue (at most 16 characters)' }),
        generation: key.integer('generation', 1, 9999),
        algorithm: key.oneOf('algorithm', CLOUDFRONT_KEY_ALGORITHMS, 'RSA_2048'),
      };
    },
    undefined,
    2,
    2,
  );
  const ids = keys.map((key) => key.id);
  if (signing.ok('keys') && new Set(ids).size !== ids.length) signing.report('keys', 'key ids must differ (one per rotation slot)');
  const activeKeyId = signing.string('activeKeyId', { pattern: /^[a-z][a-z0-9]{0,15}$/, what: 'the id of one of signing.keys' });
  if (signing.ok('keys', 'activeKeyId') && !ids.includes(activeKeyId)) {
    signing.report('activeKeyId', `must be one of the key ids ${ids.join(', ')}, got "${activeKeyId}"`);
  }
  return {
    ttlSeconds: signing.integer('ttlSeconds', 5, 3600, 300),
    hashAlgorithm: signing.oneOf('hashAlgorithm', ['SHA1', 'SHA256'] as const, 'SHA256'),
    bindViewerIp: signing.boolean('bindViewerIp', false),
    cookieDomain: signing.optionalString('cookieDomain', { pattern: HOST_NAME, what: 'a lower-case host name such as video.example.com' }),
    activeKeyId,
    keys,
  };
}

function readDelivery(delivery: Fields): StreamgateConfig['delivery'] {
  const domainNames = delivery.list('domainNames', (item, at) => item.string(at, { pattern: HOST_NAME, what: 'a lower-case host name' }), []);
  const certificateArn = delivery.optionalString('certificateArn', {
    pattern: /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    what: 'an ACM certificate ARN',
  });
  if (certificateArn !== undefined && certificateArn.split(':')[3] !== 'us-east-1') {
    delivery.report('certificateArn', 'must be an ACM certificate in us-east-1 (the only region CloudFront takes certificates from)');
  }
  if (delivery.ok('domainNames', 'certificateArn') && (certificateArn === undefined) !== (domainNames.length === 0)) {
    delivery.report('certificateArn', 'set both domainNames and certificateArn, or neither (the cloudfront.net name)');
  }
  const manifestTtlSeconds = delivery.integer('manifestTtlSeconds', 1, 3600, 2);
  const segmentTtlSeconds = delivery.integer('segmentTtlSeconds', 60, 31536000, 86400);
  if (delivery.ok('manifestTtlSeconds', 'segmentTtlSeconds') && manifestTtlSeconds > segmentTtlSeconds) delivery.report('manifestTtlSeconds', 'must not exceed delivery.segmentTtlSeconds');
  return {
    domainNames,
    certificateArn,
    priceClass: delivery.oneOf('priceClass', PRICE_CLASSES, 'PriceClass_100'),
    geoRestriction: readGeo(delivery.object('geoRestriction')),
    manifestTtlSeconds,
    segmentTtlSeconds,
    manifestName: delivery.string('manifestName', {
      pattern: /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/,
      what: 'a plain file name such as index.m3u8',
      fallback: 'index.m3u8',
    }),
    contentSecurityPolicy: delivery.string('contentSecurityPolicy', {
      pattern: /^[\x20-\x7e]{1,1783}$/,
      what: 'a printable Content-Security-Policy of at most 1783 characters (the CloudFront limit)',
      fallback: DEFAULT_PLAYER_CSP,
    }),
    originSecretsVersion: delivery.integer('originSecretsVersion', 1, 1_000_000, 1),
  };
}

function readGeo(geo: Fields): GeoRestrictionConfig {
  // An invalid type reads on as "allow", so its countries are still checked (and nothing else is reported).
  const type = geo.oneOf('type', ['allow', 'deny', 'none'] as const);
  if (type === 'none') {
    geo.forbid('countries', 'must be absent when type is "none"');
    return { type };
  }
  const countries = geo.list(
    'countries',
    (item, at) => {
      const code = item.string(at, { pattern: /^[A-Z]{2}$/, what: 'an upper-case ISO 3166-1 alpha-2 code such as US' });
      if (/^[A-Z]{2}$/.test(code) && !COUNTRY_CODES.has(code)) item.report(at, `"${code}" is not an ISO 3166-1 alpha-2 country code`);
      return code;
    },
    undefined,
    1,
  );
  if (geo.ok('countries') && new Set(countries).size !== countries.length) geo.report('countries', 'must not repeat a country');
  return { type, countries };
}

function readApi(api: Fields): StreamgateConfig['api'] {
  return {
    throttleRateLimit: api.integer('throttleRateLimit', 1, 10000, 50),
    throttleBurstLimit: api.integer('throttleBurstLimit', 1, 5000, 100),
  };
}

/** Same ranges and defaults as lambda/core/config.ts (both from abuse-defaults.ts), so a value that synthesizes also starts. */
function readAbuse(abuse: Fields): StreamgateConfig['abuse'] {
  const integer = (key: Exclude<AbuseSettingName, 'sharingAction'>): number => {
    const { min, max, fallback } = ABUSE_DEFAULTS[key];
    return abuse.integer(key, min, max, fallback);
  };
  return {
    sharingMaxNetworks: integer('sharingMaxNetworks'),
    sharingMaxCountries: integer('sharingMaxCountries'),
    sharingAction: abuse.oneOf('sharingAction', ABUSE_DEFAULTS.sharingAction.allowed, ABUSE_DEFAULTS.sharingAction.fallback),
    maxConcurrentStreams: integer('maxConcurrentStreams'),
    rateLimitPerWindow: integer('rateLimitPerWindow'),
    rateWindowSeconds: integer('rateWindowSeconds'),
  };
}

function readWaf(waf: Fields): StreamgateConfig['waf'] {
  const rateLimitPerIp = waf.integer('rateLimitPerIp', 10, 2_000_000_000, 2000);
  const apiRateLimitPerIp = waf.integer('apiRateLimitPerIp', 10, 2_000_000_000, 300);
  if (waf.ok('rateLimitPerIp', 'apiRateLimitPerIp') && apiRateLimitPerIp >= rateLimitPerIp) waf.report('apiRateLimitPerIp', 'must be lower than waf.rateLimitPerIp (the /api/ limit is the tighter one)');
  return {
    rateLimitPerIp,
    apiRateLimitPerIp,
    evaluationWindowSeconds: waf.oneOf('evaluationWindowSeconds', [60, 120, 300, 600] as const, 300),
  };
}

function readPackaging(packaging: Fields): PackagingConfig {
  const mode = packaging.oneOf('mode', ['live', 'vod', 'none'] as const, 'none');
  if (mode === 'none') {
    for (const key of ['spekeUrl', 'spekeRoleArn', 'presetVideo', 'presetAudio']) packaging.forbid(key, 'only applies with mode "live" or "vod"');
    return { mode };
  }
  const presetVideo = packaging.oneOf('presetVideo', VIDEO_PRESETS, 'PRESET-VIDEO-1');
  const presetAudio = packaging.oneOf('presetAudio', AUDIO_PRESETS, 'PRESET-AUDIO-1');
  if (packaging.ok('presetVideo', 'presetAudio') && (presetVideo === 'SHARED') !== (presetAudio === 'SHARED')) packaging.report('presetAudio', 'SHARED must be used for both presetVideo and presetAudio');
  return {
    mode,
    spekeUrl: packaging.httpsUrl('spekeUrl'),
    spekeRoleArn: packaging.string('spekeRoleArn', {
      pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
      what: 'an IAM role ARN that MediaPackage may assume to call the key provider',
    }),
    presetVideo,
    presetAudio,
  };
}

function readMonitoring(monitoring: Fields): StreamgateConfig['monitoring'] {
  const alarmsObject = monitoring.object('alarms', true);
  const alarmFields = new Map<AlarmKey, Fields>();
  const fieldsOf = (key: AlarmKey): Fields => {
    const fields = alarmFields.get(key) ?? alarmsObject.objectAt(key, alarmSettingFields(key), true);
    alarmFields.set(key, fields);
    return fields;
  };
  const alarms = resolveAlarms((key, field, fallback) => fieldsOf(key).number(field, fallback));
  for (const key of ALARM_KEYS) {
    for (const { field, problem } of alarmSettingProblems(key, alarms[key])) fieldsOf(key).report(field, problem);
  }
  return {
    alarmEmail: monitoring.optionalString('alarmEmail', { pattern: EMAIL_ADDRESS, what: 'an e-mail address such as video-ops@example.com' }),
    alarms,
  };
}

interface StringRule {
  pattern?: RegExp;
  what?: string;
  fallback?: string;
}

/**
 * One JSON object being read: each accessor records an issue (with the field's path) instead of
 * throwing, and returns a placeholder of the right type so reading goes on and finds every issue.
 */
class Fields {
  private readonly value: Record<string, unknown>;

  constructor(
    private readonly issues: ConfigIssue[],
    private readonly path: string,
    raw: unknown,
    allowed: readonly string[],
  ) {
    this.value = isRecord(raw) ? raw : {};
    for (const key of Object.keys(this.value)) {
      if (!allowed.includes(key)) this.report(key, `unknown field (expected one of ${allowed.join(', ')})`);
    }
  }

  report(key: string, problem: string): void {
    this.issues.push({ field: this.at(key), problem });
  }

  /** No issue so far on these fields (or inside them): cross-field checks only compare valid values. */
  ok(...keys: string[]): boolean {
    const fields = keys.map((key) => this.at(key));
    return !this.issues.some((issue) => fields.some((field) => issue.field === field || issue.field.startsWith(`${field}.`) || issue.field.startsWith(`${field}[`)));
  }

  forbid(key: string, problem: string): void {
    if (this.value[key] !== undefined) this.report(key, problem);
  }

  object(key: string, optional = false): Fields {
    return this.objectAt(key, FIELDS_OF[key] ?? [], optional);
  }

  objectAt(key: string, allowed: readonly string[], optional = false): Fields {
    const raw = this.value[key];
    if (raw === undefined && optional) return new Fields(this.issues, this.at(key), {}, allowed);
    if (!isRecord(raw)) this.report(key, raw === undefined ? 'is required' : 'must be an object');
    return new Fields(this.issues, this.at(key), raw, allowed);
  }

  string(key: string, rule: StringRule = {}): string {
    if (this.value[key] === undefined) return this.missing(key, rule.fallback, '');
    return this.optionalString(key, rule) ?? '';
  }

  optionalString(key: string, rule: StringRule = {}): string | undefined {
    const raw = this.value[key];
    if (raw === undefined) return rule.fallback;
    if (typeof raw !== 'string') return this.invalid(key, `must be a string, got ${describe(raw)}`, undefined);
    if (rule.pattern !== undefined && !rule.pattern.test(raw)) {
      return this.invalid(key, `must be ${rule.what ?? `a string matching ${rule.pattern}`}, got "${raw}"`, undefined);
    }
    return raw;
  }

  httpsUrl(key: string): string {
    const value = this.string(key);
    if (value === '') return value;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return this.invalid(key, `must be an https URL, got "${value}"`, value);
    }
    if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') {
      return this.invalid(key, `must be an https URL without credentials, got "${value}"`, value);
    }
    return value;
  }

  integer(key: string, min: number, max: number, fallback?: number): number {
    const raw = this.value[key];
    if (raw === undefined) return this.missing(key, fallback, 0);
    if (typeof raw !== 'number' || !Number.isInteger(raw)) return this.invalid(key, `must be a whole number, got ${describe(raw)}`, 0);
    if (raw < min || raw > max) return this.invalid(key, `must be between ${min} and ${max}, got ${raw}`, raw);
    return raw;
  }

  /** Any finite number (ranges are the caller's). */
  number(key: string, fallback: number): number {
    const raw = this.value[key];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'number' || !Number.isFinite(raw)) return this.invalid(key, `must be a number, got ${describe(raw)}`, fallback);
    return raw;
  }

  boolean(key: string, fallback: boolean): boolean {
    const raw = this.value[key];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'boolean') return this.invalid(key, `must be true or false, got ${describe(raw)}`, fallback);
    return raw;
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[], fallback?: T): T {
    const raw = this.value[key];
    if (raw === undefined) return this.missing(key, fallback, allowed[0]);
    const match = allowed.find((candidate) => candidate === raw);
    if (match === undefined) return this.invalid(key, `must be one of ${allowed.join(', ')}, got ${describe(raw)}`, allowed[0]);
    return match;
  }

  /** An array field: each item is read through a Fields whose keys are the item indexes. */
  list<T>(key: string, item: (items: Fields, at: string) => T, fallback?: T[], min = 0, max = 100): T[] {
    const raw = this.value[key];
    if (raw === undefined) return this.missing(key, fallback, []);
    if (!Array.isArray(raw)) return this.invalid(key, 'must be an array', []);
    if (raw.length < min || raw.length > max) {
      this.report(key, min === max ? `must hold exactly ${min} entries` : `must hold ${min} to ${max} entries, got ${raw.length}`);
    }
    const items = new Fields(this.issues, this.at(key), Object.fromEntries(raw.map((entry, index) => [String(index), entry])), raw.map((_, index) => String(index)));
    return raw.map((_, index) => item(items, String(index)));
  }

  private at(key: string): string {
    if (/^\d+$/.test(key)) return `${this.path}[${key}]`;
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  private missing<T>(key: string, fallback: T | undefined, placeholder: T): T {
    if (fallback !== undefined) return fallback;
    this.report(key, 'is required');
    return placeholder;
  }

  private invalid<T>(key: string, problem: string, placeholder: T): T {
    this.report(key, problem);
    return placeholder;
  }
}

/** The fields each nested object may hold (anything else is a typo and is reported). */
const FIELDS_OF: Record<string, readonly string[]> = {
  jwt: ['issuer', 'audience', 'jwksUrl', 'algorithms', 'clockToleranceSeconds', 'maxLifetimeSeconds'],
  entitlement: ['scopeClaim', 'videosClaim', 'playScope', 'adminScope'],
  signing: ['ttlSeconds', 'hashAlgorithm', 'bindViewerIp', 'cookieDomain', 'activeKeyId', 'keys'],
  delivery: [
    'domainNames', 'certificateArn', 'priceClass', 'geoRestriction', 'manifestTtlSeconds', 'segmentTtlSeconds',
    'manifestName', 'contentSecurityPolicy', 'originSecretsVersion',
  ],
  geoRestriction: ['type', 'countries'],
  api: ['throttleRateLimit', 'throttleBurstLimit'],
  abuse: ['sharingMaxNetworks', 'sharingMaxCountries', 'sharingAction', 'maxConcurrentStreams', 'rateLimitPerWindow', 'rateWindowSeconds'],
  waf: ['rateLimitPerIp', 'apiRateLimitPerIp', 'evaluationWindowSeconds'],
  packaging: ['mode', 'spekeUrl', 'spekeRoleArn', 'presetVideo', 'presetAudio'],
  monitoring: ['alarmEmail', 'alarms'],
  alarms: ALARM_KEYS,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value);
}
