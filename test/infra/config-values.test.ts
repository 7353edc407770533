/**
 * Every documented value of every choice field synthesizes: both stacks (three outside
 * us-east-1) build, and cdk-nag, run as the app's validation plugin, finds nothing
 * unacknowledged (an unacknowledged finding throws from `app.synth()`). The fields and their
 * values come from the schema (test/infra/config-choices.ts), not from a list kept here. Values
 * that fit together share one synthesis, so the ~90 values take ~25 synths.
 */
import { configSchema, validateConfig } from '../../lib/config';
import { choiceFields, withChoice, without } from './config-choices';
import { exampleJson, synthesize } from './synth';
import { templatesOf, retainedFixedNames } from './template-checks';

type Json = Record<string, unknown>;
type Value = string | number | boolean;

/** What only applies with packaging on (live or VOD). */
const PACKAGING_ONLY_FIELDS = ['spekeUrl', 'spekeRoleArn', 'spekeV1Url', 'presetVideo', 'presetAudio'].map(
  (field) => `packaging.${field}`,
);

function setAt(json: Json, path: string, value: unknown): Json {
  const copy = structuredClone(json);
  const keys = path.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]] = value;
  return copy;
}

interface Companion {
  /** The other fields it sets or removes. */
  readonly touches: readonly string[];
  readonly apply: (json: Json) => Json;
}

/**
 * The other fields a value needs (the schema's cross-field rules), and the fields that then
 * belong to it: a synthesis never sets one field twice.
 */
const COMPANIONS: Readonly<Record<string, Companion>> = {
  // Countries only go with allow or deny.
  'delivery.geoRestriction.type=none': {
    touches: ['delivery.geoRestriction.countries'],
    apply: (json) => without(json, 'delivery.geoRestriction.countries'),
  },
  // Without packaging there is no key provider, and no /drm/ content for a catalog to point at.
  'packaging.mode=none': {
    touches: [...PACKAGING_ONLY_FIELDS, 'drm.catalog'],
    apply: (json) =>
      setAt(
        PACKAGING_ONLY_FIELDS.reduce((next, field) => without(next, field), json),
        'drm.catalog',
        {},
      ),
  },
  // The SPEKE v1 endpoint is VOD's (HLS on MediaPackage v1).
  'packaging.mode=live': {
    touches: ['packaging.spekeV1Url'],
    apply: (json) => without(json, 'packaging.spekeV1Url'),
  },
  // SHARED is one key for audio and video: both or neither.
  'packaging.presetVideo=SHARED': {
    touches: ['packaging.presetAudio'],
    apply: (json) => setAt(json, 'packaging.presetAudio', 'SHARED'),
  },
  'packaging.presetAudio=SHARED': {
    touches: ['packaging.presetVideo'],
    apply: (json) => setAt(json, 'packaging.presetVideo', 'SHARED'),
  },
};

const fieldOf = (path: string) => path.replace(/\[\]$|\{key\}$/, '');

interface Bucket {
  readonly values: string[];
  readonly touched: Set<string>;
  json: Json;
}

const FIELDS = choiceFields(configSchema);

function isValid(json: Json): boolean {
  try {
    validateConfig(json, 'test');
    return true;
  } catch {
    return false;
  }
}

/** Greedy: each value joins the first synthesis it fits (no field twice, still valid), else starts one. */
function buckets(): Bucket[] {
  const all: Bucket[] = [];
  for (const { path, values } of FIELDS) {
    for (const value of values) {
      const label = `${path}=${String(value)}`;
      const companion = COMPANIONS[label];
      const touches = [fieldOf(path), ...(companion?.touches ?? [])];
      const patch = (json: Json) => {
        const set = withChoice(json, path, value as Value);
        return companion === undefined ? set : companion.apply(set);
      };
      const fits = all.find(
        (bucket) => touches.every((field) => !bucket.touched.has(field)) && isValid(patch(bucket.json)),
      );
      if (fits !== undefined) {
        fits.json = patch(fits.json);
        fits.values.push(label);
        for (const field of touches) fits.touched.add(field);
      } else {
        all.push({ values: [label], touched: new Set(touches), json: patch(exampleJson()) });
      }
    }
  }
  return all;
}

const BUCKETS = buckets();

test('the schema walk finds the choice fields (a walk that found none would test nothing)', () => {
  const paths = FIELDS.map((field) => field.path);
  for (const expected of [
    'deployment',
    'delivery.geoRestriction.type',
    'delivery.priceClass',
    'packaging.mode',
    'signing.keyAlgorithm',
    'jwt.algorithms[]',
    'drm.upstreams{key}',
    'logRetentionDays',
    'edgeRevocation.enabled',
  ])
    expect(paths).toContain(expected);
  expect(FIELDS.find((field) => field.path === 'delivery.geoRestriction.type')?.values).toEqual([
    'allow',
    'deny',
    'none',
  ]);
});

test('every value of every choice field is in exactly one synthesis, and each synthesis is a valid config', () => {
  const labels = BUCKETS.flatMap((bucket) => bucket.values);
  const expected = FIELDS.flatMap(({ path, values }) => values.map((value) => `${path}=${String(value)}`));
  expect([...labels].sort()).toEqual([...expected].sort());
  for (const bucket of BUCKETS) {
    // A value that needs a companion this file does not know fails here, naming itself.
    expect({ values: bucket.values, valid: isValid(bucket.json) }).toEqual({ values: bucket.values, valid: true });
  }
});

describe.each(BUCKETS.map((bucket) => [bucket.values.join(', '), bucket] as const))('synthesizes %s', (_, bucket) => {
  test('with no unacknowledged cdk-nag finding and no retained resource of fixed name', () => {
    const synth = synthesize(validateConfig(bucket.json, 'test'));
    expect(templatesOf(synth).flatMap(([stack, template]) => retainedFixedNames(stack, template))).toEqual([]);
  });
});
