/**
 * The licence route through the real API (real config parsing, jose, dynalite) in front of real
 * loopback licence servers: the local ClearKey server (local/drm/clearkey-server.ts) with its
 * credential header, and a misbehaving one (hangs, 5xx, 4xx, oversize, unreachable).
 *
 * Every rejection of the playback threat model (docs/threat-model.md) applies here, each its own
 * test, and each asserts the licence server was never asked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpResponse } from '../../lambda/core/http';
import type { ContentKey } from '../../local/drm/cenc-encrypter';
import { ClearKeyLicenceServer, clearKeyHttpHandler } from '../../local/drm/clearkey-server';
import { ClearKeyUpstream } from '../../local/drm/clearkey-upstream';
import { malformedClearKeyRequests } from '../support/clearkey-requests';
import { apiEvent, bearer, licenceEvent, playbackEvent, startHarness, type Harness } from '../support/harness';
import { AUDIENCE, hmacWithPublicKey, idpKey, ISSUER, mint, unsignedToken, validClaims } from '../support/tokens';

const rsa = idpKey('RS256');
const ec = idpKey('ES256');
const stranger = idpKey('RS256', rsa.kid);
const UPSTREAM_CREDENTIAL = `upstream-${randomBytes(12).toString('hex')}`;
const TIMEOUT_MS = 400;

const contentKey = (): ContentKey => ({ kid: randomBytes(16), key: randomBytes(16) });
/** demo-3's key is checked by the licence server; demo-4's key ids are also in the catalog, so the proxy checks too. */
const KEYS: Record<string, ContentKey[]> = { 'demo-3': [contentKey()], 'demo-4': [contentKey(), contentKey()] };
const kidOf = (videoId: string, index = 0): string => KEYS[videoId][index].kid.toString('base64url');
const clearKeyRequest = (...kids: string[]): string => JSON.stringify({ kids, type: 'temporary' });
/** Tokens here ask for licences without playing first: no sharing record to judge them by (see the last describe). */
const NO_SHARING_RECORD = { SHARING_MAX_NETWORKS: '0' };

interface Upstream {
  url: string;
  server: Server;
  calls: { path: string; headers: IncomingMessage['headers']; body: Buffer }[];
}

