/**
 * The router payments used before the graph router (test support since
 * session 10, not product code): a route from us to a payee without a
 * gossip graph (LDK's `find_route` reduced to what we know): our own usable
 * channels (the first hops) and the invoice's private route hints (BOLT 11
 * `r`). Fees follow BOLT 7 (`fee_base_msat + amount_to_forward *
 * fee_proportional_millionths / 1,000,000`, rounded down) and CLTV deltas add
 * up from the payee back to us (BOLT 4 "Payload for the Last Node", BOLT 7
 * "Recommendations for Routing"). It is the oracle of the parity test
 * (test/routing/manager-parity.test.ts: shared/routing finds whatever this
 * finds, never at a higher fee) and builds routes for tests of the onion and
 * the payment records. Types and limits are shared/routing's. Pure.
 */
import { equalBytes } from '../../shared/codec/index.js';
import type { RouteHint, RouteHintHop } from '../../shared/invoice/index.js';
import {
  DEFAULT_MAX_PATH_COUNT,
  DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA,
  MAX_ROUTE_HOPS,
  RouteErrorCode,
  type FirstHop,
  type Route,
  type RouteError,
  type RouteHop,
  type RouteRequest,
  type RouteResult,
} from '../../shared/routing/index.js';

/** BOLT 7 fee for forwarding `amountToForwardMsat` under a channel's policy (integer division, rounded down). */
export function forwardingFeeMsat(policy: Pick<RouteHintHop, 'feeBaseMsat' | 'feeProportionalMillionths'>, amountToForwardMsat: bigint): bigint {
  return policy.feeBaseMsat + (amountToForwardMsat * BigInt(policy.feeProportionalMillionths)) / 1_000_000n;
}

/** A path before amounts: the nodes past our first hop, each with the policy of the channel that enters it. */
interface Leg {
  /** Channel entering `pubkey`. */
  readonly shortChannelId: bigint;
  readonly pubkey: Uint8Array;
  /** Policy of that channel, set by the node before `pubkey` (undefined for our own first hop: we charge ourselves nothing). */
  readonly policy?: RouteHintHop;
}

/** A path to the payee before amounts: our first hop, then the legs past it. */
export interface Candidate {
  readonly firstHop: FirstHop;
  /** legs[0] is entered over the first hop's channel. */
  readonly legs: readonly Leg[];
}

function scidsOf(hop: FirstHop): readonly bigint[] {
  return [hop.shortChannelId, ...(hop.shortChannelIdAliases ?? [])];
}

/** Candidate paths from one hint: entered at any hint node that is our peer, or at our own node's channel. */
function hintCandidates(hint: RouteHint, payee: Uint8Array, ourNodeId: Uint8Array, firstHops: readonly FirstHop[]): Candidate[] {
  const out: Candidate[] = [];
  const nodeAfter = (j: number): Uint8Array => (j + 1 < hint.length ? hint[j + 1]!.pubkey : payee);
  // legs from hint hop j onwards: the channel of hop j enters nodeAfter(j), charged by hop j's policy.
  const legsFrom = (j: number): Leg[] =>
    hint.slice(j).map((h, k) => ({ shortChannelId: h.shortChannelId, pubkey: nodeAfter(j + k), policy: h }));
  for (let j = hint.length - 1; j >= 0; j--) {
    const source = hint[j]!.pubkey;
    if (equalBytes(source, ourNodeId)) {
      // The payee described our own channel (LDK writes the hint this way when we are its source):
      // hop j is our channel, entered at no fee.
      const scid = hint[j]!.shortChannelId;
      const target = nodeAfter(j);
      for (const fh of firstHops) {
        if (scidsOf(fh).includes(scid) && equalBytes(fh.counterpartyNodeId, target)) {
          out.push({ firstHop: fh, legs: [{ shortChannelId: fh.shortChannelId, pubkey: target }, ...legsFrom(j + 1)] });
        }
      }
      // Nothing before our own node in the hint can help us.
      break;
    }
    for (const fh of firstHops) {
      if (equalBytes(fh.counterpartyNodeId, source)) {
        out.push({ firstHop: fh, legs: [{ shortChannelId: fh.shortChannelId, pubkey: source }, ...legsFrom(j)] });
      }
    }
  }
  return out;
}

