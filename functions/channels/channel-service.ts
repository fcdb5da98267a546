/**
 * The channel operations of the HTTP API (docs/channels-pipeline.md):
 * opening and accepting run the ChannelManager under the node's lease (one
 * input each, committed with the fenced commit, messages through the
 * outbox); reads load every channel item with one Query and commit nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { equalBytes } from '../../shared/codec/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { assertAnchorReserve } from '../../shared/wallet/index.js';
import { isFeatureSupported } from '../../shared/wire/index.js';
import {
  decodeManagerHeader,
  type ApiError,
  type ChannelDetails,
  type ChannelForwarding,
  type ChannelManager,
  type InboundChannelRequestDetails,
  type ManagerInput,
} from '../../shared/manager/index.js';
import type { ChannelClosed } from '../../shared/channel/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { connectedPeers, peersNow } from '../chain/channel-consumer.js';
import { unacknowledgedEvents } from '../events/event-service.js';
import { applyInput } from '../runtime/invocation.js';
import { checkFundable, loadManager, takeChangesFunded } from '../runtime/manager-step.js';
import type { NodeContext } from '../runtime/node-context.js';
import { StepReads } from '../runtime/step-reads.js';
import { anchorChannelCount, loadWallet } from '../wallet/wallet-service.js';

/** A channel as the API reports it: the manager's details, or what its `ChannelClosed` event said once it is gone. */
export type ChannelView =
  | { readonly kind: 'open'; readonly details: ChannelDetails }
  /** An inbound `open_channel` held for accept/reject (manual policy). */
  | { readonly kind: 'request'; readonly request: InboundChannelRequestDetails }
  | { readonly kind: 'closed'; readonly closed: ChannelClosed };

export const ChannelServiceErrorCode = {
  /** The manager refused the call's arguments (LDK's `APIMisuseError`). */
  apiMisuse: 'api-misuse',
  /** The peer is not connected (with its `init`). */
  peerNotConnected: 'peer-not-connected',
  /** No such channel (or held request). */
  unknownChannel: 'unknown-channel',
  /** The node id is this node's own. */
  ownNode: 'own-node',
  /** The channel cannot be closed cooperatively now (not `ready`, an update of ours not yet signed, a held request, already closed); HTLCs in flight do not prevent it. */
  notClosable: 'not-closable',
  /** The channel's forwarding policy cannot be set: closed, closing, or a held request. */
  notConfigurable: 'not-configurable',
} as const;
export type ChannelServiceErrorCode = (typeof ChannelServiceErrorCode)[keyof typeof ChannelServiceErrorCode];

export class ChannelServiceError extends Error {
  constructor(
    readonly code: ChannelServiceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelServiceError';
  }
}

function refused(error: ApiError): ChannelServiceError {
  return new ChannelServiceError(error.code === 'api-misuse' ? ChannelServiceErrorCode.apiMisuse : ChannelServiceErrorCode.unknownChannel, error.message);
}

/** Runs `fn` on the manager loaded for `input` under the lease, and commits its changes (a FundingGenerationReady answered by the wallet). */
async function underLease<T>(ctx: NodeContext, input: ManagerInput, fn: (m: ChannelManager, store: NodeStore) => T | Promise<T>): Promise<T> {
  let out: { value: T } | undefined;
  await applyInput(ctx, `channels-${randomUUID()}`, async (store) => {
    const reads = new StepReads(ctx, store);
    void reads.header();
    void reads.fees();
    const peers = await peersNow(ctx, store);
    const manager = await loadManager(ctx, store, input, peers.connected, reads, peers.connections);
    out = { value: await fn(manager, store) };
    return takeChangesFunded(ctx, store, manager, reads);
  });
  if (out === undefined) throw new Error('the channel input was not applied');
  return out.value;
}

export interface OpenChannelRequest {
  readonly nodeId: string;
  readonly amountSat: bigint;
  readonly pushMsat: bigint;
  readonly announce: boolean;
}

