/**
 * Asking peers for their gossip (shared/manager/gossip-sync.ts, LDK's
 * `P2PGossipSync::peer_connected`): a peer signalling `gossip_queries` gets
 * our `gossip_timestamp_filter` when its `init` arrives; the first
 * FULL_SYNC_PEERS within a day from two weeks back (a full sync, recorded
 * in the header), the others from an hour back; a peer without
 * `gossip_queries`, or a node without gossip sync, gets nothing.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { decodeGossipMessage } from '../../shared/gossip/index.js';
import {
  ChannelManager,
  DEFAULT_MANAGER_CONFIG,
  FULL_SYNC_LOOKBACK_SEC,
  FULL_SYNC_PEERS,
  FULL_SYNC_WINDOW_SEC,
  RECENT_LOOKBACK_SEC,
  decodeManagerHeader,
  encodeManagerHeader,
  encodePeerMessage,
  initFeaturesFor,
  type GossipSyncSettings,
  type ManagerChanges,
} from '../../shared/manager/index.js';
import { featureBit, featuresFromBits, isFeatureSupported, OUR_INIT_FEATURES, setFeatureBits } from '../../shared/wire/index.js';
import { REGTEST_CHAIN_HASH, testNode } from '../support/channel-harness.js';
import { testManagerPorts } from '../support/manager-input.js';

const NOW = 1_760_000_000;
const GOSSIP_QUERIES = featureBit('gossip_queries', 'optional');
const WITH_QUERIES = setFeatureBits(OUR_INIT_FEATURES.slice(), GOSSIP_QUERIES);
const peerId = (i: number): Uint8Array => Uint8Array.of(2, ...new Uint8Array(31), i);

/** A node whose clock reads `clock.now`; each connection is one input (load the header, `peerConnected`, commit). */
function node(gossipSync: GossipSyncSettings | undefined) {
  const ports = { ...testManagerPorts(testNode('gossip-sync')), clock: { nowSecs: () => clock.now } };
  const clock = { now: NOW };
  const created = ChannelManager.create({ ports, chainHash: REGTEST_CHAIN_HASH, bestBlock: { height: 100, hash: new Uint8Array(32) }, config: DEFAULT_MANAGER_CONFIG });
  let header = created.takeChanges().header!;
  return {
    clock,
    get header() {
      const h = decodeManagerHeader(header);
      if (!h.ok) throw h.error;
      return h.value;
    },
    connect(peer: Uint8Array, features: Uint8Array, connectionId = 'c1'): ManagerChanges {
      const connected = new Map([[toHex(peer), features]]);
      const m = ChannelManager.load({ ports, header, connectedPeers: connected, connections: new Map([[toHex(peer), connectionId]]), ...(gossipSync ? { gossipSync } : {}) });
      m.loadChannelKeys(toHex(peer), []);
      m.peerConnected(peer, features, connectionId);
      const changes = m.takeChanges();
      if (changes.header) header = changes.header;
      return changes;
    },
  };
}

/** The filters among `changes`' messages, decoded from their bytes as the peer reads them. */
function filtersOf(changes: ManagerChanges) {
  return changes.messages.map((m) => {
    const decoded = decodeGossipMessage(encodePeerMessage(m.message));
    if (decoded.kind !== 'message' || decoded.message.type !== 265) throw new Error(`not a gossip_timestamp_filter: ${m.message.type}`);
    return { peer: toHex(m.peer), connectionId: m.connectionId, ...decoded.message };
  });
}

