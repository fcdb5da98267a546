/**
 * HTLCs near or past their expiry, at each block (LDK's checks in
 * `best_block_updated`; docs/payments.md): the `chain` input finds the
 * channels through the expiry index and makes an `htlc-expiry` follow-up
 * for each, which here:
 *
 * - fails back every HTLC offered to us that is still unclaimed once
 *   `cltv_expiry <= height + HTLC_FAIL_BACK_BUFFER + 1` (no time left to
 *   claim it on chain), with `incorrect_or_unknown_payment_details`; a
 *   payment it was part of is no longer claimable (its record goes, the
 *   other parts follow as their channels' expiries come);
 * - closes the channel when an HTLC we offered is past `cltv_expiry +
 *   LATENCY_GRACE_PERIOD_BLOCKS` and the peer has not removed it: our latest
 *   commitment goes on chain (LDK's `HTLCsTimedOut`; claiming the HTLC
 *   output back is the on-chain issue's);
 * - closes it too when an HTLC offered to us that we fulfilled is still not
 *   removed once `cltv_expiry <= height + CLTV_CLAIM_BUFFER`: the monitor
 *   claims it on chain with the preimage while there is time (the expiry
 *   index keeps such an HTLC until it is gone: channel-indexes.ts);
 * - takes back an HTLC we offered that still waits in the holding cell
 *   (the peer has not revoked for all that time) once `cltv_expiry <= height
 *   + LATENCY_GRACE_PERIOD_BLOCKS`, with every held HTLC after it (ids go
 *   out in order): never sent, it could only be sent expired, and a peer
 *   that stalled until the incoming HTLC timed out upstream could then
 *   claim it from us. A forward fails back with `expiry_too_soon` and our
 *   `channel_update`, a part of our payment fails at its first hop (LDK's
 *   holding-cell timeouts in `best_block_updated`).
 */
import {
  ChannelFailureReason,
  isOperating,
  InboundHtlcState,
  OutboundHtlcState,
  closeChannel,
  failHtlc,
  withdrawHeldHtlcs,
  type Channel,
  type ChannelEffect,
  type HtlcRecord,
} from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { createFailurePacket, encodeFailureMessage, failureMessage } from '../onion/index.js';
import { channelKey } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { decodeReceivedOnion, peelReceivedOnion } from './received-onion.js';
import { CLTV_CLAIM_BUFFER, HTLC_FAIL_BACK_BUFFER, LATENCY_GRACE_PERIOD_BLOCKS } from './final-cltv.js';
import { commitRemovals } from './inbound-htlcs.js';
import { heldHtlcWithdrawn, offeredHtlcRecords } from './outbound-calls.js';
import { channelUpdateForFailure } from './our-channel-update.js';
import { channelContext, log, type ManagerCore } from './manager-core.js';
import { RecordKeys, type RecordKey } from './payment-records.js';
import { unknownPaymentDetails } from './receive-checks.js';

/** A received HTLC we must fail back now: unclaimed, its expiry too close to claim it on chain. */
function dueForFailBack(h: HtlcRecord, height: number): boolean {
  return h.direction === 'received' && h.state === InboundHtlcState.Committed && h.resolution === undefined && h.cltvExpiry <= height + HTLC_FAIL_BACK_BUFFER + 1;
}

/** An HTLC we offered the peer left past its expiry and the grace period. */
function timedOut(h: HtlcRecord, height: number): boolean {
  return h.direction === 'offered' && h.state !== OutboundHtlcState.Held && h.cltvExpiry + LATENCY_GRACE_PERIOD_BLOCKS <= height;
}

/**
 * A received HTLC we fulfilled (the preimage is out) that the peer has not
 * removed, its expiry within CLTV_CLAIM_BUFFER: only the chain can still
 * get it for us before the peer can time it out (BOLT 2's fulfillment
 * deadline; LDK's `should_broadcast_holder_commitment_txn`).
 */
function claimDue(h: HtlcRecord, height: number): boolean {
  return h.direction === 'received' && h.resolution?.kind === 'fulfill' && h.cltvExpiry <= height + CLTV_CLAIM_BUFFER;
}

/** The held HTLCs we offered to take back at `height`: from the first whose expiry is that close on, every held one (in id order). */
function heldToWithdraw(channel: Channel, height: number): HtlcRecord[] {
  const held = (channel.htlcs ?? []).filter((h) => h.direction === 'offered' && h.state === OutboundHtlcState.Held).sort((a, b) => (a.id < b.id ? -1 : 1));
  const first = held.findIndex((h) => h.cltvExpiry <= height + LATENCY_GRACE_PERIOD_BLOCKS);
  return first < 0 ? [] : held.slice(first);
}

