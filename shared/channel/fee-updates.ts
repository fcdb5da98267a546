/**
 * Fee updates of a ready channel (BOLT 2 "Updating Fees: `update_fee`"):
 * the funder's `update_fee` received, with the receiver checks (a failed one
 * fails the channel with its `ChannelFailureReason`), and our own as funder
 * (`sendUpdateFee`, the same checks, refused as an `ApiError`). The update
 * then moves through the commitment dance (commitment-dance.ts) as
 * fee-update.ts describes; docs/htlcs.md "Fee updates". Either way a feerate
 * that takes the dust exposure over our limit is refused (dust-exposure.ts).
 */
import type { FeeEstimator } from '../ports/index.js';
import type { UpdateFeeMessage } from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import { ChannelState, type Channel, type OperatingChannel } from './channel-state.js';
import { commitmentStateOf, commitmentView, funderCostMsat, type CommitmentState } from './commitment-state.js';
import { ConfirmationTarget, FEERATE_FLOOR_PER_KW, type ChannelConfig } from './config.js';
import type { ChannelEffect, ChannelFailure, ChannelStep } from './effects.js';
import { ApiErrorCode, ChannelFailureReason, type ApiResult } from './errors.js';
import { feerateDustExposureBreach, type DustExposureBreach } from './dust-exposure.js';
import { FeeUpdateState, withPendingFee, type PendingFeeUpdate } from './fee-update.js';
import type { NegotiatedChannelType } from './channel-type.js';

/** LDK's fixed part of the ceiling: a counterparty's feerate up to 25 sat/vbyte is always accepted. */
export const UPDATE_FEE_CEILING_FLOOR_PER_KW = 6_250;
/** LDK's slack on the lower bound: estimators rounding up to a whole sat/vbyte must not fail a channel. */
const LOWER_BOUND_SLACK_PER_KW = 250;

/**
 * The funder's new feerate against our estimator (LDK's `check_remote_fee`):
 * - below {@link FEERATE_FLOOR_PER_KW} (what Bitcoin Core relays) it is
 *   refused;
 * - more than 250 sat/kW under our slow estimate it is refused too, unless
 *   it raises the feerate we have now (a raise never hurts us);
 * - above the larger of 25 sat/vbyte and `maxFeerateMultiplier` times our
 *   fastest estimate it is absurd (everything would be dust) and refused;
 *   anchor channels have no ceiling (their HTLC transactions carry no fee,
 *   so the feerate does not move the dust limits).
 */
export function checkUpdateFeerate(
  estimator: FeeEstimator,
  config: ChannelConfig,
  type: NegotiatedChannelType,
  feeratePerKw: number,
  currentPerKw: number,
): ChannelFailure | null {
  if (feeratePerKw < FEERATE_FLOOR_PER_KW) {
    return { reason: ChannelFailureReason.FeerateTooLow, message: `update_fee feerate_per_kw ${feeratePerKw} is below the relay floor ${FEERATE_FLOOR_PER_KW}` };
  }
  const slow = Math.max(FEERATE_FLOOR_PER_KW, Number(estimator.feeRatePerKw(ConfirmationTarget.MinAllowedRemoteFee)));
  if (feeratePerKw + LOWER_BOUND_SLACK_PER_KW < slow && feeratePerKw <= currentPerKw) {
    return { reason: ChannelFailureReason.FeerateTooLow, message: `update_fee feerate_per_kw ${feeratePerKw} is far below our estimate ${slow}` };
  }
  if (!type.anchors) {
    const fast = Math.max(FEERATE_FLOOR_PER_KW, Number(estimator.feeRatePerKw(ConfirmationTarget.MaximumFeeEstimate)));
    const ceiling = Math.max(UPDATE_FEE_CEILING_FLOOR_PER_KW, fast * config.limits.maxFeerateMultiplier);
    if (feeratePerKw > ceiling) return { reason: ChannelFailureReason.FeerateTooHigh, message: `update_fee feerate_per_kw ${feeratePerKw} is above ${ceiling}` };
  }
  return null;
}

