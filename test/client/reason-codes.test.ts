/**
 * streamgate-client classifies every API refusal by its `reason` code, never by its words: the
 * client's list of codes is the API's (lambda/core/reason-codes.ts), and every refusal the API
 * can send is classified the same whatever its `error_description` says, both from the API's own
 * error bodies and over HTTP from the real local stack with every description rewritten.
 */
import {
  createPlaybackSession,
  denialOf,
  type DenialKind,
  type PlaybackSession,
  type StreamgateDenial,
} from '../../client/src';
import { licenceDenialOf } from '../../client/src/drm';
import { REASON_KINDS } from '../../client/src/reason-codes';
import { type DenialReason, StepUpRequired } from '../../lambda/core/errors';
import { errorResponse, type HttpResponse, internalErrorResponse } from '../../lambda/core/http';
import { WIRE_REASONS } from '../../lambda/core/reason-codes';
import { ONE_ERROR_PER_REASON } from '../support/api-errors';
import { next, startClientStack, type ClientStack } from './stack';

/** What a viewer is told for each refusal of the API (the behaviour this package promises). */
const EXPECTED_KIND: Record<DenialReason, DenialKind> = {
  missing_token: 'signed-out',
  malformed_token: 'signed-out',
  oversize_token: 'signed-out',
  bad_signature: 'signed-out',
  disallowed_algorithm: 'signed-out',
  disallowed_header: 'signed-out',
  wrong_token_type: 'signed-out',
  unknown_key: 'signed-out',
  expired: 'signed-out',
  not_yet_valid: 'signed-out',
  wrong_issuer: 'signed-out',
  wrong_audience: 'signed-out',
  missing_claim: 'signed-out',
  lifetime_too_long: 'signed-out',
  revoked: 'revoked',
  not_entitled: 'not-entitled',
  bad_request: 'bad-request',
  origin_not_verified: 'not-entitled',
  site_not_allowed: 'not-entitled',
  rate_limited: 'rate-limited',
  concurrency_limit: 'too-many-streams',
  session_ended: 'session-ended',
  sharing_suspected: 'sharing',
  store_unavailable: 'unavailable',
  store_contention: 'rate-limited',
  upstream_credential_refused: 'unavailable',
  too_many_sessions: 'rate-limited',
  too_many_grants: 'rate-limited',
  session_not_playing: 'session-ended',
  step_up_required: 'step-up',
  rental_expired: 'rental-expired',
  too_many_rentals: 'rate-limited',
  keys_unavailable: 'unavailable',
  signing_key_unavailable: 'unavailable',
  not_found: 'bad-request',
  payload_too_large: 'bad-request',
  licence_refused: 'not-entitled',
  upstream_error: 'unavailable',
  upstream_timeout: 'unavailable',
  upstream_unavailable: 'unavailable',
};

/** A seeded generator (mulberry32): the same "random" descriptions on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(28);
const WORDS = [
  'token',
  'has',
  'been',
  'revoked',
  'expired',
  'entitled',
  'another',
  'device',
  'retry',
  'shared',
  'limit',
];
const randomText = () =>
  Array.from({ length: 1 + Math.floor(random() * 12) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');

/** Every rewrite of a description a server could make, including ones that name another refusal. */
const REWRITES: Array<[string, (description: string) => string | undefined]> = [
  ['empty', () => ''],
  ['absent', () => undefined],
  ['random words', randomText],
  ['says revoked', () => 'token has been revoked'],
  ['says another device', () => 'ended because the same account started watching on another device'],
  ['upper-cased', (description) => description.toUpperCase()],
];

function rewritten(body: Record<string, unknown>, rewrite: (description: string) => string | undefined) {
  const { error_description, ...rest } = body;
  const description = rewrite(String(error_description));
  return description === undefined ? rest : { ...rest, error_description: description };
}

const parsed = (response: HttpResponse) => JSON.parse(String(response.body)) as Record<string, unknown>;
/** What the viewer sees and can do: everything but the logged detail. */
const seen = ({ detail: _detail, ...rest }: StreamgateDenial) => rest;

test("the client's reason codes are exactly the API's", () => {
  expect(Object.keys(REASON_KINDS).sort()).toEqual(Object.keys(WIRE_REASONS).sort());
});

test('a step-up denial carries the challenge: the acr values (in order) and the max age to ask the IdP for', () => {
  const response = errorResponse(
    new StepUpRequired('a stronger sign-in', ['urn:example:loa:3', 'urn:example:loa:2'], 600),
  );
  const denial = denialOf(response.statusCode, parsed(response), undefined);
  expect(denial).toMatchObject({
    kind: 'step-up',
    action: 'step-up',
    reason: 'step_up_required',
    acrValues: ['urn:example:loa:3', 'urn:example:loa:2'],
    maxAgeSeconds: 600,
  });
  // Only what the challenge names: a rule with max_age alone carries no acr values.
  const ageOnly = errorResponse(new StepUpRequired('a recent sign-in', undefined, 60));
  expect(denialOf(401, parsed(ageOnly), undefined)).not.toHaveProperty('acrValues');
  // A proxy that drops the reason still gets the kind, by RFC 9470's error code.
  const { reason: _reason, ...bare } = parsed(response);
  expect(denialOf(401, bare, undefined)).toMatchObject({ kind: 'step-up', maxAgeSeconds: 600 });
});

