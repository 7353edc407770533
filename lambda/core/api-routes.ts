/**
 * The API contract's routes (README "The playback API (v1)"); every path is under `/api/`.
 * Declared once for every side: the deployed HTTP API (lib/playback-api.ts), its local stand-in
 * (local/api-adapter.ts) and the API's own answers that link to a route (the licence URLs of a
 * DRM grant). No package import, so local mode and the Lambda bundles load it without aws-cdk-lib.
 */

/** Every API path starts with it: the distribution's `/api/*` behaviour, the WAF's `/api/` rules, the local edge. */
export const API_PATH_PREFIX = '/api/';

export type ApiOperation = 'playback' | 'revocations' | 'session' | 'licence';

export interface ApiRoute {
  /** Which function (`lambda/handlers/<operation>.ts`) serves the route. */
  readonly operation: ApiOperation;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway route path; `{name}` is a path parameter (one non-empty segment). */
  readonly path: string;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { operation: 'playback', method: 'POST', path: '/api/v1/playback/{videoId}' },
  { operation: 'revocations', method: 'POST', path: '/api/v1/revocations' },
  // The admin's other routes, served by the same (admin-only) function.
  { operation: 'revocations', method: 'DELETE', path: '/api/v1/revocations/users/{sub}' },
  { operation: 'revocations', method: 'GET', path: '/api/v1/users/{sub}/sessions' },
  { operation: 'session', method: 'DELETE', path: '/api/v1/session' },
  { operation: 'licence', method: 'POST', path: '/api/v1/licence/{videoId}/{drmSystem}' },
];

/** The admin function's routes by API Gateway route key (`METHOD path`), each to its API method. */
export const ADMIN_ROUTE_METHODS = {
  'POST /api/v1/revocations': 'revoke',
  'DELETE /api/v1/revocations/users/{sub}': 'liftCutoff',
  'GET /api/v1/users/{sub}/sessions': 'userState',
} as const;

/**
 * The methods `/api/*` takes (the WAF's method allow-list): the routes', and OPTIONS when apps on
 * other origins are allowed, for their CORS preflight (answered by API Gateway, lib/playback-api.ts).
 */
export function apiMethods(allowedOrigins: readonly string[]): string[] {
  const methods = new Set<string>(API_ROUTES.map((route) => route.method));
  if (allowedOrigins.length > 0) methods.add('OPTIONS');
  return [...methods];
}

/**
 * The absolute URL of an operation's route, each `{name}` filled with its parameter
 * (percent-encoded: one segment, whatever it holds).
 */
export function apiUrl(base: string, operation: ApiOperation, params: Readonly<Record<string, string>> = {}): string {
  const route = API_ROUTES.find((candidate) => candidate.operation === operation);
  if (route === undefined) throw new Error(`no API route for ${operation}`);
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.path}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  return `${base}${path}`;
}
