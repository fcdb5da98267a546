/**
 * A real LDK node (npm `lightningdevkit`, LDK 0.1 in WASM) with its own BOLT 8
 * PeerManager on real TCP sockets: the counterparty of our interop tests.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect, type Server, type Socket } from 'node:net';
import * as ldk from 'lightningdevkit';

let wasmReady: Promise<void> | undefined;

/** Loads LDK's WASM once per process. */
export function loadLdk(): Promise<void> {
  if (!wasmReady) {
    const require = createRequire(import.meta.url);
    const wasm = readFileSync(require.resolve('lightningdevkit/liblightningjs.wasm'));
    wasmReady = ldk.initializeWasmFromBinary(wasm);
  }
  return wasmReady;
}

export interface LdkPeer {
  readonly nodeId: Uint8Array;
  readonly features: Uint8Array;
}

/** Channel settings of a test LDK node (everything else is LDK's default). */
export interface LdkNodeOptions {
  /** `ChannelHandshakeConfig::minimum_depth` (LDK default 6). */
  readonly minimumDepth?: number;
  /** `negotiate_anchors_zero_fee_htlc_tx`; LDK then needs manual acceptance of inbound channels (done by the node). */
  readonly anchors?: boolean;
  /**
   * Loses LDK's `funding_signed` on the wire: once LDK persists a new channel
   * monitor (as fundee it took our `funding_created`), nothing more it writes
   * on the connections open then reaches the peer (a network that went dark).
   * New connections are not affected. Counts in `heldMonitors`.
   */
  readonly loseFundingSigned?: boolean;
  /** `accept_forwards_to_priv_channels` (off by default): forwards to a private channel's peer (a route hint through this node). */
  readonly acceptForwardsToPrivateChannels?: boolean;
  /** `announce_for_forwarding` (off by default): opens and accepts announced (public) channels only. */
  readonly announceChannels?: boolean;
  /** Gossip through a `P2PGossipSync` over the node's `NetworkGraph` (by default the PeerManager ignores routing messages). */
  readonly gossip?: boolean;
  /**
   * Serializes what a deployed LDK node writes, as ldk-node does (the bytes
   * are counted in `persisted`, not kept): each `ChannelMonitorUpdate` (a
   * new or whole monitor when there is no update: LDK's
   * `MonitorUpdatingPersister`), and the `ChannelManager` whenever
   * `get_and_clear_needs_persistence()` says so (its background processor).
   * Off by default: the node then persists nothing.
   */
  readonly persist?: boolean;
}