/** `create_channel` to a connected peer; returns the channel's (temporary) id, hex. */
export async function openChannel(ctx: NodeContext, request: OpenChannelRequest): Promise<string> {
  if (request.nodeId === toHex(ctx.nodeId)) throw new ChannelServiceError(ChannelServiceErrorCode.ownNode, 'a channel cannot be opened to this node itself');
  const [peers, wallet, anchorChannels] = await Promise.all([
    connectedPeers(ctx, ctx.store),
    ctx.store.getMany(ctx.nodeKey, [SortKey.wallet, SortKey.fees]),
    anchorChannelCount(ctx.store, ctx.nodeKey),
  ]);
  const features = peers.get(request.nodeId);
  if (features === undefined) throw new ChannelServiceError(ChannelServiceErrorCode.peerNotConnected, `peer ${request.nodeId} is not connected`);
  // The channel type BOLT 2 negotiation will give (channel-type.ts): anchors when both sides want them.
  const anchors = ctx.managerConfig.channel.handshake.negotiateAnchorsZeroFeeHtlcTx && isFeatureSupported(features, 'option_anchors_zero_fee_htlc_tx');
  // The wallet must cover the channel and its funding fee now, keeping the anchor reserve (a WalletError otherwise: 422
  // insufficient-funds, or anchor-reserve-not-covered).
  checkFundable(ctx, wallet.get(SortKey.wallet), wallet.get(SortKey.fees), request.amountSat, { anchorChannels, anchors });
  const userChannelId = BigInt(`0x${randomBytes(8).toString('hex')}`);
  const result = await underLease(ctx, { kind: 'create-channel' }, (m) =>
    m.createChannel(fromHex(request.nodeId), request.amountSat, request.pushMsat, userChannelId, { announceChannel: request.announce }),
  );
  if (!result.ok) throw refused(result.error);
  return toHex(result.value);
}

/** The header's entry of a held inbound request (or inbound unfunded channel) with this temporary id. */
async function inboundEntry(ctx: NodeContext, temporaryChannelIdHex: string) {
  const headerBytes = await ctx.store.get(ctx.nodeKey, SortKey.header);
  const header = headerBytes === undefined ? undefined : decodeManagerHeader(headerBytes);
  const entry = header?.ok ? header.value.unfunded.find((u) => !u.isOutbound && toHex(u.temporaryChannelId) === temporaryChannelIdHex) : undefined;
  if (entry === undefined) throw new ChannelServiceError(ChannelServiceErrorCode.unknownChannel, `no held inbound channel request ${temporaryChannelIdHex}`);
  return entry;
}

/**
 * Accepts a held inbound request (manual policy) by its temporary id. An
 * anchor channel is refused (`anchor-reserve-not-covered`, nothing
 * committed; the request stays held) when the wallet's confirmed coins do
 * not cover the anchor reserve with it, as LDK Node does.
 */
export async function acceptChannel(ctx: NodeContext, temporaryChannelIdHex: string): Promise<void> {
  const entry = await inboundEntry(ctx, temporaryChannelIdHex);
  const userChannelId = BigInt(`0x${randomBytes(8).toString('hex')}`);
  const input: ManagerInput = { kind: 'accept-inbound-channel', temporaryChannelId: entry.temporaryChannelId, counterpartyNodeId: entry.counterpartyNodeId };
  const result = await underLease(ctx, input, async (m, store) => {
    const request = m.listInboundChannelRequests().find((r) => equalBytes(r.temporaryChannelId, entry.temporaryChannelId) && equalBytes(r.counterpartyNodeId, entry.counterpartyNodeId));
    if (request?.channelType.anchors === true) {
      const [wallet, anchorChannels] = await Promise.all([loadWallet(store, ctx.nodeKey), anchorChannelCount(store, ctx.nodeKey)]);
      assertAnchorReserve(wallet, anchorChannels + 1);
    }
    return m.acceptInboundChannel(entry.temporaryChannelId, entry.counterpartyNodeId, userChannelId);
  });
  if (!result.ok) throw refused(result.error);
}

/** Refuses a held inbound request (manual policy) by its temporary id: the peer gets an `error` and closes its side. */
export async function rejectChannel(ctx: NodeContext, temporaryChannelIdHex: string): Promise<void> {
  const entry = await inboundEntry(ctx, temporaryChannelIdHex);
  const input: ManagerInput = { kind: 'reject-inbound-channel', temporaryChannelId: entry.temporaryChannelId, counterpartyNodeId: entry.counterpartyNodeId };
  const result = await underLease(ctx, input, (m) => m.rejectInboundChannel(entry.temporaryChannelId, entry.counterpartyNodeId));
  if (!result.ok) throw refused(result.error);
}

/** How to close: cooperatively (the default), or by broadcasting our latest commitment. */
export interface CloseOptions {
  readonly force?: boolean;
}

