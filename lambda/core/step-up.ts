/**
 * Step-up for premium titles (RFC 9470). The deployment marks titles (ids or prefixes, in
 * STEP_UP_TITLES) as needing an authentication context (`acrValues`: the token's `acr` must be
 * one of them) and/or a recent sign-in (`maxAgeSeconds`: the token's `auth_time` at most that old
 * when the session started). A token that does not meet its title's rule is answered 401
 * `insufficient_user_authentication` with the rule's `acr_values` and `max_age`, so the client
 * signs in again as asked and plays with the new token.
 *
 * When it is checked: a session is one token (lambda/core/access-state.ts `sessionId`), and it
 * starts at its first admitted playback call, of any title. `acr` is a fact of the token, so it is
 * checked on every call (a refresh of a session that met it meets it again). The sign-in's age is
 * judged at the session's start: the store records the start on the user's item in the playback
 * call's one write (`u_<session>`), and a later call of the same session is judged against that
 * recorded start, not against now, so its refreshes are never challenged; a new token is a new
 * session and must meet the rule by its own `auth_time`. A missing `auth_time` where a rule has
 * `maxAgeSeconds` is a challenge: the token cannot show when its user signed in.
 */
import { ConfigError } from './config';
import { parseJsonObject } from './env-reader';
import { isVideoPattern, mostSpecific, TITLE_RULES_MAX, VIDEO_PATTERN_RULE } from './entitlement-rules';
import { StepUpRequired } from './errors';
import type { VerifiedToken } from './token-verifier';

export const STEP_UP_VARIABLE = 'STEP_UP_TITLES';

export interface StepUpRule {
  /** Acceptable `acr` values, in order of preference (RFC 9470 `acr_values`). */
  acrValues?: string[];
  /** How old the sign-in (`auth_time`) may be when a session of the title starts (RFC 9470 `max_age`). */
  maxAgeSeconds?: number;
}

/** Rules by title entry (an id, a prefix `premium-*`, or `*`); the most specific entry decides. */
export type StepUpRules = ReadonlyMap<string, StepUpRule>;

export const STEP_UP_LIMITS = {
  acrValues: 8,
  /** 30 days: anything longer is no requirement. */
  maxAgeSeconds: { min: 0, max: 2592000 },
} as const;

/**
 * An `acr` value: printable ASCII without spaces, quotes or backslashes (it is sent inside the
 * challenge's quoted `acr_values`, space-separated), e.g. `urn:example:loa:2` or `phr`.
 */
const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

/** What a call must still prove at the store: its session started by `latestStart` (epoch s). */
export interface SessionStartRequirement {
  latestStart: number;
}

/**
 * Checks `token` against the rule of `videoId` at `now`. Throws StepUpRequired for a wrong or
 * missing `acr`, or a missing `auth_time` under `maxAgeSeconds`. Answers, for a rule with
 * `maxAgeSeconds`, by when the session must have started (`auth_time` + max age + the clock
 * tolerance, for the IdP's clock): the store admits a call whose session started by then, or
 * starts now with `now` not after it. Undefined: no age to judge.
 */
export function checkStepUp(
  token: VerifiedToken,
  videoId: string,
  rules: StepUpRules,
  clockToleranceSeconds: number,
): SessionStartRequirement | undefined {
  const rule = mostSpecific(rules, videoId);
  if (rule === undefined) return undefined;
  const challenge = (description: string) => new StepUpRequired(description, rule.acrValues, rule.maxAgeSeconds);
  if (rule.acrValues !== undefined) {
    const acr = token.claims.acr;
    if (typeof acr !== 'string' || !rule.acrValues.includes(acr))
      throw challenge(
        'this title needs a stronger sign-in: sign in again with one of the authentication levels asked for',
      );
  }
  if (rule.maxAgeSeconds === undefined) return undefined;
  const authTime = token.claims.auth_time;
  if (typeof authTime !== 'number' || !Number.isFinite(authTime))
    throw challenge('this title needs a recent sign-in, and the token does not say when its user signed in');
  return { latestStart: Math.floor(authTime) + rule.maxAgeSeconds + clockToleranceSeconds };
}

