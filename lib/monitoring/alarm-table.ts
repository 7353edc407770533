/**
 * The alarm table: one record per alarm (name, metric, threshold kind and defaults, description,
 * runbook), from which the alarms (alerting.ts), their settings and validation (settings.ts, the
 * deploy config) and the dashboard's alarmed series (dashboard.ts) are all built. An alarm is
 * added here, with its runbook section in docs/operations.md.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { EdgeMetrics, EdgeRevocationMetrics, FunctionSignals, Signals } from './signals';

export interface AlarmSettings {
  /** The value that alarms: a count for counters, a ratio (0-1) or a percentage for rates (the alarm's kind). */
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

/** A count alarms at the threshold; a ratio or a percentage alarms above it. */
export type ThresholdKind = 'count' | 'ratio' | 'percent';

export type AlarmMetric = cloudwatch.Metric | cloudwatch.MathExpression;

/** Where an alarm's metric comes from, which decides where and how many times it is made. */
type AlarmSource<S extends AlarmSettings> =
  /** The main region's API and table: one alarm, in Monitoring. */
  | {
      readonly scope: 'main';
      readonly metric: (signals: Signals, settings: S) => AlarmMetric;
      readonly description: (settings: S) => string;
    }
  /** One alarm per function; its name and construct id gain the function's name. */
  | {
      readonly scope: 'function';
      readonly metric: (fn: FunctionSignals) => AlarmMetric;
      readonly description: (fn: string) => string;
    }
  /** WAF and CloudFront, whose metrics exist in us-east-1 only: in Monitoring there, else in EdgeAlarms. */
  | {
      readonly scope: 'edge';
      /** undefined: the metric does not exist here (no web ACL in front of the distribution). */
      readonly metric: (edge: EdgeMetrics) => AlarmMetric | undefined;
      readonly description: () => string;
    }
  /** The edge deny-list pipeline (main region): made only when edge revocation is on. */
  | {
      readonly scope: 'edgeRevocation';
      readonly metric: (metrics: EdgeRevocationMetrics) => AlarmMetric;
      readonly description: (settings: S) => string;
    };

export type AlarmSpec<S extends AlarmSettings = AlarmSettings> = AlarmSource<S> & {
  /** The alarm is named `<deployment name>-<this>` (`-<function>` added per function); the topic policy admits `<name>-*`. */
  readonly name: string;
  readonly kind: ThresholdKind;
  readonly defaults: S;
  /** Anchor of the alarm's runbook section in docs/operations.md. */
  readonly runbook: string;
};

const alarm = <S extends AlarmSettings>(spec: AlarmSpec<S>): AlarmSpec<S> => spec;

const FIVE_MINUTES = 300;
/** Five-minute periods; breaching for `evaluationPeriods` of them in a row alarms. */
const settings = (threshold: number, evaluationPeriods = 1): AlarmSettings => ({
  threshold,
  periodSeconds: FIVE_MINUTES,
  evaluationPeriods,
});

/**
 * Defaults: security signals (revoked-token reuse, sharing, store errors) alarm on the first
 * occurrence; volumes alarm on a spike within five minutes; CloudFront's 4xx rate, which expired
 * cookies keep above zero, must stay high for three periods.
 */
