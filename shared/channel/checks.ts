/**
 * The receiver's checks of `open_channel` and `accept_channel` (BOLT 2,
 * "The `open_channel` Message" and "The `accept_channel` Message",
 * requirements on the receiving node), each failing with its own reason.
 */
import type { Secp256k1 } from '../crypto/index.js';
import type { FeeEstimator } from '../ports/index.js';
import { ANCHOR_OUTPUT_SAT, commitmentFeeSat } from '../tx/index.js';
import type { AcceptChannelMessage, OpenChannelMessage } from '../wire/index.js';
import type { ChannelParameters } from './channel-state.js';
import { commitmentFormat, type NegotiatedChannelType } from './channel-type.js';
import type { ChannelConfig } from './config.js';
import { ConfirmationTarget, FEERATE_FLOOR_PER_KW, MAX_ACCEPTED_HTLCS_LIMIT, MIN_DUST_LIMIT_SATOSHIS } from './config.js';
import type { ChannelFailure } from './effects.js';
import { ChannelFailureReason as R, type ChannelFailureReason } from './errors.js';

function fail(reason: ChannelFailureReason, message: string): ChannelFailure {
  return { reason, message };
}

/** The six points of `open_channel` / `accept_channel`, by field name. */
type PointFields = Pick<
  OpenChannelMessage,
  'fundingPubkey' | 'revocationBasepoint' | 'paymentBasepoint' | 'delayedPaymentBasepoint' | 'htlcBasepoint' | 'firstPerCommitmentPoint'
>;

/** BOLT 2: every key MUST be a valid compressed secp256k1 point. */
export function checkPoints(secp: Secp256k1, m: PointFields): ChannelFailure | null {
  const fields = ['fundingPubkey', 'revocationBasepoint', 'paymentBasepoint', 'delayedPaymentBasepoint', 'htlcBasepoint', 'firstPerCommitmentPoint'] as const;
  for (const f of fields) {
    if (!secp.isValidPublicKey(m[f])) return fail(R.InvalidPoint, `${f} is not a valid secp256k1 point`);
  }
  return null;
}

/**
 * The counterparty's parameters against our limits and our own parameters
 * (the checks `open_channel` and `accept_channel` share).
 */
export function checkCounterpartyParameters(
  config: ChannelConfig,
  fundingSatoshis: bigint,
  theirs: ChannelParameters,
  ours: ChannelParameters,
): ChannelFailure | null {
  const l = config.limits;
  if (theirs.toSelfDelay > l.theirToSelfDelayMax) {
    return fail(R.ToSelfDelayTooLarge, `to_self_delay ${theirs.toSelfDelay} is above our maximum ${l.theirToSelfDelayMax}`);
  }
  if (theirs.maxAcceptedHtlcs > MAX_ACCEPTED_HTLCS_LIMIT) {
    return fail(R.MaxAcceptedHtlcsTooLarge, `max_accepted_htlcs ${theirs.maxAcceptedHtlcs} is above ${MAX_ACCEPTED_HTLCS_LIMIT}`);
  }
  if (theirs.maxAcceptedHtlcs < l.minMaxAcceptedHtlcs) {
    return fail(R.MaxAcceptedHtlcsTooSmall, `max_accepted_htlcs ${theirs.maxAcceptedHtlcs} is below ${l.minMaxAcceptedHtlcs}`);
  }
  if (theirs.dustLimitSatoshis < MIN_DUST_LIMIT_SATOSHIS) {
    return fail(R.DustLimitTooSmall, `dust_limit_satoshis ${theirs.dustLimitSatoshis} is below ${MIN_DUST_LIMIT_SATOSHIS}`);
  }
  if (theirs.dustLimitSatoshis > l.maxDustLimitSatoshis) {
    return fail(R.DustLimitTooLarge, `dust_limit_satoshis ${theirs.dustLimitSatoshis} is above ${l.maxDustLimitSatoshis}`);
  }
  if (theirs.channelReserveSatoshis > fundingSatoshis) {
    return fail(R.ReserveAboveChannelValue, `channel_reserve_satoshis ${theirs.channelReserveSatoshis} is above the channel value ${fundingSatoshis}`);
  }
  if (theirs.channelReserveSatoshis > l.maxChannelReserveSatoshis) {
    return fail(R.ReserveTooLarge, `channel_reserve_satoshis ${theirs.channelReserveSatoshis} is above our maximum ${l.maxChannelReserveSatoshis}`);
  }
  if (theirs.channelReserveSatoshis + ours.channelReserveSatoshis > fundingSatoshis) {
    return fail(R.ReserveTooLarge, `the two reserves (${theirs.channelReserveSatoshis} + ${ours.channelReserveSatoshis}) exceed the channel value`);
  }
  if (theirs.channelReserveSatoshis < ours.dustLimitSatoshis) {
    return fail(R.ReserveBelowOurDustLimit, `channel_reserve_satoshis ${theirs.channelReserveSatoshis} is below our dust limit ${ours.dustLimitSatoshis}`);
  }
  if (ours.channelReserveSatoshis < theirs.dustLimitSatoshis) {
    return fail(R.OurReserveBelowTheirDustLimit, `our reserve ${ours.channelReserveSatoshis} is below their dust_limit_satoshis ${theirs.dustLimitSatoshis}`);
  }
  const usableMsat = (fundingSatoshis - ours.channelReserveSatoshis) * 1000n;
  if (theirs.htlcMinimumMsat >= usableMsat || theirs.htlcMinimumMsat > l.maxHtlcMinimumMsat) {
    return fail(R.HtlcMinimumTooLarge, `htlc_minimum_msat ${theirs.htlcMinimumMsat} is too large`);
  }
  if (theirs.maxHtlcValueInFlightMsat < l.minMaxHtlcValueInFlightMsat) {
    return fail(R.MaxInFlightTooSmall, `max_htlc_value_in_flight_msat ${theirs.maxHtlcValueInFlightMsat} is below ${l.minMaxHtlcValueInFlightMsat}`);
  }
  return null;
}

