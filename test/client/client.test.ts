/**
 * streamgate-client's session against the real local API (in-process stack, dev IdP tokens over
 * HTTP): grants and their refresh at refreshAfter, typed denials, signed-URL scoping, and the
 * backoff on 503/429/network failures honouring Retry-After.
 */
import {
  createPlaybackSession,
  denialOf,
  StreamgateError,
  type Grant,
  type PlaybackSession,
  type StreamgateDenial,
} from '../../client/src';
import { next, RATE_LIMIT_PER_WINDOW, SIGNED_TTL_SECONDS, startClientStack, type ClientStack } from './stack';

let env: ClientStack;
const sessions: PlaybackSession[] = [];
beforeAll(async () => {
  env = await startClientStack();
});
afterEach(() => {
  for (const session of sessions.splice(0)) session.stop();
});
afterAll(async () => {
  await env.close();
});

type Options = Parameters<typeof createPlaybackSession>[0];
function session(videoId: string, getToken: Options['getToken'], options: Partial<Options> = {}): PlaybackSession {
  const created = createPlaybackSession({ apiBase: env.apiBase, videoId, getToken, ...options });
  sessions.push(created);
  return created;
}

/** A fetch that records the Set-Cookie of each answer, as the browser's cookie jar would. */
function cookieJar(): { fetch: typeof fetch; cookie: () => string } {
  let cookie = '';
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const set = response.headers.getSetCookie();
      if (set.length > 0) cookie = set.map((value) => value.split(';')[0]).join('; ');
      return response;
    },
    cookie: () => cookie,
  };
}

