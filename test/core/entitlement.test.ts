/**
 * Entitlements teams can express (lambda/core/entitlement.ts): video ids, `*`, id prefixes
 * (`series-12-*`; ids hold no `/`), and named plans from config with their stream limits, plus a
 * per-user stream-limit claim capped by config. Real tokens (jose, RS256) through the verifier;
 * the stream limits through the real API and dynalite.
 */
import { loadConfig } from '../../lambda/core/config';
import { requirePlayback, streamLimitOf } from '../../lambda/core/entitlement';
import { InsufficientScope, InvalidToken } from '../../lambda/core/errors';
import { TokenVerifier, type VerifiedToken } from '../../lambda/core/token-verifier';
import { bearer, type Harness, playbackEvent, startHarness } from '../support/harness';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';
import { AUDIENCE, idpKey, ISSUER, jwksOf, mint } from '../support/tokens';

const idp = idpKey('RS256');
const PLANS = {
  sports: { videos: ['series-1*'], maxStreams: 2 },
  family: { videos: ['series-0*', 'trailer-1'], maxStreams: 5 },
  staff: { videos: ['*'], maxStreams: 0 },
  free: { videos: ['free-*'], maxStreams: 1 },
};
const env = (extra: Record<string, string> = {}) => ({
  ...MINIMAL_LAMBDA_ENV,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  JWT_JWKS_URL: undefined,
  JWT_JWKS: JSON.stringify(jwksOf(idp)),
  ENTITLEMENT_PLANS: JSON.stringify(PLANS),
  STREAM_LIMIT_CLAIM: 'max_streams',
  STREAM_LIMIT_CLAIM_MAX: '6',
  ...extra,
});
const config = loadConfig(env());
const verifier = new TokenVerifier(config.token);
const now = Math.floor(Date.now() / 1000);

async function verified(claims: Record<string, unknown>, omit: string[] = []): Promise<VerifiedToken> {
  // The minter's default `videos: "*"` goes unless the test sets its own.
  const defaults = 'videos' in claims ? [] : ['videos'];
  return verifier.verify(await mint(idp, { now, claims, omit: [...defaults, ...omit] }), now);
}

function outcome(token: VerifiedToken, videoId: string, entitlement = config.entitlement): string {
  try {
    requirePlayback(token, videoId, entitlement);
    return 'plays';
  } catch (error) {
    if (error instanceof InsufficientScope) return 'not entitled';
    if (error instanceof InvalidToken) return `invalid: ${error.description}`;
    throw error;
  }
}

describe('a catalogue of 100,000 videos', () => {
  // series-000-e00 … series-999-e99: 1000 series of 100 episodes.
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const catalogue: { id: string; series: number; episode: number }[] = [];
  for (let series = 0; series < 1000; series += 1)
    for (let episode = 0; episode < 100; episode += 1)
      catalogue.push({ id: `series-${pad(series, 3)}-e${pad(episode, 2)}`, series, episode });

  test('a token under 2 KB (a plan and two entries) is entitled to exactly the right ones', async () => {
    const raw = await mint(idp, {
      now,
      claims: { plan: 'sports', videos: ['series-250-*', 'series-999-e99'] },
      header: { kid: idp.kid, typ: 'JWT' },
    });
    expect(catalogue).toHaveLength(100_000);
    expect(Buffer.byteLength(raw)).toBeLessThan(2048);
    const token = await verifier.verify(raw, now);
    // The expected set, from the numbers alone: series 100–199 (the plan's "series-1*"), all of
    // series 250, and one episode of series 999.
    const expected = (series: number, episode: number) =>
      (series >= 100 && series <= 199) || series === 250 || (series === 999 && episode === 99);
    const wrong = catalogue.filter(
      ({ id, series, episode }) => (outcome(token, id) === 'plays') !== expected(series, episode),
    );
    expect(wrong).toEqual([]);
    expect(catalogue.filter(({ series, episode }) => expected(series, episode))).toHaveLength(10_101);
  });
});

describe('entries', () => {
  test.each([
    ['an exact id', ['trailer-1'], 'trailer-1', 'plays'],
    ['an exact id, not a prefix of it', ['trailer-1'], 'trailer-10', 'not entitled'],
    ['a prefix', ['series-12-*'], 'series-12-e01', 'plays'],
    ['a prefix, not a sibling series', ['series-12-*'], 'series-120-e01', 'not entitled'],
    ['a prefix is case-sensitive', ['series-12-*'], 'Series-12-e01', 'not entitled'],
    ['"*" inside the array', ['*'], 'anything', 'plays'],
  ])('%s', async (_, videos, videoId, expected) => {
    expect(outcome(await verified({ videos }), videoId)).toBe(expected);
  });

  test('the string "*" plays every video', async () => {
    expect(outcome(await verified({ videos: '*' }), 'series-7-e1')).toBe('plays');
  });

  test.each([
    ['a slash pattern', ['series-12/*']],
    ['a wildcard in the middle', ['series-*-e01']],
    ['a question mark', ['series-1?']],
    ['a number', [12]],
    ['an empty string', ['']],
  ])('%s is a malformed claim (401), named with the rule', async (_, videos) => {
    expect(outcome(await verified({ videos }), 'series-12-e01')).toMatch(
      /^invalid: token "videos" claim entries must each be a video id .* an id prefix ending in "\*"/,
    );
  });

  test('an empty list plays nothing, and does not fall back to the default plan', async () => {
    const withDefault = loadConfig(env({ DEFAULT_PLAN: 'free' })).entitlement;
    expect(outcome(await verified({ videos: [] }), 'free-1', withDefault)).toBe('not entitled');
  });
});

