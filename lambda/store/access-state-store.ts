/**
 * All of a user's access state on the user's one DynamoDB item (layout: ./table-schema.ts), so
 * each call checks and records it with ONE conditional UpdateItem: "this token not revoked or
 * ended, the user's cut-off not after its `iat`, under the rate limit, within the sharing limits,
 * a stream slot free" → count the call, record the network, the slot and the grants. The
 * condition makes the limits exact under parallel calls, and a revocation and the grants it must
 * deny are always in the same item image (the deny-list replicator reads nothing else).
 *
 * A call that records nothing but its count (licence, an admin's own check) needs no condition:
 * it counts unconditionally and judges the item the write returns, which is as exact, and far
 * cheaper for a store that parses every condition.
 *
 * A refused write answers the item as it stood (DynamoDB returns it with the refusal; dynalite
 * costs a read), which says why. Only then is there a second write: the stream slots rewritten
 * under a version check (the set was full of expired slots, or evict-oldest ends a session), the
 * `alert` sharing action recording a suspected presentation, or a retry when the item changed in
 * between. Every failure or timeout is StoreUnavailable (fail closed).
 *
 * Dead weight goes in the writes themselves where its name is known (the last rate windows, grant
 * buckets two or more widths old). The rest (sessions whose tokens have all expired, older buckets
 * and windows) is removed by a second write only when that lowers the item's billed size:
 * DynamoDB bills a write by the item's size in 1 KB units, so pruning while it does not would cost
 * a write and save none.
 */
import { UpdateItemCommand, type AttributeValue, type ReturnValue } from '@aws-sdk/client-dynamodb';
import type {
  AccessLimits,
  AccessState,
  CallerCall,
  CallerVerdict,
  GrowthRefusal,
  LicenceCall,
  LicenceVerdict,
  LogoutCall,
  LogoutVerdict,
  PlaybackCall,
  PlaybackVerdict,
  Presentation,
  Refusal,
  SharingVerdict,
  UserRef,
} from '../core/access-state';
import { grantRecord } from '../core/edge-deny-list';
import { StoreContention } from '../core/errors';
import { numberOf, type DynamoCaller, type Item } from './dynamo-call';
import {
  DEFAULT_MAX_RENTALS,
  deadRentals,
  licenceTitleVerdict,
  recordRentalPlay,
  recordSessionStart,
  titleRefusal,
} from './title-records';
import {
  GRANTS_PREFIX,
  grantsAttribute,
  RATE_PREFIX,
  rateAttribute,
  SESSION_ATTRIBUTE_PREFIXES,
  sessionAttribute,
  SESSIONS_SEEN_PREFIX,
  SESSIONS_SEEN_WINDOW_SECONDS,
  sessionsSeenAttribute,
  STATE_TABLE,
  USER_ATTRIBUTES,
  userKey,
} from './table-schema';

const { partitionKey: PK, ttlAttribute: TTL } = STATE_TABLE;
const { revokedBefore: BEFORE, sessions: SESSIONS, version: VERSION, denied: DENIED } = USER_ATTRIBUTES;
/** Rounds of (write, learn why it was refused) before a call gives up under contention. */
const ATTEMPTS = 4;
/** DynamoDB bills a write per started 1 KB of the item. */
export const WRITE_UNIT_BYTES = 1024;
/** Rate windows before the current one whose counters every counted write removes. */
const RATE_WINDOWS_DROPPED = 5;
/** At most this many attributes removed per prune write (the expression stays far below 4 KB). */
const PRUNE_BATCH = 80;
/** Grant buckets older than the current one by 2 to this many widths are dropped by every write that records grants. */
const BUCKETS_DROPPED = 4;
/**
 * With the `alert` sharing action a session's networks (countries) are recorded up to this many
 * times the limit: past it the verdict is the same, and the set must not grow without bound.
 */
const RECORDED_BEYOND_LIMIT = 2;

