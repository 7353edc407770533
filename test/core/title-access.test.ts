/**
 * lambda/core/title-access.ts: how a token may play a title (entitled, or renting it), what the
 * title's step-up rule asks the store to judge, the grant's latest end, the records a playback
 * write carries, and the API error for each refusal the store decides.
 */
import { StepUpRequired, InsufficientScope, RentalExpired, TooManyRentals } from '../../lambda/core/errors';
import type { EntitlementConfig } from '../../lambda/core/config';
import { parseRentalTerms } from '../../lambda/core/rentals';
import { parseStepUpRules } from '../../lambda/core/step-up';
import {
  grantNotAfter,
  licenceRecords,
  playbackRecords,
  titleAccess,
  titleRefusalError,
  type TitleRules,
} from '../../lambda/core/title-access';
import type { VerifiedToken } from '../../lambda/core/token-verifier';

const NOW = 1_800_000_000;
const entitlement: EntitlementConfig = {
  scopeClaims: ['scope'],
  videosClaim: 'videos',
  requireVideosClaim: true,
  requirePlayScope: true,
  playScope: 'stream:play',
  adminScope: 'streamgate:admin',
  planClaim: 'plan',
  plans: new Map(),
  streamLimitClaimMax: 10,
};
const rules: TitleRules = {
  entitlement,
  stepUp: parseStepUpRules(JSON.stringify({ 'premium-*': { acrValues: ['loa2'], maxAgeSeconds: 600 } })),
  rentals: {
    terms: parseRentalTerms(JSON.stringify({ 'film-*': { startWithinSeconds: 3600, playForSeconds: 600 } })),
    claim: 'rentals',
    maxRecorded: 20,
  },
  clockToleranceSeconds: 30,
};
const token = (claims: Record<string, unknown>): VerifiedToken => ({
  iss: 'https://idp.test/',
  sub: 'alice',
  jti: 'j1',
  iat: NOW - 10,
  exp: NOW + 3000,
  claims: { scope: 'stream:play', ...claims },
});

describe('titleAccess', () => {
  it('an entitled token plays without a rental; the session start is recorded wherever a rule judges ages', () => {
    expect(titleAccess(token({ videos: ['trailer-1'] }), 'trailer-1', rules)).toEqual({
      videoId: 'trailer-1',
      sessionStart: {},
    });
    expect(titleAccess(token({ videos: ['trailer-1'] }), 'trailer-1', { ...rules, stepUp: undefined })).toEqual({
      videoId: 'trailer-1',
    });
  });

  it('a premium title asks the store for a session started by auth_time + max age + tolerance', () => {
    const access = titleAccess(token({ videos: '*', acr: 'loa2', auth_time: NOW - 100 }), 'premium-1', rules);
    expect(access.sessionStart).toEqual({ latestStart: NOW - 100 + 600 + 30 });
    expect(() => titleAccess(token({ videos: '*', acr: 'loa1', auth_time: NOW }), 'premium-1', rules)).toThrow(
      StepUpRequired,
    );
  });

  it('a rented title plays by its rental, its grant ending at the rental end were it first played now', () => {
    const renter = token({ rentals: [{ video: 'film-1', rented_at: NOW - 60 }] });
    const access = titleAccess(renter, 'film-1', rules);
    expect(access.rental).toMatchObject({ rentedAt: NOW - 60, startBy: NOW - 60 + 3600 });
    expect(grantNotAfter(renter, access, NOW)).toBe(NOW + 600);
    expect(playbackRecords(access, NOW, NOW + 300)).toMatchObject({
      rental: { startBy: NOW + 3540, endIfStartedNow: NOW + 600, keepUntil: NOW + 4140, grantExpiresAt: NOW + 300 },
    });
    expect(licenceRecords(access)).toMatchObject({ rental: { id: access.rental?.id } });
    // Not rented, not entitled: the entitlement's own refusal.
    expect(() => titleAccess(renter, 'film-2', rules)).toThrow(InsufficientScope);
    // The play scope still counts for a rental.
    expect(() => titleAccess({ ...renter, claims: { ...renter.claims, scope: '' } }, 'film-1', rules)).toThrow(
      /lacks the "stream:play" scope/,
    );
  });
});

describe('titleRefusalError', () => {
  const renter = token({ rentals: [{ video: 'film-1', rented_at: NOW - 60 }] });
  const access = titleAccess(renter, 'film-1', rules);

  it('maps each store refusal to its API error', () => {
    const stale = titleRefusalError({ outcome: 'step-up-required' }, { videoId: 'premium-1' }, rules);
    expect(stale).toBeInstanceOf(StepUpRequired);
    expect(stale).toMatchObject({ acrValues: ['loa2'], maxAgeSeconds: 600, status: 401 });
    expect(titleRefusalError({ outcome: 'rental-expired', endedAt: NOW }, access, rules)).toBeInstanceOf(RentalExpired);
    expect(titleRefusalError({ outcome: 'too-many-rentals', limit: 20, retryAfterSeconds: 9 }, access, rules)).toEqual(
      new TooManyRentals(20, 9),
    );
  });
});
