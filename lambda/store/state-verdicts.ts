/**
 * The access-state store's verdicts, judged on the item a write answered: the item as a
 * conditional write found it when refused (returned with the refusal), or as an unconditional
 * count left it (ALL_NEW), or as a read found it. Pure: no client, no clock of its own.
 *
 * A refused playback write says why from the item: a refusal every route makes, a growth cap,
 * or a limit the next write can work around (the `alert` sharing action records the suspected
 * presentation; expired or evicted stream slots are rewritten), which is the next attempt.
 */
import type {
  AccessLimits,
  CallerCall,
  CallerVerdict,
  GrowthRefusal,
  LicenceCall,
  LicenceVerdict,
  LogoutCall,
  LogoutVerdict,
  PlaybackCall,
  PlaybackVerdict,
  Refusal,
  SharingVerdict,
} from '../core/access-state';
import { numberOf, type Item } from './dynamo-call';
import { DEFAULT_MAX_RENTALS, licenceTitleVerdict, titleRefusal } from './title-records';
import {
  grantBuckets,
  hourStart,
  type PlaybackAttempt,
  RECORDED_BEYOND_LIMIT,
  rateWindow,
  streamLimit,
  type Unrecorded,
} from './state-expressions';
import {
  grantsAttribute,
  rateAttribute,
  sessionAttribute,
  SESSIONS_SEEN_WINDOW_SECONDS,
  sessionsSeenAttribute,
  USER_ATTRIBUTES,
} from './table-schema';

const { revokedBefore: BEFORE, sessions: SESSIONS, version: VERSION } = USER_ATTRIBUTES;

type RateLimited = Extract<Refusal, { outcome: 'rate-limited' }>;
type TooManySessions = Extract<GrowthRefusal, { outcome: 'too-many-sessions' }>;

/** After a refused playback write: the verdict, or the next attempt's shape. */
export type PlaybackStep =
  | { kind: 'verdict'; verdict: PlaybackVerdict }
  | { kind: 'retry'; attempt: PlaybackAttempt }
  /** The rental cap is full of closed rentals: prune them (./item-hygiene.ts `closedRentalsPlan`), then retry. */
  | { kind: 'prune-rentals'; attempt: PlaybackAttempt };

/** Why the item refuses this caller, if it is one every route refuses: revoked, ended or over the rate. */
export function callerRefusal(item: Item | undefined, call: CallerCall, limits: AccessLimits): Refusal | undefined {
  return (
    ownMark(item, call.session) ??
    cutOff(item, call.iat) ??
    (call.counted ? overRate(item, call.nowSeconds, limits, limits.rateLimit) : undefined)
  );
}

/** The same, judged on the item a count-only write left: the count already holds this call, so over means past the limit. */
export function countedCallerRefusal(
  item: Item | undefined,
  call: CallerCall,
  limits: AccessLimits,
): Refusal | undefined {
  return (
    ownMark(item, call.session) ??
    cutOff(item, call.iat) ??
    overRate(item, call.nowSeconds, limits, limits.rateLimit + 1)
  );
}

/** The caller's own check (admit): `counted` says whether the item already holds this call's count. */
export function callerVerdict(
  item: Item | undefined,
  call: CallerCall,
  limits: AccessLimits,
  counted: boolean,
): CallerVerdict {
  return (
    (counted ? countedCallerRefusal(item, call, limits) : callerRefusal(item, call, limits)) ?? { outcome: 'admitted' }
  );
}

/**
 * A licence belongs to a session playback admitted: after the caller's check, it needs the
 * session's live stream slot (with a stream limit) and a network (and country) playback recorded
 * for it (with sharing detection). So a session the stream limit refused, or a network the
 * sharing limits refused, gets no content key. With neither limit on, nothing on the item tells
 * an admitted session, and the caller's check is all.
 */
export function licenceVerdict(
  item: Item | undefined,
  call: LicenceCall,
  limits: AccessLimits,
  counted: boolean,
): LicenceVerdict {
  const refusal = counted ? countedCallerRefusal(item, call, limits) : callerRefusal(item, call, limits);
  if (refusal !== undefined) return refusal;
  if (streamLimit(call, limits) > 0 && !holdsLiveSlot(item, call.session, call.nowSeconds))
    return { outcome: 'not-playing' };
  // The title rules (./title-records.ts): a session started in time, a rental started and not over.
  const title = licenceTitleVerdict(item, call);
  if (title !== undefined && title.outcome !== 'admitted') return title;
  const admitted: LicenceVerdict = { outcome: 'admitted', ...title };
  if (limits.sharing.maxNetworks === 0) return admitted;
  // Playback records every network it admits: none recorded, it admitted none.
  if (item?.[sessionAttribute('networks', call.session)] === undefined) return { outcome: 'not-playing' };
  if (!admittedPresentation(item, call)) return { outcome: 'sharing-suspected', sharing: sharingVerdict(item, call) };
  return admitted;
}

/** A playback write that went through: admitted, with the eviction and suspicion its attempt carried. */
export function admittedPlayback(attempt: PlaybackAttempt): PlaybackVerdict {
  return { outcome: 'admitted', evicted: attempt.slots?.evicted, sharing: attempt.suspicion };
}

