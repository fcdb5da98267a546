/** Applies one inbound envelope (from the peer gateway) to the node's BOLT 1 core. */
import { fromHex } from '../../shared/crypto/index.js';
import { decodePeerState, encodePeerState, peerConnected, peerDisconnected, peerMessage, type PeerState, type PeerStep } from '../../shared/manager/index.js';
import type { InboundEnvelope } from '../../shared/pipeline/envelopes.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import type { InvocationResult } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';

export async function loadPeer(ctx: NodeContext, store: NodeStore, peerHex: string): Promise<PeerState | undefined> {
  const bytes = await store.get(ctx.nodeKey, SortKey.peer(peerHex));
  if (bytes === undefined) return undefined;
  const decoded = decodePeerState(bytes);
  if (!decoded.ok) {
    // Unreadable state is never silently replaced: fail loudly, the input goes to the DLQ.
    throw new Error(`peer item ${peerHex} does not decode: ${decoded.error.reason}`);
  }
  return decoded.value;
}

/** Turns a step into the store writes and effects of the invocation. */
export function peerWrites(peerHex: string, step: PeerStep): InvocationResult {
  const sk = SortKey.peer(peerHex);
  if (step.state === undefined) return { puts: [], deletes: [], effects: step.effects };
  if (step.state === null) return { puts: [], deletes: [sk], effects: step.effects };
  return { puts: [{ sk, data: encodePeerState(step.state) }], deletes: [], effects: step.effects };
}

export async function applyInbound(ctx: NodeContext, store: NodeStore, envelope: InboundEnvelope): Promise<InvocationResult> {
  const current = await loadPeer(ctx, store, envelope.peer);
  switch (envelope.kind) {
    case 'connected':
      return peerWrites(
        envelope.peer,
        peerConnected(ctx.config, {
          nodeId: fromHex(envelope.peer),
          connectionId: envelope.connectionId,
          inbound: envelope.inbound,
          address: envelope.address,
        }),
      );
    case 'message':
      return peerWrites(envelope.peer, peerMessage(ctx.config, current, envelope.connectionId, envelope.message));
    case 'disconnected':
      return peerWrites(envelope.peer, peerDisconnected(current, envelope.connectionId));
  }
}
