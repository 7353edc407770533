/**
 * Abuse defences against a real dynalite: token-sharing detection and each of its actions,
 * IPv6 /48 grouping, the concurrent-stream limit, the per-user rate limit, failing closed, and
 * the EMF metrics the handler prints (parsed and asserted).
 */
import { randomUUID } from 'node:crypto';
import { clientNetwork } from '../../lambda/core/client-network';
import type { HttpResponse } from '../../lambda/core/http';
import { apiEvent, bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');

interface Emf {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** Every EMF document the handler printed, flattened to (metric, dimensions, value). */
function emfMetrics(
  harness: Harness,
): { name: string; namespace: string; dimensions: Record<string, unknown>; value: unknown }[] {
  return harness.logs
    .records()
    .filter((record): record is Emf => typeof record._aws === 'object')
    .flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.map((metric) => ({
          name: metric.Name,
          namespace: directive.Namespace,
          dimensions: Object.fromEntries(directive.Dimensions.flat().map((name) => [name, doc[name]])),
          value: doc[metric.Name],
        })),
      ),
    );
}

const count = (harness: Harness, name: string) => emfMetrics(harness).filter((metric) => metric.name === name).length;
const errorOf = (response: HttpResponse) => (JSON.parse(response.body ?? '{}') as { error?: string }).error;

/** One harness per test: a clock we can move, and the limits each test names. */
async function harnessWith(env: Record<string, string>, clock?: { now: number }): Promise<Harness> {
  return startHarness({ idpKeys: [idp], extraEnv: env, now: clock === undefined ? undefined : () => clock.now });
}

function fromNetwork(harness: Harness, token: string, ip: string, country?: string): Promise<HttpResponse> {
  const headers: Record<string, string> = { 'cloudfront-viewer-address': `${ip}:443` };
  if (country !== undefined) headers['cloudfront-viewer-country'] = country;
  return harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token), headers }));
}

/** The `jti` claim of a compact JWS (its payload decoded, not verified: the API verifies). */
const tokenJti = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { jti: string }).jti;

const NETWORKS = ['198.51.100.10', '203.0.113.20', '192.0.2.30', '100.64.1.40', '100.64.2.50'];

