/**
 * The compact graph and its snapshot: records in (bad ones counted, the
 * newest update winning), policies read back, the snapshot round trip
 * (same columns, same routes), and truncated, garbage and newer snapshots
 * refused with a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GRAPH_SNAPSHOT_VERSION,
  buildNetworkGraph,
  decodeGraphSnapshot,
  encodeGraphSnapshot,
  findRoute,
  type ChannelUpdateRecord,
  type NetworkGraph,
} from '../../shared/routing/index.js';
import { generateGraph } from '../support/routing-graph.js';
import { HEIGHT, US, node } from './graph-fixture.js';

const A = node('A');
const B = node('B');
const C = node('C');

function upd(scid: bigint, direction: 0 | 1, timestamp: number, extra: Partial<ChannelUpdateRecord> = {}): ChannelUpdateRecord {
  return {
    shortChannelId: scid,
    direction,
    timestamp,
    enabled: true,
    cltvExpiryDelta: 40,
    htlcMinimumMsat: 1n,
    htlcMaximumMsat: 1_000_000n,
    feeBaseMsat: 1000n,
    feeProportionalMillionths: 1,
    ...extra,
  };
}

describe('building the graph', () => {
  it('keeps valid announcements, counts the rest; the newest update of each direction wins', () => {
    const built = buildNetworkGraph(
      [
        { shortChannelId: 7n, nodeId1: A, nodeId2: B, capacitySat: 5_000n },
        { shortChannelId: 3n, nodeId1: B, nodeId2: C },
        { shortChannelId: 7n, nodeId1: A, nodeId2: C }, // scid again
        { shortChannelId: 9n, nodeId1: B, nodeId2: A }, // node_id_1 not first
        { shortChannelId: 11n, nodeId1: A.subarray(1), nodeId2: B }, // 32 bytes
      ],
      [
        upd(7n, 0, 10, { feeBaseMsat: 5n }),
        upd(7n, 0, 9, { feeBaseMsat: 6n }), // older: ignored, not counted
        upd(7n, 0, 11, { feeBaseMsat: 7n, enabled: false }),
        upd(3n, 1, 1, { htlcMaximumMsat: 2_000_000n }),
        upd(99n, 0, 1), // unknown channel
        upd(3n, 0, 1, { cltvExpiryDelta: 70_000 }), // out of range
        upd(3n, 0, 1, { feeBaseMsat: 1n << 32n }), // out of range
      ],
    );
    expect(built.skippedAnnouncements).toBe(3);
    expect(built.skippedUpdates).toBe(3);
    const g = built.graph;
    expect(g.channelCount).toBe(2);
    expect(g.nodeCount).toBe(3);
    expect(g.policy(7n, 0)).toEqual({ enabled: false, timestamp: 11, cltvExpiryDelta: 40, htlcMinimumMsat: 1n, htlcMaximumMsat: 1_000_000n, feeBaseMsat: 7n, feeProportionalMillionths: 1 });
    expect(g.policy(7n, 1)).toBeNull();
    expect(g.policy(8n, 0)).toBeNull();
    expect(g.capacityOf(7n)).toBe(5_000_000);
    // No funding value: the larger htlc_maximum_msat stands in.
    expect(g.capacityOf(3n)).toBe(2_000_000);
    expect(g.capacityOf(4n)).toBe(Infinity);
    expect(g.applyChannelUpdate(upd(7n, 0, 11))).toBe('stale');
    expect(g.applyChannelUpdate(upd(7n, 0, 12))).toBe('applied');
    expect(g.policy(7n, 0)!.enabled).toBe(true);
    expect(g.nodeIndex(C)).toBeGreaterThanOrEqual(0);
    expect(g.nodeIndex(node('D'))).toBe(-1);
    expect(g.nodeIndex(new Uint8Array(3))).toBe(-1);
  });
});

function sameGraph(a: NetworkGraph, b: NetworkGraph): void {
  expect(b.nodeCount).toBe(a.nodeCount);
  expect(b.channelCount).toBe(a.channelCount);
  for (const [name, col] of Object.entries(a.columns)) expect([name, (b.columns as unknown as Record<string, unknown>)[name]]).toEqual([name, col]);
  expect(b.adjacencyOffsets).toEqual(a.adjacencyOffsets);
}

describe('the snapshot', () => {
  const generated = generateGraph(200, 600, 5);
  const graph = buildNetworkGraph(generated.announcements, generated.updates).graph;

  it('round-trips: the same columns, and the same route found on both', () => {
    const bytes = encodeGraphSnapshot(graph);
    expect(bytes[0]).toBe(GRAPH_SNAPSHOT_VERSION);
    const loaded = decodeGraphSnapshot(bytes);
    if (!loaded.ok) throw loaded.error;
    sameGraph(graph, loaded.value);
    const req = {
      ourNodeId: US,
      payeeNodeId: generated.nodeIds[150]!,
      amountMsat: 50_000_000n,
      finalCltvExpiryDelta: 18,
      bestBlockHeight: HEIGHT,
      firstHops: [{ channelId: new Uint8Array(32), counterpartyNodeId: generated.nodeIds[3]!, shortChannelId: 1n, outboundCapacityMsat: 10n ** 10n, nextOutboundHtlcMinimumMsat: 1n }],
    };
    expect(findRoute(loaded.value, req)).toEqual(findRoute(graph, req));
    // The copy is the loaded graph's own: updating it leaves the original alone.
    const scid = graph.columns.scids[0]!;
    expect(loaded.value.applyChannelUpdate(upd(scid, 0, 2_000_000_000))).toBe('applied');
    expect(graph.policy(scid, 0)!.timestamp).toBe(1_700_000_000);
  });

  it('an empty graph round-trips', () => {
    const empty = buildNetworkGraph([], []).graph;
    const loaded = decodeGraphSnapshot(encodeGraphSnapshot(empty));
    expect(loaded.ok && loaded.value.channelCount === 0 && loaded.value.nodeCount === 0).toBe(true);
  });

  it('refuses a newer version, an unknown even record and a missing column; skips an unknown odd record', () => {
    const bytes = encodeGraphSnapshot(graph);
    const newer = bytes.slice();
    newer[0] = GRAPH_SNAPSHOT_VERSION + 1;
    const r1 = decodeGraphSnapshot(newer);
    expect(r1.ok ? 'ok' : r1.error.reason).toBe('invalid-value');
    const withRecord = (type: number) => new Uint8Array([...bytes, type, 2, 0xaa, 0xbb]);
    const r2 = decodeGraphSnapshot(withRecord(26));
    expect(r2.ok ? 'ok' : r2.error.reason).toBe('unknown-even-type');
    const r3 = decodeGraphSnapshot(withRecord(27));
    expect(r3.ok).toBe(true);
    const r4 = decodeGraphSnapshot(new Uint8Array([GRAPH_SNAPSHOT_VERSION, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(r4.ok ? 'ok' : r4.error.reason).toBe('invalid-value');
  });

  it('refuses bad values: unsorted scids, a node index out of range, an amount that is not whole msat', () => {
    const corrupt = (mutate: (g: NetworkGraph) => void) => {
      const copy = decodeGraphSnapshot(encodeGraphSnapshot(graph));
      if (!copy.ok) throw copy.error;
      mutate(copy.value);
      const r = decodeGraphSnapshot(encodeGraphSnapshot(copy.value));
      return r.ok ? 'ok' : r.error.reason;
    };
    expect(corrupt((g) => (g.columns.scids[1] = g.columns.scids[0]!))).toBe('invalid-value');
    expect(corrupt((g) => (g.columns.node1[0] = g.nodeCount))).toBe('invalid-value');
    expect(corrupt((g) => (g.columns.htlcMaximumMsat[0] = 0.5))).toBe('invalid-value');
    expect(corrupt((g) => (g.columns.capacityMsat[0] = -1))).toBe('invalid-value');
    expect(corrupt((g) => (g.columns.flags[0] = 4))).toBe('invalid-value');
  });

  it('every truncation, and any garbage, is a typed error, never a throw', () => {
    const bytes = encodeGraphSnapshot(buildNetworkGraph(generateGraph(20, 40, 9).announcements, generateGraph(20, 40, 9).updates).graph);
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeGraphSnapshot(bytes.subarray(0, n));
      expect(r.ok).toBe(false);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (garbage) => {
        const r = decodeGraphSnapshot(garbage);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});