export const ALARMS = {
  authFailureSpike: alarm<AuthFailureSettings>({
    name: 'auth-failure-spike',
    runbook: 'auth-failure-spike',
    scope: 'main',
    kind: 'ratio',
    defaults: { threshold: 0.5, periodSeconds: FIVE_MINUTES, evaluationPeriods: 1, minDenied: 50 },
    // One expression: the ratio counts only once denials reach the floor (else 0). FILL: a flood of
    // denials with no successful playback at all must still give a ratio (1), not a missing point.
    metric: ({ app }, { minDenied }) =>
      new cloudwatch.MathExpression({
        expression: `IF(denied >= ${minDenied}, denied / (denied + FILL(authorized, 0)), 0)`,
        usingMetrics: { denied: app.denied, authorized: app.authorized },
        label: 'denied / (denied + authorized)',
      }),
    description: ({ threshold, minDenied }) =>
      `More than ${+(threshold * 100).toFixed(2)}% of playback requests denied, with at least ${minDenied} denials: credential stuffing, token forgery, or a broken IdP or client.`,
  }),
  revokedTokenReuse: alarm({
    name: 'revoked-token-reuse',
    runbook: 'revoked-token-reuse',
    scope: 'main',
    kind: 'count',
    defaults: settings(1),
    metric: ({ app }) => app.revokedTokenReuse,
    description: () => 'A revoked token was presented again: a stolen or shared token is being replayed.',
  }),
  tokenSharingSuspected: alarm({
    name: 'token-sharing-suspected',
    runbook: 'token-sharing-suspected',
    scope: 'main',
    kind: 'count',
    defaults: settings(1),
    metric: ({ app }) => app.sharingSuspected,
    description: () => 'A token is used from more networks or countries than allowed: likely shared.',
  }),
  revocationStoreErrors: alarm({
    name: 'revocation-store-errors',
    runbook: 'revocation-store-errors',
    scope: 'main',
    kind: 'count',
    defaults: settings(1),
    metric: ({ app }) => app.storeError,
    description: () => 'The revocation table could not be read: playback fails closed (503) until it recovers.',
  }),
  stepUpRefusalSpike: alarm({
    name: 'step-up-refusal-spike',
    runbook: 'step-up-refusal-spike',
    scope: 'main',
    kind: 'count',
    defaults: settings(100),
    metric: ({ app }) => app.stepUpRequired,
    description: () =>
      'Many playback calls refused for a weak or stale sign-in (RFC 9470 step-up): the IdP stopped sending acr or auth_time, a client is not completing the step-up, or weak tokens are being tried on premium titles.',
  }),
  wafBlockedRequests: alarm({
    name: 'waf-blocked-requests',
    runbook: 'waf-blocked-requests-us-east-1',
    scope: 'edge',
    kind: 'count',
    defaults: settings(500),
    metric: (edge) => edge.wafBlocked,
    description: () =>
      'The WAF blocked an unusual number of requests (rate limits, IP reputation, managed rules): an attack or a misbehaving client.',
  }),
  api5xx: alarm({
    name: 'api-5xx',
    runbook: 'api-5xx',
    scope: 'main',
    kind: 'count',
    defaults: settings(5),
    metric: ({ apiServerErrors }) => apiServerErrors,
    description: () => 'The playback API answered with 5xx (503 includes fail-closed revocation reads).',
  }),
  licenceUpstreamFailures: alarm({
    name: 'licence-upstream-failures',
    runbook: 'licence-upstream-failures',
    scope: 'main',
    kind: 'count',
    defaults: settings(5),
    metric: ({ app }) => app.licenceUpstreamFailed,
    description: ({ threshold }) =>
      `${threshold} or more licence calls failed at the licence server in 5 minutes (it refused the proxy's credential, failed, timed out or was unreachable): DRM videos do not play.`,
  }),
  lambdaErrors: alarm({
    name: 'lambda-errors',
    runbook: 'lambda-errors-function',
    scope: 'function',
    kind: 'count',
    defaults: settings(1),
    metric: (fn) => fn.errors,
    description: (fn) => `The ${fn} function failed (an unhandled error or timeout, not an API error answer).`,
  }),
  lambdaThrottles: alarm({
    name: 'lambda-throttles',
    runbook: 'lambda-throttles-function',
    scope: 'function',
    kind: 'count',
    defaults: settings(1),
    metric: (fn) => fn.throttles,
    description: (fn) => `The ${fn} function was throttled (concurrency limit): viewers get errors.`,
  }),
  dynamoDbThrottles: alarm({
    name: 'dynamodb-throttles',
    runbook: 'dynamodb-throttles',
    scope: 'main',
    kind: 'count',
    defaults: settings(1),
    metric: ({ tableThrottles }) => tableThrottles,
    description: () => 'The revocation table throttled reads or writes: revocation checks may fail closed.',
  }),
  cloudFront4xxRate: alarm({
    name: 'cloudfront-4xx-rate',
    runbook: 'cloudfront-4xx-rate-us-east-1',
    scope: 'edge',
    kind: 'percent',
    defaults: settings(15, 3),
    metric: (edge) => edge.cloudFront4xx,
    description: () =>
      'A high share of CloudFront responses are 4xx (403: missing or invalid signatures): URL guessing, hot-linking, or cookies not refreshed.',
  }),
  denyListWritesFailed: alarm({
    name: 'deny-list-writes-failed',
    runbook: 'deny-list-writes-failed',
    scope: 'edgeRevocation',
    kind: 'count',
    defaults: settings(1),
    metric: (metrics) => metrics.writesFailed,
    description: () =>
      'A revocation could not be written to the edge deny-list (KeyValueStore) after bounded retries: the stream retries it, but until then revoked grants still play at the edge.',
  }),
  denyListFailedRecords: alarm({
    name: 'deny-list-failed-records',
    runbook: 'deny-list-failed-records',
    scope: 'edgeRevocation',
    kind: 'count',
    defaults: settings(1),
    metric: (metrics) => metrics.failedRecords,
    description: () =>
      'Stream records the deny-list gave up on are in the on-failure queue: those revocations never reached the edge (they still hold at the API).',
  }),
  denyListStreamLag: alarm({
    name: 'deny-list-stream-lag',
    runbook: 'deny-list-stream-lag',
    scope: 'edgeRevocation',
    kind: 'count',
    defaults: settings(60_000),
    metric: (metrics) => metrics.iteratorAge,
    description: ({ threshold }) =>
      `The deny-list stream consumer is ${threshold} ms or more behind the state table: revocations reach the edge that late.`,
  }),
  denyListStoreSize: alarm({
    name: 'deny-list-store-size',
    runbook: 'deny-list-store-size',
    scope: 'edgeRevocation',
    kind: 'count',
    defaults: settings(4_000_000),
    metric: (metrics) => metrics.storeBytes,
    description: ({ threshold }) =>
      `The edge deny-list holds ${threshold} bytes or more of its 5 MB: when full, revocations can no longer reach the edge.`,
  }),
  edgeForeignSiteRefusals: alarm({
    name: 'edge-foreign-site-refusals',
    runbook: 'edge-foreign-site-refusals-us-east-1',
    scope: 'edge',
    kind: 'count',
    defaults: settings(100),
    metric: (edge) => edge.refusals['foreign-site'],
    description: () =>
      'Many media requests refused at the edge for showing a site not allowed to play (domain restriction): another site is embedding or hot-linking the content, or an allowed site is missing from the list.',
  }),
  edgeDeviceRefusals: alarm({
    name: 'edge-device-refusals',
    runbook: 'edge-device-refusals-us-east-1',
    scope: 'edge',
    kind: 'count',
    defaults: settings(50),
    metric: (edge) => edge.refusals.device,
    description: () =>
      'Many media requests refused at the edge for a grant not bound to the requesting device: grants copied to other browsers, or a device key missing from the KeyValueStore.',
  }),
  cloudFront5xxRate: alarm({
    name: 'cloudfront-5xx-rate',
    runbook: 'cloudfront-5xx-rate-us-east-1',
    scope: 'edge',
    kind: 'percent',
    defaults: settings(5),
    metric: (edge) => edge.cloudFront5xx,
    description: () => 'A high share of CloudFront responses are 5xx: an origin (S3, MediaPackage, API) is failing.',
  }),
};

export type AlarmKey = keyof typeof ALARMS;
/** Every alarm, in table order (the order alarms are made and listed in). */
export const ALARM_KEYS = Object.keys(ALARMS) as readonly AlarmKey[];

export type AlarmThresholds = { readonly [K in AlarmKey]: (typeof ALARMS)[K]['defaults'] };
export type AlarmOverrides = { readonly [K in AlarmKey]?: Partial<AlarmThresholds[K]> };

/**
 * An alarm's record with its settings type widened, for code that handles every alarm alike. Sound
 * as long as its metric and description get that alarm's own settings (AlarmThresholds[key]).
 */
export function alarmSpec(key: AlarmKey): AlarmSpec {
  return ALARMS[key] as AlarmSpec;
}

/** Every alarm's value of `pick`, by key. */
export function byAlarm<T>(pick: (key: AlarmKey) => T): { readonly [K in AlarmKey]: T } {
  return Object.fromEntries(ALARM_KEYS.map((key) => [key, pick(key)])) as { [K in AlarmKey]: T };
}

/** Every alarm's defaults (the cast only restores what byAlarm widens: each key keeps its own settings type). */
export const DEFAULT_ALARMS = byAlarm((key) => ALARMS[key].defaults) as AlarmThresholds;
