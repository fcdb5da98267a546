/**
 * Whether we take an inbound HTLC through (LDK 0.1's
 * `can_accept_incoming_htlc`, lightning/src/ln/channel.rs), checked on
 * their `update_add_htlc` against the channel before it. These are not
 * BOLT 2 rules but our own safety limits, so an HTLC that breaks one is
 * not a reason to close: the HTLC is taken into the channel like any
 * other, and once irrevocably committed it is failed back with
 * `temporary_channel_failure` (UPDATE|7), as LDK does (docs/htlcs.md
 * "Refused at admission"):
 *
 * - dust exposure: a dust HTLC (on either commitment, at the buffer
 *   feerate of dust-exposure.ts) that takes that commitment's exposure
 *   over the limit; a non-dust one when the counterparty commitment's
 *   exposure plus one more HTLC output's fee is already over it;
 * - the fee spike buffer: from a funder counterparty, an HTLC after which
 *   it could no longer pay, above the reserve we require, the fee of its
 *   commitment with this HTLC and one more at twice today's feerate
 *   (`FEE_SPIKE_BUFFER_FEE_INCREASE_MULTIPLE`; once the feerate on anchor
 *   channels, as LDK 0.1), and the anchors.
 */
import { ANCHOR_OUTPUT_SAT, commitmentFeeSat } from '../tx/index.js';
import type { FeeEstimator } from '../ports/index.js';
import type { OperatingChannel } from './channel-state.js';
import { commitmentFormat } from './channel-type.js';
import { FEE_SPIKE_BUFFER_MULTIPLE } from './channel-balances.js';
import { commitmentStateOf, counterpartyBalanceMsat } from './commitment-state.js';
import {
  dustBufferFeerate,
  dustExposureLimitingFeerate,
  fulfilledOutboundPendingMsat,
  htlcDustFeesSat,
  maxDustHtlcExposureMsat,
  pendingHtlcStats,
  perHtlcCounterpartyCommitFeeMsat,
} from './dust-exposure.js';
import { OutboundHtlcState } from './htlc.js';

/** BOLT 4 `temporary_channel_failure`: UPDATE|7, what LDK fails a refused HTLC back with. */
export const TEMPORARY_CHANNEL_FAILURE = 0x1000 | 7;

/** BOLT 4 `permanent_channel_failure` (PERM|8): what an HTLC the peer adds after our `shutdown` gets back (LDK's choice). */
export const PERMANENT_CHANNEL_FAILURE = 0x4000 | 8;

/** Why an inbound HTLC is refused at admission. */
export const AdmissionRefusal = {
  /** A dust HTLC that takes our commitment's dust exposure over the limit. */
  DustExposureHolder: 'dust-exposure-holder',
  /** A dust HTLC (or one more output's fee) that takes the counterparty commitment's dust exposure over the limit. */
  DustExposureCounterparty: 'dust-exposure-counterparty',
  /** The funder could not pay the fee spike buffer after it. */
  FeeSpikeBuffer: 'fee-spike-buffer',
} as const;
export type AdmissionRefusal = (typeof AdmissionRefusal)[keyof typeof AdmissionRefusal];

export interface Refused {
  readonly refusal: AdmissionRefusal;
  /** The BOLT 4 failure code to fail the HTLC back with. */
  readonly failureCode: number;
  readonly message: string;
}

function refused(refusal: AdmissionRefusal, message: string): Refused {
  return { refusal, failureCode: TEMPORARY_CHANNEL_FAILURE, message };
}

function saturatingSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

/**
 * LDK's `next_remote_commit_tx_fee_msat` as the fee spike check calls it
 * (we are the fundee): the fee of the counterparty's next commitment at the
 * channel's feerate with the HTLCs LDK counts there (theirs strictly above
 * the HTLC-timeout dust threshold, ours strictly above the HTLC-success one
 * while announced, committed or removed by them), the candidate when at or
 * above its threshold, and one more for the buffer.
 */
