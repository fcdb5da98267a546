/**
 * Keeping the graph fresh, from the timer (issue 18), never under the node's
 * lease: the graph's own partitions only (shared/store/graph-items.ts).
 *
 * - **Snapshot.** The gossip function builds a snapshot after
 *   `SNAPSHOT_EVERY_CHANGES` (500) stored changes; fewer would never reach
 *   the payment paths. The timer builds one when anything changed since the
 *   last (`CHANGES` > 0) and that one is at least {@link SNAPSHOT_MAX_AGE_MS}
 *   old: a new channel is routable within about ten minutes, and a quiet
 *   graph costs three GetItems a tick.
 * - **Pruning** (LDK's `remove_stale_channels_and_tracking`), once every
 *   {@link PRUNE_EVERY_MS} (LDK's background processor prunes hourly): a
 *   channel whose newest update in both directions is older than
 *   {@link STALE_CHANNEL_SEC} (two weeks), and whose announcement came
 *   before that too, is removed; so is one whose funding output the chain
 *   says is spent (a closed channel), checked for at most
 *   {@link SPENT_CHECKS_PER_RUN} channels a pass, the next ones the pass
 *   after. A node left with no channel is removed with it. At most
 *   {@link PRUNE_CHANNELS_PER_RUN} channels are removed a pass; with more to
 *   remove, the next tick goes on. A pass that removed anything rebuilds the
 *   snapshot from the channels it read (no second read of the graph), and an
 *   update older than two weeks is left out of every snapshot (the router
 *   does not use a direction its owner stopped refreshing).
 */
import type { GraphStore, StoredChannel } from '../../shared/store/graph-items.js';
import { bytesToHex } from '../../shared/codec/index.js';
import { refreshGraphSnapshot, snapshotId, type GraphFromStoreOptions, type SnapshotRun } from './graph-snapshot-job.js';

/** A snapshot younger than this is not rebuilt by the timer (the gossip function's `SNAPSHOT_EVERY_CHANGES` still applies). */
export const SNAPSHOT_MAX_AGE_MS = 10 * 60_000;

/** How often the graph is pruned (LDK: hourly). */
export const PRUNE_EVERY_MS = 60 * 60_000;

/** A channel with no update newer than this is stale (LDK's `STALE_CHANNEL_UPDATE_AGE_LIMIT_SECS`, two weeks). */
export const STALE_CHANNEL_SEC = 14 * 86_400;

/** Channels removed in one pass at most (about three deletes each): the rest wait for the next tick. */
export const PRUNE_CHANNELS_PER_RUN = 500;

/** Funding outputs checked for a spend in one pass at most (a chain look-up each). */
export const SPENT_CHECKS_PER_RUN = 100;

export interface GraphUpkeepOptions {
  /** The timer's clock (ms). */
  readonly nowMs: number;
  readonly snapshotMaxAgeMs?: number;
  readonly pruneEveryMs?: number;
  readonly staleAfterSec?: number;
  readonly pruneChannelsPerRun?: number;
  /**
   * Whether a channel's funding output is spent now (a fresh chain read, not
   * a cached one); undefined when the chain cannot say. Absent: closed
   * channels leave the graph by age only.
   */
  readonly fundingSpent?: (shortChannelId: bigint) => Promise<boolean | undefined>;
  readonly spentChecksPerRun?: number;
  readonly snapshot?: GraphFromStoreOptions;
}

/** What one pass of the pruner did. */
export interface PruneRun {
  /** Channels removed: stale, or closed on chain. */
  readonly channels: number;
  readonly closed: number;
  /** Nodes removed, left without a channel. */
  readonly nodes: number;
  /** True when the per-pass bound stopped it: the next tick goes on. */
  readonly more: boolean;
}

/** What the timer's graph job did: nothing (`idle`), or a pruning pass and/or a snapshot. */
export interface GraphUpkeepRun {
  /** `CHANGES` when the job started. */
  readonly changes: number;
  /** The current snapshot's age when the job started (absent before the first). */
  readonly snapshotAgeMs?: number;
  readonly pruned?: PruneRun;
  readonly snapshot?: SnapshotRun;
}

