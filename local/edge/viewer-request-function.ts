/**
 * Runs the distribution's viewer-request function (edge-function/viewer-request.js, the file the
 * CDK app deploys) in the local edge, the way CloudFront Functions runs it: in a fresh node:vm
 * context holding only the ECMAScript built-ins and `console.log` (no `require`, `process`,
 * `Buffer`, timers, nor code generation from strings), given a viewer-request event built from
 * the node request, its answer either a request to continue with or a response to send.
 *
 * The script is compiled and evaluated once, at start-up: a file that does not load (a syntax
 * error, syntax the runtime does not document (./cloudfront-js-syntax.ts), an `export`
 * statement, no `handler`) stops the local stack there. At request time a
 * throw, a time-out (of an async answer; of the synchronous part with `watchdogMs`) or an answer
 * of the wrong shape is an error the edge turns into a 503, as CloudFront does; it never lets
 * the request through.
 * Event shape: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { createContext, Script, type Context } from 'node:vm';
import { EDGE_FUNCTION_DEFAULTS, type EdgeFunctionSettings, viewerRequestCode } from '../../lib/viewer-request-code';
import { unsupportedSyntax } from './cloudfront-js-syntax';

export const VIEWER_REQUEST_FUNCTION_FILE = join(__dirname, '..', '..', 'edge-function', 'viewer-request.js');

/** A query parameter, header or cookie in the event: the first value, and all of them when repeated. */
export interface FieldValue {
  value: string;
  multiValue?: { value: string }[];
}

export interface ViewerRequest {
  method: string;
  /** The path without the query, percent-encoded as sent. */
  uri: string;
  querystring: Record<string, FieldValue>;
  headers: Record<string, FieldValue>;
  cookies: Record<string, FieldValue>;
}

export interface ViewerRequestEvent {
  version: '1.0';
  context: {
    eventType: 'viewer-request';
    distributionDomainName?: string;
    distributionId?: string;
    requestId?: string;
  };
  viewer: { ip: string };
  request: ViewerRequest;
}

/** What the function decided, as plain data (nothing from inside the vm context). */
export type ViewerRequestOutcome =
  | { kind: 'request'; request: ViewerRequest }
  | { kind: 'response'; statusCode: number; statusDescription?: string; headers: [string, string][]; body: Buffer }
  | { kind: 'error'; reason: string };

/** What the function's `cf.kvs()` reads: the KeyValueStore associated with it (local/edge/key-value-store.ts). */
export interface KeyValueStoreReader {
  /** The value, or undefined for a missing key. */
  get(key: string): string | undefined;
}

export interface ViewerRequestFunctionOptions {
  /** The deployment's edge settings, for the built code (`fromFile()` without a file). @default EDGE_FUNCTION_DEFAULTS */
  settings?: EdgeFunctionSettings;
  /** The KeyValueStore associated with the function; without one, `cf.kvs()` throws, as unassociated. */
  keyValueStore?: KeyValueStoreReader;
  /** Shown in stack traces. @default the file name, or 'viewer-request.js' */
  filename?: string;
  /** Where the function's `console.log` lines go. @default dropped */
  log?: (line: string) => void;
  /** Limit for an async handler's answer. @default 100 */
  timeoutMs?: number;
  /**
   * A watchdog on each call's synchronous part, which stops a function that loops forever. Off
   * by default: node starts a watchdog thread per call, about 0.3 ms here, eight times what the
   * function itself costs, and the deployed runtime enforces its own compute limit.
   */
  watchdogMs?: number;
}

/**
 * The runtime's `console.log`, defined inside the context (no function of the host realm is
 * reachable from the script): lines are buffered there and collected after each call.
 */
const RUNTIME_PRELUDE = `
delete globalThis.WebAssembly; // V8 gives every context one; CloudFront's runtime has none
var __logLines = [];
var console = Object.freeze({ log: function () { __logLines.push(Array.prototype.map.call(arguments, String).join(' ')); } });
`;

/**
 * The runtime's two modules, `cloudfront` (kvs() with async get/exists; get rejects for a missing
 * key) and `crypto` (createHash/createHmac: md5, sha1, sha256; digest hex, base64, base64url).
 * Built inside the context over two host bridges that take and return strings only; each bridge
 * is captured in a closure and its global deleted, so the function never holds a host object.
 */
