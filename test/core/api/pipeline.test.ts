/**
 * lambda/core/api/pipeline.ts: what every route gets around its own steps. A refusal becomes
 * the API contract's answer, an unexpected failure a 500 that says nothing, a call that did not
 * come through CloudFront is refused before any step runs, and the signals are flushed however
 * the call ends.
 */
import { InvalidToken, RateLimited, StoreUnavailable, type ApiError } from '../../../lambda/core/errors';
import { jsonResponse } from '../../../lambda/core/http';
import { OriginVerifier } from '../../../lambda/core/origin-verify';
import {
  RequestPipeline,
  withContext,
  type RequestContext,
  type RouteRequest,
} from '../../../lambda/core/api/pipeline';
import { apiEvent, LogCapture } from '../../support/harness';
import { RecordedSignals } from '../../support/route-kit';

const NOW = 1_800_000_000;
const ORIGIN_SECRET = 'origin-verify-value-0123456789';

let logs: LogCapture;
beforeAll(() => {
  logs = new LogCapture();
});
afterAll(() => logs.stop());

function pipeline(originVerify?: OriginVerifier) {
  const signals = new RecordedSignals();
  return { signals, pipeline: new RequestPipeline({ logger: logs.logger, signals, now: () => NOW, originVerify }) };
}

const event = (headers: Record<string, string> = {}) => apiEvent('POST', '/api/v1/playback/demo-1', { headers });
const failing = (error: unknown) => async (): Promise<never> => {
  throw error;
};

describe('a refusal (ApiError) thrown by a step', () => {
  test('becomes its status, its code and wire reason, and its RFC 6750 challenge', async () => {
    const { pipeline: run } = pipeline();
    const response = await run.run('playback', event(), failing(new InvalidToken('expired', 'token has expired')));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? '')).toEqual({
      error: 'invalid_token',
      reason: 'expired',
      error_description: 'token has expired',
    });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="streamgate", error="invalid_token", error_description="token has expired"',
    );
  });

  test('that asks the caller to wait carries Retry-After', async () => {
    const { pipeline: run } = pipeline();
    const response = await run.run('logout', event(), failing(new RateLimited(17)));
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('17');
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  test('is signalled to the route with the context the request had reached when it failed', async () => {
    const { pipeline: run } = pipeline();
    const denied: { error: ApiError; context: RequestContext }[] = [];
    await run.run(
      'licence',
      event(),
      async (request) => {
        request.reached(withContext(request.context, { sub: 'alice', videoId: 'demo-1' }));
        throw new InvalidToken('revoked', 'token has been revoked');
      },
      { denied: (error, context) => denied.push({ error, context }) },
    );
    expect(denied).toHaveLength(1);
    expect(denied[0].error.reason).toBe('revoked');
    expect(denied[0].context).toEqual({ operation: 'licence', requestId: 'req-1', sub: 'alice', videoId: 'demo-1' });
  });

  test('of a revoked token is counted as its reuse, and a store outage as a store error; other refusals as neither', async () => {
    const { pipeline: run, signals } = pipeline();
    await run.run('playback', event(), failing(new InvalidToken('revoked', 'token has been revoked')));
    await run.run('playback', event(), failing(new StoreUnavailable('read timed out')));
    await run.run('playback', event(), failing(new InvalidToken('expired', 'token has expired')));
    expect(signals.kinds()).toEqual(['revoked-token-reuse', 'store-error']);
  });
});

test('an unexpected failure is a 500 that carries nothing of it', async () => {
  const { pipeline: run } = pipeline();
  const answered = jest.fn();
  const denied = jest.fn();
  const response = await run.run('revoke', event(), failing(new TypeError('secret-table-name is not a function')), {
    answered,
    denied,
  });
  expect(response.statusCode).toBe(500);
  expect(JSON.parse(response.body ?? '')).toEqual({
    error: 'server_error',
    reason: 'internal_error',
    error_description: 'internal error',
  });
  expect(response.body).not.toContain('secret-table-name');
  expect(answered).not.toHaveBeenCalled();
  expect(denied).not.toHaveBeenCalled();
});

describe('the origin check', () => {
  const verifier = () => OriginVerifier.create(async () => ({ current: ORIGIN_SECRET }));

  test('refuses a call without the value CloudFront adds before any step runs, and signals the denial', async () => {
    const { pipeline: run, signals } = pipeline(await verifier());
    for (const headers of [{}, { 'x-origin-verify': `${ORIGIN_SECRET}x` }] as Record<string, string>[]) {
      const steps = jest.fn(async () => jsonResponse(200, {}));
      const denied: string[] = [];
      const response = await run.run('playback', event(headers), steps, {
        denied: (error) => denied.push(error.reason),
      });
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(response.body ?? '')).toMatchObject({ error: 'forbidden', reason: 'origin_not_verified' });
      expect(steps).not.toHaveBeenCalled();
      expect(denied).toEqual(['origin_not_verified']);
    }
    expect(signals.flushes).toBe(2);
  });

  test('lets a call carrying the value through to the steps', async () => {
    const { pipeline: run } = pipeline(await verifier());
    const response = await run.run('playback', event({ 'x-origin-verify': ORIGIN_SECRET }), async () =>
      jsonResponse(200, { ok: true }),
    );
    expect(response.statusCode).toBe(200);
  });

  test('is no check without a verifier (local mode)', async () => {
    const { pipeline: run } = pipeline();
    expect((await run.run('playback', event(), async () => jsonResponse(200, {}))).statusCode).toBe(200);
  });
});

test('the signals are flushed once per call, whether it is answered, refused or fails', async () => {
  const { pipeline: run, signals } = pipeline();
  await run.run('playback', event(), async () => jsonResponse(200, {}));
  expect(signals.flushes).toBe(1);
  await run.run('playback', event(), failing(new InvalidToken('expired', 'token has expired')));
  expect(signals.flushes).toBe(2);
  await run.run('playback', event(), failing(new Error('boom')));
  expect(signals.flushes).toBe(3);
});

test('the steps see the request, the clock read once, and a frozen context that only a new one extends', async () => {
  const { pipeline: run } = pipeline();
  let seen: RouteRequest | undefined;
  const answered: RequestContext[] = [];
  await run.run(
    'playback',
    event(),
    async (request) => {
      seen = request;
      request.reached(withContext(request.context, { jti: 'j-1' }));
      return jsonResponse(200, {});
    },
    { answered: (context) => answered.push(context) },
  );
  expect(seen?.now).toBe(NOW);
  expect(seen?.event.rawPath).toBe('/api/v1/playback/demo-1');
  expect(Object.isFrozen(seen?.context)).toBe(true);
  expect(seen?.context).toEqual({ operation: 'playback', requestId: 'req-1' });
  expect(answered).toEqual([{ operation: 'playback', requestId: 'req-1', jti: 'j-1' }]);
  expect(Object.isFrozen(answered[0])).toBe(true);
});
