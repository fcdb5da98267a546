/**
 * The graph kept fresh by the timer (issue 18; functions/gossip/graph-upkeep.ts)
 * against DynamoDB Local, through the timer handler: gossip stored by the
 * gossip function below its 500-change threshold reaches the payment
 * paths' snapshot cache one tick later; no change, no rebuild; a young
 * snapshot waits for its age bound. Pruning as LDK does: a channel with only
 * stale updates disappears, a fresh one stays (its stale direction left out
 * of the snapshot), a channel whose funding output is spent is removed, a
 * node left without a channel goes with it; the pass is bounded and goes on
 * at the next tick; an update that arrives meanwhile keeps its channel.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SQSRecord } from 'aws-lambda';
import { wasmSecp256k1 as secp, toHex } from '../../shared/crypto/index.js';
import { encodeGossipMessage, ourChannelUpdate } from '../../shared/gossip/index.js';
import { encodeInbound } from '../../shared/pipeline/envelopes.js';
import { ProbabilisticScorer } from '../../shared/routing/index.js';
import { GraphStore } from '../../shared/store/graph-items.js';
import { GraphSnapshotCache } from '../../shared/store/graph-snapshot-cache.js';
import { createGossipHandler } from '../../functions/gossip/handler.js';
import { PRUNE_EVERY_MS, SNAPSHOT_MAX_AGE_MS, STALE_CHANNEL_SEC, upkeepGraph } from '../../functions/gossip/graph-upkeep.js';
import { createTimerHandler, type TimerResult } from '../../functions/timer/handler.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { GOSSIP_CHAIN, gossipNetwork, type GossipNetwork } from '../support/gossip-network.js';
import { testNode } from '../support/wallet-node.js';
import { useLocalServices } from '../support/local-services.js';

const local = useLocalServices();

const NOW = 1_750_000_000;
const MINUTE = 60_000;

/** A node whose routing reads a graph of its own (partitions under a random chain hash), a gossip handler writing it, and a timer with a clock we move. */
async function setup(net: GossipNetwork, options: { readonly spent?: ReadonlySet<bigint> } = {}) {
  // The chain's answers: a set the test may change between ticks.
  const { ctx: base, tableName } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
  const store = new GraphStore({ client: local.dynamo, tableName, chainHash: Uint8Array.from([...GOSSIP_CHAIN.subarray(0, 24), ...crypto.getRandomValues(new Uint8Array(8))]) });
  let clockMs = NOW * 1000;
  const cache = new GraphSnapshotCache(store, { refreshMs: 0, nowMs: () => clockMs });
  const ctx: NodeContext = { ...base, routing: { graphs: cache, store, scorer: new ProbabilisticScorer() } };
  const checked: bigint[] = [];
  const timer = createTimerHandler(ctx, {
    nowMs: () => clockMs,
    fundingSpent: async (scid) => {
      checked.push(scid);
      return options.spent?.has(scid) ?? false;
    },
  });
  let gossipNowSec = NOW;
  const gossip = createGossipHandler({
    graph: store,
    secp,
    chainHash: GOSSIP_CHAIN,
    outbound: { sendBatch: async () => undefined },
    nowSec: () => gossipNowSec,
    fundingOutput: async (scid) => net.fundingOutputs.get(scid),
  });
  const peer = toHex(net.nodes[0]!.getNodeId());
  let seq = 0;
  const recordOf = (message: Uint8Array): SQSRecord => ({
    messageId: randomUUID(),
    receiptHandle: 'rh',
    body: encodeInbound({ kind: 'message', peer, connectionId: 'c1', seq, message }),
    attributes: { MessageGroupId: `n:${peer}`, MessageDeduplicationId: `c1:${seq++}`, ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'gw', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:stormcell-gossip.fifo',
    awsRegion: 'us-east-1',
  });
  const feed = async (messages: readonly Uint8Array[], atSec = NOW) => {
    gossipNowSec = atSec;
    const result = await gossip({ Records: messages.map(recordOf) });
    expect(result.batchItemFailures).toEqual([]);
    return result;
  };
  const tick = async (atMs: number): Promise<TimerResult> => {
    clockMs = atMs;
    return timer({ id: randomUUID() }, {} as never);
  };
  return { store, cache, feed, tick, checked };
}

/** Node `a`'s update of the channel with `b`, at `timestamp`. */
function updateFrom(net: GossipNetwork, channel: number, a: number, b: number, timestamp: number): Uint8Array {
  return encodeGossipMessage(
    ourChannelUpdate(net.nodes[a]!, {
      chainHash: GOSSIP_CHAIN,
      shortChannelId: net.channels[channel]!.shortChannelId,
      timestamp,
      theirNodeId: net.nodes[b]!.getNodeId(),
      cltvExpiryDelta: 40,
      htlcMinimumMsat: 1_000n,
      htlcMaximumMsat: 900_000_000n,
      feeBaseMsat: 2_000,
      feeProportionalMillionths: 50,
      disabled: false,
      dontForward: false,
    }),
  );
}

describe('the timer rebuilds the snapshot', () => {
  it('a few stored gossip messages reach the cache one tick later; no change, no rebuild; a young snapshot waits for its age bound', async () => {
    const net = gossipNetwork(secp, { nodes: 6, channels: 5, timestamp: NOW - 100 });
    const { store, cache, feed, tick } = await setup(net);
    const t0 = NOW * 1000;

    // Nothing stored: the tick prunes an empty graph and builds nothing.
    const empty = await tick(t0);
    expect(empty.graph).toEqual({ changes: 0, pruned: { channels: 0, closed: 0, nodes: 0, more: false } });
    expect(await store.snapshotPointer()).toBeUndefined();

    // Three channels: 9 changes, far below the gossip function's 500: it builds no snapshot.
    const stored = await feed(net.channels.slice(0, 3).flatMap((c) => c.messages));
    expect(stored.outcomes.filter((o) => o.kind === 'stored')).toHaveLength(9);
    expect(stored.snapshot).toBeUndefined();
    expect((await cache.graph()).channelCount).toBe(0);

    const first = await tick(t0 + MINUTE);
    expect(first.graph).toMatchObject({ changes: 9, snapshot: { written: true, channels: 3, nodes: 4 } });
    expect(first.graph?.pruned).toBeUndefined();
    const loaded = await cache.graph();
    expect(cache.lastLoad).toMatchObject({ source: 'snapshot', id: first.graph!.snapshot!.id });
    expect(loaded.channelCount).toBe(3);
    expect(await store.changes()).toBe(0);

    // No change since: no rebuild, the same snapshot.
    const quiet = await tick(t0 + 20 * MINUTE);
    expect(quiet.graph).toEqual({ changes: 0, snapshotAgeMs: 19 * MINUTE });
    expect((await store.snapshotPointer())?.id).toBe(first.graph!.snapshot!.id);

    // Two more channels: the snapshot is younger than the bound, so it waits; past the bound it is rebuilt.
    await feed(net.channels.slice(3).flatMap((c) => c.messages));
    const young = await tick(t0 + MINUTE + SNAPSHOT_MAX_AGE_MS - 1);
    expect(young.graph).toEqual({ changes: 6, snapshotAgeMs: SNAPSHOT_MAX_AGE_MS - 1 });
    const due = await tick(t0 + 21 * MINUTE);
    expect(due.graph).toMatchObject({ changes: 6, snapshot: { written: true, channels: 5, nodes: 6 } });
    expect((await cache.graph()).channelCount).toBe(5);
    expect(await store.changes()).toBe(0);
  });

  it('a node without routing has no graph job', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const result = await createTimerHandler(ctx, { fundingSpent: async () => false })({ id: 'e1' }, {} as never);
    expect(result.graph).toBeUndefined();
  });
});

