/**
 * bench/onchain.bench.ts in CI-light form (1 and 10 watched channels, 3
 * blocks; 1 and 250 monitor updates; one justice pair) through `npm run
 * bench`'s entry point: it runs and prints its tables, and what it prints
 * is what a user relies on: a block touching none of the watched channels
 * makes the same DynamoDB requests and reads the same items whatever their
 * number (the `CHAIN_WATCH#` items kept between runs, the `CHAIN` item a
 * digest of the watched outputs, not their list), the monitor stays
 * within the compaction's bound and its read within N + 1 items, and the
 * justice transaction is queued by the chain handler run that processes the
 * revoked commitment's block.
 */
import { describe, expect, it } from 'vitest';
import { runBench, tableRow } from '../support/bench-run.js';

describe('the onchain bench', () => {
  it('measures a block with N watched channels, the monitor after N updates, and justice by the run processing the block', () => {
    const run = runBench('onchain', { BENCH_ONCHAIN_CHANNELS: '1,10', BENCH_ONCHAIN_RUNS: '3', BENCH_MONITOR_UPDATES: '1,250', BENCH_JUSTICE_RUNS: '1' }, 240_000);
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);

    // Columns: channels, ms, ratio, requests, items read, CHAIN_WATCH# items, bytes read, items written.
    const one = tableRow(run.stdout, 'Chain handler, one new block', '1');
    const ten = tableRow(run.stdout, 'Chain handler, one new block', '10');
    expect(ten[3]).toBe(one[3]); // the same requests
    expect(ten[7]).toBe(one[7]); // the same items written: nothing of the channels
    // The CHAIN_WATCH# items are not read at all (kept from the first sync while unchanged): the items read are the same.
    expect(ten[5]).toBe('0');
    expect(one[5]).toBe('0');
    expect(ten[4]).toBe(one[4]);
    // The CHAIN item: a digest, not a list of the watched outputs (10 channels: at most 10 entries of 20 hex digits more).
    expect(Number(ten[9]!.replace(/,/g, '')) - Number(one[9]!.replace(/,/g, ''))).toBeLessThanOrEqual(9 * 20);

    // Columns: updates, items, bytes, largest, items returned, items used, latest update, ms.
    const first = tableRow(run.stdout, "One channel's monitor after N updates", '1');
    expect(first.slice(1, 2)).toEqual(['2']); // the snapshot and update 1
    const later = tableRow(run.stdout, "One channel's monitor after N updates", '250');
    // After 250: updates 151..199, the snapshot at 200, updates 201..250 (the snapshot at 100 and 101..150 deleted by 201..250).
    expect(later[1]).toBe('100');
    // The reader's Query (Limit N + 1) returns them all; the monitor is built from the newest snapshot and the 50 updates after it.
    expect(later[4]).toBe('100');
    expect(later[5]).toBe('51');
    expect(later[6]).toBe('250');

    expect(run.stdout).toMatch(/\| 1 +\| [\d.]+ +\| yes: [0-9a-f]{16}… +\| 3 of 3 /);
    expect(run.stdout).toContain('justice transaction in the broadcast queue, by the same chain handler run');
  }, 300_000);
});
