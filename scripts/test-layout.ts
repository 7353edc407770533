/**
 * Which test belongs to which module, read from the files themselves: a public module (a file of
 * lib/, lambda/, local/, client/src/, cli/ or verify/ with a runtime export) has a same-named
 * test when a `<name>.test.ts` under test/ imports it (`<folder>.test.ts` for a folder's
 * index.ts). Re-export barrels and type-only modules have no behaviour of their own to test.
 * Run as a script, it lists the modules with no same-named test, each with the suites that cover
 * it; test/docs/test-layout.test.ts holds the rules that must not slip.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
/** The folders whose modules are the project's public modules. */
export const MODULE_FOLDERS = ['lib', 'lambda', 'local', 'client/src', 'cli', 'verify'];
/** Suites that drive a browser live here, and only here: `npm run test:unit` leaves it out. */
export const BROWSER_TEST_FOLDER = 'test/browser';

/** Repository-relative paths (forward slashes) of the .ts files under `folder`, sorted. */
export function tsFiles(folder: string, root = ROOT): string[] {
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
    .map((path) => join(folder, path).split('\\').join('/'))
    .filter((path) => !path.split('/').includes('node_modules'))
    .sort();
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** The specifiers a file imports (static, dynamic, `require`, type-only and side-effect imports). */
export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1]);
}

/** A relative specifier of `file` as the repository-relative module path it names (no extension). */
export function resolveSpecifier(file: string, specifier: string, root = ROOT): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = relative(root, resolve(root, dirname(file), specifier))
    .split('\\')
    .join('/');
  if (existsSync(join(root, `${base}.ts`))) return base;
  if (existsSync(join(root, base, 'index.ts'))) return `${base}/index`;
  return base.replace(/\.(ts|js|mjs)$/, '');
}

/** Module path (no extension) → what it imports, relative ones resolved, packages as named. */
export function importsOf(file: string, root = ROOT): { modules: string[]; packages: string[] } {
  const modules: string[] = [];
  const packages: string[] = [];
  for (const specifier of importSpecifiers(readFileSync(join(root, file), 'utf8'))) {
    const resolved = resolveSpecifier(file, specifier, root);
    if (resolved !== undefined) modules.push(resolved);
    else packages.push(specifier);
  }
  return { modules, packages };
}

/** Strips comments, so a word in a comment counts for nothing. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Whether a module exports a runtime value of its own (not only types, not only re-exports). */
export function hasOwnBehaviour(source: string): boolean {
  const text = code(source);
  const runtimeExport =
    /^export\s+(?:default\s+|declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:const|let|var|function\*?|class|enum)\b/m;
  return runtimeExport.test(text);
}

/** The name a same-named test carries: the file's, or its folder's for an index.ts. */
export function testNameOf(modulePath: string): string {
  const name = basename(modulePath, '.ts');
  return name === 'index' ? basename(dirname(modulePath)) : name;
}

export interface ModuleTests {
  /** Repository-relative path of the module. */
  module: string;
  /** Tests named after the module that reach it. */
  named: string[];
  /** Other tests that import it directly (behaviour suites, or tests named after another module). */
  coveredBy: string[];
}

/** The modules named, with a barrel (a module with no behaviour of its own) standing for what it re-exports. */
function throughBarrels(modules: string[], root: string): Set<string> {
  const found = new Set<string>();
  const visit = (module: string): void => {
    if (found.has(module)) return;
    found.add(module);
    const file = `${module}.ts`;
    if (!existsSync(join(root, file)) || hasOwnBehaviour(readFileSync(join(root, file), 'utf8'))) return;
    for (const next of importsOf(file, root).modules) visit(next);
  };
  for (const module of modules) visit(module);
  return found;
}

/** Every public module of its own, and the tests that import it. */
export function moduleTests(root = ROOT): ModuleTests[] {
  const tests = tsFiles('test', root).filter((path) => path.endsWith('.test.ts'));
  const importers = new Map<string, string[]>();
  for (const test of tests) {
    for (const module of throughBarrels(importsOf(test, root).modules, root)) {
      importers.set(module, [...(importers.get(module) ?? []), test]);
    }
  }
  const modules = MODULE_FOLDERS.flatMap((folder) => tsFiles(folder, root)).filter((path) =>
    hasOwnBehaviour(readFileSync(join(root, path), 'utf8')),
  );
  const importedBy = (module: string) => importers.get(module.replace(/\.ts$/, '')) ?? [];
  return modules.map((module) => {
    const importing = importedBy(module);
    // Named after it and reaching it, directly or through what it imports (a harness, the API);
    // of two modules of one name, a test that imports one directly is that one's.
    const namesakes = modules.filter((other) => other !== module && testNameOf(other) === testNameOf(module));
    const named = tests.filter(
      (test) =>
        basename(test, '.test.ts') === testNameOf(module) &&
        reachableFrom(test, root).has(module) &&
        (importing.includes(test) || !namesakes.some((other) => importedBy(other).includes(test))),
    );
    return { module, named, coveredBy: importing.filter((test) => !named.includes(test)) };
  });
}

/** Every file a test file reaches through relative imports (itself included), transitively. */
export function reachableFrom(file: string, root = ROOT): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path) || !existsSync(join(root, path))) return;
    seen.add(path);
    for (const module of importsOf(path, root).modules) visit(`${module}.ts`);
  };
  visit(file);
  return seen;
}

if (require.main === module) {
  const all = moduleTests();
  const missing = all.filter((entry) => entry.named.length === 0);
  process.stdout.write(
    `${all.length - missing.length} of ${all.length} public modules with behaviour of their own have a same-named test.\n\n`,
  );
  process.stdout.write(`Without one (${missing.length}), with the suites that import them:\n`);
  for (const entry of missing) {
    const by = entry.coveredBy.length > 0 ? entry.coveredBy.join(', ') : 'no test imports it directly';
    process.stdout.write(`- ${entry.module}: ${by}\n`);
  }
}