/** A playback write refused with `item`: its verdict, or how to try again. */
export function refusedPlayback(
  item: Item | undefined,
  call: PlaybackCall,
  limits: AccessLimits,
  attempt: PlaybackAttempt,
): PlaybackStep {
  const refusal =
    callerRefusal(item, call, limits) ?? sessionsFull(item, call, limits) ?? grantsFull(item, call, limits);
  if (refusal !== undefined) return { kind: 'verdict', verdict: refusal };
  // The title's rules (step-up, rentals: ./title-records.ts).
  const title = titleRefusal(item, call, limits.maxRentals ?? DEFAULT_MAX_RENTALS);
  if (title === 'prune') return { kind: 'prune-rentals', attempt };
  if (title !== undefined) return { kind: 'verdict', verdict: title };
  if (attempt.bounded && limits.sharing.maxNetworks > 0 && beyondSharingLimits(item, call, limits)) {
    const sharing = sharingVerdict(item, call);
    if (limits.sharing.action !== 'alert')
      return { kind: 'verdict', verdict: { outcome: 'sharing-suspected', sharing } };
    // Alert only: the presentation still counts, so later checks see every network used.
    return { kind: 'retry', attempt: { ...attempt, bounded: false, suspicion: sharing } };
  }
  if (!attempt.bounded) {
    const unrecorded = recordFull(item, call, limits, attempt.unrecorded);
    if (unrecorded !== undefined) return { kind: 'retry', attempt: { ...attempt, unrecorded } };
  }
  const maxStreams = streamLimit(call, limits);
  if (maxStreams > 0 && slotsFull(item, call.session, maxStreams)) {
    const active = activeSlots(item, call.nowSeconds).filter((session) => session !== call.session);
    let evicted: string | undefined;
    if (active.length >= maxStreams) {
      if (limits.streamLimitPolicy !== 'evict-oldest') return { kind: 'verdict', verdict: { outcome: 'streams-full' } };
      // The session refreshed longest ago gives way (for playing sessions, the one that started first).
      evicted = oldestSlot(item, active);
    }
    const kept = active.filter((session) => session !== evicted);
    const slots = {
      kept,
      dropped: storedSlots(item).filter((s) => !kept.includes(s)),
      evicted,
      version: numberOf(item, VERSION),
    };
    return { kind: 'retry', attempt: { ...attempt, slots } };
  }
  // Refused for a reason the item no longer shows: it changed in between; try again as it now is.
  return { kind: 'retry', attempt: { ...attempt, slots: undefined } };
}

/** A logout write that went through, judged on the item before it (ALL_OLD). */
export function loggedOut(before: Item | undefined, session: string): LogoutVerdict {
  return { outcome: 'done', alreadyRevoked: ownMark(before, session) !== undefined };
}

/** A logout write refused with `item`: its verdict, or undefined when the item no longer shows why (try again). */
export function refusedLogout(
  item: Item | undefined,
  call: LogoutCall,
  limits: AccessLimits,
): LogoutVerdict | undefined {
  // Refused by the user's cut-off: every token of the user is revoked already.
  if (cutOff(item, call.iat) !== undefined) return { outcome: 'done', alreadyRevoked: true };
  return overRate(item, call.nowSeconds, limits, limits.rateLimit) ?? sessionsFull(item, call, limits);
}

/** The token's own mark: revoked (admin, logout, a sharing action) or ended by the stream limit. */
function ownMark(item: Item | undefined, session: string): Refusal | undefined {
  if (item?.[sessionAttribute('revoked', session)] !== undefined) return { outcome: 'revoked' };
  if (item?.[sessionAttribute('ended', session)] !== undefined) return { outcome: 'ended' };
  return undefined;
}

/** Revoked by the user's cut-off: the token was issued before it (an unreadable cut-off refuses too). */
function cutOff(item: Item | undefined, iat: number): Refusal | undefined {
  if (item?.[BEFORE] === undefined) return undefined;
  const before = numberOf(item, BEFORE);
  return before === undefined || iat < before ? { outcome: 'revoked' } : undefined;
}

/** Rate-limited when the window's count is at `atLeast` (before this call's count) or over it; never with no limit. */
function overRate(
  item: Item | undefined,
  nowSeconds: number,
  limits: AccessLimits,
  atLeast: number,
): RateLimited | undefined {
  if (limits.rateLimit === 0) return undefined;
  const window = rateWindow(nowSeconds, limits.rateWindowSeconds);
  return (numberOf(item, rateAttribute(window.start)) ?? 0) >= atLeast
    ? { outcome: 'rate-limited', retryAfterSeconds: window.retryAfterSeconds }
    : undefined;
}

/** Too many sessions this hour, if `call`'s is a new one and the hour's set is full. */
function sessionsFull(item: Item | undefined, call: CallerCall, limits: AccessLimits): TooManySessions | undefined {
  const hour = hourStart(call.nowSeconds);
  const seen = item?.[sessionsSeenAttribute(hour)]?.SS ?? [];
  if (seen.includes(call.session) || seen.length < limits.maxSessionsPerHour) return undefined;
  return {
    outcome: 'too-many-sessions',
    limit: limits.maxSessionsPerHour,
    retryAfterSeconds: Math.max(1, hour + SESSIONS_SEEN_WINDOW_SECONDS - call.nowSeconds),
  };
}