const MODULES_PRELUDE = `
(function (digest, kvsGet, kvsAssociated) {
  function hasher(kind, algorithm, key) {
    if (algorithm !== 'md5' && algorithm !== 'sha1' && algorithm !== 'sha256') throw new Error('Unsupported algorithm: ' + algorithm);
    var parts = [];
    return {
      update: function (data) { parts.push(String(data)); return this; },
      digest: function (encoding) {
        if (encoding !== 'hex' && encoding !== 'base64' && encoding !== 'base64url') throw new Error('Unsupported encoding: ' + encoding);
        return digest(kind, algorithm, key === undefined ? '' : String(key), parts.join(''), encoding);
      },
    };
  }
  globalThis.__module_crypto = Object.freeze({
    createHash: function (algorithm) { return hasher('hash', algorithm); },
    createHmac: function (algorithm, key) { return hasher('hmac', algorithm, key); },
  });
  function store() {
    return Object.freeze({
      get: function (key) {
        return new Promise(function (resolve, reject) {
          var value = kvsGet(String(key));
          if (value === undefined) reject(new Error('KeyNotFound: ' + key)); else resolve(value);
        });
      },
      exists: function (key) { return Promise.resolve(kvsGet(String(key)) !== undefined); },
    });
  }
  globalThis.__module_cloudfront = Object.freeze({
    kvs: function () {
      if (!kvsAssociated) throw new Error('no KeyValueStore is associated with this function');
      return store();
    },
  });
})(__bridge_digest, __bridge_kvsGet, __bridge_kvsAssociated);
delete globalThis.__bridge_digest;
delete globalThis.__bridge_kvsGet;
delete globalThis.__bridge_kvsAssociated;
`;

/** The import statements the runtime resolves (its own modules), turned into the globals above; any other stays a syntax error. */
const RUNTIME_IMPORT = /^import\s+([A-Za-z_$][\w$]*)\s+from\s+'(cloudfront|crypto)';?[ \t]*$/gm;

function resolveRuntimeImports(source: string): string {
  return source.replace(RUNTIME_IMPORT, (_line, name: string, module: string) => `var ${name} = __module_${module};`);
}

function hostDigest(kind: string, algorithm: string, key: string, data: string, encoding: string): string {
  const hash = kind === 'hmac' ? createHmac(algorithm, key) : createHash(algorithm);
  return hash.update(data).digest(encoding as 'hex' | 'base64' | 'base64url');
}

export class ViewerRequestFunction {
  /** The function's global scope: for tests that check what the function can and cannot see. */
  readonly context: Context;
  private readonly invoke = new Script('handler(JSON.parse(__viewerRequestEvent))', {
    filename: 'invoke-viewer-request',
  });
  private readonly drainLog = new Script('(function () { return __logLines.splice(0, __logLines.length); })', {
    filename: 'drain-viewer-request-log',
  });
  /** Takes the function's buffered log lines: compiled in the context once, called directly. */
  private drain: () => unknown = () => [];
  private readonly log: (line: string) => void;
  private readonly timeoutMs: number;
  private readonly watchdogMs: number | undefined;
  /** `handler(JSON.parse(event))`, compiled in the context once: a direct call costs no script run. */
  private readonly call: (eventJson: string) => unknown;

  /**
   * `file` as it is; without one, the code the distribution deploys: the template's minified
   * build with `options.settings` (lib/viewer-request-code.ts).
   */
  static fromFile(file?: string, options: ViewerRequestFunctionOptions = {}): ViewerRequestFunction {
    if (file === undefined)
      return new ViewerRequestFunction(viewerRequestCode(options.settings ?? EDGE_FUNCTION_DEFAULTS), {
        filename: 'viewer-request.js (built)',
        ...options,
      });
    return new ViewerRequestFunction(readFileSync(file, 'utf8'), { filename: file, ...options });
  }

