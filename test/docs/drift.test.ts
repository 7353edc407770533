/**
 * Docs drift, caught where it can be caught mechanically: every environment variable, API route,
 * metric and alarm the code has is documented, and every one the docs name exists in the code.
 * The code's lists come from the modules that declare them (routes, metrics, alarms) or, for the
 * environment, from the reads themselves; a new one needs a docs line, never an edit here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ABUSE_DEFAULTS, STREAM_LIMIT_POLICY } from '../../lambda/core/abuse-defaults';
import { loadConfig } from '../../lambda/core/config';
import { loadDrmConfig } from '../../lambda/core/drm-config';
import { DENY_LIST_METRIC, EDGE_REFUSAL_METRIC, METRIC } from '../../lambda/core/metric-names';
import { DENY_LIST_KVS_ARN_VARIABLE, loadDenyListConfig } from '../../lambda/runtime/deny-list-runtime';
import { API_ROUTES } from '../../lambda/core/api-routes';
import { ALARM_KEYS, ALARMS } from '../../lib/monitoring/alarm-table';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';

const ROOT = resolve(__dirname, '..', '..');
const doc = (name: string): string => readFileSync(join(ROOT, 'docs', name), 'utf8');
const DOC_NAMES = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
const ALL_DOCS = DOC_NAMES.map(doc).join('\n');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
    .map((path) => join(ROOT, dir, path));
}

/** The lines of `text` from the heading `heading` (exact line) to the next heading of its level or higher. */
function section(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const level = heading.match(/^#+/)?.[0].length ?? 0;
  const end = lines.findIndex((line, index) => {
    const hashes = line.match(/^#+ /)?.[0].trim().length;
    return index > start && hashes !== undefined && hashes <= level;
  });
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** First-column backticked names of the markdown tables in `text` (`| \`NAME\` | …`). */
function tableNames(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(/^\| `([^`]+)`/gm)].map((match) => match[1]).filter((name) => pattern.test(name));
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
const without = (values: Iterable<string>, known: ReadonlySet<string>): string[] =>
  sorted([...values].filter((value) => !known.has(value)));

describe('environment variables', () => {
  const VARIABLE = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*';
  /**
   * How the code reads a variable: `process.env.X`, `env.X`, `env['X']`, a reader called with the
   * name first (`read.required('X')`, `required('X')`, `claimName(read, 'X', …)`), a declared
   * setting (`variable: 'X'`) or a named constant (`…_VARIABLE = 'X'`).
   */
  const READS = [
    new RegExp(`\\benv(?:\\.|\\[')(${VARIABLE})\\b`, 'g'),
    new RegExp(`\\b[a-z]\\w*\\(\\s*(?:(?:env|read),\\s*)?'(${VARIABLE}_[A-Z0-9]+|${VARIABLE})'`, 'g'),
    new RegExp(`\\bvariable:\\s*'(${VARIABLE})'`, 'g'),
    new RegExp(`_VARIABLE\\s*=\\s*'(${VARIABLE})'`, 'g'),
  ];
  /** A reader's first argument that is a value, not a variable (upper case, no underscore). */
  const NOT_A_VARIABLE = /^[A-Z0-9]+$/;

  function scanned(): Map<string, string[]> {
    const reads = new Map<string, string[]>();
    for (const file of [...sourceFiles('lambda'), ...sourceFiles('local')]) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of READS)
        for (const match of text.matchAll(pattern)) {
          const name = match[1];
          if (NOT_A_VARIABLE.test(name) && !/\benv(\.|\[')/.test(match[0])) continue;
          reads.set(name, [...(reads.get(name) ?? []), relative(ROOT, file)]);
        }
    }
    return reads;
  }

  /** What the config loaders actually look up, from a valid environment that records every read. */
  function probed(): Set<string> {
    const seen = new Set<string>();
    const recording = (base: Record<string, string>) =>
      new Proxy(base, {
        get(target, key) {
          if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) seen.add(key);
          return target[key as string];
        },
      });
    loadConfig(recording({ ...MINIMAL_LAMBDA_ENV }));
    loadDrmConfig(recording({}));
    loadDenyListConfig(
      recording({ [DENY_LIST_KVS_ARN_VARIABLE]: 'arn:aws:cloudfront::123456789012:key-value-store/x' }),
    );
    return seen;
  }

  const reads = scanned();
  const readNames = new Set([...reads.keys(), ...probed()]);

  test('the scan sees the reads the config modules declare (so it would see a new one)', () => {
    const declared = [
      ...Object.values(ABUSE_DEFAULTS).map((setting) => setting.variable),
      STREAM_LIMIT_POLICY.variable,
      DENY_LIST_KVS_ARN_VARIABLE,
      ...Object.keys(MINIMAL_LAMBDA_ENV),
    ];
    expect(without(declared, new Set(reads.keys()))).toEqual([]);
    // And the recorded lookups of the loaders are all found by the scan too.
    expect(without(probed(), new Set(reads.keys()))).toEqual([]);
  });

  test('every variable read in lambda/ or local/ is documented in docs/configuration.md', () => {
    const documented = new Set(
      [...doc('configuration.md').matchAll(/`([A-Z][A-Z0-9_]*)(?:=[^`]*)?`/g)].map((m) => m[1]),
    );
    const undocumented = without(readNames, documented);
    expect(undocumented.map((name) => `${name} (read in ${reads.get(name)?.join(', ')})`)).toEqual([]);
  });

  test('every variable the Lambda environment and local mode tables document is read by the code', () => {
    const text = doc('configuration.md');
    const tables = [section(text, '## Lambda environment'), section(text, '## Local mode')];
    const listed = tables.flatMap((table) => tableNames(table, new RegExp(`^${VARIABLE}$`)));
    expect(listed.length).toBeGreaterThan(50);
    expect(without(listed, readNames)).toEqual([]);
  });
});

describe('API routes', () => {
  const api = doc('api.md');
  const routes = API_ROUTES.map((route) => `${route.method} ${route.path}`);

  test('every route of lambda/core/api-routes.ts has its section in docs/api.md', () => {
    const headings = new Set([...api.matchAll(/^## `([A-Z]+ \/api\/\S+)`$/gm)].map((match) => match[1]));
    expect(without(routes, headings)).toEqual([]);
  });

  test('every METHOD /api/... that docs/api.md names is a route of lambda/core/api-routes.ts', () => {
    // A `{param}` of the route matches one segment: a documented example (`demo-1`) or another name.
    const patterns = API_ROUTES.map((route) => ({
      method: route.method,
      path: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    const named = [...api.matchAll(/\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\/api\/[A-Za-z0-9_{}<>/-]*)/g)];
    expect(named.length).toBeGreaterThanOrEqual(API_ROUTES.length);
    const unknown = named
      .map(([, method, path]) => ({ method, path: path.replace(/\/$/, '') }))
      .filter(({ method, path }) => !patterns.some((route) => route.method === method && route.path.test(path)))
      .map(({ method, path }) => `${method} ${path}`);
    expect(sorted(unknown)).toEqual([]);
  });
});

describe('metrics', () => {
  const metrics = [...Object.values(METRIC), ...Object.values(DENY_LIST_METRIC), ...Object.values(EDGE_REFUSAL_METRIC)];
  const table = (): string => section(doc('operations.md'), '## Metrics');

  test("every metric of lambda/core/metric-names.ts is a row of docs/operations.md's Metrics table", () => {
    expect(without(metrics, new Set(tableNames(table(), /^[A-Z]\w+$/)))).toEqual([]);
  });

  test('every metric the docs name in the Streamgate namespace exists in the code', () => {
    const known = new Set<string>(metrics);
    const named = [
      ...tableNames(table(), /^[A-Z]\w+$/),
      // "`Streamgate` `Name`", as the alarm table of docs/deploy.md writes a metric.
      ...[...ALL_DOCS.matchAll(/`Streamgate` `([A-Za-z0-9]+)`/g)].map((match) => match[1]),
    ];
    expect(named.length).toBeGreaterThan(metrics.length);
    expect(without(named, known)).toEqual([]);
  });
});

describe('alarms', () => {
  const runbooks = (): string => section(doc('operations.md'), '## Alarms');
  /** Alarms made outside the table, found where lib/ names them (`alarmName: \`${prefix}-name\``). */
  const standalone = sorted(
    sourceFiles('lib').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/alarmName:\s*`\$\{[^}]+\}-([a-z0-9-]+)`/g)].map((match) => match[1]),
    ),
  );
  const tableNamesOf = ALARM_KEYS.map(
    (key) => ALARMS[key].name + (ALARMS[key].scope === 'function' ? '-<function>' : ''),
  );

  test('the alarms made outside the table are found (so the check below covers them)', () => {
    expect(standalone).toContain('signing-key-age');
  });

  test('every alarm has a runbook entry in docs/operations.md', () => {
    const headings = new Set([...runbooks().matchAll(/^### `([^`]+)`/gm)].map((match) => match[1]));
    expect(without([...tableNamesOf, ...standalone], headings)).toEqual([]);
  });

  test('every alarm docs/operations.md has a runbook for exists', () => {
    const headings = [...runbooks().matchAll(/^### `([^`]+)`/gm)].map((match) => match[1]);
    expect(headings.length).toBeGreaterThan(0);
    expect(without(headings, new Set([...tableNamesOf, ...standalone]))).toEqual([]);
  });

  test("docs/deploy.md's alarm table lists every alarm of the table, by config key and name, and no other", () => {
    const rows = [...doc('deploy.md').matchAll(/^\| `(\w+)`\s*\| `([a-z0-9<>-]+)`\s*\|/gm)].map(
      (match) => `${match[1]} ${match[2]}`,
    );
    const expected = ALARM_KEYS.map((key, index) => `${key} ${tableNamesOf[index]}`);
    expect(sorted(rows)).toEqual(sorted(expected));
  });
});
