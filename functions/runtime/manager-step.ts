/**
 * The ChannelManager inside one invocation (docs/manager.md, "The
 * partial-load model"; docs/channels-pipeline.md): read HEADER (a node
 * without one gets a new manager), ask the manager which channel items the
 * input needs, read exactly those, run the input, and turn `takeChanges()`
 * into the invocation's writes: header/channel/monitor/event items, the
 * messages as outbox items, and the broadcasts for after the commit.
 */
import { randomBytes } from 'node:crypto';
import { StoredFeeEstimator } from '../../shared/chain/index.js';
import { equalBytes } from '../../shared/codec/index.js';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import {
  channelItemKeys,
  ChannelManager,
  IndexPrefix,
  channelKey,
  decodeChannelRef,
  decodePeerState,
  scidKey,
  type BestBlock,
  type ChannelKey,
  type ManagerChanges,
  type ManagerInput,
  type ManagerPorts,
  type GossipSyncSettings,
  type NodeAnnouncementSettings,
  type PeerEffect,
} from '../../shared/manager/index.js';
import { committedWatch, type ChannelMonitor } from '../../shared/monitor/index.js';
import { MONITOR_UPDATES_PER_SNAPSHOT, SortKey, monitorFromItems, monitorsToRead, type NodeStore } from '../../shared/store/index.js';
import { managerItemWrites } from '../../shared/store/manager-items.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import {
  WalletError,
  anchorReserveSat,
  assertAnchorReserve,
  buildSend,
  discardFunding,
  encodeWalletState,
  holdFunding,
  isHeldFunding,
  releaseFunding,
  txidOf,
  type WalletState,
} from '../../shared/wallet/index.js';
import { decodeChainView } from '../chain/chain-record.js';
import { resolvedPaymentPuts } from '../payments/payment-record.js';
import { decodeFeeRates } from '../chain/fee-record.js';
import { answerClaimablePayments, paidExternalIds } from '../invoices/claim-step.js';
import { FALLBACK_FEERATE_SAT_PER_KW, WALLET_CONFIRMATION_TARGET, anchorChannelCount, decodeWallet } from '../wallet/wallet-service.js';
import type { InvocationResult } from './invocation.js';
import type { NodeContext } from './node-context.js';
import { StepReads } from './step-reads.js';
import { WalletShutdownScripts, mayNeedShutdownScript } from './wallet-shutdown-scripts.js';
import { decodeWebhooks, deliveryWrites, type WebhookRegistration } from '../webhooks/webhook-records.js';

/**
 * The manager's ports for a node seed: keys from the seed, entropy from the
 * OS, the commit as the Watch, and the 253 sat/kw floor as the fee estimator
 * (each invocation replaces it with the stored estimates: {@link withStoredFees}).
 */
export function managerPortsFromSeed(seed: Uint8Array): ManagerPorts {
  const entropy = { getSecureRandomBytes: () => Uint8Array.from(randomBytes(32)) };
  const keys = new KeysManager(wasmSecp256k1, seed, entropy);
  return {
    secp: wasmSecp256k1,
    nodeSigner: keys,
    signerProvider: keys,
    entropy,
    feeEstimator: new StoredFeeEstimator(new Map()),
    watch: committedWatch,
    clock: { nowSecs: () => Math.floor(Date.now() / 1000) },
  };
}

/**
 * `ports` with the node's fee estimates (the FEES item the chain handler
 * keeps, docs/channel.md "Feerates") as the FeeEstimator; the 253 sat/kw
 * floor for every target when the item is absent. An item this code cannot
 * read (a newer version) fails the invocation, as any unreadable state does.
 */
export function withStoredFees(ports: ManagerPorts, fees: Uint8Array | undefined): ManagerPorts {
  const table = decodeFeeRates(fees);
  if (!table.ok) throw new Error(`the FEES item does not decode: ${table.error.message}`);
  return { ...ports, feeEstimator: new StoredFeeEstimator(table.value) };
}

