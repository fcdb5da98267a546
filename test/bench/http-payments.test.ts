/**
 * bench/http-payments.bench.ts in CI-light form: two payments one at a time
 * each way and one round of 20 in flight each way, through `npm run bench`'s
 * entry point. Checks that it runs and prints its tables with the targets;
 * its timings gate nothing.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';

describe('the HTTP payments bench', () => {
  it('sends and receives through the embedded deployment and prints latency, throughput, cost and overhead', () => {
    const run = runBench('http-payments', { BENCH_HTTP_PAYMENTS: '2', BENCH_HTTP_ROUNDS: '1', BENCH_HTTP_WARMUP_ROUNDS: '0' }, 240_000);
    expect(run.stderr).not.toMatch(/bench .* failed/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('| send: POST /v1/payments → payment-sent webhook, one at a time');
    expect(run.stdout).toContain('| receive: LDK send_payment → payment-received webhook, one at a time');
    expect(run.stdout).toMatch(/\| payments per second .*\| [\d.]+ +\| ≥ 30: (met|MISSED)/);
    expect(run.stdout).toMatch(/\| write capacity units .*\| [\d.]+ /);
    expect(run.stdout).toMatch(/\| SQS messages sent +\| [\d.]+ /);
    expect(run.stdout).toMatch(/\| overhead: stretch p50 ÷ bare p50 +\| [\d.]+× +\| target ≤ 3×: (met|MISSED)/);
  }, 270_000);
});
