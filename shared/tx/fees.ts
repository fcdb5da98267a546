/**
 * BOLT 3 Fee Calculation and Trimmed Outputs: commitment and HTLC
 * transaction fees from the expected weights (rounded down), and the
 * per-side dust test for HTLC outputs.
 */
import {
  COMMITMENT_WEIGHT,
  COMMITMENT_WEIGHT_ANCHORS,
  HTLC_OUTPUT_WEIGHT,
  HTLC_SUCCESS_WEIGHT,
  HTLC_SUCCESS_WEIGHT_ANCHORS,
  HTLC_TIMEOUT_WEIGHT,
  HTLC_TIMEOUT_WEIGHT_ANCHORS,
} from './weights.js';

/** The commitment formats this layer builds (BOLT 9 `option_static_remotekey`, `option_anchors`). */
export const ChannelType = {
  /** `option_static_remotekey`: `to_remote` is P2WPKH, HTLC transactions pay their own fee. */
  StaticRemoteKey: 'static-remotekey',
  /** `option_anchors` (zero-fee HTLC transactions): two 330-sat anchors, one-block CSV on `to_remote` and HTLCs. */
  Anchors: 'anchors',
} as const;
export type ChannelType = (typeof ChannelType)[keyof typeof ChannelType];

/** Fee of a weight at a feerate, rounded down (BOLT 3: `feerate_per_kw * weight / 1000`). */
export function feeForWeight(feeratePerKw: bigint, weight: bigint): bigint {
  return (feeratePerKw * weight) / 1000n;
}

/** BOLT 3 Fee Calculation: commitment weight with `untrimmedHtlcs` HTLC outputs. */
export function commitmentWeight(channelType: ChannelType, untrimmedHtlcs: number): bigint {
  return (channelType === ChannelType.Anchors ? COMMITMENT_WEIGHT_ANCHORS : COMMITMENT_WEIGHT) + HTLC_OUTPUT_WEIGHT * BigInt(untrimmedHtlcs);
}

/** BOLT 3 Fee Calculation: the base commitment fee paid by the opener. */
export function commitmentFeeSat(channelType: ChannelType, feeratePerKw: bigint, untrimmedHtlcs: number): bigint {
  return feeForWeight(feeratePerKw, commitmentWeight(channelType, untrimmedHtlcs));
}

/** BOLT 3 Fee Calculation: HTLC-timeout fee (zero with `option_anchors`: the fee comes from added inputs). */
export function htlcTimeoutFeeSat(channelType: ChannelType, feeratePerKw: bigint): bigint {
  return channelType === ChannelType.Anchors ? 0n : feeForWeight(feeratePerKw, HTLC_TIMEOUT_WEIGHT);
}

/** BOLT 3 Fee Calculation: HTLC-success fee (zero with `option_anchors`). */
export function htlcSuccessFeeSat(channelType: ChannelType, feeratePerKw: bigint): bigint {
  return channelType === ChannelType.Anchors ? 0n : feeForWeight(feeratePerKw, HTLC_SUCCESS_WEIGHT);
}

/** Expected weight of an HTLC-timeout (or HTLC-success) transaction for the format. */
export function htlcTransactionWeight(channelType: ChannelType, offered: boolean): bigint {
  const anchors = channelType === ChannelType.Anchors;
  if (offered) return anchors ? HTLC_TIMEOUT_WEIGHT_ANCHORS : HTLC_TIMEOUT_WEIGHT;
  return anchors ? HTLC_SUCCESS_WEIGHT_ANCHORS : HTLC_SUCCESS_WEIGHT;
}

/**
 * BOLT 3 Trimmed Outputs: an offered HTLC is trimmed when its amount (whole
 * satoshi) is below `dust_limit_satoshis` plus the HTLC-timeout fee; a
 * received one when below the limit plus the HTLC-success fee. Each side
 * applies its own dust limit to its own commitment.
 */
export function isHtlcTrimmed(channelType: ChannelType, offered: boolean, amountMsat: bigint, dustLimitSat: bigint, feeratePerKw: bigint): boolean {
  const fee = offered ? htlcTimeoutFeeSat(channelType, feeratePerKw) : htlcSuccessFeeSat(channelType, feeratePerKw);
  return amountMsat / 1000n < dustLimitSat + fee;
}
