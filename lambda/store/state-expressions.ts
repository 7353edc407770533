/**
 * The UpdateItem expressions of the access-state store, one builder per call kind: pure, no
 * client, no table name, no key (the store adds those and sends). Each answers the update, the
 * condition (with ReturnValuesOnConditionCheckFailure, so a refusal returns the item as it stood)
 * and the placeholders they use.
 *
 * Every write sets the item's expiry (computed by callers from their clock, so a later write never
 * shortens it), bumps `version` where the stream slots may change, and sets `denied` when it
 * revokes or ends something, removing it otherwise (the table's stream is filtered on it).
 * Dead weight whose name is known goes in the write itself (the last rate windows, the last
 * hours' session sets, grant buckets two or more widths old).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AccessLimits, CallerCall, LogoutCall, PlaybackCall, SharingVerdict } from '../core/access-state';
import { grantRecord } from '../core/edge-deny-list';
import { DEFAULT_MAX_RENTALS, recordRentalPlay, recordSessionStart } from './title-records';
import {
  grantsAttribute,
  rateAttribute,
  sessionAttribute,
  SESSIONS_SEEN_WINDOW_SECONDS,
  sessionsSeenAttribute,
  STATE_TABLE,
  USER_ATTRIBUTES,
} from './table-schema';

const { ttlAttribute: TTL } = STATE_TABLE;
const { revokedBefore: BEFORE, sessions: SESSIONS, version: VERSION, denied: DENIED } = USER_ATTRIBUTES;
/** Rate windows before the current one whose counters every counted write removes. */
const RATE_WINDOWS_DROPPED = 5;
/** Grant buckets older than the current one by 2 to this many widths are dropped by every write that records grants. */
const BUCKETS_DROPPED = 4;
/**
 * With the `alert` sharing action a session's networks (countries) are recorded up to this many
 * times the limit: past it the verdict is the same, and the set must not grow without bound.
 */
export const RECORDED_BEYOND_LIMIT = 2;

