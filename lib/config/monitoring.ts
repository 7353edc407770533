/**
 * Alarms (`monitoring`): the address their topics mail, and every alarm's threshold, period and
 * evaluation periods. The alarms, their fields, defaults and rules come from the alarm table
 * (lib/monitoring/alarm-table.ts, lib/monitoring/settings.ts), shared with the constructs.
 */
import type { z } from 'zod';
import {
  type AlarmKey,
  type AlarmSettings,
  type AlarmThresholds,
  type AuthFailureSettings,
  byAlarm,
  DEFAULT_ALARMS,
} from '../monitoring/alarm-table';
import { alarmSettingFields, alarmSettingProblems, EMAIL_ADDRESS } from '../monitoring/settings';
import { fieldsOk, isRecord, number, optionalSection, reportAt, text } from './fields';

/** One alarm's settings: the fields of its defaults, each defaulting to it, checked together. */
function alarmSettingsSchema(key: AlarmKey) {
  const defaults: Partial<Record<keyof AuthFailureSettings, number>> = DEFAULT_ALARMS[key];
  const fields = alarmSettingFields(key);
  return optionalSection(
    Object.fromEntries(fields.map((field) => [field, number().default(defaults[field] ?? Number.NaN)])),
  ).superRefine(
    (settings, ctx) => {
      // A field that is not a number is reported as such; the rules then see its default.
      const checked = Object.fromEntries(
        fields.map((field) => [field, fieldsOk(ctx.issues, [field]) ? settings[field] : defaults[field]]),
      );
      for (const { field, problem } of alarmSettingProblems(key, checked as unknown as AlarmSettings)) {
        if (fieldsOk(ctx.issues, [field])) reportAt(ctx, field, problem);
      }
    },
    { when: (payload) => isRecord(payload.value) },
  );
}

/** Every alarm's settings; the cast restores what building it per key widens (each key's own settings type). */
const alarmsSchema = optionalSection(byAlarm(alarmSettingsSchema)) as unknown as z.ZodType<AlarmThresholds, unknown>;

export const monitoringSchema = optionalSection({
  /** Subscribed to the alarm topic of each region; absent: no subscription. */
  alarmEmail: text(EMAIL_ADDRESS, 'an e-mail address such as video-ops@example.com').optional(),
  /** Every alarm's threshold, period and evaluation periods (defaults: DEFAULT_ALARMS). */
  alarms: alarmsSchema,
});