describe('token-sharing detection', () => {
  test('the same token from 5 networks trips detection at the threshold and not before', async () => {
    const harness = await harnessWith({ SHARING_ACTION: 'alert' });
    const token = await mint(idp);
    for (const ip of NETWORKS.slice(0, 3)) {
      expect((await fromNetwork(harness, token, ip)).statusCode).toBe(200);
      // Two addresses in one /24 are one network.
      expect((await fromNetwork(harness, token, ip.replace(/\d+$/, '99'))).statusCode).toBe(200);
    }
    expect(count(harness, 'TokenSharingSuspected')).toBe(0);
    expect((await fromNetwork(harness, token, NETWORKS[3])).statusCode).toBe(200);
    expect(count(harness, 'TokenSharingSuspected')).toBe(1);
    expect((await fromNetwork(harness, token, NETWORKS[4])).statusCode).toBe(200);
    expect(count(harness, 'TokenSharingSuspected')).toBe(2);
    const warning = harness.logs.records().find((record) => record.message === 'token sharing suspected');
    expect(warning).toMatchObject({
      action: 'alert',
      sub: 'alice',
      networks: expect.arrayContaining(['100.64.1.0/24', '198.51.100.0/24']),
    });
    expect(JSON.stringify(warning)).not.toContain(token);
    await harness.close();
  });

  test('alert: the suspicious call and later calls still play; only a metric and a log say so', async () => {
    const harness = await harnessWith({ SHARING_ACTION: 'alert', SHARING_MAX_NETWORKS: '1' });
    const token = await mint(idp);
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[1])).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(200);
    expect(count(harness, 'TokenSharingSuspected')).toBeGreaterThanOrEqual(1);
    await harness.close();
  });

  test('deny: the new network gets 403 and nothing signed; the networks seen first keep playing', async () => {
    const harness = await harnessWith({ SHARING_ACTION: 'deny', SHARING_MAX_NETWORKS: '2' });
    const token = await mint(idp);
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[1])).statusCode).toBe(200);
    const denied = await fromNetwork(harness, token, NETWORKS[2]);
    expect(denied.statusCode).toBe(403);
    expect(errorOf(denied)).toBe('sharing_suspected');
    expect(denied.cookies ?? []).toEqual([]);
    expect((await fromNetwork(harness, token, NETWORKS[2])).statusCode).toBe(403);
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[1])).statusCode).toBe(200);
    await harness.close();
  });

  test("revoke-token: the revocation is written, so every later call with that token fails; the user's other tokens do not", async () => {
    const harness = await harnessWith({ SHARING_ACTION: 'revoke-token', SHARING_MAX_NETWORKS: '1' });
    const token = await mint(idp);
    const other = await mint(idp);
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[1])).statusCode).toBe(403);
    const later = await fromNetwork(harness, token, NETWORKS[0]);
    expect(later.statusCode).toBe(401);
    expect(JSON.parse(later.body ?? '{}')).toMatchObject({
      error: 'invalid_token',
      error_description: 'token has been revoked',
    });
    expect((await fromNetwork(harness, other, NETWORKS[0])).statusCode).toBe(200);
    expect(count(harness, 'RevokedTokenReuse')).toBe(1);
    await harness.close();
  });

  test('revoke-user: every token of the user issued until then fails afterwards', async () => {
    const clock = { now: Math.floor(Date.now() / 1000) };
    const harness = await harnessWith({ SHARING_ACTION: 'revoke-user', SHARING_MAX_NETWORKS: '1' }, clock);
    const sub = `viewer-${randomUUID()}`;
    const token = await mint(idp, { claims: { sub }, now: clock.now });
    const sibling = await mint(idp, { claims: { sub }, now: clock.now - 5 });
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[1])).statusCode).toBe(403);
    expect((await fromNetwork(harness, token, NETWORKS[0])).statusCode).toBe(401);
    expect((await fromNetwork(harness, sibling, NETWORKS[0])).statusCode).toBe(401);
    // A token issued within the clock tolerance after the cut-off is refused too; one after it plays.
    expect(
      (await fromNetwork(harness, await mint(idp, { claims: { sub }, now: clock.now + 25 }), NETWORKS[0])).statusCode,
    ).toBe(401);
    clock.now += 31;
    expect(
      (await fromNetwork(harness, await mint(idp, { claims: { sub }, now: clock.now }), NETWORKS[0])).statusCode,
    ).toBe(200);
    await harness.close();
  });

  test('more countries than allowed trips detection even from one network', async () => {
    const harness = await harnessWith({ SHARING_ACTION: 'deny' });
    const token = await mint(idp);
    expect((await fromNetwork(harness, token, NETWORKS[0], 'NL')).statusCode).toBe(200);
    expect((await fromNetwork(harness, token, NETWORKS[0], 'NL')).statusCode).toBe(200);
    const denied = await fromNetwork(harness, token, NETWORKS[0], 'BR');
    expect(denied.statusCode).toBe(403);
    expect(errorOf(denied)).toBe('sharing_suspected');
    await harness.close();
  });

  test('IPv6 clients are grouped by /48', async () => {
    expect(clientNetwork('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(clientNetwork('2001:0db8:abcd:ffff:1:2:3:4')).toBe('2001:db8:abcd::/48');
    expect(clientNetwork('::ffff:198.51.100.7')).toBe('198.51.100.0/24');
    expect(clientNetwork('not-an-ip')).toBeUndefined();

    const harness = await harnessWith({ SHARING_ACTION: 'deny', SHARING_MAX_NETWORKS: '2' });
    const token = await mint(idp);
    for (const ip of ['2001:db8:1:a::1', '2001:db8:1:b::2', '2001:db8:1:ffff::3', '2001:db8:2::9', '2001:db8:2:1::9']) {
      expect((await fromNetwork(harness, token, ip)).statusCode).toBe(200);
    }
    expect((await fromNetwork(harness, token, '2001:db8:3::1')).statusCode).toBe(403);
    await harness.close();
  });
});