/**
 * BOLT 2: the funder's feerate is neither too small for timely processing
 * nor unreasonably large, judged against our estimator. Anchor channels pay
 * for confirmation at close time, so only the floor applies to them.
 */
export function checkFeerate(estimator: FeeEstimator, config: ChannelConfig, type: NegotiatedChannelType, feeratePerKw: number): ChannelFailure | null {
  const slow = Number(estimator.feeRatePerKw(ConfirmationTarget.MinAllowedRemoteFee));
  const floor = Math.max(FEERATE_FLOOR_PER_KW, Math.floor(slow / 2));
  if (feeratePerKw < floor) return fail(R.FeerateTooLow, `feerate_per_kw ${feeratePerKw} is below ${floor}`);
  if (!type.anchors) {
    const fast = Math.max(FEERATE_FLOOR_PER_KW, Number(estimator.feeRatePerKw(ConfirmationTarget.MaximumFeeEstimate)));
    const ceiling = fast * config.limits.maxFeerateMultiplier;
    if (feeratePerKw > ceiling) return fail(R.FeerateTooHigh, `feerate_per_kw ${feeratePerKw} is above ${ceiling}`);
  }
  return null;
}

/**
 * BOLT 2: the funder can pay the first commitment's fee (and anchors), and
 * not both balances are at or below the reserve the funder requires.
 */
export function checkInitialBalances(
  type: NegotiatedChannelType,
  fundingSatoshis: bigint,
  pushMsat: bigint,
  feeratePerKw: number,
  reserveRequiredOfFundeeSat: bigint,
): ChannelFailure | null {
  const costSat = commitmentFeeSat(commitmentFormat(type), BigInt(feeratePerKw), 0) + (type.anchors ? 2n * ANCHOR_OUTPUT_SAT : 0n);
  const funderMsat = fundingSatoshis * 1000n - pushMsat;
  if (funderMsat < costSat * 1000n) {
    return fail(R.FunderCannotPayFee, `the funder's ${funderMsat} msat cannot pay ${costSat} sat of commitment fee and anchors`);
  }
  const toFunderSat = (funderMsat - costSat * 1000n) / 1000n;
  const toFundeeSat = pushMsat / 1000n;
  if (toFunderSat <= reserveRequiredOfFundeeSat && toFundeeSat <= reserveRequiredOfFundeeSat) {
    return fail(R.BalancesBelowReserve, `both first balances (${toFunderSat}, ${toFundeeSat} sat) are at or below the reserve ${reserveRequiredOfFundeeSat}`);
  }
  return null;
}

/** The parameters fields of a received message. */
export function parametersOf(m: OpenChannelMessage | AcceptChannelMessage): ChannelParameters {
  return {
    dustLimitSatoshis: m.dustLimitSatoshis,
    maxHtlcValueInFlightMsat: m.maxHtlcValueInFlightMsat,
    channelReserveSatoshis: m.channelReserveSatoshis,
    htlcMinimumMsat: m.htlcMinimumMsat,
    toSelfDelay: m.toSelfDelay,
    maxAcceptedHtlcs: m.maxAcceptedHtlcs,
  };
}
