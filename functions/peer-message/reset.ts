/**
 * Forgets every peer connection: used when the peer gateway starts, since no
 * connection survives a gateway restart (a `disconnected` sent while it was
 * stopping may never have been applied).
 */
import { SortKey } from '../../shared/store/index.js';
import { applyInput, type Outcome } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';

export function resetPeers(ctx: NodeContext, inputId: string): Promise<Outcome> {
  return applyInput(ctx, inputId, async (store) => {
    const peers = await store.query(ctx.nodeKey, SortKey.peer(''));
    return { puts: [], deletes: peers.map((p) => p.sk), effects: [] };
  });
}