/**
 * Closes the channel `idHex` (real or temporary id). Cooperatively
 * (docs/close.md): `close_channel` under the lease, its `shutdown` paying a
 * fresh wallet address reserved in the same commit; returns the channel as
 * it is then (`shutdown-sent`, or further when the peer answered already).
 * With `force` (docs/force-close.md): `force_close_broadcasting_latest_txn`
 * under the lease, whether the peer is connected or not; returns the closed
 * channel (reason `holder-force-closed`, the commitment's txid).
 * `unknown-channel` when there is none, `peer-not-connected` (cooperative
 * only), `not-closable` when the manager refuses it.
 */
export async function closeChannel(ctx: NodeContext, idHex: string, options: CloseOptions = {}): Promise<ChannelView> {
  const view = await getChannel(ctx, idHex);
  if (view === undefined) throw new ChannelServiceError(ChannelServiceErrorCode.unknownChannel, `no channel ${idHex}`);
  if (view.kind === 'request') throw new ChannelServiceError(ChannelServiceErrorCode.notClosable, 'a held inbound request has no channel to close: reject it instead');
  if (view.kind === 'closed') throw new ChannelServiceError(ChannelServiceErrorCode.notClosable, `the channel is already closed (${view.closed.reason})`);
  return options.force === true ? forceClose(ctx, view.details) : closeCooperatively(ctx, view);
}

async function closeCooperatively(ctx: NodeContext, view: ChannelView & { kind: 'open' }): Promise<ChannelView> {
  const { channelId, counterpartyNodeId } = view.details;
  const peers = await connectedPeers(ctx, ctx.store);
  if (!peers.has(toHex(counterpartyNodeId))) {
    throw new ChannelServiceError(ChannelServiceErrorCode.peerNotConnected, `peer ${toHex(counterpartyNodeId)} is not connected: a cooperative close needs it online (or close with force)`);
  }
  const result = await underLease(ctx, { kind: 'close-channel', counterpartyNodeId, channelId }, (m) => m.closeChannel(channelId, counterpartyNodeId));
  if (!result.ok) {
    if (/not connected/.test(result.error.message)) throw new ChannelServiceError(ChannelServiceErrorCode.peerNotConnected, result.error.message);
    throw new ChannelServiceError(ChannelServiceErrorCode.notClosable, result.error.message);
  }
  return (await getChannel(ctx, toHex(channelId))) ?? view;
}

/**
 * Sets one channel's forwarding fee and CLTV delta (LDK's
 * `update_channel_config`; docs/forwarding.md, "Per-channel policy"): one
 * input under the lease, its `channel_update` leaving with the commit.
 */
export async function updateChannelPolicy(ctx: NodeContext, idHex: string, change: Partial<ChannelForwarding>): Promise<ChannelView> {
  const view = await getChannel(ctx, idHex);
  if (view === undefined) throw new ChannelServiceError(ChannelServiceErrorCode.unknownChannel, `no channel ${idHex}`);
  if (view.kind === 'request') throw new ChannelServiceError(ChannelServiceErrorCode.notConfigurable, 'a held inbound request has no policy yet: accept it first');
  if (view.kind === 'closed') throw new ChannelServiceError(ChannelServiceErrorCode.notConfigurable, `the channel is closed (${view.closed.reason})`);
  const { channelId, counterpartyNodeId } = view.details;
  const result = await underLease(ctx, { kind: 'update-channel-config', counterpartyNodeId, channelId }, (m) => m.updateChannelConfig(channelId, counterpartyNodeId, change));
  if (!result.ok) throw new ChannelServiceError(result.error.code === 'api-misuse' ? ChannelServiceErrorCode.apiMisuse : ChannelServiceErrorCode.notConfigurable, result.error.message);
  return (await getChannel(ctx, toHex(channelId))) ?? view;
}

/** One input closing one channel by force (a commit of that channel's items only). */
async function forceClose(ctx: NodeContext, details: ChannelDetails): Promise<ChannelView> {
  const { channelId, counterpartyNodeId } = details;
  const result = await underLease(ctx, { kind: 'force-close-channel', counterpartyNodeId, channelId }, (m) => m.forceCloseBroadcastingLatestTxn(channelId, counterpartyNodeId));
  if (!result.ok) throw new ChannelServiceError(ChannelServiceErrorCode.notClosable, result.error.message);
  const closed = await getChannel(ctx, toHex(channelId));
  if (closed === undefined) throw new Error(`the force-closed channel ${toHex(channelId)} has no ChannelClosed event`);
  return closed;
}

