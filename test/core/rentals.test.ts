/**
 * Rentals (lambda/core/rentals.ts): the terms' parsing, the claim, and the real API (jose,
 * dynalite): a rented title plays from its first play for its play window and never after, every
 * grant ends at the rental's end at the latest, a rental never started in its start window is
 * over, the first play is recorded once for every token carrying the purchase, a new purchase
 * opens a new window, and the records a user can grow are capped and pruned.
 */
import { ConfigError } from '../../lambda/core/config';
import { loadRentalConfig, parseRentalTerms, rentalOf } from '../../lambda/core/rentals';
import type { VerifiedToken } from '../../lambda/core/token-verifier';
import { bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');
const START_WITHIN = 3600;
const PLAY_FOR = 600;
const TERMS = { 'film-*': { startWithinSeconds: START_WITHIN, playForSeconds: PLAY_FOR } };

describe('parseRentalTerms and loadRentalConfig', () => {
  it('reads the terms by title entry, the claim and the cap', () => {
    const config = loadRentalConfig({ RENTAL_TITLES: JSON.stringify(TERMS), MAX_RENTALS_RECORDED: '5' });
    expect(config?.terms.get('film-*')).toEqual({ startWithinSeconds: START_WITHIN, playForSeconds: PLAY_FOR });
    expect(config).toMatchObject({ claim: 'rentals', maxRecorded: 5 });
    expect(loadRentalConfig({})).toBeUndefined();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a missing window',
      { RENTAL_TITLES: '{"film-1": {"playForSeconds": 60}}' },
      /RENTAL_TITLES: title "film-1": startWithinSeconds must be a whole number from 10/,
    ],
    [
      'a too short play window',
      { RENTAL_TITLES: '{"film-1": {"startWithinSeconds": 60, "playForSeconds": 5}}' },
      /playForSeconds must be a whole number from 10 to 2592000/,
    ],
    [
      'an unknown field',
      { RENTAL_TITLES: '{"film-1": {"startWithinSeconds": 60, "playForSeconds": 60, "price": 3}}' },
      /unknown field "price"/,
    ],
    [
      'a bad claim name',
      { RENTAL_TITLES: JSON.stringify(TERMS), RENTALS_CLAIM: 'bad claim' },
      /RENTALS_CLAIM: is not a usable claim name/,
    ],
    [
      'a cap of 0',
      { RENTAL_TITLES: JSON.stringify(TERMS), MAX_RENTALS_RECORDED: '0' },
      /MAX_RENTALS_RECORDED: must be a whole number from 1 to 200/,
    ],
  ])('refuses %s, naming the variable', (_case, env, message) => {
    expect(() => loadRentalConfig(env)).toThrow(ConfigError);
    expect(() => loadRentalConfig(env)).toThrow(message);
  });

  it('refuses a malformed rentals claim as a malformed token, and reads the latest purchase of a title', () => {
    const config = { terms: parseRentalTerms(JSON.stringify(TERMS)), claim: 'rentals', maxRecorded: 5 };
    const token = (rentals: unknown) =>
      ({ iss: 'i', sub: 's', jti: 'j', iat: 0, exp: 1, claims: { rentals } }) as VerifiedToken;
    for (const bad of [
      'film-1',
      [{ video: 'film-1' }],
      [{ video: 'film/1', rented_at: 1 }],
      [{ video: 'film-1', rented_at: 1.5 }],
    ])
      expect(() => rentalOf(token(bad), 'film-1', config)).toThrow(/token "rentals" claim must be an array/);
    const rental = rentalOf(
      token([
        { video: 'film-1', rented_at: 100 },
        { video: 'film-1', rented_at: 200 },
      ]),
      'film-1',
      config,
    );
    expect(rental).toMatchObject({
      rentedAt: 200,
      startBy: 200 + START_WITHIN,
      latestEnd: 200 + START_WITHIN + PLAY_FOR,
    });
    // A title that is not rentable: the claim does not entitle it.
    expect(rentalOf(token([{ video: 'trailer-1', rented_at: 100 }]), 'trailer-1', config)).toBeUndefined();
  });
});

