/**
 * The gossip function's context, the same on AWS and in the embedded
 * deployment: the graph store on the node table (its own partitions), our
 * chain, the outbound queue for answers, the funding look-up over Esplora.
 * No seed, no node partition, no lease.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EsploraClient } from '../../shared/chain/index.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { hexToBytes } from '../../shared/codec/index.js';
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import { GraphStore } from '../../shared/store/graph-items.js';
import { CHAIN_HASH, DEFAULT_ESPLORA_URL, type Network } from '../runtime/node-context.js';
import { esploraFundingOutput } from './funding-lookup.js';
import type { GossipHandlerContext } from './handler.js';

export interface GossipContextOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly network: Network;
  readonly outbound: FifoQueue;
  /** The chain source for funding outputs (the node's Esplora). */
  readonly esploraUrl?: string;
  readonly snapshotEvery?: number;
  readonly logger?: GossipHandlerContext['logger'];
}

export function createGossipContext(options: GossipContextOptions): GossipHandlerContext {
  const chainHash = hexToBytes(CHAIN_HASH[options.network]);
  return {
    graph: new GraphStore({ client: options.client, tableName: options.tableName, chainHash }),
    secp: wasmSecp256k1,
    chainHash,
    outbound: options.outbound,
    // The function's clock, at the edge.
    nowSec: () => Math.floor(Date.now() / 1000),
    fundingOutput: esploraFundingOutput(new EsploraClient(options.esploraUrl ?? DEFAULT_ESPLORA_URL)),
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}
