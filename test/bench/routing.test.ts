/**
 * bench/routing.bench.ts in light form (500 nodes, 1,500 channels, 30
 * pairs) through `npm run bench`'s entry point: it runs, prints its tables,
 * finds routes for the pairs, and its snapshot is about 97 bytes a channel.
 * Timing is printed, never asserted.
 */
import { describe, expect, it } from 'vitest';
import { runBench, tableRow } from '../support/bench-run.js';

describe('the routing bench', () => {
  it('measures the snapshot and pathfinding between random pairs', () => {
    const run = runBench('routing', { BENCH_ROUTING_NODES: '500', BENCH_ROUTING_CHANNELS: '1500', BENCH_ROUTING_PAIRS: '30' }, 120_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    const perChannel = Number(tableRow(run.stdout, 'graph and snapshot', 'snapshot bytes per channel')[1]);
    // 24 bytes a channel (scid, two node indices, capacity), 31 a direction, the 33-byte node ids amortised (11 here).
    expect(perChannel).toBeGreaterThan(90);
    expect(perChannel).toBeLessThan(110);
    // Columns: search, pairs, p50, p90, max, found, parts per payment.
    const fees = tableRow(run.stdout, 'pathfinding between random pairs', 'findRoute, 50,000 sat, fees only');
    expect(fees[1]).toBe('30');
    expect(Number(fees[5])).toBeGreaterThan(20);
    const scored = tableRow(run.stdout, 'pathfinding between random pairs', 'findRoute, 50,000 sat, default scorer');
    expect(Number(scored[5])).toBeGreaterThan(20);
  });
});
