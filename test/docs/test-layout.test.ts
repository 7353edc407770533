/**
 * The test tree's layout, held so it cannot drift: every suite that drives a browser lives under
 * test/browser/ (the one folder `npm run test:unit` leaves out), only the browser fixture launches
 * one, and every module of lambda/core/ and lambda/store/ has a test named after it but for a
 * shrinking list (scripts/test-layout.ts lists every module still without one).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  BROWSER_TEST_FOLDER,
  hasOwnBehaviour,
  importSpecifiers,
  importsOf,
  moduleTests,
  ROOT,
  reachableFrom,
  tsFiles,
} from '../../scripts/test-layout';

const FIXTURE = 'test/support/browser-fixture.ts';
/** Finds (and unpacks, if need be) the Chromium a suite runs: what makes a suite a browser suite. */
const BROWSER_BINARY = 'test/support/browser-binary.ts';
const BROWSER_PACKAGE = 'playwright-core';
/** An import of the browser package that brings values, not only types (`import type`). */
const VALUE_IMPORT =
  /^\s*(?:import\s+(?!type\b)[^;]*?from\s*|.*\brequire\s*\(\s*|.*\bimport\s*\(\s*)['"]playwright-core['"]/m;

/** The files a test reaches that import the browser package, the fixture or the Chromium lookup, as `file → what`. */
function browserReach(test: string, root = ROOT): string[] {
  return [...reachableFrom(test, root)].flatMap((file) => {
    const { modules, packages } = importsOf(file, root);
    return [
      ...packages.filter((name) => name === BROWSER_PACKAGE).map((name) => `${file} → ${name}`),
      ...modules
        .map((module) => `${module}.ts`)
        .filter((path) => path === FIXTURE || path === BROWSER_BINARY)
        .map((path) => `${file} → ${path}`),
    ];
  });
}

const isBrowserSuite = (path: string) => path.startsWith(`${BROWSER_TEST_FOLDER}/`);
const suites = tsFiles('test').filter((path) => path.endsWith('.test.ts'));

test('no suite outside test/browser/ reaches playwright-core, the browser fixture or the Chromium lookup, however indirectly', () => {
  const outside = suites.filter((path) => !isBrowserSuite(path));
  expect(outside.length).toBeGreaterThan(90);
  expect(outside.flatMap((test) => browserReach(test))).toEqual([]);
});

test('every suite under test/browser/ runs Chromium, and those that drive a page do it through the one fixture', () => {
  const browser = suites.filter(isBrowserSuite);
  expect(browser.length).toBeGreaterThanOrEqual(10);
  expect(browser.filter((test) => !reachableFrom(test).has(BROWSER_BINARY))).toEqual([]);
  const drivingPages = browser.filter((test) => importsOf(test).packages.includes(BROWSER_PACKAGE));
  expect(drivingPages.filter((test) => !reachableFrom(test).has(FIXTURE))).toEqual([]);
});

test('only the fixture imports playwright-core for more than its types', () => {
  const valueImports = tsFiles('test')
    .filter((file) => file !== FIXTURE)
    .filter((file) => VALUE_IMPORT.test(readFileSync(join(ROOT, file), 'utf8')));
  expect(valueImports).toEqual([]);
});

test('`npm run test:unit` leaves out exactly the browser folder, and `npm test` leaves out nothing', () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const ignored = [...scripts['test:unit'].matchAll(/--testPathIgnorePatterns[ =](\S+)/g)].map((match) => match[1]);
  expect(ignored).toEqual([`/${BROWSER_TEST_FOLDER}/`]);
  expect(scripts.test).not.toMatch(/testPathIgnorePatterns|--selectProjects|--testPathPattern/);
});

/**
 * Modules of lambda/core/ and lambda/store/ still without a same-named test; the suites that
 * cover each are in `npx tsx scripts/test-layout.ts`. The list only shrinks: a new module there
 * comes with a test named after it, and a module that gets one leaves the list.
 */
const CORE_AND_STORE_WITHOUT_NAMED_TEST = [
  'lambda/core/abuse-defaults.ts',
  'lambda/core/access-state.ts',
  'lambda/core/api.ts',
  'lambda/core/errors.ts',
  'lambda/core/http.ts',
  'lambda/core/metric-names.ts',
  'lambda/core/metrics.ts',
  'lambda/core/origin-verify.ts',
  'lambda/core/request.ts',
  'lambda/store/deny-list-replicator.ts',
  'lambda/store/state-stores.ts',
  'lambda/store/table-schema.ts',
];

test('every module of lambda/core/ and lambda/store/ has a test named after it, but the listed ones, which only shrink', () => {
  const coreAndStore = moduleTests().filter((entry) => /^lambda\/(core|store)\//.test(entry.module));
  expect(coreAndStore.length).toBeGreaterThan(30);
  expect(coreAndStore.filter((entry) => entry.named.length === 0).map((entry) => entry.module)).toEqual(
    CORE_AND_STORE_WITHOUT_NAMED_TEST,
  );
});

describe('the layout checks themselves, on a tree of their own', () => {
  const root = mkdtempSync(join(tmpdir(), 'streamgate-layout-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    'test/support/browser-fixture.ts',
    `import { chromium } from '${BROWSER_PACKAGE}';\nexport const c = chromium;\n`,
  );
  write('test/support/page-steps.ts', "import { c } from './browser-fixture';\nexport const steps = c;\n");
  write('test/client/indirect.test.ts', "import { steps } from '../support/page-steps';\ntest('x', () => steps);\n");
  write('test/support/browser-binary.ts', 'export const path = "/usr/bin/chromium";\n');
  const lookup = '../support/browser-binary'; // not written as an import here: this file would reach it
  write('test/client/lookup.test.ts', `import { path } from '${lookup}';\ntest('x', () => path);\n`);
  write('test/client/plain.test.ts', "import { value } from '../../lib/thing';\ntest('x', () => value);\n");
  write('test/lib/thing.test.ts', "import { value } from '../../lib/thing';\ntest('x', () => value);\n");
  write('test/lib/types.test.ts', "import type { Shape } from '../../lib/types';\n");
  write('lib/thing.ts', 'export const value = 1;\n');
  write('lib/types.ts', 'export interface Shape {\n  a: number;\n}\n');
  write('lib/index.ts', "export { value } from './thing';\n");
  write('lib/untested.ts', 'export function f(): number {\n  return 2;\n}\n');

  test('a suite reaching the fixture through a helper is caught; one that does not is not', () => {
    expect(browserReach('test/client/indirect.test.ts', root)).toEqual([
      'test/support/page-steps.ts → test/support/browser-fixture.ts',
      'test/support/browser-fixture.ts → playwright-core',
    ]);
    expect(browserReach('test/client/lookup.test.ts', root)).toEqual([
      'test/client/lookup.test.ts → test/support/browser-binary.ts',
    ]);
    expect(browserReach('test/client/plain.test.ts', root)).toEqual([]);
  });

  test('a module has a same-named test only when a test of its name reaches it; types and barrels are not modules to test', () => {
    expect(moduleTests(root)).toEqual([
      { module: 'lib/thing.ts', named: ['test/lib/thing.test.ts'], coveredBy: ['test/client/plain.test.ts'] },
      { module: 'lib/untested.ts', named: [], coveredBy: [] },
    ]);
  });

  test('imports are read in every form, and behaviour is told from types and re-exports', () => {
    expect(
      importSpecifiers(
        "import a from 'a';\nimport type { B } from './b';\nimport './c';\nconst d = require('./d');\nconst e = await import('./e');",
      ),
    ).toEqual(['a', './b', './c', './d', './e']);
    expect(hasOwnBehaviour("export { a } from './a';\nexport type { B } from './b';")).toBe(false);
    expect(hasOwnBehaviour('export interface A {}\nexport type B = string;\n// export const c = 1;')).toBe(false);
    expect(hasOwnBehaviour('export async function f() {}')).toBe(true);
    expect(hasOwnBehaviour('export class A {}')).toBe(true);
  });
});
