/**
 * The peer's `channel_update` for a private channel (BOLT 7; LDK sends one
 * right after `channel_ready`): its policy for forwarding to us, kept on the
 * channel for our invoices' route hints (LDK includes a private channel in
 * its invoices only once it has the peer's update, and so do we). Checked:
 * our chain, a channel of this peer (by its real short channel id or either
 * alias), the direction from the peer, the peer's signature, newer than
 * the one kept. Anything else is ignored (gossip is issue 18). The input
 * loads the one channel the short channel id names (the `SCID#` index: our
 * alias or the real one), not every channel of the peer.
 */
import { ChannelState, shortChannelIdOfChannel, type Channel } from '../channel/index.js';
import { compareBytes, equalBytes } from '../codec/index.js';
import { sha256, toHex } from '../crypto/index.js';
import type { RouteHint } from '../invoice/index.js';
import { channelUpdateSignedBytes, encodeMessage, type ChannelUpdateMessage } from '../wire/index.js';
import { applyStep } from './channel-step.js';
import { log, type ManagerCore } from './manager-core.js';

/** The short channel ids a peer may name our channel by: the real one and both aliases. */
function scidsOf(channel: Channel): bigint[] {
  return [shortChannelIdOfChannel(channel), channel.holderAlias, channel.theirChannelReady?.alias].filter((s): s is bigint => s !== undefined && s !== null);
}

/** The `channel_update` from `peer` (its channels loaded). */
export function onChannelUpdate(core: ManagerCore, peer: Uint8Array, m: ChannelUpdateMessage): void {
  const { cs, ports } = core;
  if (!equalBytes(m.chainHash, cs.header.chainHash)) return;
  // The channel the update names was loaded through the SCID# index (load-plan.ts); it must be this peer's.
  const found = cs
    .loadedEntries()
    .find(([, e]) => e.kind === 'channel' && e.channel.funding !== undefined && equalBytes(e.channel.counterpartyNodeId, peer) && scidsOf(e.channel).includes(m.shortChannelId));
  // Not a private channel of ours: network gossip, for the graph (the GossipHandler port); a public channel's
  // update with dont_forward is the peer's to us alone (before the channel is announced), kept below only.
  const forUsAlone = (m.messageFlags & 2) !== 0;
  if (found === undefined || found[1].kind !== 'channel' || (found[1].channel.announceChannel && !forUsAlone)) ports.gossip?.handleGossip(peer, m);
  if (found === undefined || found[1].kind !== 'channel') return;
  const [key, item] = found;
  // Direction bit: 0 when the update comes from node_1, the lesser node id.
  const fromNode1 = compareBytes(peer, ports.nodeSigner.getNodeId()) < 0;
  if ((m.channelFlags & 1) !== (fromNode1 ? 0 : 1)) return;
  const digest = sha256(sha256(channelUpdateSignedBytes(encodeMessage(m))));
  if (!ports.secp.verify(m.signature, digest, peer)) {
    log(core, 'warn', `channel_update from ${toHex(peer)} for ${m.shortChannelId}: bad signature, ignored`);
    return;
  }
  const kept = item.channel.counterpartyForwarding;
  if (kept !== undefined && kept.timestamp >= m.timestamp) return;
  const counterpartyForwarding = {
    feeBaseMsat: m.feeBaseMsat,
    feeProportionalMillionths: m.feeProportionalMillionths,
    cltvExpiryDelta: m.cltvExpiryDelta,
    htlcMinimumMsat: m.htlcMinimumMsat,
    htlcMaximumMsat: m.htlcMaximumMsat,
    timestamp: m.timestamp,
  };
  applyStep(core, key, item, { channel: { ...item.channel, counterpartyForwarding }, effects: [] });
}

/**
 * Route hints for an invoice of `amountMsat` (LDK's `create_bolt11_invoice`):
 * up to three of our ready channels with the peer connected, the peer's
 * policy known and room for the amount, most inbound capacity first; each
 * hint the peer and the short channel id the peer knows the channel by
 * (the alias it sent in `channel_ready`, else the real one) with the
 * peer's fee and CLTV delta.
 */
export function routeHints(core: ManagerCore, amountMsat: bigint | undefined, inboundCapacityMsat: (channel: Channel) => bigint): RouteHint[] {
  const candidates: { hint: RouteHint; inbound: bigint }[] = [];
  for (const [, entry] of core.cs.loadedEntries()) {
    if (entry.kind !== 'channel' || entry.channel.state !== ChannelState.Ready) continue;
    const channel = entry.channel;
    const policy = channel.counterpartyForwarding;
    if (policy === undefined || core.cs.featuresOf(channel.counterpartyNodeId) === undefined) continue;
    const scid = channel.theirChannelReady?.alias ?? shortChannelIdOfChannel(channel);
    const inbound = inboundCapacityMsat(channel);
    if (scid === null || scid === undefined || (amountMsat !== undefined && inbound < amountMsat)) continue;
    candidates.push({
      inbound,
      hint: [{ pubkey: channel.counterpartyNodeId, shortChannelId: scid, feeBaseMsat: BigInt(policy.feeBaseMsat), feeProportionalMillionths: policy.feeProportionalMillionths, cltvExpiryDelta: policy.cltvExpiryDelta }],
    });
  }
  return candidates.sort((a, b) => (b.inbound > a.inbound ? 1 : b.inbound < a.inbound ? -1 : 0)).slice(0, 3).map((c) => c.hint);
}
