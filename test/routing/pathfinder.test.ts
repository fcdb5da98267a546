/**
 * The graph router on hand-built graphs, with BOLT 7 fees and CLTV deltas
 * worked by hand: the cheapest path, and each limit that turns it away
 * (disabled, htlc_maximum_msat, capacity, CLTV total, htlc_minimum_msat,
 * our first hop's liquidity, exclusions, the fee limit); route hints to a
 * private payee; typed errors; and routes over a generated graph of
 * hundreds of channels checked hop by hop against the graph.
 */
import { describe, expect, it } from 'vitest';
import { findRoute, RouteErrorCode, type Route, type RouteRequest, type NetworkGraph, buildNetworkGraph } from '../../shared/routing/index.js';
import { generateGraph } from '../support/routing-graph.js';
import { rng } from '../support/seeded-random.js';
import { HEIGHT, US, expectValidRoute, firstHop, graphOf, node, pathOf, request, type ChannelSpec } from './graph-fixture.js';

const NAMES = ['us', 'A', 'B', 'C', 'P', 'Z'];
const AMOUNT = 1_000_000n;

/** us→A→P (A charges 5,000 + 1,000 ppm) and us→B→C→P (100 + 10 ppm each): the second is cheaper. */
function diamond(over: { bc?: Partial<ChannelSpec>; cp?: Partial<ChannelSpec>; extra?: ChannelSpec[] } = {}): NetworkGraph {
  return graphOf([
    { from: 'A', to: 'P', scid: 10n, capacitySat: 10_000n, forward: { feeBaseMsat: 5000n, feeProportionalMillionths: 1000 } },
    { from: 'B', to: 'C', scid: 20n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10 }, ...over.bc },
    { from: 'C', to: 'P', scid: 21n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10 }, ...over.cp },
    ...(over.extra ?? []),
  ]);
}

const HOPS = [firstHop('A', 1n, 5_000_000n), firstHop('B', 2n, 5_000_000n)];

function route(graph: NetworkGraph, req: RouteRequest): Route {
  const r = findRoute(graph, req);
  if (!r.ok) throw new Error(`no route: ${r.error.code} ${r.error.message}`);
  expectValidRoute(graph, req, r.route, req.maxTotalCltvExpiryDelta ?? 1008);
  return r.route;
}

function refusal(graph: NetworkGraph, req: RouteRequest): RouteErrorCode {
  const r = findRoute(graph, req);
  if (r.ok) throw new Error(`expected no route, got ${pathOf(r.route, NAMES).join('→')}`);
  return r.error.code;
}

describe('the cheapest path', () => {
  it('goes over B and C, fees and expiries added from the payee back', () => {
    const graph = diamond();
    const r = route(graph, request('P', AMOUNT, HOPS));
    expect(pathOf(r, NAMES)).toEqual(['B', 'C', 'P']);
    expect(r.hops.map((h) => h.shortChannelId)).toEqual([2n, 20n, 21n]);
    // C forwards 1,000,000 over C→P: 100 + 10 = 110. B forwards 1,000,110 over B→C: 100 + 10 = 110.
    expect(r.hops.map((h) => h.amountMsat)).toEqual([1_000_220n, 1_000_110n, 1_000_000n]);
    expect(r.hops.map((h) => h.feeMsat)).toEqual([110n, 110n, 0n]);
    expect(r.hops.map((h) => h.cltvExpiryDelta)).toEqual([40, 40, 18]);
    expect(r.hops.map((h) => h.cltvExpiry)).toEqual([HEIGHT + 1 + 98, HEIGHT + 1 + 58, HEIGHT + 1 + 18]);
    expect(r.totalFeeMsat).toBe(220n);
    expect(r.totalAmountMsat).toBe(AMOUNT);
    expect(r.htlcAmountMsat).toBe(1_000_220n);
    expect(r.firstHopChannelId).toEqual(HOPS[1]!.channelId);
  });

  it('over A (fee 5,000 + 1,000 ppm of 1,000,000) when B, C cannot be used', () => {
    const graph = diamond({ cp: { forward: { enabled: false } } });
    const r = route(graph, request('P', AMOUNT, HOPS));
    expect(pathOf(r, NAMES)).toEqual(['A', 'P']);
    expect(r.totalFeeMsat).toBe(6000n);
    expect(r.hops[0]!.amountMsat).toBe(1_006_000n);
  });
});

