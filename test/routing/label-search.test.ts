/**
 * The search keeps more than one label a node when one alone would miss a
 * route: a cheaper branch meeting a pricier one at a shared node pushes the
 * CLTV total past 1,008 blocks (the pricier one fits), or leaves the HTLC
 * below a minimum further on (the pricier one's fees lift it over). Then,
 * on small random graphs against a brute force over every simple path:
 * every route found obeys the graph, and a route is found whenever one
 * exists.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../shared/codec/index.js';
import { findRoute, RouteErrorCode, type FirstHop, type NetworkGraph, type RouteRequest } from '../../shared/routing/index.js';
import { expectValidRoute, firstHop, graphOf, node, pathOf, request, type ChannelSpec, type Policy } from './graph-fixture.js';

const NAMES = ['us', 'A', 'B', 'C', 'D', 'S', 'X', 'Y', 'P'];

describe('a pricier branch at a shared node', () => {
  /** us→A→S, then S→X→P (cheap, X→P a delta of 800) or S→Y→P (dearer, deltas of 40). */
  const shared = (deltaAS: number): NetworkGraph =>
    graphOf([
      { from: 'A', to: 'S', scid: 10n, capacitySat: 10_000n, forward: { cltvExpiryDelta: deltaAS } },
      { from: 'S', to: 'X', scid: 11n, capacitySat: 10_000n, forward: { feeBaseMsat: 10n, feeProportionalMillionths: 0, cltvExpiryDelta: 40 } },
      { from: 'X', to: 'P', scid: 12n, capacitySat: 10_000n, forward: { feeBaseMsat: 10n, feeProportionalMillionths: 0, cltvExpiryDelta: 800 } },
      { from: 'S', to: 'Y', scid: 13n, capacitySat: 10_000n, forward: { feeBaseMsat: 1000n, feeProportionalMillionths: 0, cltvExpiryDelta: 40 } },
      { from: 'Y', to: 'P', scid: 14n, capacitySat: 10_000n, forward: { feeBaseMsat: 1000n, feeProportionalMillionths: 0, cltvExpiryDelta: 40 } },
    ]);
  const hops = [firstHop('A', 1n, 5_000_000n)];

  it('takes the cheap branch while its CLTV total fits', () => {
    const graph = shared(100);
    const req = request('P', 1_000_000n, hops);
    const r = findRoute(graph, req);
    if (!r.ok) throw new Error(r.error.code);
    expectValidRoute(graph, req, r.route);
    // 18 + 800 + 40 + 100 = 958 blocks.
    expect(pathOf(r.route, NAMES)).toEqual(['A', 'S', 'X', 'P']);
  });

  it('takes the pricier branch when the cheap one breaks 1,008 blocks at A', () => {
    const graph = shared(200);
    const req = request('P', 1_000_000n, hops);
    const r = findRoute(graph, req);
    if (!r.ok) throw new Error(`no route: ${r.error.code}`);
    expectValidRoute(graph, req, r.route);
    // Over X: 18 + 800 + 40 + 200 = 1,058 blocks; over Y: 18 + 40 + 40 + 200 = 298.
    expect(pathOf(r.route, NAMES)).toEqual(['A', 'S', 'Y', 'P']);
    expect(r.route.htlcCltvExpiry - (req.bestBlockHeight + 1)).toBe(298);
    // A charges 1,000 + 100 ppm of 1,002,000 = 1,100; S 1,000; Y 1,000.
    expect(r.route.totalFeeMsat).toBe(3100n);
  });

  it('is refused as cltv-too-far when no branch fits', () => {
    const graph = shared(1000);
    expect(findRoute(graph, request('P', 1_000_000n, hops))).toMatchObject({ ok: false, error: { code: RouteErrorCode.CltvTooFar } });
  });

  it("takes the pricier branch whose fees lift the HTLC to our channel's minimum", () => {
    // A→P direct (100 msat) or A→B→P (6,000 msat); our channel to A takes no HTLC below 1,005,000 msat.
    const graph = graphOf([
      { from: 'A', to: 'P', scid: 20n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 0 } },
      { from: 'A', to: 'B', scid: 21n, capacitySat: 10_000n, forward: { feeBaseMsat: 3000n, feeProportionalMillionths: 0 } },
      { from: 'B', to: 'P', scid: 22n, capacitySat: 10_000n, forward: { feeBaseMsat: 3000n, feeProportionalMillionths: 0 } },
    ]);
    const req = request('P', 1_000_000n, [firstHop('A', 1n, 5_000_000n, 1_005_000n)]);
    const r = findRoute(graph, req);
    if (!r.ok) throw new Error(`no route: ${r.error.code}`);
    expectValidRoute(graph, req, r.route);
    expect(pathOf(r.route, NAMES)).toEqual(['A', 'B', 'P']);
    expect(r.route.htlcAmountMsat).toBe(1_006_000n);
  });
});

/** A directed edge of a small graph as the brute force reads it. */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly scid: bigint;
  readonly policy: Required<Policy>;
  readonly limitMsat: bigint;
}

const MAX_DELTA = 1008;

