/**
 * Dust exposure (LDK 0.1's `max_dust_htlc_exposure`, lightning/src/ln/
 * channel.rs `get_pending_htlc_stats`): an HTLC too small for its own
 * output on a commitment (trimmed, BOLT 3) goes to miners if that
 * commitment is broadcast, so the sum of such HTLCs, and on the
 * counterparty's commitment the part of its fee above what we think a
 * feerate can reach, is money we cannot defend on chain. LDK bounds it per
 * commitment, by default at 10,000 times the feerate of its
 * `MaximumFeeEstimate` (`MaxDustHTLCExposure::FeeRateMultiplier(10_000)`),
 * and so do we (docs/htlcs.md "Dust exposure").
 *
 * HTLCs are measured against dust thresholds raised for a feerate spike
 * (`get_dust_buffer_feerate`: the feerate plus 2,530 sat/kW or 25%,
 * whichever is more), so an HTLC near the limit counts as dust already.
 * On anchor channels the HTLC transactions pay no fee, so only the dust
 * limits count.
 */
import { HTLC_SUCCESS_WEIGHT, HTLC_SUCCESS_WEIGHT_ANCHORS, HTLC_TIMEOUT_WEIGHT, HTLC_OUTPUT_WEIGHT, commitmentFeeSat, feeForWeight } from '../tx/index.js';
import type { FeeEstimator } from '../ports/index.js';
import type { OperatingChannel } from './channel-state.js';
import { commitmentFormat } from './channel-type.js';
import { ConfirmationTarget, FEERATE_FLOOR_PER_KW } from './config.js';
import { OutboundHtlcState } from './htlc.js';

/** LDK 0.1's default `MaxDustHTLCExposure::FeeRateMultiplier`. */
export const DUST_EXPOSURE_FEERATE_MULTIPLIER = 10_000n;

/** LDK's allowance for a feerate spike on the dust thresholds: 10 sat/vbyte (or 25% when more). */
const DUST_BUFFER_FEERATE_STEP_PER_KW = 2_530;

/** The feerate the limit scales with: our `MaximumFeeEstimate`, never below the relay floor (LDK's `get_dust_exposure_limiting_feerate`). */
export function dustExposureLimitingFeerate(estimator: FeeEstimator): number {
  return Math.max(FEERATE_FLOOR_PER_KW, Number(estimator.feeRatePerKw(ConfirmationTarget.MaximumFeeEstimate)));
}

/** The most dust exposure we accept on either commitment (LDK's `get_max_dust_htlc_exposure_msat`). */
export function maxDustHtlcExposureMsat(limitingFeeratePerKw: number, multiplier: bigint = DUST_EXPOSURE_FEERATE_MULTIPLIER): bigint {
  return BigInt(limitingFeeratePerKw) * multiplier;
}

/**
 * The feerate dust is measured at (LDK's `get_dust_buffer_feerate`): the
 * highest of the channel's feerate, a pending `update_fee` and the one we
 * are about to send, plus 2,530 sat/kW or 25%, whichever is more.
 */
export function dustBufferFeerate(channel: Pick<OperatingChannel, 'feeratePerKw' | 'pendingFeeUpdate'>, outboundFeerateUpdate?: number): number {
  let feerate = channel.feeratePerKw;
  if (channel.pendingFeeUpdate !== undefined) feerate = Math.max(feerate, channel.pendingFeeUpdate.feeratePerKw);
  if (outboundFeerateUpdate !== undefined) feerate = Math.max(feerate, outboundFeerateUpdate);
  return Math.max(feerate + DUST_BUFFER_FEERATE_STEP_PER_KW, Math.floor((feerate * 1250) / 1000));
}

