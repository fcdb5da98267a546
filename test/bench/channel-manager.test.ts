/**
 * bench/channel-manager.bench.ts in CI-light form (1 and 10 channels, 3
 * runs) through `npm run bench`'s entry point: it prints its tables, and the
 * header's size is the same whatever the number of channels, ready or
 * confirming (index items, docs/follow-ups.md). Its timings gate nothing.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-run.js';

describe('the channel-manager bench', () => {
  it('prints the header size with N channels, the cost of one input, and the 1 vs N ratio', () => {
    const run = runBench('channel-manager', { BENCH_MANAGER_COUNTS: '1,10', BENCH_RUNS: '3' }, 120_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    const header = run.stdout.split('## The manager header with N channels stored')[1]?.split('##')[0] ?? '';
    const rows = header.split('\n').filter((l) => /^\| (ready|confirming) /.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows.map((r) => [r[0], r[1], r[4]])).toEqual([
      ['ready', '1', '0'],
      ['ready', '10', '0'],
      ['confirming', '1', '1'],
      ['confirming', '10', '10'],
    ]);
    expect(new Set(rows.map((r) => r[2])).size).toBe(1); // the header's bytes
    expect(run.stdout).toContain('One input for a node with N channels stored');
    expect(run.stdout).toMatch(/The cost of one message \(funding_created\) with 1 and 1,000 channels stored/);
    // funding_created reads the header, the channel item and its part item (docs/items.md, "The channel item in parts"): the same 3 whatever N.
    expect(run.stdout).toMatch(/\| ready +\| 10 +\| [\d.]+ +\| 3 items, \d+ B +\| ×[\d.]+ +\|/);
  }, 150_000);
});
