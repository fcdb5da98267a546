/**
 * The graph router stands in for the direct router payments used before it
 * (test/support/reference-router.ts): with an empty graph, over random first hops
 * and route hints, a single route is found whenever the manager's router
 * finds one, at no higher fee. With hints sharing no node both give the same
 * answer at the same fee. With hints sharing a node the graph router may
 * join them (which the manager's router, reading each hint alone, cannot);
 * the cheaper branch at the shared node may then push the CLTV total past
 * 1008 where the pricier one fits, and the search keeps that one too
 * (seed 1130377723 found the miss when it kept one label a node). A first
 * hop whose minimum is above the amount is met by a pricier hint whose fees
 * lift the HTLC over it, as the manager's router does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RouteHint } from '../../shared/invoice/index.js';

import { findRoute as managerFindRoute } from '../support/reference-router.js';
import { buildNetworkGraph, findRoute, type FirstHop } from '../../shared/routing/index.js';
import { HEIGHT, US, firstHop, node } from './graph-fixture.js';

const EMPTY = buildNetworkGraph([], []).graph;
const PEERS = ['A', 'B', 'C', 'P'];

const arbFirstHops = fc.uniqueArray(
  fc.record({ peer: fc.constantFrom(...PEERS), scid: fc.integer({ min: 1, max: 50 }), outbound: fc.integer({ min: 0, max: 3_000_000 }), minimum: fc.integer({ min: 1, max: 5_000 }) }),
  { selector: (h) => h.scid, maxLength: 5 },
).map((hs) => hs.map((h) => firstHop(h.peer, BigInt(h.scid), BigInt(h.outbound), BigInt(h.minimum))));

const arbHint = fc.array(
  fc.record({
    pubkey: fc.constantFrom('A', 'B', 'C', 'D'),
    shortChannelId: fc.integer({ min: 100, max: 200 }).map(BigInt),
    feeBaseMsat: fc.integer({ min: 0, max: 5_000 }).map(BigInt),
    feeProportionalMillionths: fc.integer({ min: 0, max: 5_000 }),
    cltvExpiryDelta: fc.integer({ min: 0, max: 600 }),
  }),
  { minLength: 1, maxLength: 3 },
).map((hops) => hops.map((h) => ({ ...h, pubkey: node(h.pubkey) })));

describe('the graph router with an empty graph against the manager router', () => {
  const parity = (firstHops: FirstHop[], routeHints: RouteHint[], amount: number): void => {
    // Hints whose hops repeat a node make a loop the graph search would not take; the invoices we read have none.
    const simple = routeHints.filter((h) => new Set(h.map((x) => x.pubkey[1])).size === h.length && new Set(h.map((x) => x.shortChannelId)).size === h.length);
    const scids = simple.flat().map((h) => h.shortChannelId);
    if (new Set(scids).size !== scids.length) return;
    const req = { ourNodeId: US, payeeNodeId: node('P'), amountMsat: BigInt(amount), finalCltvExpiryDelta: 18, bestBlockHeight: HEIGHT, firstHops, routeHints: simple };
    const old = managerFindRoute(req);
    const now = findRoute(EMPTY, req);
    // Whenever the manager's router finds a route, so does the graph router, at no higher fee.
    if (old.ok) expect(now.ok).toBe(true);
    if (old.ok && now.ok) expect(now.route.totalFeeMsat <= old.route.totalFeeMsat).toBe(true);
    // Hints read alone (no two sharing a node): the same answer, the same fee.
    const nodes = simple.flat().map((h) => h.pubkey[1]);
    if (new Set(nodes).size === nodes.length) {
      expect(now.ok).toBe(old.ok);
      if (old.ok && now.ok) {
        expect(now.route.totalFeeMsat).toBe(old.route.totalFeeMsat);
        expect(now.route.htlcAmountMsat).toBe(old.route.htlcAmountMsat);
      }
    }
  };

  it('finds a route whenever it does, never at a higher fee, the same one with hints sharing no node', () => {
    fc.assert(fc.property(arbFirstHops, fc.array(arbHint, { maxLength: 3 }), fc.integer({ min: 1, max: 2_500_000 }), parity), { numRuns: 2000 });
  });

  it('finds the pricier branch of two hints sharing a node (seed 1130377723, the one-label miss)', () => {
    fc.assert(fc.property(arbFirstHops, fc.array(arbHint, { maxLength: 3 }), fc.integer({ min: 1, max: 2_500_000 }), parity), { numRuns: 500, seed: 1130377723 });
  });
});
