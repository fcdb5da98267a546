/**
 * The manager's timer tick (LDK's `timer_tick_occurred`, about once a
 * minute; docs/timer.md). The tick input reads the header and two index
 * Queries, never the channels themselves:
 *
 * - the oldest `MPP#` items (payments still collecting parts, keyed by the
 *   tick their first part arrived at): a payment incomplete for
 *   {@link MPP_TIMEOUT_TICKS} ticks has every part failed back with BOLT 4
 *   `mpp_timeout` (one `fail-htlcs` follow-up per channel), at most
 *   {@link MPP_TIMEOUTS_PER_TICK} payments a tick;
 * - the `FUNDER#` items (ready channels we fund, with their feerate): a
 *   channel whose feerate the estimate moved past LDK's threshold
 *   ({@link shouldUpdateFee}) gets an `update-fee` follow-up, in its peer's
 *   group, which sends `update_fee` and `commitment_signed` when the
 *   channel can take them ({@link applyUpdateFee});
 * - the header's offline peers: the channels of a peer gone a full minute
 *   (two ticks) are loaded and get our disabled `channel_update`
 *   (channel-update-status.ts).
 *
 * Outbound payments need no tick: a retry is a follow-up of the failure
 * that calls for it, and a resolved payment's records carry a TTL
 * (outbound-calls.ts).
 */
import { ChannelState, ConfirmationTarget, FEERATE_FLOOR_PER_KW, canAffordFeeUpdate, sendCommitmentSigned, sendUpdateFee, type ReadyChannel } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { channelKey } from './channel-entry.js';
import { disableOfflineChannels } from './channel-update-status.js';
import { parseMppKey } from './channel-indexes.js';
import { applyStep } from './channel-step.js';
import { MPP_TIMEOUT_TICKS, decodeClaimablePayment, timerTick } from './claimable-payments.js';
import { failPaymentBack, mppIndexKeyOf } from './inbound-htlcs.js';
import { channelContext, log, type ManagerCore } from './manager-core.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';
import type { ChangeSet } from './change-set.js';
import { RecordKeys, type RecordKey } from './payment-records.js';

/**
 * Incomplete payments one tick fails back at most: each costs two writes
 * (its record and index item) in the tick's commit, which DynamoDB bounds
 * at 100 items; the rest wait for the next tick, oldest first.
 */
export const MPP_TIMEOUTS_PER_TICK = 20;

/**
 * `update-fee` follow-ups one tick makes at most (they travel in the tick's
 * outbox item, about 200 bytes each); the others wait for the next ticks.
 */
export const FEE_UPDATES_PER_TICK = 1_000;

/** What one tick did, for the handler's answer and tests. */
export interface TimerTickReport {
  /** The tick count after this tick. */
  readonly tick: number;
  /** Payments whose parts were failed back with `mpp_timeout`. */
  readonly mppTimedOut: number;
  /** `MPP#` items dropped because their payment completed or went another way. */
  readonly mppStale: number;
  /** Channels given an `update-fee` follow-up. */
  readonly feeUpdates: number;
  /** Channels whose peer was offline a full minute, given our disabled `channel_update` (channel-update-status.ts). */
  readonly channelsDisabled: number;
}

/**
 * LDK's `update_channel_fee` decision: a new estimate above the channel's
 * feerate always calls for `update_fee`; one below it only once it is half
 * or less (a small drop is not worth a commitment round trip); the same
 * feerate never.
 */
export function shouldUpdateFee(currentPerKw: number, targetPerKw: number): boolean {
  if (targetPerKw > currentPerKw) return true;
  return targetPerKw * 2 <= currentPerKw;
}

/**
 * The feerate our commitments should carry now (LDK 0.1's timer tick): the
 * estimate for `AnchorChannelFee` with anchors, else `NonAnchorChannelFee`,
 * never below the relay floor; the same targets a new channel opens with.
 */
export function commitmentFeerateTarget(core: ManagerCore, anchors: boolean): number {
  const target = anchors ? ConfirmationTarget.AnchorChannelFee : ConfirmationTarget.NonAnchorChannelFee;
  return Math.max(FEERATE_FLOOR_PER_KW, Number(core.ports.feeEstimator.feeRatePerKw(target)));
}

/** The `MPP#` items a tick taking the count to `tick` finds due, oldest first, with their payment hash. */
function dueMpp(cs: ChangeSet, tick: number): { key: string; paymentHashHex: string }[] {
  return cs.mppWaiting().flatMap((key) => {
    const parsed = parseMppKey(key);
    return parsed !== undefined && tick - parsed.tick >= MPP_TIMEOUT_TICKS ? [{ key, paymentHashHex: parsed.paymentHashHex }] : [];
  });
}

