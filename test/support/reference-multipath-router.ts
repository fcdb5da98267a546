/**
 * The multi-part side of the reference router (test support, see
 * reference-router.ts). Routes for a whole payment, split in parts when one path cannot carry it
 * (BOLT 4 "basic multi-part payments", LDK's router with `max_path_count`):
 * first the single route {@link findRoute} would take; failing that for
 * capacity, and only for a payee that accepts parts (the invoice's
 * `basic_mpp`, with a payment secret), the amount is spread over several of
 * our channels and the invoice's hints.
 *
 * Each part is a route of its own whose payee amount adds up to the total;
 * the payee learns the total from `payment_data` (outbound-onion.ts). A
 * part's HTLC stays within its first hop's `next_outbound_htlc_limit_msat`
 * and at or above its `next_outbound_htlc_minimum_msat` (for a channel with
 * the payee, the payee's `htlc_minimum_msat`); the fee limit holds for the
 * sum of the parts' fees; each first-hop channel carries at most one new
 * part. Pure: no clock, no randomness.
 */
import { toHex } from '../../shared/crypto/index.js';
import { DEFAULT_MAX_PATH_COUNT, RouteErrorCode, type PaymentRoutesResult, type Route, type RouteRequest } from '../../shared/routing/index.js';
import { findRoute, priceCandidate, routeCandidates, routeErrorMessage, type Candidate } from './reference-router.js';


/** One candidate path with the range of payee amounts it can carry. */
interface Lane {
  readonly candidate: Candidate;
  /** Largest payee amount whose HTLC (amount plus fees) fits the first hop now. */
  readonly maxMsat: bigint;
  /** Smallest payee amount whose HTLC reaches the first hop's minimum. */
  readonly minMsat: bigint;
  /** Fees for a part of `maxMsat` (orders lanes, cheapest per msat first). */
  readonly feeAtMaxMsat: bigint;
}

/** `req` for one part: its amount, and no per-part fee limit (the limit holds for the sum). */
function partRequest(req: RouteRequest, amountMsat: bigint): RouteRequest {
  const { maxTotalRoutingFeeMsat: _sum, ...rest } = req;
  return { ...rest, amountMsat };
}

