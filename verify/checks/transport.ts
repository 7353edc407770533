/**
 * Transport and headers: plain HTTP goes to HTTPS (or nowhere), TLS below 1.2 is refused, the
 * page carries the security headers lib/page-headers.ts declares, and a route the API does not
 * declare answers in the documented shape without reaching a function.
 */
import { videoFolder } from '../../lambda/core/media-paths';
import { randomBytes } from 'node:crypto';
import { pageHeaders } from '../../lib/page-headers';
import { type Check, Proof, skipped } from '../check';
import { apiError, describeAnswer, header, type HttpAnswer, jsonBody, splitUrl } from '../http';
import { probeTls } from '../tls-probe';

const HTTP_ONLY = 'base is plain HTTP (local mode): only meaningful deployed behind HTTPS';

const httpRedirect: Check = {
  id: 'transport.http-redirect',
  family: 'transport',
  promise: 'Plain HTTP is redirected to HTTPS or refused: no page, grant or segment goes over plain HTTP.',
  doc: 'docs/design.md#parts-deployed-and-local',
  async run(ctx) {
    if (!ctx.https) return skipped(HTTP_ONLY);
    const proof = new Proof();
    const { authority } = splitUrl(ctx.options.base);
    const host = authority.replace(/:\d+$/, '');
    for (const path of ['/', `${videoFolder(ctx.options.mediaPrefix, ctx.options.video)}index.m3u8`]) {
      const url = `http://${host}${path}`;
      let answer: HttpAnswer;
      try {
        answer = await ctx.http.send({ url, timeoutMs: 10_000 });
      } catch (error) {
        proof.require(true, `GET ${url} → no HTTP answer (${(error as Error).message}): refused`);
        continue;
      }
      const location = header(answer, 'location') ?? '';
      const redirected = [301, 302, 307, 308].includes(answer.status) && location.startsWith('https://');
      proof.require(
        redirected || answer.status === 403,
        `GET ${url} → ${describeAnswer(answer)}${location ? `, location: ${location}` : ''}`,
      );
    }
    return proof.outcome();
  },
};

const tlsMinimum: Check = {
  id: 'transport.tls-minimum',
  family: 'transport',
  promise: 'The distribution refuses TLS 1.0 and 1.1 (security policy TLSv1.2_2021, which needs a custom domain).',
  doc: 'docs/deploy.md#1-before-the-first-deploy',
  async run(ctx) {
    if (!ctx.https) return skipped(HTTP_ONLY);
    const proof = new Proof();
    const { hostname, port } = splitUrl(ctx.options.base);
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const probe = await probeTls({ host: hostname, port, servername: hostname }, version);
      if (probe.outcome === 'client-cannot')
        return proof.skip(`this Node's OpenSSL cannot offer ${version}: ${probe.detail}`);
      if (probe.outcome === 'unreachable') {
        proof.require(false, `${version} handshake with ${hostname}:${port}: unreachable (${probe.detail})`);
        continue;
      }
      proof.require(
        probe.outcome === 'refused',
        `${version} handshake with ${hostname}:${port} → ${probe.outcome === 'refused' ? `refused (${probe.detail})` : `accepted (${probe.protocol})`}`,
      );
    }
    if (proof.failed && hostname.endsWith('.cloudfront.net'))
      proof.note("a *.cloudfront.net name has CloudFront's default certificate and TLS policy: serve a custom domain");
    return proof.outcome();
  },
};

const pageHeadersCheck: Check = {
  id: 'transport.page-headers',
  family: 'transport',
  promise: 'The player page carries every security header of the contract, CSP included, with its value.',
  doc: 'docs/deploy.md#publish-the-player-page',
  async run(ctx) {
    const proof = new Proof();
    const answer = await ctx.http.send({ url: ctx.url('/') });
    proof.require(answer.status === 200, `GET / → ${describeAnswer(answer)}`);
    const expected = pageHeaders({
      https: ctx.https,
      ...(ctx.options.contentSecurityPolicy === undefined
        ? {}
        : { contentSecurityPolicy: ctx.options.contentSecurityPolicy }),
    });
    for (const [name, value] of Object.entries(expected)) {
      const sent = header(answer, name);
      proof.require(
        sent === value,
        sent === undefined
          ? `${name}: missing (expected "${value}")`
          : sent === value
            ? `${name}: ${sent}`
            : `${name}: "${sent}", expected "${value}"`,
      );
    }
    return proof.outcome();
  },
};

/** The documented answers to a request no route declares (docs/api.md "Errors", last paragraph). */
function documentedUnknownRoute(answer: HttpAnswer, method: string): boolean {
  const body = jsonBody(answer) as { message?: unknown } | undefined;
  if (answer.status === 404) return body?.message === 'Not Found' || apiError(answer) === 'not_found'; // API Gateway, local API
  if (answer.status === 405) return apiError(answer) === 'method_not_allowed' && header(answer, 'allow') !== undefined; // local API
  // The WAF blocks methods the API does not use under /api/, with its own (non-API) 403.
  return answer.status === 403 && !['POST', 'DELETE'].includes(method) && apiError(answer) === undefined;
}

const unknownRoutes: Check = {
  id: 'transport.unknown-routes',
  family: 'transport',
  promise:
    "A route the API does not declare reaches no function: it answers 404 (or 405, or the WAF's 403) in the documented shape.",
  doc: 'docs/api.md#errors',
  async run(ctx) {
    const proof = new Proof();
    const name = `streamgate-verify-${randomBytes(3).toString('hex')}`;
    const { video } = ctx.options;
    const probes: [string, string][] = [
      ['POST', `/api/v1/${name}`],
      ['GET', `/api/v1/${name}`],
      ['POST', `/api/v1/playback/${video}/${name}`],
      ['POST', '/api/v1/playback'],
      ['POST', `/api/v2/playback/${video}`],
      ['DELETE', `/api/v1/playback/${video}`],
      ['GET', '/api/v1/revocations'],
    ];
    for (const [method, path] of probes) {
      const answer = await ctx.http.send({ method, url: ctx.url(path) });
      proof.require(
        documentedUnknownRoute(answer, method) && answer.headers['set-cookie'] === undefined,
        `${method} ${path} → ${describeAnswer(answer)}`,
      );
    }
    return proof.outcome();
  },
};

export const TRANSPORT_CHECKS: Check[] = [httpRedirect, tlsMinimum, pageHeadersCheck, unknownRoutes];
