/**
 * The probabilistic scorer: its penalty against the amount and the learned
 * bounds, what a failed and a successful path teach it, the decay back to
 * "nothing known", and the router avoiding a channel that failed on the
 * retry, then trying it again once the lesson has decayed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORING_PARAMETERS, ProbabilisticScorer, findRoute, type NetworkGraph, type RouteRequest } from '../../shared/routing/index.js';
import { firstHop, graphOf, pathOf, request } from './graph-fixture.js';

const NAMES = ['us', 'A', 'B', 'C', 'P'];
const AMOUNT = 1_000_000n;
const HOUR = 3600;
const NOW = 1_800_000_000;

/** us→A→P (fee 6,000 msat for 1,000,000) and us→B→C→P (fee 220 msat), channels of 10,000 sat. */
function diamond(): NetworkGraph {
  return graphOf([
    { from: 'A', to: 'P', scid: 10n, capacitySat: 10_000n, forward: { feeBaseMsat: 5000n, feeProportionalMillionths: 1000 } },
    { from: 'B', to: 'C', scid: 20n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10 } },
    { from: 'C', to: 'P', scid: 21n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 10 } },
  ]);
}
const HOPS = [firstHop('A', 1n, 5_000_000n), firstHop('B', 2n, 5_000_000n)];

function path(graph: NetworkGraph, req: RouteRequest, scorer: ProbabilisticScorer, nowSec: number): string[] {
  const r = findRoute(graph, req, { scorer, nowSec });
  if (!r.ok) throw new Error(r.error.message);
  return pathOf(r.route, NAMES);
}

describe('penalty', () => {
  const scorer = new ProbabilisticScorer();
  const cap = 10_000_000;

  it('grows with the amount, from the base penalty alone at zero', () => {
    expect(scorer.penaltyMsat(0, cap, undefined)).toBe(DEFAULT_SCORING_PARAMETERS.basePenaltyMsat);
    const amounts = [1_000, 100_000, 1_000_000, 5_000_000, 9_000_000, 9_990_000];
    const penalties = amounts.map((a) => scorer.penaltyMsat(a, cap, undefined));
    for (let i = 1; i < penalties.length; i++) expect(penalties[i]!).toBeGreaterThan(penalties[i - 1]!);
  });

  it('no liquidity penalty at or under the learned lower bound; the highest at or over the upper bound', () => {
    const bounds = { minMsat: 2_000_000, maxMsat: 3_000_000 };
    const base = (a: number) => DEFAULT_SCORING_PARAMETERS.basePenaltyMsat + (DEFAULT_SCORING_PARAMETERS.basePenaltyAmountMultiplierMsat * a) / 2 ** 30;
    expect(scorer.penaltyMsat(2_000_000, cap, bounds)).toBeCloseTo(base(2_000_000), 9);
    const top = (a: number) => base(a) + (30_000 + (192 * a) / 2 ** 20) * 2;
    expect(scorer.penaltyMsat(3_000_000, cap, bounds)).toBeCloseTo(top(3_000_000), 6);
    // Half the range left: -log10(0.5).
    expect(scorer.penaltyMsat(2_500_000, cap, bounds)).toBeCloseTo(base(2_500_000) + (30_000 + (192 * 2_500_000) / 2 ** 20) * Math.log10(2), 6);
  });

  it('an unknown capacity (a hint) carries no liquidity penalty until something is learned', () => {
    expect(scorer.penaltyMsat(1e12, Infinity, undefined)).toBeCloseTo(500 + (8192 * 1e12) / 2 ** 30, 6);
  });
});

