/**
 * Announcing our public channels (BOLT 7, "The `announcement_signatures`
 * Message" and "Rebroadcasting"): once a channel opened with the
 * `announce_channel` bit is ready and its funding 6 deep, each side sends
 * its half of the `channel_announcement` signatures; with both, the full
 * `channel_announcement`, our `channel_update` for it (no `dont_forward`)
 * and our `node_announcement` go to the peer, which relays them to the
 * network (LDK puts them in its `NetworkGraph` and gossips them on).
 *
 * When ours goes out: at the block that makes the funding 6 deep (the
 * channel's `chain` follow-up), at the peer's `channel_ready` when that
 * comes later, and after a reconnection (the peer's `channel_reestablish`)
 * while we have not received theirs (BOLT 7: "SHOULD retransmit"). The
 * first `announcement_signatures` of theirs on a connection is answered
 * with ours (BOLT 7: "MUST respond"). `announcementSignaturesSent` (channel
 * record TLV 73) says ours went out on the current connection; the peer's
 * `channel_reestablish` clears it. A peer that did not get ours before a
 * disconnection sends its own again after the reconnection (LDK does,
 * until a later commitment round proves we had it), and gets ours back.
 *
 * Pure: the timestamps of our `channel_update` and `node_announcement` come
 * from the clock port (the edge's clock), signatures from the signer ports.
 */
import { ChannelState, fundingDepth, shortChannelIdOfChannel, type Channel, type ReadyChannel } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import {
  announcementSignaturesFor,
  channelAnnouncementFrom,
  checkAnnouncementSignatures,
  ourNodeAnnouncement,
  unsignedChannelAnnouncement,
  type AnnouncementSignaturesMessage,
  type UnsignedChannelAnnouncement,
} from '../gossip/index.js';
import type { AddressDescriptor } from '../wire/index.js';
import type { ChannelItem, ChannelKey } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { initFeaturesFor } from './manager-config.js';
import { log, text, type ManagerCore } from './manager-core.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';
import { ANNOUNCEMENT_DEPTH, ourChannelUpdate } from './our-channel-update.js';

export { ANNOUNCEMENT_DEPTH } from './our-channel-update.js';

/** BOLT 7 sets no bound; ours, so that a `node_announcement` stays far below the 65,535-byte message limit. */
export const MAX_NODE_ANNOUNCEMENT_ADDRESSES = 500;

/** What our `node_announcement` says about the node (LDK's `broadcast_node_announcement` arguments). */
export interface NodeAnnouncementSettings {
  /** 3 bytes: red, green, blue. */
  readonly rgbColor: Uint8Array;
  /** Up to 32 bytes of UTF-8. */
  readonly alias: string;
  /** Where peers can reach us (at most {@link MAX_NODE_ANNOUNCEMENT_ADDRESSES}). */
  readonly addresses: readonly AddressDescriptor[];
}

/**
 * `settings` checked: a {@link ManagerError} (`invalid-node-announcement`)
 * for more than {@link MAX_NODE_ANNOUNCEMENT_ADDRESSES} addresses, an alias
 * above 32 bytes of UTF-8 or a colour that is not 3 bytes (LDK panics).
 */
export function checkNodeAnnouncementSettings(settings: NodeAnnouncementSettings): NodeAnnouncementSettings {
  const fail = (why: string): never => {
    throw new ManagerError(ManagerErrorCode.InvalidNodeAnnouncement, why);
  };
  if (settings.addresses.length > MAX_NODE_ANNOUNCEMENT_ADDRESSES) fail(`${settings.addresses.length} addresses (at most ${MAX_NODE_ANNOUNCEMENT_ADDRESSES})`);
  if (settings.rgbColor.length !== 3) fail(`rgb color of ${settings.rgbColor.length} bytes (3)`);
  const aliasLength = new TextEncoder().encode(settings.alias).length;
  if (aliasLength > 32) fail(`alias of ${aliasLength} bytes of UTF-8 (at most 32)`);
  return settings;
}

