/**
 * bench/gossip.bench.ts in light form (40 nodes, 80 channels, a 2,000-channel
 * snapshot) through `npm run bench`'s entry point: it runs, every message is
 * stored once (a repeat stores nothing), each stored message is about one
 * item, and the cold loads read the pointer and one chunk. Timing is
 * printed, never asserted.
 */
import { describe, expect, it } from 'vitest';
import { runBench, tableRow } from '../support/bench-run.js';

describe('the gossip bench', () => {
  it('measures throughput, items per message and the snapshot cold load', () => {
    const run = runBench('gossip', { BENCH_GOSSIP_NODES: '40', BENCH_GOSSIP_CHANNELS: '80', BENCH_GOSSIP_BIG_CHANNELS: '2000' }, 240_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    // Columns: message, count, stored, msgs/s, reads/msg, writes/msg.
    expect(tableRow(run.stdout, 'gossip function throughput', 'channel_announcement').slice(1, 3)).toEqual(['80', '80']);
    const updates = tableRow(run.stdout, 'gossip function throughput', 'channel_update');
    expect(updates.slice(1, 3)).toEqual(['160', '160']);
    // One Query per update, and the relay's one Query of the peers' filters per batch of 10 that stored something.
    expect(Number(updates[4])).toBe(1.1);
    expect(tableRow(run.stdout, 'gossip function throughput', 'channel_update again (stale)')[2]).toBe('0');
    expect(tableRow(run.stdout, 'gossip function throughput', 'channel_update again (stale)')[5]).toBe('0.00');
    const perMessage = tableRow(run.stdout, 'stored items', 'all, per gossip message stored');
    expect(Number(perMessage[1])).toBeLessThanOrEqual(1.2);
    expect(Number(tableRow(run.stdout, 'graph snapshot', 'channels loaded')[1])).toBe(80);
    expect(tableRow(run.stdout, 'graph snapshot', 'its cold load: DynamoDB reads')[1]).toBe('2');
  });
});
