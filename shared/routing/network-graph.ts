/**
 * The public channel graph as the router reads it (LDK's `NetworkGraph`,
 * reduced to what pathfinding needs), kept in flat typed arrays so that
 * 50,000 channels cost a few megabytes and a cold Lambda can load them from
 * a snapshot with a handful of copies (graph-snapshot.ts).
 *
 * A channel joins two nodes (BOLT 7 `channel_announcement`: `node_id_1` sorts
 * before `node_id_2`); each direction carries its own forwarding policy (BOLT
 * 7 `channel_update`, bit 0 of `channel_flags`: direction 0 is the policy
 * `node_id_1` applies when forwarding to `node_id_2`). Channels are sorted by
 * short channel id, so a scid is found by binary search; nodes are numbered in
 * the order they first appear.
 *
 * Amounts inside the graph are whole msat held in `number`s (exact below
 * 2^53 msat, about 90,000 BTC: more than any channel); the API takes and
 * returns `bigint`s. Pure: no clock, no I/O.
 */
import { bytesToHex, compareBytes } from '../codec/index.js';

/** Size of a compressed public key (BOLT 7 `node_id`). */
export const NODE_ID_LENGTH = 33;

/** Largest msat amount the graph and the pathfinder hold exactly. */
export const MAX_GRAPH_MSAT = Number.MAX_SAFE_INTEGER;

/** A channel as announced (BOLT 7 `channel_announcement`, with its capacity from the funding output when known). */
export interface ChannelAnnouncementRecord {
  readonly shortChannelId: bigint;
  readonly nodeId1: Uint8Array;
  readonly nodeId2: Uint8Array;
  /** The funding output's value; absent when not looked up (the direction's `htlc_maximum_msat` stands in). */
  readonly capacitySat?: bigint;
}

/** One direction's policy (BOLT 7 `channel_update`). */
export interface ChannelUpdateRecord {
  readonly shortChannelId: bigint;
  /** Bit 0 of `channel_flags`: 0 when `node_id_1` sends the update (it forwards towards `node_id_2`). */
  readonly direction: 0 | 1;
  /** The update's `timestamp`: a newer one replaces an older one. */
  readonly timestamp: number;
  /** Bit 1 of `channel_flags` clear. */
  readonly enabled: boolean;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly htlcMaximumMsat: bigint;
  readonly feeBaseMsat: bigint;
  readonly feeProportionalMillionths: number;
}

/** One direction's policy as the graph holds it (`null` from {@link NetworkGraph.policy} when no update was seen). */
export interface DirectionalPolicy {
  readonly enabled: boolean;
  readonly timestamp: number;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly htlcMaximumMsat: bigint;
  readonly feeBaseMsat: bigint;
  readonly feeProportionalMillionths: number;
}

/** What {@link NetworkGraph.applyChannelUpdate} did with an update. */
export type ChannelUpdateOutcome = 'applied' | 'stale' | 'unknown-channel' | 'invalid';

/** `flags` bits of one direction. */
export const POLICY_KNOWN = 1;
export const POLICY_DISABLED = 2;

/** The columns of a graph: what a snapshot stores (everything else is derived at load). */
export interface GraphColumns {
  /** `nodeCount` × 33 bytes. */
  readonly nodeIds: Uint8Array;
  /** Sorted ascending, no duplicates. */
  readonly scids: BigUint64Array;
  readonly node1: Uint32Array;
  readonly node2: Uint32Array;
  /** Per channel; 0 when unknown. */
  readonly capacityMsat: Float64Array;
  /** Per direction (index `2 × channel + direction`) from here on. */
  readonly flags: Uint8Array;
  readonly timestamp: Uint32Array;
  readonly cltvExpiryDelta: Uint16Array;
  readonly feeBaseMsat: Uint32Array;
  readonly feeProportionalMillionths: Uint32Array;
  readonly htlcMinimumMsat: Float64Array;
  readonly htlcMaximumMsat: Float64Array;
}