test('cookie mode: the grant lands as cookies that open the manifest, and is refreshed at refreshAfter with a fresh token', async () => {
  const jar = cookieJar();
  let tokens = 0;
  const grants: Grant[] = [];
  const s = session(
    'demo-1',
    () => {
      tokens += 1;
      return env.token('cookie-viewer', ['demo-1']);
    },
    { fetch: jar.fetch, onGrant: (grant) => grants.push(grant) },
  );

  const first = await s.ready;
  const grantedAt = Date.now();
  expect(first).toMatchObject({
    videoId: 'demo-1',
    delivery: 'cookie',
    manifestUrl: `${env.apiBase}/media/demo-1/index.m3u8`,
  });
  expect(first.signedQuery).toBeUndefined();
  expect(s.signedQuery).toBeUndefined();
  expect(first.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(SIGNED_TTL_SECONDS * 1000);
  expect(first.refreshAfter.getTime()).toBeLessThan(first.expiresAt.getTime());
  expect((await fetch(first.manifestUrl, { headers: { cookie: jar.cookie() } })).status).toBe(200);
  // Cookie mode leaves URLs alone.
  expect(s.withSignedQuery('segment_000.m2ts')).toBe('segment_000.m2ts');

  const second = await next<Grant>((listener) => s.on('grant', listener));
  const waited = Date.now() - grantedAt;
  expect(waited).toBeGreaterThanOrEqual(first.refreshAfter.getTime() - grantedAt - 1200);
  expect(waited).toBeLessThan(first.expiresAt.getTime() - grantedAt);
  expect(second.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
  expect(tokens).toBe(2);
  expect(grants).toEqual([first, second]);
  expect(s.grant).toBe(second);
  expect((await fetch(second.manifestUrl, { headers: { cookie: jar.cookie() } })).status).toBe(200);
}, 30000);

test("a device clock 10 minutes ahead: the refresh still waits for refreshAfter on the server's clock", async () => {
  const ahead = session('demo-1', () => env.token('skewed-viewer', ['demo-1']), { now: () => Date.now() + 600000 });
  const first = await ahead.ready;
  const grantedAt = Date.now();
  await next<Grant>((listener) => ahead.on('grant', listener));
  // Without the Date header's correction this would be the 1 s floor, then a refresh every second.
  expect(Date.now() - grantedAt).toBeGreaterThanOrEqual(first.refreshAfter.getTime() - grantedAt - 1200);
}, 30000);

test('a page shown again after its timers were throttled refreshes at once when the refresh is due', async () => {
  const page = Object.assign(new EventTarget(), {
    document: Object.assign(new EventTarget(), { visibilityState: 'visible' }),
  });
  const globals = globalThis as unknown as { window?: unknown; document?: unknown };
  globals.window = page;
  globals.document = page.document;
  let late = 0;
  try {
    const s = session('demo-1', () => env.token('sleepy-viewer', ['demo-1']), { now: () => Date.now() + late });
    const first = await s.ready;
    const shownAt = Date.now();
    page.document.dispatchEvent(new Event('visibilitychange')); // not due yet: nothing happens
    late = first.refreshAfter.getTime() - Date.now() + 100; // as if the device had slept until then
    const refreshed = next<Grant>((listener) => s.on('grant', listener));
    page.document.dispatchEvent(new Event('visibilitychange'));
    const second = await refreshed;
    expect(second).not.toBe(first);
    expect(second.expiresAt.getTime()).toBeGreaterThanOrEqual(first.expiresAt.getTime()); // whole seconds
    expect(Date.now() - shownAt).toBeLessThan(3000); // not the timer's 8 s
  } finally {
    delete globals.window;
    delete globals.document;
  }
}, 30000);

test('URL mode: withSignedQuery signs media URLs of this video only, never other videos, paths or origins', async () => {
  const s = session('demo-1', () => env.token('url-viewer', ['demo-1', 'demo-2']), { delivery: 'url' });
  const grant = await s.ready;
  expect(grant.signedQuery).toMatch(/Signature=/);
  expect(s.signedQuery).toBe(grant.signedQuery);
  expect(s.manifestUrl).toBe(grant.manifestUrl);
  const query = grant.signedQuery as string;

  const segment = s.withSignedQuery('segment_000.m2ts'); // relative to the manifest, as in the playlist
  expect(segment).toBe(`${env.apiBase}/media/demo-1/segment_000.m2ts?${query}`);
  expect((await fetch(segment)).status).toBe(200);
  expect((await fetch(s.withSignedQuery(`${env.apiBase}/media/demo-1/segment_001.m2ts`))).status).toBe(200);
  // The manifest URL is already signed: its signature is replaced, not repeated; other params stay.
  expect(s.withSignedQuery(grant.manifestUrl).match(/Signature=/g)).toHaveLength(1);
  expect(s.withSignedQuery(`${env.apiBase}/media/demo-1/index.m3u8?lang=en`)).toBe(
    `${env.apiBase}/media/demo-1/index.m3u8?lang=en&${query}`,
  );
  expect(s.withSignedQuery(`${env.apiBase}/media/demo-1/a.ts#t=1`)).toBe(
    `${env.apiBase}/media/demo-1/a.ts?${query}#t=1`,
  );

  const untouched = [
    `${env.apiBase}/media/demo-2/index.m3u8`,
    `${env.apiBase}/media/demo-1/../demo-2/index.m3u8`,
    `${env.apiBase}/media/demo-1/..%2Fdemo-2/index.m3u8`,
    `${env.apiBase}/media/demo-10/index.m3u8`,
    `${env.apiBase}/api/v1/playback/demo-1`,
    `${env.apiBase}/media/demo-1`,
    'https://evil.example/media/demo-1/segment_000.m2ts',
    `${env.apiBase.replace('localhost', '127.0.0.1')}/media/demo-1/segment_000.m2ts`,
    '/media/demo-2/segment_000.m2ts',
    'http://[not-a-host/media/demo-1/x.ts',
  ];
  for (const url of untouched) expect(s.withSignedQuery(url)).toBe(url);
  expect(s.isMediaUrl('segment_001.m2ts')).toBe(true);
  expect(s.isMediaUrl(`${env.apiBase}/media/demo-2/x.ts`)).toBe(false);
  // The query really opens only demo-1.
  expect((await fetch(`${env.apiBase}/media/demo-2/index.m3u8?${query}`)).status).toBe(403);
});

test('logout, then the next refresh: the session stops as revoked, with a sign-in action', async () => {
  const token = await env.token('leaving-viewer', ['demo-1']);
  const stops: Array<StreamgateDenial | undefined> = [];
  const s = session('demo-1', () => token, { onStop: (denial) => stops.push(denial) });
  await s.ready;
  expect((await env.logout(token)).status).toBe(204);
  s.refresh();
  const stopped = await next<StreamgateDenial | undefined>((listener) => s.on('stop', listener));
  expect(stopped).toMatchObject({
    kind: 'revoked',
    status: 401,
    code: 'invalid_token',
    action: 'sign-in',
    message: 'Your access was revoked. Sign in again to watch.',
  });
  expect(stops).toEqual([stopped]);
  expect(s.stopped).toBe(true);
  expect(s.denial).toBe(stopped);
});

test('a token the API refuses for any other reason: signed-out', async () => {
  const s = session('demo-1', () => 'not.a.jwt');
  const error: unknown = await s.ready.catch((reason: unknown) => reason);
  expect(error).toBeInstanceOf(StreamgateError);
  expect((error as StreamgateError).denial).toMatchObject({
    kind: 'signed-out',
    status: 401,
    code: 'invalid_token',
    action: 'sign-in',
  });
  // getToken failing (the app's sign-in expired) is signed-out too, without calling the API.
  const failing = session('demo-1', () => Promise.reject(new Error('refresh token expired')));
  await expect(failing.ready).rejects.toMatchObject({ denial: { kind: 'signed-out', action: 'sign-in' } });
});

test('a video the token is not entitled to: not-entitled, pick another', async () => {
  const s = session('demo-2', () => env.token('demo-1-only', ['demo-1']));
  await expect(s.ready).rejects.toMatchObject({
    denial: {
      kind: 'not-entitled',
      status: 403,
      code: 'insufficient_scope',
      action: 'pick-another',
      message: "Your account doesn't include this video.",
    },
  });
  expect(s.stopped).toBe(true);
  expect(s.manifestUrl).toBeUndefined();
});

test('a malformed video id: bad-request, no retry', async () => {
  const retries: unknown[] = [];
  const s = session('bad id!', () => env.token('bad-request-viewer', ['demo-1']));
  s.on('retry', (value) => retries.push(value));
  await expect(s.ready).rejects.toMatchObject({
    denial: { kind: 'bad-request', status: 400, code: 'invalid_request', action: 'none' },
  });
  expect(retries).toEqual([]);
});

test('store down: 503 is retried after Retry-After (not sooner), and the session recovers when the store is back', async () => {
  const s = session('demo-1', () => env.token('patient-viewer', ['demo-1']), { random: () => 0 });
  const first = await s.ready;
  await env.stopStore();
  try {
    const retried = next<{ denial: StreamgateDenial; delayMs: number; attempt: number }>((listener) =>
      s.on('retry', listener),
    );
    s.refresh();
    const retry = await retried;
    const retryAt = Date.now();
    expect(retry.denial).toMatchObject({
      kind: 'unavailable',
      status: 503,
      code: 'temporarily_unavailable',
      action: 'retry-later',
      retryAfterSeconds: 5,
    });
    expect(retry.delayMs).toBeGreaterThanOrEqual(5000);
    expect(retry.attempt).toBe(1);
    expect(s.stopped).toBe(false);
    expect(s.grant).toBe(first); // the current grant stays in use until it expires
    const recovered = next<Grant>((listener) => s.on('grant', listener));
    await env.restartStore();
    const grant = await recovered;
    expect(Date.now() - retryAt).toBeGreaterThanOrEqual(4900);
    expect(grant.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
  } finally {
    if (s.grant === first) await env.restartStore().catch(() => undefined);
  }
}, 30000);

test('first request while the store is down: ready waits through the retries and resolves on recovery', async () => {
  await env.stopStore();
  const s = session('demo-1', () => env.token('early-viewer', ['demo-1']), { random: () => 0 });
  const retry = await next<{ denial: StreamgateDenial; delayMs: number }>((listener) => s.on('retry', listener));
  expect(retry.denial.kind).toBe('unavailable');
  await env.restartStore();
  await expect(s.ready).resolves.toMatchObject({ videoId: 'demo-1' });
}, 30000);

test('429: rate-limited, retried no sooner than Retry-After; stop() ends it with no denial', async () => {
  const token = await env.token('hasty-viewer', ['demo-1']);
  // Rate windows are 60 s aligned to the clock: start the burst with time to spare in one, or
  // the limit can be reached in its last seconds (Retry-After 1 or 2).
  const intoWindow = (Date.now() / 1000) % 60;
  if (intoWindow > 45) await new Promise((done) => setTimeout(done, (60 - intoWindow + 0.5) * 1000));
  let retryAfter = 0;
  for (let call = 0; call <= RATE_LIMIT_PER_WINDOW && retryAfter < 3; call += 1) {
    const response = await fetch(`${env.apiBase}/api/v1/playback/demo-1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status === 429) retryAfter = Number(response.headers.get('retry-after'));
  }
  expect(retryAfter).toBeGreaterThanOrEqual(3);
  const stops: unknown[] = [];
  const s = session('demo-1', () => token, { onStop: (denial) => stops.push(denial) });
  const retry = await next<{ denial: StreamgateDenial; delayMs: number }>((listener) => s.on('retry', listener));
  expect(retry.denial).toMatchObject({
    kind: 'rate-limited',
    status: 429,
    code: 'rate_limited',
    action: 'retry-later',
  });
  expect(retry.delayMs).toBeGreaterThanOrEqual((retry.denial.retryAfterSeconds ?? 0) * 1000);
  expect(retry.denial.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  s.stop();
  expect(stops).toEqual([undefined]);
  await expect(s.ready).rejects.toBeInstanceOf(StreamgateError);
}, 90000);

test('network failures back off exponentially and stop as network after maxRetries', async () => {
  const delays: number[] = [];
  const s = createPlaybackSession({
    apiBase: 'http://127.0.0.1:1',
    videoId: 'demo-1',
    getToken: () => 'unused',
    random: () => 1,
    retry: { baseDelayMs: 20, maxDelayMs: 50, maxRetries: 3 },
  });
  s.on('retry', ({ delayMs }) => delays.push(delayMs));
  await expect(s.ready).rejects.toMatchObject({ denial: { kind: 'network', action: 'retry-later' } });
  expect(delays).toEqual([20, 40, 50]);
});

describe('a media 403 (the edge refused the grant): ask the API again at once', () => {
  test('the API grants: one check, a fresh grant at once; 403s of older requests are ignored; a 403 again after that grant stops it as media-denied', async () => {
    const s = session('demo-1', () => env.token('edge-refused', ['demo-1']), { mediaGraceMs: 300 });
    const first = await s.ready;
    const checks: unknown[] = [];
    s.on('check', (value) => checks.push(value));
    const refreshed = next<Grant>((listener) => s.on('grant', listener));
    const askedAt = Date.now();
    s.mediaForbidden(`${env.apiBase}/media/demo-1/segment_001.m2ts`);
    s.mediaForbidden(`${env.apiBase}/media/demo-1/segment_002.m2ts`); // the same refusal, while asking
    const second = await refreshed;
    expect(Date.now() - askedAt).toBeLessThan(first.refreshAfter.getTime() - askedAt); // not the scheduled refresh
    expect(second).not.toBe(first);
    expect(checks).toEqual([{ url: `${env.apiBase}/media/demo-1/segment_001.m2ts` }]);
    // Another video's URL is none of this session's business.
    s.mediaForbidden(`${env.apiBase}/media/demo-2/segment_000.m2ts`);
    // Right after the grant: a request made before it.
    s.mediaForbidden(`${env.apiBase}/media/demo-1/segment_001.m2ts`);
    expect(s.stopped).toBe(false);
    await new Promise((wake) => setTimeout(wake, 350));
    const stopped = next<StreamgateDenial | undefined>((listener) => s.on('stop', listener));
    s.mediaForbidden(`${env.apiBase}/media/demo-1/segment_001.m2ts`);
    expect(await stopped).toMatchObject({ kind: 'media-denied', status: 403, action: 'retry-later' });
    expect(checks).toHaveLength(1);
  }, 30000);

  test('revoked (logout): the check is refused at once, 401 revoked, long before the scheduled refresh', async () => {
    const token = await env.token('edge-revoked', ['demo-1']);
    const s = session('demo-1', () => token);
    const first = await s.ready;
    expect((await env.logout(token)).status).toBe(204);
    const askedAt = Date.now();
    const stopped = next<StreamgateDenial | undefined>((listener) => s.on('stop', listener));
    s.mediaForbidden();
    expect(await stopped).toMatchObject({ kind: 'revoked', status: 401, code: 'invalid_token', action: 'sign-in' });
    expect(Date.now() - askedAt).toBeLessThan(first.refreshAfter.getTime() - askedAt);
  }, 30000);

  test('URL mode: a 403 on a URL signed by an older grant is ignored after the check; one signed by the fresh grant stops it', async () => {
    const s = session('demo-1', () => env.token('edge-refused-url', ['demo-1']), { delivery: 'url' });
    await s.ready;
    const old = s.withSignedQuery('segment_001.m2ts');
    // Grants of one second have the same expiry, so the same signature: let the next one differ.
    await new Promise((wake) => setTimeout(wake, 1100));
    const refreshed = next<Grant>((listener) => s.on('grant', listener));
    s.mediaForbidden(old);
    await refreshed;
    const current = s.withSignedQuery('segment_001.m2ts');
    expect(current).not.toBe(old);
    s.mediaForbidden(old); // an older request, whenever it is reported
    expect(s.stopped).toBe(false);
    s.mediaForbidden(current); // no grace needed: it carried the fresh signature
    expect(s.denial).toMatchObject({ kind: 'media-denied' });
  }, 30000);
});

test("every API reason code has its own kind, words and action (session_ended: the stream limit's evict-oldest)", () => {
  const cases: Array<[number, string, string, string, string, RegExp]> = [
    [401, 'invalid_token', 'revoked', 'revoked', 'sign-in', /revoked/i],
    [403, 'session_ended', 'session_ended', 'session-ended', 'retry-later', /ended .*another device/i],
    [403, 'concurrency_limit', 'concurrency_limit', 'too-many-streams', 'retry-later', /too many devices/i],
    [403, 'sharing_suspected', 'sharing_suspected', 'sharing', 'none', /shared/i],
    [403, 'insufficient_scope', 'not_entitled', 'not-entitled', 'pick-another', /doesn't include this video/],
    [429, 'rate_limited', 'rate_limited', 'rate-limited', 'retry-later', /Too many requests/],
    [503, 'temporarily_unavailable', 'unavailable', 'unavailable', 'retry-later', /briefly unavailable/],
  ];
  for (const [status, code, reason, kind, action, words] of cases) {
    const result = denialOf(status, { error: code, reason, error_description: 'x' }, undefined);
    expect([code, result.kind, result.action]).toEqual([code, kind, action]);
    expect(result.message).toMatch(words);
  }
  const kinds = cases.map(
    ([status, error, reason]) => denialOf(status, { error, reason, error_description: 'token revoked' }, 1).kind,
  );
  expect(new Set(kinds).size).toBe(cases.length);
});
