/**
 * What the router is asked and what it answers (the manager's payment
 * records and onions are built from these shapes). A route is a list of hops from our first peer
 * to the payee; fees follow BOLT 7 (`fee_base_msat + amount_to_forward ×
 * fee_proportional_millionths / 1,000,000`, rounded down) and CLTV deltas add
 * up from the payee back to us (BOLT 4 "Payload for the Last Node", BOLT 7
 * "Recommendations for Routing").
 */
import type { RouteHint } from '../invoice/index.js';

/** LDK's `DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA`: the most blocks our funds may be locked by one HTLC (one week). */
export const DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA = 1008;

/** BOLT 4: at most 20 hops fit in an onion of legacy-sized payloads. */
export const MAX_ROUTE_HOPS = 20;

/** LDK's `DEFAULT_MAX_PATH_COUNT`: the most parts a multi-part payment is split into. */
export const DEFAULT_MAX_PATH_COUNT = 10;

/** One of our channels that can carry an HTLC now (LDK's `ChannelDetails` as the router reads it). */
export interface FirstHop {
  readonly channelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  /** The scid to put in the onion: the real one or the peer's alias for it. */
  readonly shortChannelId: bigint;
  /** Other scids naming this channel (how a hint about our own channel, or an exclusion, is recognised). */
  readonly shortChannelIdAliases?: readonly bigint[];
  /** The largest HTLC we can add now (LDK's `next_outbound_htlc_limit_msat`). */
  readonly outboundCapacityMsat: bigint;
  /** The smallest HTLC the peer accepts (LDK's `next_outbound_htlc_minimum_msat`). */
  readonly nextOutboundHtlcMinimumMsat: bigint;
}

/** One hop of a route: the node reached over `shortChannelId`, the HTLC arriving at it, what it keeps to forward onwards. */
export interface RouteHop {
  readonly pubkey: Uint8Array;
  readonly shortChannelId: bigint;
  /** Fee `pubkey` keeps for forwarding to the next hop (0 at the payee). */
  readonly feeMsat: bigint;
  /** Blocks `pubkey` keeps between its incoming and outgoing HTLC (at the payee: the final delta). */
  readonly cltvExpiryDelta: number;
  /** Amount of the HTLC arriving at `pubkey`. */
  readonly amountMsat: bigint;
  /** Absolute expiry of the HTLC arriving at `pubkey`. */
  readonly cltvExpiry: number;
}

/** A route (one part of a payment): the HTLC on the first hop's channel carries `htlcAmountMsat` until `htlcCltvExpiry`. */
export interface Route {
  readonly hops: readonly RouteHop[];
  /** What the payee receives over this route. */
  readonly totalAmountMsat: bigint;
  /** Sum of the intermediate nodes' fees. */
  readonly totalFeeMsat: bigint;
  readonly firstHopChannelId: Uint8Array;
  readonly htlcAmountMsat: bigint;
  readonly htlcCltvExpiry: number;
}

/** What routes are asked for (the manager's `RouteRequest`). */
export interface RouteRequest {
  readonly ourNodeId: Uint8Array;
  readonly payeeNodeId: Uint8Array;
  readonly amountMsat: bigint;
  /** The invoice's `min_final_cltv_expiry_delta`. */
  readonly finalCltvExpiryDelta: number;
  readonly bestBlockHeight: number;
  /** Our usable channels: the only way out of our node (our channels in the graph are ignored, as LDK does). */
  readonly firstHops: readonly FirstHop[];
  /** The invoice's private routes (BOLT 11 `r`). */
  readonly routeHints?: readonly RouteHint[];
  /** Defaults to {@link DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA}. */
  readonly maxTotalCltvExpiryDelta?: number;
  /** Channels not to use (failed in an earlier attempt): first hops by any of their scids, graph and hint channels. */
  readonly excludedShortChannelIds?: readonly bigint[];
  /** Routes whose fees add up to more are refused. */
  readonly maxTotalRoutingFeeMsat?: bigint;
  /** The payee accepts several parts (`basic_mpp` with a payment secret). */
  readonly allowMpp?: boolean;
  /** At most this many parts (default {@link DEFAULT_MAX_PATH_COUNT}). */
  readonly maxPathCount?: number;
}

/** Why no route was found (the manager's codes, same strings). */
export const RouteErrorCode = {
  InvalidRequest: 'invalid-request',
  PayeeIsSelf: 'payee-is-self',
  NoChannels: 'no-channels',
  /** No path at all joins us to the payee (graph, hints, first hops), whatever the amount. */
  PayeeNotReachable: 'payee-not-reachable',
  /** Paths exist, but none (nor parts over several) can carry the amount plus fees. */
  InsufficientCapacity: 'insufficient-capacity',
  BelowHtlcMinimum: 'below-htlc-minimum',
  CltvTooFar: 'cltv-too-far',
  RouteTooLong: 'route-too-long',
  FeeTooHigh: 'fee-too-high',
  TooManyParts: 'too-many-parts',
} as const;
export type RouteErrorCode = (typeof RouteErrorCode)[keyof typeof RouteErrorCode];

export interface RouteError {
  readonly code: RouteErrorCode;
  readonly message: string;
}

export type RouteResult = { readonly ok: true; readonly route: Route } | { readonly ok: false; readonly error: RouteError };
export type PaymentRoutesResult = { readonly ok: true; readonly routes: readonly Route[] } | { readonly ok: false; readonly error: RouteError };