/** Whether `channel` is announced, ready and 6 deep: both sides may exchange `announcement_signatures`. */
function announceable(channel: Channel): channel is ReadyChannel {
  return channel.announceChannel && channel.state === ChannelState.Ready && fundingDepth(channel) >= ANNOUNCEMENT_DEPTH;
}

/** Whether a message for `item`'s peer may go out now (connected, reestablished). */
function canSend(core: ManagerCore, item: ChannelItem): boolean {
  return core.cs.featuresOf(item.channel.counterpartyNodeId) !== undefined && item.flags?.awaitingReestablish !== true;
}

/** The unsigned `channel_announcement` of a confirmed channel (both sides build the same). */
function unsignedAnnouncementOf(core: ManagerCore, channel: Channel & { readonly counterparty: NonNullable<Channel['counterparty']> }, shortChannelId: bigint): UnsignedChannelAnnouncement {
  const signer = core.ports.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  return unsignedChannelAnnouncement({
    chainHash: core.cs.header.chainHash,
    shortChannelId,
    ourNodeId: core.ports.nodeSigner.getNodeId(),
    theirNodeId: channel.counterpartyNodeId,
    ourFundingPubkey: signer.publicKeys.fundingPubkey,
    theirFundingPubkey: channel.counterparty.pubkeys.fundingPubkey,
  });
}

/** Our `announcement_signatures` for a channel that is {@link announceable}. */
function ourSignatures(core: ManagerCore, channel: ReadyChannel): { announcement: UnsignedChannelAnnouncement; ours: AnnouncementSignaturesMessage } {
  const announcement = unsignedAnnouncementOf(core, channel, shortChannelIdOfChannel(channel)!);
  const signer = core.ports.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  return { announcement, ours: announcementSignaturesFor(core.ports.nodeSigner, signer, channel.funding.channelId, announcement) };
}

/** Our `node_announcement` now, when the node's settings are known. */
export function ourNodeAnnouncementNow(core: ManagerCore): ReturnType<typeof ourNodeAnnouncement> | undefined {
  const settings = core.nodeAnnouncement;
  if (settings === undefined) return undefined;
  return ourNodeAnnouncement(core.ports.nodeSigner, {
    timestamp: core.ports.clock.nowSecs(),
    features: initFeaturesFor(core.cs.header.config),
    rgbColor: settings.rgbColor,
    alias: settings.alias,
    addresses: settings.addresses,
  });
}

/** The `channel_announcement`, our `channel_update` and our `node_announcement` (when its settings are known), to the peer. */
function sendAnnouncement(core: ManagerCore, channel: ReadyChannel, announcement: UnsignedChannelAnnouncement, ours: AnnouncementSignaturesMessage): void {
  const theirs = channel.theirAnnouncementSignatures!;
  const peer = channel.counterpartyNodeId;
  const { cs, ports } = core;
  const full = channelAnnouncementFrom(announcement, ports.nodeSigner.getNodeId(), ours, { ...ours, ...theirs });
  cs.send(peer, full);
  // Our forwarding policy (manager-config.ts), under the real short channel id and without dont_forward: the channel is 6 deep.
  const update = ourChannelUpdate(core, channel);
  if (update !== undefined) cs.send(peer, update);
  const node = ourNodeAnnouncementNow(core);
  if (node !== undefined) cs.send(peer, node);
}

/**
 * Sends our `announcement_signatures` for the channel `key` when it is due
 * (announced, ready, 6 deep, not sent on this connection, the peer
 * connected and reestablished), and the announcement itself when the
 * peer's are known. Called after the channel's chain events, the peer's
 * `channel_ready` and its `channel_reestablish`.
 */
export function announceIfDue(core: ManagerCore, key: ChannelKey): void {
  const item = core.cs.entry(key);
  if (item?.kind !== 'channel') return;
  const channel = item.channel;
  if (!announceable(channel) || channel.announcementSignaturesSent === true || !canSend(core, item)) return;
  const { announcement, ours } = ourSignatures(core, channel);
  core.cs.send(channel.counterpartyNodeId, ours);
  const next: ReadyChannel = { ...channel, announcementSignaturesSent: true };
  applyStep(core, key, item, { channel: next, effects: [] });
  if (next.theirAnnouncementSignatures !== undefined) sendAnnouncement(core, next, announcement, ours);
}

