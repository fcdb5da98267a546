/**
 * Forwarding an HTLC to the next channel (docs/forwarding.md; LDK's
 * `process_pending_htlc_forwards` for forwards, with the checks of
 * `can_forward_htlc` and `check_incoming_htlc_cltv`). Runs where a received
 * HTLC is decided (inbound-htlcs.ts), once it is irrevocably committed and
 * its onion says "forward to short channel id X":
 *
 * 1. the channel X names (its real short channel id or the alias we gave
 *    the peer) among the loaded ones; not loaded and not looked up yet:
 *    deferred to a `received-htlcs` follow-up whose plan loads it through
 *    the `SCID#` index; looked up and absent: `unknown_next_peer`;
 * 2. our policy (forwarding config): the next channel usable, the amount
 *    within its HTLC limits, the fee paid, the CLTV delta kept, the
 *    expiries not too soon nor too far; a refusal is the BOLT 4 failure
 *    with our `channel_update` where BOLT 4 asks for one (naming a private
 *    channel by the short channel id the onion named);
 * 3. `update_add_htlc` on the next channel with the peeled onion (signed
 *    at once, or in the holding cell), the onion kept for retransmission,
 *    and the forward's two link records (forward-link.ts) in the same commit.
 */
import { ChannelState, currentChannelId, offerHtlc, sendCommitmentSigned, shortChannelIdOfChannel, type Channel, type HtlcRecord } from '../channel/index.js';
import { equalBytes } from '../codec/index.js';
import { toHex } from '../crypto/index.js';
import { failureMessage, type FailureMessage, type ForwardPayload } from '../onion/index.js';
import type { ChannelItem, ChannelKey } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { CLTV_FAR_FAR_AWAY, HTLC_FAIL_BACK_BUFFER, LATENCY_GRACE_PERIOD_BLOCKS } from './final-cltv.js';
import { encodeForwardLink, encodeForwardMark } from './forward-link.js';
import { forwardingFeeMsat, honouredPolicies } from './channel-forwarding.js';
import type { ForwardingConfig } from './manager-config.js';
import { channelContext, log, type ManagerCore } from './manager-core.js';
import { advertisedHtlcLimits, channelUpdateForFailure } from './our-channel-update.js';
import { isUpdateDisabled } from './channel-update-status.js';
import { RecordKeys } from './payment-records.js';

/** A received HTLC whose onion names a next hop. */
export interface IncomingForward {
  readonly peer: Uint8Array;
  readonly channelId: Uint8Array;
  readonly htlc: HtlcRecord;
  /** The incoming onion's shared secret (wraps any failure for the payer). */
  readonly sharedSecret: Uint8Array;
  /** The peeled onion, for the next hop. */
  readonly next: Uint8Array;
}

/** What became of a forward: on its way, waiting for its next channel to be loaded, or refused. */
export type ForwardDecision =
  | { readonly kind: 'forwarded' }
  | { readonly kind: 'defer'; readonly scid: bigint }
  | { readonly kind: 'fail'; readonly failure: FailureMessage; readonly why: string };

/** The loaded channel `scid` names (its real short channel id, or the alias we gave the peer); `absent` once looked up and not found. */
function channelByScid(core: ManagerCore, scid: bigint): { key: ChannelKey; item: ChannelItem } | 'absent' | 'not-loaded' {
  for (const [key, entry] of core.cs.loadedEntries()) {
    if (entry.kind !== 'channel' || entry.channel.funding === undefined) continue;
    if (shortChannelIdOfChannel(entry.channel) === scid || entry.channel.holderAlias === scid) return { key, item: entry };
  }
  return core.cs.scidLookedUp(scid) ? 'absent' : 'not-loaded';
}

/** A refusal; `why` (logged) starts with the BOLT 4 failure's name, e.g. `feeInsufficient: ...`. */
function refuse(failure: FailureMessage, why: string): ForwardDecision {
  return { kind: 'fail', failure, why: `${failure.name ?? `failure ${failure.failureCode}`}: ${why}` };
}

/**
 * The checks of our policy against the next channel; null when the forward
 * may go. A channel that is not usable fails the forward with
 * `channel_disabled` once our disabled update is in force (its peer offline
 * a full minute: channel-update-status.ts), with `temporary_channel_failure`
 * before (LDK's `can_forward_htlc_to_outgoing_channel`).
 */