describe('learning from results', () => {
  const graph = diamond();
  const capacityOf = (scid: bigint) => graph.capacityOf(scid);
  const r = findRoute(graph, request('P', AMOUNT, HOPS));
  if (!r.ok) throw new Error('no route');
  const hops = r.route.hops; // B (scid 2), C (scid 20), P (scid 21)

  it('a failure at C→P: B→C carried its amount, C→P had less than its own', () => {
    const scorer = new ProbabilisticScorer();
    scorer.paymentPathFailed(hops, 21n, NOW, capacityOf);
    // Direction of B→C and C→P by BOLT 7 (node ids "B" < "C" < "P"): 0.
    expect(scorer.bounds(20n, 0, 10_000_000, NOW)).toEqual({ minMsat: 1_000_110, maxMsat: 10_000_000 });
    expect(scorer.bounds(21n, 0, 10_000_000, NOW)).toEqual({ minMsat: 0, maxMsat: 1_000_000 });
    // The other direction and our own first hop learned nothing.
    expect(scorer.bounds(21n, 1, 10_000_000, NOW)).toBeUndefined();
    expect(scorer.bounds(2n, 0, Infinity, NOW)).toBeUndefined();
    expect(scorer.size).toBe(2);
  });

  it('a failure at our own first hop teaches nothing', () => {
    const scorer = new ProbabilisticScorer();
    scorer.paymentPathFailed(hops, 2n, NOW, capacityOf);
    expect(scorer.size).toBe(0);
  });

  it('a success moves the liquidity: upper bounds fall by what each hop forwarded', () => {
    const scorer = new ProbabilisticScorer();
    scorer.paymentPathSuccessful(hops, NOW, capacityOf);
    expect(scorer.bounds(20n, 0, 10_000_000, NOW)).toEqual({ minMsat: 0, maxMsat: 10_000_000 - 1_000_110 });
    expect(scorer.bounds(21n, 0, 10_000_000, NOW)).toEqual({ minMsat: 0, maxMsat: 9_000_000 });
  });

  it('learned bounds decay halfway back every half-life, and are pruned once gone', () => {
    const scorer = new ProbabilisticScorer();
    scorer.paymentPathFailed(hops, 21n, NOW, capacityOf);
    // Upper bound 1,000,000 of 10,000,000: the 9,000,000 offset halves every 6 hours.
    expect(scorer.bounds(21n, 0, 10_000_000, NOW + 6 * HOUR)).toEqual({ minMsat: 0, maxMsat: 5_500_000 });
    expect(scorer.bounds(21n, 0, 10_000_000, NOW + 12 * HOUR)).toEqual({ minMsat: 0, maxMsat: 7_750_000 });
    expect(scorer.bounds(20n, 0, 10_000_000, NOW + 6 * HOUR)!.minMsat).toBe(500_055);
    scorer.prune(NOW + 1000 * HOUR);
    expect(scorer.size).toBe(0);
  });
});

describe('the router with the scorer', () => {
  const graph = diamond();
  const req = request('P', AMOUNT, HOPS);

  it('avoids the channel that failed on the retry, and tries it again once the lesson has decayed', () => {
    const scorer = new ProbabilisticScorer();
    expect(path(graph, req, scorer, NOW)).toEqual(['B', 'C', 'P']);
    const first = findRoute(graph, req, { scorer, nowSec: NOW });
    if (!first.ok) throw new Error('no route');
    scorer.paymentPathFailed(first.route.hops, 21n, NOW, (s) => graph.capacityOf(s));
    // Retried a minute later: C→P cannot carry 1,000,000 as far as we know; A's 6,000 msat fee is worth paying.
    expect(path(graph, req, scorer, NOW + 60)).toEqual(['A', 'P']);
    // A smaller amount still fits under what C→P may have.
    expect(path(graph, request('P', 100_000n, HOPS), scorer, NOW + 60)).toEqual(['B', 'C', 'P']);
    // A day later (four half-lives) the failure is mostly forgotten.
    expect(path(graph, req, scorer, NOW + 24 * HOUR)).toEqual(['B', 'C', 'P']);
  });

  it('the base penalty per hop prefers fewer hops when fees are close', () => {
    const g = graphOf([
      { from: 'A', to: 'P', scid: 10n, capacitySat: 10_000n, forward: { feeBaseMsat: 600n, feeProportionalMillionths: 0 } },
      { from: 'B', to: 'C', scid: 20n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 0 } },
      { from: 'C', to: 'P', scid: 21n, capacitySat: 10_000n, forward: { feeBaseMsat: 100n, feeProportionalMillionths: 0 } },
    ]);
    const r = findRoute(g, req);
    if (!r.ok) throw new Error('no route');
    expect(pathOf(r.route, NAMES)).toEqual(['B', 'C', 'P']);
    expect(path(g, req, new ProbabilisticScorer(), NOW)).toEqual(['A', 'P']);
  });
});