/** Every simple path from us to P (first hop, then graph edges), priced from the payee back; true when one obeys every limit. */
function bruteForce(edges: readonly Edge[], firstHops: readonly FirstHop[], req: RouteRequest): boolean {
  const payee = 'P';
  const walk = (at: string, visited: Set<string>, path: Edge[]): boolean => {
    if (at === payee) return priced(path);
    for (const e of edges) {
      if (e.from !== at || visited.has(e.to) || !e.policy.enabled) continue;
      visited.add(e.to);
      const ok = walk(e.to, visited, [...path, e]);
      visited.delete(e.to);
      if (ok) return true;
    }
    return false;
  };
  const priced = (path: readonly Edge[]): boolean => {
    // path[0] is our first hop (no fee, no delta); path[i] for i > 0 charges its policy on what it carries.
    let amount = req.amountMsat;
    let cltv = req.finalCltvExpiryDelta;
    for (let i = path.length - 1; i >= 0; i--) {
      const e = path[i]!;
      if (amount > e.limitMsat || amount < e.policy.htlcMinimumMsat) return false;
      if (i > 0) {
        amount += e.policy.feeBaseMsat + (amount * BigInt(e.policy.feeProportionalMillionths)) / 1_000_000n;
        cltv += e.policy.cltvExpiryDelta;
      }
    }
    return cltv <= MAX_DELTA && path.length <= 20;
  };
  for (const fh of firstHops) {
    const peer = NAMES.find((n) => compareBytes(node(n), fh.counterpartyNodeId) === 0)!;
    const first: Edge = {
      from: 'us',
      to: peer,
      scid: fh.shortChannelId,
      policy: { feeBaseMsat: 0n, feeProportionalMillionths: 0, cltvExpiryDelta: 0, htlcMinimumMsat: fh.nextOutboundHtlcMinimumMsat, htlcMaximumMsat: fh.outboundCapacityMsat, enabled: true },
      limitMsat: fh.outboundCapacityMsat,
    };
    if (walk(peer, new Set(['us', peer]), [first])) return true;
  }
  return false;
}

const PEERS = ['A', 'B', 'C', 'D', 'P'];
/** A direction's policy (enabled or not is decided per channel). */
const arbPolicy = fc.record({
  feeBaseMsat: fc.integer({ min: 0, max: 5_000 }).map(BigInt),
  feeProportionalMillionths: fc.integer({ min: 0, max: 20_000 }),
  cltvExpiryDelta: fc.integer({ min: 0, max: 500 }),
  htlcMinimumMsat: fc.integer({ min: 1, max: 1_100_000 }).map(BigInt),
  htlcMaximumMsat: fc.integer({ min: 500_000, max: 3_000_000 }).map(BigInt),
});

describe('against a brute force over every simple path of small graphs', () => {
  it('every route found obeys the graph, and one is found whenever a path fits', () => {
    const arbChannel = fc.record({
      ends: fc.uniqueArray(fc.constantFrom(...PEERS), { minLength: 2, maxLength: 2 }),
      capacitySat: fc.integer({ min: 500, max: 3_000 }).map(BigInt),
      forward: arbPolicy,
      backward: arbPolicy,
      disabled: fc.integer({ min: 0, max: 9 }),
    });
    const arbFirst = fc.record({ peer: fc.constantFrom('A', 'B', 'C', 'D'), outbound: fc.integer({ min: 0, max: 3_000_000 }), minimum: fc.integer({ min: 1, max: 1_100_000 }) });
    fc.assert(
      fc.property(fc.array(arbChannel, { minLength: 1, maxLength: 9 }), fc.uniqueArray(arbFirst, { selector: (f) => f.peer, minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 1_000_000 }), (channels, firsts, amount) => {
        const specs: ChannelSpec[] = channels.map((c, i) => ({
          from: c.ends[0]!,
          to: c.ends[1]!,
          scid: BigInt(100 + i),
          capacitySat: c.capacitySat,
          forward: { ...c.forward, enabled: c.disabled !== 1 },
          backward: { ...c.backward, enabled: c.disabled !== 2 },
        }));
        const graph = graphOf(specs);
        const edges: Edge[] = specs.flatMap((s) => [
          { from: s.from, to: s.to, scid: s.scid, policy: s.forward as Required<Policy>, limitMsat: min(s.forward!.htlcMaximumMsat!, s.capacitySat * 1000n) },
          { from: s.to, to: s.from, scid: s.scid, policy: s.backward as Required<Policy>, limitMsat: min(s.backward!.htlcMaximumMsat!, s.capacitySat * 1000n) },
        ]);
        const firstHops = firsts.map((f, i) => firstHop(f.peer, BigInt(i + 1), BigInt(f.outbound), BigInt(f.minimum)));
        const req = request('P', BigInt(amount), firstHops);
        const exists = bruteForce(edges, firstHops, req);
        const r = findRoute(graph, req);
        if (r.ok) expectValidRoute(graph, req, r.route, MAX_DELTA);
        expect(r.ok).toBe(exists);
      }),
      { numRuns: 3000 },
    );
  });
});

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