/** The HTLC-timeout and HTLC-success fees in sat at `feeratePerKw` as the dust thresholds count them (0 on anchor channels). */
export function htlcDustFeesSat(channel: Pick<OperatingChannel, 'channelType'>, feeratePerKw: number): { timeoutSat: bigint; successSat: bigint } {
  if (channel.channelType.anchors) return { timeoutSat: 0n, successSat: 0n };
  const f = BigInt(feeratePerKw);
  return { timeoutSat: feeForWeight(f, HTLC_TIMEOUT_WEIGHT), successSat: feeForWeight(f, HTLC_SUCCESS_WEIGHT) };
}

/** What LDK's `get_pending_htlc_stats` reports, the parts we use. */
export interface HtlcStats {
  /** Sum of the HTLCs the counterparty offered us, every state. */
  readonly pendingInboundValueMsat: bigint;
  /** Sum of the HTLCs we offered, the holding cell included. */
  readonly pendingOutboundValueMsat: bigint;
  /** Dust HTLCs on our commitment. */
  readonly onHolderTxDustExposureMsat: bigint;
  /** Dust HTLCs on the counterparty's commitment, plus its fee above the limiting feerate. */
  readonly onCounterpartyTxDustExposureMsat: bigint;
}

/**
 * The channel's dust exposure now (LDK 0.1 `get_pending_htlc_stats`, with
 * `outboundFeerateUpdate` the feerate we are about to propose). Every HTLC
 * of `channel.htlcs` counts (LDK keeps an HTLC in its lists until both
 * sides revoked it away), ours in the holding cell too. An HTLC is dust on
 * a commitment below its owner's dust limit plus the HTLC transaction's
 * fee at the buffer feerate: received HTLCs are HTLC-success outputs on
 * ours, HTLC-timeout outputs on theirs; offered ones the other way round.
 * When the commitment feerate is at or above the limiting feerate, the
 * counterparty's commitment also counts its fee (and, without anchors, its
 * non-dust HTLC transactions' fees) at the excess feerate.
 */
export function pendingHtlcStats(channel: OperatingChannel, limitingFeeratePerKw: number, outboundFeerateUpdate?: number): HtlcStats {
  const buffer = htlcDustFeesSat(channel, dustBufferFeerate(channel, outboundFeerateUpdate));
  const holderDust = channel.holder.dustLimitSatoshis;
  const counterpartyDust = channel.counterparty.dustLimitSatoshis;
  let inboundMsat = 0n;
  let outboundMsat = 0n;
  let onHolder = 0n;
  let onCounterparty = 0n;
  let counterpartyOfferedNondust = 0;
  let counterpartyAcceptedNondust = 0;
  for (const h of channel.htlcs ?? []) {
    const sat = h.amountMsat / 1000n;
    if (h.direction === 'received') {
      inboundMsat += h.amountMsat;
      if (sat < counterpartyDust + buffer.timeoutSat) onCounterparty += h.amountMsat;
      else counterpartyOfferedNondust += 1;
      if (sat < holderDust + buffer.successSat) onHolder += h.amountMsat;
    } else {
      outboundMsat += h.amountMsat;
      if (sat < counterpartyDust + buffer.successSat) onCounterparty += h.amountMsat;
      else counterpartyAcceptedNondust += 1;
      if (sat < holderDust + buffer.timeoutSat) onHolder += h.amountMsat;
    }
  }
  const feerate = outboundFeerateUpdate ?? channel.pendingFeeUpdate?.feeratePerKw ?? channel.feeratePerKw;
  if (feerate >= limitingFeeratePerKw) {
    const excess = BigInt(feerate - limitingFeeratePerKw);
    onCounterparty += commitmentFeeSat(commitmentFormat(channel.channelType), excess, counterpartyAcceptedNondust + counterpartyOfferedNondust) * 1000n;
    if (!channel.channelType.anchors) {
      onCounterparty += (BigInt(counterpartyAcceptedNondust) * HTLC_SUCCESS_WEIGHT * excess) / 1000n;
      onCounterparty += (BigInt(counterpartyOfferedNondust) * HTLC_TIMEOUT_WEIGHT * excess) / 1000n;
    }
  }
  return { pendingInboundValueMsat: inboundMsat, pendingOutboundValueMsat: outboundMsat, onHolderTxDustExposureMsat: onHolder, onCounterpartyTxDustExposureMsat: onCounterparty };
}