describe('concurrent-stream limit', () => {
  test('admits N sessions, refuses the N+1th, ignores refreshes, frees a slot on logout and on expiry', async () => {
    const clock = { now: Math.floor(Date.now() / 1000) };
    const harness = await harnessWith({ MAX_CONCURRENT_STREAMS: '2', SIGNED_TTL_SECONDS: '300' }, clock);
    const sub = `viewer-${randomUUID()}`;
    const [first, second, third] = await Promise.all(
      [1, 2, 3].map(() => mint(idp, { claims: { sub }, now: clock.now })),
    );
    const play = (token: string) => harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }));

    expect((await play(first)).statusCode).toBe(200);
    expect((await play(second)).statusCode).toBe(200);
    expect((await play(first)).statusCode).toBe(200); // a refresh, not a third session
    const refused = await play(third);
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body ?? '{}')).toMatchObject({
      error: 'concurrency_limit',
      error_description: expect.stringMatching(/2 sessions/),
    });
    expect(refused.cookies ?? []).toEqual([]);

    expect(
      (await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(second) }))).statusCode,
    ).toBe(204);
    expect((await play(third)).statusCode).toBe(200);
    expect((await play(second)).statusCode).toBe(401); // logged out for good

    // Once a session's access expires its slot is free again.
    const fourth = await mint(idp, { claims: { sub }, now: clock.now });
    expect((await play(fourth)).statusCode).toBe(403);
    clock.now += 301;
    expect((await play(fourth)).statusCode).toBe(200);
    await harness.close();
  });

  test('a call refused for another reason (here: a revoked token) does not keep a stream slot', async () => {
    const harness = await harnessWith({ MAX_CONCURRENT_STREAMS: '1' });
    const sub = `viewer-${randomUUID()}`;
    const [revoked, honest] = await Promise.all([1, 2].map(() => mint(idp, { claims: { sub } })));
    await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(revoked) }));
    // The slot is claimed in the same round trip as the revocation read, then given back.
    expect((await fromNetwork(harness, revoked, NETWORKS[0])).statusCode).toBe(401);
    expect((await fromNetwork(harness, honest, NETWORKS[0])).statusCode).toBe(200);
    await harness.close();
  });

  test('an IPv6 viewer refused by IP binding does not keep a stream slot', async () => {
    const harness = await harnessWith({ MAX_CONCURRENT_STREAMS: '1', SIGN_BIND_VIEWER_IP: 'true' });
    const sub = `viewer-${randomUUID()}`;
    const [overIpv6, overIpv4] = await Promise.all([1, 2].map(() => mint(idp, { claims: { sub } })));
    expect((await fromNetwork(harness, overIpv6, '2001:db8::7')).statusCode).toBe(400);
    expect((await fromNetwork(harness, overIpv4, NETWORKS[0])).statusCode).toBe(200);
    await harness.close();
  });

  test('concurrent first calls of N+2 sessions never admit more than N', async () => {
    const harness = await harnessWith({ MAX_CONCURRENT_STREAMS: '3' });
    const sub = `viewer-${randomUUID()}`;
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => mint(idp, { claims: { sub } })));
    const responses = await Promise.all(
      tokens.map((token) => harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }))),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    // Contention beyond the retries fails closed (503), never over-admits.
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(3);
    expect(statuses.every((status) => status === 200 || status === 403 || status === 503)).toBe(true);
    await harness.close();
  });
});

describe('per-user rate limit', () => {
  test('answers 429 with Retry-After past the limit, and recovers after the window', async () => {
    const clock = { now: 1_800_000_000 - (1_800_000_000 % 60) + 10 };
    const harness = await harnessWith({ RATE_LIMIT_PER_WINDOW: '5', RATE_LIMIT_WINDOW_SECONDS: '60' }, clock);
    const sub = `viewer-${randomUUID()}`;
    const token = await mint(idp, { claims: { sub }, now: clock.now });
    const play = () => harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }));
    for (let call = 0; call < 5; call += 1) expect((await play()).statusCode).toBe(200);
    const limited = await play();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('50');
    expect(errorOf(limited)).toBe('rate_limited');
    expect(limited.cookies ?? []).toEqual([]);
    // The limit follows the user, not the token.
    expect(
      (
        await harness.api.playback(
          playbackEvent('demo-1', { authorization: bearer(await mint(idp, { claims: { sub }, now: clock.now })) }),
        )
      ).statusCode,
    ).toBe(429);
    clock.now += 50;
    expect((await play()).statusCode).toBe(200);
    await harness.close();
  });
});