function policyRefusal(core: ManagerCore, incoming: IncomingForward, outItem: ChannelItem, usable: boolean, fwd: ForwardPayload): ForwardDecision | null {
  const out = outItem.channel;
  const height = core.cs.header.bestBlock.height;
  const channelUpdate = () => channelUpdateForFailure(core, out, outItem.disabledUpdateAt, fwd.shortChannelId);
  const htlcMsat = incoming.htlc.amountMsat;
  const cltvExpiry = incoming.htlc.cltvExpiry;
  if (!usable && isUpdateDisabled(outItem)) return refuse(failureMessage('channelDisabled', { disabledFlags: 0, channelUpdate: channelUpdate() }), 'the next channel is disabled (its peer offline)');
  if (!usable) return refuse(failureMessage('temporaryChannelFailure', { channelUpdate: channelUpdate() }), 'the next channel is not usable');
  const limits = advertisedHtlcLimits(core, out);
  if (fwd.amtToForward < limits.minimumMsat) {
    return refuse(failureMessage('amountBelowMinimum', { htlcMsat, channelUpdate: channelUpdate() }), `${fwd.amtToForward} msat below the minimum ${limits.minimumMsat}`);
  }
  // Our fee and delta: the policy in force, or the previous one while payers may not have our new update yet (LDK's prev_config).
  const [current, ...older] = honouredPolicies(core.cs, outItem, core.ports.clock.nowSecs());
  const missed = (policy: ForwardingConfig): ForwardDecision | null => {
    const fee = forwardingFeeMsat(policy, fwd.amtToForward);
    if (htlcMsat < fwd.amtToForward + fee) {
      return refuse(failureMessage('feeInsufficient', { htlcMsat, channelUpdate: channelUpdate() }), `${htlcMsat} msat in for ${fwd.amtToForward} out, our fee is ${fee}`);
    }
    if (cltvExpiry < fwd.outgoingCltvValue + policy.cltvExpiryDelta) {
      return refuse(failureMessage('incorrectCltvExpiry', { cltvExpiry, channelUpdate: channelUpdate() }), `expiry ${cltvExpiry} in, ${fwd.outgoingCltvValue} out: less than our delta ${policy.cltvExpiryDelta}`);
    }
    return null;
  };
  const refusal = missed(current!);
  if (refusal !== null && older.every((policy) => missed(policy) !== null)) return refusal;
  if (cltvExpiry <= height + HTLC_FAIL_BACK_BUFFER) return refuse(failureMessage('expiryTooSoon', { channelUpdate: channelUpdate() }), `incoming expiry ${cltvExpiry} too close at height ${height}`);
  if (cltvExpiry > height + CLTV_FAR_FAR_AWAY) return refuse(failureMessage('expiryTooFar', {}), `incoming expiry ${cltvExpiry} too far at height ${height}`);
  if (fwd.outgoingCltvValue <= height + LATENCY_GRACE_PERIOD_BLOCKS) {
    return refuse(failureMessage('expiryTooSoon', { channelUpdate: channelUpdate() }), `outgoing expiry ${fwd.outgoingCltvValue} too close at height ${height}`);
  }
  if (fwd.amtToForward > limits.maximumMsat) {
    return refuse(failureMessage('temporaryChannelFailure', { channelUpdate: channelUpdate() }), `${fwd.amtToForward} msat over the maximum ${limits.maximumMsat}`);
  }
  return null;
}

/**
 * Forwards `incoming` as its onion's `fwd` asks (see the module comment).
 * On `forwarded`, the next channel's step and the link records are written
 * in this input's changes.
 */
export function forwardHtlc(core: ManagerCore, incoming: IncomingForward, fwd: ForwardPayload): ForwardDecision {
  const { cs } = core;
  const found = channelByScid(core, fwd.shortChannelId);
  if (found === 'not-loaded') return { kind: 'defer', scid: fwd.shortChannelId };
  if (found === 'absent') return refuse(failureMessage('unknownNextPeer', {}), `no channel ${fwd.shortChannelId}`);
  const { key, item } = found;
  const out = item.channel;
  // Back over the channel it came in on: refused (LDK has no such route either).
  if (equalBytes(currentChannelId(out), incoming.channelId)) return refuse(failureMessage('unknownNextPeer', {}), 'the next channel is the incoming one');
  const usable = out.state === ChannelState.Ready && cs.featuresOf(out.counterpartyNodeId) !== undefined && item.flags?.awaitingReestablish !== true;
  const refused = policyRefusal(core, incoming, item, usable, fwd);
  if (refused !== null) return refused;
  const ctx = channelContext(core);
  const offered = offerHtlc(ctx, out, { amountMsat: fwd.amtToForward, paymentHash: incoming.htlc.paymentHash, cltvExpiry: fwd.outgoingCltvValue, onionRoutingPacket: incoming.next });
  if (!offered.ok || offered.value.htlcId === undefined) {
    const why = offered.ok ? 'no HTLC id' : offered.error.message;
    return refuse(failureMessage('temporaryChannelFailure', { channelUpdate: channelUpdateForFailure(core, out, undefined, fwd.shortChannelId) }), `the next channel refused it: ${why}`);
  }
  const outId = currentChannelId(out);
  const outHtlcId = offered.value.htlcId;
  // Kept until the HTLC is irrevocably committed: a reconnection may need its update_add_htlc again.
  cs.putRecord(RecordKeys.offeredOnion(toHex(outId), outHtlcId), incoming.next);
  cs.putRecord(
    RecordKeys.forwardOut(toHex(outId), outHtlcId),
    encodeForwardLink({
      incomingPeer: incoming.peer,
      incomingChannelId: incoming.channelId,
      incomingHtlcId: incoming.htlc.id,
      sharedSecret: incoming.sharedSecret,
      incomingAmountMsat: incoming.htlc.amountMsat,
      outgoingAmountMsat: fwd.amtToForward,
    }),
  );
  cs.putRecord(RecordKeys.forwardIn(toHex(incoming.channelId), incoming.htlc.id), encodeForwardMark({ outgoingPeer: out.counterpartyNodeId, outgoingChannelId: outId, outgoingHtlcId: outHtlcId }));
  let channel: Channel = offered.value.channel;
  const effects = [...offered.value.effects];
  const signed = sendCommitmentSigned(ctx, channel);
  if (signed.ok) {
    channel = signed.value.channel;
    effects.push(...signed.value.effects);
  }
  applyStep(core, key, item, { channel, effects });
  log(core, 'info', `forwarded HTLC ${incoming.htlc.id} of ${toHex(incoming.channelId)} as HTLC ${outHtlcId} of ${toHex(outId)} (${fwd.amtToForward} msat)`);
  return { kind: 'forwarded' };
}
