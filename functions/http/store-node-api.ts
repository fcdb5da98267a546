/**
 * The HTTP API's view of the node, read from the store and acting through
 * the outbound queue: no lease needed (reads are consistent; dialling is a
 * command for the gateway, not a state change).
 */
import { randomUUID } from 'node:crypto';
import { toHex } from '../../shared/crypto/bytes.js';
import { decodePeerState, type PeerState } from '../../shared/manager/index.js';
import { encodeOutbound } from '../../shared/pipeline/envelopes.js';
import { SortKey } from '../../shared/store/index.js';
import type { NodeContext } from '../runtime/node-context.js';
import type { NodeApi, PeerInfo } from './node-api.js';

export const STORMCELL_VERSION = '0.1.0';

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
    async nodeInfo() {
      return {
        nodeId: ctx.nodeKey,
        network: ctx.network,
        peers: (await readyPeers()).length,
        features: toHex(ctx.config.features),
        version: STORMCELL_VERSION,
      };
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
  };
}
