/**
 * Generated channel graphs for the router's tests and bench: scale-free-ish
 * (preferential attachment: a new channel picks an end in proportion to the
 * channels it already has, as the public network's hubs grow), with
 * realistic policies. Deterministic from a seed.
 */
import type { ChannelAnnouncementRecord, ChannelUpdateRecord } from '../../shared/routing/index.js';
import { compareBytes } from '../../shared/codec/index.js';
import { rng } from './seeded-random.js';

export interface GeneratedGraph {
  readonly nodeIds: readonly Uint8Array[];
  readonly announcements: readonly ChannelAnnouncementRecord[];
  readonly updates: readonly ChannelUpdateRecord[];
}

/** A node id for tests: 0x02, the index, then seeded bytes (not a curve point: the router never checks). */
export function fakeNodeId(index: number, next: () => number): Uint8Array {
  const id = new Uint8Array(33);
  id[0] = 0x02;
  new DataView(id.buffer).setUint32(1, index);
  for (let i = 5; i < 33; i++) id[i] = next() & 0xff;
  return id;
}

/** `nodes` nodes and about `channels` channels (fewer when a pair repeats), `disabledShare` of directions disabled. */
export function generateGraph(nodes: number, channels: number, seed = 1, disabledShare = 0.02): GeneratedGraph {
  const next = rng(seed);
  const unit = (): number => next() / 0x100000000;
  const nodeIds = Array.from({ length: nodes }, (_, i) => fakeNodeId(i, next));
  const ends: number[] = [];
  const pairs = new Set<number>();
  const announcements: ChannelAnnouncementRecord[] = [];
  const updates: ChannelUpdateRecord[] = [];
  const connect = (a: number, b: number): void => {
    if (a === b) return;
    const key = Math.min(a, b) * nodes + Math.max(a, b);
    if (pairs.has(key)) return;
    pairs.add(key);
    ends.push(a, b);
    const [n1, n2] = compareBytes(nodeIds[a]!, nodeIds[b]!) < 0 ? [a, b] : [b, a];
    // Block height, tx index, output: unique and increasing.
    const scid = (BigInt(500_000 + announcements.length) << 40n) | (BigInt(announcements.length % 4000) << 16n) | BigInt(announcements.length % 3);
    const capacitySat = BigInt(Math.floor(Math.exp(Math.log(100_000) + unit() * Math.log(200)))); // 100k to 20M sat, log-uniform
    announcements.push({ shortChannelId: scid, nodeId1: nodeIds[n1]!, nodeId2: nodeIds[n2]!, capacitySat });
    for (const direction of [0, 1] as const) {
      updates.push({
        shortChannelId: scid,
        direction,
        timestamp: 1_700_000_000,
        enabled: unit() >= disabledShare,
        cltvExpiryDelta: [40, 72, 80, 144][next() % 4]!,
        htlcMinimumMsat: 1000n,
        htlcMaximumMsat: (capacitySat * 1000n * 99n) / 100n,
        feeBaseMsat: BigInt([0, 0, 1000, 1000, 500, 2000][next() % 6]!),
        feeProportionalMillionths: [1, 10, 100, 200, 500, 1000, 2500][next() % 7]!,
      });
    }
  };
  const seedNodes = Math.min(nodes, 5);
  for (let a = 0; a < seedNodes; a++) for (let b = a + 1; b < seedNodes; b++) connect(a, b);
  const perNode = Math.max(1, Math.floor(channels / nodes));
  const pick = (): number => ends[next() % ends.length]!;
  for (let i = seedNodes; i < nodes; i++) for (let k = 0; k < perNode; k++) connect(i, pick());
  for (let tries = 0; announcements.length < channels && tries < channels * 4; tries++) connect(next() % nodes, pick());
  return { nodeIds, announcements, updates };
}