/** A priced route for `req.amountMsat` over `c`, or why this candidate does not fit. */
export function priceCandidate(c: Candidate, req: RouteRequest, maxDelta: number): { ok: true; route: Route } | { ok: false; code: RouteErrorCode } {
  if (c.legs.length > MAX_ROUTE_HOPS) return { ok: false, code: RouteErrorCode.RouteTooLong };
  // The HTLC counts from the next block, the earliest it can be committed (as LDK does).
  const startHeight = req.bestBlockHeight + 1;
  const n = c.legs.length;
  const hops: RouteHop[] = new Array<RouteHop>(n);
  let amount = req.amountMsat;
  let cltv = startHeight + req.finalCltvExpiryDelta;
  let totalFee = 0n;
  for (let i = n - 1; i >= 0; i--) {
    const leg = c.legs[i]!;
    // The node at the end of leg i forwards over leg i+1 under that leg's policy.
    const next = c.legs[i + 1];
    let fee = 0n;
    let delta = req.finalCltvExpiryDelta;
    if (next !== undefined) {
      const policy = next.policy!;
      fee = forwardingFeeMsat(policy, hops[i + 1]!.amountMsat);
      delta = policy.cltvExpiryDelta;
      amount = hops[i + 1]!.amountMsat + fee;
      cltv = hops[i + 1]!.cltvExpiry + delta;
      totalFee += fee;
    }
    hops[i] = { pubkey: leg.pubkey, shortChannelId: leg.shortChannelId, feeMsat: fee, cltvExpiryDelta: delta, amountMsat: amount, cltvExpiry: cltv };
  }
  const first = hops[0]!;
  // The limit is on the deltas (the payee's final one included), as LDK's `max_total_cltv_expiry_delta`.
  if (first.cltvExpiry - startHeight > maxDelta) return { ok: false, code: RouteErrorCode.CltvTooFar };
  if (first.amountMsat > c.firstHop.outboundCapacityMsat) return { ok: false, code: RouteErrorCode.InsufficientCapacity };
  if (first.amountMsat < c.firstHop.nextOutboundHtlcMinimumMsat) return { ok: false, code: RouteErrorCode.BelowHtlcMinimum };
  if (req.maxTotalRoutingFeeMsat !== undefined && totalFee > req.maxTotalRoutingFeeMsat) return { ok: false, code: RouteErrorCode.FeeTooHigh };
  return {
    ok: true,
    route: {
      hops,
      totalAmountMsat: req.amountMsat,
      totalFeeMsat: totalFee,
      firstHopChannelId: c.firstHop.channelId,
      htlcAmountMsat: first.amountMsat,
      htlcCltvExpiry: first.cltvExpiry,
    },
  };
}

const ERROR_ORDER: readonly RouteErrorCode[] = [
  RouteErrorCode.InsufficientCapacity,
  RouteErrorCode.BelowHtlcMinimum,
  RouteErrorCode.CltvTooFar,
  RouteErrorCode.RouteTooLong,
  RouteErrorCode.FeeTooHigh,
];

const isBlockCount = (x: number): boolean => Number.isSafeInteger(x) && x >= 0 && x <= 0xffffffff;

/**
 * The candidate paths of `req` (a channel with the payee, a hint entered at
 * a peer or at our node), without the channels it excludes; or why there is
 * none. Shared by {@link findRoute} and the multi-part router.
 */