export class AccessStateStore implements AccessState {
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly limits: AccessLimits,
  ) {}

  async authorize(call: PlaybackCall): Promise<PlaybackVerdict> {
    const key = userKey(call.user);
    const maxStreams = streamLimit(call, this.limits);
    const records =
      (call.counted && this.limits.rateLimit > 0) ||
      this.limits.sharing.maxNetworks > 0 ||
      maxStreams > 0 ||
      (call.grants !== undefined && call.grants.length > 0) ||
      call.sessionStart !== undefined ||
      call.rental !== undefined;
    // Nothing to record: a read is enough (and cheaper than a write).
    if (!records) return this.refusalOf(await this.dynamo.get(key), call) ?? { outcome: 'admitted' };
    let bounded = true;
    let suspicion: SharingVerdict | undefined;
    let slots: SlotRewrite | undefined;
    const unrecorded: Unrecorded = { networks: false, countries: false };
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const update = this.playbackUpdate(call, bounded, unrecorded, slots);
      const outcome = await this.dynamo.attempt(
        (client, options) => client.send(update.command(this.dynamo.tableName, key, 'ALL_NEW'), options),
        key,
      );
      if (outcome.written) {
        await this.pruneIfWorthIt(key, outcome.output.Attributes, call.nowSeconds);
        return { outcome: 'admitted', evicted: slots?.evicted, sharing: suspicion };
      }
      const item = outcome.item;
      const refusal = this.refusalOf(item, call) ?? this.sessionsFull(item, call) ?? this.grantsFull(item, call);
      if (refusal !== undefined) return refusal;
      // The title's rules (step-up, rentals: ./title-records.ts); a rental cap full of closed rentals is pruned first.
      const title = titleRefusal(item, call, this.maxRentals);
      if (title === 'prune') {
        await this.pruneIfWorthIt(key, item, call.nowSeconds, true);
        continue;
      }
      if (title !== undefined) return title;
      if (bounded && this.limits.sharing.maxNetworks > 0 && this.beyondSharingLimits(item, call)) {
        const sharing = sharingVerdict(item, call);
        if (this.limits.sharing.action !== 'alert') return { outcome: 'sharing-suspected', sharing };
        // Alert only: the presentation still counts, so later checks see every network used.
        bounded = false;
        suspicion = sharing;
        continue;
      }
      if (!bounded && this.recordFull(item, call, unrecorded)) continue;
      if (maxStreams > 0 && slotsFull(item, call.session, maxStreams)) {
        const active = activeSlots(item, call.nowSeconds).filter((session) => session !== call.session);
        let evicted: string | undefined;
        if (active.length >= maxStreams) {
          if (this.limits.streamLimitPolicy !== 'evict-oldest') return { outcome: 'streams-full' };
          // The session refreshed longest ago gives way (for playing sessions, the one that started first).
          evicted = oldestSlot(item, active);
        }
        const kept = active.filter((session) => session !== evicted);
        slots = {
          kept,
          dropped: storedSlots(item).filter((s) => !kept.includes(s)),
          evicted,
          version: numberOf(item, VERSION),
        };
        continue;
      }
      // Refused for a reason the item no longer shows: it changed in between; try again as it now is.
      slots = undefined;
    }
    throw new StoreContention();
  }

  async admit(call: CallerCall): Promise<CallerVerdict> {
    return (await this.checkCaller(call)).refusal ?? { outcome: 'admitted' };
  }

  /**
   * A licence belongs to a session playback admitted: judged on the item the caller's one write
   * returns (or its one read), it needs the session's live stream slot (with a stream limit) and
   * a network (and country) playback recorded for it (with sharing detection). So a session the
   * stream limit refused, or a network the sharing limits refused, gets no content key. With
   * neither limit on, nothing on the item tells an admitted session, and the caller's check is all.
   */
  async licence(call: LicenceCall): Promise<LicenceVerdict> {
    const { item, refusal } = await this.checkCaller(call);
    if (refusal !== undefined) return refusal;
    if (streamLimit(call, this.limits) > 0 && !holdsLiveSlot(item, call.session, call.nowSeconds))
      return { outcome: 'not-playing' };
    // The title's rules (./title-records.ts): a session started in time, a rental started and not over.
    const title = licenceTitleVerdict(item, call);
    if (title !== undefined && title.outcome !== 'admitted') return title;
    const admitted: LicenceVerdict = { outcome: 'admitted', ...title };
    if (this.limits.sharing.maxNetworks === 0) return admitted;
    // Playback records every network it admits: none recorded, it admitted none.
    if (item?.[sessionAttribute('networks', call.session)] === undefined) return { outcome: 'not-playing' };
    if (!admittedPresentation(item, call)) return { outcome: 'sharing-suspected', sharing: sharingVerdict(item, call) };
    return admitted;
  }

  /** The caller's check (cut-off, own marks, rate) and the item it was judged on. */
  private async checkCaller(call: CallerCall): Promise<{ item: Item | undefined; refusal: Refusal | undefined }> {
    const key = userKey(call.user);
    if (!(call.counted && this.limits.rateLimit > 0)) {
      // Nothing to record: a read is enough (and cheaper than a write).
      const item = await this.dynamo.get(key);
      return { item, refusal: this.refusalOf(item, call) };
    }
    // Count first, then judge the item as the count left it: no condition to evaluate, and the
    // answer is as exact as a condition's (each write sees its own count, and any revocation
    // written before it). A refused call is counted too, which a limit on attempts wants anyway.
    // No version bump (it guards the stream slots, which this write leaves alone), and only the
    // previous window's counter dropped: the fewer names, the less a store has to parse.
    const update = new Update(call.keepUntil, false);
    this.countCall(update, call.nowSeconds, 1);
    const output = await this.dynamo.send((client, options) =>
      client.send(update.command(this.dynamo.tableName, key, 'ALL_NEW'), options),
    );
    const item = output.Attributes;
    // The count already holds this call: over the limit means past it.
    const refusal =
      ownMark(item, call.session) ??
      cutOff(item, call.iat) ??
      this.overRate(item, call.nowSeconds, this.limits.rateLimit + 1);
    return { item, refusal };
  }

  async logout(call: LogoutCall): Promise<LogoutVerdict> {
    const key = userKey(call.user);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      // The token's own revocation is not a condition: a revoked session still frees its slot.
      const update = this.callerUpdate(call, false);
      const revoked = update.name(sessionAttribute('revoked', call.session));
      update.sets.push(`${revoked} = if_not_exists(${revoked}, ${update.value({ N: String(call.sessionKeepUntil) })})`);
      update.denies(call.nowSeconds);
      // A logout leaves a mark: it counts as one of the hour's sessions, like a playback.
      this.countSession(update, call);
      if (streamLimit(call, this.limits) > 0) this.releaseSlot(update, call.session);
      const outcome = await this.dynamo.attempt(
        (client, options) => client.send(update.command(this.dynamo.tableName, key, 'ALL_OLD'), options),
        key,
      );
      if (outcome.written) {
        return { outcome: 'done', alreadyRevoked: ownMark(outcome.output.Attributes, call.session) !== undefined };
      }
      // Refused by the user's cut-off: every token of the user is revoked already.
      if (cutOff(outcome.item, call.iat) !== undefined) return { outcome: 'done', alreadyRevoked: true };
      const overRate = this.overRate(outcome.item, call.nowSeconds, this.limits.rateLimit);
      if (overRate !== undefined) return overRate;
      const sessions = this.sessionsFull(outcome.item, call);
      if (sessions !== undefined) return sessions;
    }
    throw new StoreContention();
  }

  async revokeSession(
    user: UserRef,
    session: string,
    nowSeconds: number,
    revokeUntil: number,
    keepUntil: number,
  ): Promise<boolean> {
    const update = new Update(keepUntil);
    const revoked = update.name(sessionAttribute('revoked', session));
    update.sets.push(`${revoked} = ${update.value({ N: String(revokeUntil) })}`);
    update.conditions.push(`attribute_not_exists(${revoked})`);
    update.denies(nowSeconds);
    return this.dynamo.sendConditional((client, options) =>
      client.send(update.command(this.dynamo.tableName, userKey(user)), options),
    );
  }

  async revokeUser(user: UserRef, before: number, nowSeconds: number, keepUntil: number): Promise<void> {
    const update = new Update(keepUntil);
    const cutoff = update.name(BEFORE);
    const value = update.value({ N: String(before) });
    update.sets.push(`${cutoff} = ${value}`);
    update.conditions.push(`(attribute_not_exists(${cutoff}) OR ${cutoff} < ${value})`);
    update.denies(nowSeconds);
    // Refused: a cut-off as late or later is already in place; nothing to do.
    await this.dynamo.sendConditional((client, options) =>
      client.send(update.command(this.dynamo.tableName, userKey(user)), options),
    );
  }

  /** The checks every call makes (cut-off, rate limit and, with `ownRevocation`, the token's own marks) and its count. */
  private callerUpdate(call: CallerCall, ownRevocation: boolean): Update {
    const update = new Update(call.keepUntil);
    const cutoff = update.name(BEFORE);
    update.conditions.push(
      `(attribute_not_exists(${cutoff}) OR ${cutoff} <= ${update.value({ N: String(call.iat) })})`,
    );
    if (ownRevocation) {
      update.conditions.push(
        `attribute_not_exists(${update.name(sessionAttribute('revoked', call.session))})`,
        `attribute_not_exists(${update.name(sessionAttribute('ended', call.session))})`,
      );
    }
    if (call.counted && this.limits.rateLimit > 0) {
      const count = update.name(rateAttribute(this.countCall(update, call.nowSeconds)));
      update.conditions.push(
        `(attribute_not_exists(${count}) OR ${count} < ${update.value({ N: String(this.limits.rateLimit) })})`,
      );
    }
    return update;
  }

  /** A playback call's write: the caller's checks, then the presentation, the slot and the grants. */
  private playbackUpdate(
    call: PlaybackCall,
    bounded: boolean,
    unrecorded: Unrecorded,
    slots: SlotRewrite | undefined,
  ): Update {
    const update = this.callerUpdate(call, true);
    this.countSession(update, call);
    if (this.limits.sharing.maxNetworks > 0) this.recordPresentation(update, call, bounded, unrecorded);
    if (streamLimit(call, this.limits) > 0) {
      if (slots === undefined) this.takeSlot(update, call);
      else this.rewriteSlots(update, call, slots);
    }
    if (call.grants !== undefined && call.grants.length > 0) this.recordGrants(update, call);
    recordSessionStart(update, call, this.limits.sharing.maxNetworks === 0);
    recordRentalPlay(update, call, this.maxRentals);
    return update;
  }

  /**
   * Count the session in this hour's set, only while the set has room (or holds it already):
   * the cap on distinct sessions per user per hour bounds the per-session state on the item.
   */
  private countSession(update: Update, call: CallerCall): void {
    const hour = hourStart(call.nowSeconds);
    const seen = update.name(sessionsSeenAttribute(hour));
    update.adds.push(`${seen} ${update.value({ SS: [call.session] })}`);
    update.conditions.push(
      `(attribute_not_exists(${seen}) OR contains(${seen}, ${update.value({ S: call.session })})` +
        ` OR size(${seen}) < ${update.value({ N: String(this.limits.maxSessionsPerHour) })})`,
    );
    // The last hours' sets are dead weight from now on.
    for (let behind = 1; behind <= 2; behind += 1)
      update.removes.push(update.name(sessionsSeenAttribute(hour - behind * SESSIONS_SEEN_WINDOW_SECONDS)));
  }

  /**
   * ADD the network (and country). `bounded`: only within the limits; otherwise (`alert`) up to
   * RECORDED_BEYOND_LIMIT times them, and a set found full is left as it is (`unrecorded`).
   */
  private recordPresentation(update: Update, call: PlaybackCall, bounded: boolean, unrecorded: Unrecorded): void {
    const { presentation, session } = call;
    update.sets.push(
      `${update.name(sessionAttribute('keepUntil', session))} = ${update.value({ N: String(call.sessionKeepUntil) })}`,
    );
    const factor = bounded ? 1 : RECORDED_BEYOND_LIMIT;
    if (!unrecorded.networks)
      this.addBounded(
        update,
        sessionAttribute('networks', session),
        presentation.network,
        factor * this.limits.sharing.maxNetworks,
      );
    if (presentation.country !== undefined && !unrecorded.countries)
      this.addBounded(
        update,
        sessionAttribute('countries', session),
        presentation.country,
        factor * this.limits.sharing.maxCountries,
      );
  }

  /** ADD `member` to the string set `attribute`, only if it holds it already or has fewer than `limit`. */
  private addBounded(update: Update, attribute: string, member: string, limit: number): void {
    const set = update.name(attribute);
    update.adds.push(`${set} ${update.value({ SS: [member] })}`);
    update.conditions.push(
      `(attribute_not_exists(${set}) OR contains(${set}, ${update.value({ S: member })})` +
        ` OR size(${set}) < ${update.value({ N: String(limit) })})`,
    );
  }

  /** Take or renew the session's slot, only while the set has room (expired slots still count here). */
  private takeSlot(update: Update, call: PlaybackCall): void {
    const sessions = update.name(SESSIONS);
    update.adds.push(`${sessions} ${update.value({ SS: [call.session] })}`);
    update.sets.push(
      `${update.name(sessionAttribute('slot', call.session))} = ${update.value({ N: String(call.slotUntil) })}`,
    );
    update.conditions.push(
      `(attribute_not_exists(${sessions}) OR contains(${sessions}, ${update.value({ S: call.session })})` +
        ` OR size(${sessions}) < ${update.value({ N: String(streamLimit(call, this.limits)) })})`,
    );
  }

  /** Replace the slot set (expired slots dropped, an evicted session ended), if nobody wrote since it was read. */
  private rewriteSlots(update: Update, call: PlaybackCall, slots: SlotRewrite): void {
    update.sets.push(
      `${update.name(SESSIONS)} = ${update.value({ SS: [...slots.kept, call.session] })}`,
      `${update.name(sessionAttribute('slot', call.session))} = ${update.value({ N: String(call.slotUntil) })}`,
    );
    for (const dropped of slots.dropped)
      if (dropped !== call.session) update.removes.push(update.name(sessionAttribute('slot', dropped)));
    if (slots.evicted !== undefined) {
      update.sets.push(
        `${update.name(sessionAttribute('ended', slots.evicted))} = ${update.value({ N: String(call.revokeUntil) })}`,
      );
      update.denies(call.nowSeconds);
    }
    const version = update.name(VERSION);
    update.conditions.push(
      slots.version === undefined
        ? `attribute_not_exists(${version})`
        : `${version} = ${update.value({ N: String(slots.version) })}`,
    );
  }

  private releaseSlot(update: Update, session: string): void {
    update.deletes.push(`${update.name(SESSIONS)} ${update.value({ SS: [session] })}`);
    update.removes.push(update.name(sessionAttribute('slot', session)));
  }

  /**
   * ADD the grants to their expiry's bucket, only while it stays within the grant budget (a
   * grant already recorded, as a refresh inside the grant interval re-issues, adds nothing and
   * passes); drop buckets that can hold only dead grants.
   */
  private recordGrants(update: Update, call: PlaybackCall): void {
    const width = this.limits.grantBucketSeconds;
    const byBucket = grantBuckets(call, width);
    for (const [start, records] of byBucket) {
      const bucket = update.name(grantsAttribute(start));
      update.adds.push(`${bucket} ${update.value({ SS: records })}`);
      const recorded = records.map((record) => `contains(${bucket}, ${update.value({ S: record })})`).join(' AND ');
      const room = this.limits.maxGrantsPerBucket - records.length;
      update.conditions.push(
        `(attribute_not_exists(${bucket}) OR size(${bucket}) <= ${update.value({ N: String(room) })} OR (${recorded}))`,
      );
    }
    const current = call.nowSeconds - (call.nowSeconds % width);
    // A grant expires within a width of its issue, so buckets two or more widths behind now's hold only dead grants.
    for (let behind = 2; behind <= BUCKETS_DROPPED; behind += 1) {
      const start = current - behind * width;
      if (!byBucket.has(start)) update.removes.push(update.name(grantsAttribute(start)));
    }
  }

  /** Too many sessions this hour, if `call`'s is a new one and the hour's set is full. */
  private sessionsFull(item: Item | undefined, call: CallerCall): TooManySessions | undefined {
    const hour = hourStart(call.nowSeconds);
    const seen = item?.[sessionsSeenAttribute(hour)]?.SS ?? [];
    if (seen.includes(call.session) || seen.length < this.limits.maxSessionsPerHour) return undefined;
    return {
      outcome: 'too-many-sessions',
      limit: this.limits.maxSessionsPerHour,
      retryAfterSeconds: Math.max(1, hour + SESSIONS_SEEN_WINDOW_SECONDS - call.nowSeconds),
    };
  }

  /** Over the grant budget, if a bucket the call's new grants go to has no room for them. */
  private grantsFull(item: Item | undefined, call: PlaybackCall): GrowthRefusal | undefined {
    const width = this.limits.grantBucketSeconds;
    for (const [start, records] of grantBuckets(call, width)) {
      const stored = item?.[grantsAttribute(start)]?.SS ?? [];
      if (records.every((record) => stored.includes(record))) continue;
      if (stored.length + records.length <= this.limits.maxGrantsPerBucket) continue;
      // New grants go to a later bucket once they expire past this one's end.
      const expiresAt = Math.max(...(call.grants ?? []).map((grant) => grant.expiresAt));
      return {
        outcome: 'too-many-grants',
        limit: this.limits.maxGrantsPerBucket,
        retryAfterSeconds: Math.max(1, start + width - expiresAt),
      };
    }
    return undefined;
  }

  /** `alert`: whether a set is full at its recording limit (it is then left as it is); updates `unrecorded`. */
  private recordFull(item: Item | undefined, call: PlaybackCall, unrecorded: Unrecorded): boolean {
    const { network, country } = call.presentation;
    const { maxNetworks, maxCountries } = this.limits.sharing;
    const full = (kind: 'networks' | 'countries', member: string | undefined, limit: number): boolean => {
      const stored = item?.[sessionAttribute(kind, call.session)]?.SS ?? [];
      return member !== undefined && !unrecorded[kind] && !stored.includes(member) && stored.length >= limit;
    };
    const networks = full('networks', network, RECORDED_BEYOND_LIMIT * maxNetworks);
    const countries = full('countries', country, RECORDED_BEYOND_LIMIT * maxCountries);
    unrecorded.networks ||= networks;
    unrecorded.countries ||= countries;
    return networks || countries;
  }

  /** Why the item refuses this caller, if it is one every route refuses: revoked, ended or over the rate. */
  private refusalOf(item: Item | undefined, call: CallerCall): Refusal | undefined {
    return (
      ownMark(item, call.session) ??
      cutOff(item, call.iat) ??
      (call.counted ? this.overRate(item, call.nowSeconds, this.limits.rateLimit) : undefined)
    );
  }

  /** Rate-limited when the window's count is at `atLeast` (before this call's count) or over it; never with no limit. */
  private overRate(item: Item | undefined, nowSeconds: number, atLeast: number): RateLimited | undefined {
    if (this.limits.rateLimit === 0) return undefined;
    const window = this.window(nowSeconds);
    return (numberOf(item, rateAttribute(window.start)) ?? 0) >= atLeast
      ? { outcome: 'rate-limited', retryAfterSeconds: window.retryAfterSeconds }
      : undefined;
  }

  private beyondSharingLimits(item: Item | undefined, call: PlaybackCall): boolean {
    const networks = item?.[sessionAttribute('networks', call.session)]?.SS ?? [];
    const countries = item?.[sessionAttribute('countries', call.session)]?.SS ?? [];
    const { network, country } = call.presentation;
    const newNetwork = !networks.includes(network) && networks.length >= this.limits.sharing.maxNetworks;
    const newCountry =
      country !== undefined && !countries.includes(country) && countries.length >= this.limits.sharing.maxCountries;
    return newNetwork || newCountry;
  }

  /** Adds one to this window's call counter (dropping earlier windows'); answers the window's start. */
  private countCall(update: Update, nowSeconds: number, windowsDropped = RATE_WINDOWS_DROPPED): number {
    const windowStart = this.window(nowSeconds).start;
    const count = update.name(rateAttribute(windowStart));
    update.sets.push(`${count} = if_not_exists(${count}, ${update.value({ N: '0' })}) + ${update.value({ N: '1' })}`);
    // Earlier windows' counters are dead weight from now on (a player refreshing every few
    // minutes skips windows, so more than the previous one).
    for (let behind = 1; behind <= windowsDropped; behind += 1)
      update.removes.push(update.name(rateAttribute(windowStart - behind * this.limits.rateWindowSeconds)));
    return windowStart;
  }

  private window(nowSeconds: number): { start: number; retryAfterSeconds: number } {
    const size = this.limits.rateWindowSeconds;
    const start = nowSeconds - (nowSeconds % size);
    return { start, retryAfterSeconds: Math.max(1, start + size - nowSeconds) };
  }

  private get maxRentals(): number {
    return this.limits.maxRentals ?? DEFAULT_MAX_RENTALS;
  }

  /**
   * A second write that removes the item's dead weight, when that lowers its billed size (or,
   * `force`, when closed rentals fill the rental cap). Housekeeping: a failure is ignored.
   */
  private async pruneIfWorthIt(key: string, item: Item | undefined, nowSeconds: number, force = false): Promise<void> {
    const dead = deadWeight(item, nowSeconds, this.limits);
    if (!(force || pruningPays(item, dead.bytes))) return;
    const update = new Update(undefined);
    for (const attribute of dead.attributes.slice(0, PRUNE_BATCH)) update.removes.push(update.name(attribute));
    if (dead.slots.length > 0) update.deletes.push(`${update.name(SESSIONS)} ${update.value({ SS: dead.slots })}`);
    if (dead.rentals.length > 0)
      update.deletes.push(`${update.name(USER_ATTRIBUTES.rentals)} ${update.value({ SS: dead.rentals })}`);
    await this.dynamo
      .send((client, options) => client.send(update.command(this.dynamo.tableName, key), options))
      .catch(() => undefined);
  }
}