/** What `closeAllChannels` did to one channel: its view afterwards, or why it was left open. */
export type CloseAllOutcome = { readonly channelId: string; readonly view: ChannelView } | { readonly channelId: string; readonly error: ChannelServiceError };

/**
 * Closes every open channel (LDK's `force_close_all_channels_broadcasting_latest_txn`
 * with `force`, else a cooperative close of each): one input per channel,
 * so no commit grows with the number of channels (docs/follow-ups.md); a
 * channel that cannot be closed is reported, the others still close.
 */
export async function closeAllChannels(ctx: NodeContext, options: CloseOptions = {}): Promise<CloseAllOutcome[]> {
  const out: CloseAllOutcome[] = [];
  for (const view of await listChannelViews(ctx)) {
    if (view.kind !== 'open') continue;
    const channelId = toHex(view.details.channelId);
    try {
      out.push({ channelId, view: options.force === true ? await forceClose(ctx, view.details) : await closeCooperatively(ctx, view) });
    } catch (error) {
      if (!(error instanceof ChannelServiceError)) throw error;
      out.push({ channelId, error });
    }
  }
  return out;
}

/**
 * The channel whose item is keyed by `idHex` (its current id: the real one
 * once funded), read alone: a keys-only Query of CHANNEL# finds its peer,
 * then only its items are read and decoded, not every channel's. Undefined
 * when no item has that id (a temporary id of a funded channel, a held
 * request, a closed channel: {@link getChannel} then looks further).
 */
async function readChannelByKey(ctx: NodeContext, idHex: string): Promise<ChannelView | undefined> {
  if (!/^[0-9a-f]{64}$/.test(idHex) || (await ctx.store.get(ctx.nodeKey, SortKey.header)) === undefined) return undefined;
  const prefix = SortKey.channelPrefix();
  const suffix = `#${idHex}`;
  const key = (await ctx.store.queryKeys(ctx.nodeKey, prefix)).map((sk) => sk.slice(prefix.length)).find((k) => k.endsWith(suffix) && k.indexOf('#') === k.length - suffix.length);
  if (key === undefined) return undefined;
  const input = { kind: 'read-channel', counterpartyNodeId: fromHex(key.slice(0, -suffix.length)), channelId: fromHex(idHex) } as const;
  const manager = await loadManager(ctx, ctx.store, input, await connectedPeers(ctx, ctx.store));
  const details = manager.listChannels().find((d) => toHex(d.channelId) === idHex || toHex(d.temporaryChannelId) === idHex);
  return details === undefined ? undefined : { kind: 'open', details };
}

/** Every channel of the node (a Query of CHANNEL#, nothing committed). */
export async function listChannels(ctx: NodeContext, store: NodeStore = ctx.store): Promise<ChannelDetails[]> {
  return (await listChannelViews(ctx, store)).flatMap((v) => (v.kind === 'open' ? [v.details] : []));
}

/** Every channel and every held inbound request of the node (one Query of CHANNEL#, nothing committed). */
export async function listChannelViews(ctx: NodeContext, store: NodeStore = ctx.store): Promise<ChannelView[]> {
  if ((await store.get(ctx.nodeKey, SortKey.header)) === undefined) return [];
  const manager = await loadManager(ctx, store, { kind: 'list-channels' }, await connectedPeers(ctx, store));
  return [
    ...manager.listChannels().map((details): ChannelView => ({ kind: 'open', details })),
    ...manager.listInboundChannelRequests().map((request): ChannelView => ({ kind: 'request', request })),
  ];
}

/** One channel by its id (real or temporary): its details or held request, else its `ChannelClosed` event, else undefined. */
export async function getChannel(ctx: NodeContext, idHex: string): Promise<ChannelView | undefined> {
  const alone = await readChannelByKey(ctx, idHex);
  if (alone !== undefined) return alone;
  const found = (await listChannelViews(ctx)).find((v) => {
    if (v.kind === 'open') return toHex(v.details.channelId) === idHex || toHex(v.details.temporaryChannelId) === idHex;
    return v.kind === 'request' && toHex(v.request.temporaryChannelId) === idHex;
  });
  if (found !== undefined) return found;
  const events = await unacknowledgedEvents(ctx.store, ctx.nodeKey);
  for (const { event: e } of events.reverse()) {
    if (e.kind === 'channel-closed' && (toHex(e.channelId) === idHex || toHex(e.temporaryChannelId) === idHex)) return { kind: 'closed', closed: e };
  }
  return undefined;
}
