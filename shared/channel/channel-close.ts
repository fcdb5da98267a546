/**
 * Failing a channel (BOLT 2 "MUST fail the channel"; BOLT 1 `error`): the
 * record becomes `closed` with its reason, the peer gets an `error`.
 */
import type { ErrorMessage } from '../wire/index.js';
import { ChannelState, currentChannelId, type Channel, type ClosedChannel } from './channel-state.js';
import type { ChannelClosed, ChannelEffect, ChannelStep } from './effects.js';
import type { ChannelFailureReason } from './errors.js';

/** The BOLT 1 `error` failing channel `channelId` with `reason: message` as its data. */
export function errorMessage(channelId: Uint8Array, reason: ChannelFailureReason, message: string): ErrorMessage {
  return { type: 17, channelId, data: new TextEncoder().encode(`${reason}: ${message}`) };
}

/**
 * Fails the channel: it becomes `closed` with the reason, every other field
 * unchanged; the effects send the `error` (unless the peer sent one) and
 * emit `ChannelClosed`, then `DiscardFunding` when our signed funding
 * transaction was waiting for the peer's `funding_signed`.
 */
export function closeChannel(channel: Channel, reason: ChannelFailureReason, message: string, sendError = true): ChannelStep {
  const closed: ClosedChannel = { ...channel, state: ChannelState.Closed, closure: { reason, message } };
  const id = currentChannelId(channel);
  const effects: ChannelEffect[] = [];
  if (sendError) effects.push({ kind: 'send-message', message: errorMessage(id, reason, message) });
  effects.push({ kind: 'event', event: channelClosedEvent(channel, reason, message) });
  if (channel.state === ChannelState.AwaitingFundingSigned) {
    // Our signed funding transaction was never broadcast (that waits for `funding_signed`): it is discarded with the channel.
    const { counterpartyNodeId, userChannelId, funding } = channel;
    effects.push({ kind: 'event', event: { kind: 'discard-funding', channelId: id, counterpartyNodeId, userChannelId, fundingOutpoint: funding.outpoint } });
  }
  return { channel: closed, effects, failure: { reason, message } };
}


/** LDK's `Event::ChannelClosed` for `channel`, closed for `reason`. */
export function channelClosedEvent(channel: Channel, reason: ChannelFailureReason, message: string): ChannelClosed {
  return {
    kind: 'channel-closed',
    channelId: currentChannelId(channel),
    temporaryChannelId: channel.temporaryChannelId,
    counterpartyNodeId: channel.counterpartyNodeId,
    userChannelId: channel.userChannelId,
    channelCapacitySats: channel.fundingSatoshis,
    isOutbound: channel.isOutbound,
    reason,
    message,
  };
}
