/**
 * The {@link NodeApi} port over the node's store and outbound queue: what the
 * deployed HTTP function answers with. Reads are plain queries of the node's
 * partition (no lease: they change nothing); dialling a peer is an outbound
 * `connect` envelope for the peer gateway.
 */
import { randomUUID } from 'node:crypto';
import { toHex } from '../../shared/crypto/index.js';
import { decodePeerState, type PeerState } from '../../shared/manager/index.js';
import { encodeOutbound } from '../../shared/pipeline/envelopes.js';
import { SortKey } from '../../shared/store/index.js';
import type { NodeContext } from '../runtime/node-context.js';
import type { ConnectPeerRequest, NodeApi, NodeInfo, PeerInfo } from './node-api.js';

async function peerStates(ctx: NodeContext): Promise<PeerState[]> {
  const items = await ctx.store.query(ctx.nodeKey, SortKey.peer(''));
  const peers: PeerState[] = [];
  for (const item of items) {
    const decoded = decodePeerState(item.data);
    if (decoded.ok) peers.push(decoded.value);
    else ctx.logger.error('peer item does not decode; left out of the API', { sk: item.sk, reason: decoded.error.reason });
  }
  return peers;
}

/** The node as the HTTP API sees it, backed by `ctx`'s store and outbound queue. */
export function createStoreNodeApi(ctx: NodeContext): NodeApi {
  return {
    async nodeInfo(): Promise<NodeInfo> {
      const peers = await peerStates(ctx);
      return { nodeId: ctx.nodeKey, network: ctx.network, peers: peers.length, features: toHex(ctx.config.features) };
    },
    async listPeers(): Promise<readonly PeerInfo[]> {
      return (await peerStates(ctx)).map((peer) => ({
        nodeId: toHex(peer.nodeId),
        address: peer.address,
        inbound: peer.inbound,
        features: peer.features === undefined ? '' : toHex(peer.features),
      }));
    },
    async connectPeer(request: ConnectPeerRequest): Promise<void> {
      const body = encodeOutbound({ kind: 'connect', peer: request.nodeId, host: request.host, port: request.port });
      await ctx.outbound.send({ group: request.nodeId, dedupId: `connect#${randomUUID()}`, body });
    },
  };
}