describe('plans', () => {
  test('a plan claim as a string or as an array (groups, roles): the union of the known plans', async () => {
    const token = await verified({ plan: ['Everyone', 'free', 'family'] });
    expect(['free-1', 'series-042-e01', 'trailer-1', 'series-142-e01'].map((id) => outcome(token, id))).toEqual([
      'plays',
      'plays',
      'plays',
      'not entitled',
    ]);
    expect(streamLimitOf(token, config.entitlement, 3)).toBe(5);
  });

  test('plans add to the videos claim', async () => {
    const token = await verified({ plan: 'free', videos: ['series-500-*'] });
    expect(['free-1', 'series-500-e01', 'series-501-e01'].map((id) => outcome(token, id))).toEqual([
      'plays',
      'plays',
      'not entitled',
    ]);
  });

  test('plan names that are not plans, "__proto__" and "constructor" included, grant nothing', async () => {
    const token = await verified({ plan: ['__proto__', 'constructor', 'toString', 'Sports'] });
    expect(outcome(token, 'series-100-e01')).toBe('not entitled');
  });

  test('a plan claim that is neither a name nor a list of names is malformed (401)', async () => {
    expect(outcome(await verified({ plan: { name: 'sports' } }), 'series-100-e01')).toBe(
      'invalid: token "plan" claim must be a plan name or an array of plan names',
    );
  });

  test('without videos claim or known plan: the default plan if configured, else refused (403)', async () => {
    const token = await verified({ plan: 'gold' });
    expect(outcome(token, 'free-1')).toBe('not entitled');
    const withDefault = loadConfig(env({ DEFAULT_PLAN: 'free' })).entitlement;
    expect(outcome(token, 'free-1', withDefault)).toBe('plays');
    expect(outcome(token, 'series-100-e01', withDefault)).toBe('not entitled');
    expect(streamLimitOf(token, withDefault, 3)).toBe(1);
  });

  test('without the play scope: refused, unless the deployment requires none (an IdP that issues no scopes)', async () => {
    const token = await verified({ plan: 'free' }, ['scope']);
    expect(outcome(token, 'free-1')).toBe('not entitled');
    expect(outcome(token, 'free-1', loadConfig(env({ REQUIRE_PLAY_SCOPE: 'false' })).entitlement)).toBe('plays');
  });
});

describe('stream limits', () => {
  test.each([
    ['no plan and no claim: the deployment limit', {}, 3],
    ['the plan limit', { plan: 'sports' }, 2],
    ['the largest of several plans', { plan: ['free', 'sports'] }, 2],
    ['an unlimited plan (0) wins', { plan: ['free', 'staff'] }, 0],
    ['the user claim over the plan', { plan: 'sports', max_streams: 4 }, 4],
    ['the user claim, capped at STREAM_LIMIT_CLAIM_MAX', { plan: 'staff', max_streams: 1000 }, 6],
  ])('%s', async (_, claims, expected) => {
    expect(streamLimitOf(await verified(claims), config.entitlement, 3)).toBe(expected);
  });

  test.each([[0], [-1], [2.5], ['4']])('a user claim of %j is malformed (401)', async (value) => {
    const token = await verified({ plan: 'sports', max_streams: value });
    expect(() => streamLimitOf(token, config.entitlement, 3)).toThrow(
      'token "max_streams" claim must be a whole number of at least 1',
    );
  });
});

describe('stream limits where playback applies them (real API, dynalite)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      idpKeys: [idp],
      extraEnv: {
        ENTITLEMENT_PLANS: JSON.stringify(PLANS),
        STREAM_LIMIT_CLAIM: 'max_streams',
        STREAM_LIMIT_CLAIM_MAX: '3',
        MAX_CONCURRENT_STREAMS: '0',
      },
    });
  });
  afterAll(() => harness.close());

  async function sessions(sub: string, claims: Record<string, unknown>, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let device = 0; device < count; device += 1) {
      const token = await mint(idp, { claims: { sub, ...claims }, omit: ['videos'] });
      const response = await harness.api.playback(playbackEvent('series-150-e01', { authorization: bearer(token) }));
      statuses.push(response.statusCode);
    }
    return statuses;
  }

  test("a plan's limit holds even with the deployment's limit off", async () => {
    expect(await sessions('sports-fan', { plan: 'sports' }, 3)).toEqual([200, 200, 403]);
  });

  test("the user's own claim raises it, up to the configured cap and no further", async () => {
    expect(await sessions('big-family', { plan: 'sports', max_streams: 50 }, 4)).toEqual([200, 200, 200, 403]);
  });

  test('a refused session names the limit that applied', async () => {
    await sessions('one-screen', { plan: 'sports', max_streams: 1 }, 1);
    const token = await mint(idp, { claims: { sub: 'one-screen', plan: 'sports', max_streams: 1 }, omit: ['videos'] });
    const response = await harness.api.playback(playbackEvent('series-150-e01', { authorization: bearer(token) }));
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '{}').error_description).toMatch(/already playing on 1 sessions/);
  });
});
