/**
 * Index items (shared/manager/channel-indexes.ts): a pure function of the
 * channel item, written as the difference with what the channel implied
 * before. Per-HTLC items (payment hash, expiry height) are put one per
 * `update_add_htlc` and never deleted in the commit that resolves them:
 * 483 HTLCs each way settled at once leave every delete to after the commit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelState, InboundHtlcState, type Channel, type HtlcRecord } from '../../shared/channel/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { changesWith, indexEntriesOf, IndexPrefix, type ChannelItem } from '../../shared/manager/index.js';
import { channelIndexChanges, indexChanges } from '../../shared/manager/channel-indexes.js';
import { InMemoryManagerStore } from '../../shared/store/manager-items.js';
import { SortKey } from '../../shared/store/index.js';
import { htlc, htlcsEachWay, readyChannel } from '../support/htlc-population.js';

const item = (channel: Channel): ChannelItem => ({ kind: 'channel', channel });
const keysOf = (entries: ReadonlyMap<string, Uint8Array>, prefix: string) => [...entries.keys()].filter((k) => k.startsWith(prefix));

describe('index entries of a channel', () => {
  it('a ready, buried channel: its outpoint, alias and short channel id; no confirming entry', () => {
    const c = readyChannel();
    const entries = indexEntriesOf(item({ ...c, bestHeight: c.confirmation!.height + 100 } as Channel));
    expect(keysOf(entries, IndexPrefix.outpoint)).toEqual([`OUTPOINT#${toHex(c.funding!.outpoint.txid)}:${c.funding!.outpoint.index}`]);
    expect(keysOf(entries, IndexPrefix.scid)).toHaveLength(2);
    expect(keysOf(entries, IndexPrefix.confirming)).toEqual([]);
    expect(indexEntriesOf(item({ ...c, state: ChannelState.Closed } as Channel)).size).toBe(0);
  });

  it('one HTLC added: one payment-hash and one expiry item put, nothing else written', () => {
    const c = readyChannel();
    const before = indexEntriesOf(item({ ...c, htlcs: htlcsEachWay(482) } as Channel));
    const after = indexEntriesOf(item({ ...c, htlcs: [...htlcsEachWay(482), htlc('received', 482)] } as Channel));
    const changes = indexChanges(before, after);
    expect([...changes.put.keys()].map((k) => k.slice(0, k.indexOf('#') + 1)).sort()).toEqual([IndexPrefix.expiry, IndexPrefix.payment]);
    expect(changes.delete).toEqual([]);
    expect(changes.deferred).toEqual([]);
  });

  it('483 HTLCs each way settled by one revoke_and_ack: no index delete in the commit, all deferred', () => {
    const c = readyChannel();
    const before = indexEntriesOf(item({ ...c, htlcs: htlcsEachWay() } as Channel));
    expect(keysOf(before, IndexPrefix.payment)).toHaveLength(966);
    // The received ones gone (their removal irrevocable), the offered ones fulfilled (a fulfilled received HTLC keeps its expiry item until it is gone).
    const after = indexEntriesOf(item({ ...c, htlcs: htlcsEachWay(483, true).filter((h) => h.direction === 'offered') } as Channel));
    const changes = indexChanges(before, after);
    expect(changes.put.size).toBe(0);
    expect(changes.delete).toEqual([]);
    expect(changes.deferred).toHaveLength(966 + 483); // a hash each; an expiry height each (the two directions share heights here)

    // Committed: within the 100 writes, and the deferred deletes done after it.
    const store = new InMemoryManagerStore();
    for (const [key, data] of before) store.items.set(SortKey.index(key), data);
    const deferredDelete = changes.deferred;
    expect(store.commit('raa', changesWith({ indexes: { put: new Map(), delete: [], deferredDelete } }))).toBe('applied');
    expect([...store.items.keys()].filter((sk) => sk.startsWith('INDEX#PAYMENT#') || sk.startsWith('INDEX#EXPIRY#'))).toEqual([]);
  });
});

describe('the index writes of one step, computed from the HTLCs that changed', () => {
  const c = readyChannel();
  const general = (before: ChannelItem | null, after: ChannelItem | null) => indexChanges(indexEntriesOf(before), indexEntriesOf(after));
  const shape = (x: ReturnType<typeof indexChanges>) => ({ put: [...x.put], delete: x.delete, deferred: x.deferred });

  it('are the general diff, in the same order, whatever the HTLCs share (hashes, heights, records)', () => {
    // A small pool: HTLCs sharing payment hashes and expiry heights (MPP parts, one block), kept as the same record or copied.
    const pool = Array.from({ length: 12 }, (_, i) => ({ ...htlc(i % 2 === 0 ? 'received' : 'offered', i % 5), id: BigInt(i), cltvExpiry: 800_000 + (i % 3) }) as HtlcRecord);
    const change = fc.constantFrom('keep', 'copy', 'resolve', 'fulfill', 'drop');
    fc.assert(
      fc.property(fc.subarray(pool), fc.array(change, { minLength: 12, maxLength: 12 }), fc.subarray(pool), (held, changes, added) => {
        const afterHtlcs: HtlcRecord[] = [];
        held.forEach((h, i) => {
          const what = changes[i]!;
          if (what === 'keep') afterHtlcs.push(h);
          else if (what === 'copy') afterHtlcs.push({ ...h, paymentHash: h.paymentHash.slice() });
          else if (what === 'resolve') afterHtlcs.push({ ...h, resolution: { kind: 'fail', hasReason: false } });
          // A fulfill: a received HTLC keeps its expiry item until it is gone (htlc-expiry.ts), an offered one loses both.
          else if (what === 'fulfill') afterHtlcs.push({ ...h, resolution: { kind: 'fulfill', preimage: new Uint8Array(32) } });
        });
        for (const h of added) afterHtlcs.push({ ...h, id: h.id + 100n, state: InboundHtlcState.RemoteAnnounced, direction: 'received' } as HtlcRecord);
        const before = item({ ...c, htlcs: held } as Channel);
        const after = item({ ...c, htlcs: afterHtlcs, feeratePerKw: held.length % 2 === 0 ? c.feeratePerKw : c.feeratePerKw + 1 } as Channel);
        expect(shape(channelIndexChanges(before, after))).toEqual(shape(general(before, after)));
        expect(shape(channelIndexChanges(after, before))).toEqual(shape(general(after, before)));
      }),
      { numRuns: 300 },
    );
  });

  it('are the general diff when the channel itself changes too (state, depth, fee, alias, confirmation, type)', () => {
    const conf = c.confirmation!;
    const variants: ((x: Channel) => Channel)[] = [
      (x) => x,
      (x) => ({ ...x, state: ChannelState.ShutdownSent }) as Channel,
      (x) => ({ ...x, state: ChannelState.AwaitingChannelReady }) as Channel,
      (x) => ({ ...x, bestHeight: conf.height + 1 }) as Channel,
      (x) => ({ ...x, bestHeight: conf.height + 500 }) as Channel,
      (x) => ({ ...x, minimumDepth: 1000 }) as Channel,
      (x) => ({ ...x, feeratePerKw: x.feeratePerKw + 7 }) as Channel,
      (x) => ({ ...x, pendingFeeUpdate: { feeratePerKw: 9999, state: 'local-announced' } }) as unknown as Channel,
      (x) => ({ ...x, holderAlias: x.holderAlias + 1n }) as Channel,
      (x) => ({ ...x, isOutbound: !x.isOutbound }) as Channel,
      (x) => ({ ...x, channelType: { ...x.channelType, anchors: !x.channelType.anchors } }) as Channel,
      (x) => ({ ...x, confirmation: { ...conf, txIndex: conf.txIndex + 1 } }) as Channel,
      (x) => ({ ...x, confirmation: { ...conf, blockHash: conf.blockHash.map((b) => b ^ 1) } }) as Channel,
      (x) => ({ ...x, funding: { ...x.funding!, outpoint: { ...x.funding!.outpoint, txid: x.funding!.outpoint.txid.slice() } } }) as Channel,
    ];
    for (const isOutbound of [false, true]) {
      const base = { ...c, isOutbound, htlcs: htlcsEachWay(2) } as Channel;
      for (const [i, f] of variants.entries()) {
        for (const [j, g] of variants.entries()) {
          const before = item(f(base));
          const after = item(g({ ...base, htlcs: [...base.htlcs!.slice(1), htlc('received', 9)] } as Channel));
          expect({ isOutbound, i, j, ...shape(channelIndexChanges(before, after)) }).toEqual({ isOutbound, i, j, ...shape(general(before, after)) });
        }
      }
    }
  });

  it('fall back to the general diff for a channel appearing, closing or going away', () => {
    const open = item({ ...c, htlcs: htlcsEachWay(3) } as Channel);
    const closed = item({ ...c, state: ChannelState.Closed, htlcs: htlcsEachWay(3) } as Channel);
    const unfunded = item({ ...c, funding: undefined } as unknown as Channel);
    for (const [before, after] of [[null, open], [open, null], [open, closed], [closed, open], [unfunded, open]] as const) {
      expect(shape(channelIndexChanges(before, after))).toEqual(shape(general(before, after)));
    }
    expect(channelIndexChanges(open, open)).toEqual({ put: new Map(), delete: [], deferred: [] });
  });
});
