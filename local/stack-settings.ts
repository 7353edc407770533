/**
 * What the running `npm start` signs with, written into its folder at start, so the tools that
 * must agree with it read it instead of trusting their own environment: `npm run rotate-keys`
 * waits out the grants the stack issued with the old key, which live as long as the stack's
 * SIGNED_TTL_SECONDS says, not the rotation's.
 *
 * A restart with a shorter lifetime keeps the longer one on record until every grant the
 * previous run could have issued has expired (it stopped before this start).
 */
import { join } from 'node:path';
import { SHARED_INTEGER_SETTINGS } from '../lambda/core/settings-contract';
import { readIfPresent, writeAtomically } from './atomic-file';

export const STACK_SETTINGS_FILE = 'stack-settings.json';
/** `npm start`'s default SIGNED_TTL_SECONDS: the deployed one. */
export const DEFAULT_SIGNED_TTL_SECONDS = SHARED_INTEGER_SETTINGS['signing.ttlSeconds'].fallback;

export interface StackSettings {
  /** The running stack's grant lifetime (SIGNED_TTL_SECONDS). */
  readonly signedTtlSeconds: number;
  /** A previous run's longer lifetime, and until when (epoch seconds) its grants may live. */
  readonly earlier?: { readonly signedTtlSeconds: number; readonly until: number };
}

/** The longest lifetime a grant still valid at `now` can have been issued with. */
export function longestLiveTtl(settings: StackSettings, now: number): number {
  const { earlier } = settings;
  return earlier !== undefined && now < earlier.until
    ? Math.max(settings.signedTtlSeconds, earlier.signedTtlSeconds)
    : settings.signedTtlSeconds;
}

/**
 * Called by the stack at start (`now` in epoch seconds). Grants of earlier runs that outlive this
 * run's lifetime: the last run's (issued until now at the latest) and the ones it still had on
 * record; kept as one record, the longest lifetime until the latest expiry (never too short).
 */
export function recordStackSettings(dir: string, signedTtlSeconds: number, now: number): void {
  const before = readStackSettings(dir);
  const outliving = [
    ...(before === undefined
      ? []
      : [{ signedTtlSeconds: before.signedTtlSeconds, until: now + before.signedTtlSeconds }]),
    ...(before?.earlier !== undefined && now < before.earlier.until ? [before.earlier] : []),
  ].filter((record) => record.signedTtlSeconds > signedTtlSeconds);
  const earlier =
    outliving.length === 0
      ? undefined
      : {
          signedTtlSeconds: Math.max(...outliving.map((record) => record.signedTtlSeconds)),
          until: Math.max(...outliving.map((record) => record.until)),
        };
  const settings: StackSettings = { signedTtlSeconds, ...(earlier === undefined ? {} : { earlier }) };
  writeAtomically(join(dir, STACK_SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`, 0o644);
}

/** The folder's record; undefined when no stack ever started there. Throws, naming the file, when it is not one. */
export function readStackSettings(dir: string): StackSettings | undefined {
  const file = join(dir, STACK_SETTINGS_FILE);
  const text = readIfPresent(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file}: not JSON; delete it and restart npm start`);
  }
  const { signedTtlSeconds, earlier } = (parsed ?? {}) as Record<string, unknown>;
  const seconds = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
  const earlierOk =
    earlier === undefined ||
    (typeof earlier === 'object' &&
      earlier !== null &&
      seconds((earlier as Record<string, unknown>).signedTtlSeconds) &&
      seconds((earlier as Record<string, unknown>).until));
  if (!seconds(signedTtlSeconds) || !earlierOk)
    throw new Error(`${file}: not the settings npm start writes; delete it and restart npm start`);
  return parsed as StackSettings;
}

/**
 * The grant lifetime a rotation of `dir` must wait out: the stack's own (see above). An explicit
 * SIGNED_TTL_SECONDS that disagrees with it is refused rather than silently replaced: a shorter
 * one would retire a key while grants signed with it are valid. With no stack ever started
 * there, the variable (or the default) is all there is.
 */
export function rotationTtlSeconds(dir: string, fromEnvironment: string | undefined, now: number): number {
  let asked: number | undefined;
  if (fromEnvironment !== undefined && fromEnvironment.trim() !== '') {
    asked = Number(fromEnvironment);
    if (!Number.isInteger(asked) || asked < 1)
      throw new Error(`SIGNED_TTL_SECONDS: must be a whole number of seconds, got "${fromEnvironment.slice(0, 32)}"`);
  }
  const settings = readStackSettings(dir);
  if (settings === undefined) return asked ?? DEFAULT_SIGNED_TTL_SECONDS;
  if (asked !== undefined && asked !== settings.signedTtlSeconds)
    throw new Error(
      `SIGNED_TTL_SECONDS: ${asked} s, but npm start on ${dir} signs grants for ${settings.signedTtlSeconds} s; ` +
        "unset it (rotate-keys reads the running stack's) or give the same value",
    );
  return longestLiveTtl(settings, now);
}