/** One timer run of the graph's upkeep: see the module comment. Store errors propagate (the next tick tries again). */
export async function upkeepGraph(store: GraphStore, options: GraphUpkeepOptions): Promise<GraphUpkeepRun> {
  const { nowMs } = options;
  const [pointer, changes, prunedAt] = await Promise.all([store.snapshotPointer(), store.changes(), store.prunedAt()]);
  // Snapshot ids are the builder's clock in ms (snapshotId); one that is not reads as infinitely old.
  const builtAt = pointer === undefined ? undefined : Number(pointer.id);
  const snapshotAgeMs = builtAt === undefined ? undefined : Number.isFinite(builtAt) ? nowMs - builtAt : Number.POSITIVE_INFINITY;
  const rebuildDue = changes > 0 && (snapshotAgeMs === undefined || snapshotAgeMs >= (options.snapshotMaxAgeMs ?? SNAPSHOT_MAX_AGE_MS));
  const pruneDue = prunedAt === undefined || nowMs - prunedAt >= (options.pruneEveryMs ?? PRUNE_EVERY_MS);
  const age = snapshotAgeMs === undefined ? {} : { snapshotAgeMs };
  if (!rebuildDue && !pruneDue) return { changes, ...age };

  const staleBeforeSec = Math.floor(nowMs / 1000) - (options.staleAfterSec ?? STALE_CHANNEL_SEC);
  const snapshotOptions: GraphFromStoreOptions = { updatedSinceSec: staleBeforeSec, ...options.snapshot };
  let pruned: PruneRun | undefined;
  let kept: StoredChannel[] | undefined;
  if (pruneDue) {
    const channels: StoredChannel[] = [];
    for await (const c of store.channels()) channels.push(c);
    ({ pruned, kept } = await prune(store, channels, staleBeforeSec, prunedAt, options));
    if (!pruned.more) await store.setPrunedAt(nowMs);
  }
  if (!rebuildDue && (pruned === undefined || pruned.channels === 0)) return { changes, ...age, ...(pruned === undefined ? {} : { pruned }) };
  const snapshot = await refreshGraphSnapshot(store, snapshotId(nowMs), changes, snapshotOptions, kept);
  return { changes, ...age, ...(pruned === undefined ? {} : { pruned }), snapshot };
}

/** Whether no update of the channel, nor its announcement, is newer than `beforeSec`. */
export function isStaleChannel(channel: StoredChannel, beforeSec: number): boolean {
  if (channel.updates.some((u) => u !== undefined && u.timestamp >= beforeSec)) return false;
  // An announcement stored before we kept its time counts as old: it has had a pruning pass to get an update.
  const received = channel.announcement?.receivedAtSec;
  return received === undefined || received < beforeSec;
}

async function prune(
  store: GraphStore,
  channels: readonly StoredChannel[],
  staleBeforeSec: number,
  lastPassMs: number | undefined,
  options: GraphUpkeepOptions,
): Promise<{ pruned: PruneRun; kept: StoredChannel[] }> {
  const limit = options.pruneChannelsPerRun ?? PRUNE_CHANNELS_PER_RUN;
  const doomed = new Map<bigint, 'stale' | 'closed'>();
  for (const c of channels) if (isStaleChannel(c, staleBeforeSec)) doomed.set(c.shortChannelId, 'stale');
  if (options.fundingSpent !== undefined) {
    for (const scid of spentCandidates(channels, doomed, lastPassMs, options.spentChecksPerRun ?? SPENT_CHECKS_PER_RUN)) {
      let spent: boolean | undefined;
      try {
        spent = await options.fundingSpent(scid);
      } catch {
        // The chain source is unavailable: the pass goes on without it (stale channels still go); the next pass checks again.
        break;
      }
      if (spent === true) doomed.set(scid, 'closed');
    }
  }
  let removedChannels = 0;
  let closed = 0;
  const removed = new Set<bigint>();
  const touched = new Map<string, Uint8Array>();
  const byId = new Map(channels.map((c) => [c.shortChannelId, c]));
  for (const [scid, why] of doomed) {
    if (removedChannels >= limit) break;
    const channel = byId.get(scid);
    // A closed channel goes whatever its updates say; a stale one only if no newer update came since the read.
    if (!(await store.removeChannel(scid, why === 'closed' ? Number.MAX_SAFE_INTEGER : staleBeforeSec))) continue;
    removed.add(scid);
    removedChannels++;
    if (why === 'closed') closed++;
    for (const id of [channel?.announcement?.nodeId1, channel?.announcement?.nodeId2]) if (id !== undefined) touched.set(bytesToHex(id), id);
  }
  const kept = channels.filter((c) => !removed.has(c.shortChannelId));
  const stillThere = new Set<string>();
  for (const c of kept) {
    if (c.announcement === undefined) continue;
    stillThere.add(bytesToHex(c.announcement.nodeId1));
    stillThere.add(bytesToHex(c.announcement.nodeId2));
  }
  let nodes = 0;
  for (const [hex, id] of touched) {
    if (stillThere.has(hex)) continue;
    await store.removeNode(id);
    nodes++;
  }
  const more = [...doomed.keys()].some((scid) => !removed.has(scid)) && removedChannels >= limit;
  return { pruned: { channels: removedChannels, closed, nodes, more }, kept };
}

/**
 * The channels whose funding output this pass checks: `count` of them, in
 * short channel id order, starting at a point that moves with the passes
 * (the last pass's time), so successive passes cover the whole graph.
 */
function spentCandidates(channels: readonly StoredChannel[], doomed: ReadonlyMap<bigint, unknown>, lastPassMs: number | undefined, count: number): bigint[] {
  const ids = channels.filter((c) => c.announcement !== undefined && !doomed.has(c.shortChannelId)).map((c) => c.shortChannelId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length <= count) return ids;
  const pass = lastPassMs === undefined ? 0 : Math.floor(lastPassMs / PRUNE_EVERY_MS);
  const start = (pass * count) % ids.length;
  return Array.from({ length: count }, (_, i) => ids[(start + i) % ids.length]!);
}