export function nextCounterpartyCommitFeeMsat(channel: OperatingChannel, candidateMsat: bigint, withBufferHtlc: boolean): bigint {
  const fees = htlcDustFeesSat(channel, channel.feeratePerKw);
  const dust = channel.counterparty.dustLimitSatoshis;
  const successSat = dust + fees.successSat;
  const timeoutSat = dust + fees.timeoutSat;
  let htlcs = (withBufferHtlc ? 1 : 0) + (candidateMsat / 1000n >= timeoutSat ? 1 : 0);
  for (const h of channel.htlcs ?? []) {
    const sat = h.amountMsat / 1000n;
    if (h.direction === 'received') {
      if (sat > timeoutSat) htlcs += 1;
    } else if (sat > successSat && (h.state === OutboundHtlcState.Committed || h.state === OutboundHtlcState.RemoteRemoved || h.state === OutboundHtlcState.LocalAnnounced)) {
      htlcs += 1;
    }
  }
  return commitmentFeeSat(commitmentFormat(channel.channelType), BigInt(channel.feeratePerKw), htlcs) * 1000n;
}

/**
 * LDK 0.1's `can_accept_incoming_htlc` for an HTLC of `amountMsat` the
 * counterparty offers, on `channel` as it was before the HTLC: null to take
 * it through, or why it is refused (fail it back once committed).
 */
export function checkIncomingHtlcAdmission(channel: OperatingChannel, estimator: FeeEstimator, amountMsat: bigint): Refused | null {
  const limiting = dustExposureLimitingFeerate(estimator);
  const stats = pendingHtlcStats(channel, limiting);
  const limitMsat = maxDustHtlcExposureMsat(limiting);
  const buffer = htlcDustFeesSat(channel, dustBufferFeerate(channel));
  const sat = amountMsat / 1000n;
  if (sat < channel.counterparty.dustLimitSatoshis + buffer.timeoutSat) {
    const exposure = stats.onCounterpartyTxDustExposureMsat + amountMsat;
    if (exposure > limitMsat) return refused(AdmissionRefusal.DustExposureCounterparty, `dust exposure on the counterparty's commitment would be ${exposure} msat, over the limit ${limitMsat} msat`);
  } else {
    const exposure = stats.onCounterpartyTxDustExposureMsat + perHtlcCounterpartyCommitFeeMsat(channel, channel.feeratePerKw);
    if (exposure > limitMsat) return refused(AdmissionRefusal.DustExposureCounterparty, `fee dust exposure on the counterparty's commitment would be ${exposure} msat, over the limit ${limitMsat} msat`);
  }
  if (sat < channel.holder.dustLimitSatoshis + buffer.successSat) {
    const exposure = stats.onHolderTxDustExposureMsat + amountMsat;
    if (exposure > limitMsat) return refused(AdmissionRefusal.DustExposureHolder, `dust exposure on our commitment would be ${exposure} msat, over the limit ${limitMsat} msat`);
  }
  if (!channel.isOutbound) {
    const anchorsMsat = channel.channelType.anchors ? 2n * ANCHOR_OUTPUT_SAT * 1000n : 0n;
    const remoteMsat = counterpartyBalanceMsat(channel, commitmentStateOf(channel)) + fulfilledOutboundPendingMsat(channel);
    let feeMsat = nextCounterpartyCommitFeeMsat(channel, amountMsat, true);
    if (!channel.channelType.anchors) feeMsat *= FEE_SPIKE_BUFFER_MULTIPLE;
    const left = saturatingSub(saturatingSub(saturatingSub(remoteMsat, amountMsat), channel.holder.channelReserveSatoshis * 1000n), anchorsMsat);
    if (left < feeMsat) {
      return refused(AdmissionRefusal.FeeSpikeBuffer, `the funder would keep ${left} msat above its reserve and the anchors, below the fee spike buffer ${feeMsat} msat`);
    }
  }
  return null;
}
