/**
 * The chain handler (EventBridge schedule, or on demand): one input that
 * brings the node up to the chain source's tip. Its chain source requests
 * are made first, without the node's lease (a dry run of the step over the
 * current items, its answers kept: functions/chain/esplora-prefetch.ts); the
 * lease is held only to read the items again, apply the kept answers (a
 * request the prefetch did not foresee goes to the chain source) and commit.
 * The `CHAIN_WATCH#` items are read only when their version counter moved
 * since they were last read (functions/chain/watch-items.ts): once for a
 * run at most, unless a write lands between the prefetch and the lease.
 * A lease that stays taken for the whole wait is contention, not a failure:
 * logged at INFO, outcome `busy`, and the next run syncs. It runs the chain sync (shared/chain/sync.ts) for the `Confirm` implementers
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
import type { Confirm, EsploraClient, WatchSet } from '../../shared/chain/index.js';
import { feeRatesPerKw, syncChain, syncWallet, type ConfirmCall, type SyncView } from '../../shared/chain/index.js';
import type { PeerEffect } from '../../shared/manager/index.js';
import { equalBytes } from '../../shared/codec/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { broadcastablePending, encodeWalletState, type WalletState } from '../../shared/wallet/index.js';
import { applyInput, isLeaseHeld, type FollowUpInput, type InvocationResult, type Outcome } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { decodeWallet, enqueueBroadcast, withReceiveCounter } from '../wallet/wallet-service.js';
import { EsploraPrefetch } from './esplora-prefetch.js';
import { decodeChainView, encodeChainView } from './chain-record.js';
import { encodeFeeRates } from './fee-record.js';
import { channelChainConsumers } from './channel-consumer.js';
import { decodeWatchItems, monitorChainConsumers, type WatchedChannels } from './monitor-consumer.js';
import { WatchItems } from './watch-items.js';

/** What a chain consumer commits with the sync. */
export type ConsumerWrites = Pick<InvocationResult, 'puts' | 'deletes'> & Partial<Pick<InvocationResult, 'effects' | 'broadcasts' | 'followUps' | 'cleanup'>>;

/** Something that follows the chain: notified through `Confirm`, watching `watch()`, persisting `writes()` after the sync. */
export interface ChainConsumer {
  readonly confirm: Confirm;
  watch(): WatchSet;
  /**
   * The consumer's writes, and the messages and broadcasts its calls produced (committed with the sync, sent after it); may
   * read first (a monitor to consolidate). `wallet`: the wallet as synced (coins for the fee of anchors claims).
   */
  writes(wallet: WalletState): ConsumerWrites | Promise<ConsumerWrites>;
  /** The wallet after this consumer's changes (a channel's held funding released or discarded), committed with them. */
  settleWallet?(wallet: WalletState): WalletState;
}

export interface ChainHandlerOptions {
  /** Loads the consumers for one input, inside the lease; by default the node's ChannelManager (functions/chain/channel-consumer.ts). */
  readonly consumers?: (store: NodeStore) => Promise<readonly ChainConsumer[]>;
  /** Awaited between the prefetch and taking the lease (tests: a write landing in between). */
  readonly beforeLease?: () => Promise<void>;
}

export interface ChainEvent {
  /** The schedule event's id; absent for an on-demand run (the input is then the tip's hash). */
  readonly id?: string;
}

export interface ChainResult {
  /** `busy`: another input held the node's lease for the whole wait; nothing was written, the next run syncs. */
  readonly outcome: Outcome | 'busy';
  readonly inputId: string;
  readonly tipHeight: number | undefined;
  readonly calls: number;
  /** Chain source requests made while holding the lease (answers the prefetch had not kept): 0 when nothing changed in between. */
  readonly requestsUnderLease: number;
  /**
   * Queries of the `CHAIN_WATCH#` items this run made: 0 when those kept
   * from an earlier run are unchanged (functions/chain/watch-items.ts), 1
   * when they changed before the prefetch, 2 when a write landed between
   * the prefetch and the lease.
   */
  readonly watchItemQueries: number;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && equalBytes(a, b);
}

/** A consumer's Confirm for the prefetch: its confirmed txids, none of its notifications (those happen under the lease). */
function dryRun(confirm: Confirm): Confirm {
  return {
    transactionsConfirmed: () => undefined,
    transactionUnconfirmed: () => undefined,
    bestBlockUpdated: () => undefined,
    getRelevantTxids: () => confirm.getRelevantTxids(),
  };
}

/** Addresses below the gap window are asked only when the tip moved: a new block, or a reorg at the same height (docs/wallet.md "Sync"). */
function tipMoved(before: SyncView, after: SyncView, wallet: WalletState): boolean {
  return after.tip?.hash !== before.tip?.hash || (after.tip?.height ?? 0) !== wallet.syncedHeight;
}

