/**
 * Opening channels: the user calls of establishment (LDK's `create_channel`,
 * `funding_transaction_generated`, `accept_inbound_channel`, closing an
 * unfunded channel, rejecting a request) and the peer's `open_channel`
 * (the routing table's handler for type 32).
 */
import { equalBytes } from '../codec/index.js';
import {
  ChannelFailureReason,
  closeChannel,
  createChannel as createChannelRecord,
  fundingTransactionGenerated as channelFundingTransactionGenerated,
  handleOpenChannel as channelHandleOpen,
} from '../channel/index.js';
import type { OpenChannelMessage } from '../wire/index.js';
import { channelKey, type ChannelEntry } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { InboundChannelPolicy, MAX_UNFUNDED_OUTBOUND_CHANNELS, MAX_UNFUNDED_CHANNELS_PER_PEER, MAX_UNFUNDED_INBOUND_CHANNELS, type HandshakeOverride } from './manager-config.js';
import { channelContext, log, text, type ManagerCore } from './manager-core.js';
import { ApiErrorCode, ManagerError, ManagerErrorCode, type ApiResult } from './manager-errors.js';

/** LDK's `create_channel` (see `ChannelManager.createChannel`). */
export function createChannel(
  core: ManagerCore,
  theirNetworkKey: Uint8Array,
  channelValueSatoshis: bigint,
  pushMsat: bigint,
  userChannelId: bigint,
  overrideConfig?: HandshakeOverride,
): ApiResult<Uint8Array> {
  const { cs } = core;
  if (cs.unfundedOutbound() >= MAX_UNFUNDED_OUTBOUND_CHANNELS) {
    const message = `${MAX_UNFUNDED_OUTBOUND_CHANNELS} channels of ours are already waiting for their funding; open more once some are funded`;
    return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message } };
  }
  const created = createChannelRecord(channelContext(core, overrideConfig), {
    counterpartyNodeId: theirNetworkKey,
    theirInitFeatures: cs.featuresOrNone(theirNetworkKey),
    bestHeight: cs.header.bestBlock.height,
    fundingSatoshis: channelValueSatoshis,
    pushMsat,
    userChannelId,
  });
  if (!created.ok) return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: created.error.message } };
  applyStep(core, null, null, created.value);
  return { ok: true, value: created.value.channel.temporaryChannelId };
}

/** LDK's `funding_transaction_generated` (see `ChannelManager.fundingTransactionGenerated`). */
export function fundingTransactionGenerated(core: ManagerCore, temporaryChannelId: Uint8Array, fundingTransaction: Uint8Array, counterpartyNodeId?: Uint8Array): ApiResult<void> {
  const { cs } = core;
  const [entry] = cs.unfundedByTemporaryId(temporaryChannelId, counterpartyNodeId);
  if (entry === undefined) return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no unfunded channel with this temporary channel id' } };
  const key = channelKey(entry.counterpartyNodeId, entry.channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no outbound channel with this temporary channel id' } };
  if (item.channel.funding !== undefined) {
    throw new ManagerError(ManagerErrorCode.FundingAlreadyProvided, 'a funding transaction was already provided for this channel');
  }
  const result = channelFundingTransactionGenerated(channelContext(core), item.channel, fundingTransaction);
  if (!result.ok) return result;
  applyStep(core, key, item, result.value);
  return { ok: true, value: undefined };
}

/** Closes an outbound channel still waiting for its funding transaction (see `ChannelManager.abandonUnfundedChannel`). */
export function abandonUnfundedChannel(core: ManagerCore, temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array, message: string): ApiResult<void> {
  const { cs } = core;
  const [entry] = cs.unfundedByTemporaryId(temporaryChannelId, counterpartyNodeId);
  const key = entry === undefined ? undefined : channelKey(entry.counterpartyNodeId, entry.channelId);
  const item = key === undefined ? undefined : cs.entry(key);
  if (key === undefined || item?.kind !== 'channel' || item.channel.funding !== undefined) {
    return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no outbound channel waiting for its funding transaction with this id' } };
  }
  applyStep(core, key, item, closeChannel(item.channel, ChannelFailureReason.FundingNotProvided, message));
  return { ok: true, value: undefined };
}

/** LDK's `accept_inbound_channel` (manual policy): answers the held `open_channel` with `accept_channel`. */
export function acceptInboundChannel(core: ManagerCore, temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array, userChannelId: bigint): ApiResult<void> {
  const { cs } = core;
  const key = channelKey(counterpartyNodeId, temporaryChannelId);
  const request = cs.entry(key);
  if (request?.kind !== 'open-request') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no inbound channel request with this id' } };
  const result = channelHandleOpen(
    channelContext(core),
    { counterpartyNodeId, theirInitFeatures: request.theirInitFeatures, bestHeight: cs.header.bestBlock.height },
    request.open,
    userChannelId,
  );
  if (!result.ok) {
    cs.removeEntry(key, request);
    cs.sendAll(counterpartyNodeId, result.effects);
    return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: `the channel no longer passes the checks: ${result.failure.message}` } };
  }
  applyStep(core, key, null, { channel: result.channel, effects: result.effects });
  return { ok: true, value: undefined };
}

