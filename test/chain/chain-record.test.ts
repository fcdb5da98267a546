/**
 * The `CHAIN` item (functions/chain/chain-record.ts): a record written by
 * the code before the checked digest (its sync view listing every checked
 * txid and output) is still read, as the digest of those lists, and a sync
 * from it looks up only what is new; the record written now has a size that
 * does not grow with the watched items.
 */
import { describe, expect, it } from 'vitest';
import { decodeChainView, encodeChainView } from '../../functions/chain/chain-record.js';
import { CHECKED_BUCKETS, checkedDigestOf, type SyncView, type WatchSet } from '../../shared/chain/index.js';
import { lookupsNeeded, upToDate } from '../../shared/chain/sync-plan.js';
import { hexToBytes } from '../../shared/codec/index.js';

const h = (n: number) => n.toString(16).padStart(64, 'a');
const t = (n: number) => n.toString(16).padStart(64, 'f');
const internal = (display: string) => Uint8Array.from(Buffer.from(display, 'hex').reverse());
const output = (txid: string, index: number) => ({ outpoint: { txid: internal(txid), index }, scriptPubKey: Uint8Array.of(0) });

/**
 * Encoded by encodeChainView before the digest (commit 25cb707): tip 110, two
 * recent blocks, t(1) confirmed at 109 spending t(7):0, checkedTxids [t(2)],
 * checkedOutputs [t(7):0, t(8):1].
 */
const BEFORE_DIGEST = '0100040000006e0220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa6e04fd031a7b2276223a312c22746970223a7b22686569676874223a3131302c2268617368223a2261616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161613665227d2c22726563656e74223a5b7b22686569676874223a3130392c2268617368223a2261616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161613664227d2c7b22686569676874223a3131302c2268617368223a2261616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161613665227d5d2c22636f6e6669726d6564223a5b7b2274786964223a2266666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666631222c22626c6f636b48617368223a2261616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161613664222c22686569676874223a3130392c227370656e6473223a5b22666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666373a30225d7d5d2c22636865636b65645478696473223a5b2266666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666632225d2c22636865636b65644f757470757473223a5b22666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666373a30222c22666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666383a31225d7d';

describe('the CHAIN item', () => {
  it('reads a record written before the digest, and a sync from it looks up only the new items', () => {
    const read = decodeChainView(hexToBytes(BEFORE_DIGEST));
    if (!read.ok) throw read.error;
    const view = read.value;
    expect(view.tip).toEqual({ height: 110, hash: h(110) });
    expect(view.recent).toEqual([{ height: 109, hash: h(109) }, { height: 110, hash: h(110) }]);
    expect(view.confirmed).toEqual([{ txid: t(1), blockHash: h(109), height: 109, spends: [`${t(7)}:0`] }]);
    expect(view.checked).toEqual(checkedDigestOf([t(2), `${t(7)}:0`, `${t(8)}:1`]));

    const watched: WatchSet = { txids: [internal(t(2))], outputs: [output(t(7), 0), output(t(8), 1)] };
    expect(upToDate(view, watched, h(110))).toBe(true);
    expect(lookupsNeeded(view, watched, [], { kind: 'scan' })).toEqual({ txids: [], outputs: [] });
    const more: WatchSet = { txids: [...watched.txids, internal(t(3))], outputs: [...watched.outputs, output(t(9), 2)] };
    expect(upToDate(view, more, h(110))).toBe(false);
    expect(lookupsNeeded(view, more, [], { kind: 'scan' })).toEqual({ txids: [t(3)], outputs: [`${t(9)}:2`] });

    // Written again: version 2 of the view, the same view read back.
    const again = decodeChainView(encodeChainView(view));
    if (!again.ok) throw again.error;
    expect(again.value).toEqual(view);
  });

  it('keeps the record within a bound whatever the number of watched outputs', () => {
    const viewOf = (outputs: number): SyncView => ({
      tip: { height: 110, hash: h(110) },
      recent: [{ height: 110, hash: h(110) }],
      confirmed: [],
      checked: checkedDigestOf(Array.from({ length: outputs }, (_, i) => `${t(i)}:${i % 3}`)),
    });
    const one = encodeChainView(viewOf(1)).length;
    const bound = one + CHECKED_BUCKETS * 20;
    const sizes = [1_000, 10_000, 50_000].map((n) => encodeChainView(viewOf(n)).length);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(bound);
    // Past about 7,000 keys every bucket is taken: no growth at all.
    expect(sizes[2]).toBe(sizes[1]);
    expect(bound).toBeLessThan(25_000);
  });
});