describe('every refusal the API can send is classified by its reason, whatever its description says', () => {
  test.each(Object.entries(ONE_ERROR_PER_REASON))('%s', (reason, error) => {
    const response = errorResponse(error);
    const body = parsed(response);
    const retryAfter = error.retryAfterSeconds;
    const original = denialOf(response.statusCode, body, retryAfter);
    expect(original.kind).toBe(EXPECTED_KIND[reason as DenialReason]);
    expect(original.reason).toBe(body.reason);
    for (const [name, rewrite] of REWRITES) {
      const changed = rewritten(body, rewrite);
      expect([name, seen(denialOf(response.statusCode, changed, retryAfter))]).toEqual([name, seen(original)]);
      expect([name, seen(licenceDenialOf(response.statusCode, changed, retryAfter))]).toEqual([
        name,
        seen(licenceDenialOf(response.statusCode, body, retryAfter)),
      ]);
    }
  });

  test('a bug (500 internal_error) too: unavailable, retried', () => {
    const response = internalErrorResponse();
    for (const [, rewrite] of REWRITES)
      expect(denialOf(500, rewritten(parsed(response), rewrite), undefined)).toMatchObject({
        kind: 'unavailable',
        action: 'retry-later',
      });
  });

  test('the words never decide: a revoked token described in no words is revoked, a forged one described as revoked is not', () => {
    const revoked = parsed(errorResponse(ONE_ERROR_PER_REASON.revoked));
    expect(denialOf(401, { ...revoked, error_description: '' }, undefined).kind).toBe('revoked');
    const forged = parsed(errorResponse(ONE_ERROR_PER_REASON.bad_signature));
    expect(denialOf(401, { ...forged, error_description: 'token has been revoked' }, undefined).kind).toBe(
      'signed-out',
    );
  });

  test('an answer with no reason (API Gateway, the WAF, a reason newer than the client) is classified by its status', () => {
    expect(denialOf(401, { message: 'Unauthorized' }, undefined).kind).toBe('signed-out');
    expect(denialOf(429, { message: 'Too Many Requests' }, 2)).toMatchObject({
      kind: 'rate-limited',
      retryAfterSeconds: 2,
    });
    expect(denialOf(403, undefined, undefined)).toMatchObject({ kind: 'not-entitled', action: 'none' });
    expect(denialOf(503, { error: 'temporarily_unavailable', reason: 'a_reason_from_the_future' }, 5)).toMatchObject({
      kind: 'unavailable',
      reason: 'a_reason_from_the_future',
    });
  });
});

describe('over HTTP from the real local stack, every description rewritten', () => {
  let env: ClientStack;
  const sessions: PlaybackSession[] = [];
  beforeAll(async () => {
    env = await startClientStack();
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.stop();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** fetch that answers every refusal with its description (body and WWW-Authenticate) replaced. */
  const rewritingFetch =
    (rewrite: (description: string) => string | undefined): typeof fetch =>
    async (input, init) => {
      const response = await fetch(input, init);
      if (response.ok) return response;
      const body = (await response.json()) as Record<string, unknown>;
      const headers = new Headers(response.headers);
      const challenge = headers.get('www-authenticate');
      if (challenge !== null)
        headers.set(
          'www-authenticate',
          challenge.replace(/error_description="[^"]*"/, `error_description="${rewrite('') ?? ''}"`),
        );
      return new Response(JSON.stringify(rewritten(body, rewrite)), { status: response.status, headers });
    };

  const stopOf = async (
    videoId: string,
    getToken: () => string | Promise<string>,
    rewrite: (d: string) => string | undefined,
  ) => {
    const session = createPlaybackSession({ apiBase: env.apiBase, videoId, getToken, fetch: rewritingFetch(rewrite) });
    sessions.push(session);
    const error = await session.ready.then(
      () => undefined,
      (reason: { denial: StreamgateDenial }) => reason.denial,
    );
    return { session, denial: error };
  };

  test.each(REWRITES)(
    'description %s: signed-out, not-entitled, bad-request and revoked are still told apart',
    async (_name, rewrite) => {
      expect((await stopOf('demo-1', () => 'not.a.jwt', rewrite)).denial).toMatchObject({
        kind: 'signed-out',
        reason: 'malformed_token',
      });
      expect((await stopOf('demo-2', () => env.token('rewrite-narrow', ['demo-1']), rewrite)).denial).toMatchObject({
        kind: 'not-entitled',
        action: 'pick-another',
        reason: 'not_entitled',
      });
      expect((await stopOf('bad id!', () => env.token('rewrite-bad', ['demo-1']), rewrite)).denial).toMatchObject({
        kind: 'bad-request',
        reason: 'bad_request',
      });
      const token = await env.token('rewrite-leaving', ['demo-1']);
      const { session } = await stopOf('demo-1', () => token, rewrite);
      expect(session.grant).toBeDefined();
      expect((await env.logout(token)).status).toBe(204);
      const stopped = next<StreamgateDenial | undefined>((listener) => session.on('stop', listener));
      session.refresh();
      expect(await stopped).toMatchObject({ kind: 'revoked', status: 401, reason: 'revoked', action: 'sign-in' });
    },
  );

  test('the store down, described in random words: unavailable, retried', async () => {
    await env.stopStore();
    try {
      const session = createPlaybackSession({
        apiBase: env.apiBase,
        videoId: 'demo-1',
        getToken: () => env.token('rewrite-patient', ['demo-1']),
        fetch: rewritingFetch(randomText),
      });
      sessions.push(session);
      const retry = await next<{ denial: StreamgateDenial }>((listener) => session.on('retry', listener));
      expect(retry.denial).toMatchObject({ kind: 'unavailable', reason: 'unavailable', retryAfterSeconds: 5 });
    } finally {
      await env.restartStore();
    }
  }, 30000);
});
