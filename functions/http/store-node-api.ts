/**
 * The HTTP API's view of the node, read from the store and acting through
 * the outbound queue: no lease needed for reads (they are consistent) or
 * dialling (a command for the gateway, not a state change), nor for a
 * receive address (an atomic counter). Payments and channel operations take
 * the lease (functions/wallet, functions/channels); when other inputs hold
 * it for the whole wait budget they answer 503 `busy` with `Retry-After`.
 */
import { randomUUID } from 'node:crypto';
import { toHex } from '../../shared/crypto/bytes.js';
import { decodePeerState, forwardingConfigOf, type EventRecord, type PeerState } from '../../shared/manager/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { encodeOutbound } from '../../shared/pipeline/envelopes.js';
import { SortKey, StoreError, StoreErrorCode } from '../../shared/store/index.js';
import { WalletError, WalletErrorCode } from '../../shared/wallet/index.js';
import type { NodeContext } from '../runtime/node-context.js';
import { newReceiveAddress, sendToAddress, walletWithReserveOf } from '../wallet/wallet-service.js';
import { HttpError, HttpErrorCode, busyError } from './errors.js';
import type { ChannelInfo, ChannelTypeName, CloseAllResult, EventInfo, NodeApi, PeerInfo, PendingHtlcInfo } from './node-api.js';
import { acknowledgeEvents, pendingEvents } from '../events/event-service.js';
import {
  ChannelServiceError,
  ChannelServiceErrorCode,
  acceptChannel,
  closeAllChannels,
  closeChannel,
  updateChannelPolicy,
  getChannel,
  listChannelViews,
  openChannel,
  rejectChannel,
  type ChannelView,
} from '../channels/channel-service.js';
import { ChannelState, type NegotiatedChannelType } from '../../shared/channel/index.js';
import { externalIdsOf } from '../invoices/invoice-service.js';
import { storeInvoiceApi } from './store-invoice-api.js';
import { storePaymentApi } from './store-payment-api.js';
import { storeWebhookApi } from './store-webhook-api.js';

/** Wallet refusals the client can act on, and contention for the lease (503 `busy`), as API errors; anything else stays internal. */
function asHttpError(error: unknown, waitedMs: number): unknown {
  // Another input held the lease for the whole wait, or took it over before our commit: nothing was committed, the client may retry.
  if (error instanceof StoreError && (error.code === StoreErrorCode.LeaseHeld || error.code === StoreErrorCode.LeaseLost)) return busyError(waitedMs);
  if (!(error instanceof WalletError)) return error;
  if (error.code === WalletErrorCode.InsufficientFunds) return new HttpError(HttpErrorCode.insufficientFunds, error.message);
  if (error.code === WalletErrorCode.TooManyUnconfirmed) return new HttpError(HttpErrorCode.tooManyUnconfirmed, error.message);
  if (error.code === WalletErrorCode.AnchorReserve) return new HttpError(HttpErrorCode.anchorReserveNotCovered, error.message);
  if (error.code === WalletErrorCode.InvalidAddress) return new HttpError(HttpErrorCode.invalidRequest, `address: ${error.message}`);
  if (error.code === WalletErrorCode.InvalidAmount) return new HttpError(HttpErrorCode.invalidRequest, `sats: ${error.message}`);
  return error;
}

export const STORMCELL_VERSION = '0.1.0';

/** What {@link eventInfoOf} shows that the event itself does not carry (looked up by the caller). */
export interface EventContext {
  /** `payment-received`: the `externalId` of the invoice paid (functions/invoices/invoice-service.ts `externalIdsOf`). */
  readonly externalId?: string;
}

/**
 * The API's view of one stored event (also of webhook payloads): pure, so
 * what the event does not carry comes in `context`. The core's
 * `payment-claimed` shows as `payment-received` (emitted when the payment
 * is claimed, not when it became claimable).
 */