/** A loopback licence server that records each call; `readsBody`: the handler reads the body itself. */
async function upstream(
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  options: { readsBody?: boolean } = {},
): Promise<Upstream> {
  const calls: Upstream['calls'] = [];
  const server = createServer((req, res) => {
    if (options.readsBody === true) {
      calls.push({ path: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) });
      handle(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      calls.push({ path: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls };
}

type Mode =
  | 'licence'
  | 'hang'
  | 'fail'
  | 'unauthorized'
  | 'forbidden'
  | 'policy'
  | 'malformed'
  | 'too-large'
  | 'empty'
  | 'huge'
  | 'redirect'
  | 'extra-key';
let mode: Mode = 'licence';
let clearKey: Upstream;
let vendor: Upstream;
let harness: Harness;
const WIDEVINE_LICENCE = randomBytes(700);

beforeAll(async () => {
  const licences = new ClearKeyLicenceServer((videoId) => KEYS[videoId]);
  const http = clearKeyHttpHandler(licences, { credential: { header: 'x-upstream-key', value: UPSTREAM_CREDENTIAL } });
  clearKey = await upstream((req, res) => void http(req, res), { readsBody: true });
  vendor = await upstream((_req, res) => {
    if (mode === 'hang') return; // never answers
    if (mode === 'fail') res.writeHead(500, { 'content-type': 'text/plain' }).end('licence backend exploded');
    // Refusals of the proxy's credential (the defaults, 401 and 403), of the request, and of the device.
    else if (mode === 'unauthorized') res.writeHead(401, { 'content-type': 'text/plain' }).end('api key expired');
    else if (mode === 'forbidden') res.writeHead(403, { 'content-type': 'text/plain' }).end('api key revoked');
    else if (mode === 'policy') res.writeHead(409, { 'content-type': 'text/plain' }).end('device revoked');
    else if (mode === 'malformed') res.writeHead(400, { 'content-type': 'text/plain' }).end('bad challenge');
    else if (mode === 'too-large') res.writeHead(413, { 'content-type': 'text/plain' }).end('challenge too big');
    else if (mode === 'empty') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end();
    else if (mode === 'huge')
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(randomBytes(70_000));
    else if (mode === 'redirect') res.writeHead(302, { location: 'https://elsewhere.example/' }).end();
    else if (mode === 'extra-key') {
      // A ClearKey licence server gone wrong: the requested key and another video's.
      const keys = ['demo-3', 'demo-4'].map((videoId) => ({
        kty: 'oct',
        kid: kidOf(videoId),
        k: KEYS[videoId][0].key.toString('base64url'),
      }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys, type: 'temporary' }));
    } else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(WIDEVINE_LICENCE);
  });
  // A port nothing listens on: bound, then closed.
  const closed = await upstream(() => undefined);
  await new Promise<void>((done) => closed.server.close(() => done()));
  harness = await startHarness({
    idpKeys: [rsa, ec],
    extraEnv: {
      // No stream limit and no sharing detection: what the proxy does with a request is the point
      // here; the licence only for an admitted session is the last describe's.
      ...NO_SHARING_RECORD,
      DRM_CATALOG: JSON.stringify({
        'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' },
        'demo-4': {
          paths: ['/drm/demo-4/'],
          manifest: '/drm/demo-4/index.m3u8',
          keyIds: KEYS['demo-4'].map((key) => key.kid.toString('hex')),
        },
      }),
      LICENCE_UPSTREAMS: JSON.stringify({
        clearkey: {
          url: `${clearKey.url}/clearkey/{videoId}`,
          header: 'x-upstream-key',
          secretEnv: 'TEST_CLEARKEY_KEY',
          // Its 403 refuses a key id of another video: the viewer's refusal, not the credential's.
          credentialRefusedStatuses: [401],
        },
        widevine: { url: `${vendor.url}/widevine/{videoId}` },
        playready: { url: `${closed.url}/playready` },
      }),
      TEST_CLEARKEY_KEY: UPSTREAM_CREDENTIAL,
      LICENCE_TIMEOUT_MS: String(TIMEOUT_MS),
    },
    runtime: { licences: true },
  });
});
afterAll(async () => {
  for (const { server } of [clearKey, vendor]) {
    server.closeAllConnections();
    server.close();
  }
  await harness.close();
});
beforeEach(() => {
  mode = 'licence';
  clearKey.calls.length = 0;
  vendor.calls.length = 0;
});

function licence(
  authorization: string | undefined,
  options: { videoId?: string; system?: string; body?: string; base64?: boolean; contentType?: string } = {},
): Promise<HttpResponse> {
  const event = licenceEvent(options.videoId ?? 'demo-3', options.system ?? 'clearkey', {
    authorization,
    body: options.body ?? clearKeyRequest(kidOf(options.videoId === 'demo-4' ? 'demo-4' : 'demo-3')),
    headers: { 'content-type': options.contentType ?? 'application/json' },
  });
  if (options.base64 === true) event.isBase64Encoded = true;
  return harness.api.licence(event);
}

/** A refusal: status, code, no body from any licence server, and the licence server never asked. */
function expectRefused(response: HttpResponse, status: number, code: string, description?: RegExp): void {
  expect(response.statusCode).toBe(status);
  const body = JSON.parse(response.body ?? '{}') as { error: string; error_description: string; keys?: unknown };
  expect(body.error).toBe(code);
  expect(body.keys).toBeUndefined();
  if (description !== undefined) expect(body.error_description).toMatch(description);
  expect(response.cookies ?? []).toEqual([]);
  expect(clearKey.calls).toEqual([]);
}

function expectInvalidToken(response: HttpResponse, description: RegExp): void {
  expectRefused(response, 401, 'invalid_token', description);
  expect(response.headers['www-authenticate']).toMatch(
    /^Bearer realm="streamgate", error="invalid_token", error_description="[^"\\]+"$/,
  );
}

describe('a licence is issued', () => {
  test('to an entitled token: the ClearKey licence of exactly the requested key, the credential added upstream', async () => {
    const response = await licence(bearer(await mint(ec, { claims: { videos: ['demo-3'] } })));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.isBase64Encoded).toBe(false);
    const body = JSON.parse(response.body ?? '{}') as { keys: { kty: string; kid: string; k: string }[] };
    expect(body.keys).toEqual([{ kty: 'oct', kid: kidOf('demo-3'), k: KEYS['demo-3'][0].key.toString('base64url') }]);
    expect(clearKey.calls).toHaveLength(1);
    expect(clearKey.calls[0].path).toBe('/clearkey/demo-3');
    expect(clearKey.calls[0].headers['x-upstream-key']).toBe(UPSTREAM_CREDENTIAL);
    // The viewer's token never travels to the licence server.
    expect(clearKey.calls[0].headers.authorization).toBeUndefined();
  });

  test('a binary (Widevine-style) challenge is relayed byte for byte, and so is the binary licence', async () => {
    const challenge = randomBytes(1200);
    const response = await licence(bearer(await mint(ec)), {
      system: 'widevine',
      body: challenge.toString('base64'),
      base64: true,
      contentType: 'application/octet-stream',
    });
    expect(response.statusCode).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(Buffer.from(response.body ?? '', 'base64').equals(WIDEVINE_LICENCE)).toBe(true);
    expect(vendor.calls[0].body.equals(challenge)).toBe(true);
    expect(vendor.calls[0].path).toBe('/widevine/demo-3');
  });
});