export interface LdkNode {
  readonly nodeId: Uint8Array;
  readonly channelManager: ldk.ChannelManager;
  readonly chainMonitor: ldk.ChainMonitor;
  /** The node's network graph (filled by its peers' gossip with {@link LdkNodeOptions.gossip}). */
  readonly graph: ldk.NetworkGraph;
  readonly peerManager: ldk.PeerManager;
  /** Events from the ChannelManager and the ChainMonitor, oldest first (inbound channel requests are accepted as they come). */
  readonly events: ldk.Event[];
  /** Transactions LDK handed its BroadcasterInterface. */
  readonly broadcasts: Uint8Array[];
  /** New channel monitors after which the connections went dark ({@link LdkNodeOptions.loseFundingSigned}): `funding_created` arrived, `funding_signed` never leaves. */
  readonly heldMonitors: number;
  /** What {@link LdkNodeOptions.persist} serialized: writes and bytes, monitors (and their updates) and the ChannelManager apart. */
  readonly persisted: { monitorWrites: number; monitorBytes: number; managerWrites: number; managerBytes: number };
  /** Closes every TCP connection of the node, as a peer dropping off the network would. */
  dropConnections(): void;
  /** TCP connections of the node that have closed so far (either side). */
  readonly closedConnections: number;
  /** Called for each transaction LDK broadcasts. */
  onBroadcast: ((tx: Uint8Array) => void) | undefined;
  /**
   * Checked before LDK reads each incoming chunk. Once it holds, every
   * connection open then goes dark both ways, from that chunk on: nothing
   * more is read or written on them (a network that failed at that moment;
   * the sockets stay open, so neither side sees a disconnection). New
   * connections are not affected. Cleared once it fired.
   */
  goDarkBefore: (() => boolean) | undefined;
  /** `transactions_confirmed` on both the ChannelManager and the ChainMonitor (`txs`: position in block, serialized tx). */
  transactionsConfirmed(header: Uint8Array, txs: readonly (readonly [number, Uint8Array])[], height: number): void;
  /** `best_block_updated` on both the ChannelManager and the ChainMonitor. */
  bestBlockUpdated(header: Uint8Array, height: number): void;
  /** Runs LDK's message and event processing once. */
  processEvents(): void;
  /** Starts or stops the 5 ms pump of {@link processEvents} (on from the start; a bench keeps a node it does not measure quiet). */
  setPumping(on: boolean): void;
  /**
   * What LDK's FeeEstimator answers for every confirmation target, sat per
   * 1000 weight (253 unless set). Raised, then `channelManager.timer_tick_occurred()`:
   * LDK, as funder, sends `update_fee` on its channels.
   */
  feeratePerKw: number;
  /** LDK's log lines (module: message), newest last. */
  readonly log: string[];
  /** Listens on 127.0.0.1 (port 0 = any free port); resolves to the port. */
  listen(port?: number): Promise<number>;
  /** Dials a node over TCP and starts the BOLT 8 handshake as initiator. */
  connect(remoteNodeId: Uint8Array, host: string, port: number): Promise<void>;
  /** Peers that completed the handshake and `init`. */
  peers(): LdkPeer[];
  /** LDK's peer timer: sends pings, disconnects peers that did not answer the last one. */
  timerTick(): void;
  /** Resolves when `predicate` holds, polling LDK's event processing meanwhile. */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let descriptorIds = 0n;

/** Starts an LDK ChannelManager + PeerManager on regtest. */
export async function startLdkNode(seed: Uint8Array, options: LdkNodeOptions = {}): Promise<LdkNode> {
  await loadLdk();
  const network = ldk.Network.LDKNetwork_Regtest;
  const log: string[] = [];
  const logger = ldk.Logger.new_impl({
    log(record: ldk.Record) {
      log.push(`${record.get_module_path()}: ${record.get_args()}`);
    },
  });
  const fees = { feeratePerKw: 253 };
  const feeEstimator = ldk.FeeEstimator.new_impl({ get_est_sat_per_1000_weight: () => fees.feeratePerKw });
  const broadcasts: Uint8Array[] = [];
  const node: { onBroadcast: ((tx: Uint8Array) => void) | undefined; goDarkBefore: (() => boolean) | undefined } = { onBroadcast: undefined, goDarkBefore: undefined };
  const broadcaster = ldk.BroadcasterInterface.new_impl({
    broadcast_transactions(txs: Uint8Array[]) {
      for (const tx of txs) {
        broadcasts.push(tx);
        node.onBroadcast?.(tx);
      }
    },
  });
  let heldMonitors = 0;
  const sockets = new Set<Socket>();
  const dark = new Set<Socket>();
  const deaf = new Set<Socket>();
  let closedConnections = 0;
  const persisted = { monitorWrites: 0, monitorBytes: 0, managerWrites: 0, managerBytes: 0 };
  const persistMonitor = (bytes: () => Uint8Array) => {
    if (options.persist !== true) return;
    persisted.monitorWrites++;
    persisted.monitorBytes += bytes().length;
  };
  const persister = ldk.Persist.new_impl({
    persist_new_channel: (_outpoint, monitor) => {
      persistMonitor(() => monitor.write());
      if (options.loseFundingSigned === true) {
        heldMonitors++;
        for (const socket of sockets) dark.add(socket);
      }
      return ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed;
    },
    update_persisted_channel: (_outpoint, update, monitor) => {
      persistMonitor(() => (update === null ? monitor.write() : update.write()));
      return ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed;
    },
    archive_persisted_channel: () => undefined,
  });
  const chainMonitor = ldk.ChainMonitor.constructor_new(ldk.Option_FilterZ.constructor_none(), broadcaster, logger, feeEstimator, persister);
  const keys = ldk.KeysManager.constructor_new(seed, 1n, 1);
  const graph = ldk.NetworkGraph.constructor_new(network, logger);
  const scorer = ldk.ProbabilisticScorer.constructor_new(ldk.ProbabilisticScoringDecayParameters.constructor_default(), graph, logger);
  const score = ldk.MultiThreadedLockableScore.constructor_new(scorer.as_Score());
  const router = ldk.DefaultRouter.constructor_new(graph, logger, keys.as_EntropySource(), score.as_LockableScore(), ldk.ProbabilisticScoringFeeParameters.constructor_default());
  const messageRouter = ldk.DefaultMessageRouter.constructor_new(graph, keys.as_EntropySource());
  const params = ldk.ChainParameters.constructor_new(network, ldk.BestBlock.constructor_from_network(network));
  const config = ldk.UserConfig.constructor_default();
  const handshake = config.get_channel_handshake_config();
  if (options.minimumDepth !== undefined) handshake.set_minimum_depth(options.minimumDepth);
  if (options.anchors === true) {
    handshake.set_negotiate_anchors_zero_fee_htlc_tx(true);
    config.set_manually_accept_inbound_channels(true);
  }
  if (options.announceChannels === true) handshake.set_announce_for_forwarding(true);
  config.set_channel_handshake_config(handshake);
  if (options.acceptForwardsToPrivateChannels === true) config.set_accept_forwards_to_priv_channels(true);
  const channelManager = ldk.ChannelManager.constructor_new(
    feeEstimator, chainMonitor.as_Watch(), broadcaster, router.as_Router(), messageRouter.as_MessageRouter(), logger,
    keys.as_EntropySource(), keys.as_NodeSigner(), keys.as_SignerProvider(), config, params, 1,
  );
  const ignorer = ldk.IgnoringMessageHandler.constructor_new();
  const routing = options.gossip === true ? ldk.P2PGossipSync.constructor_new(graph, ldk.Option_UtxoLookupZ.constructor_none(), logger).as_RoutingMessageHandler() : ignorer.as_RoutingMessageHandler();
  const peerManager = ldk.PeerManager.constructor_new(
    channelManager.as_ChannelMessageHandler(), routing, ignorer.as_OnionMessageHandler(),
    ignorer.as_CustomMessageHandler(), 1, keys.as_EntropySource().get_secure_random_bytes(), logger, keys.as_NodeSigner(),
  );

  const servers: Server[] = [];

  function attach(socket: Socket): ldk.SocketDescriptor {
    const id = ++descriptorIds;
    sockets.add(socket);
    // LDK's PeerManager hands each message to send_data on its own (a
    // commitment_signed right after its update_add_htlc or revoke_and_ack):
    // with Nagle's algorithm the second write waits for the peer's delayed
    // ACK of the first (40 ms on Linux). Our PeerConnection disables Nagle;
    // so does every node's socket here, alike.
    socket.setNoDelay(true);
    const descriptor = ldk.SocketDescriptor.new_impl({
      send_data(data: Uint8Array) {
        if (!socket.destroyed && !dark.has(socket)) socket.write(data);
        return data.length;
      },
      disconnect_socket() {
        socket.destroy();
      },
      eq: (other: ldk.SocketDescriptor) => other.hash() === id,
      hash: () => id,
    });
    let closedByLdk = false;
    socket.on('data', (chunk: Uint8Array) => {
      if (deaf.has(socket)) return;
      if (node.goDarkBefore?.() === true) {
        node.goDarkBefore = undefined;
        for (const open of sockets) {
          dark.add(open);
          deaf.add(open);
        }
        return;
      }
      const result = peerManager.read_event(descriptor, new Uint8Array(chunk));
      if (!(result instanceof ldk.Result_boolPeerHandleErrorZ_OK)) {
        closedByLdk = true;
        socket.destroy();
      }
      peerManager.process_events();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedConnections++;
      sockets.delete(socket);
      dark.delete(socket);
      deaf.delete(socket);
      if (!closedByLdk) peerManager.socket_disconnected(descriptor);
    });
    return descriptor;
  }

  const events: ldk.Event[] = [];
  let acceptedChannels = 0n;
  const eventHandler = ldk.EventHandler.new_impl({
    handle_event(event: ldk.Event) {
      events.push(event);
      if (event instanceof ldk.Event_OpenChannelRequest) {
        channelManager.accept_inbound_channel(event.temporary_channel_id, event.counterparty_node_id, ++acceptedChannels);
      }
      return ldk.Result_NoneReplayEventZ.constructor_ok();
    },
  });
  function processEvents(): void {
    // As LDK's background processor: received HTLCs become claimable, forwards go out.
    channelManager.process_pending_htlc_forwards();
    channelManager.as_EventsProvider().process_pending_events(eventHandler);
    chainMonitor.as_EventsProvider().process_pending_events(eventHandler);
    peerManager.process_events();
    if (options.persist === true && channelManager.get_and_clear_needs_persistence()) {
      persisted.managerWrites++;
      persisted.managerBytes += channelManager.write().length;
    }
  }

  let pump: NodeJS.Timeout | undefined = setInterval(processEvents, 5);

  return {
    nodeId: channelManager.get_our_node_id(),
    persisted,
    channelManager,
    graph,
    peerManager,
    chainMonitor,
    events,
    broadcasts,
    get heldMonitors() {
      return heldMonitors;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    get closedConnections() {
      return closedConnections;
    },
    get onBroadcast() {
      return node.onBroadcast;
    },
    set onBroadcast(f) {
      node.onBroadcast = f;
    },
    get goDarkBefore() {
      return node.goDarkBefore;
    },
    set goDarkBefore(f) {
      node.goDarkBefore = f;
    },
    transactionsConfirmed(header, txs, height) {
      for (const confirm of [channelManager.as_Confirm(), chainMonitor.as_Confirm()]) {
        confirm.transactions_confirmed(header, txs.map(([i, tx]) => ldk.TwoTuple_usizeTransactionZ.constructor_new(i, tx)), height);
      }
      processEvents();
    },
    bestBlockUpdated(header, height) {
      for (const confirm of [channelManager.as_Confirm(), chainMonitor.as_Confirm()]) confirm.best_block_updated(header, height);
      processEvents();
    },
    processEvents,
    setPumping(on: boolean) {
      if (on && pump === undefined) pump = setInterval(processEvents, 5);
      if (!on && pump !== undefined) {
        clearInterval(pump);
        pump = undefined;
      }
    },
    get feeratePerKw() {
      return fees.feeratePerKw;
    },
    set feeratePerKw(value) {
      fees.feeratePerKw = value;
    },
    log,
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        const server = createServer((socket) => {
          const descriptor = attach(socket);
          const result = peerManager.new_inbound_connection(descriptor, ldk.Option_SocketAddressZ.constructor_none());
          if (!(result instanceof ldk.Result_NonePeerHandleErrorZ_OK)) socket.destroy();
        });
        servers.push(server);
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    connect(remoteNodeId, host, port) {
      return new Promise((resolve, reject) => {
        const socket = connect(port, host, () => {
          const descriptor = attach(socket);
          const result = peerManager.new_outbound_connection(remoteNodeId, descriptor, ldk.Option_SocketAddressZ.constructor_none());
          if (result instanceof ldk.Result_CVec_u8ZPeerHandleErrorZ_OK) {
            socket.write(result.res);
            resolve();
          } else {
            socket.destroy();
            reject(new Error('LDK refused to start the outbound connection'));
          }
        });
        socket.once('error', reject);
      });
    },
    peers() {
      return peerManager.list_peers().map((p) => ({
        nodeId: p.get_counterparty_node_id(),
        features: p.get_init_features().write(),
      }));
    },
    timerTick() {
      peerManager.timer_tick_occurred();
      peerManager.process_events();
    },
    async waitFor(predicate, what, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (!predicate()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        peerManager.process_events();
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      clearInterval(pump);
      peerManager.disconnect_all_peers();
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
