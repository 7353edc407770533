import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  importSPKI,
  jwtVerify,
} from 'jose';
import { DEV_IDP_AUDIENCE, DEV_IDP_ISSUER } from '../../local/idp/defaults';
import { DevIdp } from '../../local/idp/dev-idp';
import { PRIVATE_KEY_FILE } from '../../local/idp/key-store';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '../..');
const ISSUER = 'http://127.0.0.1/test-idp';
const AUDIENCE = 'streamgate-test';
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const dirs: string[] = [];
function keyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-idp-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function listen(idp: DevIdp): Promise<{ server: Server; base: string }> {
  const server = createServer(idp.handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('dev IdP over loopback HTTP', () => {
  let idp: DevIdp;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    idp = await DevIdp.open({ keyDir: keyDir(), issuer: ISSUER, audience: AUDIENCE });
    ({ server, base } = await listen(idp));
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  function postToken(body: string, contentType = 'application/json'): Promise<Response> {
    return fetch(`${base}/idp/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
  }

  it('issues an ES256 token that verifies against the served JWKS with the requested claims', async () => {
    const response = await postToken(JSON.stringify({ sub: 'alice', videos: ['demo-1', 'demo-2'] }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toEqual({ access_token: expect.stringMatching(JWT), token_type: 'Bearer', expires_in: 900 });

    const keys = createRemoteJWKSet(new URL(`${base}/idp/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, keys, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: idp.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice',
      scope: 'stream:play',
      videos: ['demo-1', 'demo-2'],
      jti: expect.stringMatching(UUID),
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: (payload.iat ?? 0) + 900,
      // Every token request is a plain sign-in, now (RFC 9470's claims, read by step-up rules).
      acr: 'urn:streamgate:loa:1',
      auth_time: payload.iat,
    });
    expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('serves one public ES256 signing key whose kid is its RFC 7638 thumbprint', async () => {
    const response = await fetch(`${base}/idp/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      kid: idp.kid,
      alg: 'ES256',
      use: 'sig',
    });
    expect(await calculateJwkThumbprint(key, 'sha256')).toBe(key.kid);
  });

  it('gives every token a fresh jti and honours scope, "*" videos and ttlSeconds', async () => {
    const response = await postToken(
      JSON.stringify({ sub: 'ops@example.com', scope: 'stream:play streamgate:admin', videos: '*', ttlSeconds: 3600 }),
    );
    const body = (await response.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(3600);
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(idp.jwks()), {
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    expect(payload).toMatchObject({ sub: 'ops@example.com', scope: 'stream:play streamgate:admin', videos: '*' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);

    const other = await jwtVerify(await idp.issueToken({ sub: 'ops@example.com' }), createLocalJWKSet(idp.jwks()));
    expect(other.payload.jti).not.toBe(payload.jti);
    expect(other.payload).not.toHaveProperty('videos');
  });

  it.each([
    ['a missing sub', { videos: ['demo-1'] }, '"sub" is required'],
    ['a sub with a space', { sub: 'bad sub' }, '"sub" must match ^[A-Za-z0-9_.@-]{1,64}$'],
    ['a sub of 65 characters', { sub: 'a'.repeat(65) }, '"sub" must match'],
    ['a numeric sub', { sub: 42 }, '"sub" must match'],
    [
      'a video id with a slash',
      { sub: 'alice', videos: ['demo/1'] },
      '"videos" must be "*" or an array of at most 1000 ids matching ^[A-Za-z0-9_-]{1,128}$',
    ],
    ['videos as a plain string', { sub: 'alice', videos: 'demo-1' }, '"videos" must be "*" or an array'],
    ['a ttl below 10 s', { sub: 'alice', ttlSeconds: 9 }, '"ttlSeconds" must be a whole number from 10 to 3600'],
    ['a ttl above 1 h', { sub: 'alice', ttlSeconds: 3601 }, '"ttlSeconds" must be a whole number from 10 to 3600'],
    ['a fractional ttl', { sub: 'alice', ttlSeconds: 60.5 }, '"ttlSeconds" must be a whole number'],
    ['a ttl as a string', { sub: 'alice', ttlSeconds: '900' }, '"ttlSeconds" must be a whole number'],
    ['an empty scope', { sub: 'alice', scope: '' }, '"scope" must be space-separated scope tokens'],
    ['a scope with a double space', { sub: 'alice', scope: 'a  b' }, '"scope" must be space-separated scope tokens'],
    [
      'a caller-chosen jti',
      { sub: 'alice', jti: 'fixed' },
      'unknown field "jti" (allowed: sub, scope, videos, ttlSeconds, acrValues, secondFactor, rentals)',
    ],
    ['a caller-chosen authTime', { sub: 'alice', authTime: 1 }, 'unknown field "authTime"'],
    [
      'the second factor level without its code',
      { sub: 'alice', acrValues: 'urn:streamgate:loa:2' },
      '"secondFactor" is required for urn:streamgate:loa:2',
    ],
    [
      'a wrong second factor',
      { sub: 'alice', acrValues: 'urn:streamgate:loa:2', secondFactor: '000000' },
      '"secondFactor" is not the dev IdP\'s code',
    ],
    [
      'an acr the IdP does not offer',
      { sub: 'alice', acrValues: 'phr' },
      '"acrValues" names no level the dev IdP offers',
    ],
    [
      'a rental without its date',
      { sub: 'alice', rentals: [{ video: 'demo-2' }] },
      '"rentals" must be an array of at most 1000 {"video": <id>, "rented_at": <epoch seconds>}',
    ],
    ['an unknown field', { sub: 'alice', exp: 1 }, 'unknown field "exp"'],
    ['a JSON array', ['alice'], 'request must be a JSON object'],
    ['JSON null', null, 'request must be a JSON object'],
  ])('rejects %s with 400 invalid_request', async (_name, body, message) => {
    const response = await postToken(JSON.stringify(body));
    expect(response.status).toBe(400);
    const error = (await response.json()) as { error: string; error_description: string };
    expect(error.error).toBe('invalid_request');
    expect(error.error_description).toContain(message);
  });

  it('signs in at the first offered level asked for, the second factor with its code, and carries rentals', async () => {
    const response = await postToken(
      JSON.stringify({
        sub: 'alice',
        acrValues: 'phr urn:streamgate:loa:2 urn:streamgate:loa:1',
        secondFactor: '246810',
        rentals: [{ video: 'demo-2', rented_at: 1700000000 }],
      }),
    );
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${base}/idp/jwks.json`)), {
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    expect(payload).toMatchObject({
      acr: 'urn:streamgate:loa:2',
      auth_time: payload.iat,
      rentals: [{ video: 'demo-2', rented_at: 1700000000 }],
    });
  });

  it('rejects a body that is not JSON with 400', async () => {
    const response = await postToken('sub=alice');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'request body is not valid JSON',
    });
  });

  it('rejects a non-JSON content type with 415', async () => {
    const response = await postToken(JSON.stringify({ sub: 'alice' }), 'text/plain');
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Content-Type must be application/json',
    });
  });

  it('rejects a body over 16 KiB with 413', async () => {
    const response = await postToken(JSON.stringify({ sub: 'alice', padding: 'x'.repeat(17 * 1024) }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error_description: string }).error_description).toContain(
      'larger than 16384 bytes',
    );
  });

  it('answers a wrong method with 405 and Allow, and an unknown path with 404', async () => {
    const wrongMethod = await fetch(`${base}/idp/token`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const post = await fetch(`${base}/idp/jwks.json`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    const missing = await fetch(`${base}/idp/authorize`);
    expect((await fetch(`${base}/constructor`)).status).toBe(404);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('not_found');
  });

  /** node:http, so the Host header can be forged (fetch always sends the URL's host). */
  function withHost(
    host: string,
    method: string,
    path: string,
    body?: string,
  ): Promise<{ status: number; body: string }> {
    return new Promise((done, fail) => {
      const req = request(
        `${base}${path}`,
        { method, headers: { host, 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  it('refuses to mint a token for a page whose name was rebound to loopback (Host is not the local origin)', async () => {
    const port = new URL(base).port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `localhost:${Number(port) + 1}`,
      `127.0.0.1`,
    ]) {
      for (const [method, path] of [
        ['POST', '/idp/token'],
        ['GET', '/idp/jwks.json'],
      ]) {
        const answer = await withHost(
          host,
          method,
          path,
          method === 'POST' ? JSON.stringify({ sub: 'mallory', videos: '*' }) : undefined,
        );
        expect(answer.status).toBe(421);
        const error = JSON.parse(answer.body) as { error: string; error_description: string };
        expect(error).toEqual({
          error: 'misdirected_request',
          error_description: expect.stringContaining(`localhost:${port}`),
        });
        expect(answer.body).not.toContain('access_token');
      }
    }
  });

  it('answers on every loopback name of its own port', async () => {
    const port = new URL(base).port;
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const answer = await withHost(host, 'POST', '/idp/token', JSON.stringify({ sub: 'alice' }));
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('access_token');
    }
  });
});

describe('dev IdP keys and clock', () => {
  it('reuses the key stored in the folder across instances and keeps it private to the owner', async () => {
    const dir = keyDir();
    const first = await DevIdp.open({ keyDir: dir });
    const second = await DevIdp.open({ keyDir: dir });
    expect(second.kid).toBe(first.kid);
    expect(second.jwks()).toEqual(first.jwks());
    expect(statSync(join(dir, PRIVATE_KEY_FILE)).mode & 0o077).toBe(0);

    const token = await first.issueToken({ sub: 'alice' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(second.jwks()), {
      issuer: DEV_IDP_ISSUER,
      audience: DEV_IDP_AUDIENCE,
    });
    expect(payload.sub).toBe('alice');

    const elsewhere = await DevIdp.open({ keyDir: keyDir() });
    expect(elsewhere.kid).not.toBe(first.kid);
  });

  it('signs with the key published as publicKeyPem', async () => {
    const idp = await DevIdp.open({ keyDir: keyDir() });
    const token = await idp.issueToken({ sub: 'bob', videos: ['demo-1'] });
    expect(decodeProtectedHeader(token).kid).toBe(idp.kid);
    const { payload } = await jwtVerify(token, await importSPKI(idp.publicKeyPem(), 'ES256'));
    expect(payload.videos).toEqual(['demo-1']);
  });

  it('stamps iat, nbf and exp from the injected clock and accepts a caller-chosen jti in code', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const idp = await DevIdp.open({ keyDir: keyDir(), now: () => now + 999 });
    const token = await idp.issueToken({ sub: 'alice', ttlSeconds: 10, jti: 'logout-test-1' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(idp.jwks()), { currentDate: new Date(now) });
    expect(payload).toMatchObject({ iat: now / 1000, nbf: now / 1000, exp: now / 1000 + 10, jti: 'logout-test-1' });
  });

  it('validates requests made in code the same way', async () => {
    const idp = await DevIdp.open({ keyDir: keyDir() });
    await expect(idp.issueToken({ sub: 'alice', ttlSeconds: 7200 })).rejects.toThrow(
      '"ttlSeconds" must be a whole number from 10 to 3600',
    );
  });
});

describe('token CLI', () => {
  const cli = (args: string[], dir: string) =>
    run('npx', ['tsx', 'local/idp/token-cli.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, STREAMGATE_LOCAL_DIR: dir },
    });

  it('prints the token alone on stdout, signed with the key in STREAMGATE_LOCAL_DIR', async () => {
    const dir = keyDir();
    const { stdout } = await cli(['--sub', 'alice', '--videos', 'demo-1', '--ttl', '120'], dir);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const idp = await DevIdp.open({ keyDir: dir });
    const { payload } = await jwtVerify(stdout.trim(), createLocalJWKSet(idp.jwks()), {
      issuer: DEV_IDP_ISSUER,
      audience: DEV_IDP_AUDIENCE,
    });
    expect(payload).toMatchObject({ sub: 'alice', videos: ['demo-1'], scope: 'stream:play' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  it.each([
    ['no --sub', ['--videos', 'demo-1'], '--sub is required'],
    ['an unknown option', ['--sub', 'alice', '--user', 'bob'], "Unknown option '--user'"],
    ['a ttl that is not a number', ['--sub', 'alice', '--ttl', '15m'], '--ttl must be a whole number of seconds'],
    ['an invalid video id', ['--sub', 'alice', '--videos', 'demo 1'], '"videos" must be'],
  ])('exits 2 with nothing on stdout for %s', async (_name, args, message) => {
    const failure = await cli(args, keyDir()).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect(failure?.stderr).toContain(message);
  });
});
