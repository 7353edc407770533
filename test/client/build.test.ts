/**
 * `node client/build.mjs`: the ES module and the script-tag IIFE exist, the IIFE defines the
 * `StreamgateClient` global, the ES module is really one, and the size budget holds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';

const CLIENT = resolve(__dirname, '..', '..', 'client');
const dist = (file: string) => join(CLIENT, 'dist', file);
const gzipped = (file: string) => gzipSync(readFileSync(dist(file)), { level: 9 }).length;
const API = [
  'createPlaybackSession',
  'StreamgateError',
  'attachHlsJs',
  'hlsJsConfig',
  'attachShaka',
  'shakaRequestFilter',
  'attachVideoJs',
  'attachNative',
];

let output: string;
beforeAll(() => {
  output = execFileSync(process.execPath, [join(CLIENT, 'build.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}, 60000);

test('both bundles and the type declarations are built, and the sizes are printed', () => {
  for (const file of [
    'streamgate-client.js',
    'streamgate-client.global.js',
    'types/index.d.ts',
    'types/adapters/hlsjs.d.ts',
  ])
    expect(existsSync(dist(file))).toBe(true);
  expect(output).toMatch(/streamgate-client\.js\s+[\d.]+ KB raw\s+[\d.]+ KB gzipped/);
  expect(output).toMatch(/streamgate-client\.global\.js\s+[\d.]+ KB raw\s+[\d.]+ KB gzipped/);
  expect(output).toMatch(/core .* KB gzipped/);
});

test('the IIFE defines the StreamgateClient global with the whole API, and touches nothing else', () => {
  const sandbox: Record<string, unknown> = {};
  runInNewContext(readFileSync(dist('streamgate-client.global.js'), 'utf8'), sandbox);
  expect(Object.keys(sandbox)).toEqual(['StreamgateClient']);
  const global = sandbox.StreamgateClient as Record<string, unknown>;
  for (const name of API) expect(typeof global[name]).toBe('function');
});

test('the ES module exports the same API and imports nothing', () => {
  const source = readFileSync(dist('streamgate-client.js'), 'utf8');
  expect(source).not.toMatch(/\bimport\s*[{*\w]|\brequire\(/);
  expect(source).not.toContain(CLIENT); // no build machine's paths shipped
  // Node loads it as an ES module (package.json "type": "module"); jest itself cannot import ESM.
  const listed = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      'const m = await import(process.argv[1]); console.log(JSON.stringify(Object.keys(m).filter((k) => typeof m[k] === "function")))',
      pathToFileURL(dist('streamgate-client.js')).href,
    ],
    { encoding: 'utf8' },
  );
  expect(JSON.parse(listed)).toEqual(expect.arrayContaining(API));
});

test('size budget: the core (what every app ships) is at most 5 KB gzipped; every adapter and DRM, 6.5 KB', () => {
  const core = /core \(session \+ denials \+ signed URLs\)\s+[\d.]+ KB raw\s+([\d.]+) KB gzipped/.exec(output)?.[1];
  expect(Number(core)).toBeGreaterThan(0);
  expect(Number(core)).toBeLessThanOrEqual(5);
  // With every player adapter and the DRM licence guard (an ES module app keeps only what it imports).
  // 6.5 KB since 0.3.0: the cross-origin probe and the step-up, rental and live-scope handling.
  expect(gzipped('streamgate-client.js')).toBeLessThanOrEqual(6.5 * 1024);
  expect(gzipped('streamgate-client.global.js')).toBeLessThanOrEqual(6.5 * 1024);
});

test('package.json: ES module, exports for import and types, optional player peers', () => {
  const pkg = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as Record<string, any>;
  expect(pkg).toMatchObject({ name: 'streamgate-client', version: '0.2.0', type: 'module' });
  expect(pkg.exports['.']).toMatchObject({ types: './dist/types/index.d.ts', import: './dist/streamgate-client.js' });
  for (const peer of ['hls.js', 'shaka-player', 'video.js']) {
    expect(pkg.peerDependencies[peer]).toBeDefined();
    expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
  }
  expect(pkg.dependencies).toBeUndefined();
  expect(readFileSync(join(CLIENT, '.gitignore'), 'utf8')).toMatch(/^dist\/$/m);
});
