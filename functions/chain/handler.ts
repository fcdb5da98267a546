/**
 * The chain handler (EventBridge schedule, or on demand): one input under
 * the node's lease that brings the node up to the chain source's tip. It
 * runs the chain sync (shared/chain/sync.ts) for the `Confirm` implementers
 * of the node, keeping its view in the `CHAIN` item, then the wallet's sync
 * (`WALLET`), fetches the chain source's fee estimates (`FEES`, read by the
 * ChannelManager's fee estimator), and commits what changed. A second invocation for a block
 * already applied finds nothing to do and writes nothing; the same event
 * delivered twice is a duplicate input. After the commit, our payments the
 * chain has not seen yet are handed to the broadcast queue again, once per
 * block.
 *
 * Extension point: `consumers` loads the chain consumers of this input (the
 * ChannelManager and the ChannelMonitors, from issue 5 on): each is a
 * `Confirm` with the outputs and txids it watches and the writes its calls
 * produced.
 */
import middy from '@middy/core';
import type { Confirm, WatchSet } from '../../shared/chain/index.js';
import { feeRatesPerKw, syncChain, syncWallet, type ConfirmCall } from '../../shared/chain/index.js';
import type { PeerEffect } from '../../shared/manager/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { broadcastablePending, encodeWalletState, type WalletState } from '../../shared/wallet/index.js';
import { applyInput, type InvocationResult, type Outcome } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { decodeWallet, enqueueBroadcast } from '../wallet/wallet-service.js';
import { decodeChainView, encodeChainView } from './chain-record.js';
import { encodeFeeRates } from './fee-record.js';
import { channelChainConsumers } from './channel-consumer.js';

/** What a chain consumer commits with the sync. */
export type ConsumerWrites = Pick<InvocationResult, 'puts' | 'deletes'> & Partial<Pick<InvocationResult, 'effects' | 'broadcasts'>>;

/** Something that follows the chain: notified through `Confirm`, watching `watch()`, persisting `writes()` after the sync. */
export interface ChainConsumer {
  readonly confirm: Confirm;
  watch(): WatchSet;
  /** The consumer's writes, and the messages and broadcasts its calls produced (committed with the sync, sent after it); may read first (a monitor to consolidate). */
  writes(): ConsumerWrites | Promise<ConsumerWrites>;
  /** The wallet after this consumer's changes (a channel's held funding released or discarded), committed with them. */
  settleWallet?(wallet: WalletState): WalletState;
}

export interface ChainHandlerOptions {
  /** Loads the consumers for one input, inside the lease; by default the node's ChannelManager (functions/chain/channel-consumer.ts). */
  readonly consumers?: (store: NodeStore) => Promise<readonly ChainConsumer[]>;
}

export interface ChainEvent {
  /** The schedule event's id; absent for an on-demand run (the input is then the tip's hash). */
  readonly id?: string;
}

export interface ChainResult {
  readonly outcome: Outcome;
  readonly inputId: string;
  readonly tipHeight: number | undefined;
  readonly calls: number;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function mergeWatch(consumers: readonly ChainConsumer[]): WatchSet {
  const sets = consumers.map((c) => c.watch());
  return { txids: sets.flatMap((s) => s.txids), outputs: sets.flatMap((s) => s.outputs) };
}

export function createChainHandler(ctx: NodeContext, options: ChainHandlerOptions = {}) {
  const loadConsumers = options.consumers ?? channelChainConsumers(ctx);

  /** The chain source's estimates as the FEES item's bytes; undefined (the item is kept) when it cannot answer or has none. */
  async function fetchFeeRates(): Promise<Uint8Array | undefined> {
    try {
      const table = feeRatesPerKw(await ctx.esplora.feeEstimates());
      return table.size === 0 ? undefined : encodeFeeRates(table);
    } catch (error) {
      ctx.logger.warn('fee estimates unavailable; keeping the stored ones', { error: (error as Error).message });
      return undefined;
    }
  }

  async function handle(event: ChainEvent): Promise<ChainResult> {
    const inputId = event.id !== undefined && event.id !== '' ? `chain-${event.id}` : `chain-${await ctx.esplora.tipHash()}`;
    let calls: readonly ConfirmCall[] = [];
    let tipHeight: number | undefined;
    let wallet: WalletState | undefined;
    const outcome = await applyInput(ctx, inputId, async (store): Promise<InvocationResult> => {
      const items = await store.getMany(ctx.nodeKey, [SortKey.chain, SortKey.wallet, SortKey.fees]);
      const chainBytes = items.get(SortKey.chain);
      const walletBytes = items.get(SortKey.wallet);
      const view = decodeChainView(chainBytes);
      if (!view.ok) throw new Error(`the CHAIN item does not decode: ${view.error.message}`);
      // The fee estimates are fetched alongside the sync (one more request, no added latency).
      const feesRead = fetchFeeRates();
      const consumers = await loadConsumers(store);
      const synced = await syncChain(ctx.esplora, consumers.map((c) => c.confirm), () => mergeWatch(consumers), view.value);
      const feesData = await feesRead;
      calls = synced.calls;
      tipHeight = synced.view.tip?.height;
      // Addresses below the gap window are asked only when the tip moved (a new block, or a reorg at the same height).
      const state = decodeWallet(walletBytes);
      const tipMoved = synced.view.tip?.hash !== view.value.tip?.hash || (tipHeight ?? 0) !== state.syncedHeight;
      let walletNow = await syncWallet(ctx.esplora, ctx.wallet, state, tipHeight ?? 0, { everyIndex: tipMoved });

      const puts: { sk: string; data: Uint8Array }[] = [];
      const deletes: string[] = [];
      const effects: PeerEffect[] = [];
      const broadcasts: Uint8Array[] = [];
      for (const c of consumers) {
        const w = await c.writes();
        puts.push(...w.puts);
        deletes.push(...w.deletes);
        effects.push(...(w.effects ?? []));
        broadcasts.push(...(w.broadcasts ?? []));
        walletNow = c.settleWallet?.(walletNow) ?? walletNow;
      }
      wallet = walletNow;
      const chainData = encodeChainView(synced.view);
      if (!sameBytes(chainBytes, chainData)) puts.push({ sk: SortKey.chain, data: chainData });
      const walletData = encodeWalletState(walletNow);
      if (!sameBytes(walletBytes, walletData)) puts.push({ sk: SortKey.wallet, data: walletData });
      if (feesData !== undefined && !sameBytes(items.get(SortKey.fees), feesData)) puts.push({ sk: SortKey.fees, data: feesData });
      return { puts, deletes, effects, broadcasts };
    });
    if (outcome !== 'duplicate' && wallet !== undefined && tipHeight !== undefined) {
      // Held channel fundings never leave from here: only their channel's `funding_signed` releases them (docs/wallet.md).
      for (const p of broadcastablePending(wallet)) await enqueueBroadcast(ctx, p.txid, p.raw, `${p.txid}-${tipHeight}`);
    }
    if (outcome === 'applied') ctx.logger.info('chain sync applied', { inputId, tipHeight, calls: calls.length });
    // A replayed input's step result is dropped (functions/runtime/invocation.ts): report nothing of it.
    if (outcome === 'duplicate') return { outcome, inputId, tipHeight: undefined, calls: 0 };
    return { outcome, inputId, tipHeight, calls: calls.length };
  }
  return middy(handle);
}
