/**
 * lambda/core/api/caller.ts: the steps every route takes about its caller, on real tokens (jose,
 * a local ES256 key) and the real access-state store (dynalite). Each refusal maps to its own
 * error; an admin is authenticated without being counted, anyone else counted before refused.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  InsufficientScope,
  InvalidToken,
  RateLimited,
  SessionEnded,
  TooManyGrants,
  TooManySessions,
  type ApiError,
} from '../../../lambda/core/errors';
import { growthRefusal, refuse } from '../../../lambda/core/api/caller';
import type { RequestContext, RouteRequest } from '../../../lambda/core/api/pipeline';
import { apiEvent, bearer } from '../../support/harness';
import { startRouteKit, type RouteKit } from '../../support/route-kit';
import { idpKey, ISSUER, mint } from '../../support/tokens';

const idp = idpKey('ES256');
const NOW = Math.floor(Date.now() / 1000);
const TOLERANCE = 30;

let kit: RouteKit;
beforeAll(async () => {
  kit = await startRouteKit({
    idpKeys: [idp],
    now: () => NOW,
    extraEnv: {
      RATE_LIMIT_PER_WINDOW: '2',
      MAX_CONCURRENT_STREAMS: '3',
      STREAM_LIMIT_CLAIM: 'max_streams',
      JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE),
    },
  });
});
afterAll(() => kit.close());

/** A request as the pipeline hands it to a route, recording each context it reaches. */
function routeRequest(event: APIGatewayProxyEventV2): RouteRequest & { reachedContexts: RequestContext[] } {
  const reachedContexts: RequestContext[] = [];
  return {
    event,
    now: NOW,
    context: Object.freeze({ operation: 'revoke', requestId: 'req-1' }),
    reached: (context) => {
      reachedContexts.push(context);
      return context;
    },
    reachedContexts,
  };
}

const withToken = (authorization?: string, headers: Record<string, string> = {}) =>
  routeRequest(apiEvent('POST', '/api/v1/revocations', { authorization, headers }));

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('not refused');
}

describe('each store refusal maps to its API error', () => {
  test('revoked → 401 invalid_token (revoked); ended by the stream limit → 403; over the rate → 429 with its wait', () => {
    const as = (thrower: () => never) => {
      try {
        thrower();
      } catch (error) {
        const { status, reason, retryAfterSeconds } = error as ApiError;
        return { type: (error as ApiError).constructor, status, reason, retryAfterSeconds };
      }
    };
    expect(as(() => refuse({ outcome: 'revoked' }))).toEqual({
      type: InvalidToken,
      status: 401,
      reason: 'revoked',
      retryAfterSeconds: undefined,
    });
    expect(as(() => refuse({ outcome: 'ended' }))).toMatchObject({
      type: SessionEnded,
      status: 403,
      reason: 'session_ended',
    });
    expect(as(() => refuse({ outcome: 'rate-limited', retryAfterSeconds: 41 }))).toEqual({
      type: RateLimited,
      status: 429,
      reason: 'rate_limited',
      retryAfterSeconds: 41,
    });
  });

  test("a refusal to grow the user's item is 429 naming sessions or grants, with the limit and the wait", () => {
    const sessions = growthRefusal({ outcome: 'too-many-sessions', limit: 20, retryAfterSeconds: 600 });
    expect(sessions).toBeInstanceOf(TooManySessions);
    expect([sessions.status, sessions.reason, sessions.retryAfterSeconds]).toEqual([429, 'too_many_sessions', 600]);
    expect(sessions.description).toContain('20');
    const grants = growthRefusal({ outcome: 'too-many-grants', limit: 32, retryAfterSeconds: 90 });
    expect(grants).toBeInstanceOf(TooManyGrants);
    expect([grants.status, grants.reason, grants.retryAfterSeconds]).toEqual([429, 'too_many_grants', 90]);
  });
});

describe('verify', () => {
  test('a signed, valid token is the caller, and the context it reaches names its jti and subject', async () => {
    const token = await mint(idp, { now: NOW, claims: { sub: 'carol', jti: 'jti-carol-1' } });
    const request = withToken(bearer(token));
    const caller = await kit.deps.caller.verify(request);
    expect([caller.token.sub, caller.token.jti]).toEqual(['carol', 'jti-carol-1']);
    expect(caller.context).toEqual({ operation: 'revoke', requestId: 'req-1', sub: 'carol', jti: 'jti-carol-1' });
    expect(request.reachedContexts).toEqual([caller.context]);
  });

  test('no token, a token signed by another key, and an oversized header are each refused as such, reaching nothing', async () => {
    const missing = withToken();
    expect(await refusal(kit.deps.caller.verify(missing))).toMatchObject({ status: 401, reason: 'missing_token' });
    const forged = withToken(bearer(await mint(idpKey('ES256'), { now: NOW })));
    expect(await refusal(kit.deps.caller.verify(forged))).toMatchObject({ status: 401, code: 'invalid_token' });
    const huge = withToken(`Bearer ${'a'.repeat(kit.config.token.maxTokenBytes)}`);
    expect(await refusal(kit.deps.caller.verify(huge))).toMatchObject({ status: 401, code: 'invalid_token' });
    expect([...missing.reachedContexts, ...forged.reachedContexts, ...huge.reachedContexts]).toEqual([]);
  });
});