/** Over the grant budget, if a bucket the call's new grants go to has no room for them. */
function grantsFull(item: Item | undefined, call: PlaybackCall, limits: AccessLimits): GrowthRefusal | undefined {
  const width = limits.grantBucketSeconds;
  for (const [start, records] of grantBuckets(call, width)) {
    const stored = item?.[grantsAttribute(start)]?.SS ?? [];
    if (records.every((record) => stored.includes(record))) continue;
    if (stored.length + records.length <= limits.maxGrantsPerBucket) continue;
    // New grants go to a later bucket once they expire past this one's end.
    const expiresAt = Math.max(...(call.grants ?? []).map((grant) => grant.expiresAt));
    return {
      outcome: 'too-many-grants',
      limit: limits.maxGrantsPerBucket,
      retryAfterSeconds: Math.max(1, start + width - expiresAt),
    };
  }
  return undefined;
}

function beyondSharingLimits(item: Item | undefined, call: PlaybackCall, limits: AccessLimits): boolean {
  const networks = item?.[sessionAttribute('networks', call.session)]?.SS ?? [];
  const countries = item?.[sessionAttribute('countries', call.session)]?.SS ?? [];
  const { network, country } = call.presentation;
  const newNetwork = !networks.includes(network) && networks.length >= limits.sharing.maxNetworks;
  const newCountry =
    country !== undefined && !countries.includes(country) && countries.length >= limits.sharing.maxCountries;
  return newNetwork || newCountry;
}

/**
 * `alert`: the sets found full at their recording limit (then left as they are), added to
 * `unrecorded`; undefined when no set not already left alone is full.
 */
function recordFull(
  item: Item | undefined,
  call: PlaybackCall,
  limits: AccessLimits,
  unrecorded: Unrecorded,
): Unrecorded | undefined {
  const { network, country } = call.presentation;
  const { maxNetworks, maxCountries } = limits.sharing;
  const full = (kind: 'networks' | 'countries', member: string | undefined, limit: number): boolean => {
    const stored = item?.[sessionAttribute(kind, call.session)]?.SS ?? [];
    return member !== undefined && !unrecorded[kind] && !stored.includes(member) && stored.length >= limit;
  };
  const networks = full('networks', network, RECORDED_BEYOND_LIMIT * maxNetworks);
  const countries = full('countries', country, RECORDED_BEYOND_LIMIT * maxCountries);
  if (!networks && !countries) return undefined;
  return { networks: unrecorded.networks || networks, countries: unrecorded.countries || countries };
}

/** Whether the session holds a stream slot that has not run out. */
function holdsLiveSlot(item: Item | undefined, session: string, nowSeconds: number): boolean {
  return storedSlots(item).includes(session) && (numberOf(item, sessionAttribute('slot', session)) ?? 0) > nowSeconds;
}

/**
 * Whether playback recorded this network for the session, and this country when it recorded any:
 * a network (country) the sharing limits refused was never recorded.
 */
function admittedPresentation(item: Item | undefined, call: LicenceCall): boolean {
  const networks = item?.[sessionAttribute('networks', call.session)]?.SS ?? [];
  const countries = item?.[sessionAttribute('countries', call.session)]?.SS ?? [];
  const { network, country } = call.presentation;
  const countryAdmitted = countries.length === 0 || (country !== undefined && countries.includes(country));
  return networks.includes(network) && countryAdmitted;
}

/** Why a bounded record was refused: the sets seen, with this presentation's network and country. */
function sharingVerdict(item: Item | undefined, call: PlaybackCall | LicenceCall): SharingVerdict {
  const networks = item?.[sessionAttribute('networks', call.session)]?.SS ?? [];
  const countries = item?.[sessionAttribute('countries', call.session)]?.SS ?? [];
  const { network, country } = call.presentation;
  return {
    suspected: true,
    networks: union(networks, [network]),
    countries: union(countries, country === undefined ? [] : [country]),
  };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function storedSlots(item: Item | undefined): string[] {
  return item?.[SESSIONS]?.SS ?? [];
}

/** Whether `session` would be one too many in the stored set (expired slots included). */
function slotsFull(item: Item | undefined, session: string, maxStreams: number): boolean {
  const sessions = storedSlots(item);
  return !sessions.includes(session) && sessions.length >= maxStreams;
}

/** The stored slots that have not expired. */
function activeSlots(item: Item | undefined, nowSeconds: number): string[] {
  return storedSlots(item).filter((session) => (numberOf(item, sessionAttribute('slot', session)) ?? 0) > nowSeconds);
}

/** Of `sessions`, the one whose slot runs out first: refreshed longest ago. */
function oldestSlot(item: Item | undefined, sessions: string[]): string {
  const until = (session: string) => numberOf(item, sessionAttribute('slot', session)) ?? 0;
  return sessions.reduce((oldest, session) => (until(session) < until(oldest) ? session : oldest));
}
