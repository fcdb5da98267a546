/**
 * Asking peers for their gossip (BOLT 7 "Query Messages", LDK's
 * `P2PGossipSync::peer_connected`). A node that signals `gossip_queries`
 * gets no gossip from a peer that signals it too until it sends a
 * `gossip_timestamp_filter`; that filter is also a request for the peer's
 * graph within its range. So, as LDK does, every such peer gets a filter
 * when its `init` arrives: the first few (a full sync) from two weeks back,
 * the others from an hour back (what is new from here on, plus the last
 * hour). The range is open-ended (`0xFFFFFFFF`), so the peer keeps
 * relaying what it learns later.
 *
 * A serverless node has no process lifetime to count "the first few" over
 * (LDK counts since start): the header keeps the peers asked for a full
 * sync with when, and a full sync is asked of at most
 * {@link FULL_SYNC_PEERS} peers within {@link FULL_SYNC_WINDOW_SEC}. A node
 * whose gateway restarts, or whose peers reconnect, does not pull the whole
 * graph again each time (each full sync is about the whole network's gossip
 * through the gossip queue), and a full sync lost with its connection is
 * asked again after the window.
 */
import { equalBytes } from '../codec/index.js';
import type { GossipTimestampFilterMessage } from '../gossip/index.js';
import { isFeatureSupported } from '../wire/features.js';
import type { ManagerCore } from './manager-core.js';
import type { GossipSyncRequest } from './manager-header.js';

/** Whether and how the node asks its peers for gossip (given at load, not persisted, like `nodeAnnouncement`). */
export interface GossipSyncSettings {
  /** Peers asked for a full sync within the window; {@link FULL_SYNC_PEERS} when absent. */
  readonly fullSyncPeers?: number;
}

/** LDK syncs the whole graph from its first few peers only (5 there); 3 here, each a whole network's gossip through the queue. */
export const FULL_SYNC_PEERS = 3;
/** How long a full sync asked of a peer counts against {@link FULL_SYNC_PEERS}: a day. */
export const FULL_SYNC_WINDOW_SEC = 24 * 60 * 60;
/** A full sync's filter starts two weeks back (LDK's; older updates are stale: docs/gossip.md, pruning). */
export const FULL_SYNC_LOOKBACK_SEC = 14 * 24 * 60 * 60;
/** Any other peer's filter starts an hour back (LDK's): what is new from here on, plus the last hour. */
export const RECENT_LOOKBACK_SEC = 60 * 60;
/** The filter's range: open-ended (BOLT 7 `timestamp_range`, u32). */
export const OPEN_TIMESTAMP_RANGE = 0xffff_ffff;

/** Our `gossip_timestamp_filter` for `chainHash`: from {@link FULL_SYNC_LOOKBACK_SEC} back for a full sync, {@link RECENT_LOOKBACK_SEC} otherwise. */
export function ourGossipTimestampFilter(chainHash: Uint8Array, nowSec: number, fullSync: boolean): GossipTimestampFilterMessage {
  const lookback = fullSync ? FULL_SYNC_LOOKBACK_SEC : RECENT_LOOKBACK_SEC;
  return { type: 265, chainHash, firstTimestamp: Math.max(0, Math.floor(nowSec) - lookback), timestampRange: OPEN_TIMESTAMP_RANGE };
}

/** The full syncs still counting at `nowSec` (asked within the window). */
export function recentFullSyncs(list: readonly GossipSyncRequest[] | undefined, nowSec: number): GossipSyncRequest[] {
  return (list ?? []).filter((r) => nowSec - r.atSec < FULL_SYNC_WINDOW_SEC && r.atSec <= nowSec);
}

/**
 * The peer's `init` arrived: with gossip sync on (`core.gossipSync`) and the
 * peer signalling `gossip_queries`, our filter goes to it (a full sync while
 * fewer than the limit were asked within the window and this peer is not one
 * of them; the header records it). Nothing otherwise: a peer without
 * `gossip_queries` relays its gossip unasked.
 */
export function askForGossip(core: ManagerCore, peer: Uint8Array, theirInitFeatures: Uint8Array): void {
  const settings = core.gossipSync;
  if (settings === undefined || !isFeatureSupported(theirInitFeatures, 'gossip_queries')) return;
  const { cs } = core;
  const nowSec = core.ports.clock.nowSecs();
  const recent = recentFullSyncs(cs.header.gossipSyncs, nowSec);
  const fullSync = recent.length < (settings.fullSyncPeers ?? FULL_SYNC_PEERS) && !recent.some((r) => equalBytes(r.peer, peer));
  cs.send(peer, ourGossipTimestampFilter(cs.header.chainHash, nowSec, fullSync));
  const stale = recent.length !== (cs.header.gossipSyncs ?? []).length;
  if (fullSync || stale) cs.setHeader({ ...cs.header, gossipSyncs: fullSync ? [...recent, { peer, atSec: nowSec }] : recent });
}