/**
 * Whether the funder can pay `feeratePerKw` on both next commitments with
 * the HTLCs each holds (and anchors): on each it keeps at least the fee,
 * and on the receiver's commitment also the reserve the receiver requires
 * of it (LDK: "Funding remote cannot afford proposed new fee").
 * `receiver` is the side checking: `holder` for their `update_fee`,
 * `counterparty` for ours.
 */
function checkFunderAffords(channel: OperatingChannel, state: CommitmentState, feeratePerKw: number, receiver: 'holder' | 'counterparty'): ChannelFailure | null {
  const reserveMsat = (receiver === 'holder' ? channel.holder : channel.counterparty).channelReserveSatoshis * 1000n;
  for (const owner of ['holder', 'counterparty'] as const) {
    const view = { ...commitmentView(channel, state, owner), feeratePerKw };
    const funderMsat = channel.isOutbound ? view.toHolderMsat : view.toCounterpartyMsat;
    const required = funderCostMsat(channel, owner, view) + (owner === receiver ? reserveMsat : 0n);
    if (funderMsat < required) {
      return {
        reason: ChannelFailureReason.FunderCannotPayFee,
        message: `at feerate_per_kw ${feeratePerKw} the funder keeps ${funderMsat} msat on the ${owner}'s commitment, below its fee${owner === receiver ? ' and reserve' : ''} ${required} msat`,
      };
    }
  }
  return null;
}

/**
 * A pending fee update being replaced by a later one: one already in a
 * commitment of theirs we signed, or in ours we revoked for, is kept as the
 * channel's feerate (no later commitment goes back to the one before), the
 * later one pending on top of it.
 */
function replacing(channel: OperatingChannel): OperatingChannel {
  const p: PendingFeeUpdate | undefined = channel.pendingFeeUpdate;
  if (p === undefined || p.state === FeeUpdateState.RemoteAnnounced || p.state === FeeUpdateState.LocalAnnounced) return channel;
  return { ...withPendingFee(channel, undefined), feeratePerKw: p.feeratePerKw };
}

/**
 * Their `update_fee` (BOLT 2 receiver checks): only the funder sends it
 * (`update-fee-from-fundee`); the feerate within our bounds
 * ({@link checkUpdateFeerate}); the funder able to pay it on both
 * commitments with the HTLCs in flight (`funder-cannot-pay-fee`). Then it is
 * pending, `remote-announced` (in our next commitment only), replacing any
 * earlier one.
 */
export function handleUpdateFee(ctx: ChannelContext, current: Channel, m: UpdateFeeMessage): ChannelStep {
  const channel = current as OperatingChannel;
  if (channel.isOutbound) return closeChannel(channel, ChannelFailureReason.UpdateFeeFromFundee, 'update_fee from the fundee: only the funder sets the feerate');
  const base = replacing(channel);
  const bad = checkUpdateFeerate(ctx.feeEstimator, ctx.config, channel.channelType, m.feeratePerKw, base.feeratePerKw);
  if (bad !== null) return closeChannel(channel, bad.reason, bad.message);
  const state = commitmentStateOf(channel);
  const pending = withPendingFee(base, { feeratePerKw: m.feeratePerKw, state: FeeUpdateState.RemoteAnnounced });
  const unaffordable = checkFunderAffords(pending, state, m.feeratePerKw, 'holder');
  if (unaffordable !== null) return closeChannel(channel, unaffordable.reason, `update_fee: ${unaffordable.message}`);
  const breach = feerateDustExposureBreach(pending, ctx.feeEstimator);
  if (breach !== null) return closeChannel(channel, ChannelFailureReason.DustExposureTooHigh, `update_fee feerate_per_kw ${m.feeratePerKw}: ${breachText(breach)}`);
  return { channel: pending, effects: [] };
}

