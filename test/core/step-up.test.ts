/**
 * Step-up for premium titles (RFC 9470, lambda/core/step-up.ts): the rules' parsing, and the real
 * API (jose, dynalite) challenging a token whose sign-in does not meet its title's rule with 401
 * `insufficient_user_authentication`, `acr_values` and `max_age`, at the session's start only:
 * a session admitted with a fresh sign-in keeps refreshing after the sign-in ages, and any new
 * token (a new session) must meet the rule by its own sign-in, whatever else it carries.
 */
import { ConfigError } from '../../lambda/core/config';
import { parseStepUpRules } from '../../lambda/core/step-up';
import { bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');
const MFA = 'urn:streamgate:loa:2';
const RULES = {
  'premium-*': { acrValues: [MFA, 'phr'], maxAgeSeconds: 300 },
  'premium-acr-only': { acrValues: [MFA] },
  'fresh-*': { maxAgeSeconds: 60 },
};
const TOLERANCE = 30;

describe('parseStepUpRules', () => {
  it('reads acr values and max ages by title entry', () => {
    const rules = parseStepUpRules(JSON.stringify(RULES));
    expect(rules.get('premium-*')).toEqual({ acrValues: [MFA, 'phr'], maxAgeSeconds: 300 });
    expect(rules.get('fresh-*')).toEqual({ maxAgeSeconds: 60 });
    expect(parseStepUpRules(undefined).size).toBe(0);
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /STEP_UP_TITLES: is not valid JSON/],
    ['a list', [], /must be a JSON object of rules by title/],
    ['a bad title', { 'a/b': { maxAgeSeconds: 1 } }, /title "a\/b": must be a video id/],
    ['an empty rule', { x: {} }, /title "x": set acrValues, maxAgeSeconds or both/],
    ['an unknown field', { x: { maxAge: 5 } }, /unknown field "maxAge"/],
    ['an acr with a quote', { x: { acrValues: ['a"b'] } }, /acrValues must list 1 to 8 acr values/],
    ['an acr with a space', { x: { acrValues: ['a b'] } }, /acrValues must list/],
    ['no acr values', { x: { acrValues: [] } }, /acrValues must list/],
    ['a negative max age', { x: { maxAgeSeconds: -1 } }, /maxAgeSeconds must be a whole number from 0 to 2592000/],
    ['a fractional max age', { x: { maxAgeSeconds: 1.5 } }, /maxAgeSeconds must be a whole number/],
  ])('refuses %s, naming the variable and the entry', (_case, value, message) => {
    const raw = typeof value === 'string' ? value : JSON.stringify(value);
    expect(() => parseStepUpRules(raw)).toThrow(ConfigError);
    expect(() => parseStepUpRules(raw)).toThrow(message);
  });
});

describe('step-up through the API', () => {
  let harness: Harness;
  let clock = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    harness = await startHarness({
      idpKeys: [idp],
      now: () => clock,
      extraEnv: { STEP_UP_TITLES: JSON.stringify(RULES), JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE) },
    });
  });
  afterAll(() => harness.close());

  const token = (claims: Record<string, unknown>, omit: string[] = []) =>
    mint(idp, { now: clock, lifetime: 3600, claims: { sub: `viewer-${Math.random()}`.slice(0, 20), ...claims }, omit });
  const play = async (videoId: string, jwt: string) =>
    harness.api.playback(playbackEvent(videoId, { authorization: bearer(jwt) }));
  const body = (response: { body?: string }) => JSON.parse(response.body ?? '{}') as Record<string, unknown>;

  it('answers a token without the acr the title needs with the RFC 9470 challenge', async () => {
    const response = await play('premium-1', await token({ acr: 'urn:streamgate:loa:1', auth_time: clock }));
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      `Bearer realm="streamgate", error="insufficient_user_authentication", error_description="${String(body(response).error_description)}", acr_values="${MFA} phr", max_age="300"`,
    );
    expect(body(response)).toMatchObject({
      error: 'insufficient_user_authentication',
      reason: 'step_up_required',
      acr_values: `${MFA} phr`,
      max_age: 300,
    });
    expect(response.cookies).toBeUndefined();
  });

  it('challenges a token with no acr at all, and one whose acr is not a string', async () => {
    for (const claims of [{ auth_time: clock }, { acr: [MFA], auth_time: clock }]) {
      const response = await play('premium-acr-only', await token(claims));
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toContain(`acr_values="${MFA}"`);
      expect(response.headers['www-authenticate']).not.toContain('max_age');
    }
  });

  it('plays a title with any of its acr values, and titles without a rule without one', async () => {
    expect((await play('premium-acr-only', await token({ acr: MFA }))).statusCode).toBe(200);
    expect((await play('premium-2', await token({ acr: 'phr', auth_time: clock - 10 }))).statusCode).toBe(200);
    expect((await play('trailer-1', await token({}))).statusCode).toBe(200);
  });

  it('challenges a max_age title when the token does not say when its user signed in', async () => {
    const response = await play('fresh-1', await token({}, ['auth_time']));
    expect(response.statusCode).toBe(401);
    expect(body(response)).toMatchObject({ reason: 'step_up_required', max_age: 60 });
    expect(response.headers['www-authenticate']).toMatch(/max_age="60"$/);
    expect(response.headers['www-authenticate']).not.toContain('acr_values');
  });

  it('challenges a session that starts with a sign-in older than max_age (plus the clock tolerance)', async () => {
    const stale = await token({ auth_time: clock - 60 - TOLERANCE - 1 });
    const response = await play('fresh-1', stale);
    expect(response.statusCode).toBe(401);
    expect(body(response)).toMatchObject({ error: 'insufficient_user_authentication', max_age: 60 });
    // Refused every time: a refused call records no start.
    expect((await play('fresh-1', stale)).statusCode).toBe(401);
    expect((await play('fresh-1', await token({ auth_time: clock - 60 - TOLERANCE }))).statusCode).toBe(200);
  });

  it('does not challenge the refreshes of a session that started in time, but does challenge a new token', async () => {
    const sub = 'carol';
    const signedIn = clock;
    const first = await mint(idp, { now: clock, lifetime: 3600, claims: { sub, auth_time: signedIn } });
    expect((await play('fresh-2', first)).statusCode).toBe(200);
    clock += 600; // the sign-in is now 10 minutes old, far past max_age
    try {
      const refreshed = await play('fresh-2', first);
      expect(refreshed.statusCode).toBe(200);
      // The session's other step-up titles too: it started with a sign-in fresh enough for them.
      expect((await play('fresh-3', first)).statusCode).toBe(200);
      // A new token of the same user and sign-in is a new session: it must meet max_age itself.
      const second = await mint(idp, { now: clock, lifetime: 3600, claims: { sub, auth_time: signedIn } });
      const challenged = await play('fresh-2', second);
      expect(challenged.statusCode).toBe(401);
      expect(challenged.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');
      // ...and plays after a new sign-in.
      const stepped = await mint(idp, { now: clock, lifetime: 3600, claims: { sub, auth_time: clock - 5 } });
      expect((await play('fresh-2', stepped)).statusCode).toBe(200);
    } finally {
      clock -= 600;
    }
  });

  it('a session started by another title is judged by that start', async () => {
    const jwt = await token({ auth_time: clock });
    expect((await play('trailer-2', jwt)).statusCode).toBe(200);
    clock += 120;
    try {
      expect((await play('fresh-4', jwt)).statusCode).toBe(200);
    } finally {
      clock -= 120;
    }
  });
});
