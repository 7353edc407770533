/**
 * Entitlement: what a verified token allows. The scope claims (each a space-separated string or
 * an array) must hold the required scope. Which videos: the videos claim (entries: an id, an id
 * prefix `series-12-*`, or `*`; or the string "*") together with the videos of the token's
 * plans (the plan claim names one or several plans of the config; names it does not know are
 * ignored, as a groups claim holds other groups too). A token with neither is given the default
 * plan if one is configured, else refused unless the deployment says its tokens carry no per-video
 * claim (REQUIRE_VIDEOS_CLAIM=false): silence must never mean "every video" by accident.
 * How many streams: the user's own claim (capped), else the most generous of its plans, else the
 * deployment's limit.
 */
import type { EntitlementConfig } from './config';
import { isVideoPattern, matchesVideo, type Plan, VIDEO_PATTERN_RULE } from './entitlement-rules';
import { InsufficientScope, InvalidToken } from './errors';
import type { VerifiedToken } from './token-verifier';

export function scopesOf(token: VerifiedToken, config: EntitlementConfig): string[] {
  return config.scopeClaims.flatMap((claim) => {
    const raw = token.claims[claim];
    if (raw === undefined) return [];
    if (typeof raw === 'string') return raw.split(' ').filter((scope) => scope !== '');
    if (Array.isArray(raw) && raw.every((scope): scope is string => typeof scope === 'string')) return raw;
    throw new InvalidToken('malformed_token', `token "${claim}" claim must be a string or an array of strings`);
  });
}

export function requireScope(token: VerifiedToken, scope: string, config: EntitlementConfig): void {
  if (!scopesOf(token, config).includes(scope)) {
    throw new InsufficientScope(`token lacks the "${scope}" scope`);
  }
}

/** Throws unless the token may play `videoId`. */
export function requirePlayback(token: VerifiedToken, videoId: string, config: EntitlementConfig): void {
  if (config.requirePlayScope) requireScope(token, config.playScope, config);
  const patterns = videoPatternsOf(token, config);
  if (patterns === 'all') return;
  if (!patterns.some((pattern) => matchesVideo(pattern, videoId)))
    throw new InsufficientScope('token is not entitled to this video');
}

/**
 * The user's concurrent-stream limit (0 = unlimited): its own claim when configured and present
 * (1 to STREAM_LIMIT_CLAIM_MAX; more is capped), else the largest of its plans' limits (an
 * unlimited plan wins), else `fallback` (MAX_CONCURRENT_STREAMS).
 */
export function streamLimitOf(token: VerifiedToken, config: EntitlementConfig, fallback: number): number {
  const claim = config.streamLimitClaim;
  const own = claim === undefined ? undefined : token.claims[claim];
  if (own !== undefined) {
    if (typeof own !== 'number' || !Number.isInteger(own) || own < 1)
      throw new InvalidToken('malformed_token', `token "${claim}" claim must be a whole number of at least 1`);
    return Math.min(own, config.streamLimitClaimMax);
  }
  const limits = plansOf(token, config).flatMap((plan) => (plan.maxStreams === undefined ? [] : [plan.maxStreams]));
  if (limits.length === 0) return fallback;
  return limits.includes(0) ? 0 : Math.max(...limits);
}

/** Every entry the token's videos claim and plans grant, or 'all'. */
function videoPatternsOf(token: VerifiedToken, config: EntitlementConfig): string[] | 'all' {
  const videos = videosClaimOf(token, config);
  const plans = plansOf(token, config);
  if (videos === undefined && plans.length === 0) {
    if (!config.requireVideosClaim) return 'all';
    throw new InsufficientScope(
      `token has no "${config.videosClaim}" claim and no known "${config.planClaim}" saying which videos it may play`,
    );
  }
  return [...(videos ?? []), ...plans.flatMap((plan) => plan.videos)];
}

function videosClaimOf(token: VerifiedToken, config: EntitlementConfig): string[] | undefined {
  const videos = token.claims[config.videosClaim];
  if (videos === undefined) return undefined;
  if (videos === '*') return ['*'];
  if (!Array.isArray(videos))
    throw new InvalidToken('malformed_token', `token "${config.videosClaim}" claim must be an array of entries or "*"`);
  const bad = videos.find((entry) => !isVideoPattern(entry));
  if (bad !== undefined)
    throw new InvalidToken(
      'malformed_token',
      `token "${config.videosClaim}" claim entries must each be ${VIDEO_PATTERN_RULE}, got ${describeEntry(bad)}`,
    );
  return videos as string[];
}

/** The configured plans the token names; the default plan when it names none and has no videos claim. */
function plansOf(token: VerifiedToken, config: EntitlementConfig): Plan[] {
  const raw = token.claims[config.planClaim];
  let names: string[] = [];
  if (typeof raw === 'string') names = [raw];
  else if (Array.isArray(raw) && raw.every((name): name is string => typeof name === 'string')) names = raw;
  else if (raw !== undefined)
    throw new InvalidToken(
      'malformed_token',
      `token "${config.planClaim}" claim must be a plan name or an array of plan names`,
    );
  const plans = names.flatMap((name) => config.plans.get(name) ?? []);
  if (plans.length > 0 || config.defaultPlan === undefined) return plans;
  if (token.claims[config.videosClaim] !== undefined) return [];
  return [config.plans.get(config.defaultPlan) ?? { videos: [] }];
}

/** A bad entry, quoted short (it came from the token). */
function describeEntry(entry: unknown): string {
  return typeof entry === 'string' ? JSON.stringify(entry.slice(0, 40)) : typeof entry;
}
