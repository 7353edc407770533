/**
 * Dependency failures: the revocation store stopped, unreachable or hanging, and the IdP's key
 * set unreachable. The API answers 503 with Retry-After and signs nothing (fail closed), within
 * a bounded time, and a revocation that could not be written is reported, never dropped.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi } from '../../lambda/runtime/runtime';
import { ensureStateTable, startDynalite } from '../../local/dynamo-server';
import {
  apiEnv,
  apiEvent,
  bearer,
  cloudFrontKey,
  LogCapture,
  playbackEvent,
  startHarness,
  TABLE,
} from '../support/harness';
import { idpKey, jwksOf, mint } from '../support/tokens';

const idp = idpKey('ES256');

function expect503(response: {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body?: string;
}): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  expect(response.cookies ?? []).toEqual([]);
  expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'temporarily_unavailable' });
}

/** A TCP server that accepts and never answers: the worst kind of dependency. */
async function blackHole(): Promise<{ url: string; server: Server }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('revocation store failure', () => {
  test('the DynamoDB server stopped: playback answers 503 with Retry-After and no Set-Cookie', async () => {
    const harness = await startHarness({ idpKeys: [idp] });
    const token = await mint(idp);
    expect((await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }))).statusCode).toBe(
      200,
    );
    await harness.dynamo.stop();
    expect503(await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) })));
    const denied = harness.logs.records().find((record) => record.reason === 'store_unavailable');
    expect(denied).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    harness.logs.stop();
  });

  test('the DynamoDB server hangs: playback answers 503 within the store timeout', async () => {
    const hole = await blackHole();
    const logs = new LogCapture();
    const key = cloudFrontKey('ecdsa-p256');
    const api = await createApi({
      env: apiEnv({
        dynamoEndpoint: hole.url,
        idpKeys: [idp],
        signingKeyFile: key.file,
        extra: { STORE_TIMEOUT_MS: '300' },
      }),
      logger: logs.logger,
    });
    const started = Date.now();
    expect503(await api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) })));
    expect(Date.now() - started).toBeLessThan(3000);
    logs.stop();
    hole.server.closeAllConnections();
    hole.server.close();
  });

  test('the table is missing: 503, not 200 and not 500', async () => {
    const dynamo = await startDynalite();
    const logs = new LogCapture();
    const key = cloudFrontKey('rsa-2048');
    const api = await createApi({
      env: apiEnv({ dynamoEndpoint: dynamo.endpoint, idpKeys: [idp], signingKeyFile: key.file }),
      logger: logs.logger,
    });
    expect503(await api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) })));
    logs.stop();
    await dynamo.stop();
  });

  test('logout and admin revocation report 503 when the write cannot be made, so the caller retries', async () => {
    const harness = await startHarness({ idpKeys: [idp] });
    await harness.dynamo.stop();
    expect503(
      await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(await mint(idp)) })),
    );
    const admin = await mint(idp, { claims: { scope: 'streamgate:admin' } });
    expect503(
      await harness.api.revocations(
        apiEvent('POST', '/api/v1/revocations', { authorization: bearer(admin), body: '{"jti":"abc"}' }),
      ),
    );
    harness.logs.stop();
  });

  test('a revocation written before the store restarts is still enforced after it (persisted dynalite)', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = mkdtempSync(join(tmpdir(), 'streamgate-dynalite-'));
    const first = await startDynalite({ path });
    await ensureStateTable(first.endpoint, TABLE);
    const logs = new LogCapture();
    const key = cloudFrontKey('ecdsa-p256');
    const env = (endpoint: string) => apiEnv({ dynamoEndpoint: endpoint, idpKeys: [idp], signingKeyFile: key.file });
    const token = await mint(idp);
    const api1 = await createApi({ env: env(first.endpoint), logger: logs.logger });
    expect(
      (await api1.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }))).statusCode,
    ).toBe(204);
    await first.stop();
    const second = await startDynalite({ path, port: first.port });
    await ensureStateTable(second.endpoint, TABLE);
    const api2 = await createApi({ env: env(second.endpoint), logger: logs.logger });
    expect((await api2.playback(playbackEvent('demo-1', { authorization: bearer(token) }))).statusCode).toBe(401);
    logs.stop();
    await second.stop();
  });
});

describe('remote JWKS', () => {
  let fetches = 0;
  let server: Server;
  let url: string;
  let other = idpKey('RS256', 'rotated-in');
  let served = [idp];
  beforeAll(async () => {
    server = createServer((req, res) => {
      fetches += 1;
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwksOf(...served)));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  async function remoteHarness(jwksUrl: string, extra: Record<string, string> = {}) {
    return startHarness({ idpKeys: [idp], extraEnv: { JWT_JWKS: '', JWT_JWKS_URL: jwksUrl, ...extra } });
  }

  test('verifies against the fetched key set and caches it across calls', async () => {
    const harness = await remoteHarness(url);
    fetches = 0;
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) }))).statusCode,
      ).toBe(200);
    }
    expect(fetches).toBe(1);
    await harness.close();
  });

  test('an unknown kid refetches once (key rotation), then is refused within the cooldown', async () => {
    const harness = await remoteHarness(url, { JWKS_COOLDOWN_SECONDS: '1' });
    expect(
      (await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) }))).statusCode,
    ).toBe(200);
    other = idpKey('RS256', 'rotated-in');
    served = [idp, other];
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(
      (await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(other)) }))).statusCode,
    ).toBe(200);
    fetches = 0;
    const stranger = await mint(idpKey('RS256', 'never-published'));
    const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(stranger) }));
    expect(response.statusCode).toBe(401);
    expect(fetches).toBeLessThanOrEqual(1);
    served = [idp];
    await harness.close();
  });

  test('an unreachable key set is a 503 within the fetch timeout, not a 401 and not a hang', async () => {
    const hole = await blackHole();
    const harness = await remoteHarness(`${hole.url}/jwks.json`, { JWKS_TIMEOUT_MS: '300' });
    const started = Date.now();
    expect503(await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) })));
    expect(Date.now() - started).toBeLessThan(3000);
    await harness.close();
    hole.server.closeAllConnections();
    hole.server.close();
  });

  test('a key set URL answering 404 is a 503', async () => {
    const harness = await remoteHarness(url.replace('jwks.json', 'missing.json'));
    expect503(await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(idp)) })));
    await harness.close();
  });
});