export function eventInfoOf({ id, event: e }: EventRecord, context: EventContext = {}): EventInfo {
  const base = { id: id.toString(), kind: e.kind };
  switch (e.kind) {
    case 'payment-claimed':
      return { ...base, kind: 'payment-received', paymentHash: toHex(e.paymentHash), amountMsat: e.amountMsat.toString(), externalId: context.externalId ?? null, purpose: e.purpose };
    case 'payment-claimable':
      return {
        ...base,
        paymentHash: toHex(e.paymentHash),
        amountMsat: e.amountMsat.toString(),
        purpose: e.purpose,
        ...(e.kind === 'payment-claimable' ? { claimDeadline: e.claimDeadline, ...(e.paymentPreimage ? { paymentPreimage: toHex(e.paymentPreimage) } : {}) } : {}),
      };
    case 'payment-sent':
      // Issue 16's names: `preimage` and `feeMsat` (no test of another area reads the old `paymentPreimage`/`feePaidMsat` of this event).
      return { ...base, paymentId: toHex(e.paymentId), paymentHash: toHex(e.paymentHash), preimage: toHex(e.paymentPreimage), feeMsat: e.feePaidMsat.toString() };
    case 'payment-path-failed':
      return {
        ...base,
        paymentId: toHex(e.paymentId),
        paymentHash: toHex(e.paymentHash),
        paymentFailedPermanently: e.paymentFailedPermanently,
        message: e.failure,
        ...(e.shortChannelId === undefined ? {} : { shortChannelId: formatShortChannelId(e.shortChannelId) }),
      };
    case 'payment-failed':
      return { ...base, paymentId: toHex(e.paymentId), paymentHash: toHex(e.paymentHash), reason: e.reason };
    case 'payment-forwarded':
      return { ...base, amountMsat: e.amountMsat.toString(), feeMsat: e.feeMsat.toString(), inboundChannelId: toHex(e.inboundChannelId), outboundChannelId: toHex(e.outboundChannelId) };
  }
  const common = { ...base, counterpartyNodeId: toHex(e.counterpartyNodeId) };
  switch (e.kind) {
    case 'funding-generation-ready':
      return { ...common, temporaryChannelId: toHex(e.temporaryChannelId), channelValueSat: e.channelValueSatoshis.toString(), userChannelId: e.userChannelId.toString() };
    case 'channel-pending':
      return {
        ...common,
        channelId: toHex(e.channelId),
        temporaryChannelId: toHex(e.formerTemporaryChannelId),
        fundingTxid: txidToDisplayHex(e.fundingOutpoint.txid),
        fundingOutputIndex: e.fundingOutpoint.index,
        userChannelId: e.userChannelId.toString(),
      };
    case 'channel-ready':
      return { ...common, channelId: toHex(e.channelId), userChannelId: e.userChannelId.toString(), shortChannelId: formatShortChannelId(e.shortChannelId) };
    case 'channel-closed':
      return {
        ...common,
        channelId: toHex(e.channelId),
        userChannelId: e.userChannelId.toString(),
        reason: e.reason,
        message: e.message,
        ...(e.closingTxid === undefined ? {} : { closingTxid: txidToDisplayHex(e.closingTxid) }),
      };
    case 'unsupported-message':
      return { ...common, messageType: e.messageType, message: e.message };
    case 'funds-swept':
      return { ...common, channelId: toHex(e.channelId), txid: txidToDisplayHex(e.txid), amountSat: e.amountSat.toString() };
    case 'discard-funding':
      return {
        ...common,
        channelId: toHex(e.channelId),
        userChannelId: e.userChannelId.toString(),
        fundingTxid: txidToDisplayHex(e.fundingOutpoint.txid),
        fundingOutputIndex: e.fundingOutpoint.index,
      };
    case 'open-channel-request':
      return {
        ...common,
        temporaryChannelId: toHex(e.temporaryChannelId),
        channelValueSat: e.fundingSatoshis.toString(),
        pushMsat: e.pushMsat.toString(),
        channelType: channelTypeName(e.channelType),
      };
  }
}