/** The smallest `a` in [lo, hi] with `pred(a)` (pred monotone: false then true), or undefined. */
function lowestTrue(lo: bigint, hi: bigint, pred: (a: bigint) => boolean): bigint | undefined {
  if (lo > hi || !pred(hi)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (pred(mid)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/** The lane of a candidate, or the reason it carries nothing (CLTV, length, capacity below the minimum). */
function laneOf(c: Candidate, req: RouteRequest, maxDelta: number): Lane | RouteErrorCode {
  const probe = priceCandidate(c, partRequest(req, 1n), maxDelta);
  if (!probe.ok && probe.code !== RouteErrorCode.InsufficientCapacity && probe.code !== RouteErrorCode.BelowHtlcMinimum) return probe.code;
  const cap = c.firstHop.outboundCapacityMsat;
  const amountOf = (a: bigint): bigint => a + feesUpTo(c, a);
  // The HTLC grows with the payee amount: the largest amount that fits is one below the first that does not.
  const firstOver = lowestTrue(1n, cap + 1n, (a) => amountOf(a) > cap);
  const maxMsat = firstOver === undefined ? cap : firstOver - 1n;
  if (maxMsat <= 0n) return RouteErrorCode.InsufficientCapacity;
  const minMsat = lowestTrue(1n, maxMsat, (a) => amountOf(a) >= c.firstHop.nextOutboundHtlcMinimumMsat);
  if (minMsat === undefined) return RouteErrorCode.BelowHtlcMinimum;
  return { candidate: c, maxMsat, minMsat, feeAtMaxMsat: amountOf(maxMsat) - maxMsat };
}

/** The fees of a candidate's legs for a payee amount (BOLT 7, from the payee back), without the capacity checks. */
function feesUpTo(c: Candidate, amountMsat: bigint): bigint {
  let amount = amountMsat;
  for (let i = c.legs.length - 1; i >= 1; i--) {
    const p = c.legs[i]!.policy!;
    amount += p.feeBaseMsat + (amount * BigInt(p.feeProportionalMillionths)) / 1_000_000n;
  }
  return amount - amountMsat;
}

/**
 * The routes for `req.amountMsat`: one route when one fits; else, with
 * `req.allowMpp`, at most `req.maxPathCount` parts (default 10), cheapest
 * lanes per msat first and the largest first among equals, each first-hop
 * channel once. A remainder below every unused lane's minimum is made up by
 * taking from earlier parts (each kept at or above its own minimum). Errors:
 * the single route's own when splitting cannot help (no MPP, CLTV, hops,
 * unreachable), `insufficient-capacity` when the lanes together cannot carry
 * the amount, `too-many-parts`, `fee-too-high` for the parts' fees together.
 */
export function findPaymentRoutes(req: RouteRequest): PaymentRoutesResult {
  const single = findRoute(req);
  if (single.ok) return { ok: true, routes: [single.route] };
  if (req.allowMpp !== true || single.error.code !== RouteErrorCode.InsufficientCapacity) return single;
  const found = routeCandidates(req);
  if (!found.ok) return found;
  const { candidates, maxDelta } = found;
  const maxParts = req.maxPathCount ?? DEFAULT_MAX_PATH_COUNT;
  const fail = (code: RouteErrorCode, message?: string): PaymentRoutesResult => ({ ok: false, error: { code, message: message ?? routeErrorMessage(code, req, maxDelta) } });
  if (!Number.isSafeInteger(maxParts) || maxParts < 1) return fail(RouteErrorCode.InvalidRequest, 'maxPathCount must be a positive integer');

  const lanes = candidates.map((c) => laneOf(c, req, maxDelta)).filter((l): l is Lane => typeof l !== 'string');
  // Cheapest per msat first (fee/max compared by cross-multiplying), then the most capacity.
  lanes.sort((a, b) => {
    const x = a.feeAtMaxMsat * b.maxMsat;
    const y = b.feeAtMaxMsat * a.maxMsat;
    if (x !== y) return x < y ? -1 : 1;
    return a.maxMsat === b.maxMsat ? 0 : a.maxMsat > b.maxMsat ? -1 : 1;
  });

  const parts: { lane: Lane; amountMsat: bigint }[] = [];
  const used = new Set<string>();
  let remaining = req.amountMsat;
  for (const lane of lanes) {
    if (remaining === 0n) break;
    const channel = toHex(lane.candidate.firstHop.channelId);
    if (used.has(channel)) continue;
    const amount = remaining < lane.maxMsat ? remaining : lane.maxMsat;
    if (amount < lane.minMsat) continue;
    parts.push({ lane, amountMsat: amount });
    used.add(channel);
    remaining -= amount;
  }
  if (remaining > 0n) {
    // A remainder too small for any unused lane: give that lane its minimum, taken from earlier parts' slack.
    for (const lane of lanes) {
      const channel = toHex(lane.candidate.firstHop.channelId);
      if (used.has(channel) || lane.minMsat <= remaining) continue;
      let need = lane.minMsat - remaining;
      const slack = parts.reduce((s, p) => s + (p.amountMsat - p.lane.minMsat), 0n);
      if (slack < need) continue;
      for (let i = parts.length - 1; i >= 0 && need > 0n; i--) {
        const p = parts[i]!;
        const take = p.amountMsat - p.lane.minMsat < need ? p.amountMsat - p.lane.minMsat : need;
        parts[i] = { lane: p.lane, amountMsat: p.amountMsat - take };
        need -= take;
      }
      parts.push({ lane, amountMsat: lane.minMsat });
      used.add(channel);
      remaining = 0n;
      break;
    }
  }
  if (remaining > 0n) {
    const carried = req.amountMsat - remaining;
    return fail(RouteErrorCode.InsufficientCapacity, `our channels together can carry ${carried} msat of ${req.amountMsat} msat now`);
  }
  if (parts.length > maxParts) return fail(RouteErrorCode.TooManyParts);

  const routes: Route[] = [];
  for (const p of parts) {
    const priced = priceCandidate(p.lane.candidate, partRequest(req, p.amountMsat), maxDelta);
    // Each amount lies within its lane's range, so it prices; a failure here is a broken invariant of this module.
    if (!priced.ok) return fail(priced.code);
    routes.push(priced.route);
  }
  const totalFee = routes.reduce((s, r) => s + r.totalFeeMsat, 0n);
  if (req.maxTotalRoutingFeeMsat !== undefined && totalFee > req.maxTotalRoutingFeeMsat) {
    return fail(RouteErrorCode.FeeTooHigh, `the parts' fees add up to ${totalFee} msat, over the limit of ${req.maxTotalRoutingFeeMsat} msat`);
  }
  return { ok: true, routes };
}