/** The records an `htlc-expiry` follow-up reads after its channel: the onions and payments of the HTLCs to fail back, and what the held ones to take back belong to. */
export function expiringHtlcRecords(channel: Channel, height: number): RecordKey[] {
  if (channel.funding === undefined) return [];
  const { channelId } = channel.funding;
  const id = toHex(channelId);
  return [
    ...(channel.htlcs ?? []).filter((h) => dueForFailBack(h, height)).flatMap((h) => [RecordKeys.onion(id, h.id), RecordKeys.claimable(toHex(h.paymentHash)), RecordKeys.forwardIn(id, h.id)]),
    ...heldToWithdraw(channel, height).flatMap((h) => offeredHtlcRecords(channelId, h)),
  ];
}

/** An `htlc-expiry` follow-up (idempotent: what was failed back or closed is not again). */
export function applyHtlcExpiry(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, height: number): void {
  const { cs, ports } = core;
  const key = channelKey(peer, channelId);
  const item = cs.entry(key);
  // Ready or closing cooperatively: an expired HTLC of ours force-closes either way, received ones are failed back either way.
  if (item?.kind !== 'channel' || !isOperating(item.channel)) return;
  const htlcs = item.channel.htlcs ?? [];
  // An HTLC we offered left past its expiry, or one we fulfilled left too near it: our commitment goes on chain.
  const expired = htlcs.find((h) => timedOut(h, height) || claimDue(h, height));
  if (expired !== undefined) {
    const why =
      expired.direction === 'offered'
        ? `our HTLC ${expired.id} expired at height ${expired.cltvExpiry} and the peer did not remove it`
        : `HTLC ${expired.id} we fulfilled expires at height ${expired.cltvExpiry} and the peer did not remove it: claiming it on chain`;
    log(core, 'warn', `${why} (${toHex(channelId)}): closing the channel`);
    applyStep(core, key, item, closeChannel(item.channel, ChannelFailureReason.HtlcsTimedOut, why));
    return;
  }
  const ctx = channelContext(core);
  let channel = item.channel;
  const effects: ChannelEffect[] = [];
  const idHex = toHex(channelId);
  const held = heldToWithdraw(channel, height);
  const withdrawn = held.length === 0 ? undefined : withdrawHeldHtlcs(channel, held[0]!.id);
  if (withdrawn?.ok === true) {
    channel = withdrawn.value.channel;
    for (const h of withdrawn.value.withdrawn) cs.deleteRecord(RecordKeys.offeredOnion(idHex, h.id));
    log(core, 'warn', `held HTLCs ${withdrawn.value.withdrawn.map((h) => h.id).join(', ')} on ${idHex} taken back unsent: the peer has not revoked, and HTLC ${held[0]!.id} expires at ${held[0]!.cltvExpiry} (height ${height})`);
  }
  for (const h of htlcs.filter((x) => dueForFailBack(x, height))) {
    // Forwarded: failing it back while the outgoing HTLC may still be fulfilled could lose its amount; the downstream result (or the outgoing channel's close) settles it.
    const mark = RecordKeys.forwardIn(idHex, h.id);
    if (cs.hasRecord(mark) && cs.record(mark) !== undefined) continue;
    const bytes = cs.record(RecordKeys.onion(idHex, h.id));
    const onion = bytes === undefined ? undefined : decodeReceivedOnion(bytes);
    const peeled = onion?.ok ? peelReceivedOnion(ports, onion.value, h.paymentHash) : undefined;
    if (peeled?.ok !== true) continue;
    const reason = createFailurePacket(peeled.value.sharedSecret, unknownPaymentDetails(h.amountMsat, height));
    const result = failHtlc(ctx, channel, h.id, reason);
    if (!result.ok) continue;
    log(core, 'info', `received HTLC ${h.id} on ${idHex} failed back: expiry ${h.cltvExpiry} too close at height ${height}`);
    cs.putRecord(RecordKeys.ourFailureReason(idHex, h.id), reason);
    // The payment it was part of can no longer be claimed whole.
    if (cs.record(RecordKeys.claimable(toHex(h.paymentHash))) !== undefined) cs.deleteRecord(RecordKeys.claimable(toHex(h.paymentHash)));
    channel = result.value.channel;
    effects.push(...result.value.effects);
  }
  commitRemovals(core, key, item, channel, effects);
  if (withdrawn?.ok !== true) return;
  // Upstream after the channel's step: the payer learns why from us, `expiry_too_soon` with our channel_update (LDK's failure here).
  const expiryTooSoon = encodeFailureMessage(failureMessage('expiryTooSoon', { channelUpdate: channelUpdateForFailure(core, channel, item.disabledUpdateAt) }));
  for (const h of withdrawn.value.withdrawn) {
    heldHtlcWithdrawn(core, peer, channelId, h, expiryTooSoon, `HTLC ${h.id} waited in the holding cell until its expiry ${h.cltvExpiry} was ${LATENCY_GRACE_PERIOD_BLOCKS} blocks away: taken back unsent`);
  }
}