describe('each limit turns the cheap path away', () => {
  const viaA = (graph: NetworkGraph, extra: Partial<RouteRequest> = {}) => pathOf(route(graph, request('P', AMOUNT, HOPS, extra)), NAMES);

  it('a disabled direction (the other direction enabled does not help)', () => {
    expect(viaA(diamond({ bc: { forward: { enabled: false } } }))).toEqual(['A', 'P']);
    // Only the reverse direction disabled: still usable.
    expect(viaA(diamond({ bc: { backward: { enabled: false } } }))).toEqual(['B', 'C', 'P']);
  });

  it('htlc_maximum_msat below the amount', () => {
    expect(viaA(diamond({ cp: { forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, htlcMaximumMsat: 999_999n } } }))).toEqual(['A', 'P']);
    expect(viaA(diamond({ cp: { forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, htlcMaximumMsat: 1_000_000n } } }))).toEqual(['B', 'C', 'P']);
  });

  it('capacity below the amount plus the fees downstream', () => {
    // B→C carries 1,000,110 msat: 1,000 sat is too little even though the payee gets 1,000,000.
    expect(viaA(diamond({ bc: { capacitySat: 1_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, htlcMaximumMsat: 10_000_000n } } }))).toEqual(['A', 'P']);
    expect(viaA(diamond({ bc: { capacitySat: 1_001n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, htlcMaximumMsat: 10_000_000n } } }))).toEqual(['B', 'C', 'P']);
  });

  it('htlc_minimum_msat above the amount', () => {
    expect(viaA(diamond({ cp: { forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, htlcMinimumMsat: 1_000_001n } } }))).toEqual(['A', 'P']);
  });

  it('a CLTV total over 1008 blocks (18 + 951 + 40), unless the limit is raised', () => {
    const graph = diamond({ bc: { forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, cltvExpiryDelta: 951 } } });
    expect(viaA(graph)).toEqual(['A', 'P']);
    expect(viaA(graph, { maxTotalCltvExpiryDelta: 1009 })).toEqual(['B', 'C', 'P']);
    // 18 + 950 + 40 = 1008: exactly the limit, within.
    expect(viaA(diamond({ bc: { forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10, cltvExpiryDelta: 950 } } }))).toEqual(['B', 'C', 'P']);
  });

  it("our first hop's outbound liquidity, not the graph's capacity", () => {
    const hops = [firstHop('A', 1n, 5_000_000n), firstHop('B', 2n, 1_000_219n)];
    expect(pathOf(route(diamond(), request('P', AMOUNT, hops)), NAMES)).toEqual(['A', 'P']);
    const enough = [firstHop('A', 1n, 5_000_000n), firstHop('B', 2n, 1_000_220n)];
    expect(pathOf(route(diamond(), request('P', AMOUNT, enough)), NAMES)).toEqual(['B', 'C', 'P']);
  });

  it('a channel excluded after a failure (a first hop by its scid too)', () => {
    expect(viaA(diamond(), { excludedShortChannelIds: [21n] })).toEqual(['A', 'P']);
    expect(viaA(diamond(), { excludedShortChannelIds: [2n] })).toEqual(['A', 'P']);
  });

  it('our own channels in the graph are not used: only the first hops lead out', () => {
    const graph = diamond({ extra: [{ from: 'us', to: 'P', scid: 5n, capacitySat: 10_000n, forward: { feeBaseMsat: 0n, feeProportionalMillionths: 0 } }] });
    expect(viaA(graph)).toEqual(['B', 'C', 'P']);
  });

  it('the fee limit: the cheapest path is refused past it, the typed error when none fits', () => {
    expect(refusal(diamond(), request('P', AMOUNT, HOPS, { maxTotalRoutingFeeMsat: 219n }))).toBe(RouteErrorCode.FeeTooHigh);
    expect(viaA(diamond(), { maxTotalRoutingFeeMsat: 220n })).toEqual(['B', 'C', 'P']);
  });
});