/**
 * What one more non-dust HTLC of ours adds to the counterparty
 * commitment's fee (LDK's `per_outbound_htlc_counterparty_commit_tx_fee_msat`):
 * its output's weight at `feeratePerKw`, in whole sat; on anchor channels
 * also the HTLC-success weight, which LDK adds in sat to a msat sum (kept
 * as LDK computes it, so both sides agree).
 */
export function perHtlcCounterpartyCommitFeeMsat(channel: Pick<OperatingChannel, 'channelType'>, feeratePerKw: number): bigint {
  const f = BigInt(feeratePerKw);
  const outputMsat = ((HTLC_OUTPUT_WEIGHT * f) / 1000n) * 1000n;
  return channel.channelType.anchors ? outputMsat + (HTLC_SUCCESS_WEIGHT_ANCHORS * f) / 1000n : outputMsat;
}

/** Which commitment's dust exposure is over the limit. */
export type DustExposureBreach = { readonly commitment: 'holder' | 'counterparty'; readonly exposureMsat: bigint; readonly limitMsat: bigint };

/**
 * Whether a feerate change leaves the dust exposure over the limit (LDK's
 * checks in `update_fee` received, with the update pending, and in
 * `send_update_fee`, with `outboundFeerateUpdate` the feerate we would
 * propose). Null when within it.
 */
export function feerateDustExposureBreach(channel: OperatingChannel, estimator: FeeEstimator, outboundFeerateUpdate?: number): DustExposureBreach | null {
  const limiting = dustExposureLimitingFeerate(estimator);
  const stats = pendingHtlcStats(channel, limiting, outboundFeerateUpdate);
  const limitMsat = maxDustHtlcExposureMsat(limiting);
  if (stats.onHolderTxDustExposureMsat > limitMsat) return { commitment: 'holder', exposureMsat: stats.onHolderTxDustExposureMsat, limitMsat };
  if (stats.onCounterpartyTxDustExposureMsat > limitMsat) return { commitment: 'counterparty', exposureMsat: stats.onCounterpartyTxDustExposureMsat, limitMsat };
  return null;
}

/** Our offered HTLCs the counterparty has removed with a fulfill but not yet revoked away: money already theirs (LDK's `removed_outbound_total_msat`). */
export function fulfilledOutboundPendingMsat(channel: OperatingChannel): bigint {
  let sum = 0n;
  for (const h of channel.htlcs ?? []) {
    if (h.direction !== 'offered' || h.resolution?.kind !== 'fulfill') continue;
    if (h.state === OutboundHtlcState.AwaitingRemoteRevokeToRemove || h.state === OutboundHtlcState.AwaitingRemovedRemoteRevoke) sum += h.amountMsat;
  }
  return sum;
}

/** The dust thresholds of an HTLC we offer, in sat (LDK's `get_available_balances`): on their commitment (HTLC-success) and on ours (HTLC-timeout), at the buffer feerate. */
function outboundDustThresholdsSat(channel: OperatingChannel): { onCounterpartySat: bigint; onHolderSat: bigint } {
  const buffer = htlcDustFeesSat(channel, dustBufferFeerate(channel));
  return { onCounterpartySat: channel.counterparty.dustLimitSatoshis + buffer.successSat, onHolderSat: channel.holder.dustLimitSatoshis + buffer.timeoutSat };
}

/**
 * The dust exposure part of LDK 0.1's `get_available_balances` for what we
 * send: given the limit `availableMsat` the other rules leave and the
 * smallest HTLC the peer takes, the limit and minimum our dust exposure
 * leaves. Near the limit only a non-dust HTLC still fits (the minimum rises
 * to the dust threshold) or, when the limit is below the threshold anyway,
 * only what remains below the exposure limit; when one more HTLC output's
 * fee above the limiting feerate would pass it, only dust fits.
 */
