/**
 * Rentals: a title the deployment lists in RENTAL_TITLES can be rented. Its terms are two
 * windows: `startWithinSeconds` from the purchase to start watching (e.g. 30 days), and
 * `playForSeconds` from the first play (e.g. 48 h). Every grant and licence of a rental ends at
 * the rental's end at the latest; after it the API answers 403 `rental_expired`.
 *
 * Where the facts come from: the purchase is the user's, so it travels in the token (the
 * `rentals` claim, `[{"video": "film-1", "rented_at": <epoch s>}]`), signed by the IdP from the
 * shop's records (an Auth0 Action, a Cognito pre-token trigger): no entitlement service on the
 * playback path, and no purchase the viewer could forge. The terms are the product's, so they
 * are configuration: one place says what "a rental" means, every token is held to it, and a
 * token cannot widen its own window. The first play is the one fact only streamgate sees: it is
 * recorded on the user's item by the playback call's own write (lambda/store/rental-records.ts),
 * once; later plays and other tokens carrying the same purchase find it there.
 *
 * A title the token is entitled to otherwise (its videos claim or a plan) plays as that
 * entitlement says, without a rental window: a subscriber is never timed out by an old rental.
 */
import { createHash } from 'node:crypto';
import type { EntitlementConfig } from './config';
import { ConfigError } from './config';
import { requirePlayback, requireScope } from './entitlement';
import { mostSpecific, VIDEO_ID } from './entitlement-rules';
import { InsufficientScope, InvalidToken, RentalExpired } from './errors';
import { titleEntries } from './step-up';
import type { VerifiedToken } from './token-verifier';

export const RENTAL_TITLES_VARIABLE = 'RENTAL_TITLES';
export const RENTALS_CLAIM_VARIABLE = 'RENTALS_CLAIM';
export const MAX_RENTALS_RECORDED_VARIABLE = 'MAX_RENTALS_RECORDED';
export const RENTAL_VARIABLES = {
  terms: RENTAL_TITLES_VARIABLE,
  claim: RENTALS_CLAIM_VARIABLE,
  maxRecorded: MAX_RENTALS_RECORDED_VARIABLE,
} as const;

export interface RentalTerms {
  /** Seconds from the purchase (`rented_at`) within which the first play must happen. */
  startWithinSeconds: number;
  /** Seconds from the first play until the rental ends. */
  playForSeconds: number;
}

export interface RentalConfig {
  /** Terms by title entry (an id, a prefix, or `*`); the most specific entry decides. */
  terms: ReadonlyMap<string, RentalTerms>;
  /** The claim listing the user's purchases. */
  claim: string;
  /** Rentals one user item records at once (started, or open to start); bounds the item. */
  maxRecorded: number;
}

export const RENTAL_LIMITS = {
  /** 10 s at least, so tests and demos can use short windows; a year at most. */
  startWithinSeconds: { min: 10, max: 31536000 },
  playForSeconds: { min: 10, max: 2592000 },
  /** Entries of the rentals claim read: a longer list is a malformed token, never silently cut. */
  claimEntries: 100,
  maxRecorded: { min: 1, max: 200, fallback: 20 },
} as const;

/** A rental of one title as the token holds it, with its terms applied. */
export interface Rental {
  videoId: string;
  /** Stable per purchase (title and purchase time): a new purchase of a title is a new rental. */
  id: string;
  rentedAt: number;
  /** The first play must happen by then. */
  startBy: number;
  playForSeconds: number;
  /** The latest the rental can end (started at the last moment): its record is dead after it. */
  latestEnd: number;
}

/**
 * How the token may play `videoId`: undefined when its videos claim or plans entitle it (no
 * window), else its rental of the title, else the entitlement's own refusal.
 */
export function playbackEntitlement(
  token: VerifiedToken,
  videoId: string,
  entitlement: EntitlementConfig,
  rentals: RentalConfig | undefined,
): Rental | undefined {
  try {
    requirePlayback(token, videoId, entitlement);
    return undefined;
  } catch (error) {
    if (!(error instanceof InsufficientScope) || rentals === undefined) throw error;
    const rental = rentalOf(token, videoId, rentals);
    if (rental === undefined) throw error;
    if (entitlement.requirePlayScope) requireScope(token, entitlement.playScope, entitlement);
    return rental;
  }
}