describe('rentals through the API', () => {
  let harness: Harness;
  const start = Math.floor(Date.now() / 1000);
  let clock = start;

  beforeAll(async () => {
    harness = await startHarness({
      idpKeys: [idp],
      now: () => clock,
      extraEnv: { RENTAL_TITLES: JSON.stringify(TERMS), MAX_RENTALS_RECORDED: '2', SIGNED_TTL_SECONDS: '300' },
    });
  });
  afterAll(() => harness.close());
  afterEach(() => {
    clock = start;
  });

  /** A token renting `rentals` and entitled to nothing else (no videos claim, no plan). */
  const renter = (sub: string, rentals: { video: string; rented_at: number }[]) =>
    mint(idp, { now: clock, lifetime: 3600, claims: { sub, rentals }, omit: ['videos'] });
  const play = (videoId: string, jwt: string) =>
    harness.api.playback(playbackEvent(videoId, { authorization: bearer(jwt) }));
  const body = (response: { body?: string }) => JSON.parse(response.body ?? '{}') as Record<string, unknown>;
  const expiresAt = (response: { body?: string }) => Date.parse(String(body(response).expiresAt)) / 1000;

  it('plays within the window from the first play, with grants ending at its end, then refuses', async () => {
    const rentedAt = clock - 100;
    const first = await play('film-1', await renter('dana', [{ video: 'film-1', rented_at: rentedAt }]));
    expect(first.statusCode).toBe(200);
    const end = clock + PLAY_FOR;
    // Near the end: the grant is cut to end with the rental, whichever token carries the purchase.
    clock = end - 100;
    const late = await play('film-1', await renter('dana', [{ video: 'film-1', rented_at: rentedAt }]));
    expect(late.statusCode).toBe(200);
    expect(expiresAt(late)).toBe(end);
    clock = end;
    const over = await play('film-1', await renter('dana', [{ video: 'film-1', rented_at: rentedAt }]));
    expect(over.statusCode).toBe(403);
    expect(body(over)).toMatchObject({ error: 'rental_expired', reason: 'rental_expired' });
    expect(String(body(over).error_description)).toContain(`ended at ${new Date(end * 1000).toISOString()}`);
    expect(over.cookies).toBeUndefined();
  });

  it('is over when not started within its start window, and a new purchase opens a new one', async () => {
    const rentedAt = clock - START_WITHIN - 1;
    const over = await play('film-2', await renter('erin', [{ video: 'film-2', rented_at: rentedAt }]));
    expect(over.statusCode).toBe(403);
    expect(String(body(over).error_description)).toContain('had to be started by');
    const again = await renter('erin', [
      { video: 'film-2', rented_at: rentedAt },
      { video: 'film-2', rented_at: clock - 5 },
    ]);
    expect((await play('film-2', again)).statusCode).toBe(200);
  });

  it('started at the last moment of its start window, plays its whole play window', async () => {
    const rentedAt = clock - START_WITHIN;
    const jwt = await renter('fay', [{ video: 'film-3', rented_at: rentedAt }]);
    const first = await play('film-3', jwt);
    expect(first.statusCode).toBe(200);
    const end = clock + PLAY_FOR;
    clock += PLAY_FOR - 50;
    const refresh = await play('film-3', await renter('fay', [{ video: 'film-3', rented_at: rentedAt }]));
    expect(refresh.statusCode).toBe(200);
    expect(expiresAt(refresh)).toBe(end);
  });

  it('never plays a title the claim names but the deployment does not rent, nor a title it does not name', async () => {
    const jwt = await renter('gus', [{ video: 'trailer-1', rented_at: clock }]);
    expect(body(await play('trailer-1', jwt))).toMatchObject({ reason: 'not_entitled' });
    expect(body(await play('film-9', jwt))).toMatchObject({ reason: 'not_entitled' });
  });

  it('a subscriber entitled by its claims plays without a rental window', async () => {
    const subscriber = await mint(idp, {
      now: clock,
      lifetime: 3600,
      claims: {
        sub: 'hal',
        videos: ['film-4'],
        rentals: [{ video: 'film-4', rented_at: clock - START_WITHIN - PLAY_FOR }],
      },
    });
    const response = await play('film-4', subscriber);
    expect(response.statusCode).toBe(200);
    expect(expiresAt(response)).toBeGreaterThan(clock + 200);
  });

  it('caps the rentals a user item records, and frees closed ones', async () => {
    const rentals = ['film-5', 'film-6', 'film-7'].map((video) => ({ video, rented_at: clock }));
    const jwt = await renter('ivy', rentals);
    expect((await play('film-5', jwt)).statusCode).toBe(200);
    expect((await play('film-6', jwt)).statusCode).toBe(200);
    const full = await play('film-7', jwt);
    expect(full.statusCode).toBe(429);
    expect(body(full)).toMatchObject({ error: 'too_many_rentals', reason: 'too_many_rentals' });
    // The first two close at rented_at + start window + play window at the latest: then there is room again.
    expect(Number(full.headers['retry-after'])).toBe(START_WITHIN + PLAY_FOR);
    clock += START_WITHIN + PLAY_FOR + 1;
    const later = await renter('ivy', [{ video: 'film-7', rented_at: clock - 10 }]);
    expect((await play('film-7', later)).statusCode).toBe(200);
  });
});
