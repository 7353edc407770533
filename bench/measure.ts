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
  const rates: [number[], number[]] = [[], []];
  for (let round = 0; round < rounds; round += 1) {
    rates[0].push((await measure(a[0], a[1], secondsPerRound, concurrency)).perSecond);
    rates[1].push((await measure(b[0], b[1], secondsPerRound, concurrency)).perSecond);
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
  return [
    { name: a[0], perSecond: median(rates[0]) },
    { name: b[0], perSecond: median(rates[1]) },
  ];
}
