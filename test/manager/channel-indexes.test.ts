/**
 * Index items (shared/manager/channel-indexes.ts): a pure function of the
 * channel item, written as the difference with what the channel implied
 * before. Per-HTLC items (payment hash, expiry height) are put one per
 * `update_add_htlc` and never deleted in the commit that resolves them:
 * 483 HTLCs each way settled at once leave every delete to after the commit.
 */
import { describe, expect, it } from 'vitest';
import { ChannelState, type Channel } from '../../shared/channel/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { changesWith, indexEntriesOf, IndexPrefix, type ChannelItem } from '../../shared/manager/index.js';
import { indexChanges } from '../../shared/manager/channel-indexes.js';
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
    const after = indexEntriesOf(item({ ...c, htlcs: htlcsEachWay(483, true) } as Channel));
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