describe('entitlement and stream limit', () => {
  test('a token may play only the videos it names', async () => {
    const caller = await kit.deps.caller.verify(
      withToken(bearer(await mint(idp, { now: NOW, claims: { videos: ['demo-1', 'demo-2'] } }))),
    );
    expect(() => kit.deps.caller.entitle(caller.token, 'demo-2')).not.toThrow();
    expect(() => kit.deps.caller.entitle(caller.token, 'demo-3')).toThrow(InsufficientScope);
  });

  test("the token's own limit claim wins over the default; a malformed one is 401, or the default when lenient", async () => {
    const verify = async (claims: Record<string, unknown>) =>
      (await kit.deps.caller.verify(withToken(bearer(await mint(idp, { now: NOW, claims }))))).token;
    expect(kit.deps.caller.streamLimit(await verify({}))).toBe(3);
    expect(kit.deps.caller.streamLimit(await verify({ max_streams: 1 }))).toBe(1);
    const malformed = await verify({ max_streams: 'many' });
    expect(() => kit.deps.caller.streamLimit(malformed)).toThrow(InvalidToken);
    expect(kit.deps.caller.streamLimit(malformed, true)).toBe(3);
  });
});

describe('where the viewer is', () => {
  const event = (headers: Record<string, string>, sourceIp = '198.51.100.7') =>
    apiEvent('POST', '/api/v1/playback/demo-1', { headers, sourceIp });

  test("the address CloudFront saw (ip:port, IPv6 bracketed) wins over the connection's; a malformed one does not", () => {
    const { caller } = kit.deps;
    expect(caller.viewerIp(event({ 'cloudfront-viewer-address': '203.0.113.9:51234' }))).toBe('203.0.113.9');
    expect(caller.viewerIp(event({ 'cloudfront-viewer-address': '[2001:db8::1]:443' }))).toBe('2001:db8::1');
    expect(caller.viewerIp(event({ 'cloudfront-viewer-address': 'not-an-ip:1' }))).toBe('198.51.100.7');
    expect(caller.viewerIp(event({}))).toBe('198.51.100.7');
  });

  test('the presentation is its network and a two-letter country, or none', () => {
    const { caller } = kit.deps;
    expect(
      caller.presentation(event({ 'cloudfront-viewer-address': '203.0.113.9:1', 'cloudfront-viewer-country': 'nl' })),
    ).toEqual({ network: '203.0.113.0/24', country: 'NL' });
    expect(caller.presentation(event({ 'cloudfront-viewer-country': 'Netherlands' }), '2001:db8:7:1::5')).toEqual({
      network: '2001:db8:7::/48',
      country: undefined,
    });
  });
});

describe('authenticateAdmin', () => {
  const admin = (sub: string) => mint(idp, { now: NOW, claims: { sub, scope: 'stream:play streamgate:admin' } });

  test('an admin is not counted in the rate limit: more calls than the limit all pass', async () => {
    const token = await admin('ops-1');
    for (let call = 0; call < 4; call += 1) {
      const caller = await kit.deps.caller.authenticateAdmin(withToken(bearer(token)));
      expect(caller.token.sub).toBe('ops-1');
    }
  });

  test('any other token is counted before its missing scope is refused: 403, then 429 past the limit', async () => {
    const token = await mint(idp, { now: NOW, claims: { sub: 'mallory' } });
    const reasons: [number, string][] = [];
    for (let call = 0; call < 3; call += 1) {
      const error = await refusal(kit.deps.caller.authenticateAdmin(withToken(bearer(token))));
      reasons.push([error.status, error.reason]);
    }
    expect(reasons).toEqual([
      [403, 'not_entitled'],
      [403, 'not_entitled'],
      [429, 'rate_limited'],
    ]);
  });

  test('an admin whose tokens were revoked is refused as revoked', async () => {
    const token = await admin('ops-2');
    await kit.deps.access.revokeUser({ iss: ISSUER, sub: 'ops-2' }, NOW + TOLERANCE + 1, NOW, NOW + 86_400);
    const error = await refusal(kit.deps.caller.authenticateAdmin(withToken(bearer(token))));
    expect([error.status, error.reason]).toEqual([401, 'revoked']);
  });
});

test("a user revocation's default cut-off is later than the iat of any token that verifies now", async () => {
  const cutoff = kit.deps.caller.defaultCutoff(NOW);
  expect(cutoff).toBe(NOW + TOLERANCE + 1);
  // The latest iat the verifier accepts is the clock tolerance ahead: it still falls before the cut-off.
  const ahead = await mint(idp, { now: NOW, claims: { iat: NOW + TOLERANCE, nbf: NOW } });
  const { token } = await kit.deps.caller.verify(withToken(bearer(ahead)));
  expect(token.iat).toBeLessThan(cutoff);
  const beyond = await mint(idp, { now: NOW, claims: { iat: NOW + TOLERANCE + 1, nbf: NOW } });
  expect(await refusal(kit.deps.caller.verify(withToken(bearer(beyond))))).toMatchObject({ status: 401 });
});
