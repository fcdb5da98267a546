/** Benchmark helpers: medians over many runs, printed as tables. Timing never gates a test. */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  readonly name: string;
  readonly medianMs: number;
  readonly runs: number;
}

/**
 * Runs `fn` repeatedly (after a warm-up) in batches and returns the median
 * time of one call in milliseconds.
 */
export function measure(name: string, fn: () => unknown, options: { runs?: number; batch?: number; warmup?: number } = {}): Measurement {
  const runs = options.runs ?? 41;
  const batch = options.batch ?? 1;
  for (let i = 0; i < (options.warmup ?? 5) * batch; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  return { name, medianMs: samples[Math.floor(samples.length / 2)]!, runs: runs * batch };
}

/** Formats milliseconds with a sensible precision. */
export function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(4);
}

/** Prints a titled table of rows (first row = header). */
export function printTable(title: string, rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  console.log(`\n## ${title}\n`);
  rows.forEach((row, i) => {
    console.log('| ' + row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ') + ' |');
    if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  });
}

/**
 * Like `measure`, for several functions whose costs are to be compared: their
 * batches alternate run by run, so a change in machine load affects all of
 * them alike and the ratio of medians stays meaningful.
 */
export function measureInterleaved(
  entries: readonly (readonly [string, () => unknown])[],
  options: { runs?: number; batch?: number; warmup?: number } = {},
): Measurement[] {
  const runs = options.runs ?? 41;
  const batch = options.batch ?? 1;
  for (const [, fn] of entries) for (let i = 0; i < (options.warmup ?? 5) * batch; i++) fn();
  const samples: number[][] = entries.map(() => []);
  for (let r = 0; r < runs; r++) {
    entries.forEach(([, fn], e) => {
      const start = performance.now();
      for (let i = 0; i < batch; i++) fn();
      samples[e]!.push((performance.now() - start) / batch);
    });
  }
  return entries.map(([name], e) => {
    const sorted = samples[e]!.sort((a, b) => a - b);
    return { name, medianMs: sorted[Math.floor(sorted.length / 2)]!, runs: runs * batch };
  });
}

/** The `p` quantile (0..1) of `samples`, nearest rank (sorts a copy). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