  constructor(source: string, options: ViewerRequestFunctionOptions = {}) {
    this.log = options.log ?? (() => undefined);
    this.timeoutMs = options.timeoutMs ?? 100;
    this.watchdogMs = options.watchdogMs;
    this.context = createContext({}, { name: 'cloudfront-js-2.0', codeGeneration: { strings: false, wasm: false } });
    new Script(RUNTIME_PRELUDE, { filename: 'cloudfront-js-2.0-prelude' }).runInContext(this.context);
    const store = options.keyValueStore;
    this.context.__bridge_digest = hostDigest;
    this.context.__bridge_kvsGet = (key: string): string | undefined => {
      const value = store?.get(key);
      return typeof value === 'string' ? value : undefined;
    };
    this.context.__bridge_kvsAssociated = store !== undefined;
    new Script(MODULES_PRELUDE, { filename: 'cloudfront-js-2.0-modules' }).runInContext(this.context);
    const filename = options.filename ?? 'viewer-request.js';
    // V8 accepts more than cloudfront-js-2.0: what the edge would not load must not run here either.
    const unsupported = unsupportedSyntax(source, filename)[0];
    if (unsupported !== undefined)
      throw new Error(
        `${filename}: the function does not load at the edge: line ${unsupported.line}:${unsupported.column}: ${unsupported.feature} is not in cloudfront-js-2.0's documented syntax`,
      );
    try {
      // Compiled as a classic script: the runtime's own imports become its modules; an `export`
      // or any other `import` statement is a syntax error here, as CloudFront refuses it.
      new Script(resolveRuntimeImports(source), { filename }).runInContext(this.context, { timeout: 1000 });
    } catch (error) {
      throw new Error(`${filename}: the function does not load: ${messageOf(error)}`);
    }
    if (new Script('typeof handler').runInContext(this.context) !== 'function') {
      throw new Error(`${filename}: the function does not load: no global function "handler"`);
    }
    this.call = new Script('(function (event) { return handler(JSON.parse(event)); })').runInContext(this.context);
    this.drain = this.drainLog.runInContext(this.context);
  }

  async run(event: ViewerRequestEvent): Promise<ViewerRequestOutcome> {
    let answer: unknown;
    try {
      // The event crosses as JSON and is parsed inside, so the function only holds objects of its own realm.
      if (this.watchdogMs === undefined) {
        answer = this.call(JSON.stringify(event));
      } else {
        this.context.__viewerRequestEvent = JSON.stringify(event);
        try {
          answer = this.invoke.runInContext(this.context, { timeout: this.watchdogMs });
        } finally {
          delete this.context.__viewerRequestEvent;
        }
      }
      if (isThenable(answer)) answer = await withTimeout(answer, this.timeoutMs);
      // A request is read field by field into plain data of this realm (outcomeOf copies every
      // string it keeps); a response is copied out as JSON. A cycle or a throwing getter is an error.
      if (!isRecord(answer) || 'statusCode' in answer) answer = JSON.parse(JSON.stringify(answer) ?? 'null');
      return outcomeOf(answer);
    } catch (error) {
      return { kind: 'error', reason: `the function threw: ${messageOf(error)}` };
    } finally {
      this.flushLog();
    }
  }

  private flushLog(): void {
    const lines: unknown = this.drain();
    if (Array.isArray(lines)) for (const line of lines) this.log(String(line));
  }
}

/** An error's message, whichever realm (host or vm context) the error comes from. */
function messageOf(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        done(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        fail(new Error(messageOf(error)));
      },
    );
  });
}

function outcomeOf(answer: unknown): ViewerRequestOutcome {
  if (!isRecord(answer)) return { kind: 'error', reason: 'the function returned neither a request nor a response' };
  if ('statusCode' in answer) return responseOf(answer);
  const { method, uri, querystring, headers, cookies } = answer;
  if (typeof uri !== 'string' || !uri.startsWith('/'))
    return { kind: 'error', reason: 'the returned request has no absolute uri' };
  if (typeof method !== 'string' || !isRecord(querystring) || !isRecord(headers) || !isRecord(cookies)) {
    return { kind: 'error', reason: 'the returned request lacks method, querystring, headers or cookies' };
  }
  return {
    kind: 'request',
    request: {
      method,
      uri,
      querystring: fieldsOf(querystring),
      headers: fieldsOf(headers),
      cookies: fieldsOf(cookies),
    },
  };
}

