/**
 * The reference router (test/support/reference-router.ts, the parity oracle) without a gossip graph: a channel with the payee, a route hint
 * entered at one of our peers (fees and CLTV deltas by BOLT 7's formula,
 * worked by hand here), a hint naming our own node, a multi-hop hint chain,
 * and every typed refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../shared/codec/index.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import type { RouteHintHop } from '../../shared/invoice/index.js';
import {
  DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA,
  RouteErrorCode,
  type FirstHop,
  type Route,
  type RouteRequest,
} from '../../shared/manager/index.js';
import { findRoute, forwardingFeeMsat } from '../support/reference-router.js';

const secp = wasmSecp256k1;
const nodeId = (n: number): Uint8Array => secp.publicKeyFromSecret(new Uint8Array(32).fill(n));
const US = nodeId(1);
const A = nodeId(2);
const B = nodeId(3);
const P = nodeId(4);
const X = nodeId(5);
const HEIGHT = 800_000;

function channel(counterparty: Uint8Array, id: number, capacityMsat: bigint, extra: Partial<FirstHop> = {}): FirstHop {
  return {
    channelId: new Uint8Array(32).fill(id),
    counterpartyNodeId: counterparty,
    shortChannelId: BigInt(id) * 1_000_000n,
    outboundCapacityMsat: capacityMsat,
    nextOutboundHtlcMinimumMsat: 1n,
    ...extra,
  };
}

function hop(pubkey: Uint8Array, shortChannelId: bigint, feeBaseMsat: bigint, feeProportionalMillionths: number, cltvExpiryDelta: number): RouteHintHop {
  return { pubkey, shortChannelId, feeBaseMsat, feeProportionalMillionths, cltvExpiryDelta };
}

function request(extra: Partial<RouteRequest>): RouteRequest {
  return { ourNodeId: US, payeeNodeId: P, amountMsat: 1_000_000n, finalCltvExpiryDelta: 18, bestBlockHeight: HEIGHT, firstHops: [], ...extra };
}

function route(req: RouteRequest): Route {
  const r = findRoute(req);
  if (!r.ok) throw new Error(`no route: ${r.error.code}`);
  return r.route;
}

function refusal(req: RouteRequest): RouteErrorCode {
  const r = findRoute(req);
  if (r.ok) throw new Error('expected no route');
  return r.error.code;
}

describe('BOLT 7 fee formula', () => {
  it('is fee_base_msat + amount * fee_proportional_millionths / 1,000,000, rounded down', () => {
    expect(forwardingFeeMsat({ feeBaseMsat: 1000n, feeProportionalMillionths: 100 }, 1_000_000n)).toBe(1100n);
    // 1,234,567 * 333 / 1e6 = 411.11 -> 411
    expect(forwardingFeeMsat({ feeBaseMsat: 0n, feeProportionalMillionths: 333 }, 1_234_567n)).toBe(411n);
    expect(forwardingFeeMsat({ feeBaseMsat: 7n, feeProportionalMillionths: 0 }, 10n ** 15n)).toBe(7n);
  });
});

describe('a payee that is our peer', () => {
  it('is one hop, no fee, the HTLC expiring at the next block plus the final delta', () => {
    const ch = channel(P, 7, 5_000_000n);
    const r = route(request({ firstHops: [ch] }));
    expect(r.hops).toEqual([{ pubkey: P, shortChannelId: ch.shortChannelId, feeMsat: 0n, cltvExpiryDelta: 18, amountMsat: 1_000_000n, cltvExpiry: HEIGHT + 1 + 18 }]);
    expect(r.totalFeeMsat).toBe(0n);
    expect(r.totalAmountMsat).toBe(1_000_000n);
    expect(r.htlcAmountMsat).toBe(1_000_000n);
    expect(r.htlcCltvExpiry).toBe(HEIGHT + 19);
    expect(r.firstHopChannelId).toEqual(ch.channelId);
  });

  it('takes the channel with the most outbound capacity among those that fit', () => {
    const small = channel(P, 1, 2_000_000n);
    const large = channel(P, 2, 9_000_000n);
    const other = channel(A, 3, 50_000_000n);
    expect(route(request({ firstHops: [small, large, other] })).firstHopChannelId).toEqual(large.channelId);
    expect(route(request({ firstHops: [large, small] })).firstHopChannelId).toEqual(large.channelId);
    // The large one refuses an HTLC below 2,000,000 msat: the small one carries 1,500,000.
    const picky = { ...large, nextOutboundHtlcMinimumMsat: 2_000_000n };
    expect(route(request({ amountMsat: 1_500_000n, firstHops: [picky, small] })).firstHopChannelId).toEqual(small.channelId);
  });

  it('prefers the direct channel (no fee) over a hint through another peer', () => {
    const direct = channel(P, 1, 2_000_000n);
    const viaA = channel(A, 2, 90_000_000n);
    const r = route(request({ firstHops: [viaA, direct], routeHints: [[hop(A, 777n, 1000n, 100, 40)]] }));
    expect(r.firstHopChannelId).toEqual(direct.channelId);
    expect(r.hops).toHaveLength(1);
  });
});

describe('a payee behind one of our peers (a one-hop route hint)', () => {
  it('pays the hint policy: base + amount * ppm / 1e6, and adds its CLTV delta', () => {
    const ch = channel(A, 9, 5_000_000n);
    const r = route(request({ firstHops: [ch], routeHints: [[hop(A, 777n, 1000n, 100, 40)]] }));
    // A forwards 1,000,000 to P over 777 and keeps 1,000 + 1,000,000 * 100 / 1e6 = 1,100.
    expect(r.hops).toEqual([
      { pubkey: A, shortChannelId: ch.shortChannelId, feeMsat: 1100n, cltvExpiryDelta: 40, amountMsat: 1_001_100n, cltvExpiry: HEIGHT + 1 + 18 + 40 },
      { pubkey: P, shortChannelId: 777n, feeMsat: 0n, cltvExpiryDelta: 18, amountMsat: 1_000_000n, cltvExpiry: HEIGHT + 1 + 18 },
    ]);
    expect(r.totalFeeMsat).toBe(1100n);
    expect(r.htlcAmountMsat).toBe(1_001_100n);
    expect(r.htlcCltvExpiry).toBe(HEIGHT + 59);
  });

  it('rounds the proportional fee down', () => {
    const r = route(request({ amountMsat: 1_234_567n, firstHops: [channel(A, 9, 5_000_000n)], routeHints: [[hop(A, 777n, 0n, 333, 6)]] }));
    expect(r.totalFeeMsat).toBe(411n);
    expect(r.htlcAmountMsat).toBe(1_234_978n);
  });

  it('ignores a hint whose entry node is not our peer', () => {
    expect(refusal(request({ firstHops: [channel(A, 9, 5_000_000n)], routeHints: [[hop(X, 777n, 0n, 0, 6)]] }))).toBe(RouteErrorCode.PayeeNotReachable);
  });
});

describe('a hint naming our own node (we are the source of the payee\'s private channel)', () => {
  it('is recognised by an alias of our channel: one hop over that channel, no fee', () => {
    const ch = channel(P, 4, 5_000_000n, { shortChannelId: 0xaaaan, shortChannelIdAliases: [0xbbbbn, 0xccccn] });
    const r = route(request({ firstHops: [ch], routeHints: [[hop(US, 0xccccn, 5000n, 1000, 144)]] }));
    expect(r.hops).toEqual([{ pubkey: P, shortChannelId: 0xaaaan, feeMsat: 0n, cltvExpiryDelta: 18, amountMsat: 1_000_000n, cltvExpiry: HEIGHT + 19 }]);
    expect(r.firstHopChannelId).toEqual(ch.channelId);
  });

  it('continues along the rest of the hint from our channel, charging only the later hops', () => {
    const toA = channel(A, 4, 5_000_000n, { shortChannelId: 0x1111n, shortChannelIdAliases: [0x2222n] });
    const r = route(request({ firstHops: [toA], routeHints: [[hop(X, 0x9999n, 1n, 1, 1), hop(US, 0x2222n, 5000n, 1000, 144), hop(A, 888n, 10n, 0, 20)]] }));
    expect(r.hops.map((h) => [h.shortChannelId, h.feeMsat, h.cltvExpiryDelta])).toEqual([
      [0x1111n, 10n, 20],
      [888n, 0n, 18],
    ]);
    expect(r.htlcCltvExpiry).toBe(HEIGHT + 1 + 18 + 20);
  });

  it('is not a route when the scid names none of our channels, and the hops before our node are never used', () => {
    const ch = channel(A, 4, 5_000_000n);
    // A is our peer, but its hint channel leads to us: a loop, not a way to P.
    expect(refusal(request({ firstHops: [ch], routeHints: [[hop(A, 700n, 0n, 0, 6), hop(US, 0xdeadn, 0n, 0, 6)]] }))).toBe(RouteErrorCode.PayeeNotReachable);
    // A later hop at one of our peers is still an entry.
    expect(route(request({ firstHops: [ch], routeHints: [[hop(US, 0xdeadn, 0n, 0, 6), hop(A, 888n, 0n, 0, 6)]] })).hops.map((h) => h.shortChannelId)).toEqual([ch.shortChannelId, 888n]);
  });
});

describe('a multi-hop hint chain', () => {
  const chain = [hop(A, 801n, 1000n, 1000, 40), hop(B, 802n, 500n, 2000, 30)];

  it('adds each hop\'s fee on the amount it forwards, from the payee back', () => {
    const ch = channel(A, 6, 10_000_000n);
    const r = route(request({ amountMsat: 2_000_000n, firstHops: [ch], routeHints: [chain] }));
    // B forwards 2,000,000: 500 + 2,000,000 * 2000 / 1e6 = 4,500 -> B receives 2,004,500.
    // A forwards 2,004,500: 1000 + 2,004,500 * 1000 / 1e6 = 1000 + 2004 (2004.5 rounded down) = 3,004.
    expect(r.hops).toEqual([
      { pubkey: A, shortChannelId: ch.shortChannelId, feeMsat: 3004n, cltvExpiryDelta: 40, amountMsat: 2_007_504n, cltvExpiry: HEIGHT + 1 + 18 + 30 + 40 },
      { pubkey: B, shortChannelId: 801n, feeMsat: 4500n, cltvExpiryDelta: 30, amountMsat: 2_004_500n, cltvExpiry: HEIGHT + 1 + 18 + 30 },
      { pubkey: P, shortChannelId: 802n, feeMsat: 0n, cltvExpiryDelta: 18, amountMsat: 2_000_000n, cltvExpiry: HEIGHT + 1 + 18 },
    ]);
    expect(r.totalFeeMsat).toBe(7504n);
    expect(r.htlcAmountMsat).toBe(2_007_504n);
  });

  it('enters the chain at the cheapest peer on it', () => {
    const toA = channel(A, 6, 10_000_000n);
    const toB = channel(B, 7, 3_000_000n);
    const r = route(request({ amountMsat: 2_000_000n, firstHops: [toA, toB], routeHints: [chain] }));
    expect(r.firstHopChannelId).toEqual(toB.channelId);
    expect(r.totalFeeMsat).toBe(4500n);
    expect(r.hops.map((h) => h.shortChannelId)).toEqual([toB.shortChannelId, 802n]);
  });
});

describe('refusals', () => {
  it('no usable channel', () => {
    expect(refusal(request({ firstHops: [] }))).toBe(RouteErrorCode.NoChannels);
  });

  it('a payee we have no channel with and no hint for', () => {
    expect(refusal(request({ firstHops: [channel(A, 1, 10n ** 9n)] }))).toBe(RouteErrorCode.PayeeNotReachable);
  });

  it('not enough capacity for the amount plus fees', () => {
    // 1,000,000 fits, 1,001,100 (with A's fee) does not.
    const ch = channel(A, 1, 1_001_099n);
    expect(refusal(request({ firstHops: [ch], routeHints: [[hop(A, 777n, 1000n, 100, 40)]] }))).toBe(RouteErrorCode.InsufficientCapacity);
    expect(route(request({ firstHops: [{ ...ch, outboundCapacityMsat: 1_001_100n }], routeHints: [[hop(A, 777n, 1000n, 100, 40)]] })).htlcAmountMsat).toBe(1_001_100n);
  });

  it('an HTLC below the peer\'s minimum', () => {
    expect(refusal(request({ firstHops: [channel(P, 1, 10n ** 9n, { nextOutboundHtlcMinimumMsat: 1_000_001n })] }))).toBe(RouteErrorCode.BelowHtlcMinimum);
  });

  it('a route locking funds longer than the maximum total CLTV delta (LDK default 1008, final delta included)', () => {
    const ch = channel(P, 1, 10n ** 9n);
    expect(DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA).toBe(1008);
    expect(route(request({ firstHops: [ch], finalCltvExpiryDelta: 1008 })).htlcCltvExpiry).toBe(HEIGHT + 1 + 1008);
    expect(refusal(request({ firstHops: [ch], finalCltvExpiryDelta: 1009 }))).toBe(RouteErrorCode.CltvTooFar);
    const toA = channel(A, 2, 10n ** 9n);
    expect(refusal(request({ firstHops: [toA], finalCltvExpiryDelta: 970, routeHints: [[hop(A, 777n, 0n, 0, 40)]] }))).toBe(RouteErrorCode.CltvTooFar);
    expect(route(request({ firstHops: [toA], finalCltvExpiryDelta: 970, maxTotalCltvExpiryDelta: 2016, routeHints: [[hop(A, 777n, 0n, 0, 40)]] })).hops).toHaveLength(2);
  });

  it('a hint chain longer than 20 hops', () => {
    const long = Array.from({ length: 21 }, (_, i) => hop(i === 0 ? A : nodeId(10 + i), BigInt(900 + i), 0n, 0, 1));
    expect(refusal(request({ firstHops: [channel(A, 1, 10n ** 9n)], routeHints: [long] }))).toBe(RouteErrorCode.RouteTooLong);
  });

  it('excluded channels: a first hop by any of its scids, a hint by its scid', () => {
    const ch = channel(P, 1, 10n ** 9n, { shortChannelIdAliases: [42n] });
    expect(refusal(request({ firstHops: [ch], excludedShortChannelIds: [42n] }))).toBe(RouteErrorCode.NoChannels);
    const toA = channel(A, 2, 10n ** 9n);
    expect(refusal(request({ firstHops: [toA], routeHints: [[hop(A, 777n, 0n, 0, 6)]], excludedShortChannelIds: [777n] }))).toBe(RouteErrorCode.PayeeNotReachable);
  });

  it('bad requests: ourselves as payee, a non-positive amount, a negative delta', () => {
    const ch = channel(P, 1, 10n ** 9n);
    expect(refusal(request({ firstHops: [ch], payeeNodeId: US }))).toBe(RouteErrorCode.PayeeIsSelf);
    expect(refusal(request({ firstHops: [ch], amountMsat: 0n }))).toBe(RouteErrorCode.InvalidRequest);
    expect(refusal(request({ firstHops: [ch], finalCltvExpiryDelta: -1 }))).toBe(RouteErrorCode.InvalidRequest);
    expect(refusal(request({ firstHops: [ch], bestBlockHeight: 1.5 }))).toBe(RouteErrorCode.InvalidRequest);
  });
});

describe('any channels and hints (property)', () => {
  const nodes = [US, A, B, P, X];
  const node = fc.constantFrom(...nodes);
  const scid = fc.bigInt({ min: 1n, max: 40n });
  const firstHop = fc.record({
    channelId: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    counterpartyNodeId: fc.constantFrom(A, B, P, X),
    shortChannelId: scid,
    shortChannelIdAliases: fc.array(scid, { maxLength: 2 }),
    outboundCapacityMsat: fc.bigInt({ min: 0n, max: 10n ** 10n }),
    nextOutboundHtlcMinimumMsat: fc.bigInt({ min: 0n, max: 10n ** 4n }),
  });
  const hintHop = fc.record({
    pubkey: node,
    shortChannelId: scid,
    feeBaseMsat: fc.bigInt({ min: 0n, max: 10n ** 6n }),
    feeProportionalMillionths: fc.integer({ min: 0, max: 1_000_000 }),
    cltvExpiryDelta: fc.integer({ min: 0, max: 600 }),
  });

  it('returns a typed error or a route whose amounts, fees and expiries add up and fit the first hop', () => {
    let routed = 0;
    let multiHop = 0;
    fc.assert(
      fc.property(
        fc.array(firstHop, { maxLength: 4 }),
        fc.array(fc.array(hintHop, { minLength: 1, maxLength: 4 }), { maxLength: 3 }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.integer({ min: 0, max: 600 }),
        (firstHops, routeHints, amountMsat, finalCltvExpiryDelta) => {
          const r = findRoute(request({ firstHops, routeHints, amountMsat, finalCltvExpiryDelta }));
          if (!r.ok) {
            expect(Object.values(RouteErrorCode)).toContain(r.error.code);
            return;
          }
          const { hops } = r.route;
          routed++;
          if (hops.length > 1) multiHop++;
          const last = hops[hops.length - 1]!;
          expect(last.pubkey).toEqual(P);
          expect([last.amountMsat, last.feeMsat, last.cltvExpiry]).toEqual([amountMsat, 0n, HEIGHT + 1 + finalCltvExpiryDelta]);
          for (let i = 0; i + 1 < hops.length; i++) {
            expect(hops[i]!.amountMsat).toBe(hops[i + 1]!.amountMsat + hops[i]!.feeMsat);
            expect(hops[i]!.cltvExpiry).toBe(hops[i + 1]!.cltvExpiry + hops[i]!.cltvExpiryDelta);
          }
          expect(r.route.htlcAmountMsat).toBe(amountMsat + r.route.totalFeeMsat);
          expect(r.route.htlcCltvExpiry - HEIGHT - 1).toBeLessThanOrEqual(DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA);
          const used = firstHops.find((fh) => equalBytes(fh.channelId, r.route.firstHopChannelId) && fh.shortChannelId === hops[0]!.shortChannelId)!;
          expect(used.counterpartyNodeId).toEqual(hops[0]!.pubkey);
          expect(r.route.htlcAmountMsat).toBeLessThanOrEqual(used.outboundCapacityMsat);
          expect(r.route.htlcAmountMsat).toBeGreaterThanOrEqual(used.nextOutboundHtlcMinimumMsat);
        },
      ),
      { numRuns: 300, seed: 15 },
    );
    // The property saw real routes, through hints too.
    expect(routed).toBeGreaterThan(20);
    expect(multiHop).toBeGreaterThan(5);
  });
});
