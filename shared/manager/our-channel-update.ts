/**
 * Our `channel_update` for a private channel (BOLT 7, type 258; LDK's
 * `get_channel_update_for_unicast`): our forwarding policy for the
 * direction from us to the peer, signed by our node key. The peer needs it
 * to route over us (LDK puts a private channel in its invoices' route hints
 * only once it has the peer's update); BOLT 4 failures of the UPDATE kind
 * carry it too (docs/forwarding.md).
 *
 * Sent to the peer when the channel becomes ready and after every
 * `channel_reestablish` (a new timestamp each time: the peer keeps the newest).
 */
import { ChannelState, shortChannelIdOfChannel, type Channel } from '../channel/index.js';
import { compareBytes } from '../codec/index.js';
import { sha256 } from '../crypto/index.js';
import { channelUpdateSignedBytes, encodeMessage, type ChannelUpdateMessage } from '../wire/index.js';
import { forwardingConfigOf } from './manager-config.js';
import type { ManagerCore } from './manager-core.js';

/** Bit 0 `must_be_one` (htlc_maximum_msat present), bit 1 `dont_forward` (the channel is not announced). */
const MESSAGE_FLAGS = 0b11;

/** What our update says for `channel`: the smallest and largest HTLC we send over it. */
export function advertisedHtlcLimits(core: ManagerCore, channel: Channel): { minimumMsat: bigint; maximumMsat: bigint } {
  const policy = forwardingConfigOf(core.cs.header.config);
  const theirMinimum = channel.counterparty?.htlcMinimumMsat ?? 0n;
  const valueMsat = channel.fundingSatoshis * 1000n;
  const inFlight = channel.counterparty?.maxHtlcValueInFlightMsat ?? valueMsat;
  return { minimumMsat: theirMinimum > policy.htlcMinimumMsat ? theirMinimum : policy.htlcMinimumMsat, maximumMsat: inFlight < valueMsat ? inFlight : valueMsat };
}

/**
 * The short channel id the peer knows `channel` by: the alias it sent in
 * `channel_ready` (always in its lookup table), else the real one; null
 * before either exists.
 */
export function scidForPeer(channel: Channel): bigint | null {
  return channel.theirChannelReady?.alias ?? shortChannelIdOfChannel(channel);
}

/**
 * Our signed `channel_update` for `channel` (`disabled`: the channel cannot
 * forward now, bit 1 of `channel_flags`); undefined for a channel without a
 * short channel id the peer knows yet.
 */
export function ourChannelUpdate(core: ManagerCore, channel: Channel, disabled = false): ChannelUpdateMessage | undefined {
  const { ports, cs } = core;
  const scid = scidForPeer(channel);
  if (scid === null || channel.funding === undefined) return undefined;
  const policy = forwardingConfigOf(cs.header.config);
  const limits = advertisedHtlcLimits(core, channel);
  // Direction bit: 0 when we are node_1, the lesser node id.
  const direction = compareBytes(ports.nodeSigner.getNodeId(), channel.counterpartyNodeId) < 0 ? 0 : 1;
  const unsigned: ChannelUpdateMessage = {
    type: 258,
    signature: new Uint8Array(64),
    chainHash: cs.header.chainHash,
    shortChannelId: scid,
    timestamp: ports.clock.nowSecs(),
    messageFlags: MESSAGE_FLAGS,
    channelFlags: direction | (disabled ? 2 : 0),
    cltvExpiryDelta: policy.cltvExpiryDelta,
    htlcMinimumMsat: limits.minimumMsat,
    feeBaseMsat: policy.feeBaseMsat,
    feeProportionalMillionths: policy.feeProportionalMillionths,
    htlcMaximumMsat: limits.maximumMsat,
  };
  const digest = sha256(sha256(channelUpdateSignedBytes(encodeMessage(unsigned))));
  return { ...unsigned, signature: ports.nodeSigner.signGossipMessage(digest) };
}

/** The update as BOLT 4 failure messages carry it: the whole message, its type first. */
export function channelUpdateForFailure(core: ManagerCore, channel: Channel): Uint8Array {
  const update = ourChannelUpdate(core, channel, channel.state !== ChannelState.Ready);
  return update === undefined ? new Uint8Array(0) : encodeMessage(update);
}

/** Sends our update to the peer of a ready channel (once ready, after each reestablish). */
export function sendOurChannelUpdate(core: ManagerCore, channel: Channel): void {
  if (channel.state !== ChannelState.Ready) return;
  const update = ourChannelUpdate(core, channel);
  if (update !== undefined) core.cs.send(channel.counterpartyNodeId, update);
}
