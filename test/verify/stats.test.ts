/** Percentiles by nearest rank: always a time that was measured. */
import { percentile } from '../../verify/stats';

test('nearest rank: p50 and p99 of 1..100 are 50 and 99; of 20 samples p99 is the slowest; order does not matter', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => 100 - index);
  expect([percentile(hundred, 50), percentile(hundred, 99), percentile(hundred, 100)]).toEqual([50, 99, 100]);
  const twenty = Array.from({ length: 20 }, (_, index) => (index * 7) % 20);
  expect([percentile(twenty, 50), percentile(twenty, 99)]).toEqual([9, 19]);
  expect(percentile([4.2], 99)).toBe(4.2);
});

test('no samples or a percentile outside (0, 100] is an error, not a number', () => {
  expect(() => percentile([], 50)).toThrow('no values');
  expect(() => percentile([1], 0)).toThrow('percentile 0: must be in (0, 100]');
});
