/**
 * The pure sync planning on synthetic chains: which items are looked up,
 * the order of the Confirm calls (unconfirm newest first, confirm in chain
 * order by position, best block last), the next view; the fee estimator's
 * table choice, floor and fallback; merkle branches.
 */
import { describe, expect, it } from 'vitest';
import {
  CHECKED_BUCKETS,
  EMPTY_SYNC_VIEW,
  checkedDigestOf,
  EsploraFeeEstimator,
  feeRateFromEstimates,
  merkleRoot,
  merkleRootFromBranch,
  planSync,
  syncViewFromJson,
  syncViewToJson,
  type ScannedBlock,
  type SyncView,
  type WatchSet,
} from '../../shared/chain/index.js';
import { lookupsNeeded, upToDate } from '../../shared/chain/sync-plan.js';

const h = (n: number, fork = 'a') => (fork + n.toString(16)).padStart(64, '0');
const tx = (n: number) => n.toString(16).padStart(64, 'f');
const internal = (display: string) => Uint8Array.from(Buffer.from(display, 'hex').reverse());
const header = (n: number) => new Uint8Array(80).fill(n);

function block(height: number, fork: string, txs: { txid: string; spends?: string[] }[]): ScannedBlock {
  return {
    ref: { height, hash: h(height, fork) },
    header: header(height),
    txs: [{ txid: tx(1000 + height), tx: Uint8Array.of(0), spends: [] }, ...txs.map((t) => ({ txid: t.txid, tx: Uint8Array.of(1), spends: t.spends ?? [] }))],
  };
}

const recentTo = (height: number, fork = 'a') => Array.from({ length: 12 }, (_, i) => ({ height: height - 11 + i, hash: h(height - 11 + i, fork) }));

const view10: SyncView = {
  tip: { height: 10, hash: h(10) },
  recent: recentTo(10),
  confirmed: [
    { txid: tx(1), blockHash: h(9), height: 9, spends: [] },
    { txid: tx(2), blockHash: h(10), height: 10, spends: [] },
    { txid: tx(3), blockHash: h(10), height: 10, spends: [`${tx(7)}:0`] },
  ],
  checked: checkedDigestOf([tx(1), tx(2), tx(4), `${tx(7)}:0`]),
};
const watch: WatchSet = {
  txids: [tx(1), tx(2), tx(4)].map(internal),
  outputs: [{ outpoint: { txid: internal(tx(7)), index: 0 }, scriptPubKey: Uint8Array.of(0) }],
};

