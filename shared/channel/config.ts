/**
 * Channel establishment settings (LDK's `ChannelHandshakeConfig` and
 * `ChannelHandshakeLimits`): what we propose for our side of a new channel,
 * and the bounds we accept for the counterparty's side (BOLT 2, "The
 * `open_channel` Message" and "The `accept_channel` Message", receiver
 * requirements).
 */

/** What we propose for our side of a channel. */
export interface ChannelHandshakeConfig {
  /** Confirmations we wait for before `channel_ready` as the fundee (sent in `accept_channel`). */
  readonly minimumDepth: number;
  /** CSV delay (blocks) we impose on the counterparty's `to_local` outputs. */
  readonly ourToSelfDelay: number;
  /** HTLCs we accept at most in flight towards us (BOLT 2: at most 483). */
  readonly ourMaxAcceptedHtlcs: number;
  /** Our `htlc_minimum_msat`. */
  readonly ourHtlcMinimumMsat: bigint;
  /** Our `dust_limit_satoshis` (BOLT 2: at least 354). */
  readonly ourDustLimitSatoshis: bigint;
  /** `max_htlc_value_in_flight_msat` as a percentage (1..100) of the channel value. */
  readonly maxInboundHtlcValueInFlightPercent: number;
  /** Reserve we require of the counterparty, in millionths of the channel value... */
  readonly theirChannelReserveProportionalMillionths: number;
  /** ...but never below this floor (LDK: 1,000 sat), capped at the channel value. */
  readonly minTheirChannelReserveSatoshis: bigint;
  /** `announce_channel` of the channels we open. LDK refuses announced channels unless configured. */
  readonly announceChannel: boolean;
  /** Propose and accept `option_anchors_zero_fee_htlc_tx`. */
  readonly negotiateAnchorsZeroFeeHtlcTx: boolean;
}

/** Bounds on the counterparty's proposal; outside them the channel is refused. */
export interface ChannelHandshakeLimits {
  readonly minFundingSatoshis: bigint;
  /** Largest `to_self_delay` the counterparty may impose on us. */
  readonly theirToSelfDelayMax: number;
  /** Largest `minimum_depth` we wait for as the funder. */
  readonly maxMinimumDepth: number;
  /** Largest `channel_reserve_satoshis` the counterparty may require of us. */
  readonly maxChannelReserveSatoshis: bigint;
  /** Largest `htlc_minimum_msat` we accept. */
  readonly maxHtlcMinimumMsat: bigint;
  /** Smallest `max_htlc_value_in_flight_msat` we accept. */
  readonly minMaxHtlcValueInFlightMsat: bigint;
  /** Smallest `max_accepted_htlcs` we accept (0 makes a useless channel). */
  readonly minMaxAcceptedHtlcs: number;
  /** Largest `dust_limit_satoshis` we accept. */
  readonly maxDustLimitSatoshis: bigint;
  /** Refuse a channel whose `announce_channel` differs from `announceChannel` (LDK's default). */
  readonly forceAnnouncedChannelPreference: boolean;
  /** A counterparty's feerate above this many times our 1-block estimate is refused (non-anchor channels). */
  readonly maxFeerateMultiplier: number;
}

/** Everything the establishment machine is configured with. */
export interface ChannelConfig {
  readonly handshake: ChannelHandshakeConfig;
  readonly limits: ChannelHandshakeLimits;
}

/** BOLT 2: `dust_limit_satoshis` below 354 sat makes a non-standard output possible. */
export const MIN_DUST_LIMIT_SATOSHIS = 354n;
/** BOLT 2: `max_accepted_htlcs` above 483 would make a commitment too large to relay. */
export const MAX_ACCEPTED_HTLCS_LIMIT = 483;
/** BOLT 2: the smallest channel we open or accept. */
export const MIN_CHANNEL_VALUE_SATOSHIS = 1_000n;
/** BOLT 2: without `option_support_large_channel`, `funding_satoshis` < 2^24. */
export const MAX_FUNDING_SATOSHIS_NO_LARGE_CHANNELS = (1n << 24n) - 1n;
/**
 * LDK's `ConfirmationTarget`s that channel establishment asks the fee
 * estimator for, as confirmation targets in blocks (our `FeeEstimator` port
 * takes blocks; LDK leaves the mapping to the estimator, these are
 * ldk-node's defaults). Every estimate is used at no less than
 * {@link FEERATE_FLOOR_PER_KW}.
 */
