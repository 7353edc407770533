/**
 * The one way the functions read their environment: each value trimmed (blank reads as unset),
 * checked against its declared default, range or pattern (settings-contract.ts), and every
 * problem a ConfigError naming the variable, so a bad deploy fails at cold start with the name
 * an operator can fix, never later with a half-configured function.
 */
import type { ChoiceSetting, IntegerSetting, TextSetting } from './settings-contract';

export class ConfigError extends Error {
  /** `cause`: the failure behind it (an SDK or file-system error), kept for the logs. */
  constructor(
    readonly variable: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${problem}`, options);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new ConfigError(name, 'is required but not set');
    return value;
  }

  /** The setting's whole number, its default when unset. */
  integer({ variable, fallback, min, max }: IntegerSetting): number {
    const raw = this.optional(variable);
    return raw === undefined ? fallback : wholeNumber(variable, raw, min, max);
  }

  /** A whole number with no default (a variable the deploying construct always sets). */
  requiredInteger(name: string, min: number, max: number): number {
    return wholeNumber(name, this.required(name), min, max);
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }

  oneOf<T extends string>({ variable, allowed, fallback }: ChoiceSetting<T>): T {
    const raw = this.optional(variable);
    if (raw === undefined) return fallback;
    const match = allowed.find((candidate) => candidate === raw);
    if (match === undefined) throw new ConfigError(variable, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return match;
  }

  /** A required value matching the setting's pattern. */
  text({ variable, pattern, what }: TextSetting): string {
    const value = this.required(variable);
    if (!pattern.test(value)) throw new ConfigError(variable, `must be ${what}, got "${value}"`);
    return value;
  }

  optionalText(setting: TextSetting): string | undefined {
    return this.optional(setting.variable) === undefined ? undefined : this.text(setting);
  }

  /** A JSON object (unset: `{}`); `what` completes "must be …". */
  jsonObject(name: string, what = 'a JSON object'): Record<string, unknown> {
    const raw = this.optional(name);
    return raw === undefined ? {} : parseJsonObject(name, raw, what);
  }

  /** A URL (unset: undefined). */
  optionalUrl(name: string): URL | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    try {
      return new URL(value);
    } catch {
      throw new ConfigError(name, `is not a valid URL: "${value}"`);
    }
  }
}

function wholeNumber(name: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw.slice(0, 32)}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** `raw` as a JSON object, else a ConfigError naming `name`; `what` completes "must be …". */
export function parseJsonObject(name: string, raw: string, what = 'a JSON object'): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(name, `must be ${what}`);
  return parsed as Record<string, unknown>;
}