/** The records a tick reads after its index Queries: the `CLAIMABLE#` record of each due `MPP#` item. */
export function timerTickRecords(cs: ChangeSet): RecordKey[] {
  return dueMpp(cs, cs.ticks + 1).map((d) => RecordKeys.claimable(d.paymentHashHex));
}

/**
 * One tick: the count goes up (in the header), incomplete payments past
 * their timeout are failed back, each channel we fund whose feerate is
 * off gets an `update-fee` follow-up (only while its peer is connected: a
 * disconnected channel cannot take one, as LDK's `is_live`), and the
 * channels of peers offline a full minute are disabled.
 */
export function timerTickOccurred(core: ManagerCore): TimerTickReport {
  const { cs } = core;
  const tick = cs.tick();
  let mppTimedOut = 0;
  let mppStale = 0;
  for (const due of dueMpp(cs, tick)) {
    const key = RecordKeys.claimable(due.paymentHashHex);
    const bytes = cs.record(key);
    const decoded = bytes === undefined ? undefined : decodeClaimablePayment(bytes);
    if (decoded !== undefined && !decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `claimable payment ${due.paymentHashHex} does not decode: ${decoded.error.message}`);
    const record = decoded?.value;
    // Completed, claimed, failed back or expired since: the item only named it (expiry deletes the record without it).
    if (record === undefined || record.state !== 'collecting' || mppIndexKeyOf(record) !== due.key) {
      cs.deleteIndexItem(due.key);
      mppStale++;
      continue;
    }
    const result = timerTick(record, tick);
    if (result.kind === 'keep') continue;
    log(core, 'info', `payment ${due.paymentHashHex}: ${record.parts.length} part(s) failed back with mpp_timeout after ${MPP_TIMEOUT_TICKS} ticks`);
    failPaymentBack(core, record, true);
    mppTimedOut++;
  }
  const due = cs.funders().filter((f) => cs.featuresOf(f.counterpartyNodeId) !== undefined && shouldUpdateFee(f.feeratePerKw, commitmentFeerateTarget(core, f.anchors)));
  // More than a tick's share: a window that moves with the tick, so channels that cannot take one now never starve the others.
  const start = due.length > FEE_UPDATES_PER_TICK ? (tick * FEE_UPDATES_PER_TICK) % due.length : 0;
  const chosen = [...due.slice(start), ...due.slice(0, start)].slice(0, FEE_UPDATES_PER_TICK);
  for (const f of chosen) cs.followUp(f.counterpartyNodeId, { kind: 'update-fee', channelId: f.channelId });
  const channelsDisabled = disableOfflineChannels(core, tick);
  return { tick, mppTimedOut, mppStale, feeUpdates: chosen.length, channelsDisabled };
}

/**
 * An `update-fee` follow-up (LDK's `update_channel_fee` then
 * `queue_update_fee`): on a ready channel we fund, peer connected and
 * reestablished, whose feerate is still past the threshold from the
 * estimate, `update_fee` with the estimate, then our `commitment_signed`.
 * Skipped (the next tick tries again) while we wait for the peer's
 * `revoke_and_ack` (LDK would hold it in the holding cell for that
 * `revoke_and_ack`; a minute later is as good), and never sent for a
 * feerate we could not pay on both commitments above the reserve
 * (`sendUpdateFee`'s check). Idempotent: a second one finds the feerate
 * already moved.
 */
export function applyUpdateFee(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array): void {
  const { cs } = core;
  const key = channelKey(peer, channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel' || item.channel.state !== ChannelState.Ready || !item.channel.isOutbound) return;
  if (cs.featuresOf(peer) === undefined || item.flags?.awaitingReestablish) return;
  const channel = item.channel as ReadyChannel;
  const current = channel.pendingFeeUpdate?.feeratePerKw ?? channel.feeratePerKw;
  const target = commitmentFeerateTarget(core, channel.channelType.anchors);
  if (!shouldUpdateFee(current, target)) return;
  if (!canAffordFeeUpdate(channel, target)) {
    // LDK: "Cannot afford to send new feerate"; the next tick tries again.
    log(core, 'info', `channel ${toHex(channelId)}: cannot afford update_fee to ${target} sat/kW with the fee spike buffer`);
    return;
  }
  const ctx = channelContext(core);
  const sent = sendUpdateFee(ctx, channel, target);
  if (!sent.ok) {
    log(core, 'info', `channel ${toHex(channelId)}: no update_fee to ${target} sat/kW now (${sent.error.message})`);
    return;
  }
  log(core, 'info', `channel ${toHex(channelId)}: update_fee ${current} -> ${target} sat/kW`);
  const signed = sendCommitmentSigned(ctx, sent.value.channel);
  applyStep(core, key, item, signed.ok ? { channel: signed.value.channel, effects: [...sent.value.effects, ...signed.value.effects] } : sent.value);
}
