/**
 * The alarms: their keys, settings types, threshold kinds, default settings and names.
 */

export const ALARM_KEYS = [
  'authFailureSpike',
  'revokedTokenReuse',
  'tokenSharingSuspected',
  'revocationStoreErrors',
  'wafBlockedRequests',
  'api5xx',
  'lambdaErrors',
  'lambdaThrottles',
  'dynamoDbThrottles',
  'cloudFront4xxRate',
  'cloudFront5xxRate',
] as const;
export type AlarmKey = (typeof ALARM_KEYS)[number];

export interface AlarmSettings {
  /** The value that alarms: a count for counters, a ratio (0-1) or a percentage for rates (THRESHOLD_KIND). */
  readonly threshold: number;
  /** Seconds per evaluated datapoint: a multiple of 60. */
  readonly periodSeconds: number;
  /** Consecutive breaching periods before the alarm fires. */
  readonly evaluationPeriods: number;
}

export interface AuthFailureSettings extends AlarmSettings {
  /** Denials per period below which the ratio is not considered (a few failures out of a few requests is no spike). */
  readonly minDenied: number;
}

export type AlarmThresholds = { readonly [K in AlarmKey]: K extends 'authFailureSpike' ? AuthFailureSettings : AlarmSettings };
export type AlarmOverrides = { readonly [K in AlarmKey]?: Partial<AlarmThresholds[K]> };

export type ThresholdKind = 'count' | 'ratio' | 'percent';

export const THRESHOLD_KIND: { readonly [K in AlarmKey]: ThresholdKind } = {
  authFailureSpike: 'ratio',
  revokedTokenReuse: 'count',
  tokenSharingSuspected: 'count',
  revocationStoreErrors: 'count',
  wafBlockedRequests: 'count',
  api5xx: 'count',
  lambdaErrors: 'count',
  lambdaThrottles: 'count',
  dynamoDbThrottles: 'count',
  cloudFront4xxRate: 'percent',
  cloudFront5xxRate: 'percent',
};

const FIVE_MINUTES = 300;
const once = (threshold: number, periodSeconds = FIVE_MINUTES): AlarmSettings => ({ threshold, periodSeconds, evaluationPeriods: 1 });

/**
 * Defaults: security signals (revoked-token reuse, sharing, store errors) alarm on the first
 * occurrence; volumes alarm on a spike within five minutes; CloudFront's 4xx rate, which expired
 * cookies keep above zero, must stay high for three periods.
 */
export const DEFAULT_ALARMS: AlarmThresholds = {
  authFailureSpike: { threshold: 0.5, minDenied: 50, periodSeconds: FIVE_MINUTES, evaluationPeriods: 1 },
  revokedTokenReuse: once(1),
  tokenSharingSuspected: once(1),
  revocationStoreErrors: once(1),
  wafBlockedRequests: once(500),
  api5xx: once(5),
  lambdaErrors: once(1),
  lambdaThrottles: once(1),
  dynamoDbThrottles: once(1),
  cloudFront4xxRate: { threshold: 15, periodSeconds: FIVE_MINUTES, evaluationPeriods: 3 },
  cloudFront5xxRate: { threshold: 5, periodSeconds: FIVE_MINUTES, evaluationPeriods: 1 },
};

/** Alarm names are `<name>-<this>` (Lambda alarms add `-<function>`); the topic policy admits `<name>-*`. */
export const ALARM_NAMES: { readonly [K in AlarmKey]: string } = {
  authFailureSpike: 'auth-failure-spike',
  revokedTokenReuse: 'revoked-token-reuse',
  tokenSharingSuspected: 'token-sharing-suspected',
  revocationStoreErrors: 'revocation-store-errors',
  wafBlockedRequests: 'waf-blocked-requests',
  api5xx: 'api-5xx',
  lambdaErrors: 'lambda-errors',
  lambdaThrottles: 'lambda-throttles',
  dynamoDbThrottles: 'dynamodb-throttles',
  cloudFront4xxRate: 'cloudfront-4xx-rate',
  cloudFront5xxRate: 'cloudfront-5xx-rate',
};