describe('route hints', () => {
  it('reach a private payee through a public node, the hint policy charged', () => {
    const graph = diamond();
    const Z = node('Z');
    const hints = [[{ pubkey: node('C'), shortChannelId: 99n, feeBaseMsat: 10n, feeProportionalMillionths: 100, cltvExpiryDelta: 20 }]];
    const req = request(Z, AMOUNT, HOPS, { routeHints: hints });
    const r = route(graph, req);
    expect(pathOf(r, NAMES)).toEqual(['B', 'C', 'Z']);
    expect(r.hops.map((h) => h.shortChannelId)).toEqual([2n, 20n, 99n]);
    // C charges the hint's 10 + 100 ppm of 1,000,000 = 110; B charges 100 + 10 ppm of 1,000,110 = 110.
    expect(r.hops.map((h) => h.feeMsat)).toEqual([110n, 110n, 0n]);
    expect(r.hops.map((h) => h.cltvExpiryDelta)).toEqual([40, 20, 18]);
    expect(refusal(graph, request(Z, AMOUNT, HOPS))).toBe(RouteErrorCode.PayeeNotReachable);
  });

  it('a hint starting at our peer needs no graph at all', () => {
    const graph = buildNetworkGraph([], []).graph;
    const hints = [[{ pubkey: node('A'), shortChannelId: 77n, feeBaseMsat: 1n, feeProportionalMillionths: 0, cltvExpiryDelta: 30 }]];
    const r = route(graph, request('Z', AMOUNT, HOPS, { routeHints: hints }));
    expect(pathOf(r, NAMES)).toEqual(['A', 'Z']);
    expect(r.totalFeeMsat).toBe(1n);
  });

  it('a payee that is our peer is reached over our channel, no fee', () => {
    const r = route(diamond(), request('A', AMOUNT, HOPS));
    expect(pathOf(r, NAMES)).toEqual(['A']);
    expect(r.totalFeeMsat).toBe(0n);
  });
});

describe('typed errors, never a throw', () => {
  const graph = diamond();
  it.each([
    ['payee unknown', request('Z', AMOUNT, HOPS), RouteErrorCode.PayeeNotReachable],
    ['more than every path carries', request('P', 10_000_000_000n, HOPS), RouteErrorCode.InsufficientCapacity],
    ['no channel of ours', request('P', AMOUNT, []), RouteErrorCode.NoChannels],
    ['we are the payee', request(US, AMOUNT, HOPS), RouteErrorCode.PayeeIsSelf],
    ['zero amount', request('P', 0n, HOPS), RouteErrorCode.InvalidRequest],
    ['amount past 2^53 msat', request('P', 1n << 60n, HOPS), RouteErrorCode.InvalidRequest],
    ['negative final delta', request('P', AMOUNT, HOPS, { finalCltvExpiryDelta: -1 }), RouteErrorCode.InvalidRequest],
    ['every path past the CLTV limit', request('P', AMOUNT, HOPS, { maxTotalCltvExpiryDelta: 50 }), RouteErrorCode.CltvTooFar],
    ['all paths excluded', request('P', AMOUNT, HOPS, { excludedShortChannelIds: [10n, 21n] }), RouteErrorCode.PayeeNotReachable],
  ] as const)('%s', (_name, req, code) => {
    expect(refusal(graph, req)).toBe(code);
  });
});

describe('a generated graph of hundreds of channels', () => {
  const generated = generateGraph(300, 900, 7, 0.05);
  const built = buildNetworkGraph(generated.announcements, generated.updates);
  const graph = built.graph;

  it('builds every channel, both directions', () => {
    expect(built.skippedAnnouncements).toBe(0);
    expect(built.skippedUpdates).toBe(0);
    expect(graph.channelCount).toBeGreaterThan(850);
    expect(graph.nodeCount).toBe(300);
  });

  it('finds routes between random nodes that obey every hop of the graph', () => {
    const next = rng(11);
    let found = 0;
    for (let i = 0; i < 60; i++) {
      const peers = [next() % 300, next() % 300, next() % 300];
      const payee = generated.nodeIds[next() % 300]!;
      const firstHops = peers.map((p, k) => ({
        channelId: new Uint8Array(32).fill(k + 1),
        counterpartyNodeId: generated.nodeIds[p]!,
        shortChannelId: BigInt(k + 1),
        outboundCapacityMsat: 50_000_000_000n,
        nextOutboundHtlcMinimumMsat: 1n,
      }));
      const amountMsat = BigInt(1 + (next() % 50_000)) * 1000n;
      const req: RouteRequest = { ourNodeId: US, payeeNodeId: payee, amountMsat, finalCltvExpiryDelta: 18, bestBlockHeight: HEIGHT, firstHops };
      const r = findRoute(graph, req);
      if (!r.ok) {
        expect([RouteErrorCode.InsufficientCapacity, RouteErrorCode.CltvTooFar, RouteErrorCode.PayeeNotReachable, RouteErrorCode.BelowHtlcMinimum]).toContain(r.error.code);
        continue;
      }
      found++;
      expectValidRoute(graph, req, r.route);
    }
    expect(found).toBeGreaterThan(45);
  });
});
