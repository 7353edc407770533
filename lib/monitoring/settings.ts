/**
 * Alarm settings: how an alarm's settings are resolved from defaults and validated, shared by the
 * deploy config and the constructs.
 */
import {
  ALARM_KEYS,
  ALARMS,
  type AlarmKey,
  type AlarmOverrides,
  type AlarmSettings,
  type AlarmThresholds,
  type AuthFailureSettings,
  byAlarm,
  DEFAULT_ALARMS,
  type ThresholdKind,
} from './alarm-table';

interface Limits {
  readonly min: number;
  readonly max: number;
  readonly whole: boolean;
}

/** A ratio of 1 or a rate of 100% could never be exceeded; a count below 1 would alarm on silence. */
const THRESHOLD_LIMITS: Record<ThresholdKind, Limits> = {
  count: { min: 1, max: 1_000_000_000, whole: true },
  ratio: { min: 0.01, max: 0.99, whole: false },
  percent: { min: 0.1, max: 99.9, whole: false },
};
const MIN_DENIED_LIMITS: Limits = { min: 1, max: 1_000_000, whole: true };
const PERIOD_LIMITS: Limits = { min: 60, max: 86_400, whole: true };
/** CloudWatch: periods times evaluation periods may span at most one day. */
const MAX_EVALUATION_SECONDS = 86_400;

/** The fields an alarm's settings hold: those of its defaults (the config reads exactly these). */
export function alarmSettingFields(key: AlarmKey): readonly (keyof AuthFailureSettings)[] {
  return Object.keys(DEFAULT_ALARMS[key]) as (keyof AuthFailureSettings)[];
}

/**
 * Every alarm's settings, each field from `pick` (a config reader, or a construct's overrides)
 * given its default. Validation is alarmSettingProblems'.
 */
export function resolveAlarms(
  pick: (key: AlarmKey, field: keyof AuthFailureSettings, fallback: number) => number,
): AlarmThresholds {
  const settingsOf = (key: AlarmKey): AlarmSettings => {
    const defaults: Partial<AuthFailureSettings> = DEFAULT_ALARMS[key];
    return Object.fromEntries(
      alarmSettingFields(key).map((field) => [field, pick(key, field, defaults[field] ?? Number.NaN)]),
    ) as unknown as AlarmSettings;
  };
  // Each alarm gets exactly the fields of its own defaults: the cast restores each key's settings type.
  return byAlarm(settingsOf) as AlarmThresholds;
}

export interface SettingProblem {
  /** The settings field, e.g. `periodSeconds`. */
  readonly field: string;
  readonly problem: string;
}

/** Every rule an alarm's settings break; shared by the deploy config and the constructs. */
export function alarmSettingProblems(
  key: AlarmKey,
  settings: AlarmSettings & { readonly minDenied?: number },
): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const check = (field: string, value: number | undefined, limits: Limits): void => {
    if (value === undefined) return;
    const { min, max, whole } = limits;
    if (!Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) {
      problems.push({
        field,
        problem: `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${value}`,
      });
    }
  };
  check('threshold', settings.threshold, THRESHOLD_LIMITS[ALARMS[key].kind]);
  check('minDenied', settings.minDenied, MIN_DENIED_LIMITS);
  check('periodSeconds', settings.periodSeconds, PERIOD_LIMITS);
  if (problems.every((p) => p.field !== 'periodSeconds') && settings.periodSeconds % 60 !== 0) {
    problems.push({
      field: 'periodSeconds',
      problem: `must be a multiple of 60 (AWS metrics are per minute), got ${settings.periodSeconds}`,
    });
  }
  const evaluation = settings.evaluationPeriods;
  if (!Number.isInteger(evaluation) || evaluation < 1) {
    problems.push({ field: 'evaluationPeriods', problem: `must be a whole number >= 1, got ${evaluation}` });
  } else if (
    problems.every((p) => p.field !== 'periodSeconds') &&
    evaluation * settings.periodSeconds > MAX_EVALUATION_SECONDS
  ) {
    problems.push({
      field: 'evaluationPeriods',
      problem: `times periodSeconds must not exceed ${MAX_EVALUATION_SECONDS} s (one day), got ${evaluation * settings.periodSeconds} s`,
    });
  }
  return problems;
}

/** Local part, then a host name with a dot; what SNS will accept as an e-mail endpoint. */
export const EMAIL_ADDRESS =
  /^(?=.{3,254}$)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function mergeSettings(owner: string, overrides: AlarmOverrides = {}): AlarmThresholds {
  const unknown = Object.keys(overrides).filter((key) => !(ALARM_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0)
    throw new Error(
      `${owner}: alarms has unknown alarm ${unknown.join(', ')} (expected one of ${ALARM_KEYS.join(', ')})`,
    );
  // Widening: an override holds some of these fields (minDenied only for authFailureSpike).
  const merged = resolveAlarms(
    (key, field, fallback) => (overrides[key] as Partial<AuthFailureSettings> | undefined)?.[field] ?? fallback,
  );
  for (const key of ALARM_KEYS) {
    const [first] = alarmSettingProblems(key, merged[key]);
    if (first !== undefined) throw new Error(`${owner}: alarms.${key}.${first.field} ${first.problem}`);
  }
  return merged;
}