type RateLimited = Extract<Refusal, { outcome: 'rate-limited' }>;
type TooManySessions = Extract<GrowthRefusal, { outcome: 'too-many-sessions' }>;

/** `alert`: the presentation sets found full at their recording limit, no longer added to. */
interface Unrecorded {
  networks: boolean;
  countries: boolean;
}

function hourStart(nowSeconds: number): number {
  return nowSeconds - (nowSeconds % SESSIONS_SEEN_WINDOW_SECONDS);
}

/** The call's grant records by the bucket of their expiry (a string set refuses duplicates in one value). */
function grantBuckets(call: PlaybackCall, width: number): Map<number, string[]> {
  const byBucket = new Map<number, string[]>();
  for (const grant of call.grants ?? []) {
    const start = grant.expiresAt - (grant.expiresAt % width);
    const records = byBucket.get(start) ?? [];
    const record = grantRecord({ ...grant, session: call.session, iat: call.iat });
    if (!records.includes(record)) records.push(record);
    byBucket.set(start, records);
  }
  return byBucket;
}

/** The slot set as a refused write found it, and how to rewrite it. */
interface SlotRewrite {
  /** Active slots of other sessions that stay. */
  kept: string[];
  /** Stored slots that go (expired, or the evicted session's). */
  dropped: string[];
  evicted?: string;
  /** The item's version when read: the rewrite applies only if it is unchanged. */
  version: number | undefined;
}

