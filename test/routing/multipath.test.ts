/**
 * Multi-part payments over the graph: an amount larger than any one channel
 * split over several paths whose payee amounts add up to it, the liquidity a
 * part uses counted against the next (a channel two parts share), the part
 * limit, the fee limit over all parts, and a large payment over a generated
 * graph checked part by part.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, compareBytes } from '../../shared/codec/index.js';
import { RouteErrorCode, buildNetworkGraph, findPaymentRoutes, type NetworkGraph, type Route, type RouteRequest } from '../../shared/routing/index.js';
import { generateGraph } from '../support/routing-graph.js';
import { HEIGHT, US, expectValidRoute, firstHop, graphOf, request } from './graph-fixture.js';

const FAN = [firstHop('A', 1n, 5_000_000n), firstHop('B', 2n, 5_000_000n), firstHop('C', 3n, 5_000_000n)];

/** A, B and C each with a 4,000 sat channel to P (fee 1,000 msat + 1,000 ppm). */
function fan(): NetworkGraph {
  return graphOf(
    ['A', 'B', 'C'].map((x, i) => ({ from: x, to: 'P', scid: BigInt(10 + i), capacitySat: 4_000n, forward: { feeBaseMsat: 1000n, feeProportionalMillionths: 1000 } })),
  );
}

function routes(graph: NetworkGraph, req: RouteRequest): readonly Route[] {
  const r = findPaymentRoutes(graph, req);
  if (!r.ok) throw new Error(`no routes: ${r.error.code} ${r.error.message}`);
  for (const route of r.routes) expectValidRoute(graph, { ...req, amountMsat: route.totalAmountMsat }, route);
  return r.routes;
}

/** HTLC msat per channel direction over all parts (first hops aside). */
function usage(rs: readonly Route[]): Map<string, bigint> {
  const used = new Map<string, bigint>();
  for (const r of rs) {
    r.hops.forEach((h, i) => {
      if (i === 0) return;
      const key = `${h.shortChannelId}:${compareBytes(r.hops[i - 1]!.pubkey, h.pubkey) < 0 ? 0 : 1}`;
      used.set(key, (used.get(key) ?? 0n) + h.amountMsat);
    });
  }
  return used;
}

describe('splitting a payment larger than any one channel', () => {
  it('10,000,000 msat over three 4,000 sat channels: parts adding up to the amount, each channel within its capacity', () => {
    const graph = fan();
    const rs = routes(graph, request('P', 10_000_000n, FAN, { allowMpp: true }));
    expect(rs.length).toBe(3);
    expect(rs.reduce((s, r) => s + r.totalAmountMsat, 0n)).toBe(10_000_000n);
    for (const [, used] of usage(rs)) expect(used <= 4_000_000n).toBe(true);
    // A part over each of our channels: each 5,000,000 msat, none could carry two.
    expect(new Set(rs.map((r) => bytesToHex(r.firstHopChannelId))).size).toBe(3);
  });

  it('one route, not parts, when one path carries the amount', () => {
    expect(routes(fan(), request('P', 3_000_000n, FAN, { allowMpp: true })).length).toBe(1);
  });

  it('refused without MPP, past the paths together, or past the part limit', () => {
    const graph = fan();
    const code = (req: RouteRequest) => {
      const r = findPaymentRoutes(graph, req);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code(request('P', 10_000_000n, FAN))).toBe(RouteErrorCode.InsufficientCapacity);
    expect(code(request('P', 12_500_000n, FAN, { allowMpp: true }))).toBe(RouteErrorCode.InsufficientCapacity);
    expect(code(request('P', 10_000_000n, FAN, { allowMpp: true, maxPathCount: 2 }))).toBe(RouteErrorCode.TooManyParts);
    expect(code(request('P', 10_000_000n, FAN, { allowMpp: true, maxPathCount: 0 }))).toBe(RouteErrorCode.InvalidRequest);
  });

  it('the fee limit holds for the parts together', () => {
    const graph = fan();
    const rs = routes(graph, request('P', 10_000_000n, FAN, { allowMpp: true }));
    const fees = rs.reduce((s, r) => s + r.totalFeeMsat, 0n);
    expect(routes(graph, request('P', 10_000_000n, FAN, { allowMpp: true, maxTotalRoutingFeeMsat: fees })).length).toBe(3);
    const r = findPaymentRoutes(graph, request('P', 10_000_000n, FAN, { allowMpp: true, maxTotalRoutingFeeMsat: fees - 1n }));
    expect(r.ok ? 'ok' : r.error.code).toBe(RouteErrorCode.FeeTooHigh);
  });
});

