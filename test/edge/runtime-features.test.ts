/**
 * What the local edge runs must load at the edge: every file of edge-function/ uses only the
 * syntax cloudfront-js-2.0 documents (local/edge/cloudfront-js-syntax.ts, an allow-list over
 * TypeScript's parser), and the local function runner, full V8 underneath, refuses to load
 * anything else, as CloudFront would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unsupportedSyntax } from '../../local/edge/cloudfront-js-syntax';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';

const EDGE_FUNCTIONS = join(__dirname, '..', '..', 'edge-function');
const features = (source: string): string[] => unsupportedSyntax(source).map((finding) => finding.feature);

test.each(readdirSync(EDGE_FUNCTIONS).filter((name) => name.endsWith('.js')))(
  'edge-function/%s uses only the syntax cloudfront-js-2.0 documents',
  (name) => {
    expect(unsupportedSyntax(readFileSync(join(EDGE_FUNCTIONS, name), 'utf8'), name)).toEqual([]);
  },
);

describe('refused: what V8 runs but the runtime does not document', () => {
  test.each([
    ['a class declaration', 'class Grant {}', 'class'],
    ['a class expression', 'var Grant = class {};', 'class'],
    ['a generator', 'function* ids() { yield 1; }', 'generator'],
    ['an optional catch binding', 'try { f(); } catch { g(); }', 'optional catch binding'],
    ['for-of', 'for (var x of xs) {}', 'for-of'],
    ['a spread argument', 'f(...args);', 'spread (...)'],
    ['an array spread', 'var all = [...a, ...b];', 'spread (...)'],
    ['an object spread', 'var o = { ...a };', 'object spread (...)'],
    ['a destructuring declaration', 'var { uri } = request;', 'destructuring'],
    ['an array destructuring', 'var [a, b] = pair;', 'destructuring'],
    ['a destructuring assignment', '[a, b] = [b, a];', 'destructuring'],
    ['a destructuring parameter', 'function f({ uri }) { return uri; }', 'destructuring'],
    ['a default parameter', 'function f(a = 1) { return a; }', 'default parameter'],
    ['optional chaining', 'var v = event.request.cookies?.session;', 'optional chaining (?.)'],
    ['an optional call', 'f?.();', 'optional chaining (?.)'],
    ['nullish coalescing', 'var v = a ?? b;', 'nullish coalescing (??)'],
    ['a logical assignment', 'a ||= b;', 'logical assignment (||=)'],
    ['an exponent assignment', 'a **= 2;', 'exponent assignment (**=)'],
    ['a tagged template', 'var t = tag`x`;', 'tagged template'],
    ['an async arrow (a closure)', 'var f = async () => 1;', 'async closure (only async function declarations)'],
    [
      'an async function expression',
      'var f = async function () {};',
      'async closure (only async function declarations)',
    ],
    ['await outside an async function', 'function f() { await g(); }', 'await outside an async function'],
    [
      'await in a plain arrow inside an async function',
      'async function f() { var g = () => await h(); }',
      'await outside an async function',
    ],
    ['an export statement', 'function handler(e) { return e.request; }\nexport { handler };', 'export'],
    ['an exported function', 'export function handler(e) { return e.request; }', 'export'],
    ['a default export', 'export default function handler(e) { return e.request; }', 'export'],
    ['a named import of a runtime module', "import { kvs } from 'cloudfront';", 'named import'],
    ['a dynamic import', "import('cloudfront');", 'dynamic import()'],
    ['a BigInt', 'var n = 1n;', 'BigInt literal'],
    ['a numeric separator', 'var n = 1_000;', 'binary or octal literal, or numeric separator'],
    ['a binary literal', 'var n = 0b101;', 'binary or octal literal, or numeric separator'],
    ['a shorthand property', 'var o = { uri };', 'shorthand property'],
    ['a method shorthand', 'var o = { get() { return 1; } };', 'method shorthand'],
    ['a computed key', 'var o = { [name]: 1 };', 'computed property name'],
    ['a sticky regular expression', 'var r = /a/y;', 'regular expression flag beyond g, i, m (/y)'],
    ['a dotAll regular expression', 'var r = /a.b/s;', 'regular expression flag beyond g, i, m (/s)'],
    ['a named capture group', 'var r = /(?<id>\\d+)/;', 'named group or lookbehind in a regular expression'],
    ['a lookbehind', 'var r = /(?<=x)y/;', 'named group or lookbehind in a regular expression'],
    ['new.target', 'function F() { return new.target; }', 'new.target / import.meta'],
  ])('%s', (_name, source, feature) => {
    expect(features(source)).toContain(feature);
  });

  test('an import of any module but the runtime’s own two', () => {
    expect(features("import fs from 'fs';")).toEqual([
      "import other than \"import <name> from 'cloudfront' | 'crypto'\"",
    ]);
  });

  test('a syntax error, with its line and column', () => {
    const findings = unsupportedSyntax('var a = 1;\nfunction (');
    expect(findings).toContainEqual({ line: 2, column: 10, feature: 'syntax error: Identifier expected.' });
    for (const finding of findings)
      expect(finding).toMatchObject({ line: 2, feature: expect.stringMatching(/^syntax error: /) });
  });

  test('each finding has its place in the source', () => {
    expect(unsupportedSyntax('var a = 1;\nvar b = {\n  c,\n};')).toEqual([
      { line: 3, column: 3, feature: 'shorthand property' },
    ]);
  });
});

describe('accepted: each feature the runtime documents', () => {
  test.each([
    ['ES 5.1 statements, labels included', 'l: for (var i = 0; i < 3; i++) { do { continue l; } while (false); }'],
    ['for-in', 'var o = { a: 1 }; for (var k in o) { if (k) break; }'],
    [
      'switch, throw, try/catch/finally',
      'switch (a) { case 1: throw new Error("x"); default: try { f(); } catch (e) { g(e); } finally { h(); } }',
    ],
    ['getters and setters in object literals (ES 5.1)', 'var o = { get a() { return 1; }, set a(v) {} };'],
    ['const and let', 'const a = 1; let b = a + 1;'],
    ['the exponentiation operator', 'var a = 2 ** 10;'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source handed to the parser
    ['template literals: multi-line, interpolation, nesting', 'var a = `x\n${`y${1 + 2}`}`;'],
    ['arrow functions and rest parameters', 'var f = (a, ...rest) => rest.length + a;'],
    [
      'an async handler awaiting the KeyValueStore',
      "import cf from 'cloudfront';\nasync function handler(event) { var v = await cf.kvs().get('k'); return v; }",
    ],
    [
      'the crypto module',
      "import crypto from 'crypto';\nvar h = crypto.createHash('sha256').update('x').digest('hex');",
    ],
    ['regular expressions with g, i, m and escapes', 'var r = /^\\/media\\/[a-z0-9_-]+\\/(?:x|y)[(?<]$/gim;'],
    ['ES 5.1 hex literals', 'var a = 0x30 | 0x3c;'],
  ])('%s', (_name, source) => {
    expect(unsupportedSyntax(source)).toEqual([]);
  });

  test('a real parse, not a text search: refused words in strings, comments and names are not syntax', () => {
    expect(
      unsupportedSyntax('var s = "class A { *g() {} } a?.b ?? c"; // for (x of y)\n/* ...spread */ var classOf = 1;'),
    ).toEqual([]);
  });
});