export function routeCandidates(req: RouteRequest): { ok: true; candidates: Candidate[]; maxDelta: number } | { ok: false; error: RouteError } {
  const fail = (code: RouteErrorCode, message: string) => ({ ok: false as const, error: { code, message } });
  const maxDelta = req.maxTotalCltvExpiryDelta ?? DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA;
  if (req.amountMsat <= 0n) return fail(RouteErrorCode.InvalidRequest, `amount ${req.amountMsat} msat is not positive`);
  if (!isBlockCount(req.finalCltvExpiryDelta) || !isBlockCount(req.bestBlockHeight) || !isBlockCount(maxDelta)) {
    return fail(RouteErrorCode.InvalidRequest, 'a CLTV delta or block height is not a block count');
  }
  if (equalBytes(req.payeeNodeId, req.ourNodeId)) return fail(RouteErrorCode.PayeeIsSelf, 'we are the payee');
  const excluded = new Set(req.excludedShortChannelIds ?? []);
  const firstHops = req.firstHops.filter((fh) => !scidsOf(fh).some((s) => excluded.has(s)));
  if (firstHops.length === 0) return fail(RouteErrorCode.NoChannels, 'no usable channel');

  const candidates: Candidate[] = firstHops
    .filter((fh) => equalBytes(fh.counterpartyNodeId, req.payeeNodeId))
    .map((fh) => ({ firstHop: fh, legs: [{ shortChannelId: fh.shortChannelId, pubkey: req.payeeNodeId }] }));
  for (const hint of req.routeHints ?? []) {
    if (hint.length === 0 || hint.some((h) => excluded.has(h.shortChannelId))) continue;
    candidates.push(...hintCandidates(hint, req.payeeNodeId, req.ourNodeId, firstHops));
  }
  if (candidates.length === 0) return fail(RouteErrorCode.PayeeNotReachable, 'no channel with the payee and no route hint starting at one of our peers');
  return { ok: true, candidates, maxDelta };
}

/**
 * Finds a route: a channel with the payee (one hop, no fee), else through a
 * route hint entered at one of our peers (or at our own node, when the payee
 * described our channel to it). Among routes that fit, the cheapest wins,
 * then the first hop with the most outbound capacity. Returns a
 * {@link RouteError} (never throws) when none fits.
 */
export function findRoute(req: RouteRequest): RouteResult {
  const fail = (code: RouteErrorCode, message: string): RouteResult => ({ ok: false, error: { code, message } });
  const found = routeCandidates(req);
  if (!found.ok) return found;
  const { candidates, maxDelta } = found;
  let best: Route | undefined;
  let bestCapacity = 0n;
  const seen = new Set<RouteErrorCode>();
  for (const c of candidates) {
    const priced = priceCandidate(c, req, maxDelta);
    if (!priced.ok) {
      seen.add(priced.code);
      continue;
    }
    const r = priced.route;
    const better =
      best === undefined ||
      r.totalFeeMsat < best.totalFeeMsat ||
      (r.totalFeeMsat === best.totalFeeMsat && c.firstHop.outboundCapacityMsat > bestCapacity);
    if (better) {
      best = r;
      bestCapacity = c.firstHop.outboundCapacityMsat;
    }
  }
  if (best !== undefined) return { ok: true, route: best };
  const code = firstError(seen);
  return fail(code, routeErrorMessage(code, req, maxDelta));
}

/** The most telling of the codes seen (capacity first). */
export function firstError(seen: ReadonlySet<RouteErrorCode>): RouteErrorCode {
  return ERROR_ORDER.find((e) => seen.has(e)) ?? RouteErrorCode.InsufficientCapacity;
}

/** The text of a pricing failure. */
export function routeErrorMessage(code: RouteErrorCode, req: RouteRequest, maxDelta: number): string {
  const messages: Record<string, string> = {
    [RouteErrorCode.InsufficientCapacity]: 'no channel can carry the amount plus fees',
    [RouteErrorCode.BelowHtlcMinimum]: 'the HTLC would be below the channel minimum',
    [RouteErrorCode.CltvTooFar]: `the route locks funds for more than ${maxDelta} blocks`,
    [RouteErrorCode.RouteTooLong]: `the route has more than ${MAX_ROUTE_HOPS} hops`,
    [RouteErrorCode.FeeTooHigh]: `every route's fees exceed the limit of ${req.maxTotalRoutingFeeMsat ?? 0n} msat`,
    [RouteErrorCode.TooManyParts]: `the amount needs more than ${req.maxPathCount ?? DEFAULT_MAX_PATH_COUNT} parts`,
  };
  return messages[code] ?? code;
}
