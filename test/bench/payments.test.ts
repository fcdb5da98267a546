/**
 * bench/payments.bench.ts in CI-light form: three sequential payments and
 * one round of 20 in flight per direction through `npm run bench`'s entry
 * point. Checks that every pair runs and prints its tables; its timings
 * gate nothing.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the payments bench', () => {
  it('pays ours → ours, ours → LDK, LDK → ours and LDK → LDK and prints the tables', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', 'payments'], {
      cwd: root,
      env: { ...process.env, BENCH_PAYMENTS: '3', BENCH_ROUNDS: '1' },
      encoding: 'utf8',
      timeout: 150_000,
    });
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    for (const pair of ['ours → ours', 'ours → LDK', 'LDK → ours', 'LDK → LDK']) expect(run.stdout).toContain(`| ${pair}`);
    expect(run.stdout).toMatch(/bytes written/);
  }, 180_000);
});
