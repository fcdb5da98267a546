/**
 * The wallet's operations as the node runs them: reading the `WALLET` item,
 * handing out a receive address (an atomic counter, outside the lease),
 * building a payment under the node's lease (one input, committed with the
 * fenced commit), and handing
 * signed transactions to the broadcast queue after the commit.
 */
import { randomUUID } from 'node:crypto';
import { EsploraFeeEstimator } from '../../shared/chain/index.js';
import { bytesToHex } from '../../shared/codec/index.js';
import { encodeBroadcast } from '../../shared/pipeline/envelopes.js';
import { IndexPrefix } from '../../shared/manager/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import {
  EMPTY_WALLET_STATE,
  Keychain,
  WalletError,
  WalletErrorCode,
  anchorReserveSat,
  buildSend,
  decodeWalletState,
  reservedCoins,
  encodeWalletState,
  walletBalance,
  type WalletBalance,
  type WalletState,
} from '../../shared/wallet/index.js';
import { applyInput } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';

/** The confirmation target of wallet payments without an explicit fee rate (blocks). */
export const WALLET_CONFIRMATION_TARGET = 6;
/** Fee rate when the chain source has no estimate (sat/kw; 2 sat/vB). */
export const FALLBACK_FEERATE_SAT_PER_KW = 500n;

/** The wallet state in the store (empty before the first address or sync). */
export async function loadWallet(store: NodeStore, nodeKey: string): Promise<WalletState> {
  const bytes = await store.get(nodeKey, SortKey.wallet);
  return decodeWallet(bytes);
}

export function decodeWallet(bytes: Uint8Array | undefined): WalletState {
  if (bytes === undefined) return EMPTY_WALLET_STATE;
  const decoded = decodeWalletState(bytes);
  if (!decoded.ok) throw new WalletError(WalletErrorCode.InvalidState, `the WALLET item does not decode: ${decoded.error.message}`);
  return decoded.value;
}

/** Hands a signed transaction to the broadcast queue (deduplicated by `dedupId`, by default its txid). */
export async function enqueueBroadcast(ctx: NodeContext, txid: string, raw: Uint8Array, dedupId = txid): Promise<void> {
  if (ctx.broadcast === undefined) throw new Error('this process has no broadcast queue (BROADCAST_QUEUE_URL)');
  await ctx.broadcast.send({ group: ctx.nodeKey, dedupId: `tx-${dedupId}`, body: encodeBroadcast({ txid, hex: bytesToHex(raw) }) });
}

export async function walletBalanceOf(ctx: NodeContext): Promise<WalletBalance> {
  return walletBalance(await loadWallet(ctx.store, ctx.nodeKey));
}

/** The funded anchor channels not closed (their `INDEX#ANCHOR#` items: one key-only Query). */
export async function anchorChannelCount(store: NodeStore, nodeKey: string): Promise<number> {
  return (await store.queryKeys(nodeKey, SortKey.indexPrefix(IndexPrefix.anchor))).length;
}

/** The anchor reserve as `GET /v1/wallet` shows it: what it must be, and what the confirmed coins kept for it are worth. */
export interface AnchorReserveInfo {
  readonly anchorChannels: number;
  /** 25,000 sat per anchor channel. */
  readonly requiredSat: bigint;
  /** The confirmed coins kept for it (at most all confirmed coins). */
  readonly reservedSat: bigint;
}

export async function walletWithReserveOf(ctx: NodeContext): Promise<WalletBalance & { readonly anchorReserve: AnchorReserveInfo }> {
  const [state, anchorChannels] = await Promise.all([loadWallet(ctx.store, ctx.nodeKey), anchorChannelCount(ctx.store, ctx.nodeKey)]);
  const reserved = reservedCoins(state, anchorReserveSat(anchorChannels));
  return { ...walletBalance(state), anchorReserve: { anchorChannels, requiredSat: reserved.requiredSat, reservedSat: reserved.reservedSat } };
}

/**
 * A fresh receive address, without the node's lease: the index comes from
 * the `RECEIVE_INDEX` counter (one atomic `UpdateItem ADD`), never below the
 * wallet's own next receive index (an address the chain already saw used, or
 * handed out before the counter existed). The chain handler's wallet scan
 * watches every index below the counter ({@link withReceiveCounter}).
 */
export async function newReceiveAddress(ctx: NodeContext): Promise<{ address: string; index: number }> {
  const state = await loadWallet(ctx.store, ctx.nodeKey);
  const index = await ctx.store.takeCounter(ctx.nodeKey, SortKey.receiveIndex, state.nextIndex[Keychain.receive]);
  return { address: ctx.wallet.address(Keychain.receive, index), index };
}

/** The wallet's view with every receive index the counter handed out (`next` = the counter's value) counted as handed out. */
export function withReceiveCounter(state: WalletState, counterNext: number): WalletState {
  const receive = state.nextIndex[Keychain.receive];
  if (counterNext <= receive) return state;
  return { ...state, nextIndex: [counterNext, state.nextIndex[Keychain.change]] };
}

export interface SendResult {
  readonly txid: string;
  readonly feeSat: bigint;
  readonly vsize: number;
}

/**
 * Pays `amountSat` to `address`: builds and signs under the lease (the coins
 * it spends are marked, so a concurrent payment cannot take them), commits,
 * then enqueues the transaction for broadcast. `feerateSatPerVb` defaults to
 * the chain source's estimate for {@link WALLET_CONFIRMATION_TARGET} blocks.
 * The coins of the anchor reserve (25,000 sat per anchor channel) are left
 * unspent. Throws `WalletError` (`insufficient-funds`, `too-many-unconfirmed`,
 * `anchor-reserve-not-covered`, `invalid-address`, `invalid-amount`) with
 * nothing committed or broadcast.
 */
export async function sendToAddress(ctx: NodeContext, request: { address: string; amountSat: bigint; feerateSatPerVb?: number }): Promise<SendResult> {
  const script = ctx.wallet.scriptOfAddress(request.address);
  const feeratePerKvb =
    request.feerateSatPerVb !== undefined
      ? BigInt(Math.ceil(request.feerateSatPerVb * 1000))
      : (await EsploraFeeEstimator.load(ctx.esplora, { fallbackSatPerKw: FALLBACK_FEERATE_SAT_PER_KW })).feeRatePerKw(WALLET_CONFIRMATION_TARGET) * 4n;
  const tipHeight = await ctx.esplora.tipHeight().catch(() => undefined);
  let sent: ReturnType<typeof buildSend> | undefined;
  await applyInput(ctx, `wallet-send-${randomUUID()}`, async (store) => {
    const [state, anchorChannels] = await Promise.all([loadWallet(store, ctx.nodeKey), anchorChannelCount(store, ctx.nodeKey)]);
    sent = buildSend(ctx.wallet.secp, ctx.wallet, state, {
      script,
      amountSat: request.amountSat,
      feeratePerKvb,
      tipHeight: tipHeight ?? state.syncedHeight,
      anchorReserveSat: anchorReserveSat(anchorChannels),
    });
    return { puts: [{ sk: SortKey.wallet, data: encodeWalletState(sent.state) }], deletes: [], effects: [] };
  });
  if (sent === undefined) throw new Error('wallet: the payment was not built');
  ctx.logger.info('wallet payment committed', { txid: sent.txid, feeSat: sent.feeSat.toString(), vsize: sent.vsize });
  await enqueueBroadcast(ctx, sent.txid, sent.raw);
  return { txid: sent.txid, feeSat: sent.feeSat, vsize: sent.vsize };
}