/**
 * The peer's `channel_reestablish` was handled: ours counts as not sent on
 * the new connection; it goes again unless the peer's are known (BOLT 7).
 */
export function announceAfterReestablish(core: ManagerCore, key: ChannelKey): void {
  const item = core.cs.entry(key);
  if (item?.kind !== 'channel' || item.channel.announcementSignaturesSent !== true) return announceIfReestablishedWithout(core, key);
  const { announcementSignaturesSent: _sent, ...rest } = item.channel;
  applyStep(core, key, item, { channel: rest as Channel, effects: [] });
  announceIfReestablishedWithout(core, key);
}

function announceIfReestablishedWithout(core: ManagerCore, key: ChannelKey): void {
  const item = core.cs.entry(key);
  if (item?.kind === 'channel' && item.channel.theirAnnouncementSignatures === undefined) announceIfDue(core, key);
}

/**
 * The peer's `announcement_signatures` (BOLT 7 receiver): for an announced,
 * confirmed channel of this peer, checked against the announcement we
 * build (`checkAnnouncementSignatures`: the short channel id, both
 * signatures) and kept; a bad one gets a `warning` and is dropped (BOLT 7
 * allows failing the channel; LDK does not either). When our own is due
 * (the channel 6 deep and ready) and not sent on this connection, ours
 * answers; with both, the announcement goes to the peer. Before that
 * (the peer's chain is ahead of ours), theirs waits in the channel.
 */
export function onAnnouncementSignatures(core: ManagerCore, peer: Uint8Array, m: AnnouncementSignaturesMessage): void {
  const { cs, ports } = core;
  const key = cs.keyFor(peer, m.channelId);
  const item = cs.entry(key);
  const warn = (why: string): void => cs.send(peer, { type: 1, channelId: m.channelId, data: text(`announcement_signatures: ${why}`) });
  if (item?.kind !== 'channel') return warn('unknown channel');
  const channel = item.channel;
  if (!channel.announceChannel) return warn('the channel is not announced');
  const scid = shortChannelIdOfChannel(channel);
  if (scid === null || channel.counterparty === undefined || channel.funding === undefined || channel.state === ChannelState.Closed) {
    // Our chain has not confirmed the funding yet: LDK sends it again after a reconnection.
    log(core, 'info', `announcement_signatures from ${toHex(peer)} before the funding confirmed here: ignored`);
    return;
  }
  const announcement = unsignedAnnouncementOf(core, { ...channel, counterparty: channel.counterparty }, scid);
  const verdict = checkAnnouncementSignatures(ports.secp, m, {
    channelId: channel.funding.channelId,
    announcement,
    theirNodeId: peer,
    theirFundingPubkey: channel.counterparty.pubkeys.fundingPubkey,
  });
  if (!verdict.ok) return warn(verdict.detail);
  const next = { ...channel, theirAnnouncementSignatures: { nodeSignature: m.nodeSignature, bitcoinSignature: m.bitcoinSignature } } as Channel;
  applyStep(core, key, item, { channel: next, effects: [] });
  const after = cs.entry(key);
  if (after?.kind !== 'channel' || !announceable(after.channel) || !canSend(core, after)) return;
  if (after.channel.announcementSignaturesSent !== true) return announceIfDue(core, key);
  const { ours } = ourSignatures(core, after.channel);
  sendAnnouncement(core, after.channel, announcement, ours);
}

/**
 * LDK's `broadcast_node_announcement`: the node's colour, alias and
 * addresses are checked ({@link checkNodeAnnouncementSettings}: throws),
 * kept for this manager's announcements, and our `node_announcement` goes
 * to every connected peer.
 */
export function broadcastNodeAnnouncement(core: ManagerCore, rgbColor: Uint8Array, alias: string, addresses: readonly AddressDescriptor[]): void {
  core.nodeAnnouncement = checkNodeAnnouncementSettings({ rgbColor, alias, addresses });
  const message = ourNodeAnnouncementNow(core)!;
  for (const peer of core.cs.connectedPeerIds()) core.cs.send(peer, message);
}