/** Refuses a held inbound request (LDK's `force_close_*` on an unaccepted channel): the peer gets an `error`. */
export function rejectInboundChannel(core: ManagerCore, temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<void> {
  const { cs } = core;
  const key = channelKey(counterpartyNodeId, temporaryChannelId);
  const request = cs.entry(key);
  if (request?.kind !== 'open-request') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no inbound channel request with this id' } };
  cs.removeEntry(key, request);
  cs.send(counterpartyNodeId, { type: 17, channelId: temporaryChannelId, data: text('channel rejected by the node operator') });
  return { ok: true, value: undefined };
}

/**
 * LDK's `handle_open_channel`: every BOLT 2 check; then `accept_channel`
 * (policy `all`) or an `OpenChannelRequest` event (policy `manual`). A
 * temporary id already in use with this peer, or too many unfunded
 * channels, is refused without creating anything.
 */
export function handleOpenChannel(core: ManagerCore, peer: Uint8Array, m: OpenChannelMessage): void {
  const { cs } = core;
  const h = cs.header;
  if (h.unfunded.some((e) => equalBytes(e.counterpartyNodeId, peer) && equalBytes(e.temporaryChannelId, m.temporaryChannelId))) {
    cs.send(peer, { type: 1, channelId: m.temporaryChannelId, data: text('temporary_channel_id already in use') });
    return;
  }
  const inbound = h.unfunded.filter((e) => !e.isOutbound);
  if (inbound.filter((e) => equalBytes(e.counterpartyNodeId, peer)).length >= MAX_UNFUNDED_CHANNELS_PER_PEER || inbound.length >= MAX_UNFUNDED_INBOUND_CHANNELS) {
    cs.send(peer, { type: 17, channelId: m.temporaryChannelId, data: text('too many unfunded channels') });
    return;
  }
  const features = cs.featuresOrNone(peer);
  const info = { counterpartyNodeId: peer, theirInitFeatures: features, bestHeight: h.bestBlock.height };
  const result = channelHandleOpen(channelContext(core), info, m);
  if (!result.ok) {
    log(core, 'info', `refused open_channel: ${result.failure.reason}`);
    cs.sendAll(peer, result.effects);
    return;
  }
  if (h.config.acceptInboundChannels === InboundChannelPolicy.Manual) {
    const key = channelKey(peer, m.temporaryChannelId);
    const request: ChannelEntry = { kind: 'open-request', counterpartyNodeId: peer, theirInitFeatures: features, open: m, receivedAtHeight: h.bestBlock.height };
    cs.putEntry(key, request);
    cs.reindex(peer, [m.temporaryChannelId], request);
    cs.emit({
      kind: 'open-channel-request',
      temporaryChannelId: m.temporaryChannelId,
      counterpartyNodeId: peer,
      fundingSatoshis: m.fundingSatoshis,
      pushMsat: m.pushMsat,
      channelType: result.channel.channelType,
    });
    return;
  }
  applyStep(core, null, null, { channel: result.channel, effects: result.effects });
}
