/**
 * The battery's one way to talk HTTP: node:http(s) with the request-target exactly as written
 * (fetch and URL resolve dot segments and re-encode, which would hide the very spellings the
 * path checks send), a timeout on every request, and a budget on how many it may send in all, so
 * nothing it does can turn into a flood against a production deployment.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface HttpRequest {
  method?: string;
  /** Absolute URL; the path and query are sent as written. */
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** From the request's start to the answer's last byte. */
  ms: number;
  method: string;
  url: string;
}

export class RequestBudgetExceeded extends Error {
  constructor(limit: number) {
    super(`request budget of ${limit} spent (--max-requests): stopped rather than send more`);
    this.name = 'RequestBudgetExceeded';
  }
}

export interface SplitUrl {
  protocol: 'http:' | 'https:';
  /** Host name as node:http wants it (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** `host[:port]` as written, for the Host header. */
  authority: string;
  /** Path and query, as written. */
  target: string;
}

/** Splits an absolute URL without normalising its path. */
export function splitUrl(url: string): SplitUrl {
  const match = /^(https?):\/\/([^/?#]+)([^#]*)/i.exec(url);
  if (match === null) throw new Error(`not an absolute http(s) URL: ${url}`);
  const protocol = match[1].toLowerCase() === 'https' ? 'https:' : 'http:';
  const parsed = new URL(`${protocol}//${match[2]}/`);
  const target = match[3] === '' ? '/' : match[3].startsWith('/') ? match[3] : `/${match[3]}`;
  return {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(parsed.port),
    authority: match[2],
    target,
  };
}

export class HttpClient {
  private sent = 0;
  private api = 0;
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  constructor(private readonly options: { maxRequests: number; timeoutMs: number }) {}

  /** Requests sent so far. */
  get count(): number {
    return this.sent;
  }

  /** Of those, requests to `/api/` (the WAF's tighter per-IP limit counts these). */
  get apiCount(): number {
    return this.api;
  }

  send(request: HttpRequest): Promise<HttpAnswer> {
    if (this.sent >= this.options.maxRequests)
      return Promise.reject(new RequestBudgetExceeded(this.options.maxRequests));
    this.sent += 1;
    const url = splitUrl(request.url);
    if (url.target.startsWith('/api/')) this.api += 1;
    const method = request.method ?? 'GET';
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    const headers: Record<string, string> = {
      host: url.authority,
      'user-agent': 'streamgate-verify',
      ...request.headers,
    };
    if (body !== undefined) headers['content-length'] = String(body.length);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? this.agents.https : this.agents.http;
    const started = performance.now();
    return new Promise((done, fail) => {
      const req = send(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.target,
          method,
          headers,
          agent,
          // SNI names a host, never an address (RFC 6066).
          ...(isIP(url.hostname) === 0 ? { servername: url.hostname } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk); // a segment need not be kept whole
          });
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
              ms: performance.now() - started,
              method,
              url: request.url,
            }),
          );
          res.on('error', fail);
        },
      );
      req.setTimeout(request.timeoutMs ?? this.options.timeoutMs, () =>
        req.destroy(new Error(`no answer within ${request.timeoutMs ?? this.options.timeoutMs} ms`)),
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The body as JSON, or undefined. */
export function jsonBody(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The `error` code of an API error body (`{"error", "error_description"}`), if it is one. */
export function apiError(answer: HttpAnswer): string | undefined {
  const body = jsonBody(answer);
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string'
    ? (body as { error: string }).error
    : undefined;
}

/** One header's value (the first of several). */
export function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** One short line on an answer, for evidence: status, what answered, and its error code. */
export function describeAnswer(answer: HttpAnswer): string {
  const parts = [String(answer.status)];
  const text = answer.body.subarray(0, 2048).toString('utf8');
  const xmlCode = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1];
  const json = jsonBody(answer) as { error?: unknown; message?: unknown } | undefined;
  if (xmlCode !== undefined) parts.push(xmlCode);
  else if (typeof json?.error === 'string') parts.push(json.error);
  else if (typeof json?.message === 'string') parts.push(`"${json.message.slice(0, 60)}"`);
  const denied = header(answer, 'x-streamgate-denied');
  if (denied !== undefined) parts.push(`x-streamgate-denied: ${denied}`);
  const cache = header(answer, 'x-cache');
  if (cache !== undefined) parts.push(`x-cache: ${cache}`);
  return parts.join(', ');
}

/** A URL shortened for evidence: no signing values (they are credentials), path kept as sent. */
export function redactUrl(url: string): string {
  return url.replace(/((?:^|[?&])(?:Policy|Signature|Key-Pair-Id)=)[^&]*/g, '$1…');
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
