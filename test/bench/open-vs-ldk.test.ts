/**
 * bench/open-vs-ldk.bench.ts in CI-light form: two opens per row through
 * `npm run bench`'s entry point. Checks that it runs and prints its tables
 * (both rows, the ratio, the profile); its timings gate nothing.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';

describe('the open-vs-ldk bench', () => {
  it('opens ours → LDK and LDK → LDK and prints the tables', () => {
    const run = runBench('open-vs-ldk', { BENCH_OPENS: '2', BENCH_JIT_WARMUP: '2' }, 120_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('open = create_channel');
    expect(run.stdout).toMatch(/channel open, ours → LDK vs LDK → LDK \(2 opens each/);
    expect(run.stdout).toMatch(/\| ours → LDK +\| 2 +\|/);
    expect(run.stdout).toMatch(/\| LDK → LDK +\| 2 +\|/);
    expect(run.stdout).toMatch(/\| ours \/ LDK .*×/);
    expect(run.stdout).toContain("where our side's CPU goes, by phase");
  }, 150_000);
});
