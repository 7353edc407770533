/**
 * The local API Gateway stand-in over real loopback HTTP, in front of an API that records the
 * events it is given: what reaches the handlers, and what never does.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonResponse } from '../../lambda/core/http';
import { createApiAdapter } from '../../local/api-adapter';
import type { ApiHandlers } from '../../lambda/runtime/runtime';

const events: APIGatewayProxyEventV2[] = [];
const record = async (event: APIGatewayProxyEventV2) => {
  events.push(event);
  return jsonResponse(200, { ok: true });
};
const api: ApiHandlers = { playback: record, revocations: record, session: record, licence: record };

let server: Server;
let port: number;
beforeAll(async () => {
  const adapter = createApiAdapter(api);
  server = createServer((req, res) => void adapter(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  events.length = 0;
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http rather than fetch: an array value goes out as one header line per element. */
function send(method: string, path: string, headers: Record<string, string | string[]> = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.on('error', fail);
    req.end();
  });
}

describe('routes', () => {
  test('an unknown route under /api/ is 404 not_found in the API error shape, and reaches no handler', async () => {
    for (const path of ['/api/v1/nothing', '/api/v1/playback/', '/api/v1/playback/demo-1/extra', '/api/v2/session']) {
      const answer = await send('POST', path);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({ error: 'not_found', error_description: expect.stringContaining(path) });
    }
    expect(events).toEqual([]);
  });

  test('a known route with the wrong method is 405 method_not_allowed with Allow, and reaches no handler', async () => {
    for (const [method, path, allowed] of [
      ['GET', '/api/v1/playback/demo-1', 'POST'],
      ['DELETE', '/api/v1/revocations', 'POST'],
      ['POST', '/api/v1/session', 'DELETE'],
    ]) {
      const answer = await send(method, path);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe(allowed);
      expect(JSON.parse(answer.body)).toEqual({
        error: 'method_not_allowed',
        error_description: expect.stringContaining(allowed),
      });
    }
    expect(events).toEqual([]);
  });

  test('each declared route reaches its operation with the route key and path parameters API Gateway sets', async () => {
    expect((await send('POST', '/api/v1/playback/demo%2D1?delivery=url')).status).toBe(200);
    expect((await send('POST', '/api/v1/revocations')).status).toBe(200);
    expect((await send('DELETE', '/api/v1/session')).status).toBe(200);
    expect(events.map((event) => [event.routeKey, event.pathParameters])).toEqual([
      ['POST /api/v1/playback/{videoId}', { videoId: 'demo-1' }],
      ['POST /api/v1/revocations', undefined],
      ['DELETE /api/v1/session', undefined],
    ]);
    expect(events[0].queryStringParameters).toEqual({ delivery: 'url' });
  });
});

describe('headers as API Gateway (payload v2) passes them', () => {
  test('a repeated header reaches the handler comma-joined in order, not last-wins or dropped', async () => {
    expect(
      (
        await send('POST', '/api/v1/playback/demo-1', {
          'x-trace': ['one', 'two'],
          'user-agent': ['first/1', 'second/2'],
        })
      ).status,
    ).toBe(200);
    const [event] = events;
    expect(event.headers['x-trace']).toBe('one,two');
    expect(event.headers['user-agent']).toBe('first/1,second/2');
    expect(event.requestContext.http.userAgent).toBe('first/1,second/2');
  });

  test('two Authorization lines are refused with 400 invalid_request before any handler runs, so no second credential slips by', async () => {
    const answer = await send('POST', '/api/v1/playback/demo-1', {
      authorization: ['Bearer first.token.sig', 'Bearer second.token.sig'],
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'invalid_request',
      reason: 'bad_request',
      error_description: expect.stringContaining('one Authorization header'),
    });
    expect(events).toEqual([]);
    expect((await send('DELETE', '/api/v1/session', { authorization: 'Bearer only.token.sig' })).status).toBe(200);
    expect(events[0].headers.authorization).toBe('Bearer only.token.sig');
  });

  test('cookies from every Cookie line arrive in event.cookies, in order, and not as a cookie header', async () => {
    expect((await send('POST', '/api/v1/playback/demo-1', { cookie: ['a=1; b=2', 'c=3'] })).status).toBe(200);
    const [event] = events;
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(event.headers).not.toHaveProperty('cookie');
    expect((await send('POST', '/api/v1/playback/demo-1')).status).toBe(200);
    expect(events[1].cookies).toBeUndefined();
  });

  test('a client cannot supply the CloudFront viewer headers', async () => {
    await send('POST', '/api/v1/playback/demo-1', {
      'cloudfront-viewer-address': ['203.0.113.9:1', '203.0.113.10:2'],
      'cloudfront-viewer-country': 'NZ',
    });
    expect(events[0].headers['cloudfront-viewer-address']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(events[0].headers).not.toHaveProperty('cloudfront-viewer-country');
  });
});
