/**
 * Our `channel_update` (BOLT 7, type 258): our forwarding policy for the
 * direction from us to the peer, signed by our node key.
 *
 * - A private channel, or a public one not yet {@link ANNOUNCEMENT_DEPTH}
 *   deep (LDK's `get_channel_update_for_unicast`): for the peer only, under
 *   the short channel id it knows (its alias, else the real one), with the
 *   `dont_forward` bit. The peer needs it to route over us (LDK puts a
 *   private channel in its invoices' route hints only once it has the
 *   peer's update).
 * - A public channel {@link ANNOUNCEMENT_DEPTH} deep (announced:
 *   channel-announcements.ts): under its real short channel id, without
 *   `dont_forward`, so the peer relays it to the network.
 *
 * BOLT 4 failures of the UPDATE kind carry it too (docs/forwarding.md).
 * Sent to the peer when the channel becomes ready and after every
 * `channel_reestablish` (a new timestamp each time: the peer keeps the newest).
 */
import { ChannelState, fundingDepth, shortChannelIdOfChannel, type Channel } from '../channel/index.js';
import { ourChannelUpdate as signedChannelUpdate } from '../gossip/index.js';
import type { ChannelUpdateMessage } from '../wire/index.js';
import { encodeMessage } from '../wire/index.js';
import { forwardingPolicyOfChannel } from './channel-forwarding.js';
import type { ManagerCore } from './manager-core.js';

/** BOLT 7: `announcement_signatures` only once the funding transaction has this many confirmations (LDK: the same 6). */
export const ANNOUNCEMENT_DEPTH = 6;

/** Whether the network may know `channel` now: opened public and its funding {@link ANNOUNCEMENT_DEPTH} deep. */
export function isPublicNow(channel: Channel): boolean {
  return channel.announceChannel && shortChannelIdOfChannel(channel) !== null && fundingDepth(channel) >= ANNOUNCEMENT_DEPTH;
}

/** What our update says for `channel`: the smallest and largest HTLC we send over it. */
export function advertisedHtlcLimits(core: ManagerCore, channel: Channel): { minimumMsat: bigint; maximumMsat: bigint } {
  const policy = forwardingPolicyOfChannel(core.cs, channel);
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

/** How one update of ours is built beyond the channel: the disable bit, a timestamp floor. */
export interface OurUpdateOptions {
  /** The channel cannot forward now (bit 1 of `channel_flags`). */
  readonly disabled?: boolean;
  /** The timestamp is at least this (one past an update already sent: BOLT 7 keeps only a strictly newer one). */
  readonly notBefore?: number;
  /**
   * For a channel not announced: the short channel id to name instead of
   * the one the peer knows (a failure's update names the channel as the
   * payer's onion did: the alias in the payee's route hint).
   */
  readonly shortChannelId?: bigint;
}

/**
 * Our signed `channel_update` for `channel` (see the module comment for
 * which short channel id and flags); undefined for a channel without a
 * short channel id yet.
 */
export function ourChannelUpdate(core: ManagerCore, channel: Channel, options: OurUpdateOptions = {}): ChannelUpdateMessage | undefined {
  const { ports, cs } = core;
  const announced = isPublicNow(channel);
  const scid = announced ? shortChannelIdOfChannel(channel) : (options.shortChannelId ?? scidForPeer(channel));
  if (scid === null || channel.funding === undefined) return undefined;
  const policy = forwardingPolicyOfChannel(core.cs, channel);
  const limits = advertisedHtlcLimits(core, channel);
  const now = ports.clock.nowSecs();
  return signedChannelUpdate(ports.nodeSigner, {
    chainHash: cs.header.chainHash,
    shortChannelId: scid,
    timestamp: options.notBefore !== undefined && options.notBefore > now ? options.notBefore : now,
    theirNodeId: channel.counterpartyNodeId,
    cltvExpiryDelta: policy.cltvExpiryDelta,
    htlcMinimumMsat: limits.minimumMsat,
    htlcMaximumMsat: limits.maximumMsat,
    feeBaseMsat: policy.feeBaseMsat,
    feeProportionalMillionths: policy.feeProportionalMillionths,
    disabled: options.disabled === true,
    dontForward: !announced,
  });
}

/**
 * The update as BOLT 4 failure messages carry it: the whole message, its
 * type first; disabled for a channel not ready or disabled by the timer
 * (`disabledAt`: its disabled update's timestamp, channel-update-status.ts);
 * a channel not announced named by `onionScid`, the short channel id the
 * failed HTLC's onion named it by, when given (the payer knows it by that
 * one, not by the alias the peer gave us).
 */
export function channelUpdateForFailure(core: ManagerCore, channel: Channel, disabledAt?: number, onionScid?: bigint): Uint8Array {
  const state = disabledAt !== undefined ? { disabled: true, notBefore: disabledAt } : { disabled: channel.state !== ChannelState.Ready };
  const update = ourChannelUpdate(core, channel, onionScid === undefined ? state : { ...state, shortChannelId: onionScid });
  return update === undefined ? new Uint8Array(0) : encodeMessage(update);
}

/** Sends our update to the peer of a channel that became ready (after each reestablish: channel-update-status.ts). */
export function sendOurChannelUpdate(core: ManagerCore, channel: Channel): void {
  if (channel.state !== ChannelState.Ready) return;
  const update = ourChannelUpdate(core, channel);
  if (update !== undefined) core.cs.send(channel.counterpartyNodeId, update);
}
