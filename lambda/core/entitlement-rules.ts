/**
 * The entitlement contract shared by the tokens, the functions' config (config.ts) and the deploy
 * config (lib/config/identity.ts): what a video id is, how an entry names videos (an id, an id
 * prefix, or all), and what a plan holds. No imports, so synth and the functions agree.
 */

/** A video id, as the playback route takes it (also a media folder name). */
export const VIDEO_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** VIDEO_ID in words: completes "must be …". */
export const VIDEO_ID_RULE = 'a video id (1 to 128 of A-Z, a-z, 0-9, "_", "-")';

export function isVideoId(value: unknown): value is string {
  return typeof value === 'string' && VIDEO_ID.test(value);
}

/**
 * An entitlement entry: a video id (`trailer-1`), an id prefix ending in `*` (`series-12-*`), or
 * `*` alone for every video. Ids hold no `/`, so a prefix is written with the id's own characters.
 */
const VIDEO_PATTERN = /^(?:[A-Za-z0-9_-]{1,128}|[A-Za-z0-9_-]{0,127}\*)$/;

export const VIDEO_PATTERN_RULE =
  'a video id (1 to 128 of A-Z a-z 0-9 _ -), an id prefix ending in "*" such as "series-12-*", or "*"';

export function isVideoPattern(value: unknown): value is string {
  return typeof value === 'string' && VIDEO_PATTERN.test(value);
}

/** Whether the entry `pattern` (already checked by isVideoPattern) names `videoId`. */
export function matchesVideo(pattern: string, videoId: string): boolean {
  return pattern.endsWith('*') ? videoId.startsWith(pattern.slice(0, -1)) : pattern === videoId;
}

/** A named plan: which videos it plays and, if set, how many concurrent streams its users get. */
export interface Plan {
  /** Entries as VIDEO_PATTERN_RULE says. */
  videos: string[];
  /** Active playback sessions per user on this plan; 0 = unlimited; absent = the deployment's limit. */
  maxStreams?: number;
}

/**
 * Plan names are matched exactly against the plan claim's value(s) (a plan, a group, a role):
 * 1 to 128 characters without control characters.
 */
export const PLAN_NAME = /^[^\u0000-\u001f\u007f]{1,128}$/;
export const PLAN_LIMITS = {
  /** Plans in one deployment (they travel in a Lambda variable; the environment holds 4 KB). */
  plans: 50,
  /** Entries per plan: a large catalogue is named by prefixes, not listed. */
  videos: 100,
  /** Same range as MAX_CONCURRENT_STREAMS. */
  maxStreams: { min: 0, max: 1000 },
  /** The cap a per-user stream-limit claim may never exceed. */
  streamLimitClaimMax: { min: 1, max: 1000, fallback: 10 },
} as const;

/**
 * The entry of a by-title map (keys are entries as VIDEO_PATTERN_RULE says) that decides for
 * `videoId`: the most specific that names it, an id over any prefix, a longer prefix over a
 * shorter one, `*` last. One entry decides, so a title's rule is read in one place.
 */
export function mostSpecific<T>(rules: ReadonlyMap<string, T>, videoId: string): T | undefined {
  let best: string | undefined;
  for (const pattern of rules.keys()) {
    if (!matchesVideo(pattern, videoId)) continue;
    if (best === undefined || specificity(pattern) > specificity(best)) best = pattern;
  }
  return best === undefined ? undefined : rules.get(best);
}

/** An exact id beats every prefix; among prefixes, the longer. */
const specificity = (pattern: string): number => (pattern.endsWith('*') ? pattern.length - 1 : 1000);

/** Entries in one by-title map (step-up rules, rental terms): they travel in a Lambda variable. */
export const TITLE_RULES_MAX = 50;