export function outboundDustBounds(channel: OperatingChannel, limitingFeeratePerKw: number, availableMsat: bigint, minimumMsat: bigint): { limitMsat: bigint; minimumMsat: bigint } {
  const stats = pendingHtlcStats(channel, limitingFeeratePerKw);
  const maxMsat = maxDustHtlcExposureMsat(limitingFeeratePerKw);
  const { onCounterpartySat, onHolderSat } = outboundDustThresholdsSat(channel);
  let available = availableMsat;
  let minimum = minimumMsat;
  if (channel.feeratePerKw >= limitingFeeratePerKw) {
    const perHtlc = perHtlcCounterpartyCommitFeeMsat(channel, channel.feeratePerKw - limitingFeeratePerKw);
    if (stats.onCounterpartyTxDustExposureMsat + perHtlc > maxMsat) available = available < onCounterpartySat * 1000n ? available : onCounterpartySat * 1000n;
  }
  let remaining: bigint | undefined;
  let dustThresholdMsat = 0n;
  if (stats.onCounterpartyTxDustExposureMsat + onCounterpartySat * 1000n > maxMsat + 1n) {
    remaining = maxMsat > stats.onCounterpartyTxDustExposureMsat ? maxMsat - stats.onCounterpartyTxDustExposureMsat : 0n;
    dustThresholdMsat = onCounterpartySat * 1000n;
  }
  if (stats.onHolderTxDustExposureMsat + onHolderSat * 1000n - 1n > maxMsat) {
    const left = maxMsat > stats.onHolderTxDustExposureMsat ? maxMsat - stats.onHolderTxDustExposureMsat : 0n;
    remaining = remaining === undefined || left < remaining ? left : remaining;
    if (onHolderSat * 1000n > dustThresholdMsat) dustThresholdMsat = onHolderSat * 1000n;
  }
  if (remaining !== undefined) {
    if (available < dustThresholdMsat) available = available < remaining ? available : remaining;
    else if (dustThresholdMsat > minimum) minimum = dustThresholdMsat;
  }
  return { limitMsat: available, minimumMsat: minimum };
}

/**
 * Whether an HTLC of `amountMsat` we offer would take a commitment's dust
 * exposure over our limit (the sending side of the admission check,
 * htlc-admission.ts): as dust on their commitment or ours, or, when not
 * dust on theirs, by its output's fee above the limiting feerate.
 */
export function offeredHtlcDustBreach(channel: OperatingChannel, estimator: FeeEstimator, amountMsat: bigint): DustExposureBreach | null {
  const limiting = dustExposureLimitingFeerate(estimator);
  const stats = pendingHtlcStats(channel, limiting);
  const limitMsat = maxDustHtlcExposureMsat(limiting);
  const { onCounterpartySat, onHolderSat } = outboundDustThresholdsSat(channel);
  const sat = amountMsat / 1000n;
  if (sat < onCounterpartySat) {
    const exposureMsat = stats.onCounterpartyTxDustExposureMsat + amountMsat;
    if (exposureMsat > limitMsat) return { commitment: 'counterparty', exposureMsat, limitMsat };
  } else if (channel.feeratePerKw >= limiting) {
    const exposureMsat = stats.onCounterpartyTxDustExposureMsat + perHtlcCounterpartyCommitFeeMsat(channel, channel.feeratePerKw - limiting);
    if (exposureMsat > limitMsat) return { commitment: 'counterparty', exposureMsat, limitMsat };
  }
  if (sat < onHolderSat) {
    const exposureMsat = stats.onHolderTxDustExposureMsat + amountMsat;
    if (exposureMsat > limitMsat) return { commitment: 'holder', exposureMsat, limitMsat };
  }
  return null;
}
