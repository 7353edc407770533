/**
 * The title rules of one playback or licence call, between the API's routes and the store:
 * how the token may play the title (entitlement, or its rental: lambda/core/rentals.ts), what
 * step-up asks of its sign-in (lambda/core/step-up.ts), what the store must record and judge in
 * the call's one write (lambda/store/title-records.ts), and the API error for each refusal.
 */
import type { RentalPlay, SessionStart, TitleRefusal } from './access-state';
import type { EntitlementConfig } from './config';
import { type ApiError, TooManyRentals } from './errors';
import { playbackEntitlement, type Rental, type RentalConfig, rentalExpired } from './rentals';
import { checkStepUp, judgesSignInAge, staleSignIn, type StepUpRules } from './step-up';
import type { VerifiedToken } from './token-verifier';

export interface TitleRules {
  entitlement: EntitlementConfig;
  /** STEP_UP_TITLES; absent or empty: no title asks for a step-up. */
  stepUp?: StepUpRules;
  /** RENTAL_TITLES and its claim; absent: no title is rentable. */
  rentals?: RentalConfig;
  clockToleranceSeconds: number;
}

export interface TitleAccess {
  videoId: string;
  /** The token plays the title by this rental (its window applies). */
  rental?: Rental;
  /** Step-up judges sign-in ages in this deployment: the session's start is recorded (and maybe judged). */
  sessionStart?: SessionStart;
}

/**
 * Throws unless the token may play `videoId` (entitled, or renting it) with a sign-in its
 * step-up rule accepts as far as the token shows (`acr`, an `auth_time` to judge).
 */
export function titleAccess(token: VerifiedToken, videoId: string, rules: TitleRules): TitleAccess {
  const rental = playbackEntitlement(token, videoId, rules.entitlement, rules.rentals);
  const stepUp = rules.stepUp;
  const requirement =
    stepUp === undefined ? undefined : checkStepUp(token, videoId, stepUp, rules.clockToleranceSeconds);
  const sessionStart =
    stepUp !== undefined && judgesSignInAge(stepUp)
      ? { ...(requirement !== undefined ? { latestStart: requirement.latestStart } : {}) }
      : undefined;
  return {
    videoId,
    ...(rental !== undefined ? { rental } : {}),
    ...(sessionStart !== undefined ? { sessionStart } : {}),
  };
}

/** The latest a grant of this call may end: the token's expiry, and a rental's end were it first played now. */
export function grantNotAfter(token: VerifiedToken, access: TitleAccess, now: number): number {
  const tokenEnd = Math.floor(token.exp);
  return access.rental === undefined ? tokenEnd : Math.min(tokenEnd, now + access.rental.playForSeconds);
}

/** What the store records and judges for the title in the playback call's write. */
export function playbackRecords(
  access: TitleAccess,
  now: number,
  grantExpiresAt: number,
): { sessionStart?: SessionStart; rental?: RentalPlay } {
  const { rental, sessionStart } = access;
  return {
    ...(sessionStart !== undefined ? { sessionStart } : {}),
    ...(rental !== undefined
      ? {
          rental: {
            id: rental.id,
            startBy: rental.startBy,
            endIfStartedNow: now + rental.playForSeconds,
            keepUntil: rental.latestEnd,
            grantExpiresAt,
          },
        }
      : {}),
  };
}

/** What the store judges for the title on a licence call. */
export function licenceRecords(access: TitleAccess): { sessionStart?: SessionStart; rental?: { id: string } } {
  return {
    ...(access.sessionStart !== undefined ? { sessionStart: access.sessionStart } : {}),
    ...(access.rental !== undefined ? { rental: { id: access.rental.id } } : {}),
  };
}

/** The API error of a title refusal the store decided (`rental-ends` is no refusal: the caller signs again). */
export function titleRefusalError(
  refusal: Exclude<TitleRefusal, { outcome: 'rental-ends' }>,
  access: TitleAccess,
  rules: TitleRules,
): ApiError {
  switch (refusal.outcome) {
    case 'step-up-required':
      return staleSignIn(access.videoId, rules.stepUp ?? new Map());
    case 'too-many-rentals':
      return new TooManyRentals(refusal.limit, refusal.retryAfterSeconds);
    case 'rental-expired':
      if (access.rental === undefined) throw new Error('a rental refusal for a call that plays no rental');
      return rentalExpired(access.rental, refusal.endedAt);
  }
}
