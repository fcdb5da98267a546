/**
 * Multi-part routes (BOLT 4 basic_mpp, LDK's router with `max_path_count`):
 * a payment no single channel can carry is split over our channels and the
 * invoice's hints, each part within its channel's next-HTLC limit and at or
 * above its minimum, the fee limit over the sum, at most the bounded number
 * of parts; never split without `allowMpp`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import type { RouteHintHop } from '../../shared/invoice/index.js';
import { DEFAULT_MAX_PATH_COUNT, RouteErrorCode, type FirstHop, type Route, type RouteRequest } from '../../shared/manager/index.js';
import { findPaymentRoutes } from '../support/reference-multipath-router.js';

const secp = wasmSecp256k1;
const nodeId = (n: number): Uint8Array => secp.publicKeyFromSecret(new Uint8Array(32).fill(n));
const US = nodeId(1);
const A = nodeId(2);
const P = nodeId(4);
const HEIGHT = 800_000;

function channel(counterparty: Uint8Array, id: number, capacityMsat: bigint, minimumMsat = 1n): FirstHop {
  return {
    channelId: new Uint8Array(32).fill(id),
    counterpartyNodeId: counterparty,
    shortChannelId: BigInt(id) * 1_000_000n,
    outboundCapacityMsat: capacityMsat,
    nextOutboundHtlcMinimumMsat: minimumMsat,
  };
}

function hop(pubkey: Uint8Array, shortChannelId: bigint, feeBaseMsat: bigint, feeProportionalMillionths: number): RouteHintHop {
  return { pubkey, shortChannelId, feeBaseMsat, feeProportionalMillionths, cltvExpiryDelta: 40 };
}

function request(extra: Partial<RouteRequest>): RouteRequest {
  return { ourNodeId: US, payeeNodeId: P, amountMsat: 1_000_000n, finalCltvExpiryDelta: 18, bestBlockHeight: HEIGHT, firstHops: [], allowMpp: true, ...extra };
}

function routes(req: RouteRequest): readonly Route[] {
  const r = findPaymentRoutes(req);
  if (!r.ok) throw new Error(`no routes: ${r.error.code} ${r.error.message}`);
  return r.routes;
}

function refusal(req: RouteRequest): RouteErrorCode {
  const r = findPaymentRoutes(req);
  if (r.ok) throw new Error('expected no routes');
  return r.error.code;
}

const sum = (rs: readonly Route[], f: (r: Route) => bigint): bigint => rs.reduce((s, r) => s + f(r), 0n);

describe('findPaymentRoutes', () => {
  it('takes one route when one channel can carry the payment', () => {
    const rs = routes(request({ amountMsat: 500_000n, firstHops: [channel(P, 1, 600_000n), channel(P, 2, 400_000n)] }));
    expect(rs).toHaveLength(1);
    expect(rs[0]!.htlcAmountMsat).toBe(500_000n);
  });

  it('splits over two channels with the payee when neither can carry it alone, the parts adding up to the amount', () => {
    const rs = routes(request({ amountMsat: 900_000n, firstHops: [channel(P, 1, 600_000n), channel(P, 2, 400_000n)] }));
    expect(rs).toHaveLength(2);
    // The largest channel first, filled to its limit; the rest on the other.
    expect(rs.map((r) => [r.firstHopChannelId[0], r.htlcAmountMsat])).toEqual([
      [1, 600_000n],
      [2, 300_000n],
    ]);
    expect(sum(rs, (r) => r.totalAmountMsat)).toBe(900_000n);
    expect(rs.every((r) => r.totalFeeMsat === 0n)).toBe(true);
  });

  it('does not split without basic_mpp (keysend, or an invoice without the feature)', () => {
    const req = request({ amountMsat: 900_000n, firstHops: [channel(P, 1, 600_000n), channel(P, 2, 400_000n)], allowMpp: false });
    expect(refusal(req)).toBe(RouteErrorCode.InsufficientCapacity);
    const { allowMpp: _flag, ...withoutFlag } = req;
    expect(refusal(withoutFlag)).toBe(RouteErrorCode.InsufficientCapacity);
  });

  it('refuses with insufficient-capacity when the channels together cannot carry it', () => {
    const r = findPaymentRoutes(request({ amountMsat: 1_100_000n, firstHops: [channel(P, 1, 600_000n), channel(P, 2, 400_000n)] }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(RouteErrorCode.InsufficientCapacity);
      expect(r.error.message).toContain('1000000 msat of 1100000');
    }
  });

  it('splits over a direct channel and a hint through another peer, fees counted on the hint part only', () => {
    const hint = [hop(A, 77n, 1_000n, 100)];
    const rs = routes(request({ amountMsat: 900_000n, firstHops: [channel(P, 1, 500_000n), channel(A, 2, 600_000n)], routeHints: [hint] }));
    expect(rs).toHaveLength(2);
    // The free direct channel first, full; the hint part carries the remaining 400,000 to the payee plus A's fee.
    expect(rs[0]!.firstHopChannelId[0]).toBe(1);
    expect(rs[0]!.totalAmountMsat).toBe(500_000n);
    expect(rs[1]!.totalAmountMsat).toBe(400_000n);
    expect(rs[1]!.totalFeeMsat).toBe(1_000n + 40n);
    expect(rs[1]!.htlcAmountMsat).toBe(401_040n);
  });

  it('keeps a hint part with its fees within the channel limit (the payee gets less than the channel carries)', () => {
    const hint = [hop(A, 77n, 1_000n, 0)];
    // Only A's channel: 300,000 carried, 299,000 of it reaches the payee; a second channel to A is the same lane.
    const rs = routes(request({ amountMsat: 500_000n, firstHops: [channel(A, 1, 300_000n), channel(A, 2, 300_000n)], routeHints: [hint] }));
    expect(rs).toHaveLength(2);
    expect(rs[0]!.htlcAmountMsat).toBe(300_000n);
    expect(rs[0]!.totalAmountMsat).toBe(299_000n);
    expect(rs[1]!.totalAmountMsat).toBe(201_000n);
    expect(rs.every((r) => r.htlcAmountMsat <= 300_000n)).toBe(true);
  });

  it('holds the fee limit over the sum of the parts, not each part', () => {
    const hint = [hop(A, 77n, 1_000n, 0)];
    const firstHops = [channel(A, 1, 300_000n), channel(A, 2, 300_000n)];
    // Each part pays 1,000 msat: 2,000 in all.
    expect(routes(request({ amountMsat: 500_000n, firstHops, routeHints: [hint], maxTotalRoutingFeeMsat: 2_000n }))).toHaveLength(2);
    expect(refusal(request({ amountMsat: 500_000n, firstHops, routeHints: [hint], maxTotalRoutingFeeMsat: 1_999n }))).toBe(RouteErrorCode.FeeTooHigh);
  });

  it('gives a remainder below a channel minimum that minimum, taken from the earlier part', () => {
    // 600,000 fits channel 1; the 50,000 left is below channel 2's minimum of 100,000.
    const rs = routes(request({ amountMsat: 650_000n, firstHops: [channel(P, 1, 600_000n), channel(P, 2, 400_000n, 100_000n)] }));
    expect(rs.map((r) => r.htlcAmountMsat)).toEqual([550_000n, 100_000n]);
  });

  it('refuses when every way to carry the remainder is below a minimum', () => {
    expect(refusal(request({ amountMsat: 650_000n, firstHops: [channel(P, 1, 600_000n, 590_000n), channel(P, 2, 400_000n, 100_000n)] }))).toBe(
      RouteErrorCode.InsufficientCapacity,
    );
  });

  it(`never makes more than maxPathCount parts (default ${DEFAULT_MAX_PATH_COUNT})`, () => {
    const firstHops = Array.from({ length: 12 }, (_, i) => channel(P, i + 1, 100_000n));
    expect(routes(request({ amountMsat: 1_000_000n, firstHops }))).toHaveLength(10);
    expect(refusal(request({ amountMsat: 1_100_000n, firstHops }))).toBe(RouteErrorCode.TooManyParts);
    expect(refusal(request({ amountMsat: 300_000n, firstHops, maxPathCount: 2 }))).toBe(RouteErrorCode.TooManyParts);
    expect(routes(request({ amountMsat: 300_000n, firstHops, maxPathCount: 3 }))).toHaveLength(3);
    expect(refusal(request({ amountMsat: 300_000n, firstHops, maxPathCount: 0 }))).toBe(RouteErrorCode.InvalidRequest);
  });

  it('skips excluded channels when splitting', () => {
    const firstHops = [channel(P, 1, 600_000n), channel(P, 2, 400_000n), channel(P, 3, 400_000n)];
    const rs = routes(request({ amountMsat: 700_000n, firstHops, excludedShortChannelIds: [1_000_000n] }));
    expect(rs.map((r) => r.firstHopChannelId[0])).toEqual([2, 3]);
  });

  it('property: parts add up to the amount, each within its channel limit and minimum, each channel once, fees within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cap: fc.bigInt({ min: 0n, max: 2_000_000n }), min: fc.bigInt({ min: 1n, max: 50_000n }), viaHint: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.bigInt({ min: 1n, max: 5_000_000n }),
        fc.option(fc.bigInt({ min: 0n, max: 20_000n }), { nil: undefined }),
        (specs, amountMsat, feeLimit) => {
          const firstHops = specs.map((s, i) => channel(s.viaHint ? A : P, i + 1, s.cap, s.min));
          const hint = [hop(A, 77n, 500n, 1_000)];
          const req = request({ amountMsat, firstHops, routeHints: [hint], ...(feeLimit === undefined ? {} : { maxTotalRoutingFeeMsat: feeLimit }) });
          const r = findPaymentRoutes(req);
          if (!r.ok) return;
          expect(sum(r.routes, (x) => x.totalAmountMsat)).toBe(amountMsat);
          expect(r.routes.length).toBeLessThanOrEqual(DEFAULT_MAX_PATH_COUNT);
          if (feeLimit !== undefined) expect(sum(r.routes, (x) => x.totalFeeMsat)).toBeLessThanOrEqual(feeLimit);
          const ids = r.routes.map((x) => x.firstHopChannelId[0]);
          expect(new Set(ids).size).toBe(ids.length);
          for (const x of r.routes) {
            const fh = firstHops[x.firstHopChannelId[0]! - 1]!;
            expect(x.htlcAmountMsat).toBeLessThanOrEqual(fh.outboundCapacityMsat);
            expect(x.htlcAmountMsat).toBeGreaterThanOrEqual(fh.nextOutboundHtlcMinimumMsat);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
