/**
 * The dev IdP over HTTP, as a plain node:http handler the local edge mounts under a prefix:
 *   GET  <prefix>/jwks.json  the public key set
 *   POST <prefix>/token      {sub, scope?, videos?, ttlSeconds?} -> {access_token, token_type, expires_in}
 *   POST <prefix>/oauth/token  the client-credentials grant (./client-credentials.ts), form-encoded
 * Errors use the API's shape, {"error", "error_description"}. It answers only requests addressed to
 * a loopback name on its own port: a page on evil.example whose name is rebound to 127.0.0.1 sends
 * `Host: evil.example`, and must not mint tokens (DNS rebinding).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import { CLIENT_TOKEN_TTL_SECONDS, clientCredentialsGrant, OAuthError, type OAuthClient } from './client-credentials';
import { parseTokenRequest, TokenRequestError, type TokenRequest } from './token-request';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TokenIssuer {
  jwks(): JSONWebKeySet;
  issueToken(request: TokenRequest): Promise<string>;
  /** The confidential client the client-credentials grant serves. */
  readonly operatorClient: OAuthClient;
}

const MAX_BODY_BYTES = 16 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createIdpHandler(idp: TokenIssuer, pathPrefix: string): RequestHandler {
  const routes = new Map<string, { method: string; answer: (req: IncomingMessage) => Promise<Answer> }>([
    [
      `${pathPrefix}/jwks.json`,
      { method: 'GET', answer: async () => ({ body: idp.jwks(), cacheControl: 'public, max-age=60' }) },
    ],
    [`${pathPrefix}/token`, { method: 'POST', answer: (req) => issue(idp, req) }],
    [`${pathPrefix}/oauth/token`, { method: 'POST', answer: (req) => issueToClient(idp, req) }],
  ]);
  return (req, res) => {
    const answer = (async (): Promise<Answer> => {
      const local = localHosts(req.socket.localPort);
      const host = req.headersDistinct.host;
      if (host?.length !== 1 || !local.includes(host[0].toLowerCase())) {
        throw new HttpError(421, 'misdirected_request', `the dev IdP answers only requests for ${local.join(', ')}`);
      }
      const route = routes.get(new URL(req.url ?? '/', 'http://idp.invalid').pathname);
      if (route === undefined) throw new HttpError(404, 'not_found', 'no such IdP endpoint');
      if (req.method !== route.method) {
        throw new HttpError(405, 'invalid_request', `use ${route.method}`, { allow: route.method });
      }
      return route.answer(req);
    })();
    answer.then(
      ({ body, cacheControl }) => send(res, 200, body, { 'cache-control': cacheControl }),
      (error: unknown) => {
        const failure =
          error instanceof HttpError
            ? error
            : error instanceof TokenRequestError
              ? new HttpError(error.status, error.code, error.message)
              : error instanceof OAuthError
                ? new HttpError(
                    error.status,
                    error.code,
                    error.message,
                    error.status === 401 ? { 'www-authenticate': 'Basic realm="streamgate dev IdP"' } : {},
                  )
                : new HttpError(500, 'server_error', 'internal error');
        send(
          res,
          failure.status,
          { error: failure.code, error_description: failure.message },
          {
            'cache-control': 'no-store',
            ...failure.headers,
          },
        );
      },
    );
  };
}

/** The Host values that name this server on loopback. */
function localHosts(port: number | undefined): string[] {
  return ['localhost', '127.0.0.1', '[::1]'].flatMap((name) =>
    port === 80 ? [name, `${name}:80`] : [`${name}:${port}`],
  );
}

interface Answer {
  body: unknown;
  cacheControl: string;
}

async function issue(idp: TokenIssuer, req: IncomingMessage): Promise<Answer> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw new HttpError(415, 'invalid_request', 'Content-Type must be application/json');
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_request', 'request body is not valid JSON');
  }
  const request = parseTokenRequest(body, false);
  const token = await idp.issueToken(request);
  return {
    body: { access_token: token, token_type: 'Bearer', expires_in: request.ttlSeconds },
    cacheControl: 'no-store',
  };
}

/** RFC 6749 §4.4: a form-encoded request from the operator client → an admin token whose `sub` is the client id. */
async function issueToClient(idp: TokenIssuer, req: IncomingMessage): Promise<Answer> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded')
    throw new HttpError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  const form = new URLSearchParams(await readBody(req));
  const scope = clientCredentialsGrant(idp.operatorClient, req.headers.authorization, form);
  const sub = idp.operatorClient.clientId;
  const token = await idp.issueToken({ sub, scope, ttlSeconds: CLIENT_TOKEN_TTL_SECONDS });
  return {
    body: { access_token: token, token_type: 'Bearer', expires_in: CLIENT_TOKEN_TTL_SECONDS, scope },
    cacheControl: 'no-store',
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = new HttpError(413, 'invalid_request', `request body is larger than ${MAX_BODY_BYTES} bytes`, {
    connection: 'close',
  });
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        reject(tooLarge);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