describe('planSync', () => {
  it('scan mode without a reorg: confirms what the new blocks hold, in chain order, then the best block', () => {
    const blocks = [block(11, 'a', [{ txid: tx(5), spends: [`${tx(4)}:1`] }, { txid: tx(4) }]), block(12, 'a', [])];
    const { calls, view } = planSync(view10, watch, [], {
      tip: { height: 12, hash: h(12) },
      tipHeader: header(12),
      mode: { kind: 'scan', forkHeight: 10, blocks },
      txLookups: new Map(),
      outputLookups: new Map(),
    });
    expect(calls).toEqual([
      { kind: 'transactionsConfirmed', header: header(11), height: 11, txdata: [{ position: 2, txid: internal(tx(4)), tx: Uint8Array.of(1) }] },
      { kind: 'bestBlockUpdated', header: header(12), height: 12 },
    ]);
    expect(view.tip).toEqual({ height: 12, hash: h(12) });
    expect(view.recent.map((b) => b.height)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(view.confirmed.map((r) => r.txid).sort()).toEqual([tx(1), tx(2), tx(3), tx(4)].sort());
  });

  it('scan mode across a reorg: unconfirms above the fork (newest first), reconfirms along the new chain', () => {
    const blocks = [block(9, 'b', [{ txid: tx(1) }]), block(10, 'b', []), block(11, 'b', [{ txid: tx(9), spends: [`${tx(7)}:0`] }, { txid: tx(2) }])];
    const { calls, view } = planSync(view10, watch, [], {
      tip: { height: 11, hash: h(11, 'b') },
      tipHeader: header(111),
      mode: { kind: 'scan', forkHeight: 8, blocks },
      txLookups: new Map(),
      outputLookups: new Map(),
    });
    expect(calls.map((c) => (c.kind === 'transactionsConfirmed' ? [c.kind, c.height, c.txdata.map((t) => t.position)] : c.kind === 'transactionUnconfirmed' ? [c.kind, Buffer.from(c.txid).reverse().toString('hex')] : [c.kind, c.height]))).toEqual([
      ['transactionUnconfirmed', tx(3)],
      ['transactionUnconfirmed', tx(2)],
      ['transactionUnconfirmed', tx(1)],
      ['transactionsConfirmed', 9, [1]],
      ['transactionsConfirmed', 11, [1, 2]],
      ['bestBlockUpdated', 11],
    ]);
    expect(view.confirmed.find((r) => r.txid === tx(9))?.spends).toEqual([`${tx(7)}:0`]);
    expect(view.confirmed.some((r) => r.txid === tx(3))).toBe(false);
    expect(view.recent.at(-1)).toEqual({ height: 11, hash: h(11, 'b') });
    expect(view.recent.find((b) => b.height === 8)?.hash).toBe(h(8));
  });

  it('lookup mode: blocks out of the best chain unconfirm; lookups confirm', () => {
    const needed = lookupsNeeded(view10, watch, [], { kind: 'lookup', blockInBestChain: new Map([[h(9), true], [h(10), false]]) });
    expect(needed).toEqual({ txids: [tx(2), tx(4)], outputs: [`${tx(7)}:0`] });
    const found = { txid: tx(4), tx: Uint8Array.of(4), block: { height: 10, hash: h(10, 'c') }, header: header(10), position: 3, spends: [] };
    const { calls } = planSync(view10, watch, [], {
      tip: { height: 10, hash: h(10, 'c') },
      tipHeader: header(10),
      mode: { kind: 'lookup', blockInBestChain: new Map([[h(9), true], [h(10), false]]), recent: recentTo(10, 'c') },
      txLookups: new Map([[tx(2), undefined], [tx(4), found]]),
      outputLookups: new Map([[`${tx(7)}:0`, undefined]]),
    });
    expect(calls.map((c) => c.kind)).toEqual(['transactionUnconfirmed', 'transactionUnconfirmed', 'transactionsConfirmed', 'bestBlockUpdated']);
  });

  it("checks the implementers' own confirmed txids too", () => {
    const relevant = [{ txid: internal(tx(8)), height: 10, blockHash: internal(h(10)) }];
    const { calls } = planSync(view10, watch, relevant, {
      tip: { height: 10, hash: h(10, 'd') },
      tipHeader: header(10),
      mode: { kind: 'scan', forkHeight: 9, blocks: [block(10, 'd', [])] },
      txLookups: new Map(),
      outputLookups: new Map(),
    });
    expect(calls.filter((c) => c.kind === 'transactionUnconfirmed').map((c) => (c.kind === 'transactionUnconfirmed' ? Buffer.from(c.txid).reverse().toString('hex') : '')).sort()).toEqual([tx(2), tx(3), tx(8)].sort());
  });

  it('knows when nothing needs doing, and looks up only new items in scan mode', () => {
    expect(upToDate(view10, watch, h(10))).toBe(true);
    expect(upToDate(view10, watch, h(11))).toBe(false);
    const more = { ...watch, txids: [...watch.txids, internal(tx(6))] };
    expect(upToDate(view10, more, h(10))).toBe(false);
    expect(lookupsNeeded(view10, more, [], { kind: 'scan' })).toEqual({ txids: [tx(6)], outputs: [] });
  });

  it('round-trips the view through JSON and refuses other JSON', () => {
    expect(syncViewFromJson(syncViewToJson(view10))).toEqual(view10);
    expect(syncViewFromJson(syncViewToJson(EMPTY_SYNC_VIEW))).toEqual(EMPTY_SYNC_VIEW);
    expect(syncViewFromJson('{"v":2}')).toBeUndefined();
    expect(syncViewFromJson('nope')).toBeUndefined();
    expect(syncViewFromJson(JSON.stringify({ v: 1, ...view10, confirmed: [{ txid: 1 }] }))).toBeUndefined();
    // The digest: whole entries of a bucket below CHECKED_BUCKETS (u16) and a u64, each bucket once.
    const json = (checked: string) => JSON.stringify({ v: 2, tip: view10.tip, recent: view10.recent, confirmed: view10.confirmed, checked });
    expect(syncViewFromJson(json('0001' + '11'.repeat(8)))?.checked).toEqual(new Map([[1, 0x1111111111111111n]]));
    expect(syncViewFromJson(json('0001' + '11'.repeat(7)))).toBeUndefined();
    expect(syncViewFromJson(json(CHECKED_BUCKETS.toString(16).padStart(4, '0') + '11'.repeat(8)))).toBeUndefined();
    expect(syncViewFromJson(json(('0001' + '11'.repeat(8)).repeat(2)))).toBeUndefined();
    expect(syncViewFromJson(json('0001' + 'zz'.repeat(8)))).toBeUndefined();
  });

  it('never misses a newly watched item among thousands, and looks up few besides it', () => {
    const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ outpoint: { txid: internal(tx(5000 + from + i)), index: i % 4 }, scriptPubKey: Uint8Array.of(0) }));
    const before: WatchSet = { txids: [], outputs: many(5_000) };
    const checked: SyncView = { ...view10, checked: planSync(view10, before, [], { tip: view10.tip!, tipHeader: header(10), mode: { kind: 'lookup', blockInBestChain: new Map(), recent: view10.recent }, txLookups: new Map(), outputLookups: new Map() }).view.checked };
    expect(checked.checked.size).toBeLessThanOrEqual(CHECKED_BUCKETS);
    expect(upToDate(checked, before, h(10))).toBe(true);
    let looked = 0;
    for (let k = 0; k < 50; k++) {
      const added = many(1, 5_000 + k)[0]!;
      const after: WatchSet = { txids: [], outputs: [...before.outputs, added] };
      expect(upToDate(checked, after, h(10))).toBe(false);
      const needed = lookupsNeeded(checked, after, [], { kind: 'scan' }).outputs;
      expect(needed).toContain(`${tx(10_000 + k)}:0`);
      looked += needed.length;
    }
    // Only the new item's bucket is looked up again: 5,000 keys over 1,024 buckets, about 5 a bucket.
    expect(looked / 50).toBeLessThan(15);
    // Items no longer watched: the others of their buckets are looked up once more (harmless: a lookup reports only what the view has not).
    const fewer: WatchSet = { txids: [], outputs: before.outputs.slice(10) };
    expect(upToDate(checked, fewer, h(10))).toBe(false);
    expect(lookupsNeeded(checked, fewer, [], { kind: 'scan' }).outputs.length).toBeLessThan(10 * 15);
  });
});