function responseOf(answer: Record<string, unknown>): ViewerRequestOutcome {
  const { statusCode, statusDescription, headers = {}, cookies = {}, body } = answer;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 200 || statusCode > 599) {
    return { kind: 'error', reason: `the returned response has an invalid statusCode ${String(statusCode)}` };
  }
  if (!isRecord(headers) || !isRecord(cookies))
    return { kind: 'error', reason: 'the returned response has malformed headers or cookies' };
  const headerList: [string, string][] = [];
  for (const [name, field] of Object.entries(fieldsOf(headers))) {
    for (const { value } of field.multiValue ?? [field]) headerList.push([name.toLowerCase(), value]);
  }
  for (const [name, field] of Object.entries(cookies)) {
    if (!isRecord(field) || typeof field.value !== 'string') continue;
    const attributes = typeof field.attributes === 'string' && field.attributes !== '' ? `; ${field.attributes}` : '';
    headerList.push(['set-cookie', `${name}=${field.value}${attributes}`]);
  }
  let bytes: Buffer;
  if (body === undefined) bytes = Buffer.alloc(0);
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (isRecord(body) && typeof body.data === 'string' && (body.encoding === 'text' || body.encoding === undefined))
    bytes = Buffer.from(body.data, 'utf8');
  else if (isRecord(body) && typeof body.data === 'string' && body.encoding === 'base64')
    bytes = Buffer.from(body.data, 'base64');
  else return { kind: 'error', reason: 'the returned response has a malformed body' };
  return {
    kind: 'response',
    statusCode,
    statusDescription: typeof statusDescription === 'string' ? statusDescription : undefined,
    headers: headerList,
    body: bytes,
  };
}

/** Keeps the well-formed `{value, multiValue?}` entries, drops the rest. */
function fieldsOf(record: Record<string, unknown>): Record<string, FieldValue> {
  const fields = emptyFields();
  for (const [name, field] of Object.entries(record)) {
    if (!isRecord(field) || typeof field.value !== 'string') continue;
    const multiValue = Array.isArray(field.multiValue)
      ? field.multiValue
          .filter((entry): entry is { value: string } => isRecord(entry) && typeof entry.value === 'string')
          .map(({ value }) => ({ value }))
      : undefined;
    fields[name] = multiValue === undefined ? { value: field.value } : { value: field.value, multiValue };
  }
  return fields;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The viewer-request event for a node request. The uri is the path as sent (percent-encoded, no
 * query); query names and values stay percent-encoded as sent [U: the guide does not say whether
 * CloudFront decodes them]; header names are lower-case; the Cookie header becomes `cookies` and
 * is not among the headers; repeated names keep the first value and list all in `multiValue`.
 */
export function viewerRequestEvent(req: IncomingMessage, viewerIp: string): ViewerRequestEvent {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const uri = queryStart === -1 ? url : url.slice(0, queryStart);
  const querystring = emptyFields();
  if (queryStart !== -1) {
    for (const pair of url.slice(queryStart + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      addField(querystring, eq === -1 ? pair : pair.slice(0, eq), eq === -1 ? '' : pair.slice(eq + 1));
    }
  }
  const headers = emptyFields();
  const cookies = emptyFields();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    if (name !== 'cookie') {
      addField(headers, name, value);
      continue;
    }
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      const cookieName = (eq === -1 ? part : part.slice(0, eq)).trim();
      if (cookieName !== '') addField(cookies, cookieName, eq === -1 ? '' : part.slice(eq + 1).trim());
    }
  }
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionDomainName: req.headers.host },
    viewer: { ip: viewerIp },
    request: { method: req.method ?? 'GET', uri, querystring, headers, cookies },
  };
}

/** A name → field map without a prototype, so a viewer's `__proto__` is just a name. */
function emptyFields(): Record<string, FieldValue> {
  return Object.create(null) as Record<string, FieldValue>;
}

function addField(fields: Record<string, FieldValue>, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) {
    fields[name] = { value };
    return;
  }
  existing.multiValue = [...(existing.multiValue ?? [{ value: existing.value }]), { value }];
}
