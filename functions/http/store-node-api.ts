/**
 * The HTTP API's view of the node, read from the store and acting through
 * the outbound queue: no lease needed for reads (they are consistent) or
 * dialling (a command for the gateway, not a state change). The wallet's
 * address and payment operations take the lease (functions/wallet).
 */
import { randomUUID } from 'node:crypto';
import { toHex } from '../../shared/crypto/bytes.js';
import { decodePeerState, type PeerState } from '../../shared/manager/index.js';
import { encodeOutbound } from '../../shared/pipeline/envelopes.js';
import { SortKey } from '../../shared/store/index.js';
import { WalletError, WalletErrorCode } from '../../shared/wallet/index.js';
import type { NodeContext } from '../runtime/node-context.js';
import { newReceiveAddress, sendToAddress, walletBalanceOf } from '../wallet/wallet-service.js';
import { HttpError, HttpErrorCode } from './errors.js';
import type { NodeApi, PeerInfo } from './node-api.js';

/** Wallet refusals the client can act on, as API errors; anything else stays internal. */
function asHttpError(error: unknown): unknown {
  if (!(error instanceof WalletError)) return error;
  if (error.code === WalletErrorCode.InsufficientFunds) return new HttpError(HttpErrorCode.insufficientFunds, error.message);
  if (error.code === WalletErrorCode.InvalidAddress) return new HttpError(HttpErrorCode.invalidRequest, `address: ${error.message}`);
  if (error.code === WalletErrorCode.InvalidAmount) return new HttpError(HttpErrorCode.invalidRequest, `sats: ${error.message}`);
  return error;
}

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
    async wallet() {
      return walletBalanceOf(ctx);
    },
    async newAddress() {
      return { address: (await newReceiveAddress(ctx)).address };
    },
    async send(request) {
      try {
        const sent = await sendToAddress(ctx, {
          address: request.address,
          amountSat: request.sats,
          ...(request.feerateSatPerVb === undefined ? {} : { feerateSatPerVb: request.feerateSatPerVb }),
        });
        return { txid: sent.txid, feeSat: sent.feeSat };
      } catch (error) {
        throw asHttpError(error);
      }
    },
  };
}
