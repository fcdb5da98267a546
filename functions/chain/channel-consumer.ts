/**
 * The ChannelManager as a chain consumer (docs/channels-pipeline.md): the
 * chain handler loads it for the channels still confirming (the header's
 * `confirming` list), watches their funding txids, feeds it
 * `transactionsConfirmed` / `bestBlockUpdated` through the chain sync, and
 * commits its changes with the sync: `channel_ready` leaves through the
 * outbox in the same commit.
 */
import { toHex } from '../../shared/crypto/index.js';
import { decodeManagerHeader, decodePeerState, type ChannelManager } from '../../shared/manager/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { loadManager, managerResult } from '../runtime/manager-step.js';
import type { NodeContext } from '../runtime/node-context.js';
import { StepReads } from '../runtime/step-reads.js';
import type { ChainConsumer } from './handler.js';

/** The connected peers (PEER# items with their `init` features), the manager's `connectedPeers`. */
export async function connectedPeers(ctx: NodeContext, store: NodeStore): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const { data } of await store.query(ctx.nodeKey, SortKey.peer(''))) {
    const peer = decodePeerState(data);
    if (peer.ok && peer.value.features !== undefined) out.set(toHex(peer.value.nodeId), peer.value.features);
  }
  return out;
}

/** The BOLT 2 channel id of output `index` of the transaction `txid` (internal byte order). */
function channelIdOf(txid: Uint8Array, index: number): string {
  const id = Uint8Array.from(txid);
  id[30] = id[30]! ^ (index >> 8);
  id[31] = id[31]! ^ (index & 0xff);
  return toHex(id);
}

/**
 * The node's channels as chain consumers: none before the node has a manager
 * header or while no channel is confirming (a block then reads one item).
 * `holdsBroadcast(txid, outputs)` says whether a wallet transaction is the
 * funding of an outbound channel still waiting for the peer's
 * `funding_signed`: it must not be broadcast yet (the wallet's
 * re-broadcast of its pending transactions skips it).
 */
export function channelChainConsumers(ctx: NodeContext) {
  return async (store: NodeStore): Promise<readonly ChannelConsumer[]> => {
    const reads = new StepReads(ctx, store);
    void reads.fees();
    const headerBytes = await reads.header();
    if (headerBytes === undefined) return [];
    const header = decodeManagerHeader(headerBytes);
    if (!header.ok) throw new Error(`the manager header does not decode: ${header.error.message}`);
    const awaitingSignature = new Set(header.value.unfunded.filter((u) => u.isOutbound).map((u) => toHex(u.channelId)));
    // The manager follows every block (its best block is in the header, one write per block); only the channels still confirming are loaded.
    const peers = header.value.confirming.length === 0 ? new Map<string, Uint8Array>() : await connectedPeers(ctx, store);
    const manager = await loadManager(ctx, store, { kind: 'chain' }, peers, reads);
    return [consumerOf(manager, header.value.confirming.map((c) => c.fundingTxid), awaitingSignature)];
  };
}

export interface ChannelConsumer extends ChainConsumer {
  holdsBroadcast(txid: Uint8Array, outputs: number): boolean;
}

function consumerOf(manager: ChannelManager, watched: readonly Uint8Array[], awaitingSignature: ReadonlySet<string>): ChannelConsumer {
  return {
    confirm: manager,
    watch: () => ({ txids: watched, outputs: [] }),
    writes: () => managerResult(manager.takeChanges()),
    holdsBroadcast: (txid, outputs) => Array.from({ length: outputs }, (_, i) => channelIdOf(txid, i)).some((id) => awaitingSignature.has(id)),
  };
}
