/**
 * The distribution's viewer-request function (edge-function/viewer-request.js) as CloudFront
 * Functions would run it: it loads with only the runtime's globals, keeps to the runtime's limits,
 * refuses every non-canonical URI with a 403 and rewrites /drm/ to MediaPackage's /out/v1/.
 * Plus the loader the local edge runs it with: events built from node requests, and failures
 * that end in a 503 rather than a pass.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { runInContext } from 'node:vm';
import {
  VIEWER_REQUEST_FUNCTION_FILE,
  ViewerRequestFunction,
  viewerRequestEvent,
  type ViewerRequestEvent,
} from '../../local/edge/viewer-request-function';
import { viewerRequestCode } from '../../lib/viewer-request-code';
import { CANONICAL_URIS, NON_CANONICAL_URIS } from './canonical-uris';

const SOURCE = readFileSync(VIEWER_REQUEST_FUNCTION_FILE, 'utf8');
const FORBIDDEN_XML =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>';

function eventFor(uri: string, extra: Partial<ViewerRequestEvent['request']> = {}): ViewerRequestEvent {
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '203.0.113.7' },
    request: {
      method: 'GET',
      uri,
      querystring: {},
      headers: { host: { value: 'video.example.com' } },
      cookies: {},
      ...extra,
    },
  };
}

describe('the function file', () => {
  it("is under CloudFront Functions' 10 KB size limit as deployed (minified, settings in: test/edge/access-layers.test.ts for the largest)", () => {
    expect(Buffer.byteLength(viewerRequestCode(), 'utf8')).toBeLessThan(10 * 1024);
  });

  it("has no export statement and imports only the runtime's own modules (CloudFront answers 503 to every request otherwise)", () => {
    expect(SOURCE).not.toMatch(/^\s*export\b/m);
    const imports = (SOURCE.match(/^[ \t]*import\b.*$/gm) ?? []).map((line) => line.trim());
    expect(imports).toEqual(["import cf from 'cloudfront';", "import crypto from 'crypto';"]);
    expect(SOURCE).not.toMatch(
      /\b(?:export\s*\{|export\s+(?:default|function|const|let|var)|module\.exports|require\s*\()/,
    );
  });

  it("defines a global handler and loads in a context with only the runtime's globals", () => {
    const fn = ViewerRequestFunction.fromFile();
    const visible = (name: string): string => runInContext(`typeof ${name}`, fn.context) as string;
    expect(visible('handler')).toBe('function');
    for (const absent of [
      'require',
      'module',
      'exports',
      'process',
      'Buffer',
      'global',
      '__dirname',
      'setTimeout',
      'setInterval',
      'setImmediate',
      'queueMicrotask',
      'fetch',
      'URL',
      'TextDecoder',
      'TextEncoder',
      'WebAssembly',
    ]) {
      expect([absent, visible(absent)]).toEqual([absent, 'undefined']);
    }
    expect(visible('console.log')).toBe('function');
    expect(visible('decodeURIComponent')).toBe('function');
    expect(() => runInContext('Function("return 1")()', fn.context)).toThrow(/Code generation from strings disallowed/);
  });

  it('does not load when it has an export statement, or no handler', () => {
    expect(() => new ViewerRequestFunction(`${SOURCE}\nexport { handler };\n`)).toThrow(
      /does not load at the edge: line \d+:1: export is not in cloudfront-js-2.0's documented syntax/,
    );
    // Only the runtime's own modules resolve: any other import is refused at load, as CloudFront refuses it.
    expect(() => new ViewerRequestFunction(`import fs from 'fs';\n${SOURCE}`)).toThrow(/does not load/);
    expect(() => new ViewerRequestFunction(`import { kvs } from 'cloudfront';\n${SOURCE}`)).toThrow(/does not load/);
    expect(() => new ViewerRequestFunction('function notTheHandler(event) { return event.request; }')).toThrow(
      /does not load: no global function "handler"/,
    );
  });
});

describe('decisions', () => {
  const fn = ViewerRequestFunction.fromFile();

  it.each(CANONICAL_URIS.filter((uri) => !uri.startsWith('/drm/')))(
    'passes the canonical %j unchanged',
    async (uri) => {
      const event = eventFor(uri, {
        querystring: { a: { value: '1' } },
        cookies: { 'CloudFront-Key-Pair-Id': { value: 'K2X' } },
      });
      expect(await fn.run(event)).toEqual({ kind: 'request', request: event.request });
    },
  );

  it.each(NON_CANONICAL_URIS)("refuses %j (%s) with a 403 and CloudFront's AccessDenied XML", async (uri) => {
    const lines: string[] = [];
    const logged = ViewerRequestFunction.fromFile(undefined, { log: (line) => lines.push(line) });
    expect(await logged.run(eventFor(uri))).toEqual({
      kind: 'response',
      statusCode: 403,
      statusDescription: 'Forbidden',
      headers: [['content-type', 'text/xml']],
      body: Buffer.from(FORBIDDEN_XML),
    });
    expect(lines).toEqual([expect.stringMatching(/^streamgate: 403 for a non-canonical URI \(.+\)$/)]);
  });

  it.each([
    ['/drm/x', '/out/v1/x'],
    ['/drm/out/index.m3u8', '/out/v1/out/index.m3u8'],
    ['/drm/a/b/segment_1.mp4', '/out/v1/a/b/segment_1.mp4'],
    ['/drmx/y', '/drmx/y'],
    ['/media/drm/x', '/media/drm/x'],
  ])('rewrites %j to %j', async (uri, rewritten) => {
    const outcome = await fn.run(eventFor(uri));
    expect(outcome).toEqual({ kind: 'request', request: { ...eventFor(uri).request, uri: rewritten } });
  });

  it('checks before it rewrites: /drm/ with a dot segment is refused, not rewritten', async () => {
    expect(await fn.run(eventFor('/drm/../media/demo-2/key.bin'))).toMatchObject({ kind: 'response', statusCode: 403 });
  });
});

describe('the loader', () => {
  const load = (body: string) => new ViewerRequestFunction(`function handler(event) { ${body} }`, { watchdogMs: 100 });

  it.each([
    ['throws', 'throw new Error("boom");', /threw: boom/],
    ['loops forever', 'for (;;) {}', /threw: .*timed out/],
    ['returns nothing', 'return undefined;', /neither a request nor a response/],
    ['returns a string', 'return "ok";', /neither a request nor a response/],
    ['returns a request without a uri', 'var r = event.request; delete r.uri; return r;', /no absolute uri/],
    ['returns a request with a relative uri', 'var r = event.request; r.uri = "x"; return r;', /no absolute uri/],
    ['returns a bad status code', 'return { statusCode: 99 };', /invalid statusCode/],
    ['returns a cyclic object', 'var a = {}; a.a = a; return a;', /no absolute uri/],
    ['returns a cyclic response', 'var a = { statusCode: 200 }; a.a = a; return a;', /threw/],
    [
      'returns a request with a throwing getter',
      'var r = event.request; Object.defineProperty(r, "uri", { get: function () { throw new Error("getter"); } }); return r;',
      /threw: getter/,
    ],
    ['rejects asynchronously', 'return Promise.reject(new Error("later"));', /threw: later/],
  ])('reports an error (the edge answers 503) when the function %s', async (_name, body, reason) => {
    const outcome = await load(body).run(eventFor('/media/demo-1/index.m3u8'));
    expect(outcome.kind).toBe('error');
    expect(outcome.kind === 'error' && outcome.reason).toMatch(reason);
  });

  it('accepts an async handler and a base64 body, headers with multiValue and cookies', async () => {
    const fn = new ViewerRequestFunction(`async function handler(event) {
      return { statusCode: 302, statusDescription: 'Found',
        headers: { Location: { value: '/x' }, 'x-a': { value: '1', multiValue: [{ value: '1' }, { value: '2' }] } },
        cookies: { s: { value: 'v', attributes: 'Path=/; Secure' } },
        body: { encoding: 'base64', data: 'aGk=' } };
    }`);
    expect(await fn.run(eventFor('/'))).toEqual({
      kind: 'response',
      statusCode: 302,
      statusDescription: 'Found',
      headers: [
        ['location', '/x'],
        ['x-a', '1'],
        ['x-a', '2'],
        ['set-cookie', 's=v; Path=/; Secure'],
      ],
      body: Buffer.from('hi'),
    });
  });

  it('builds the event from the raw request: uri as sent, query and cookies split, repeated names in multiValue', () => {
    const req = {
      method: 'GET',
      url: '/media/demo-1/%2e%2e/x.ts?a=1&Policy=P%3D&a=2&flag',
      headers: { host: 'localhost:8080' },
      rawHeaders: [
        'Host',
        'localhost:8080',
        'Cookie',
        'CloudFront-Policy=p; CloudFront-Signature=s',
        'X-Twice',
        'one',
        'x-twice',
        'two',
        'Cookie',
        'CloudFront-Policy=q',
      ],
    } as unknown as IncomingMessage;
    const event = viewerRequestEvent(req, '198.51.100.9');
    expect(JSON.parse(JSON.stringify(event))).toEqual({
      version: '1.0',
      context: { eventType: 'viewer-request', distributionDomainName: 'localhost:8080' },
      viewer: { ip: '198.51.100.9' },
      request: {
        method: 'GET',
        uri: '/media/demo-1/%2e%2e/x.ts',
        querystring: {
          a: { value: '1', multiValue: [{ value: '1' }, { value: '2' }] },
          Policy: { value: 'P%3D' },
          flag: { value: '' },
        },
        headers: {
          host: { value: 'localhost:8080' },
          'x-twice': { value: 'one', multiValue: [{ value: 'one' }, { value: 'two' }] },
        },
        cookies: {
          'CloudFront-Policy': { value: 'p', multiValue: [{ value: 'p' }, { value: 'q' }] },
          'CloudFront-Signature': { value: 's' },
        },
      },
    });
  });

  it("keeps a viewer's __proto__ parameter a plain name", () => {
    const req = { method: 'GET', url: '/m?__proto__=x', headers: {}, rawHeaders: [] } as unknown as IncomingMessage;
    const event = viewerRequestEvent(req, '198.51.100.9');
    expect(Object.keys(event.request.querystring)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).value).toBeUndefined();
  });
});