describe('liquidity used by one part counts for the next', () => {
  // A→H and B→H 4,000 sat each, both then over H→P of 6,000 sat.
  const graph = graphOf([
    { from: 'A', to: 'H', scid: 10n, capacitySat: 4_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
    { from: 'B', to: 'H', scid: 11n, capacitySat: 4_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
    { from: 'H', to: 'P', scid: 12n, capacitySat: 6_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
  ]);
  const hops = [firstHop('A', 1n, 5_000_000n), firstHop('B', 2n, 5_000_000n)];

  it('two parts share H→P up to its capacity', () => {
    const rs = routes(graph, request('P', 6_000_000n, hops, { allowMpp: true }));
    expect(rs.length).toBe(2);
    expect(usage(rs).get('12:0')).toBe(6_000_000n);
  });

  it('one msat more than H→P holds is refused, though A→H and B→H together hold 8,000 sat', () => {
    const r = findPaymentRoutes(graph, request('P', 6_000_001n, hops, { allowMpp: true }));
    expect(r.ok ? 'ok' : r.error.code).toBe(RouteErrorCode.InsufficientCapacity);
  });
});

describe('several parts over one channel of ours', () => {
  it("two parts behind our only channel, its outbound liquidity counted for both", () => {
    const graph = graphOf([
      { from: 'A', to: 'X', scid: 10n, capacitySat: 4_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
      { from: 'A', to: 'Y', scid: 11n, capacitySat: 4_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
      { from: 'X', to: 'P', scid: 12n, capacitySat: 4_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
      { from: 'Y', to: 'P', scid: 13n, capacitySat: 4_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } },
    ]);
    const rs = routes(graph, request('P', 6_000_000n, [firstHop('A', 1n, 10_000_000n)], { allowMpp: true }));
    expect(rs.length).toBe(2);
    expect(rs.reduce((s, r) => s + r.htlcAmountMsat, 0n)).toBe(6_000_000n);
    // Our channel cannot send both parts: refused, though the graph behind it could carry them.
    const r = findPaymentRoutes(graph, request('P', 6_000_000n, [firstHop('A', 1n, 5_000_000n)], { allowMpp: true }));
    expect(r.ok ? 'ok' : r.error.code).toBe(RouteErrorCode.InsufficientCapacity);
  });
});

describe('a large payment over a generated graph', () => {
  const generated = generateGraph(400, 1_400, 3);
  const graph = buildNetworkGraph(generated.announcements, generated.updates).graph;
  // Our channels to the ten best-connected nodes, 0.05 BTC each.
  const degree = (n: number) => graph.adjacencyOffsets[n + 1]! - graph.adjacencyOffsets[n]!;
  const hubs = Array.from({ length: graph.nodeCount }, (_, n) => n).sort((a, b) => degree(b) - degree(a)).slice(0, 10);
  const firstHops = hubs.map((n, k) => ({
    channelId: new Uint8Array(32).fill(k + 1),
    counterpartyNodeId: graph.nodeId(n).slice(),
    shortChannelId: BigInt(k + 1),
    outboundCapacityMsat: 5_000_000_000n,
    nextOutboundHtlcMinimumMsat: 1n,
  }));

  it('splits when the payee has no single channel large enough, every part valid and every channel within capacity', () => {
    // The best-connected payee outside our peers, paid more than its largest channel.
    const payee = Array.from({ length: graph.nodeCount }, (_, n) => n).filter((n) => !hubs.includes(n)).sort((a, b) => degree(b) - degree(a))[0]!;
    let largest = 0;
    for (let i = graph.adjacencyOffsets[payee]!; i < graph.adjacencyOffsets[payee + 1]!; i++) largest = Math.max(largest, graph.effectiveCapacityMsat(graph.adjacentChannels[i]!));
    const amountMsat = BigInt(Math.floor(largest * 1.5));
    const req: RouteRequest = { ourNodeId: US, payeeNodeId: graph.nodeId(payee).slice(), amountMsat, finalCltvExpiryDelta: 18, bestBlockHeight: HEIGHT, firstHops, allowMpp: true };
    const rs = routes(graph, req);
    expect(rs.length).toBeGreaterThan(1);
    expect(rs.length).toBeLessThanOrEqual(10);
    expect(rs.reduce((s, r) => s + r.totalAmountMsat, 0n)).toBe(amountMsat);
    for (const [key, used] of usage(rs)) {
      const scid = BigInt(key.split(':')[0]!);
      expect(used <= BigInt(graph.capacityOf(scid))).toBe(true);
    }
  });
});
