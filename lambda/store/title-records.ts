/**
 * The title rules' part of the playback call's one write (lambda/store/access-state-store.ts):
 * the session's start, for step-up's sign-in age (lambda/core/step-up.ts), and a rental's first
 * play (lambda/core/rentals.ts). Each adds SETs and conditions to that write, so recording them
 * costs no store operation of its own; and each reads the item a refused write returns to say
 * why it was refused.
 *
 * Rentals on the item are bounded: a rental is recorded only by a playback within its start
 * window, at most `maxRentals` at once (the `rentals` set's size, checked by the write), and its
 * record is dead once the rental can no longer play, whenever it started (its `keepUntil`, the
 * latest end its terms allow): pruned with the rest of the item's dead weight, and at once when
 * the cap would refuse a new rental.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { LicenceCall, LicenceVerdict, PlaybackCall, TitleRefusal } from '../core/access-state';
import { numberOf, type Item } from './dynamo-call';
import { rentalAttribute, RENTAL_PREFIX, sessionAttribute, USER_ATTRIBUTES } from './table-schema';

/** The parts of an UpdateItem being built that these records add to. */
export interface UpdateParts {
  readonly sets: string[];
  readonly adds: string[];
  readonly conditions: string[];
  name(attribute: string): string;
  value(value: AttributeValue): string;
}

/** @default maxRentals when the limits do not say */
export const DEFAULT_MAX_RENTALS = 20;

const RENTALS = USER_ATTRIBUTES.rentals;
const member = (id: string, keepUntil: number): string => `${id}.${keepUntil}`;

/**
 * The session's start, recorded once; a call past its sign-in's `latestStart` is admitted only if
 * the session had started by then. `keepsSession`: also set the session's keep-until (unless the
 * sharing record sets it in the same write), so the start is pruned only with the session.
 */
export function recordSessionStart(update: UpdateParts, call: PlaybackCall, keepsSession: boolean): void {
  if (call.sessionStart === undefined) return;
  const started = update.name(sessionAttribute('started', call.session));
  update.sets.push(`${started} = if_not_exists(${started}, ${update.value({ N: String(call.nowSeconds) })})`);
  if (keepsSession)
    update.sets.push(
      `${update.name(sessionAttribute('keepUntil', call.session))} = ${update.value({ N: String(call.sessionKeepUntil) })}`,
    );
  const latest = call.sessionStart.latestStart;
  // A comparison with a missing attribute is false: a session not started yet cannot start now.
  if (latest !== undefined && call.nowSeconds > latest)
    update.conditions.push(`${started} <= ${update.value({ N: String(latest) })}`);
}

/** A rental's first play (its end, set once), admitted only while the rental outlasts the call's grant. */
export function recordRentalPlay(update: UpdateParts, call: PlaybackCall, maxRentals: number): void {
  const rental = call.rental;
  if (rental === undefined) return;
  const record = update.name(rentalAttribute(rental.id));
  update.sets.push(`${record} = if_not_exists(${record}, ${update.value({ N: String(rental.endIfStartedNow) })})`);
  const lasts = `${record} >= ${update.value({ N: String(rental.grantExpiresAt) })}`;
  if (call.nowSeconds > rental.startBy) {
    update.conditions.push(lasts);
    return;
  }
  const set = update.name(RENTALS);
  const own = member(rental.id, rental.keepUntil);
  update.adds.push(`${set} ${update.value({ SS: [own] })}`);
  update.conditions.push(
    `(${lasts} OR (attribute_not_exists(${record}) AND (attribute_not_exists(${set}) OR contains(${set}, ${update.value({ S: own })}) OR size(${set}) < ${update.value({ N: String(maxRentals) })})))`,
  );
}

/** Why the title's rules refused this playback, as the refused write's item shows; `prune`: the cap is full of dead rentals. */
export function titleRefusal(
  item: Item | undefined,
  call: PlaybackCall,
  maxRentals: number,
): TitleRefusal | 'prune' | undefined {
  if (stepUpRefused(item, call)) return { outcome: 'step-up-required' };
  const rental = call.rental;
  if (rental === undefined) return undefined;
  const end = numberOf(item, rentalAttribute(rental.id));
  if (end === undefined) {
    if (call.nowSeconds > rental.startBy) return { outcome: 'rental-expired' };
    const members = item?.[RENTALS]?.SS ?? [];
    if (members.includes(member(rental.id, rental.keepUntil)) || members.length < maxRentals) return undefined;
    if (deadRentals(item, call.nowSeconds).members.length > 0) return 'prune';
    const closes = Math.min(...members.map(keepUntilOf));
    return { outcome: 'too-many-rentals', limit: maxRentals, retryAfterSeconds: Math.max(1, closes - call.nowSeconds) };
  }
  if (end <= call.nowSeconds) return { outcome: 'rental-expired', endedAt: end };
  if (end < rental.grantExpiresAt) return { outcome: 'rental-ends', endsAt: end };
  return undefined;
}

/** A licence: only for a session that started in time, and a rental playback started and that has not ended. */
export function licenceTitleVerdict(item: Item | undefined, call: LicenceCall): LicenceVerdict | undefined {
  if (stepUpRefused(item, call)) return { outcome: 'step-up-required' };
  if (call.rental === undefined) return undefined;
  const end = numberOf(item, rentalAttribute(call.rental.id));
  if (end === undefined) return { outcome: 'not-playing' };
  if (end <= call.nowSeconds) return { outcome: 'rental-expired', endedAt: end };
  return { outcome: 'admitted', rentalEndsAt: end };
}

function stepUpRefused(item: Item | undefined, call: PlaybackCall | LicenceCall): boolean {
  const latest = call.sessionStart?.latestStart;
  if (latest === undefined || call.nowSeconds <= latest) return false;
  const started = numberOf(item, sessionAttribute('started', call.session));
  return started === undefined || started > latest;
}

/** Rental records whose window has closed (they can play no more, started or not): attributes and set members. */
export function deadRentals(item: Item | undefined, nowSeconds: number): { attributes: string[]; members: string[] } {
  const members = (item?.[RENTALS]?.SS ?? []).filter((entry) => keepUntilOf(entry) < nowSeconds);
  return { attributes: members.map((entry) => `${RENTAL_PREFIX}${entry.slice(0, entry.lastIndexOf('.'))}`), members };
}

function keepUntilOf(entry: string): number {
  return Number(entry.slice(entry.lastIndexOf('.') + 1)) || 0;
}