function breachText(b: DustExposureBreach): string {
  return `dust exposure on the ${b.commitment}'s commitment would be ${b.exposureMsat} msat, over the limit ${b.limitMsat} msat`;
}

/** LDK's `CONCURRENT_INBOUND_HTLC_FEE_BUFFER`: HTLCs more whose fee the funder must still be able to pay after its own `update_fee`. */
export const FEE_SPIKE_BUFFER_HTLCS = 4;

/**
 * LDK's `can_send_update_fee`, checked before we propose `feeratePerKw` as
 * funder: on the peer's next commitment, with the HTLCs it will hold and
 * {@link FEE_SPIKE_BUFFER_HTLCS} more (the fee spike buffer: HTLCs the peer
 * may add meanwhile), we keep at least the commitment fee (and anchors) and
 * the reserve the peer requires of us. `sendUpdateFee` itself checks only
 * the fee without the buffer (as the receiver does).
 */
export function canAffordFeeUpdate(channel: OperatingChannel, feeratePerKw: number): boolean {
  const view = { ...commitmentView(channel, commitmentStateOf(channel), 'counterparty'), feeratePerKw };
  const ours = channel.isOutbound ? view.toHolderMsat : view.toCounterpartyMsat;
  return ours >= funderCostMsat(channel, 'counterparty', view, FEE_SPIKE_BUFFER_HTLCS) + channel.counterparty.channelReserveSatoshis * 1000n;
}

/**
 * Our `update_fee` as funder: `local-announced` (in their next commitment
 * only), sent now; the caller then signs (`sendCommitmentSigned`). Refused
 * for the fundee, while we await their `revoke_and_ack` (no holding cell for
 * fees), below the relay floor, or when we could not pay it on both
 * commitments above the reserve they require.
 */
export function sendUpdateFee(ctx: ChannelContext, current: Channel, feeratePerKw: number): ApiResult<{ channel: OperatingChannel; effects: readonly ChannelEffect[] }> {
  const refuse = (code: ApiErrorCode, message: string) => ({ ok: false as const, error: { code, message } });
  if (current.state !== ChannelState.Ready) return refuse(ApiErrorCode.ChannelUnavailable, `the channel is ${current.state}, not ready`);
  if (!current.isOutbound) return refuse(ApiErrorCode.ApiMisuse, 'only the funder sends update_fee');
  if (!Number.isInteger(feeratePerKw) || feeratePerKw < FEERATE_FLOOR_PER_KW || feeratePerKw > 0xffff_ffff) {
    return refuse(ApiErrorCode.ApiMisuse, `feerate_per_kw ${feeratePerKw} is not a u32 at or above ${FEERATE_FLOOR_PER_KW}`);
  }
  const state = commitmentStateOf(current);
  if (state.awaitingRemoteRevoke) return refuse(ApiErrorCode.ChannelUnavailable, "waiting for the peer's revoke_and_ack");
  const pending = withPendingFee(current, { feeratePerKw, state: FeeUpdateState.LocalAnnounced });
  const unaffordable = checkFunderAffords(pending, state, feeratePerKw, 'counterparty');
  if (unaffordable !== null) return refuse(ApiErrorCode.ApiMisuse, `${unaffordable.reason}: ${unaffordable.message}`);
  // LDK's `send_update_fee`: the dust thresholds at the proposed feerate, the excess fee at it.
  const breach = feerateDustExposureBreach(current, ctx.feeEstimator, feeratePerKw);
  if (breach !== null) return refuse(ApiErrorCode.ApiMisuse, `${ChannelFailureReason.DustExposureTooHigh}: ${breachText(breach)}`);
  const message: UpdateFeeMessage = { type: 134, channelId: current.funding.channelId, feeratePerKw };
  return { ok: true, value: { channel: pending, effects: [{ kind: 'send-message', message }] } };
}