/** BOLT 7 short channel id as `block x tx x output`. */
export function formatShortChannelId(scid: bigint): string {
  return `${scid >> 40n}x${(scid >> 16n) & 0xffffffn}x${scid & 0xffffn}`;
}

/** The API's name of a channel type (by its commitment format). */
export function channelTypeName(type: NegotiatedChannelType): ChannelTypeName {
  return type.anchors ? 'anchors_zero_fee_htlc_tx' : 'static_remotekey';
}

/** The state of a held inbound request (manual policy) in the API. */
export const AWAITING_ACCEPTANCE = 'awaiting-acceptance';

/** The fields of a channel that has no funding (a held request, a closed channel): nothing on chain, nothing to send or receive. */
const NOT_FUNDED = {
  fundingTxid: null,
  fundingOutputIndex: null,
  shortChannelId: null,
  remoteBalanceMsat: 0n,
  pendingHtlcs: [],
  outboundCapacityMsat: 0n,
  inboundCapacityMsat: 0n,
  confirmations: 0,
  confirmationsRequired: 0,
  isOutbound: false,
  isChannelReady: false,
  isUsable: false,
} as const;

/** What the API reports of a channel (open: the manager's details; held: the request; closed: its `ChannelClosed` event). */
export function channelInfoOf(view: ChannelView): ChannelInfo {
  if (view.kind === 'request') {
    const r = view.request;
    const id = toHex(r.temporaryChannelId);
    return {
      ...NOT_FUNDED,
      channelId: id,
      temporaryChannelId: id,
      counterpartyNodeId: toHex(r.counterpartyNodeId),
      state: AWAITING_ACCEPTANCE,
      channelType: channelTypeName(r.channelType),
      capacitySat: r.fundingSatoshis,
      // A held request has no commitment yet: what the opener would push us.
      localBalanceMsat: r.pushMsat,
      isPublic: r.isPublic,
    };
  }
  if (view.kind === 'closed') {
    const c = view.closed;
    return {
      ...NOT_FUNDED,
      channelId: toHex(c.channelId),
      temporaryChannelId: toHex(c.temporaryChannelId),
      counterpartyNodeId: toHex(c.counterpartyNodeId),
      state: 'closed',
      channelType: null,
      capacitySat: c.channelCapacitySats,
      isOutbound: c.isOutbound,
      localBalanceMsat: 0n,
      isPublic: false,
      closure: { reason: c.reason, message: c.message, ...(c.closingTxid === undefined ? {} : { txid: txidToDisplayHex(c.closingTxid) }) },
    };
  }
  const d = view.details;
  return {
    channelId: toHex(d.channelId),
    temporaryChannelId: toHex(d.temporaryChannelId),
    counterpartyNodeId: toHex(d.counterpartyNodeId),
    state: d.state,
    channelType: channelTypeName(d.channelType),
    fundingTxid: d.fundingOutpoint === null ? null : txidToDisplayHex(d.fundingOutpoint.txid),
    fundingOutputIndex: d.fundingOutpoint === null ? null : d.fundingOutpoint.index,
    shortChannelId: d.shortChannelId === null ? null : formatShortChannelId(d.shortChannelId),
    capacitySat: d.channelValueSatoshis,
    localBalanceMsat: d.localBalanceMsat,
    remoteBalanceMsat: d.remoteBalanceMsat,
    pendingHtlcs: d.pendingHtlcs.map(
      (h): PendingHtlcInfo => ({ direction: h.direction, amountMsat: h.amountMsat, paymentHash: toHex(h.paymentHash), expiryHeight: h.expiryHeight }),
    ),
    outboundCapacityMsat: d.nextOutboundHtlcLimitMsat,
    inboundCapacityMsat: d.nextInboundHtlcLimitMsat,
    confirmations: d.confirmations,
    confirmationsRequired: d.confirmationsRequired,
    isOutbound: d.isOutbound,
    isChannelReady: d.isChannelReady,
    isUsable: d.isUsable,
    isPublic: d.isPublic,
    ...(d.forwardingPolicy === undefined ? {} : { forwardingPolicy: d.forwardingPolicy }),
  };
}