export const ConfirmationTarget = {
  /** `NonAnchorChannelFee`: the commitment feerate of a new channel without anchors, which must confirm without fee bumping whenever it is broadcast. */
  NonAnchorChannelFee: 12,
  /** `AnchorChannelFee`: an anchor channel's commitment only needs to enter the mempool (it is bumped through its anchor at close), so a low, slow estimate. */
  AnchorChannelFee: 1008,
  /** The slow estimate under half of which a counterparty's feerate is refused (BOLT 2 "too small for timely processing"). */
  MinAllowedRemoteFee: 1008,
  /** `MaximumFeeEstimate`: the fastest estimate, whose multiple bounds a non-anchor counterparty's feerate. */
  MaximumFeeEstimate: 1,
  /** `ChannelCloseMinimum`: the lowest fee of a cooperative close's `fee_range` (ldk-node: 144 blocks). */
  ChannelCloseMinimum: 144,
} as const;
export type ConfirmationTarget = (typeof ConfirmationTarget)[keyof typeof ConfirmationTarget];

/** Bitcoin Core's minimum relay feerate in sat per 1000 weight. */
export const FEERATE_FLOOR_PER_KW = 253;
/** BOLT 2 / LDK: an inbound channel whose funding never confirms is forgotten after this many blocks. */
export const FUNDING_CONF_DEADLINE_BLOCKS = 2016;

/** LDK 0.1's defaults, which are ours. */
export const DEFAULT_CHANNEL_CONFIG: ChannelConfig = {
  handshake: {
    minimumDepth: 6,
    ourToSelfDelay: 144,
    ourMaxAcceptedHtlcs: 50,
    ourHtlcMinimumMsat: 1n,
    ourDustLimitSatoshis: MIN_DUST_LIMIT_SATOSHIS,
    maxInboundHtlcValueInFlightPercent: 10,
    theirChannelReserveProportionalMillionths: 10_000,
    minTheirChannelReserveSatoshis: 1_000n,
    announceChannel: false,
    negotiateAnchorsZeroFeeHtlcTx: false,
  },
  limits: {
    minFundingSatoshis: MIN_CHANNEL_VALUE_SATOSHIS,
    theirToSelfDelayMax: 2016,
    maxMinimumDepth: 144,
    maxChannelReserveSatoshis: (1n << 64n) - 1n,
    maxHtlcMinimumMsat: (1n << 64n) - 1n,
    minMaxHtlcValueInFlightMsat: 0n,
    minMaxAcceptedHtlcs: 1,
    maxDustLimitSatoshis: 546n,
    forceAnnouncedChannelPreference: true,
    maxFeerateMultiplier: 10,
  },
};

/** The reserve we require of the counterparty for a channel of `fundingSatoshis`. */
export function selectedReserveSatoshis(handshake: ChannelHandshakeConfig, fundingSatoshis: bigint): bigint {
  const proportional = (fundingSatoshis * BigInt(handshake.theirChannelReserveProportionalMillionths)) / 1_000_000n;
  const reserve = proportional > handshake.minTheirChannelReserveSatoshis ? proportional : handshake.minTheirChannelReserveSatoshis;
  return reserve < fundingSatoshis ? reserve : fundingSatoshis;
}

/** Our `max_htlc_value_in_flight_msat` for a channel of `fundingSatoshis`. */
export function maxInFlightMsat(handshake: ChannelHandshakeConfig, fundingSatoshis: bigint): bigint {
  return (fundingSatoshis * 1000n * BigInt(handshake.maxInboundHtlcValueInFlightPercent)) / 100n;
}
