/**
 * lambda/core/api-routes.ts: the API's routes, declared once. Every route the deployment wires
 * (one function per operation, lib/playback-api.ts) is one a handler serves, a URL built from a
 * route reaches that route over real HTTP, and a parameter stays one path segment whatever it holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { API_PATH_PREFIX, API_ROUTES, apiUrl, type ApiOperation } from '../../lambda/core/api-routes';
import { createApiAdapter } from '../../local/api-adapter';
import { startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const ROOT = join(__dirname, '../..');
const idp = idpKey('ES256');
const PARAMS = { videoId: 'demo-1', drmSystem: 'clearkey' };

describe('the declared routes', () => {
  test('are all under the API prefix, one per method and path, with the path parameters the handlers read', () => {
    expect(API_ROUTES.map((route) => route.path).filter((path) => !path.startsWith(API_PATH_PREFIX))).toEqual([]);
    const keys = API_ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    const params = (operation: ApiOperation) =>
      [...(API_ROUTES.find((route) => route.operation === operation)?.path ?? '').matchAll(/\{(\w+)\}/g)].map(
        (match) => match[1],
      );
    expect(params('playback')).toEqual(['videoId']);
    expect(params('licence')).toEqual(['videoId', 'drmSystem']);
    expect(params('revocations')).toEqual([]);
    expect(params('session')).toEqual([]);
  });

  test('each have the function the deployment builds for their operation, serving that operation', () => {
    for (const { operation } of API_ROUTES) {
      const entry = join(ROOT, 'lambda/handlers', `${operation}.ts`);
      expect(existsSync(entry)).toBe(true);
      const source = readFileSync(entry, 'utf8');
      const factory = `create${operation[0].toUpperCase()}${operation.slice(1)}Route`;
      expect({
        operation,
        builds: source.includes(`${factory}(`),
        exportsHandler: /export const handler\b/.test(source),
      }).toEqual({ operation, builds: true, exportsHandler: true });
    }
  });
});

describe('apiUrl', () => {
  test('fills each path parameter, percent-encoded so it stays one segment', () => {
    expect(apiUrl('https://media.example', 'licence', { videoId: 'demo-3', drmSystem: 'clearkey' })).toBe(
      'https://media.example/api/v1/licence/demo-3/clearkey',
    );
    expect(apiUrl('https://media.example', 'playback', { videoId: '../a/b?c#d' })).toBe(
      'https://media.example/api/v1/playback/..%2Fa%2Fb%3Fc%23d',
    );
    expect(apiUrl('https://media.example', 'session')).toBe('https://media.example/api/v1/session');
  });

  test('refuses to build a URL with a parameter missing, naming it', () => {
    expect(() => apiUrl('https://media.example', 'licence', { videoId: 'demo-3' })).toThrow(
      '/api/v1/licence/{videoId}/{drmSystem}: no value for {drmSystem}',
    );
  });
});

describe('a URL built from each route, over real HTTP through the local API stand-in', () => {
  let harness: Harness;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    harness = await startHarness({ idpKeys: [idp] });
    const adapter = createApiAdapter(harness.api);
    server = createServer((req, res) => void adapter(req, res));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    await harness.close();
  });

  const call = async (operation: ApiOperation, token: string) => {
    const route = API_ROUTES.find((candidate) => candidate.operation === operation);
    const response = await fetch(apiUrl(base, operation, PARAMS), {
      method: route?.method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: operation === 'revocations' ? JSON.stringify({ sub: 'bob' }) : operation === 'licence' ? 'x' : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  test("reaches that route's own handler, as its own answer shows", async () => {
    const token = await mint(idp);
    // Playback admits the session the licence call then needs; only the licence route knows DRM systems.
    expect(await call('playback', token)).toMatchObject({ status: 200, body: { videoId: 'demo-1' } });
    // The route's own 404 (it knows no licence server here) carries a reason; the stand-in's for an unknown path does not.
    expect(await call('licence', token)).toMatchObject({
      status: 404,
      body: { error: 'not_found', reason: 'not_found', error_description: expect.stringContaining('clearkey') },
    });
    expect(await call('revocations', token)).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect(await call('session', token)).toEqual({ status: 204, body: {} });
  });
});