/** The states of a channel whose first commitments are signed: its money is in the channel, no longer in the wallet. */
const COMMITTED_STATES: ReadonlySet<string> = new Set([ChannelState.AwaitingConfirmation, ChannelState.AwaitingChannelReady, ChannelState.Ready, ChannelState.ShutdownSent, ChannelState.NegotiatingClose]);

/**
 * The node's totals over its channels with signed commitments (pending
 * confirmation, ready or closing; not channels still being negotiated, held
 * requests or closed ones): local balances, and what the counterparties can
 * send us.
 */
export function channelTotalsOf(views: readonly ChannelView[]): { channelBalanceMsat: bigint; inboundCapacityMsat: bigint } {
  let channelBalanceMsat = 0n;
  let inboundCapacityMsat = 0n;
  for (const view of views) {
    if (view.kind !== 'open' || !COMMITTED_STATES.has(view.details.state)) continue;
    channelBalanceMsat += view.details.localBalanceMsat;
    inboundCapacityMsat += view.details.nextInboundHtlcLimitMsat;
  }
  return { channelBalanceMsat, inboundCapacityMsat };
}

/** Channel (and wallet) refusals the client can act on, as API errors. */
function channelHttpError(error: unknown, waitedMs: number): unknown {
  // The wallet's refusals too: opening a channel the wallet cannot fund is 422 insufficient-funds.
  if (!(error instanceof ChannelServiceError)) return asHttpError(error, waitedMs);
  if (error.code === ChannelServiceErrorCode.peerNotConnected) return new HttpError(HttpErrorCode.peerNotConnected, error.message);
  if (error.code === ChannelServiceErrorCode.unknownChannel) return new HttpError(HttpErrorCode.notFound, error.message);
  if (error.code === ChannelServiceErrorCode.ownNode) return new HttpError(HttpErrorCode.invalidRequest, `nodeId: ${error.message}`);
  if (error.code === ChannelServiceErrorCode.notClosable) return new HttpError(HttpErrorCode.channelNotClosable, error.message);
  if (error.code === ChannelServiceErrorCode.notConfigurable) return new HttpError(HttpErrorCode.channelNotConfigurable, error.message);
  return new HttpError(HttpErrorCode.invalidRequest, error.message);
}

/** `operation`'s result, its channel refusals turned into API errors. */
async function asChannelHttp<T>(ctx: NodeContext, operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw channelHttpError(error, ctx.leaseWaitMs);
  }
}

function eventContextOf(externalId: string | undefined): EventContext {
  return externalId === undefined ? {} : { externalId };
}

