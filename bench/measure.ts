/** Tiny benchmark helpers: warm up, then count completed operations for a fixed time. */

export interface Rate {
  name: string;
  perSecond: number;
}

/** Runs `op` back to back (`concurrency` loops in flight) for `seconds` after a warm-up; returns ops/s. */
export async function measure(name: string, op: () => unknown, seconds = 2, concurrency = 1): Promise<Rate> {
  const run = async (until: number): Promise<number> => {
    let count = 0;
    while (performance.now() < until) {
      await op();
      count += 1;
    }
    return count;
  };
  const loops = (until: number) => Promise.all(Array.from({ length: concurrency }, () => run(until)));
  await loops(performance.now() + 300);
  const started = performance.now();
  const counts = await loops(started + seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  return { name, perSecond: counts.reduce((sum, count) => sum + count, 0) / elapsed };
}

export function report(baseline: Rate, others: Rate[]): void {
  console.log(`  ${baseline.name.padEnd(58)} ${Math.round(baseline.perSecond).toString().padStart(8)} /s   (baseline)`);
  for (const rate of others) {
    const ratio = rate.perSecond / baseline.perSecond;
    console.log(`  ${rate.name.padEnd(58)} ${Math.round(rate.perSecond).toString().padStart(8)} /s   ratio ${ratio.toFixed(2)}`);
  }
}

/**
 * Measures `a` and `b` in alternating rounds and keeps each one's median, so load that comes and
 * goes on the machine falls on both sides alike.
 */
export async function interleaved(
  a: [string, () => unknown],
  b: [string, () => unknown],
  rounds: number,
  secondsPerRound: number,
  concurrency: number,
): Promise<[Rate, Rate]> {
  const [first, second] = await alternating([a, b], rounds, secondsPerRound, concurrency);
  return [first, second];
}

/** `interleaved` for any number of operations: each round measures every one in turn. */
export async function alternating(ops: [string, () => unknown][], rounds: number, secondsPerRound: number, concurrency: number): Promise<Rate[]> {
  const rates: number[][] = ops.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, [name, op]] of ops.entries()) rates[index].push((await measure(name, op, secondsPerRound, concurrency)).perSecond);
  }
  return ops.map(([name], index) => ({ name, perSecond: median(rates[index]) }));
}

export function median(values: number[]): number {
  return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
}

/** The `q` quantile (0..1) of `sorted` (ascending), nearest rank. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Collects the duration (ms) of one awaited `op` into `into`. */
export async function timeOnce(op: () => unknown, into: number[]): Promise<void> {
  const started = performance.now();
  await op();
  into.push(performance.now() - started);
}