/** The node's best block as the chain handler last saw it (CHAIN), else the genesis block at height 0. */
async function bestBlockOf(ctx: NodeContext, store: NodeStore): Promise<BestBlock> {
  const view = decodeChainView(await store.get(ctx.nodeKey, SortKey.chain));
  if (view.ok && view.value.tip !== undefined) return { height: view.value.tip.height, hash: fromHex(view.value.tip.hash).reverse() };
  return { height: 0, hash: Uint8Array.from(ctx.config.chainHash) };
}

/**
 * Loads the manager for `input`: HEADER and FEES in parallel (or
 * `ChannelManager.create` on a node's first use; its header is then among
 * the changes), then the plan's channel items (GetItem for keys, a Query per
 * peer or for all). The node's configuration (`ctx.managerConfig`) applies
 * at every load; the manager's FeeEstimator serves the stored estimates.
 */
export async function loadManager(
  ctx: NodeContext,
  store: NodeStore,
  input: ManagerInput,
  connectedPeers: ReadonlyMap<string, Uint8Array>,
  /** The invocation's reads, maybe started already alongside others (saves round trips). */
  reads: StepReads = new StepReads(ctx, store),
  /** The gateway connection of each connected peer this input knows (docs/follow-ups.md). */
  connections: ReadonlyMap<string, string> = new Map(),
): Promise<ChannelManager> {
  // FEES is read alongside HEADER (one more GetItem, no added round trip).
  const needsWallet = mayNeedShutdownScript(input);
  // WEBHOOKS too (one more parallel GetItem): a commit with events writes their webhook deliveries (docs/webhooks.md).
  void reads.webhooks();
  // A payment (or its retry) routes over the gossip graph: the container's snapshot, loaded or refreshed now (docs/gossip.md).
  const routes = input.kind === 'send-payment' || (input.kind === 'follow-up' && input.work.kind === 'retry-payment');
  const [header, fees, wallet] = await Promise.all([
    reads.header(),
    reads.fees(),
    needsWallet ? reads.wallet() : Promise.resolve(undefined),
    routes ? ctx.routing?.graphs.graph() : undefined,
  ]);
  // Shutdown scripts are fresh wallet addresses (docs/close.md): the wallet is read with HEADER when the input may need one.
  const shutdownScripts = new WalletShutdownScripts(ctx.managerPorts.signerProvider, ctx.wallet, needsWallet ? decodeWallet(wallet) : undefined);
  reads.shutdownScripts = shutdownScripts;
  const routing = ctx.routing;
  const ports = {
    ...withStoredFees(ctx.managerPorts, fees),
    signerProvider: shutdownScripts,
    ...(routing === undefined ? {} : { routing: { graph: () => routing.graphs.current(), scorer: routing.scorer } }),
  };
  if (header === undefined) {
    const manager = ChannelManager.create({ ports, chainHash: ctx.config.chainHash, bestBlock: await bestBlockOf(ctx, store), config: ctx.managerConfig, ...nodeAnnouncementOf(ctx) });
    for (const [peer, features] of connectedPeers) manager.peerConnected(fromHex(peer), features);
    return manager;
  }
  // The deployment's settings win over the header's (rewritten in this commit when they differ).
  const manager = ChannelManager.load({ ports, header, connectedPeers, connections, config: ctx.managerConfig, ...nodeAnnouncementOf(ctx) });
  const plan = manager.channelKeysFor(input);
  const prefix = SortKey.channelPrefix();
  const channels = new Map<ChannelKey, Uint8Array>();
  // Every read of the plan in one round trip: items by key, Queries per peer (or all), keys-only listings, the confirming index.
  const records = plan.records ?? [];
  const [byKey, recordItems, confirming, expiring, mppWaiting, funders, keysOfPeers, ...queried] = await Promise.all([
    // A channel's part items (docs/items.md "The channel item in parts") in the same batch.
    plan.keys.length === 0 ? Promise.resolve(new Map<string, Uint8Array>()) : store.getMany(ctx.nodeKey, plan.keys.flatMap((k) => channelItemKeys(k).map((key) => SortKey.channel(key)))),
    records.length === 0 ? Promise.resolve(new Map<string, Uint8Array>()) : store.getMany(ctx.nodeKey, [...records]),
    plan.confirming ? store.query(ctx.nodeKey, SortKey.indexPrefix(IndexPrefix.confirming)) : Promise.resolve([]),
    plan.expiring ? store.query(ctx.nodeKey, SortKey.indexPrefix(IndexPrefix.expiry)) : Promise.resolve([]),
    // A timer tick: the oldest payments collecting parts (bounded), and the channels we fund (docs/timer.md).
    plan.mppWaiting !== undefined ? store.query(ctx.nodeKey, SortKey.indexPrefix(IndexPrefix.mpp), plan.mppWaiting) : Promise.resolve([]),
    plan.funders ? store.query(ctx.nodeKey, SortKey.indexPrefix(IndexPrefix.funder)) : Promise.resolve([]),
    Promise.all((plan.keysOfPeers ?? []).map(async (peer) => [peer, await store.queryKeys(ctx.nodeKey, SortKey.channelPrefix(peer))] as const)),
    ...(plan.all ? [store.query(ctx.nodeKey, prefix)] : plan.peers.map((peer) => store.query(ctx.nodeKey, SortKey.channelPrefix(peer)))),
  ]);
  for (const [sk, data] of byKey) channels.set(sk.slice(prefix.length), data);
  // A forward's next channel (docs/forwarding.md): its SCID# index item, then the channel item it names (one more round trip, only for such a follow-up).
  if ((plan.scids ?? []).length > 0) {
    const refs = await store.getMany(ctx.nodeKey, (plan.scids ?? []).map((scid) => SortKey.index(scidKey(scid))));
    const named = [...refs.values()].flatMap((bytes) => {
      const ref = decodeChannelRef(bytes);
      return ref.ok ? [ref.value] : [];
    });
    // With its part items (docs/items.md "The channel item in parts"), and its peer's PEER# item in the same batch:
    // the next peer is not the input's, and the forward goes only to a connected one, on its current connection.
    const keys = named.flatMap((ref) => channelItemKeys(channelKey(ref.counterpartyNodeId, ref.channelId)).map((key) => SortKey.channel(key)));
    const peerKeys = [...new Set(named.map((ref) => toHex(ref.counterpartyNodeId)))].filter((hex) => !connectedPeers.has(hex)).map((hex) => SortKey.peer(hex));
    if (keys.length > 0) {
      for (const [sk, data] of await store.getMany(ctx.nodeKey, [...keys, ...peerKeys])) {
        if (!sk.startsWith(prefix)) {
          const peer = decodePeerState(data);
          if (peer.ok && peer.value.features !== undefined) manager.loadConnectedPeer(peer.value.nodeId, peer.value.features, peer.value.connectionId);
          continue;
        }
        channels.set(sk.slice(prefix.length), data);
      }
    }
  }
  for (const items of queried) for (const { sk, data } of items) channels.set(sk.slice(prefix.length), data);
  manager.loadChannels(plan, channels);
  manager.loadRecords(records, recordItems);
  if (plan.mppWaiting !== undefined) manager.loadMppWaiting(mppWaiting.map(({ sk }) => sk.slice(SortKey.index('').length)));
  if (plan.funders) manager.loadFunders(funders.map(({ data }) => data));
  // Records only the loaded channels name (a reconnection's retransmission): one more read, usually none.
  const more = manager.recordsAfterLoad(input);
  if (more.length > 0) manager.loadRecords(more, await store.getMany(ctx.nodeKey, more));
  if (plan.confirming) manager.loadConfirming(confirming.map(({ data }) => data));
  if (plan.expiring) manager.loadExpiring(expiring.map(({ sk, data }) => ({ key: sk.slice(SortKey.index('').length), data })));
  for (const [peer, sks] of keysOfPeers) manager.loadChannelKeys(peer, sks.map((sk) => sk.slice(prefix.length)));
  return manager;
}