/** The challenge for a session that started too long after its sign-in (the store's verdict). */
export function staleSignIn(videoId: string, rules: StepUpRules): StepUpRequired {
  const rule = mostSpecific(rules, videoId);
  return new StepUpRequired(
    `this title needs a sign-in at most ${rule?.maxAgeSeconds ?? 0} s old when playback starts: sign in again`,
    rule?.acrValues,
    rule?.maxAgeSeconds,
  );
}

/** Whether any rule judges the sign-in's age (only then does the store record session starts). */
export const judgesSignInAge = (rules: StepUpRules): boolean =>
  [...rules.values()].some((rule) => rule.maxAgeSeconds !== undefined);

/**
 * `{"premium-*": {"acrValues": ["urn:example:loa:2"], "maxAgeSeconds": 600}, ...}`; a bad value
 * is a ConfigError naming the variable and the entry.
 */
export function parseStepUpRules(raw: string | undefined, variable = STEP_UP_VARIABLE): StepUpRules {
  const rules = new Map<string, StepUpRule>();
  for (const [pattern, value] of titleEntries(raw, variable)) {
    const where = `title "${pattern.slice(0, 64)}"`;
    const { acrValues, maxAgeSeconds, ...rest } = value;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw new ConfigError(
        variable,
        `${where}: unknown field "${extra.slice(0, 32)}" (expected acrValues, maxAgeSeconds)`,
      );
    if (acrValues === undefined && maxAgeSeconds === undefined)
      throw new ConfigError(variable, `${where}: set acrValues, maxAgeSeconds or both`);
    if (
      acrValues !== undefined &&
      !(
        Array.isArray(acrValues) &&
        acrValues.length >= 1 &&
        acrValues.length <= STEP_UP_LIMITS.acrValues &&
        acrValues.every((acr) => typeof acr === 'string' && ACR_VALUE.test(acr))
      )
    )
      throw new ConfigError(
        variable,
        `${where}: acrValues must list 1 to ${STEP_UP_LIMITS.acrValues} acr values (printable, no spaces, quotes or backslashes)`,
      );
    const { min, max } = STEP_UP_LIMITS.maxAgeSeconds;
    if (
      maxAgeSeconds !== undefined &&
      !(Number.isInteger(maxAgeSeconds) && (maxAgeSeconds as number) >= min && (maxAgeSeconds as number) <= max)
    )
      throw new ConfigError(variable, `${where}: maxAgeSeconds must be a whole number from ${min} to ${max}`);
    rules.set(pattern, {
      ...(acrValues !== undefined ? { acrValues: acrValues as string[] } : {}),
      ...(maxAgeSeconds !== undefined ? { maxAgeSeconds: maxAgeSeconds as number } : {}),
    });
  }
  return rules;
}

/** A by-title JSON object's entries, each key a title entry and each value an object. */
export function titleEntries(raw: string | undefined, variable: string): [string, Record<string, unknown>][] {
  if (raw === undefined || raw.trim() === '') return [];
  const entries = Object.entries(
    parseJsonObject(variable, raw, 'a JSON object of rules by title (an id, a prefix such as "premium-*", or "*")'),
  );
  if (entries.length > TITLE_RULES_MAX) throw new ConfigError(variable, `holds more than ${TITLE_RULES_MAX} titles`);
  return entries.map(([pattern, value]) => {
    const where = `title "${pattern.slice(0, 64)}"`;
    if (!isVideoPattern(pattern)) throw new ConfigError(variable, `${where}: must be ${VIDEO_PATTERN_RULE}`);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new ConfigError(variable, `${where}: must be a JSON object`);
    return [pattern, value as Record<string, unknown>];
  });
}