describe('asking peers for gossip (gossip_timestamp_filter on init)', () => {
  it('the first three peers with gossip_queries get a full sync from two weeks back, the fourth from an hour back; all open-ended, on their connection', () => {
    const n = node({});
    const firsts = [1, 2, 3].map((i) => filtersOf(n.connect(peerId(i), WITH_QUERIES, `conn-${i}`)));
    expect(FULL_SYNC_PEERS).toBe(3);
    for (const [i, [f]] of firsts.entries()) {
      expect(f).toMatchObject({ peer: toHex(peerId(i + 1)), connectionId: `conn-${i + 1}`, firstTimestamp: NOW - FULL_SYNC_LOOKBACK_SEC, timestampRange: 0xffffffff });
      expect(toHex(f!.chainHash)).toBe(toHex(REGTEST_CHAIN_HASH));
    }
    expect(FULL_SYNC_LOOKBACK_SEC).toBe(14 * 24 * 3600);
    expect(n.header.gossipSyncs?.map((r) => [toHex(r.peer), r.atSec])).toEqual([1, 2, 3].map((i) => [toHex(peerId(i)), NOW]));

    const [fourth] = filtersOf(n.connect(peerId(4), WITH_QUERIES));
    expect(fourth).toMatchObject({ firstTimestamp: NOW - RECENT_LOOKBACK_SEC, timestampRange: 0xffffffff });
    expect(n.header.gossipSyncs).toHaveLength(3);
  });

  it('a peer reconnecting within the window is asked for the last hour only; after the window a full sync is asked again', () => {
    const n = node({});
    expect(filtersOf(n.connect(peerId(1), WITH_QUERIES))[0]!.firstTimestamp).toBe(NOW - FULL_SYNC_LOOKBACK_SEC);
    n.clock.now = NOW + 600;
    expect(filtersOf(n.connect(peerId(1), WITH_QUERIES, 'c2'))[0]!.firstTimestamp).toBe(NOW + 600 - RECENT_LOOKBACK_SEC);
    // Two more peers fill the slots; a day after the first, its slot is free for the next peer.
    n.connect(peerId(2), WITH_QUERIES);
    n.connect(peerId(3), WITH_QUERIES);
    expect(filtersOf(n.connect(peerId(4), WITH_QUERIES))[0]!.firstTimestamp).toBe(NOW + 600 - RECENT_LOOKBACK_SEC);
    n.clock.now = NOW + FULL_SYNC_WINDOW_SEC;
    expect(filtersOf(n.connect(peerId(4), WITH_QUERIES))[0]!.firstTimestamp).toBe(NOW + FULL_SYNC_WINDOW_SEC - FULL_SYNC_LOOKBACK_SEC);
    expect(n.header.gossipSyncs?.map((r) => toHex(r.peer))).toEqual([2, 3, 4].map((i) => toHex(peerId(i))));
  });

  it('fullSyncPeers sets how many peers a full sync is asked of', () => {
    const n = node({ fullSyncPeers: 1 });
    expect(filtersOf(n.connect(peerId(1), WITH_QUERIES))[0]!.firstTimestamp).toBe(NOW - FULL_SYNC_LOOKBACK_SEC);
    expect(filtersOf(n.connect(peerId(2), WITH_QUERIES))[0]!.firstTimestamp).toBe(NOW - RECENT_LOOKBACK_SEC);
  });

  it('a peer without gossip_queries gets no filter and costs no header write; nor does any peer of a node without gossip sync', () => {
    const n = node({});
    const plain = n.connect(peerId(1), OUR_INIT_FEATURES);
    expect(plain.messages).toEqual([]);
    expect(plain.header).toBeUndefined();
    // The required bit counts as well as the optional one.
    expect(filtersOf(n.connect(peerId(2), featuresFromBits([featureBit('gossip_queries', 'required')])))).toHaveLength(1);

    const off = node(undefined);
    const changes = off.connect(peerId(1), WITH_QUERIES);
    expect(changes.messages).toEqual([]);
    expect(changes.header).toBeUndefined();
  });

  it('our init signals gossip_queries only when asked (a node that keeps a graph)', () => {
    expect(isFeatureSupported(initFeaturesFor(DEFAULT_MANAGER_CONFIG), 'gossip_queries')).toBe(false);
    const withQueries = initFeaturesFor(DEFAULT_MANAGER_CONFIG, { gossipQueries: true });
    expect(isFeatureSupported(withQueries, 'gossip_queries')).toBe(true);
    expect(toHex(withQueries)).not.toBe(toHex(initFeaturesFor(DEFAULT_MANAGER_CONFIG)));
  });

  it('the header keeps the full syncs (TLV 21) and a header without them reads as before', () => {
    const n = node({});
    n.connect(peerId(1), WITH_QUERIES);
    const h = n.header;
    const again = decodeManagerHeader(encodeManagerHeader(h));
    if (!again.ok) throw again.error;
    expect(again.value.gossipSyncs?.map((r) => [toHex(r.peer), r.atSec])).toEqual([[toHex(peerId(1)), NOW]]);
    const { gossipSyncs: _dropped, ...without } = h;
    const plain = decodeManagerHeader(encodeManagerHeader(without));
    if (!plain.ok) throw plain.error;
    expect(plain.value.gossipSyncs).toBeUndefined();
  });
});