function mergeWatch(consumers: readonly ChainConsumer[]): WatchSet {
  const sets = consumers.map((c) => c.watch());
  return { txids: sets.flatMap((s) => s.txids), outputs: sets.flatMap((s) => s.outputs) };
}

/** Loads the consumers of one run; `watch` reads the `CHAIN_WATCH#` items at the version read before. */
type LoadConsumers = (store: NodeStore, watch: (store: NodeStore) => Promise<WatchedChannels>) => Promise<readonly ChainConsumer[]>;

/** The ChannelManager and the channel monitors' watched outputs (docs/force-close.md), loaded in parallel. */
function defaultConsumers(ctx: NodeContext): LoadConsumers {
  const channels = channelChainConsumers(ctx);
  return async (store, watch) => {
    const [c, m] = await Promise.all([channels(store), monitorChainConsumers(ctx, watch)(store)]);
    return [...c, ...m];
  };
}

/** The `CHAIN_WATCH#` items kept per node context, across the handlers made for it (a warm Lambda container keeps its context). */
const watchItemsOf = new WeakMap<NodeContext, WatchItems<WatchedChannels>>();

function keptWatchItems(ctx: NodeContext): WatchItems<WatchedChannels> {
  let kept = watchItemsOf.get(ctx);
  if (kept === undefined) watchItemsOf.set(ctx, (kept = new WatchItems(ctx.nodeKey, decodeWatchItems)));
  return kept;
}

