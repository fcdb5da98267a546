/**
 * bench/payments.bench.ts in CI-light form: three sequential payments and
 * one round of 20 in flight per direction through `npm run bench`'s entry
 * point. Checks that every pair runs and prints its tables; its timings
 * gate nothing.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';

describe('the payments bench', () => {
  it('pays ours → ours, ours → LDK, LDK → ours and LDK → LDK and prints the tables', () => {
    const run = runBench('payments', { BENCH_PAYMENTS: '3', BENCH_ROUNDS: '1' }, 150_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    for (const pair of ['ours → ours', 'ours → LDK', 'LDK → ours', 'LDK → LDK']) expect(run.stdout).toContain(`| ${pair}`);
    expect(run.stdout).toMatch(/bytes written/);
  }, 180_000);
});