/**
 * One UpdateItem being built: placeholders for every name and value, and the parts every write
 * has (the item's expiry, which callers compute from their clock so a later write never shortens
 * it, the version bumped, `denied` cleared
 * unless this write revokes).
 */
class Update {
  readonly sets: string[] = [];
  readonly adds: string[] = [];
  readonly deletes: string[] = [];
  readonly removes: string[] = [];
  readonly conditions: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly placeholders = new Map<string, string>();
  private readonly values: Record<string, AttributeValue> = {};
  private revokes = false;

  constructor(keepUntil: number | undefined, bumpVersion = true) {
    if (keepUntil !== undefined) this.sets.push(`${this.name(TTL)} = ${this.value({ N: String(keepUntil) })}`);
    if (bumpVersion) this.adds.push(`${this.name(VERSION)} ${this.value({ N: '1' })}`);
  }

  name(attribute: string): string {
    let placeholder = this.placeholders.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#a${this.placeholders.size}`;
      this.placeholders.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** This write revokes or ends something: the stream passes it to the deny-list replicator. */
  denies(nowSeconds: number): void {
    if (this.revokes) return;
    this.revokes = true;
    this.sets.push(`${this.name(DENIED)} = ${this.value({ N: String(nowSeconds) })}`);
  }

  command(tableName: string, key: string, returnValues?: ReturnValue): UpdateItemCommand {
    const removes = this.revokes ? this.removes : [...this.removes, this.name(DENIED)];
    const clauses = [
      ...(this.sets.length > 0 ? [`SET ${this.sets.join(', ')}`] : []),
      ...(this.adds.length > 0 ? [`ADD ${this.adds.join(', ')}`] : []),
      ...(this.deletes.length > 0 ? [`DELETE ${this.deletes.join(', ')}`] : []),
      // An empty REMOVE is a syntax error (a revoking write with nothing to drop has none).
      ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
    ];
    return new UpdateItemCommand({
      TableName: tableName,
      Key: { [PK]: { S: key } },
      UpdateExpression: clauses.join(' '),
      ...(this.conditions.length > 0
        ? { ConditionExpression: this.conditions.join(' AND '), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }
        : {}),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
      ...(returnValues !== undefined ? { ReturnValues: returnValues } : {}),
    });
  }
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
  const presentation: Presentation = call.presentation;
  return {
    suspected: true,
    networks: union(networks, [presentation.network]),
    countries: union(countries, presentation.country === undefined ? [] : [presentation.country]),
  };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function storedSlots(item: Item | undefined): string[] {
  return item?.[SESSIONS]?.SS ?? [];
}

/** The call's own stream limit (its user's plan), else the deployment's. */
function streamLimit(call: Pick<PlaybackCall, 'maxStreams'>, limits: AccessLimits): number {
  return call.maxStreams ?? limits.maxStreams;
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

const SESSION_PREFIXES = Object.values(SESSION_ATTRIBUTE_PREFIXES) as string[];
/** The per-session attributes that say until when the session's state matters. */
const TIMED_PREFIXES = [
  SESSION_ATTRIBUTE_PREFIXES.keepUntil,
  SESSION_ATTRIBUTE_PREFIXES.revoked,
  SESSION_ATTRIBUTE_PREFIXES.ended,
  SESSION_ATTRIBUTE_PREFIXES.slot,
] as string[];

/**
 * What of `item` is dead at `nowSeconds` and how many bytes it weighs: sessions all of whose
 * times have passed (every token they could be is expired), grant buckets whose grants have all
 * expired (with a bucket's width of margin for clocks), rate counters older than the last window.
 */
export function deadWeight(
  item: Item | undefined,
  nowSeconds: number,
  limits: Pick<AccessLimits, 'grantBucketSeconds' | 'rateWindowSeconds'>,
): { attributes: string[]; slots: string[]; rentals: string[]; bytes: number } {
  if (item === undefined) return { attributes: [], slots: [], rentals: [], bytes: 0 };
  const latest = new Map<string, number>();
  for (const [name, value] of Object.entries(item)) {
    const prefix = name.slice(0, 2);
    if (!SESSION_PREFIXES.includes(prefix)) continue;
    const session = name.slice(2);
    const time = TIMED_PREFIXES.includes(prefix) ? Number(value.N ?? 0) : 0;
    latest.set(session, Math.max(latest.get(session) ?? 0, time));
  }
  const deadSessions = new Set([...latest].filter(([, until]) => until < nowSeconds).map(([session]) => session));
  const attributes: string[] = [];
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    const prefix = name.slice(0, 2);
    const dead =
      (SESSION_PREFIXES.includes(prefix) && deadSessions.has(name.slice(2))) ||
      (prefix === GRANTS_PREFIX && Number(name.slice(2)) + 2 * limits.grantBucketSeconds < nowSeconds) ||
      (prefix === RATE_PREFIX && Number(name.slice(2)) + 2 * limits.rateWindowSeconds < nowSeconds) ||
      (prefix === SESSIONS_SEEN_PREFIX && Number(name.slice(2)) + SESSIONS_SEEN_WINDOW_SECONDS <= nowSeconds);
    if (!dead) continue;
    attributes.push(name);
    bytes += name.length + sizeOf(value);
  }
  const slots = storedSlots(item).filter((session) => deadSessions.has(session));
  bytes += slots.reduce((sum, session) => sum + session.length, 0);
  // Rentals whose window has closed (./title-records.ts): their records and set members.
  const rentals = deadRentals(item, nowSeconds);
  for (const name of rentals.attributes) {
    attributes.push(name);
    bytes += name.length + (item[name] === undefined ? 0 : sizeOf(item[name]));
  }
  bytes += rentals.members.reduce((sum, entry) => sum + entry.length, 0);
  return { attributes, slots, rentals: rentals.members, bytes };
}

/** An item's size as DynamoDB bills it, near enough: names plus values. */
export function itemBytes(item: Item | undefined): number {
  return Object.entries(item ?? {}).reduce((sum, [name, value]) => sum + name.length + sizeOf(value), 0);
}

/** Whether removing `deadBytes` from `item` makes its writes bill fewer 1 KB units. */
export function pruningPays(item: Item | undefined, deadBytes: number): boolean {
  if (deadBytes === 0) return false;
  const size = itemBytes(item);
  return Math.ceil(size / WRITE_UNIT_BYTES) > Math.ceil(Math.max(1, size - deadBytes) / WRITE_UNIT_BYTES);
}

/** An attribute value's size as DynamoDB counts it, near enough (strings and numbers by length). */
function sizeOf(value: AttributeValue): number {
  if (value.S !== undefined) return value.S.length;
  if (value.N !== undefined) return value.N.length;
  if (value.SS !== undefined) return value.SS.reduce((sum, member) => sum + member.length, 0);
  return 1;
}