describe('the local function runner', () => {
  const handler = 'function handler(event) { return event.request; }';

  test.each([
    ['a class', `class Grant {}\n${handler}`, /line 1:1: class is not in cloudfront-js-2.0's documented syntax/],
    ['an optional catch binding', `${handler}\ntry { handler(); } catch {}`, /line 2:\d+: optional catch binding/],
    ['a generator', `function* ids() {}\n${handler}`, /line 1:1: generator/],
    ['optional chaining', `function handler(event) { return event?.request; }`, /optional chaining/],
  ])('refuses to load a function with %s, as CloudFront would (V8 alone would run it)', (_name, source, message) => {
    expect(() => new ViewerRequestFunction(source)).toThrow(/does not load at the edge/);
    expect(() => new ViewerRequestFunction(source)).toThrow(message);
  });

  test('loads one with only documented syntax', async () => {
    const fn = new ViewerRequestFunction(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source for the runner
      'async function handler(event) { const r = event.request; r.uri = `${r.uri}`; return r; }',
    );
    const event = {
      version: '1.0' as const,
      context: { eventType: 'viewer-request' as const },
      viewer: { ip: '198.51.100.7' },
      request: { method: 'GET', uri: '/media/demo-1/index.m3u8', querystring: {}, headers: {}, cookies: {} },
    };
    expect(await fn.run(event)).toMatchObject({ kind: 'request', request: { uri: '/media/demo-1/index.m3u8' } });
  });
});