/**
 * Reads what `input` needs on top of what `manager` holds, to run it after
 * the inputs `manager` ran (a burst: docs/manager.md, "Bursts"): the channel
 * items (with their parts) and records not held yet, in one round trip, then
 * the records only its channel names. False, reading nothing, when the
 * input needs a load of its own.
 */
export async function extendManager(ctx: Pick<NodeContext, 'nodeKey'>, store: NodeStore, manager: ChannelManager, input: ManagerInput): Promise<boolean> {
  const plan = manager.burstPlan(input);
  if (plan === undefined) return false;
  const none = Promise.resolve(new Map<string, Uint8Array>());
  const [items, records] = await Promise.all([
    plan.keys.length === 0 ? none : store.getMany(ctx.nodeKey, plan.keys.flatMap((k) => channelItemKeys(k).map((key) => SortKey.channel(key)))),
    plan.records.length === 0 ? none : store.getMany(ctx.nodeKey, [...plan.records]),
  ]);
  const prefix = SortKey.channelPrefix();
  manager.loadChannels({ keys: plan.keys, peers: [], all: false }, new Map([...items].map(([sk, data]) => [sk.slice(prefix.length), data] as const)));
  manager.loadRecords(plan.records, records);
  const more = manager.recordsAfterLoad(input).filter((key) => !manager.holdsRecord(key));
  if (more.length > 0) manager.loadRecords(more, await store.getMany(ctx.nodeKey, more));
  return true;
}