export function storeNodeApi(ctx: NodeContext): NodeApi {
  async function readyPeers(): Promise<PeerState[]> {
    const items = await ctx.store.query(ctx.nodeKey, SortKey.peer(''));
    const peers: PeerState[] = [];
    for (const item of items) {
      const decoded = decodePeerState(item.data);
      if (decoded.ok && decoded.value.features) peers.push(decoded.value);
    }
    return peers;
  }
  return {
    ...storeInvoiceApi(ctx),
    ...storePaymentApi(ctx),
    ...storeWebhookApi(ctx),
    async health() {
      // One strongly consistent read of a small item: the store answers or it does not.
      try {
        await ctx.store.readLease(ctx.nodeKey);
        return { status: 'ok', down: [] };
      } catch (error) {
        ctx.logger.warn('health: the store does not answer', { error: String(error) });
        return { status: 'degraded', down: ['dynamodb'] };
      }
    },
    async nodeInfo() {
      const [peers, views] = await Promise.all([readyPeers(), listChannelViews(ctx)]);
      const totals = channelTotalsOf(views);
      return {
        nodeId: ctx.nodeKey,
        network: ctx.network,
        peers: peers.length,
        features: toHex(ctx.config.features),
        version: STORMCELL_VERSION,
        ...totals,
      };
    },
    async forwardingPolicy() {
      return forwardingConfigOf(ctx.managerConfig);
    },
    async listPeers(): Promise<PeerInfo[]> {
      return (await readyPeers()).map((p) => ({
        nodeId: toHex(p.nodeId),
        address: p.address,
        inbound: p.inbound,
        features: toHex(p.features ?? new Uint8Array(0)),
      }));
    },
    async connectPeer(request) {
      const body = encodeOutbound({ kind: 'connect', peer: request.nodeId, host: request.host, port: request.port });
      await ctx.outbound.send({ group: request.nodeId, dedupId: `connect-${randomUUID()}`, body });
    },
    async wallet() {
      const w = await walletWithReserveOf(ctx);
      return { confirmedSat: w.confirmedSat, unconfirmedSat: w.unconfirmedSat, anchorReserve: w.anchorReserve };
    },
    async newAddress() {
      return { address: (await newReceiveAddress(ctx)).address };
    },
    async send(request) {
      try {
        const sent = await sendToAddress(ctx, {
          address: request.address,
          amountSat: request.sats,
          ...(request.feerateSatPerVb === undefined ? {} : { feerateSatPerVb: request.feerateSatPerVb }),
        });
        return { txid: sent.txid, feeSat: sent.feeSat };
      } catch (error) {
        throw asHttpError(error, ctx.leaseWaitMs);
      }
    },
    async openChannel(request) {
      const channelId = await asChannelHttp(ctx, openChannel(ctx, { nodeId: request.nodeId, amountSat: request.amountSat, pushMsat: request.pushMsat, announce: request.public }));
      return { channelId };
    },
    async listChannels() {
      return (await listChannelViews(ctx)).map(channelInfoOf);
    },
    async getChannel(channelId) {
      const view = await getChannel(ctx, channelId);
      if (view === undefined) throw new HttpError(HttpErrorCode.notFound, `no channel ${channelId}`);
      return channelInfoOf(view);
    },
    async acceptChannel(temporaryChannelId) {
      await asChannelHttp(ctx, acceptChannel(ctx, temporaryChannelId));
    },
    async listEvents(after) {
      const events = await pendingEvents(ctx, undefined, after);
      const externalIds = await externalIdsOf(ctx.store, ctx.nodeKey, events);
      return events.map((r) => eventInfoOf(r, r.event.kind === 'payment-claimed' ? eventContextOf(externalIds.get(toHex(r.event.paymentHash))) : {}));
    },
    async acknowledgeEvents(upTo) {
      return acknowledgeEvents(ctx, upTo);
    },
    async rejectChannel(temporaryChannelId) {
      await asChannelHttp(ctx, rejectChannel(ctx, temporaryChannelId));
    },
    async updateChannelPolicy(channelId, change) {
      return channelInfoOf(await asChannelHttp(ctx, updateChannelPolicy(ctx, channelId, change)));
    },
    async closeChannel(channelId, options) {
      return channelInfoOf(await asChannelHttp(ctx, closeChannel(ctx, channelId, options)));
    },
    async closeAllChannels(options) {
      const outcomes = await asChannelHttp(ctx, closeAllChannels(ctx, options));
      return outcomes.map((o): CloseAllResult => {
        if ('view' in o) return { channelId: o.channelId, channel: channelInfoOf(o.view) };
        const e = channelHttpError(o.error, ctx.leaseWaitMs);
        return { channelId: o.channelId, error: { code: e instanceof HttpError ? e.code : 'internal', message: o.error.message } };
      });
    },
  };
}