export function createChainHandler(ctx: NodeContext, options: ChainHandlerOptions = {}) {
  const custom = options.consumers;
  const loadConsumers: LoadConsumers = custom === undefined ? defaultConsumers(ctx) : (store) => custom(store);
  const watchItems = keptWatchItems(ctx);
  /** The counters a run reads with its items: the receive index, then the `CHAIN_WATCH#` version (read before those items). */
  const counters = [SortKey.receiveIndex, SortKey.chainWatchVersion];

  /** The chain source's estimates as the FEES item's bytes; undefined (the item is kept) when it cannot answer or has none. */
  async function fetchFeeRates(esplora: EsploraClient): Promise<Uint8Array | undefined> {
    try {
      const table = feeRatesPerKw(await esplora.feeEstimates());
      return table.size === 0 ? undefined : encodeFeeRates(table);
    } catch (error) {
      ctx.logger.warn('fee estimates unavailable; keeping the stored ones', { error: (error as Error).message });
      return undefined;
    }
  }

  /**
   * Before the lease: what the step will ask the chain source, asked now and
   * kept. A dry run of the sync over the current items: the consumers are
   * loaded for their watch sets and confirmed txids only (their
   * notifications are dropped: the real calls happen under the lease), then
   * the wallet scan from the chain's new tip, and the fee estimates.
   */
  async function prefetch(prefetched: EsploraPrefetch, onQuery: () => void): Promise<void> {
    const esplora = prefetched.recording();
    const [items, [counter, watchVersion]] = await Promise.all([
      ctx.store.getMany(ctx.nodeKey, [SortKey.chain, SortKey.wallet]),
      ctx.store.readCounters(ctx.nodeKey, counters),
    ]);
    const view = decodeChainView(items.get(SortKey.chain));
    if (!view.ok) throw new Error(`the CHAIN item does not decode: ${view.error.message}`);
    const feesRead = fetchFeeRates(esplora);
    const consumers = await loadConsumers(ctx.store, (store) => watchItems.at(store, watchVersion!, onQuery));
    const synced = await syncChain(esplora, consumers.map((c) => dryRun(c.confirm)), () => mergeWatch(consumers), view.value);
    const wallet = withReceiveCounter(decodeWallet(items.get(SortKey.wallet)), counter!);
    await syncWallet(esplora, ctx.wallet, wallet, synced.view.tip?.height ?? 0, { everyIndex: tipMoved(view.value, synced.view, wallet) });
    await feesRead;
  }

  async function handle(event: ChainEvent): Promise<ChainResult> {
    const inputId = event.id !== undefined && event.id !== '' ? `chain-${event.id}` : `chain-${await ctx.esplora.tipHash()}`;
    // An input already applied is acknowledged before any chain request (the lease-held check repeats it).
    if (await ctx.store.hasInput(ctx.nodeKey, inputId)) return { outcome: 'duplicate', inputId, tipHeight: undefined, calls: 0, requestsUnderLease: 0, watchItemQueries: 0 };
    let watchItemQueries = 0;
    const onQuery = () => void watchItemQueries++;
    const prefetched = new EsploraPrefetch(ctx.esplora);
    await prefetch(prefetched, onQuery);
    await options.beforeLease?.();
    const esplora = prefetched.replaying();
    let calls: readonly ConfirmCall[] = [];
    let tipHeight: number | undefined;
    let wallet: WalletState | undefined;
    let outcome: Outcome;
    try {
      // Under the lease: the items read again (whatever changed since the prefetch is seen; the CHAIN_WATCH# items only
      // when their version moved), the kept answers applied, the result committed.
      outcome = await applyInput(ctx, inputId, async (store): Promise<InvocationResult> => {
        const [items, [counter, watchVersion]] = await Promise.all([
          store.getMany(ctx.nodeKey, [SortKey.chain, SortKey.wallet, SortKey.fees]),
          store.readCounters(ctx.nodeKey, counters),
        ]);
        const chainBytes = items.get(SortKey.chain);
        const walletBytes = items.get(SortKey.wallet);
        const view = decodeChainView(chainBytes);
        if (!view.ok) throw new Error(`the CHAIN item does not decode: ${view.error.message}`);
        // The fee estimates are fetched alongside the sync (one more request, no added latency).
        const feesRead = fetchFeeRates(esplora);
        const consumers = await loadConsumers(store, (s) => watchItems.at(s, watchVersion!, onQuery));
        const synced = await syncChain(esplora, consumers.map((c) => c.confirm), () => mergeWatch(consumers), view.value);
        const feesData = await feesRead;
        calls = synced.calls;
        tipHeight = synced.view.tip?.height;
        // Every receive index the counter handed out is watched (functions/wallet/wallet-service.ts).
        const state = withReceiveCounter(decodeWallet(walletBytes), counter!);
        let walletNow = await syncWallet(esplora, ctx.wallet, state, tipHeight ?? 0, { everyIndex: tipMoved(view.value, synced.view, state) });

        const puts: { sk: string; data: Uint8Array }[] = [];
        const deletes: string[] = [];
        const effects: PeerEffect[] = [];
        const broadcasts: Uint8Array[] = [];
        const followUps: FollowUpInput[] = [];
        const cleanup: string[] = [];
        for (const c of consumers) {
          const w = await c.writes(walletNow);
          puts.push(...w.puts);
          deletes.push(...w.deletes);
          effects.push(...(w.effects ?? []));
          broadcasts.push(...(w.broadcasts ?? []));
          followUps.push(...(w.followUps ?? []));
          cleanup.push(...(w.cleanup ?? []));
          walletNow = c.settleWallet?.(walletNow) ?? walletNow;
        }
        wallet = walletNow;
        const chainData = encodeChainView(synced.view);
        if (!sameBytes(chainBytes, chainData)) puts.push({ sk: SortKey.chain, data: chainData });
        const walletData = encodeWalletState(walletNow);
        if (!sameBytes(walletBytes, walletData)) puts.push({ sk: SortKey.wallet, data: walletData });
        if (feesData !== undefined && !sameBytes(items.get(SortKey.fees), feesData)) puts.push({ sk: SortKey.fees, data: feesData });
        return { puts, deletes, effects, broadcasts, followUps, ...(cleanup.length > 0 ? { cleanup } : {}) };
      });
    } catch (error) {
      if (!isLeaseHeld(error)) throw error;
      // Contention, not a failure: the next schedule (or an on-demand run) syncs; nothing was written.
      ctx.logger.info('chain sync deferred: the node lease is held by another input', { inputId, waitedMs: ctx.leaseWaitMs });
      return { outcome: 'busy', inputId, tipHeight: undefined, calls: 0, requestsUnderLease: 0, watchItemQueries };
    }
    if (outcome !== 'duplicate' && wallet !== undefined && tipHeight !== undefined) {
      // Held channel fundings never leave from here: only their channel's `funding_signed` releases them (docs/wallet.md).
      for (const p of broadcastablePending(wallet)) await enqueueBroadcast(ctx, p.txid, p.raw, `${p.txid}-${tipHeight}`);
    }
    const requestsUnderLease = prefetched.misses;
    if (outcome === 'applied') ctx.logger.info('chain sync applied', { inputId, tipHeight, calls: calls.length, prefetched: prefetched.kept, requestsUnderLease, watchItemQueries });
    // A replayed input's step result is dropped (functions/runtime/invocation.ts): report nothing of it.
    if (outcome === 'duplicate') return { outcome, inputId, tipHeight: undefined, calls: 0, requestsUnderLease, watchItemQueries };
    return { outcome, inputId, tipHeight, calls: calls.length, requestsUnderLease, watchItemQueries };
  }
  return middy(handle);
}
