/**
 * The CORS contract (lambda/core/cors.ts) as a browser meets it: an allowed origin is echoed
 * exactly with credentials (never `*`), a preflight gets the methods, the headers (Authorization
 * among them) and a max age, any other origin gets no CORS header at all, and every answer varies
 * by Origin.
 */
import { API_CORS, CORS_MAX_AGE_SECONDS, corsAnswer, MEDIA_CORS, originProblem } from '../../lambda/core/cors';

const ALLOWED = ['https://app.example.com', 'http://localhost:5173'];

test('an allowed origin is echoed exactly, with credentials and the exposed headers, on a call', () => {
  const answer = corsAnswer(ALLOWED, API_CORS, {
    method: 'POST',
    origin: 'https://app.example.com',
    requestMethod: undefined,
  });
  expect(answer).toEqual({
    preflight: false,
    headers: {
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'date, retry-after, www-authenticate',
    },
  });
});

test('a preflight from an allowed origin gets the methods, Authorization and the max age', () => {
  const answer = corsAnswer(ALLOWED, API_CORS, {
    method: 'OPTIONS',
    origin: 'http://localhost:5173',
    requestMethod: 'POST',
  });
  expect(answer.preflight).toBe(true);
  expect(answer.headers).toMatchObject({
    'access-control-allow-origin': 'http://localhost:5173',
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    vary: 'Origin',
  });
});

test('an origin not listed, however close, gets no CORS header (the browser then refuses the answer)', () => {
  for (const origin of [
    'https://evil.example.com',
    'https://app.example.com.evil.net',
    'http://app.example.com',
    'https://app.example.com:8443',
    'null',
    undefined,
  ]) {
    for (const requestMethod of [undefined, 'POST']) {
      const answer = corsAnswer(ALLOWED, API_CORS, {
        method: requestMethod ? 'OPTIONS' : 'POST',
        origin,
        requestMethod,
      });
      expect(answer.headers).toEqual({ vary: 'Origin' });
    }
  }
});

test('an OPTIONS without Access-Control-Request-Method is no preflight; media rules allow GET and HEAD only', () => {
  expect(
    corsAnswer(ALLOWED, API_CORS, { method: 'OPTIONS', origin: ALLOWED[0], requestMethod: undefined }).preflight,
  ).toBe(false);
  const media = corsAnswer(ALLOWED, MEDIA_CORS, { method: 'OPTIONS', origin: ALLOWED[0], requestMethod: 'GET' });
  expect(media.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
});

test('originProblem accepts serialized https origins and loopback http, refuses everything else', () => {
  for (const good of [
    'https://app.example.com',
    'https://app.example.com:8443',
    'http://localhost:3000',
    'http://127.0.0.1:8080',
    'http://[::1]:8080',
  ])
    expect(originProblem(good)).toBeUndefined();
  for (const bad of [
    'https://*.example.com',
    'http://app.example.com',
    'https://app.example.com/',
    'https://a.example.com/x',
    'https://A.example.com',
    'https://a.example.com:443',
    'https://u:p@a.example.com',
    'data:text/plain,x',
    'not an origin',
  ])
    expect(originProblem(bad)).toEqual(expect.any(String));
});
