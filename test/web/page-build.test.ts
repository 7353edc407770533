/**
 * The page build's host origins (web/build.ts): the page trusts a message only when
 * `event.origin` equals one of them as a string, so each is written as a browser spells an
 * origin, and one that could never match, or should never be trusted, is refused naming the field.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlayerPage, hostOrigin } from '../../web/build';

describe('hostOrigin', () => {
  test.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['HTTPS://App.Example.COM', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['https://app.example.com/', 'https://app.example.com'],
    ['https://app.example.com:8443', 'https://app.example.com:8443'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['http://127.0.0.1:5173', 'http://127.0.0.1:5173'],
    ['http://LOCALHOST:80', 'http://localhost'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
  ])('%s is written as %s, the origin a browser reports', (raw, written) => {
    expect(hostOrigin(raw)).toBe(written);
    // The same spelling as the WHATWG URL parser's origin (what event.origin is).
    expect(new URL(written).origin).toBe(written);
  });

  test.each([
    ['plain http off loopback', 'http://app.example.com', /is not https/],
    ['another scheme', 'ftp://app.example.com', /is not https/],
    ['a trailing dot', 'https://app.example.com.', /ends in a dot/],
    ['a trailing dot with a port', 'HTTPS://APP.EXAMPLE.COM.:443', /ends in a dot/],
    ['a path', 'https://app.example.com/player', /path, query or fragment/],
    ['a query', 'https://app.example.com?x=1', /path, query or fragment/],
    ['an empty query', 'https://app.example.com?', /path, query or fragment/],
    ['a fragment', 'https://app.example.com#top', /path, query or fragment/],
    ['credentials', 'https://user:pw@app.example.com', /credentials/],
    ['a wildcard', 'https://*.example.com', /does not name one host/],
    ['no scheme', 'app.example.com', /is not a URL/],
    ['nothing', '', /is not a URL/],
  ])('refuses %s, naming the field', (_case, raw, why) => {
    expect(() => hostOrigin(raw)).toThrow(why);
    expect(() => hostOrigin(raw)).toThrow(/^--host-origin \(hostOrigins\): /);
  });
});

describe('buildPlayerPage', () => {
  const outDir = () => join(mkdtempSync(join(tmpdir(), 'streamgate-page-')), 'web');
  const metaOf = (dir: string) =>
    /<meta name="streamgate-host-origins" content="([^"]*)">/.exec(readFileSync(join(dir, 'index.html'), 'utf8'))?.[1];

  test('writes each origin once, as a browser spells it', () => {
    const dir = outDir();
    buildPlayerPage({
      target: 'deploy',
      outDir: dir,
      hostOrigins: ['HTTPS://App.Example.com:443', 'https://app.example.com', 'https://other.example:8443/'],
    });
    expect(metaOf(dir)).toBe('https://app.example.com https://other.example:8443');
  }, 60000);

  test('refuses the whole build for one bad origin, before writing anything', () => {
    const dir = outDir();
    expect(() =>
      buildPlayerPage({
        target: 'deploy',
        outDir: dir,
        hostOrigins: ['https://app.example.com', 'http://app.example.com'],
      }),
    ).toThrow(/--host-origin \(hostOrigins\): "http:\/\/app\.example\.com" is not https/);
    expect(() => readFileSync(join(dir, 'index.html'))).toThrow(/ENOENT/);
  });
});