describe('the licence route refuses, as playback does', () => {
  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    [
      'a malformed Authorization header',
      async () => `Basic ${Buffer.from('a:b').toString('base64')}`,
      /Bearer <token>/,
    ],
    ['a garbage token', async () => bearer('aaa.bbb.ccc'), /compact JWS|malformed/],
    [
      'a token with a bad signature',
      async () => {
        const [header, payload, signature] = (await mint(rsa)).split('.');
        return bearer(
          `${header}.${payload}.${signature[10] === 'A' ? signature.replace(/^(.{10})./, '$1B') : signature.replace(/^(.{10})./, '$1A')}`,
        );
      },
      /signature/,
    ],
    [
      'a token whose payload was altered after signing',
      async () => {
        const [header, , signature] = (await mint(rsa, { claims: { videos: ['demo-1'] } })).split('.');
        return bearer(
          `${header}.${Buffer.from(JSON.stringify({ ...validClaims(), videos: '*' })).toString('base64url')}.${signature}`,
        );
      },
      /signature/,
    ],
    ['a token whose alg is none', async () => bearer(unsignedToken(validClaims())), /algorithm/],
    [
      'an HS256 token signed with the RSA public key as the HMAC secret',
      async () => bearer(hmacWithPublicKey(rsa.publicPem, validClaims(), rsa.kid)),
      /algorithm/,
    ],
    [
      'a token signed by a key we do not trust under a trusted kid',
      async () => bearer(await mint(stranger)),
      /signature/,
    ],
    ['a token with an unknown kid', async () => bearer(await mint({ ...rsa, kid: 'someone-elses-key' })), /key id/],
    [
      'a token whose jku header points elsewhere',
      async () =>
        bearer(await mint(idpKey('RS256', 'attacker'), { header: { jku: 'https://attacker.example/jwks.json' } })),
      /jku/,
    ],
    [
      'a token that embeds its own jwk',
      async () => {
        const attacker = idpKey('ES256', 'attacker');
        return bearer(await mint(attacker, { header: { jwk: attacker.publicKey.export({ format: 'jwk' }) } }));
      },
      /jwk/,
    ],
    [
      'an expired token',
      async () => bearer(await mint(ec, { now: Math.floor(Date.now() / 1000) - 1000, lifetime: 900 })),
      /expired/,
    ],
    [
      'a token that is not yet valid (nbf in the future)',
      async () => bearer(await mint(ec, { claims: { nbf: Math.floor(Date.now() / 1000) + 120 } })),
      /not valid yet/,
    ],
    [
      'a token issued in the future (iat beyond the tolerance)',
      async () => bearer(await mint(ec, { claims: { iat: Math.floor(Date.now() / 1000) + 300 } })),
      /iat/,
    ],
    [
      'a token from the wrong issuer',
      async () => bearer(await mint(ec, { claims: { iss: 'https://evil.example/' } })),
      /issuer/,
    ],
    [
      'a token whose issuer differs only by a trailing slash',
      async () => bearer(await mint(ec, { claims: { iss: ISSUER.replace(/\/$/, '') } })),
      /issuer/,
    ],
    [
      'a token for the wrong audience',
      async () => bearer(await mint(ec, { claims: { aud: `${AUDIENCE}-x` } })),
      /audience/,
    ],
    ['a token without jti', async () => bearer(await mint(ec, { omit: ['jti'] })), /jti/],
    ['a token without sub', async () => bearer(await mint(ec, { omit: ['sub'] })), /sub/],
    ['a token whose lifetime exceeds the maximum', async () => bearer(await mint(ec, { lifetime: 3601 })), /lifetime/],
    ['an oversize token, before parsing it', async () => bearer('x'.repeat(100_000)), /larger than 8192/],
    [
      'a token whose videos claim is malformed',
      async () => bearer(await mint(ec, { claims: { videos: 'demo-3' } })),
      /videos/,
    ],
  ];
  test.each(cases)('%s', async (_name, authorization, description) => {
    expectInvalidToken(await licence(await authorization()), description);
  });

  test('a request with no Authorization header, with a bare RFC 6750 challenge', async () => {
    const response = await licence(undefined);
    expectRefused(response, 401, 'invalid_token');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="streamgate"');
  });

  test('a revoked jti (the viewer logged out)', async () => {
    const token = bearer(await mint(ec, { claims: { jti: randomUUID() } }));
    expect((await licence(token)).statusCode).toBe(200);
    clearKey.calls.length = 0;
    expect((await harness.api.session(playbackEvent('x', { authorization: token }))).statusCode).toBe(204);
    expectInvalidToken(await licence(token), /revoked/);
  });

  test('a revoked user', async () => {
    const sub = `user-${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const token = bearer(await mint(ec, { claims: { sub }, now: now - 10 }));
    expect((await licence(token)).statusCode).toBe(200);
    clearKey.calls.length = 0;
    await harness.access.revokeUser({ iss: ISSUER, sub }, now, now, now + 3600);
    expectInvalidToken(await licence(token), /revoked/);
  });

  test('a token not entitled to the video', async () => {
    const response = await licence(bearer(await mint(ec, { claims: { videos: ['demo-1', 'demo-4'] } })));
    expectRefused(response, 403, 'insufficient_scope', /not entitled/);
    expect(response.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  test('a token without the stream:play scope', async () => {
    expectRefused(
      await licence(bearer(await mint(ec, { claims: { scope: 'profile' } }))),
      403,
      'insufficient_scope',
      /stream:play/,
    );
  });

  test.each([
    ['path traversal', '..%2F..%2Fetc'],
    ['a slash', 'demo/3'],
    ['unicode', 'démo-3'],
    ['too long', 'a'.repeat(129)],
  ])('a bad videoId (%s)', async (_case, videoId) => {
    expectRefused(await licence(bearer(await mint(ec)), { videoId }), 400, 'invalid_request', /videoId/);
  });

  test('an unknown DRM system', async () => {
    expectRefused(
      await licence(bearer(await mint(ec)), { system: 'rot13' }),
      400,
      'invalid_request',
      /clearkey, widevine, playready, fairplay/,
    );
  });

  test('a DRM system this deployment has no licence server for', async () => {
    expectRefused(
      await licence(bearer(await mint(ec)), { system: 'fairplay' }),
      404,
      'not_found',
      /no fairplay licence server/,
    );
  });

  test('a video that is not in the DRM catalog (it has no keys)', async () => {
    expectRefused(await licence(bearer(await mint(ec)), { videoId: 'demo-1' }), 404, 'not_found', /not DRM-protected/);
  });

  test('a body larger than the cap, 413 before the token is even looked at', async () => {
    expectRefused(await licence(undefined, { body: 'x'.repeat(4097) }), 413, 'payload_too_large', /4096 bytes/);
    expectRefused(
      await licence(undefined, { body: randomBytes(4097).toString('base64'), base64: true }),
      413,
      'payload_too_large',
    );
  });

  test('an empty body, or a ClearKey request that is not W3C ClearKey JSON', async () => {
    const token = bearer(await mint(ec));
    expectRefused(await licence(token, { body: '' }), 400, 'invalid_request');
    for (const body of [
      'not json',
      '{}',
      '{"kids":[]}',
      '{"kids":["short"]}',
      JSON.stringify({ kids: Array(17).fill(kidOf('demo-3')) }),
    ])
      expectRefused(await licence(token, { body }), 400, 'invalid_request');
  });

  test('the rate limit: over the per-user limit, 429 with Retry-After and the licence server not asked', async () => {
    const limited = await startHarness({
      idpKeys: [ec],
      extraEnv: {
        ...NO_SHARING_RECORD,
        RATE_LIMIT_PER_WINDOW: '3',
        DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
        LICENCE_UPSTREAMS: JSON.stringify({
          clearkey: { url: `${clearKey.url}/clearkey/{videoId}`, header: 'x-upstream-key', secretEnv: 'K' },
        }),
        K: UPSTREAM_CREDENTIAL,
      },
      runtime: { licences: true },
    });
    try {
      const token = bearer(await mint(ec));
      const ask = () =>
        limited.api.licence(
          licenceEvent('demo-3', 'clearkey', { authorization: token, body: clearKeyRequest(kidOf('demo-3')) }),
        );
      for (let call = 0; call < 3; call += 1) expect((await ask()).statusCode).toBe(200);
      clearKey.calls.length = 0;
      const refused = await ask();
      expectRefused(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('ClearKey requests are checked before any licence server sees them', () => {
  test.each(malformedClearKeyRequests(kidOf('demo-3')))(
    'one the ClearKey server refuses as malformed (%s): 400 invalid_request, the licence server never asked',
    async (_name, body) => {
      const response = await licence(bearer(await mint(ec)), {
        body: Buffer.from(body).toString('base64'),
        base64: true,
      });
      expectRefused(response, 400, 'invalid_request', /not a W3C ClearKey licence request/);
    },
  );

  test.each([4097, 8000, 16_384])(
    'a %i-byte body, over the ClearKey cap (4096) and within the proxy’s (16384): 413 before the token is looked at',
    async (size) => {
      const request = clearKeyRequest(kidOf('demo-3'));
      const body = `${request.slice(0, -1)},"pad":"${'x'.repeat(size - request.length - 9)}"}`;
      expect(Buffer.byteLength(body)).toBe(size);
      expectRefused(await licence(undefined, { body }), 413, 'payload_too_large', /4096 bytes/);
      expectRefused(
        await licence(undefined, { body: Buffer.from(body).toString('base64'), base64: true }),
        413,
        'payload_too_large',
        /4096 bytes/,
      );
    },
  );

  test('another system’s challenge keeps the proxy’s cap: 8000 bytes are relayed, 16385 are 413', async () => {
    const challenge = randomBytes(8000);
    const relayed = await licence(bearer(await mint(ec)), {
      system: 'widevine',
      body: challenge.toString('base64'),
      base64: true,
      contentType: 'application/octet-stream',
    });
    expect(relayed.statusCode).toBe(200);
    expect(vendor.calls[0].body.equals(challenge)).toBe(true);
    const refused = await licence(undefined, {
      system: 'widevine',
      body: randomBytes(16_385).toString('base64'),
      base64: true,
    });
    expectRefused(refused, 413, 'payload_too_large', /16384 bytes/);
  });
});

describe('cross-video key ids', () => {
  test("a token for demo-3 asking for demo-4's key id: the licence server refuses, no key is returned", async () => {
    const token = bearer(await mint(ec, { claims: { videos: ['demo-3', 'demo-4'] } }));
    const response = await licence(token, { body: clearKeyRequest(kidOf('demo-4')) });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'licence_refused' });
    expect(response.body).not.toContain(KEYS['demo-4'][0].key.toString('base64url'));
    expect(clearKey.calls).toHaveLength(1); // refused upstream: demo-3 lists no key ids in the catalog
  });

  test("its own key id plus another video's: refused whole, not the allowed half", async () => {
    const response = await licence(bearer(await mint(ec)), { body: clearKeyRequest(kidOf('demo-3'), kidOf('demo-4')) });
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain(KEYS['demo-3'][0].key.toString('base64url'));
  });

  test('where the catalog lists the key ids, the proxy refuses a foreign one before the licence server sees it', async () => {
    const response = await licence(bearer(await mint(ec)), {
      videoId: 'demo-4',
      body: clearKeyRequest(kidOf('demo-4', 1), kidOf('demo-3')),
    });
    expectRefused(response, 403, 'licence_refused', /does not belong to this video/);
    const own = await licence(bearer(await mint(ec)), { videoId: 'demo-4', body: clearKeyRequest(kidOf('demo-4', 1)) });
    expect(own.statusCode).toBe(200);
  });
});

describe('licence server failures are mapped, never a hang', () => {
  const vendorCall = async () =>
    licence(bearer(await mint(ec)), {
      system: 'widevine',
      body: randomBytes(64).toString('base64'),
      base64: true,
      contentType: 'application/octet-stream',
    });

  test('no answer within the timeout: 504 with Retry-After, soon after the timeout', async () => {
    mode = 'hang';
    const started = Date.now();
    const response = await vendorCall();
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'gateway_timeout' });
    expect(response.headers['retry-after']).toBeDefined();
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
    vendor.server.closeAllConnections();
  });

  test('a 5xx answer: 502, and the server body is not relayed', async () => {
    mode = 'fail';
    const response = await vendorCall();
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'bad_gateway' });
    expect(response.body).not.toContain('exploded');
  });

  test.each([
    ['401', 'unauthorized', 'api key expired'],
    ['403', 'forbidden', 'api key revoked'],
  ] as const)(
    "the licence server refusing the proxy's credential (%s): 502, retryable, no upstream status or body to the viewer",
    async (status, answer, text) => {
      mode = answer;
      const response = await vendorCall();
      expect(response.statusCode).toBe(502);
      const body = JSON.parse(response.body ?? '{}') as { error: string; error_description: string };
      expect(body.error).toBe('bad_gateway');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(body.error_description).not.toContain(status);
      expect(response.body).not.toContain(text);
      expect(vendor.calls).toHaveLength(1);
    },
  );

  test('another 4xx answer (a refused device, a policy): 403 licence_refused, naming only the status', async () => {
    mode = 'policy';
    const response = await vendorCall();
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'licence_refused' });
    expect(response.body).not.toContain('device revoked');
  });

  test('a 400 or 413 answer: the request was malformed or too large for it, 400 / 413 as the API promises', async () => {
    mode = 'malformed';
    const malformed = await vendorCall();
    expect(malformed.statusCode).toBe(400);
    expect(JSON.parse(malformed.body ?? '{}')).toMatchObject({ error: 'invalid_request' });
    expect(malformed.body).not.toContain('bad challenge');
    mode = 'too-large';
    const tooLarge = await vendorCall();
    expect(tooLarge.statusCode).toBe(413);
    expect(JSON.parse(tooLarge.body ?? '{}')).toMatchObject({ error: 'payload_too_large' });
  });

  test('a ClearKey server whose credential was rotated at the vendor: 502 for every viewer, its own refusals stay 403', async () => {
    const rotated = await startHarness({
      idpKeys: [ec],
      extraEnv: {
        DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
        LICENCE_UPSTREAMS: JSON.stringify({
          clearkey: {
            url: `${clearKey.url}/clearkey/{videoId}`,
            header: 'x-upstream-key',
            secretEnv: 'K',
            credentialRefusedStatuses: [401],
          },
        }),
        ...NO_SHARING_RECORD,
        K: `${UPSTREAM_CREDENTIAL}-old`,
      },
      runtime: { licences: true },
    });
    try {
      const response = await rotated.api.licence(
        licenceEvent('demo-3', 'clearkey', {
          authorization: bearer(await mint(ec)),
          body: clearKeyRequest(kidOf('demo-3')),
        }),
      );
      expect(response.statusCode).toBe(502);
      expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'bad_gateway' });
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body).not.toMatch(/401|credential/);
      expect(clearKey.calls).toHaveLength(1);
      const denied = rotated.logs.records().filter((record) => record.message === 'request denied');
      expect(denied.at(-1)).toMatchObject({ status: 502, reason: 'upstream_credential_refused', upstreamStatus: 401 });
    } finally {
      await rotated.close();
    }
  });

  test('an empty, an oversize or a redirecting answer: 502 (never followed, never relayed)', async () => {
    for (const answer of ['empty', 'huge'] as const) {
      mode = answer;
      expect((await vendorCall()).statusCode).toBe(502);
    }
    mode = 'redirect';
    expect((await vendorCall()).statusCode).toBe(502);
    expect(vendor.calls.length).toBe(3);
  });

  test('a ClearKey licence holding a key nobody asked for: 502, and neither key reaches the viewer', async () => {
    const strict = await startHarness({
      idpKeys: [ec],
      extraEnv: {
        ...NO_SHARING_RECORD,
        DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
        LICENCE_UPSTREAMS: JSON.stringify({ clearkey: { url: `${vendor.url}/clearkey/{videoId}` } }),
      },
      runtime: { licences: true },
    });
    try {
      mode = 'extra-key';
      const response = await strict.api.licence(
        licenceEvent('demo-3', 'clearkey', {
          authorization: bearer(await mint(ec)),
          body: clearKeyRequest(kidOf('demo-3')),
        }),
      );
      expect(response.statusCode).toBe(502);
      for (const videoId of ['demo-3', 'demo-4'])
        expect(response.body).not.toContain(KEYS[videoId][0].key.toString('base64url'));
    } finally {
      await strict.close();
    }
  });

  test('an unreachable licence server: 503 with Retry-After', async () => {
    const response = await licence(bearer(await mint(ec)), {
      system: 'playready',
      body: 'AAAA',
      base64: true,
      contentType: 'application/octet-stream',
    });
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'temporarily_unavailable' });
    expect(response.headers['retry-after']).toBeDefined();
  });
});

describe('logs', () => {
  test('carry the outcome but no key, licence, request body, token or upstream credential', async () => {
    const token = await mint(ec, { claims: { videos: ['demo-3'] } });
    const granted = await licence(bearer(token));
    expect(granted.statusCode).toBe(200);
    await licence(bearer(token), { body: clearKeyRequest(kidOf('demo-4')) });
    const text = harness.logs.text();
    for (const secret of [
      KEYS['demo-3'][0].key.toString('base64url'),
      KEYS['demo-4'][0].key.toString('base64url'),
      kidOf('demo-3'),
      granted.body ?? 'unset',
      token,
      token.split('.')[2],
      UPSTREAM_CREDENTIAL,
      WIDEVINE_LICENCE.toString('base64'),
    ])
      expect(text).not.toContain(secret);
    const issued = harness.logs.records().filter((record) => record.message === 'licence issued');
    expect(issued.at(-1)).toMatchObject({
      operation: 'licence',
      videoId: 'demo-3',
      drmSystem: 'clearkey',
      upstreamStatus: 200,
    });
    const refused = harness.logs
      .records()
      .filter((record) => record.message === 'request denied' && record.code === 'licence_refused');
    expect(refused.at(-1)).toMatchObject({ status: 403, upstreamStatus: 403 });
  });
});

describe('metrics (EMF)', () => {
  /** The EMF documents printed since `from` (a log line index), as metric name → [Reason or '', value]. */
  const emfSince = (from: number): [string, string, unknown][] =>
    harness.logs
      .text()
      .split('\n')
      .slice(from)
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
          },
      )
      .flatMap((doc) =>
        doc._aws.CloudWatchMetrics.flatMap((directive) =>
          directive.Metrics.map((metric): [string, string, unknown] => [
            metric.Name,
            String(doc.Reason ?? ''),
            doc[metric.Name],
          ]),
        ),
      );

  test('a licence issued, refused by the licence server, refused by the proxy, and failed upstream are each counted', async () => {
    const from = harness.logs.text().split('\n').length - 1;
    const token = bearer(await mint(ec, { claims: { videos: ['demo-3'] } }));
    expect((await licence(token)).statusCode).toBe(200);
    expect((await licence(token, { body: clearKeyRequest(kidOf('demo-4')) })).statusCode).toBe(403);
    expect((await licence(token, { videoId: 'demo-4' })).statusCode).toBe(403);
    const widevine = { system: 'widevine', body: 'AAAA', base64: true, contentType: 'application/octet-stream' };
    mode = 'forbidden';
    expect((await licence(token, widevine)).statusCode).toBe(502);
    mode = 'hang';
    expect((await licence(token, widevine)).statusCode).toBe(504);
    vendor.server.closeAllConnections();
    const metrics = emfSince(from);
    expect(metrics.filter(([name]) => name === 'LicenceIssued')).toEqual([['LicenceIssued', '', 1]]);
    const byReason = (series: string) =>
      metrics.filter(([name, reason]) => name === series && reason !== '').map(([, reason]) => reason);
    // Refusals of the viewer, and apart from them the licence server's failures: a refused
    // credential is never counted as the viewer's denial.
    expect(byReason('LicenceDenied')).toEqual(['licence_refused', 'not_entitled']);
    expect(metrics.filter(([name, reason]) => name === 'LicenceDenied' && reason === '')).toHaveLength(2);
    expect(byReason('LicenceUpstreamFailed')).toEqual(['upstream_credential_refused', 'upstream_timeout']);
    expect(metrics.filter(([name, reason]) => name === 'LicenceUpstreamFailed' && reason === '')).toEqual([
      ['LicenceUpstreamFailed', '', 1],
      ['LicenceUpstreamFailed', '', 1],
    ]);
    // The licence server's time, for each call it answered (a licence, a refusal, a refused credential).
    expect(metrics.filter(([name]) => name === 'LicenceUpstreamLatency')).toHaveLength(3);
    // Playback's own series are untouched by licence calls.
    expect(metrics.filter(([name]) => name === 'PlaybackAuthorized' || name === 'PlaybackDenied')).toEqual([]);
  });
});

describe('the in-process ClearKey upstream (local/drm/clearkey-upstream.ts)', () => {
  test('serves the same licences and refusals as the HTTP server, behind the same checks', async () => {
    const local = await startHarness({
      idpKeys: [ec],
      extraEnv: {
        ...NO_SHARING_RECORD,
        DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
      },
      runtime: {
        licences: true,
        licenceUpstreams: { clearkey: new ClearKeyUpstream(new ClearKeyLicenceServer((videoId) => KEYS[videoId])) },
      },
    });
    try {
      const ask = async (videos: string[], kid: string) =>
        local.api.licence(
          licenceEvent('demo-3', 'clearkey', {
            authorization: bearer(await mint(ec, { claims: { videos } })),
            body: clearKeyRequest(kid),
          }),
        );
      const granted = await ask(['demo-3'], kidOf('demo-3'));
      expect(granted.statusCode).toBe(200);
      expect(JSON.parse(granted.body ?? '{}').keys[0].k).toBe(KEYS['demo-3'][0].key.toString('base64url'));
      expect((await ask(['demo-3'], kidOf('demo-4'))).statusCode).toBe(403);
      expect((await ask(['demo-1'], kidOf('demo-3'))).statusCode).toBe(403);
      expect(clearKey.calls).toEqual([]); // nothing went over HTTP
    } finally {
      await local.close();
    }
  });
});

describe('the revocation store down', () => {
  test('503 with Retry-After, no licence, and the licence server never asked', async () => {
    const token = bearer(await mint(ec));
    const local = await startHarness({
      idpKeys: [ec],
      extraEnv: {
        ...NO_SHARING_RECORD,
        DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
        LICENCE_UPSTREAMS: JSON.stringify({
          clearkey: { url: `${clearKey.url}/clearkey/{videoId}`, header: 'x-upstream-key', secretEnv: 'K' },
        }),
        K: UPSTREAM_CREDENTIAL,
      },
      runtime: { licences: true },
    });
    try {
      const ask = () =>
        local.api.licence(
          licenceEvent('demo-3', 'clearkey', { authorization: token, body: clearKeyRequest(kidOf('demo-3')) }),
        );
      expect((await ask()).statusCode).toBe(200);
      clearKey.calls.length = 0;
      await local.dynamo.stop();
      const response = await ask();
      expectRefused(response, 503, 'temporarily_unavailable');
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.body).not.toContain(KEYS['demo-3'][0].key.toString('base64url'));
    } finally {
      local.logs.stop();
    }
  });
});

describe('a licence only for a session playback admitted (issue 20, item 3)', () => {
  let limited: Harness;
  const VIEWER = '198.51.100.7';
  beforeAll(async () => {
    limited = await startHarness({
      idpKeys: [ec],
      extraEnv: {
        MAX_CONCURRENT_STREAMS: '3',
        SHARING_MAX_NETWORKS: '1',
        SHARING_ACTION: 'deny',
        DRM_CATALOG: JSON.stringify({ 'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' } }),
        LICENCE_UPSTREAMS: JSON.stringify({
          clearkey: { url: `${clearKey.url}/clearkey/{videoId}`, header: 'x-upstream-key', secretEnv: 'K' },
        }),
        K: UPSTREAM_CREDENTIAL,
      },
      runtime: { licences: true },
    });
  });
  afterAll(() => limited.close());

  const from = (ip: string) => ({ 'cloudfront-viewer-address': `${ip}:443` });
  const play = async (token: string, ip = VIEWER) =>
    limited.api.playback(playbackEvent('demo-3', { authorization: bearer(token), headers: from(ip) }));
  const askLicence = (token: string, ip = VIEWER) =>
    limited.api.licence(
      licenceEvent('demo-3', 'clearkey', {
        authorization: bearer(token),
        body: clearKeyRequest(kidOf('demo-3')),
        headers: { 'content-type': 'application/json', ...from(ip) },
      }),
    );
  const keysOf = (response: HttpResponse) => (JSON.parse(response.body ?? '{}') as { keys?: unknown[] }).keys;

  test('the fourth session, refused by playback (concurrency_limit), gets no licence: 403 session_not_playing, the server never asked', async () => {
    const sub = `viewer-${randomUUID()}`;
    const tokens = await Promise.all([1, 2, 3, 4].map(() => mint(ec, { claims: { sub } })));
    for (const token of tokens.slice(0, 3)) expect((await play(token)).statusCode).toBe(200);
    const fourth = await play(tokens[3]);
    expect(fourth.statusCode).toBe(403);
    expect(JSON.parse(fourth.body ?? '{}').error).toBe('concurrency_limit');
    expectRefused(await askLicence(tokens[3]), 403, 'session_not_playing', /playback/);
    // An admitted session still gets its licence, and renewals, without taking a slot.
    for (let renewal = 0; renewal < 3; renewal += 1) {
      const response = await askLicence(tokens[0]);
      expect(response.statusCode).toBe(200);
      expect(keysOf(response)).toHaveLength(1);
    }
    expect((await play(tokens[3])).statusCode).toBe(403);
  });

  test('a token that never called playback gets no licence either', async () => {
    expectRefused(
      await askLicence(await mint(ec, { claims: { sub: `viewer-${randomUUID()}` } })),
      403,
      'session_not_playing',
    );
  });

  test('from the network the sharing deny action refused: 403 sharing_suspected; from the admitted network: the licence', async () => {
    const token = await mint(ec, { claims: { sub: `viewer-${randomUUID()}` } });
    expect((await play(token)).statusCode).toBe(200);
    const shared = await play(token, '203.0.113.50');
    expect(shared.statusCode).toBe(403);
    expect(JSON.parse(shared.body ?? '{}').error).toBe('sharing_suspected');
    expectRefused(await askLicence(token, '203.0.113.50'), 403, 'sharing_suspected');
    // Another network never presented to playback at all: refused the same.
    expectRefused(await askLicence(token, '192.0.2.80'), 403, 'sharing_suspected');
    expect((await askLicence(token)).statusCode).toBe(200);
  });

  test('a session its holder logged out gets none', async () => {
    const token = await mint(ec, { claims: { sub: `viewer-${randomUUID()}` } });
    expect((await play(token)).statusCode).toBe(200);
    expect((await askLicence(token)).statusCode).toBe(200);
    const logout = await limited.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
    expect(logout.statusCode).toBe(204);
    clearKey.calls.length = 0;
    expectRefused(await askLicence(token), 401, 'invalid_token', /revoked/);
  });
});
