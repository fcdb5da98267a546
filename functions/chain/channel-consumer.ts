/**
 * The ChannelManager as a chain consumer (docs/channels-pipeline.md): the
 * chain handler loads it with the confirming index (docs/follow-ups.md),
 * watches those funding txids, feeds it `transactionsConfirmed` /
 * `bestBlockUpdated` through the chain sync, and commits its changes with
 * the sync: each confirming channel's events leave as its follow-up input
 * (which sends `channel_ready`), through the outbox of the same commit.
 */
import { toHex } from '../../shared/crypto/index.js';
import { decodePeerState, type ChannelManager, type ManagerChanges } from '../../shared/manager/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { loadManager, managerResult, monitorsBefore, settleChannelFunding, webhooksFor } from '../runtime/manager-step.js';
import { resolvedPaymentPuts } from '../payments/payment-record.js';
import type { NodeContext } from '../runtime/node-context.js';
import { StepReads } from '../runtime/step-reads.js';
import type { ChainConsumer } from './handler.js';

/** The connected peers (PEER# items with their `init` features), the manager's `connectedPeers`. */
export async function connectedPeers(ctx: NodeContext, store: NodeStore): Promise<Map<string, Uint8Array>> {
  return (await peersNow(ctx, store)).connected;
}

/**
 * The connected peers and the gateway connection each is on (PEER# items):
 * what an input that may send to peers loads the manager with, so each
 * message it makes is bound to the connection it was made for.
 */
export async function peersNow(ctx: NodeContext, store: NodeStore): Promise<{ connected: Map<string, Uint8Array>; connections: Map<string, string> }> {
  const connected = new Map<string, Uint8Array>();
  const connections = new Map<string, string>();
  for (const { data } of await store.query(ctx.nodeKey, SortKey.peer(''))) {
    const peer = decodePeerState(data);
    if (!peer.ok || peer.value.features === undefined) continue;
    const hex = toHex(peer.value.nodeId);
    connected.set(hex, peer.value.features);
    connections.set(hex, peer.value.connectionId);
  }
  return { connected, connections };
}

/**
 * The node's channels as chain consumers: none before the node has a manager
 * header. The manager follows every block (its best block is in the header,
 * one write per block); the confirming index items are read, not the
 * channels. Its changes also settle the wallet's held fundings (a channel
 * that aged out before `funding_signed` gives its coins back in the same commit).
 */
export function channelChainConsumers(ctx: NodeContext) {
  return async (store: NodeStore): Promise<readonly ChainConsumer[]> => {
    const reads = new StepReads(ctx, store);
    void reads.fees();
    if ((await reads.header()) === undefined) return [];
    const manager = await loadManager(ctx, store, { kind: 'chain' }, new Map(), reads);
    return [consumerOf(ctx, store, manager, manager.watchedFundingTxids(), reads)];
  };
}

function consumerOf(ctx: NodeContext, store: NodeStore, manager: ChannelManager, watched: readonly Uint8Array[], reads: StepReads): ChainConsumer {
  let changes: ManagerChanges | undefined;
  // Taken once, after the sync: the writes and the wallet settlement see the same changes.
  const taken = () => (changes ??= manager.takeChanges());
  return {
    confirm: manager,
    watch: () => ({ txids: watched, outputs: [] }),
    // The events of the sync (a channel closed on chain) carry their webhook deliveries (docs/webhooks.md); a payment resolved resolves its API record.
    writes: async () => {
      const payments = await resolvedPaymentPuts(store, ctx.nodeKey, taken().events, ctx.managerPorts.clock.nowSecs());
      return managerResult(taken(), { puts: payments, deletes: [], effects: [] }, await monitorsBefore(ctx, store, taken()), await webhooksFor(taken(), reads));
    },
    settleWallet: (wallet) => settleChannelFunding(wallet, taken()),
  };
}
