/** Reading the loaded channels: LDK's `list_channels`, `list_usable_channels`, and the held inbound requests. */
import { ChannelState, parseChannelType } from '../channel/index.js';
import type { ChangeSet } from './change-set.js';
import { channelDetailsOf, type ChannelDetails } from './channel-details.js';
import { forwardingPolicyOf } from './channel-forwarding.js';
import type { InboundChannelRequestDetails } from './manager-types.js';

/**
 * Every channel not closed; connected means the peer is and the channel is
 * not waiting for its `channel_reestablish`; our outbound limits under our
 * dust exposure limit when its limiting feerate is given.
 */
export function listChannels(cs: ChangeSet, dustLimitingFeeratePerKw?: number): ChannelDetails[] {
  const out: ChannelDetails[] = [];
  for (const [, entry] of cs.loadedEntries()) {
    if (entry.kind !== 'channel' || entry.channel.state === ChannelState.Closed) continue;
    const flags = cs.flagsOf(entry);
    const details = channelDetailsOf(entry.channel, cs.header.bestBlock.height, !flags.peerDisconnected && !flags.awaitingReestablish, dustLimitingFeeratePerKw);
    const { feeBaseMsat, feeProportionalMillionths, cltvExpiryDelta } = forwardingPolicyOf(cs, entry);
    out.push({ ...details, forwardingPolicy: { feeBaseMsat, feeProportionalMillionths, cltvExpiryDelta } });
  }
  return out;
}

/** The inbound `open_channel`s held for the user's decision (LDK keeps these out of `list_channels` too). */
export function listInboundChannelRequests(cs: ChangeSet): InboundChannelRequestDetails[] {
  const out: InboundChannelRequestDetails[] = [];
  for (const [, entry] of cs.loadedEntries()) {
    if (entry.kind !== 'open-request') continue;
    const parsed = entry.open.channelType === undefined ? null : parseChannelType(entry.open.channelType);
    out.push({
      temporaryChannelId: entry.open.temporaryChannelId,
      counterpartyNodeId: entry.counterpartyNodeId,
      fundingSatoshis: entry.open.fundingSatoshis,
      pushMsat: entry.open.pushMsat,
      channelType: parsed ?? { anchors: false, scidAlias: false },
      isPublic: (entry.open.channelFlags & 1) === 1,
      receivedAtHeight: entry.receivedAtHeight,
    });
  }
  return out;
}

/** Ready, with the peer connected. */
export function listUsableChannels(cs: ChangeSet, dustLimitingFeeratePerKw?: number): ChannelDetails[] {
  return listChannels(cs, dustLimitingFeeratePerKw).filter((d) => d.isUsable);
}
