/**
 * What every handler of one node shares, built once per process (a Lambda
 * container, or the embedded deployment): the node's identity and chain, its
 * store, its outbound queue, a logger. Adapters are injected so the same
 * handlers run on AWS and locally.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { deriveNodeSecret, deriveWalletSeed } from '../../shared/keys/index.js';
import {
  DEFAULT_NODE_CHANNEL_SETTINGS,
  initFeaturesFor,
  managerConfigWith,
  type ManagerConfig,
  type ManagerPorts,
  type GossipSyncSettings,
  type NodeAnnouncementSettings,
  type NodeChannelSettings,
  type NodeConfig,
} from '../../shared/manager/index.js';
import { managerPortsFromSeed } from './manager-step.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ProbabilisticScorer } from '../../shared/routing/index.js';
import { GraphStore } from '../../shared/store/graph-items.js';
import { GraphSnapshotCache } from '../../shared/store/graph-snapshot-cache.js';
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import type { NodeStore } from '../../shared/store/index.js';
import { Bip84Account } from '../../shared/wallet/index.js';
import type { WebhookSettings } from '../webhooks/webhook-settings.js';

/** The embedded regtest chain's Esplora URL (`npm start`, CHAIN_PORT 3002), the chain source when none is configured. */
export const DEFAULT_ESPLORA_URL = 'http://127.0.0.1:3002';

/** BOLT 0 chain hashes (the genesis block hash, as it appears on the wire). */
export const CHAIN_HASH = {
  regtest: '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f',
  testnet: '43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000',
  signet: 'f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000',
  bitcoin: '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000',
} as const;
export type Network = keyof typeof CHAIN_HASH;

/** How long an input waits for a held lease by default (ms): well inside API Gateway's 30 s, long enough for a queue of quick inputs. */
export const DEFAULT_LEASE_WAIT_MS = 3_000;

export interface NodeContext {
  /** Our node id, hex: also the node's partition in the store. */
  readonly nodeKey: string;
  readonly nodeId: Uint8Array;
  readonly network: Network;
  readonly config: NodeConfig;
  readonly store: NodeStore;
  readonly outbound: FifoQueue;
  readonly logger: Logger;
  /** How long a lease is held before another invocation may take it over. */
  readonly leaseTtlMs: number;
  /**
   * How long an input waits for the lease while another holds it (ms), with
   * jittered backoff (functions/runtime/invocation.ts); then an API request
   * answers 503 `busy` and a scheduled input is left to its next run.
   */
  readonly leaseWaitMs: number;
  /** The on-chain wallet's BIP 84 account (keys from the wallet seed, docs/keys.md). */
  readonly wallet: Bip84Account;
  /** The chain source (Esplora REST). */
  readonly esplora: EsploraClient;
  /** Where transactions to broadcast go; absent in processes that never broadcast. */
  readonly broadcast: FifoQueue | undefined;
  /** The inbound queue, where a commit's follow-up inputs go (docs/follow-ups.md); absent in processes that never make any. */
  readonly inbound: FifoQueue | undefined;
  /** The ChannelManager's ports (keys from the node seed, docs/channels-pipeline.md). */
  readonly managerPorts: ManagerPorts;
  /** The node's settings (anchors, inbound policy) as the ChannelManager's configuration, given at every load (docs/manager.md). */
  readonly managerConfig: ManagerConfig;
  /** What our `node_announcement` says (`NODE_ALIAS`, `NODE_COLOR`, `NODE_ADDRESSES`), given at every load; absent: none is sent (docs/gossip.md). */
  readonly nodeAnnouncement?: NodeAnnouncementSettings;
  /** Loopback receivers allowed, and how new deliveries reach the delivery function (docs/webhooks.md); absent: neither. */
  readonly webhooks?: WebhookSettings;
  /** The public graph payments are routed over (docs/gossip.md): absent, the empty graph. */
  readonly routing?: NodeRouting;
  /**
   * Set when the node keeps a graph (`routing`): our `init` signals
   * `gossip_queries` and the manager asks such peers for their gossip
   * (shared/manager/gossip-sync.ts; docs/gossip.md, "Asking peers for gossip").
   */
  readonly gossipSync?: GossipSyncSettings;
}