/** One UpdateItem's expressions, without table, key or ReturnValues. */
export interface UpdateSpec {
  UpdateExpression: string;
  ConditionExpression?: string;
  ReturnValuesOnConditionCheckFailure?: 'ALL_OLD';
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

/** `alert`: the presentation sets found full at their recording limit, no longer added to. */
export interface Unrecorded {
  readonly networks: boolean;
  readonly countries: boolean;
}

/** The slot set as a refused write found it, and how to rewrite it. */
export interface SlotRewrite {
  /** Active slots of other sessions that stay. */
  readonly kept: readonly string[];
  /** Stored slots that go (expired, or the evicted session's). */
  readonly dropped: readonly string[];
  readonly evicted?: string;
  /** The item's version when read: the rewrite applies only if it is unchanged. */
  readonly version: number | undefined;
}

/** What a playback call's next write is shaped by: what its earlier refusals taught. */
export interface PlaybackAttempt {
  /** Whether the presentation is recorded only within the sharing limits (false: `alert` found it beyond). */
  readonly bounded: boolean;
  readonly unrecorded: Unrecorded;
  /** The slot set to write instead of taking a slot (undefined: take one). */
  readonly slots?: SlotRewrite;
  /** The sharing verdict an `alert` found, reported with the admission. */
  readonly suspicion?: SharingVerdict;
}

export const FIRST_PLAYBACK_ATTEMPT: PlaybackAttempt = {
  bounded: true,
  unrecorded: { networks: false, countries: false },
};

/** Dead weight to remove: attribute names, and members of the slot set and of the rentals set. */
export interface PrunePlan {
  readonly attributes: readonly string[];
  readonly slots: readonly string[];
  /** Closed rentals' members of the `rentals` set (./title-records.ts). */
  readonly rentals?: readonly string[];
}

/** The call's own stream limit (its user's plan), else the deployment's. */
export function streamLimit(call: Pick<PlaybackCall, 'maxStreams'>, limits: Pick<AccessLimits, 'maxStreams'>): number {
  return call.maxStreams ?? limits.maxStreams;
}

/** The rate window `nowSeconds` falls in, and how long until it ends (at least a second). */
export function rateWindow(nowSeconds: number, size: number): { start: number; retryAfterSeconds: number } {
  const start = nowSeconds - (nowSeconds % size);
  return { start, retryAfterSeconds: Math.max(1, start + size - nowSeconds) };
}

export function hourStart(nowSeconds: number): number {
  return nowSeconds - (nowSeconds % SESSIONS_SEEN_WINDOW_SECONDS);
}

/** The call's grant records by the bucket of their expiry (a string set refuses duplicates in one value). */
export function grantBuckets(
  call: Pick<PlaybackCall, 'grants' | 'session' | 'iat'>,
  width: number,
): Map<number, string[]> {
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

/**
 * A playback call's write: the caller's checks (cut-off, own marks, rate), the hour's session
 * count, the presentation, the slot (taken, or the set rewritten) and the grants.
 */
export function playbackWrite(call: PlaybackCall, limits: AccessLimits, attempt: PlaybackAttempt): UpdateSpec {
  const update = callerUpdate(call, limits, true);
  countSession(update, call, limits);
  if (limits.sharing.maxNetworks > 0) recordPresentation(update, call, limits, attempt);
  if (streamLimit(call, limits) > 0) {
    if (attempt.slots === undefined) takeSlot(update, call, limits);
    else rewriteSlots(update, call, attempt.slots);
  }
  if (call.grants !== undefined && call.grants.length > 0) recordGrants(update, call, limits);
  // The title rules' records (./title-records.ts): the session's start, a rental's first play.
  recordSessionStart(update, call, limits.sharing.maxNetworks === 0);
  recordRentalPlay(update, call, limits.maxRentals ?? DEFAULT_MAX_RENTALS);
  return update.spec();
}

/**
 * A call that records nothing but its count: no condition (the verdict is judged on the item the
 * write returns), no version bump (it leaves the slots alone), and only the previous window's
 * counter dropped (the fewer names, the less a store has to parse).
 */
export function countWrite(call: CallerCall, limits: Pick<AccessLimits, 'rateWindowSeconds'>): UpdateSpec {
  const update = new Update(call.keepUntil, false);
  countCall(update, call.nowSeconds, limits, 1);
  return update.spec();
}

/**
 * A logout: revoke the session (its own revocation is not a condition: a revoked session still
 * frees its slot), count it as one of the hour's sessions, release its slot.
 */
export function logoutWrite(call: LogoutCall, limits: AccessLimits): UpdateSpec {
  const update = callerUpdate(call, limits, false);
  const revoked = update.name(sessionAttribute('revoked', call.session));
  update.sets.push(`${revoked} = if_not_exists(${revoked}, ${update.value({ N: String(call.sessionKeepUntil) })})`);
  update.denies(call.nowSeconds);
  countSession(update, call, limits);
  if (streamLimit(call, limits) > 0) {
    update.deletes.push(`${update.name(SESSIONS)} ${update.value({ SS: [call.session] })}`);
    update.removes.push(update.name(sessionAttribute('slot', call.session)));
  }
  return update.spec();
}

/** Mark one session revoked until `revokeUntil`, only if it is not marked already. */
export function revokeSessionWrite(
  session: string,
  nowSeconds: number,
  revokeUntil: number,
  keepUntil: number,
): UpdateSpec {
  const update = new Update(keepUntil);
  const revoked = update.name(sessionAttribute('revoked', session));
  update.sets.push(`${revoked} = ${update.value({ N: String(revokeUntil) })}`);
  update.conditions.push(`attribute_not_exists(${revoked})`);
  update.denies(nowSeconds);
  return update.spec();
}

/** Set the user's cut-off to `before`, only if none as late is in place. */
export function revokeUserWrite(before: number, nowSeconds: number, keepUntil: number): UpdateSpec {
  const update = new Update(keepUntil);
  const cutoff = update.name(BEFORE);
  const value = update.value({ N: String(before) });
  update.sets.push(`${cutoff} = ${value}`);
  update.conditions.push(`(attribute_not_exists(${cutoff}) OR ${cutoff} < ${value})`);
  update.denies(nowSeconds);
  return update.spec();
}

/** Remove the user's cut-off (admin lift), only on an item that exists; revokes nothing. */
export function liftCutoffWrite(keepUntil: number): UpdateSpec {
  const update = new Update(keepUntil);
  update.removes.push(update.name(BEFORE));
  update.conditions.push(`attribute_exists(${update.name(STATE_TABLE.partitionKey)})`);
  return update.spec();
}

/** Remove the planned dead weight (no condition: what is dead stays dead). */
export function pruneWrite(plan: PrunePlan): UpdateSpec {
  const update = new Update(undefined);
  for (const attribute of plan.attributes) update.removes.push(update.name(attribute));
  if (plan.slots.length > 0) update.deletes.push(`${update.name(SESSIONS)} ${update.value({ SS: [...plan.slots] })}`);
  if (plan.rentals !== undefined && plan.rentals.length > 0)
    update.deletes.push(`${update.name(USER_ATTRIBUTES.rentals)} ${update.value({ SS: [...plan.rentals] })}`);
  return update.spec();
}

/** The checks every call makes (cut-off, rate limit and, with `ownRevocation`, the token's own marks) and its count. */
function callerUpdate(call: CallerCall, limits: AccessLimits, ownRevocation: boolean): Update {
  const update = new Update(call.keepUntil);
  const cutoff = update.name(BEFORE);
  update.conditions.push(`(attribute_not_exists(${cutoff}) OR ${cutoff} <= ${update.value({ N: String(call.iat) })})`);
  if (ownRevocation) {
    update.conditions.push(
      `attribute_not_exists(${update.name(sessionAttribute('revoked', call.session))})`,
      `attribute_not_exists(${update.name(sessionAttribute('ended', call.session))})`,
    );
  }
  if (call.counted && limits.rateLimit > 0) {
    const count = update.name(rateAttribute(countCall(update, call.nowSeconds, limits)));
    update.conditions.push(
      `(attribute_not_exists(${count}) OR ${count} < ${update.value({ N: String(limits.rateLimit) })})`,
    );
  }
  return update;
}

/** Adds one to this window's call counter (dropping earlier windows'); answers the window's start. */
function countCall(
  update: Update,
  nowSeconds: number,
  limits: Pick<AccessLimits, 'rateWindowSeconds'>,
  windowsDropped = RATE_WINDOWS_DROPPED,
): number {
  const windowStart = rateWindow(nowSeconds, limits.rateWindowSeconds).start;
  const count = update.name(rateAttribute(windowStart));
  update.sets.push(`${count} = if_not_exists(${count}, ${update.value({ N: '0' })}) + ${update.value({ N: '1' })}`);
  // Earlier windows' counters are dead weight from now on (a player refreshing every few
  // minutes skips windows, so more than the previous one).
  for (let behind = 1; behind <= windowsDropped; behind += 1)
    update.removes.push(update.name(rateAttribute(windowStart - behind * limits.rateWindowSeconds)));
  return windowStart;
}

/**
 * Count the session in this hour's set, only while the set has room (or holds it already):
 * the cap on distinct sessions per user per hour bounds the per-session state on the item.
 */
function countSession(update: Update, call: CallerCall, limits: AccessLimits): void {
  const hour = hourStart(call.nowSeconds);
  const seen = update.name(sessionsSeenAttribute(hour));
  update.adds.push(`${seen} ${update.value({ SS: [call.session] })}`);
  update.conditions.push(
    `(attribute_not_exists(${seen}) OR contains(${seen}, ${update.value({ S: call.session })})` +
      ` OR size(${seen}) < ${update.value({ N: String(limits.maxSessionsPerHour) })})`,
  );
  // The last hours' sets are dead weight from now on.
  for (let behind = 1; behind <= 2; behind += 1)
    update.removes.push(update.name(sessionsSeenAttribute(hour - behind * SESSIONS_SEEN_WINDOW_SECONDS)));
}

/**
 * ADD the network (and country). Bounded: only within the limits; otherwise (`alert`) up to
 * RECORDED_BEYOND_LIMIT times them, and a set found full is left as it is (`unrecorded`).
 */
function recordPresentation(update: Update, call: PlaybackCall, limits: AccessLimits, attempt: PlaybackAttempt): void {
  const { presentation, session } = call;
  update.sets.push(
    `${update.name(sessionAttribute('keepUntil', session))} = ${update.value({ N: String(call.sessionKeepUntil) })}`,
  );
  const factor = attempt.bounded ? 1 : RECORDED_BEYOND_LIMIT;
  if (!attempt.unrecorded.networks)
    addBounded(
      update,
      sessionAttribute('networks', session),
      presentation.network,
      factor * limits.sharing.maxNetworks,
    );
  if (presentation.country !== undefined && !attempt.unrecorded.countries)
    addBounded(
      update,
      sessionAttribute('countries', session),
      presentation.country,
      factor * limits.sharing.maxCountries,
    );
}

/** ADD `member` to the string set `attribute`, only if it holds it already or has fewer than `limit`. */
function addBounded(update: Update, attribute: string, member: string, limit: number): void {
  const set = update.name(attribute);
  update.adds.push(`${set} ${update.value({ SS: [member] })}`);
  update.conditions.push(
    `(attribute_not_exists(${set}) OR contains(${set}, ${update.value({ S: member })})` +
      ` OR size(${set}) < ${update.value({ N: String(limit) })})`,
  );
}

/** Take or renew the session's slot, only while the set has room (expired slots still count here). */
function takeSlot(update: Update, call: PlaybackCall, limits: AccessLimits): void {
  const sessions = update.name(SESSIONS);
  update.adds.push(`${sessions} ${update.value({ SS: [call.session] })}`);
  update.sets.push(
    `${update.name(sessionAttribute('slot', call.session))} = ${update.value({ N: String(call.slotUntil) })}`,
  );
  update.conditions.push(
    `(attribute_not_exists(${sessions}) OR contains(${sessions}, ${update.value({ S: call.session })})` +
      ` OR size(${sessions}) < ${update.value({ N: String(streamLimit(call, limits)) })})`,
  );
}

/** Replace the slot set (expired slots dropped, an evicted session ended), if nobody wrote since it was read. */
function rewriteSlots(update: Update, call: PlaybackCall, slots: SlotRewrite): void {
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

/**
 * ADD the grants to their expiry's bucket, only while it stays within the grant budget (a
 * grant already recorded, as a refresh inside the grant interval re-issues, adds nothing and
 * passes); drop buckets that can hold only dead grants.
 */
function recordGrants(update: Update, call: PlaybackCall, limits: AccessLimits): void {
  const width = limits.grantBucketSeconds;
  const byBucket = grantBuckets(call, width);
  for (const [start, records] of byBucket) {
    const bucket = update.name(grantsAttribute(start));
    update.adds.push(`${bucket} ${update.value({ SS: records })}`);
    const recorded = records.map((record) => `contains(${bucket}, ${update.value({ S: record })})`).join(' AND ');
    const room = limits.maxGrantsPerBucket - records.length;
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

/** One UpdateItem being built: placeholders for every name and value, and the parts every write has. */
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

  spec(): UpdateSpec {
    const removes = this.revokes ? this.removes : [...this.removes, this.name(DENIED)];
    const clauses = [
      ...(this.sets.length > 0 ? [`SET ${this.sets.join(', ')}`] : []),
      ...(this.adds.length > 0 ? [`ADD ${this.adds.join(', ')}`] : []),
      ...(this.deletes.length > 0 ? [`DELETE ${this.deletes.join(', ')}`] : []),
      // An empty REMOVE is a syntax error (a revoking write with nothing to drop has none).
      ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
    ];
    return {
      UpdateExpression: clauses.join(' '),
      ...(this.conditions.length > 0
        ? {
            ConditionExpression: this.conditions.join(' AND '),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }
        : {}),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
    };
  }
}
