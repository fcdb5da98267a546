/**
 * LDK's `ChannelDetails`: what `listChannels` tells a user about one channel.
 */
import { ChannelState, channelBalancesOf, commitmentStateOf, isOperating, shortChannelIdOfChannel, type Channel, type NegotiatedChannelType, type PendingHtlc } from '../channel/index.js';
import type { Outpoint } from '../ports/index.js';

export interface ChannelDetails {
  /** The channel's id: the real one once funded, else the temporary one. */
  readonly channelId: Uint8Array;
  readonly temporaryChannelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly state: ChannelState;
  readonly fundingOutpoint: Outpoint | null;
  readonly channelType: NegotiatedChannelType;
  readonly shortChannelId: bigint | null;
  /** Our alias for the channel (sent in `channel_ready`). */
  readonly inboundScidAlias: bigint;
  readonly channelValueSatoshis: bigint;
  readonly userChannelId: bigint;
  /** Our balance on the commitments, before fees and reserves. */
  readonly balanceMsat: bigint;
  /** What we could send: our balance less the reserve the counterparty requires of us. */
  readonly outboundCapacityMsat: bigint;
  /** What we could receive: their balance less the reserve we require of them. */
  readonly inboundCapacityMsat: bigint;
  /** Our commitment output now: HTLCs in flight left out, the commitment fee and anchors taken when we fund (docs/balances.md). */
  readonly localBalanceMsat: bigint;
  /** The counterparty's commitment output now, by the same rule. */
  readonly remoteBalanceMsat: bigint;
  /** The HTLCs in flight, both ways. */
  readonly pendingHtlcs: readonly PendingHtlc[];
  /** The largest single HTLC we can offer now (LDK's `next_outbound_htlc_limit_msat`): reserve, in-flight limit, fee spike buffer, dust. */
  readonly nextOutboundHtlcLimitMsat: bigint;
  /** The smallest HTLC we may offer (the counterparty's `htlc_minimum_msat`, raised near our dust exposure limit). */
  readonly nextOutboundHtlcMinimumMsat: bigint;
  /** The largest single HTLC the counterparty can offer us now: the same rules from its side. */
  readonly nextInboundHtlcLimitMsat: bigint;
  /** The reserve we must keep (the counterparty's `channel_reserve_satoshis`), once known. */
  readonly unspendablePunishmentReserveSatoshis: bigint | null;
  readonly confirmationsRequired: number;
  readonly confirmations: number;
  readonly isOutbound: boolean;
  /** Both sides sent `channel_ready` (also while closing cooperatively, as LDK reports it). */
  readonly isChannelReady: boolean;
  /** Ready and the peer is connected. */
  readonly isUsable: boolean;
  readonly isPublic: boolean;
  /** The peer's policy for forwarding to us over this channel, from its `channel_update` (LDK's `counterparty.forwarding_info`); absent until one arrived. */
  readonly counterpartyForwardingInfo?: { readonly feeBaseMsat: number; readonly feeProportionalMillionths: number; readonly cltvExpiryDelta: number };
  /** Our policy for forwarding over this channel, the one our `channel_update` carries (LDK's `ChannelDetails::config`); set by `listChannels`. */
  readonly forwardingPolicy?: { readonly feeBaseMsat: number; readonly feeProportionalMillionths: number; readonly cltvExpiryDelta: number };
}

function nonNegative(v: bigint): bigint {
  return v > 0n ? v : 0n;
}

/**
 * The details of `channel` at best height `bestHeight`, `connected` telling
 * whether its peer is; `dustLimitingFeeratePerKw` (our `MaximumFeeEstimate`)
 * puts our dust exposure limit into the outbound HTLC limits, as the router sees them.
 */
export function channelDetailsOf(channel: Channel, bestHeight: number, connected: boolean, dustLimitingFeeratePerKw?: number): ChannelDetails {
  const valueMsat = channel.fundingSatoshis * 1000n;
  const funderMsat = valueMsat - channel.pushMsat;
  // Ready or closing: our balance in the dance's state (HTLCs we offered out of it, settled ones in); before: the opening split.
  const balanceMsat = isOperating(channel) ? commitmentStateOf(channel).holderBalanceMsat : channel.isOutbound ? funderMsat : channel.pushMsat;
  const theirReserve = channel.counterparty?.channelReserveSatoshis;
  const ready = channel.state === ChannelState.Ready;
  // As LDK: a channel closing cooperatively stays channel-ready (both sent channel_ready), but is no longer usable.
  const closing = channel.state === ChannelState.ShutdownSent || channel.state === ChannelState.NegotiatingClose;
  const conf = channel.confirmation;
  const balances = channelBalancesOf(channel, dustLimitingFeeratePerKw);
  return {
    channelId: channel.funding?.channelId ?? channel.temporaryChannelId,
    temporaryChannelId: channel.temporaryChannelId,
    counterpartyNodeId: channel.counterpartyNodeId,
    state: channel.state,
    fundingOutpoint: channel.funding?.outpoint ?? null,
    channelType: channel.channelType,
    shortChannelId: shortChannelIdOfChannel(channel),
    inboundScidAlias: channel.holderAlias,
    channelValueSatoshis: channel.fundingSatoshis,
    userChannelId: channel.userChannelId,
    balanceMsat,
    outboundCapacityMsat: nonNegative(balanceMsat - (theirReserve ?? 0n) * 1000n),
    inboundCapacityMsat: nonNegative(valueMsat - balanceMsat - channel.holder.channelReserveSatoshis * 1000n),
    localBalanceMsat: balances.localBalanceMsat,
    remoteBalanceMsat: balances.remoteBalanceMsat,
    pendingHtlcs: balances.pendingHtlcs,
    nextOutboundHtlcLimitMsat: balances.nextOutboundHtlcLimitMsat,
    nextOutboundHtlcMinimumMsat: balances.nextOutboundHtlcMinimumMsat,
    nextInboundHtlcLimitMsat: balances.nextInboundHtlcLimitMsat,
    unspendablePunishmentReserveSatoshis: theirReserve ?? null,
    confirmationsRequired: channel.minimumDepth,
    confirmations: conf ? Math.max(0, Math.max(bestHeight, channel.bestHeight) - conf.height + 1) : 0,
    isOutbound: channel.isOutbound,
    isChannelReady: ready || closing,
    isUsable: ready && connected,
    isPublic: channel.announceChannel,
    ...(channel.counterpartyForwarding === undefined
      ? {}
      : {
          counterpartyForwardingInfo: {
            feeBaseMsat: channel.counterpartyForwarding.feeBaseMsat,
            feeProportionalMillionths: channel.counterpartyForwarding.feeProportionalMillionths,
            cltvExpiryDelta: channel.counterpartyForwarding.cltvExpiryDelta,
          },
        }),
  };
}