/** FNV-1a over the 33 bytes of a node id at `offset`. */
function hashNodeId(bytes: Uint8Array, offset: number): number {
  let h = 0x811c9dc5;
  for (let i = offset; i < offset + NODE_ID_LENGTH; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

const toGraphMsat = (v: bigint): number => (v > BigInt(MAX_GRAPH_MSAT) ? MAX_GRAPH_MSAT : v < 0n ? 0 : Number(v));

/** The channel graph: immutable topology, policies updated in place. */
export class NetworkGraph {
  readonly nodeCount: number;
  readonly channelCount: number;
  readonly columns: GraphColumns;
  /** Channels touching node `n`: `adjacentChannels[adjacencyOffsets[n] .. adjacencyOffsets[n + 1]]`. */
  readonly adjacencyOffsets: Uint32Array;
  readonly adjacentChannels: Uint32Array;
  #nodeTable: Int32Array | undefined;

  /** Wraps columns (checked by the builder or the snapshot decoder) and derives the adjacency lists. */
  constructor(columns: GraphColumns) {
    this.columns = columns;
    this.nodeCount = columns.nodeIds.length / NODE_ID_LENGTH;
    this.channelCount = columns.scids.length;
    const offsets = new Uint32Array(this.nodeCount + 1);
    const { node1, node2 } = columns;
    for (let c = 0; c < this.channelCount; c++) {
      offsets[node1[c]! + 1]!++;
      offsets[node2[c]! + 1]!++;
    }
    for (let n = 0; n < this.nodeCount; n++) offsets[n + 1]! += offsets[n]!;
    const fill = offsets.slice(0, this.nodeCount);
    const adjacent = new Uint32Array(2 * this.channelCount);
    for (let c = 0; c < this.channelCount; c++) {
      adjacent[fill[node1[c]!]!++] = c;
      adjacent[fill[node2[c]!]!++] = c;
    }
    this.adjacencyOffsets = offsets;
    this.adjacentChannels = adjacent;
  }

  /** The index of a node, or -1 when the graph does not know it. The lookup table is built on first use. */
  nodeIndex(nodeId: Uint8Array): number {
    if (nodeId.length !== NODE_ID_LENGTH) return -1;
    const table = (this.#nodeTable ??= this.#buildNodeTable());
    const mask = table.length - 1;
    const ids = this.columns.nodeIds;
    for (let slot = hashNodeId(nodeId, 0) & mask; ; slot = (slot + 1) & mask) {
      const n = table[slot]! - 1;
      if (n < 0) return -1;
      let same = true;
      for (let i = 0, o = n * NODE_ID_LENGTH; i < NODE_ID_LENGTH; i++) {
        if (ids[o + i] !== nodeId[i]) {
          same = false;
          break;
        }
      }
      if (same) return n;
    }
  }

  /** An open-addressing table of node index + 1 by hash of the id (0: empty), at most half full. */
  #buildNodeTable(): Int32Array {
    let size = 16;
    while (size < 2 * this.nodeCount) size *= 2;
    const table = new Int32Array(size);
    const ids = this.columns.nodeIds;
    for (let n = 0; n < this.nodeCount; n++) {
      let slot = hashNodeId(ids, n * NODE_ID_LENGTH) & (size - 1);
      while (table[slot] !== 0) slot = (slot + 1) & (size - 1);
      table[slot] = n + 1;
    }
    return table;
  }

  /** The id of node `n` (a view into the graph: do not modify). */
  nodeId(n: number): Uint8Array {
    return this.columns.nodeIds.subarray(n * NODE_ID_LENGTH, (n + 1) * NODE_ID_LENGTH);
  }

  /** The index of a channel by short channel id (binary search), or -1. */
  channelIndex(shortChannelId: bigint): number {
    const scids = this.columns.scids;
    let lo = 0;
    let hi = scids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = scids[mid]!;
      if (v === shortChannelId) return mid;
      if (v < shortChannelId) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The policy of one direction of a channel, or null (unknown channel, or no update seen for that direction). */
  policy(shortChannelId: bigint, direction: 0 | 1): DirectionalPolicy | null {
    const c = this.channelIndex(shortChannelId);
    if (c < 0) return null;
    const d = 2 * c + direction;
    const k = this.columns;
    if ((k.flags[d]! & POLICY_KNOWN) === 0) return null;
    return {
      enabled: (k.flags[d]! & POLICY_DISABLED) === 0,
      timestamp: k.timestamp[d]!,
      cltvExpiryDelta: k.cltvExpiryDelta[d]!,
      htlcMinimumMsat: BigInt(k.htlcMinimumMsat[d]!),
      htlcMaximumMsat: BigInt(k.htlcMaximumMsat[d]!),
      feeBaseMsat: BigInt(k.feeBaseMsat[d]!),
      feeProportionalMillionths: k.feeProportionalMillionths[d]!,
    };
  }

  /** The capacity of a channel in msat used for routing: the funding value, else the larger `htlc_maximum_msat`. */
  effectiveCapacityMsat(channel: number): number {
    const cap = this.columns.capacityMsat[channel]!;
    if (cap > 0) return cap;
    const max = this.columns.htlcMaximumMsat;
    return Math.max(max[2 * channel]!, max[2 * channel + 1]!);
  }

  /** The routing capacity of a channel by scid, Infinity when the graph does not know it (a private channel): what the scorer's updates take. */
  capacityOf(shortChannelId: bigint): number {
    const c = this.channelIndex(shortChannelId);
    return c < 0 ? Infinity : this.effectiveCapacityMsat(c);
  }

  /**
   * Applies a `channel_update` to a known channel, in place: newer
   * timestamps only (BOLT 7: an update not newer than the last is ignored).
   */
  applyChannelUpdate(update: ChannelUpdateRecord): ChannelUpdateOutcome {
    if (!validUpdate(update)) return 'invalid';
    const c = this.channelIndex(update.shortChannelId);
    if (c < 0) return 'unknown-channel';
    const d = 2 * c + update.direction;
    const k = this.columns;
    if ((k.flags[d]! & POLICY_KNOWN) !== 0 && k.timestamp[d]! >= update.timestamp) return 'stale';
    writePolicy(k, d, update);
    return 'applied';
  }
}

function validUpdate(u: ChannelUpdateRecord): boolean {
  return (
    (u.direction === 0 || u.direction === 1) &&
    Number.isInteger(u.timestamp) && u.timestamp >= 0 && u.timestamp <= 0xffffffff &&
    Number.isInteger(u.cltvExpiryDelta) && u.cltvExpiryDelta >= 0 && u.cltvExpiryDelta <= 0xffff &&
    Number.isInteger(u.feeProportionalMillionths) && u.feeProportionalMillionths >= 0 && u.feeProportionalMillionths <= 0xffffffff &&
    u.feeBaseMsat >= 0n && u.feeBaseMsat <= 0xffffffffn &&
    u.htlcMinimumMsat >= 0n && u.htlcMaximumMsat >= 0n
  );
}

function writePolicy(k: GraphColumns, d: number, u: ChannelUpdateRecord): void {
  k.flags[d] = POLICY_KNOWN | (u.enabled ? 0 : POLICY_DISABLED);
  k.timestamp[d] = u.timestamp;
  k.cltvExpiryDelta[d] = u.cltvExpiryDelta;
  k.feeBaseMsat[d] = Number(u.feeBaseMsat);
  k.feeProportionalMillionths[d] = u.feeProportionalMillionths;
  k.htlcMinimumMsat[d] = toGraphMsat(u.htlcMinimumMsat);
  k.htlcMaximumMsat[d] = toGraphMsat(u.htlcMaximumMsat);
}

/** What {@link buildNetworkGraph} left out, by reason. */
export interface GraphBuildReport {
  readonly graph: NetworkGraph;
  /** Announcements with a malformed node id, `node_id_1` not sorting before `node_id_2` (BOLT 7), or a scid already announced. */
  readonly skippedAnnouncements: number;
  /** Updates for no announced channel, or with out-of-range fields. Stale updates are not counted. */
  readonly skippedUpdates: number;
}

/**
 * Builds the graph from gossip-like records (LDK's `NetworkGraph` fed
 * `channel_announcement`s then `channel_update`s): the first announcement of
 * a scid counts, the newest update of each direction wins. Never throws on
 * bad records: they are counted as skipped.
 */
export function buildNetworkGraph(announcements: readonly ChannelAnnouncementRecord[], updates: readonly ChannelUpdateRecord[]): GraphBuildReport {
  let skippedAnnouncements = 0;
  const nodeIndex = new Map<string, number>();
  const nodeIds: Uint8Array[] = [];
  const indexOf = (id: Uint8Array): number => {
    const key = bytesToHex(id);
    let n = nodeIndex.get(key);
    if (n === undefined) {
      n = nodeIds.length;
      nodeIndex.set(key, n);
      nodeIds.push(id);
    }
    return n;
  };
  const kept: ChannelAnnouncementRecord[] = [];
  const seen = new Set<bigint>();
  for (const a of announcements) {
    const ok =
      a.nodeId1.length === NODE_ID_LENGTH &&
      a.nodeId2.length === NODE_ID_LENGTH &&
      compareBytes(a.nodeId1, a.nodeId2) < 0 &&
      a.shortChannelId >= 0n &&
      a.shortChannelId <= 0xffffffffffffffffn &&
      !seen.has(a.shortChannelId);
    if (!ok) {
      skippedAnnouncements++;
      continue;
    }
    seen.add(a.shortChannelId);
    kept.push(a);
  }
  kept.sort((x, y) => (x.shortChannelId < y.shortChannelId ? -1 : x.shortChannelId > y.shortChannelId ? 1 : 0));
  const c = kept.length;
  const node1 = new Uint32Array(c);
  const node2 = new Uint32Array(c);
  const scids = new BigUint64Array(c);
  const capacityMsat = new Float64Array(c);
  kept.forEach((a, i) => {
    scids[i] = a.shortChannelId;
    node1[i] = indexOf(a.nodeId1);
    node2[i] = indexOf(a.nodeId2);
    capacityMsat[i] = a.capacitySat === undefined ? 0 : toGraphMsat(a.capacitySat * 1000n);
  });
  const ids = new Uint8Array(nodeIds.length * NODE_ID_LENGTH);
  nodeIds.forEach((id, n) => ids.set(id, n * NODE_ID_LENGTH));
  const graph = new NetworkGraph({
    nodeIds: ids,
    scids,
    node1,
    node2,
    capacityMsat,
    flags: new Uint8Array(2 * c),
    timestamp: new Uint32Array(2 * c),
    cltvExpiryDelta: new Uint16Array(2 * c),
    feeBaseMsat: new Uint32Array(2 * c),
    feeProportionalMillionths: new Uint32Array(2 * c),
    htlcMinimumMsat: new Float64Array(2 * c),
    htlcMaximumMsat: new Float64Array(2 * c),
  });
  let skippedUpdates = 0;
  for (const u of updates) {
    const outcome = graph.applyChannelUpdate(u);
    if (outcome === 'invalid' || outcome === 'unknown-channel') skippedUpdates++;
  }
  return { graph, skippedAnnouncements, skippedUpdates };
}