/** The gossip function's graph snapshot, cached by this container, the scorer payment results teach, and the graph store the timer keeps fresh. */
export interface NodeRouting {
  readonly graphs: GraphSnapshotCache;
  /** The graph's partitions: the timer rebuilds the snapshot and prunes (functions/gossip/graph-upkeep.ts). */
  readonly store: GraphStore;
  readonly scorer: ProbabilisticScorer;
}

/** {@link NodeRouting} over the node table's graph partitions for `network`: one per container (the cache and the scorer live in memory). */
export function nodeRouting(client: DynamoDBClient, tableName: string, network: Network): NodeRouting {
  const chainHash = Uint8Array.from(Buffer.from(CHAIN_HASH[network], 'hex'));
  const store = new GraphStore({ client, tableName, chainHash });
  return { graphs: new GraphSnapshotCache(store), store, scorer: new ProbabilisticScorer() };
}

export function isNetwork(value: string): value is Network {
  return Object.hasOwn(CHAIN_HASH, value);
}

/** The node identity derived from its seed (docs/keys.md); the seed itself stays with the caller. */
export function nodeIdFromSeed(seed: Uint8Array): Uint8Array {
  return wasmSecp256k1.publicKeyFromSecret(deriveNodeSecret(wasmSecp256k1, seed));
}

export function createNodeContext(options: {
  readonly seed: Uint8Array;
  readonly network: Network;
  readonly store: NodeStore;
  readonly outbound: FifoQueue;
  readonly logger?: Logger;
  readonly leaseTtlMs?: number;
  readonly leaseWaitMs?: number;
  /** Esplora base URL; defaults to {@link DEFAULT_ESPLORA_URL}. */
  readonly esploraUrl?: string;
  readonly broadcast?: FifoQueue;
  /** The inbound queue, for follow-up inputs. */
  readonly inbound?: FifoQueue;
  /** Anchors and the inbound policy (`ANCHOR_CHANNELS`, `INBOUND_CHANNELS`); LDK's defaults when absent. */
  readonly channelSettings?: NodeChannelSettings;
  /** Our `node_announcement`'s alias, colour and addresses. */
  readonly nodeAnnouncement?: NodeAnnouncementSettings;
  /** Webhook delivery settings (docs/webhooks.md). */
  readonly webhooks?: WebhookSettings;
  readonly routing?: NodeRouting;
}): NodeContext {
  const nodeId = nodeIdFromSeed(options.seed);
  const logger = options.logger ?? new Logger({ serviceName: 'stormcell' });
  logger.appendKeys?.({ node: toHex(nodeId) });
  const chainHash = Uint8Array.from(Buffer.from(CHAIN_HASH[options.network], 'hex'));
  const managerConfig = managerConfigWith(options.channelSettings ?? DEFAULT_NODE_CHANNEL_SETTINGS);
  return {
    nodeKey: toHex(nodeId),
    nodeId,
    network: options.network,
    config: { chainHash, features: initFeaturesFor(managerConfig, { gossipQueries: options.routing !== undefined }) },
    store: options.store,
    outbound: options.outbound,
    logger,
    leaseTtlMs: options.leaseTtlMs ?? 15_000,
    leaseWaitMs: options.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS,
    wallet: Bip84Account.fromSeed(wasmSecp256k1, deriveWalletSeed(options.seed), options.network),
    esplora: new EsploraClient(options.esploraUrl ?? DEFAULT_ESPLORA_URL),
    broadcast: options.broadcast,
    inbound: options.inbound,
    managerPorts: managerPortsFromSeed(options.seed),
    managerConfig,
    ...(options.nodeAnnouncement === undefined ? {} : { nodeAnnouncement: options.nodeAnnouncement }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
    ...(options.routing === undefined ? {} : { routing: options.routing, gossipSync: {} }),
  };
}
