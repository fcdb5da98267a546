/**
 * The graph snapshot job: reads the stored gossip (shared/store/graph-items.ts),
 * builds shared/routing's `NetworkGraph` and stores `encodeGraphSnapshot` of it
 * in chunks beside the graph, for the payment paths to load in a few reads
 * (shared/store/graph-snapshot-cache.ts). The gossip function runs it once
 * {@link SNAPSHOT_EVERY_CHANGES} changes were stored since the last one; the
 * timer runs it for fewer changes once the snapshot is old enough, and after
 * pruning (graph-upkeep.ts).
 */
import { decodeGossipMessage } from '../../shared/gossip/index.js';
import { buildNetworkGraph, encodeGraphSnapshot, type ChannelAnnouncementRecord, type ChannelUpdateRecord, type GraphBuildReport } from '../../shared/routing/index.js';
import type { GraphStore, StoredChannel } from '../../shared/store/graph-items.js';

/** Stored changes (announcements, updates, node announcements) after which the gossip function builds a new snapshot. */
export const SNAPSHOT_EVERY_CHANGES = 500;

export interface GraphFromStoreOptions {
  /**
   * Also route through channels whose funding output was not read from the
   * chain (no chain look-up configured). docs/gossip.md: a deployment that
   * cannot check them must not route through them, so false by default.
   */
  readonly includeUnchecked?: boolean;
  /**
   * Leave out updates older than this (unix seconds): LDK forgets a
   * direction's update after two weeks without a newer one, so the router
   * does not use a policy its owner stopped refreshing.
   */
  readonly updatedSinceSec?: number;
}

/** The graph as the store holds it now (every channel and update read, shard by shard). */
export async function graphFromStore(store: GraphStore, options: GraphFromStoreOptions = {}): Promise<GraphBuildReport & { readonly unchecked: number }> {
  // Channel by channel as the shards are read: only the records are kept, not the stored bytes.
  const records = new GraphRecords(options);
  for await (const c of store.channels()) records.add(c);
  return records.build();
}

/** The graph of stored channels already in memory (the pruner's pass). */
export function graphOfChannels(channels: Iterable<StoredChannel>, options: GraphFromStoreOptions = {}): GraphBuildReport & { readonly unchecked: number } {
  const records = new GraphRecords(options);
  for (const c of channels) records.add(c);
  return records.build();
}

/** shared/routing's records of stored channels, gathered one channel at a time. */
class GraphRecords {
  readonly #announcements: ChannelAnnouncementRecord[] = [];
  readonly #updates: ChannelUpdateRecord[] = [];
  #unchecked = 0;

  constructor(private readonly options: GraphFromStoreOptions) {}

  add(c: StoredChannel): void {
    const a = c.announcement;
    if (a === undefined) return;
    if (a.capacitySat === undefined) {
      this.#unchecked++;
      if (this.options.includeUnchecked !== true) return;
    }
    this.#announcements.push({ shortChannelId: c.shortChannelId, nodeId1: a.nodeId1, nodeId2: a.nodeId2, ...(a.capacitySat === undefined ? {} : { capacitySat: a.capacitySat }) });
    for (const [direction, u] of c.updates.entries()) {
      if (u === undefined || u.timestamp < (this.options.updatedSinceSec ?? 0)) continue;
      const decoded = decodeGossipMessage(u.message);
      if (decoded.kind !== 'message' || decoded.message.type !== 258) continue;
      const m = decoded.message;
      this.#updates.push({
        shortChannelId: c.shortChannelId,
        direction: direction === 0 ? 0 : 1,
        timestamp: m.timestamp,
        enabled: (m.channelFlags & 2) === 0,
        cltvExpiryDelta: m.cltvExpiryDelta,
        htlcMinimumMsat: m.htlcMinimumMsat,
        htlcMaximumMsat: m.htlcMaximumMsat,
        feeBaseMsat: BigInt(m.feeBaseMsat),
        feeProportionalMillionths: m.feeProportionalMillionths,
      });
    }
  }

  build(): GraphBuildReport & { readonly unchecked: number } {
    return { ...buildNetworkGraph(this.#announcements, this.#updates), unchecked: this.#unchecked };
  }
}

/** What one snapshot run did. */
export interface SnapshotRun {
  /** False when another builder's snapshot won the race (ours was deleted). */
  readonly written: boolean;
  readonly id: string;
  readonly bytes: number;
  readonly channels: number;
  readonly nodes: number;
}

/**
 * Builds and stores a snapshot now. `id` must sort after the current one's
 * (the caller's clock: milliseconds, zero-padded); `changes` is what the
 * counter held when the run was decided, taken off it once stored.
 * `channels`, when given, are the channels just read (the pruner's pass):
 * the store is not read again.
 */
export async function refreshGraphSnapshot(
  store: GraphStore,
  id: string,
  changes = 0,
  options: GraphFromStoreOptions = {},
  channels?: readonly StoredChannel[],
): Promise<SnapshotRun> {
  const previous = await store.snapshotPointer();
  // Ids only grow: a clock that did not move (or went back) still names a new snapshot.
  if (previous !== undefined && !(id > previous.id) && /^[0-9]+$/.test(previous.id)) id = (BigInt(previous.id) + 1n).toString().padStart(previous.id.length, '0');
  const { graph } = channels === undefined ? await graphFromStore(store, options) : graphOfChannels(channels, options);
  const bytes = encodeGraphSnapshot(graph);
  const written = await store.writeSnapshot(id, bytes, previous, changes);
  return { written, id, bytes: bytes.length, channels: graph.channelCount, nodes: graph.nodeCount };
}

/** A snapshot id from a clock: sortable milliseconds. */
export function snapshotId(nowMs: number): string {
  return Math.floor(nowMs).toString().padStart(15, '0');
}
