/**
 * A user item's hygiene: what on it is dead weight (sessions whose tokens have all expired, grant
 * buckets, rate counters and hourly session sets past use), its size as DynamoDB bills it, whether
 * pruning pays, and what happens when a prune write fails.
 *
 * DynamoDB bills a write by the item's size in 1 KB units, so a prune is a second write made only
 * when it lowers the item's billed size; pruning while it does not would cost a write and save
 * none. A prune follows a call whose own write already succeeded: its failure never fails that
 * call, and is never silent either (a log line and the StatePruneFailed metric), since an item
 * that stops being pruned grows towards its budget.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AccessLimits } from '../core/access-state';
import { causeSummary } from '../core/errors';
import type { ApiSignals } from '../core/metrics';
import type { Item } from './dynamo-call';
import type { PrunePlan } from './state-expressions';
import { deadRentals } from './title-records';
import {
  GRANTS_PREFIX,
  RATE_PREFIX,
  SESSION_ATTRIBUTE_PREFIXES,
  SESSIONS_SEEN_PREFIX,
  SESSIONS_SEEN_WINDOW_SECONDS,
  USER_ATTRIBUTES,
} from './table-schema';

/** DynamoDB bills a write per started 1 KB of the item. */
export const WRITE_UNIT_BYTES = 1024;
/** At most this many attributes removed per prune write (the expression stays far below 4 KB). */
export const PRUNE_BATCH = 80;

const SESSION_PREFIXES = Object.values(SESSION_ATTRIBUTE_PREFIXES) as string[];
/** The per-session attributes that say until when the session's state matters. */
const TIMED_PREFIXES = [
  SESSION_ATTRIBUTE_PREFIXES.keepUntil,
  SESSION_ATTRIBUTE_PREFIXES.revoked,
  SESSION_ATTRIBUTE_PREFIXES.ended,
  SESSION_ATTRIBUTE_PREFIXES.slot,
] as string[];

type HygieneLimits = Pick<AccessLimits, 'grantBucketSeconds' | 'rateWindowSeconds'>;

/**
 * What of `item` is dead at `nowSeconds` and how many bytes it weighs: sessions all of whose
 * times have passed (every token they could be is expired), grant buckets whose grants have all
 * expired (with a bucket's width of margin for clocks), rate counters older than the last window.
 */
export function deadWeight(
  item: Item | undefined,
  nowSeconds: number,
  limits: HygieneLimits,
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
  const slots = (item[USER_ATTRIBUTES.sessions]?.SS ?? []).filter((session) => deadSessions.has(session));
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

/** What a prune write should remove from `item` (at most PRUNE_BATCH attributes), or undefined when pruning does not pay. */
export function prunePlan(item: Item | undefined, nowSeconds: number, limits: HygieneLimits): PrunePlan | undefined {
  const dead = deadWeight(item, nowSeconds, limits);
  if (!pruningPays(item, dead.bytes)) return undefined;
  return { attributes: dead.attributes.slice(0, PRUNE_BATCH), slots: dead.slots, rentals: dead.rentals };
}

/** The closed rentals of `item` alone, pruned whether or not it pays: they fill the rental cap (./title-records.ts). */
export function closedRentalsPlan(item: Item | undefined, nowSeconds: number): PrunePlan {
  const { attributes, members } = deadRentals(item, nowSeconds);
  return { attributes: attributes.slice(0, PRUNE_BATCH), slots: [], rentals: members.slice(0, PRUNE_BATCH) };
}

/** Where the store reports a hygiene write that failed (the call it followed stands). */
export interface HygieneObserver {
  pruneFailed(plan: PrunePlan, error: Error): void;
}

/** The part of a logger the report needs (Powertools' Logger has it). */
export interface WarningLog {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export const PRUNE_FAILED_MESSAGE = 'state prune write failed';

/**
 * Reports a failed prune as one warning (how much it would have removed, and the failure's class
 * and message: never the user's key or a session id) and one StatePruneFailed count.
 */
export function loggedAndCounted(logger: WarningLog, signals: Pick<ApiSignals, 'emit'>): HygieneObserver {
  return {
    pruneFailed(plan, error) {
      logger.warn(PRUNE_FAILED_MESSAGE, {
        attributes: plan.attributes.length,
        slots: plan.slots.length,
        error: error.name,
        cause: causeSummary(error),
      });
      signals.emit({ kind: 'prune-failed' });
    },
  };
}

/** An attribute value's size as DynamoDB counts it, near enough (strings and numbers by length). */
function sizeOf(value: AttributeValue): number {
  if (value.S !== undefined) return value.S.length;
  if (value.N !== undefined) return value.N.length;
  if (value.SS !== undefined) return value.SS.reduce((sum, member) => sum + member.length, 0);
  return 1;
}