/**
 * The monitors the commit of `changes` needs first: those with an update at
 * a snapshot point (shared/store/monitor-items.ts), each read newest first
 * down to its newest snapshot (one Query of at most N + 1 items). Usually
 * none, and no read.
 */
export async function monitorsBefore(ctx: Pick<NodeContext, 'nodeKey'>, store: NodeStore, changes: ManagerChanges): Promise<Map<string, ChannelMonitor>> {
  const out = new Map<string, ChannelMonitor>();
  for (const id of monitorsToRead(changes.monitors.put)) {
    const items = await store.query(ctx.nodeKey, SortKey.monitorPrefix(id), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
    const read = monitorFromItems(id, items);
    if (read !== undefined) out.set(id, read.monitor);
  }
  return out;
}

/**
 * The manager's changes as the invocation's writes, messages (outbox) and
 * broadcasts (after the commit), after `base`. `monitors`: what
 * {@link monitorsBefore} read for these changes.
 */
export function managerResult(
  changes: ManagerChanges,
  base: InvocationResult = { puts: [], deletes: [], effects: [] },
  monitors: ReadonlyMap<string, ChannelMonitor> = new Map(),
  /** The webhooks registered now: each new event's deliveries are written with it (docs/webhooks.md). */
  webhooks: readonly WebhookRegistration[] = [],
): InvocationResult {
  const { puts: managerPuts, deletes, cleanup } = managerItemWrites(changes, monitors);
  // A paid invoice's externalId rides on its `payment-received` (the invoice's put is in `base`).
  const puts = [...managerPuts, ...deliveryWrites(changes.events, webhooks, Date.now(), paidExternalIds(base.puts))];
  const effects: PeerEffect[] = changes.messages.map(({ peer, message, connectionId }) => ({ kind: 'send', peer, message, ...(connectionId === undefined ? {} : { connectionId }) }));
  return {
    puts: [...base.puts, ...puts],
    deletes: [...base.deletes, ...deletes],
    effects: [...base.effects, ...effects],
    broadcasts: [...(base.broadcasts ?? []), ...changes.broadcasts],
    followUps: [...(base.followUps ?? []), ...changes.followUps],
    ...(base.cleanup === undefined && cleanup.length === 0 ? {} : { cleanup: [...(base.cleanup ?? []), ...cleanup] }),
  };
}

/** The webhooks a commit of `changes` must write deliveries for: none (and no read) without events. */
export async function webhooksFor(changes: ManagerChanges, reads: Pick<StepReads, 'webhooks'>): Promise<WebhookRegistration[]> {
  return changes.events.length === 0 ? [] : decodeWebhooks(await reads.webhooks());
}

/** Two successive `takeChanges()` of one manager as one change set (the later wins per item; a later delete drops an earlier put). */
export function mergeChanges(a: ManagerChanges, b: ManagerChanges): ManagerChanges {
  const put = new Map(a.channels.put);
  for (const key of b.channels.delete) put.delete(key);
  for (const [key, data] of b.channels.put) put.set(key, data);
  const deleted = new Set([...a.channels.delete.filter((k) => !b.channels.put.has(k)), ...b.channels.delete]);
  // Channel part items deleted after the commit (docs/items.md): a later put keeps one, a later deferred delete drops an earlier put.
  for (const key of b.channels.deferredDelete ?? []) put.delete(key);
  const partsDeferred = new Set([...(a.channels.deferredDelete ?? []).filter((k) => !b.channels.put.has(k)), ...(b.channels.deferredDelete ?? [])]);
  const indexPut = new Map(a.indexes.put);
  for (const key of b.indexes.delete) indexPut.delete(key);
  for (const [key, data] of b.indexes.put) indexPut.set(key, data);
  const indexDeleted = new Set([...a.indexes.delete.filter((k) => !b.indexes.put.has(k)), ...b.indexes.delete]);
  const header = b.header ?? a.header;
  return {
    ...(header === undefined ? {} : { header }),
    channels: { put, delete: [...deleted], ...(partsDeferred.size === 0 ? {} : { deferredDelete: [...partsDeferred] }) },
    indexes: {
      put: indexPut,
      delete: [...indexDeleted],
      deferredDelete: [...(a.indexes.deferredDelete ?? []).filter((k) => !b.indexes.put.has(k)), ...(b.indexes.deferredDelete ?? [])],
    },
    monitors: { put: [...a.monitors.put, ...b.monitors.put] },
    records: mergeRecords(a.records, b.records),
    events: [...a.events, ...b.events],
    messages: [...a.messages, ...b.messages],
    broadcasts: [...a.broadcasts, ...b.broadcasts],
    followUps: [...a.followUps, ...b.followUps],
  };
}

/** Two inputs' payment record writes as one (the later wins per key). */
function mergeRecords(a: ManagerChanges['records'], b: ManagerChanges['records']): NonNullable<ManagerChanges['records']> {
  const put = new Map(a?.put ?? []);
  const del = new Set(a?.delete ?? []);
  const deferred = new Set(a?.deferredDelete ?? []);
  for (const key of [...(b?.delete ?? []), ...(b?.deferredDelete ?? [])]) put.delete(key);
  for (const [key, data] of b?.put ?? []) {
    put.set(key, data);
    del.delete(key);
    deferred.delete(key);
  }
  for (const key of b?.delete ?? []) del.add(key);
  for (const key of b?.deferredDelete ?? []) deferred.add(key);
  const expiresAt = new Map(a?.expiresAt ?? []);
  for (const key of [...(b?.delete ?? []), ...(b?.deferredDelete ?? []), ...(b?.put.keys() ?? [])]) expiresAt.delete(key);
  for (const [key, at] of b?.expiresAt ?? []) expiresAt.set(key, at);
  for (const key of expiresAt.keys()) if (!put.has(key)) expiresAt.delete(key);
  return { put, delete: [...del], deferredDelete: [...deferred], ...(expiresAt.size === 0 ? {} : { expiresAt }) };
}

/**
 * Fee rate of funding transactions (sat per 1000 vbytes): the stored
 * estimate for {@link WALLET_CONFIRMATION_TARGET} blocks (FEES, kept by the
 * chain handler: no call to the chain source on the message path), else the
 * wallet's fallback.
 */
function fundingFeeratePerKvb(fees: Uint8Array | undefined): bigint {
  const table = decodeFeeRates(fees);
  if (!table.ok) throw new Error(`the FEES item does not decode: ${table.error.message}`);
  return new StoredFeeEstimator(table.value, FALLBACK_FEERATE_SAT_PER_KW).feeRatePerKw(WALLET_CONFIRMATION_TARGET) * 4n;
}

/** A P2WSH output script: what a funding output looks like to coin selection (the 2-of-2 is not known before `accept_channel`). */
const P2WSH_PLACEHOLDER = Uint8Array.of(0x00, 0x20, ...new Uint8Array(32));

/**
 * Throws the wallet's `WalletError` (`insufficient-funds`,
 * `anchor-reserve-not-covered`, ...) when the wallet, as stored now, could
 * not fund a channel of `amountSat` at the funding fee rate while keeping
 * the anchor reserve of `anchorChannels` channels (the new one included when
 * it will have anchors: its confirmed coins must cover that reserve first):
 * checked before `open_channel` is sent, so a user learns it at once instead
 * of from a channel closed later. The coins are not reserved: a payment in
 * between can still take them (the channel is then abandoned with
 * `funding-not-provided`, as before).
 */
export function checkFundable(
  ctx: NodeContext,
  walletBytes: Uint8Array | undefined,
  fees: Uint8Array | undefined,
  amountSat: bigint,
  reserve: { readonly anchorChannels: number; readonly anchors: boolean } = { anchorChannels: 0, anchors: false },
): void {
  const wallet = decodeWallet(walletBytes);
  const anchorChannels = reserve.anchorChannels + (reserve.anchors ? 1 : 0);
  if (reserve.anchors) assertAnchorReserve(wallet, anchorChannels);
  buildSend(ctx.wallet.secp, ctx.wallet, wallet, {
    script: P2WSH_PLACEHOLDER,
    amountSat,
    feeratePerKvb: fundingFeeratePerKvb(fees),
    tipHeight: wallet.syncedHeight,
    anchorReserveSat: anchorReserveSat(anchorChannels),
  });
}

/** Whether the changes move a funding transaction of the wallet on (a broadcast that may release one, or a `DiscardFunding`). */
function touchesWalletFunding(changes: ManagerChanges): boolean {
  return changes.broadcasts.length > 0 || changes.events.some((r) => r.event.kind === 'discard-funding');
}

/**
 * The wallet after the manager's changes (docs/wallet.md, "Channel
 * funding"): a held funding transaction the manager broadcasts (its
 * channel's `funding_signed` is in this commit) is released; one whose
 * channel closed before it (`DiscardFunding`) is dropped and its coins are
 * spendable again. Committed with the changes, so the wallet and the
 * channels never disagree.
 */
export function settleChannelFunding(wallet: WalletState, changes: ManagerChanges): WalletState {
  let out = wallet;
  for (const tx of changes.broadcasts) {
    const txid = txidOf(tx);
    if (isHeldFunding(out, txid)) out = releaseFunding(out, txid, out.syncedHeight);
  }
  for (const { event } of changes.events) {
    if (event.kind === 'discard-funding') out = discardFunding(out, txidToDisplayHex(event.fundingOutpoint.txid));
  }
  return out;
}

/**
 * Takes the manager's changes and answers each `FundingGenerationReady`
 * among them with the node's wallet, in the same invocation (so
 * `funding_created` leaves in the same commit): coin selection and signing of
 * a transaction paying the event's script its value (the coins it spends
 * become pending in WALLET, held for the channel, written in the same
 * commit), then `fundingTransactionGenerated`. When the wallet cannot pay,
 * the channel is abandoned: `ChannelClosed` (`funding-not-provided`) with
 * the wallet's reason, and an `error` to the peer. Then the wallet follows
 * the changes ({@link settleChannelFunding}): a funding released by
 * `funding_signed`, or discarded with its channel.
 */
export async function takeChangesFunded(ctx: NodeContext, store: NodeStore, manager: ChannelManager, reads: StepReads = new StepReads(ctx, store)): Promise<InvocationResult> {
  let changes = manager.takeChanges();
  // Payments to us whose parts all arrived are claimed or failed back in this same commit (docs/invoices-api.md).
  const invoicePuts = await answerClaimablePayments(ctx, store, manager, changes, ctx.managerPorts.clock.nowSecs());
  if (invoicePuts.length > 0 || changes.events.some((r) => r.event.kind === 'payment-claimable')) changes = mergeChanges(changes, manager.takeChanges());
  const requests = changes.events.flatMap((r) => (r.event.kind === 'funding-generation-ready' ? [r.event] : []));
  // A close's script reserved from the wallet (docs/close.md): the wallet is written with the shutdown naming it.
  const reserved = reads.shutdownScripts?.reservedWallet();
  // A payment sent over the API resolves in the commit of its core event (docs/payments-api.md).
  const payments = await resolvedPaymentPuts(store, ctx.nodeKey, changes.events, ctx.managerPorts.clock.nowSecs());
  if (requests.length === 0 && !touchesWalletFunding(changes) && reserved === undefined) {
    const [monitors, webhooks] = await Promise.all([monitorsBefore(ctx, store, changes), webhooksFor(changes, reads)]);
    return managerResult(changes, { puts: [...invoicePuts, ...payments], deletes: [], effects: [] }, monitors, webhooks);
  }
  const walletBytes = await reads.wallet();
  const before = decodeWallet(walletBytes);
  let wallet = reserved ?? before;
  if (requests.length > 0) {
    const feeratePerKvb = fundingFeeratePerKvb(await reads.fees());
    // The anchor reserve (shared/wallet/anchor-reserve.ts): the funded anchor channels, plus each anchor channel funded here.
    let anchorChannels = await anchorChannelCount(store, ctx.nodeKey);
    const channels = manager.listChannels();
    for (const request of requests) {
      let funding: ReturnType<typeof buildSend> | undefined;
      const anchors = channels.some((c) => equalBytes(c.temporaryChannelId, request.temporaryChannelId) && c.channelType.anchors);
      try {
        if (anchors) assertAnchorReserve(wallet, anchorChannels + 1);
        funding = buildSend(ctx.wallet.secp, ctx.wallet, wallet, {
          script: request.outputScript,
          amountSat: request.channelValueSatoshis,
          feeratePerKvb,
          tipHeight: wallet.syncedHeight,
          anchorReserveSat: anchorReserveSat(anchorChannels + (anchors ? 1 : 0)),
        });
        if (anchors) anchorChannels += 1;
      } catch (error) {
        if (!(error instanceof WalletError)) throw error;
        const reason = `the wallet cannot fund the channel: ${error.message}`;
        ctx.logger.warn('abandoning an unfunded channel', { reason, peer: toHex(request.counterpartyNodeId) });
        manager.abandonUnfundedChannel(request.temporaryChannelId, request.counterpartyNodeId, reason);
        continue;
      }
      const given = manager.fundingTransactionGenerated(request.temporaryChannelId, funding.raw, request.counterpartyNodeId);
      if (!given.ok) throw new Error(`the manager refused our funding transaction: ${given.error.message}`);
      wallet = holdFunding(funding.state, funding.txid);
      ctx.logger.info('funding transaction generated', { txid: funding.txid, feeSat: funding.feeSat.toString() });
    }
    changes = mergeChanges(changes, manager.takeChanges());
  }
  wallet = settleChannelFunding(wallet, changes);
  for (const { event } of changes.events) {
    if (event.kind === 'discard-funding') ctx.logger.info('funding transaction discarded', { txid: txidToDisplayHex(event.fundingOutpoint.txid), channelId: toHex(event.channelId) });
  }
  const base: InvocationResult = { puts: [...invoicePuts, ...payments, ...(wallet === before ? [] : [{ sk: SortKey.wallet, data: encodeWalletState(wallet) }])], deletes: [], effects: [] };
  const [monitors, webhooks] = await Promise.all([monitorsBefore(ctx, store, changes), webhooksFor(changes, reads)]);
  return managerResult(changes, base, monitors, webhooks);
}

/** The node's `node_announcement` settings and its gossip sync for the manager, when the deployment sets them. */
function nodeAnnouncementOf(ctx: NodeContext): { nodeAnnouncement?: NodeAnnouncementSettings; gossipSync?: GossipSyncSettings } {
  return {
    ...(ctx.nodeAnnouncement === undefined ? {} : { nodeAnnouncement: ctx.nodeAnnouncement }),
    ...(ctx.gossipSync === undefined ? {} : { gossipSync: ctx.gossipSync }),
  };
}
