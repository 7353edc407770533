/** Percentiles of measured times, by the nearest-rank method (a value that was measured, never an interpolation). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('no values');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile ${p}: must be in (0, 100]`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}
