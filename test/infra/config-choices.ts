/**
 * Every field of the deploy config that takes one of a fixed set of values, read from the zod
 * schema itself (lib/config.ts `configSchema`): choices (`z.literal([...])`), enums (the DRM
 * systems that key `drm.upstreams`) and flags. A field added to the schema is found here without
 * anyone listing it, so its values are synthesized too (test/infra/config-values.test.ts).
 */
import type { z } from 'zod';

export interface ChoiceField {
  /**
   * Dotted path; `[]` marks an array's items (`jwt.algorithms[]`), `{key}` a record's keys
   * (`drm.upstreams{key}`).
   */
  readonly path: string;
  readonly values: readonly (string | number | boolean)[];
}

interface Def {
  readonly type: string;
  readonly [key: string]: unknown;
}

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Every choice field under `schema`, in declaration order. */
export function choiceFields(schema: z.core.$ZodType): ChoiceField[] {
  const found = new Map<string, Set<string | number | boolean>>();
  const add = (path: string, values: readonly (string | number | boolean)[]) => {
    const known = found.get(path) ?? new Set();
    for (const value of values) known.add(value);
    found.set(path, known);
  };
  const walk = (node: unknown, path: string): void => {
    const def = defOf(node);
    switch (def.type) {
      case 'pipe':
        walk(def.in, path);
        walk(def.out, path);
        return;
      case 'object':
        for (const [key, child] of Object.entries(def.shape as Record<string, unknown>))
          walk(child, path === '' ? key : `${path}.${key}`);
        return;
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
      case 'catch':
        walk(def.innerType, path);
        return;
      case 'array':
        walk(def.element, `${path}[]`);
        return;
      case 'record':
        walk(def.keyType, `${path}{key}`);
        walk(def.valueType, `${path}{value}`);
        return;
      case 'union':
        for (const option of def.options as unknown[]) walk(option, path);
        return;
      case 'literal':
        add(path, def.values as (string | number)[]);
        return;
      case 'enum':
        add(path, Object.values(def.entries as Record<string, string | number>));
        return;
      case 'boolean':
        add(path, [true, false]);
        return;
      default:
        return;
    }
  };
  walk(schema, '');
  return [...found].map(([path, values]) => ({ path, values: [...values] }));
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A copy of `json` with the field at `path` set to `value` (a ChoiceField path): an array field
 * becomes `[value]`, a record key replaces the record by one entry under that key whose value is
 * the record's first entry (or `{}`). Missing sections on the way are created.
 */
export function withChoice(json: Json, path: string, value: string | number | boolean): Json {
  const copy = structuredClone(json);
  const keys = path
    .replace(/\[\]$/, '')
    .replace(/\{key\}$/, '')
    .split('.');
  let node: Json = copy;
  for (const key of keys.slice(0, -1)) {
    if (!isRecord(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  const last = keys[keys.length - 1];
  if (path.endsWith('[]')) node[last] = [value];
  else if (path.endsWith('{key}')) {
    const record = isRecord(node[last]) ? (node[last] as Json) : {};
    node[last] = { [String(value)]: Object.values(record)[0] ?? {} };
  } else node[last] = value;
  return copy;
}

/** A copy of `json` with the field at dotted `path` removed. */
export function without(json: Json, path: string): Json {
  const copy = structuredClone(json);
  const keys = path.split('.');
  let node: unknown = copy;
  for (const key of keys.slice(0, -1)) node = isRecord(node) ? node[key] : undefined;
  if (isRecord(node)) delete node[keys[keys.length - 1]];
  return copy;
}