/** The token's rental of `videoId` (its latest purchase of it), if the title is rentable and the claim names it. */
export function rentalOf(token: VerifiedToken, videoId: string, config: RentalConfig): Rental | undefined {
  const terms = mostSpecific(config.terms, videoId);
  if (terms === undefined) return undefined;
  const raw = token.claims[config.claim];
  if (raw === undefined) return undefined;
  const shape = `token "${config.claim}" claim must be an array of at most ${RENTAL_LIMITS.claimEntries} {"video": "<id>", "rented_at": <epoch seconds>}`;
  if (!Array.isArray(raw) || raw.length > RENTAL_LIMITS.claimEntries) throw new InvalidToken('malformed_token', shape);
  let rentedAt: number | undefined;
  for (const entry of raw) {
    const { video, rented_at: at } = (entry ?? {}) as Record<string, unknown>;
    if (typeof video !== 'string' || !VIDEO_ID.test(video) || typeof at !== 'number' || !Number.isInteger(at) || at < 0)
      throw new InvalidToken('malformed_token', shape);
    if (video === videoId && (rentedAt === undefined || at > rentedAt)) rentedAt = at;
  }
  if (rentedAt === undefined) return undefined;
  const startBy = rentedAt + terms.startWithinSeconds;
  return {
    videoId,
    id: createHash('sha256')
      .update(JSON.stringify([videoId, rentedAt]))
      .digest('base64url')
      .slice(0, 16),
    rentedAt,
    startBy,
    playForSeconds: terms.playForSeconds,
    latestEnd: startBy + terms.playForSeconds,
  };
}

/**
 * The refusal of a rental that is over: never started in its window (`endedAt` undefined), or
 * played out (`endedAt`: when it ended).
 */
export function rentalExpired(rental: Rental, endedAt?: number): RentalExpired {
  const when = (epoch: number) => new Date(epoch * 1000).toISOString();
  return new RentalExpired(
    endedAt === undefined
      ? `the rental of "${rental.videoId}" had to be started by ${when(rental.startBy)} and was not: rent it again to watch`
      : `the rental of "${rental.videoId}" ended at ${when(endedAt)}, ${rental.playForSeconds} s after it was first played: rent it again to watch`,
  );
}

/** RENTAL_TITLES, RENTALS_CLAIM, MAX_RENTALS_RECORDED; undefined when no title is rentable. */
export function loadRentalConfig(env: Readonly<Record<string, string | undefined>>): RentalConfig | undefined {
  const terms = parseRentalTerms(env[RENTAL_VARIABLES.terms]);
  const claim = env[RENTAL_VARIABLES.claim]?.trim() || 'rentals';
  if (!/^[A-Za-z0-9_:./-]{1,128}$/.test(claim))
    throw new ConfigError(RENTAL_VARIABLES.claim, `is not a usable claim name: "${claim.slice(0, 64)}"`);
  const { min, max, fallback } = RENTAL_LIMITS.maxRecorded;
  const rawMax = env[RENTAL_VARIABLES.maxRecorded]?.trim();
  const maxRecorded = rawMax === undefined || rawMax === '' ? fallback : Number(rawMax);
  if (!(/^\d+$/.test(rawMax ?? String(fallback)) && maxRecorded >= min && maxRecorded <= max))
    throw new ConfigError(
      RENTAL_VARIABLES.maxRecorded,
      `must be a whole number from ${min} to ${max}, got "${rawMax}"`,
    );
  return terms.size === 0 ? undefined : { terms, claim, maxRecorded };
}

/** `{"film-*": {"startWithinSeconds": 2592000, "playForSeconds": 172800}, ...}` */
export function parseRentalTerms(
  raw: string | undefined,
  variable: string = RENTAL_VARIABLES.terms,
): Map<string, RentalTerms> {
  const terms = new Map<string, RentalTerms>();
  for (const [pattern, value] of titleEntries(raw, variable)) {
    const where = `title "${pattern.slice(0, 64)}"`;
    const { startWithinSeconds, playForSeconds, ...rest } = value;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw new ConfigError(
        variable,
        `${where}: unknown field "${extra.slice(0, 32)}" (expected startWithinSeconds, playForSeconds)`,
      );
    for (const [field, fieldValue] of [
      ['startWithinSeconds', startWithinSeconds],
      ['playForSeconds', playForSeconds],
    ] as const) {
      const { min, max } = RENTAL_LIMITS[field];
      if (!(Number.isInteger(fieldValue) && (fieldValue as number) >= min && (fieldValue as number) <= max))
        throw new ConfigError(variable, `${where}: ${field} must be a whole number from ${min} to ${max}`);
    }
    terms.set(pattern, { startWithinSeconds: startWithinSeconds as number, playForSeconds: playForSeconds as number });
  }
  return terms;
}
