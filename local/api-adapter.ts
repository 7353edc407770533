/**
 * Local stand-in for API Gateway (HTTP API, payload v2): turns a node:http request into the
 * event API Gateway would build, calls the real handlers, and writes their response back.
 * Like CloudFront, it adds the viewer's address header and drops any the client sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequest } from '../lambda/core/errors';
import { errorResponse, jsonResponse, type HttpResponse } from '../lambda/core/http';
import { API_ROUTES, type ApiOperation, type ApiRoute } from '../lambda/core/api-routes';
import type { ApiHandlers } from '../lambda/runtime/runtime';

interface Route {
  method: string;
  routeKey: string;
  pattern: RegExp;
  params: string[];
  operation: ApiOperation;
}

/** The routes the CDK HTTP API declares, matched as API Gateway does: `{name}` is one non-empty segment. */
const ROUTES: Route[] = API_ROUTES.map(compileRoute);

function compileRoute({ method, path, operation }: ApiRoute): Route {
  const params: string[] = [];
  const segments = path.split('/').map((segment) => {
    const param = /^\{(\w+)\}$/.exec(segment);
    if (param === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    params.push(param[1]);
    return '([^/]+)';
  });
  return { method, routeKey: `${method} ${path}`, pattern: new RegExp(`^${segments.join('/')}$`), params, operation };
}

const MAX_BODY_BYTES = 64 * 1024;

export interface ApiAdapterOptions {
  /** Viewer country to report, as CloudFront's `cloudfront-viewer-country` would. */
  viewerCountry?: string;
  /** Called with each answered request (local monitoring). */
  onResponse?: (routeKey: string, response: HttpResponse) => void;
  /**
   * Origin-verify, as deployed: the header CloudFront adds to every API request (replacing any
   * the client sent) and the API Gateway authorizer that checks it before any function runs.
   */
  originVerify?: {
    header: () => { name: string; value: string };
    authorize: (headers: Record<string, string>) => Promise<'verified' | 'refused' | 'secret-unavailable'>;
  };
}

/** `api`: each route's handler by its operation (deployed, a Lambda invocation). */
export function createApiAdapter(api: ApiHandlers, options: ApiAdapterOptions = {}) {
  let requestCounter = 0;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const onPath = ROUTES.filter((candidate) => candidate.pattern.test(url.pathname));
    const route = onPath.find((candidate) => candidate.method === req.method);
    if (route === undefined) {
      writeResponse(res, onPath.length === 0 ? notFound(url.pathname) : methodNotAllowed(req.method, onPath));
      return;
    }
    // Node keeps the first of two Authorization lines, API Gateway would join them: refuse a second credential.
    if ((req.headersDistinct.authorization?.length ?? 0) > 1) {
      writeResponse(res, errorResponse(new InvalidRequest('send one Authorization header, not several')));
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res
        .writeHead(413, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'Request Entity Too Large' }));
      return;
    }
    requestCounter += 1;
    const event = toEvent(req, url, route, body, `local-${requestCounter}`, options.viewerCountry);
    if (options.originVerify !== undefined) {
      const { name, value } = options.originVerify.header();
      event.headers[name] = value;
      const verdict = await options.originVerify.authorize(event.headers as Record<string, string>);
      if (verdict !== 'verified') {
        // What API Gateway answers for a refusal (403) or an authorizer error (500).
        const status = verdict === 'refused' ? 403 : 500;
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: status === 403 ? 'Forbidden' : 'Internal Server Error' }));
        return;
      }
    }
    const response = await api[route.operation](event);
    options.onResponse?.(route.routeKey, response);
    writeResponse(res, response);
  };
}

/** The API contract's error shape for a path no route declares. */
function notFound(path: string): HttpResponse {
  return jsonResponse(404, { error: 'not_found', error_description: `no API route for ${path.slice(0, 128)}` });
}

/** A declared path with another method: 405 and the methods it takes. */
function methodNotAllowed(method: string | undefined, routes: Route[]): HttpResponse {
  const allowed = routes.map((route) => route.method).join(', ');
  const response = jsonResponse(405, {
    error: 'method_not_allowed',
    error_description: `${String(method).slice(0, 16)} is not allowed here; use ${allowed}`,
  });
  response.headers.allow = allowed;
  return response;
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  route: Route,
  body: Buffer,
  requestId: string,
  country?: string,
): APIGatewayProxyEventV2 {
  // Every line of a repeated header, comma-joined in order (req.headers drops or merges some);
  // cookies go to event.cookies only, as in payload v2.
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    // CloudFront sets these itself; a client-supplied copy never reaches the origin.
    if (values === undefined || name === 'cookie' || name.startsWith('cloudfront-') || name === 'x-origin-verify')
      continue;
    headers[name] = values.join(',');
  }
  const sourceIp = clientIp(req);
  headers['cloudfront-viewer-address'] = `${sourceIp}:${req.socket.remotePort ?? 0}`;
  if (country !== undefined) headers['cloudfront-viewer-country'] = country;

  const query: Record<string, string> = {};
  url.searchParams.forEach((value, name) => {
    query[name] = name in query ? `${query[name]},${value}` : value;
  });
  const match = route.pattern.exec(url.pathname) ?? [];
  const pathParameters = Object.fromEntries(
    route.params.map((name, index) => [name, safeDecode(match[index + 1] ?? '')]),
  );
  const cookies = (req.headersDistinct.cookie ?? [])
    .flatMap((line) => line.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  const now = new Date();
  const binary = !/^(text\/|application\/(json|x-www-form-urlencoded|xml))/i.test(
    headers['content-type'] ?? 'text/plain',
  );
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: cookies.length > 0 ? cookies : undefined,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: route.params.length > 0 ? pathParameters : undefined,
    // As API Gateway does: text stays text, anything else (a Widevine challenge) arrives base64.
    body: body.length > 0 ? body.toString(binary ? 'base64' : 'utf8') : undefined,
    isBase64Encoded: binary && body.length > 0,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}

function writeResponse(res: ServerResponse, response: HttpResponse): void {
  const headers: Record<string, string | string[]> = { ...response.headers };
  if (response.cookies !== undefined && response.cookies.length > 0) headers['set-cookie'] = response.cookies;
  const body =
    response.body === undefined
      ? undefined
      : Buffer.from(response.body, response.isBase64Encoded === true ? 'base64' : 'utf8');
  res.writeHead(response.statusCode, headers).end(body);
}

/** The peer address without the IPv4-mapped IPv6 prefix, as CloudFront reports it. */
export function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
