/**
 * bench/dynamodb-io.bench.ts in CI-light form (2 channels, 10 pings per
 * mode) through `npm run bench`'s entry point: it runs and prints its
 * tables, and the request counts it prints show what the shared lease
 * saves (they are counts, not timings: one lease per batch instead of one
 * per message).
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';

/** The cells of the table row starting with `stream | mode`. */
function row(stdout: string, stream: string, mode: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`| ${stream} `) && l.includes(mode));
  if (line === undefined) throw new Error(`no row ${stream} / ${mode}`);
  return line.split('|').slice(1, -1).map((c) => c.trim());
}

describe('the dynamodb-io bench', () => {
  it('counts DynamoDB requests, items and bytes per peer message, a lease per message and per batch', () => {
    const run = runBench('dynamodb-io', { BENCH_IO_CHANNELS: '2', BENCH_IO_PINGS: '10' }, 150_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('DynamoDB requests per peer message, by kind');
    expect(run.stdout).toContain('DynamoDB requests per peer message, by command');
    expect(run.stdout).toContain('DynamoDB items and bytes per peer message');
    // Columns: stream, mode, messages, events, lease, input check, reads, commit, outbox, other, total.
    const before = row(run.stdout, '10 pings', 'before');
    const after = row(run.stdout, '10 pings', 'after');
    expect(before.slice(2, 4)).toEqual(['10', '10']);
    expect(after.slice(2, 4)).toEqual(['10', '1']);
    // A ping changes nothing: before, a lease taken and released per message; after, once per batch.
    expect(before[4]).toBe('2.00');
    expect(after[4]).toBe('0.20');
    expect(Number(after[10])).toBeLessThan(Number(before[10]));
    const establishment = row(run.stdout, 'establishment of 2 channels', 'before');
    expect(establishment[2]).toBe('8');
    expect(establishment[7]).toBe('1.00'); // one commit per message
  }, 180_000);
});