describe('fee estimator', () => {
  const table = new Map([[1, 30.5], [3, 10], [6, 4], [144, 0.5]]);
  it('takes the largest target not above the one asked, ×250, rounded up', () => {
    expect(feeRateFromEstimates(table, 1, 1000n)).toBe(7625n);
    expect(feeRateFromEstimates(table, 2, 1000n)).toBe(7625n);
    expect(feeRateFromEstimates(table, 5, 1000n)).toBe(2500n);
    expect(feeRateFromEstimates(table, 100, 1000n)).toBe(1000n);
    expect(feeRateFromEstimates(new Map([[6, 4]]), 2, 1000n)).toBe(1000n);
  });
  it('never goes below 253 sat/kw; falls back when the table is empty or the server fails', async () => {
    expect(feeRateFromEstimates(table, 1008, 1000n)).toBe(253n);
    expect(feeRateFromEstimates(new Map(), 6, 5000n)).toBe(5000n);
    expect(feeRateFromEstimates(new Map(), 6, 100n)).toBe(253n);
    const { EsploraClient } = await import('../../shared/chain/index.js');
    const down = new EsploraClient('http://x', { fetch: async () => new Response('', { status: 502 }) });
    const estimator = await EsploraFeeEstimator.load(down, { fallbackSatPerKw: 2000n });
    expect(estimator.feeRatePerKw(1)).toBe(2000n);
    expect(estimator.fallbackReason).toMatch(/502/);
    const up = new EsploraClient('http://x', { fetch: async () => new Response('{"2": 8}', { status: 200 }) });
    expect((await EsploraFeeEstimator.load(up, { fallbackSatPerKw: 2000n })).feeRatePerKw(6)).toBe(2000n);
  });
});

describe('merkle branches', () => {
  it('every position of trees of 1 to 9 leaves leads back to the root', () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i + 1));
      const root = merkleRoot(leaves);
      for (let pos = 0; pos < n; pos++) {
        // Build the branch by hand: sibling at each level (the node itself when it is the odd last one).
        const branch: Uint8Array[] = [];
        let level: Uint8Array[] = leaves;
        let index = pos;
        while (level.length > 1) {
          branch.push(level[index ^ 1] ?? level[index]!);
          const next: Uint8Array[] = [];
          for (let i = 0; i < level.length; i += 2) next.push(merkleRoot([level[i]!, level[i + 1] ?? level[i]!]));
          level = next;
          index >>= 1;
        }
        expect(Buffer.from(merkleRootFromBranch(leaves[pos]!, branch, pos)).equals(Buffer.from(root))).toBe(true);
      }
      if (n > 1) expect(Buffer.from(merkleRootFromBranch(leaves[0]!, [], 0)).equals(Buffer.from(root))).toBe(false);
    }
  });
});