describe('pruning', () => {
  // Channels 0:(0,1) 1:(1,2) 2:(2,3) 3:(3,4).
  const net = gossipNetwork(secp, { nodes: 5, channels: 4, timestamp: NOW - 100 });
  const LATER = NOW + STALE_CHANNEL_SEC + 86_400;

  it('a channel with only stale updates disappears, a fresh one stays, a spent one goes, and a node left with no channel is dropped', async () => {
    const closed = net.channels[3]!.shortChannelId;
    const spent = new Set<bigint>();
    const { store, cache, feed, tick, checked } = await setup(net, { spent });
    await feed([...net.channels.flatMap((c) => c.messages), ...net.nodeAnnouncements]);
    const built = await tick(NOW * 1000);
    expect(built.graph).toMatchObject({ pruned: { channels: 0, nodes: 0 }, snapshot: { channels: 4, nodes: 5 } });
    expect(checked).toHaveLength(4);

    // Two weeks and a day later, channel 0 gets a fresh update from node 0 (one direction only), channel 3 too; 1 and 2 none.
    await feed([updateFrom(net, 0, 0, 1, LATER - 60), updateFrom(net, 3, 3, 4, LATER - 60)], LATER);
    // Within the hour of the last pass: no pruning, only the snapshot with the two new updates.
    const early = await tick(NOW * 1000 + PRUNE_EVERY_MS - 1);
    expect(early.graph?.pruned).toBeUndefined();
    expect(early.graph).toMatchObject({ changes: 2, snapshot: { channels: 4 } });
    // Channel 3's funding output is spent meanwhile (the channel closed).
    spent.add(closed);

    checked.length = 0;
    const pass = await tick(LATER * 1000);
    expect(pass.graph).toMatchObject({ pruned: { channels: 3, closed: 1, nodes: 3, more: false }, snapshot: { written: true, channels: 1, nodes: 2 } });
    // The spend check ran over the channels not already stale.
    expect(checked.sort()).toEqual([net.channels[0]!.shortChannelId, closed].sort());
    const remaining: bigint[] = [];
    for await (const c of store.channels()) remaining.push(c.shortChannelId);
    expect(remaining).toEqual([net.channels[0]!.shortChannelId]);
    const nodes: string[] = [];
    for await (const n of store.nodes()) nodes.push(toHex(n.nodeId));
    expect(nodes.sort()).toEqual([toHex(net.nodes[0]!.getNodeId()), toHex(net.nodes[1]!.getNodeId())].sort());

    // The cache's graph: channel 0 alone, with node 0's fresh direction only (node 1's update is two weeks old).
    const graph = await cache.graph();
    expect(graph.channelCount).toBe(1);
    expect(graph.nodeCount).toBe(2);
    const scid0 = net.channels[0]!.shortChannelId;
    expect(graph.channelIndex(scid0)).toBeGreaterThanOrEqual(0);
    const policies = [graph.policy(scid0, 0), graph.policy(scid0, 1)].filter((p) => p !== null);
    expect(policies.map((p) => [p.feeBaseMsat, p.timestamp])).toEqual([[2_000n, LATER - 60]]);

    // The next pass finds nothing to remove and writes no snapshot.
    const after = await tick(LATER * 1000 + PRUNE_EVERY_MS);
    expect(after.graph).toMatchObject({ changes: 0, pruned: { channels: 0, nodes: 0 } });
    expect(after.graph?.snapshot).toBeUndefined();
  });

  it('a pass removes at most its bound and the next goes on; an update that arrived after the read keeps its channel', async () => {
    const { store, feed } = await setup(net);
    await feed(net.channels.flatMap((c) => c.messages));
    const later = LATER * 1000;
    const first = await upkeepGraph(store, { nowMs: later, pruneChannelsPerRun: 3 });
    expect(first.pruned).toEqual({ channels: 3, closed: 0, nodes: 3, more: true });
    expect(await store.prunedAt()).toBeUndefined();
    const second = await upkeepGraph(store, { nowMs: later + MINUTE, pruneChannelsPerRun: 3 });
    expect(second.pruned).toEqual({ channels: 1, closed: 0, nodes: 2, more: false });
    expect(second.snapshot).toMatchObject({ channels: 0, nodes: 0 });
    expect(await store.prunedAt()).toBe(later + MINUTE);

    // The store's condition: a channel whose update is newer than the bound is not removed.
    await feed(net.channels[0]!.messages.slice(0, 1));
    await feed([updateFrom(net, 0, 0, 1, LATER - 60)], LATER);
    expect(await store.removeChannel(net.channels[0]!.shortChannelId, LATER - 3600)).toBe(false);
    expect((await store.channel(net.channels[0]!.shortChannelId)).announcement).toBeDefined();
    expect(await store.removeChannel(net.channels[0]!.shortChannelId, LATER)).toBe(true);
    expect((await store.channel(net.channels[0]!.shortChannelId)).announcement).toBeUndefined();
  });

  it('a chain source that fails does not stop the pass: stale channels still go, the checked one stays', async () => {
    const { store, feed } = await setup(net);
    await feed(net.channels.flatMap((c) => c.messages));
    await feed([updateFrom(net, 0, 0, 1, LATER - 60)], LATER);
    const asked: bigint[] = [];
    const run = await upkeepGraph(store, {
      nowMs: LATER * 1000,
      fundingSpent: async (s) => {
        asked.push(s);
        throw new Error('esplora down');
      },
    });
    expect(asked).toEqual([net.channels[0]!.shortChannelId]);
    expect(run.pruned).toEqual({ channels: 3, closed: 0, nodes: 3, more: false });
    expect(run.snapshot).toMatchObject({ channels: 1, nodes: 2 });
  });
});