describe('admin revocations and the per-user rate limit', () => {
  /** A clock one second into a rate window, so every call below falls in that one window. */
  const windowStart = () => ({ now: 1_800_000_000 - (1_800_000_000 % 60) + 1 });
  /** The deployed defaults (the harness turns the limit off unless told). */
  const DEFAULT_LIMIT = { RATE_LIMIT_PER_WINDOW: '60', RATE_LIMIT_WINDOW_SECONDS: '60' };
  const revoke = (harness: Harness, token: string, body: unknown) =>
    harness.api.revocations(
      apiEvent('POST', '/api/v1/revocations', { authorization: bearer(token), body: JSON.stringify(body) }),
    );

  test('200 revocations by one admin in one minute are all stored (the default viewer limit is 60)', async () => {
    const clock = windowStart();
    const harness = await harnessWith(DEFAULT_LIMIT, clock);
    try {
      const admin = await mint(idp, { claims: { sub: 'incident-bot', scope: 'streamgate:admin' }, now: clock.now });
      const victims = await Promise.all(
        Array.from({ length: 200 }, (_, i) => mint(idp, { claims: { sub: `victim-${i}` }, now: clock.now - 5 })),
      );
      const statuses: number[] = [];
      for (let i = 0; i < victims.length; i += 1)
        statuses.push((await revoke(harness, admin, { sub: `victim-${i}`, jti: tokenJti(victims[i]) })).statusCode);
      expect(statuses).toEqual(Array(200).fill(201));
      // Stored: each victim's token is refused from then on.
      for (const victim of [victims[0], victims[99], victims[199]])
        expect(
          (await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(victim) }))).statusCode,
        ).toBe(401);
    } finally {
      await harness.close();
    }
  });

  test('uncounted is not unchecked: a revoked admin token revokes nothing more', async () => {
    const clock = windowStart();
    const harness = await harnessWith(DEFAULT_LIMIT, clock);
    try {
      const admin = await mint(idp, { claims: { sub: 'incident-bot', scope: 'streamgate:admin' }, now: clock.now - 5 });
      expect((await revoke(harness, admin, { sub: 'incident-bot', jti: tokenJti(admin) })).statusCode).toBe(201);
      const refused = await revoke(harness, admin, { sub: 'alice' });
      expect(refused.statusCode).toBe(401);
      expect(errorOf(refused)).toBe('invalid_token');
    } finally {
      await harness.close();
    }
  });

  test("viewers' limits are unchanged: 429 after 60 calls, on playback and on the revocations route alike", async () => {
    const clock = windowStart();
    const harness = await harnessWith(DEFAULT_LIMIT, clock);
    try {
      const viewer = await mint(idp, { claims: { sub: `viewer-${randomUUID()}` }, now: clock.now });
      const play = () => harness.api.playback(playbackEvent('demo-1', { authorization: bearer(viewer) }));
      for (let call = 0; call < 60; call += 1) expect((await play()).statusCode).toBe(200);
      expect((await play()).statusCode).toBe(429);
      // A viewer's token on the admin route: refused for its scope, and counted all the same.
      const other = await mint(idp, { claims: { sub: `viewer-${randomUUID()}` }, now: clock.now });
      for (let call = 0; call < 60; call += 1)
        expect(errorOf(await revoke(harness, other, { sub: 'alice' }))).toBe('insufficient_scope');
      const limited = await revoke(harness, other, { sub: 'alice' });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBe('59');
    } finally {
      await harness.close();
    }
  });
});

describe('failing closed with every defence on', () => {
  test('store down: 503, Retry-After, nothing signed, and a RevocationStoreError metric', async () => {
    const harness = await harnessWith({
      MAX_CONCURRENT_STREAMS: '3',
      RATE_LIMIT_PER_WINDOW: '60',
      SHARING_ACTION: 'deny',
    });
    await harness.dynamo.stop();
    const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) }));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.cookies ?? []).toEqual([]);
    expect(count(harness, 'RevocationStoreError')).toBe(1);
    harness.logs.stop();
  });
});

describe('EMF metrics', () => {
  test('namespace Streamgate, service dimension, authorized/denied counts, reasons and latency', async () => {
    const harness = await harnessWith({});
    await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) }));
    await harness.api.playback(
      playbackEvent('demo-1', {
        authorization: bearer(await mint(idp, { now: Math.floor(Date.now() / 1000) - 2000 })),
      }),
    );
    await harness.api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(idp, { claims: { videos: ['other'] } })) }),
    );
    const metrics = emfMetrics(harness);
    expect(metrics.every((metric) => metric.namespace === 'Streamgate')).toBe(true);
    expect(metrics.every((metric) => metric.dimensions.service === 'streamgate')).toBe(true);
    expect(metrics.find((metric) => metric.name === 'PlaybackAuthorized')).toMatchObject({
      value: 1,
      dimensions: { service: 'streamgate' },
    });
    const denied = metrics.filter((metric) => metric.name === 'PlaybackDenied');
    expect(denied.filter((metric) => metric.dimensions.Reason === undefined)).toHaveLength(2);
    expect(
      denied
        .map((metric) => metric.dimensions.Reason)
        .filter(Boolean)
        .sort(),
    ).toEqual(['expired', 'not_entitled']);
    const latencies = metrics.filter((metric) => metric.name === 'AuthorizeLatency').map((metric) => metric.value);
    expect(latencies).toHaveLength(3);
    for (const latency of latencies) expect(typeof latency === 'number' && latency > 0 && latency < 5000).toBe(true);
    // Never a high-cardinality dimension.
    const dimensionNames = new Set(metrics.flatMap((metric) => Object.keys(metric.dimensions)));
    expect([...dimensionNames].sort()).toEqual(['Reason', 'service']);
    await harness.close();
  });
});
