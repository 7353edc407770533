/**
 * A live stack updates in place only if every resource keeps its logical id (a changed id is a
 * replacement: a new bucket, table or distribution). The baseline was recorded before streamgate
 * became a construct library; every configuration it names must still hold each of its resources
 * under the same id and type. New resources may appear; one that goes must leave the baseline
 * on purpose, in the same change.
 */
import { readFileSync } from 'node:fs';
import { BASELINE_FILE, type LogicalIds, logicalIdsOf, RECORDED_CONFIGURATIONS } from './logical-ids';

const baseline = JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as Record<string, LogicalIds>;

test('the baseline covers every recorded configuration', () => {
  expect(Object.keys(baseline).sort()).toEqual(Object.keys(RECORDED_CONFIGURATIONS).sort());
});

describe.each(Object.keys(RECORDED_CONFIGURATIONS))('configuration %s', (name) => {
  test('every stack keeps every baseline resource under the same logical id and type', () => {
    const now = logicalIdsOf(RECORDED_CONFIGURATIONS[name]);
    const missing: string[] = [];
    for (const [stack, resources] of Object.entries(baseline[name])) {
      for (const [id, type] of Object.entries(resources)) {
        if (now[stack]?.[id] !== type) missing.push(`${stack}/${id} (${type}): now ${now[stack]?.[id] ?? 'absent'}`);
      }
    }
    expect(missing).toEqual([]);
  }, 120_000);
});
