/**
 * In-process peers for bench/open-vs-ldk.bench.ts: real LDK 0.1 nodes (npm
 * `lightningdevkit`, WASM) and one of our nodes (ChannelManager loaded from
 * an InMemoryManagerStore for every input, as a handler would), wired to each
 * other directly: each side's BOLT 8 bytes go into one queue that `pump()`
 * delivers, without sockets or timers, so wall time is the nodes' own work.
 * A {@link CpuMeter} charges the CPU of each call into a node to that node.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import * as ldk from 'lightningdevkit';
import { Transaction } from 'bitcoinjs-lib';
import { concatBytes, sha256, toHex, type Secp256k1 } from '../shared/crypto/index.js';
import { KeysManager, deriveNodeSecret } from '../shared/keys/index.js';
import {
  ChannelManager,
  initFeaturesFor,
  managerConfigWith,
  peerConnected,
  peerMessage,
  type ChannelDetails,
  type EventRecord,
  type ManagerConfig,
  type ManagerInput,
  type ManagerPorts,
  type NodeConfig,
  type PeerState,
  encodePeerMessage,
  type PeerWireMessage,
} from '../shared/manager/index.js';
import { committedWatch } from '../shared/monitor/index.js';
import { InMemoryManagerStore } from '../shared/store/manager-items.js';
import { initiatorHandshake, type InitiatorHandshake, type NoiseTransport } from '../shared/transport/index.js';
import { REGTEST_CHAIN_HASH, counterEntropy } from '../test/support/channel-harness.js';
import { loadLdk } from '../test/support/ldk-node.js';

/**
 * CPU (user + system, ms) spent in calls charged to each account. A call
 * made inside another is charged to its own account, and that time is not
 * charged to the outer one.
 */
export class CpuMeter {
  readonly totals = new Map<string, number>();
  readonly #stack: string[] = [];
  #mark = 0;

  #now(): number {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }

  #charge(until: number): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top !== undefined) this.totals.set(top, (this.totals.get(top) ?? 0) + until - this.#mark);
    this.#mark = until;
  }

  run<T>(account: string, fn: () => T): T {
    this.#charge(this.#now());
    this.#stack.push(account);
    try {
      return fn();
    } finally {
      this.#charge(this.#now());
      this.#stack.pop();
    }
  }

  get(account: string): number {
    return this.totals.get(account) ?? 0;
  }
}

/** Bytes on their way to a node, delivered by {@link Wire.pump}. */
export class Wire {
  readonly #queue: { deliver: (bytes: Uint8Array) => void; bytes: Uint8Array }[] = [];

  constructor(readonly meter: CpuMeter) {}

  push(deliver: (bytes: Uint8Array) => void, bytes: Uint8Array): void {
    this.#queue.push({ deliver, bytes });
  }

  /** Delivers queued bytes and runs `nodes`' event processing until nothing moves. */
  pump(nodes: readonly { processEvents(): boolean }[]): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      let moved = false;
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        next.deliver(next.bytes);
        moved = true;
      }
      for (const n of nodes) if (n.processEvents()) moved = true;
      if (!moved && this.#queue.length === 0) return;
    }
    throw new Error('the wire did not settle');
  }
}

/**
 * A funding transaction paying `script` `valueSat` from a made-up segwit
 * coin: the witness is a placeholder (nobody validates it in process), so
 * both rows pay no wallet signing inside the measured open.
 */
export function benchFundingTransaction(script: Uint8Array, valueSat: bigint, salt: number): Uint8Array {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(sha256(Uint8Array.of(salt >> 8, salt & 0xff)), 0);
  tx.setWitness(0, [new Uint8Array(71).fill(1), new Uint8Array(33).fill(2)]);
  tx.addOutput(script, valueSat);
  return tx.toBuffer();
}

let descriptorIds = 0n;

/**
 * One LDK node without sockets or timers (LDK's defaults: static_remotekey,
 * 6 confirmations). It persists as an LDK node must before it may go on
 * (LDK's docs on `Persist` and `ChannelManager`): each new or updated
 * ChannelMonitor serialized (`write()`), and the ChannelManager serialized
 * whenever `get_and_clear_needs_persistence()` says so (what LDK's
 * background processor does), the bytes kept in memory, as our node's
 * commits write its items into an in-memory store.
 */
export class InProcessLdk {
  readonly nodeId: Uint8Array;
  readonly channelManager: ldk.ChannelManager;
  readonly peerManager: ldk.PeerManager;
  readonly events: ldk.Event[] = [];
  readonly broadcasts: Uint8Array[] = [];
  newMonitors = 0;
  /** The last serialized ChannelMonitor per funding outpoint, and the ChannelManager's. */
  readonly persisted = new Map<string, Uint8Array>();
  /** Bytes serialized for persistence so far (monitors and manager). */
  persistedBytes = 0;
  /** CPU (ms) spent serializing them so far (part of this node's CPU). */
  persistCpuMs = 0;
  readonly log: string[] = [];
  readonly #handler: ldk.EventHandler;
  readonly #chainMonitor: ldk.ChainMonitor;
  /** FundingGenerationReady events not answered yet. */
  readonly #fundingReady: ldk.Event_FundingGenerationReady[] = [];

  private constructor(
    seed: Uint8Array,
    readonly account: string,
    readonly wire: Wire,
  ) {
    const network = ldk.Network.LDKNetwork_Regtest;
    const logger = ldk.Logger.new_impl({
      log: (record: ldk.Record) => {
        if (this.log.length > 200) this.log.shift();
        this.log.push(`${record.get_module_path()}: ${record.get_args()}`);
      },
    });
    const feeEstimator = ldk.FeeEstimator.new_impl({ get_est_sat_per_1000_weight: () => 253 });
    const broadcaster = ldk.BroadcasterInterface.new_impl({
      broadcast_transactions: (txs: Uint8Array[]) => {
        this.broadcasts.push(...txs);
      },
    });
    const persister = ldk.Persist.new_impl({
      persist_new_channel: (outpoint: ldk.OutPoint, monitor: ldk.ChannelMonitor) => {
        this.newMonitors++;
        this.#persist(`monitor ${toHex(outpoint.get_txid())}:${outpoint.get_index()}`, () => monitor.write());
        return ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed;
      },
      update_persisted_channel: (outpoint: ldk.OutPoint, _update: ldk.ChannelMonitorUpdate | null, monitor: ldk.ChannelMonitor) => {
        this.#persist(`monitor ${toHex(outpoint.get_txid())}:${outpoint.get_index()}`, () => monitor.write());
        return ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed;
      },
      archive_persisted_channel: () => undefined,
    });
    this.#chainMonitor = ldk.ChainMonitor.constructor_new(ldk.Option_FilterZ.constructor_none(), broadcaster, logger, feeEstimator, persister);
    const keys = ldk.KeysManager.constructor_new(seed, 1n, 1);
    const graph = ldk.NetworkGraph.constructor_new(network, logger);
    const scorer = ldk.ProbabilisticScorer.constructor_new(ldk.ProbabilisticScoringDecayParameters.constructor_default(), graph, logger);
    const score = ldk.MultiThreadedLockableScore.constructor_new(scorer.as_Score());
    const router = ldk.DefaultRouter.constructor_new(graph, logger, keys.as_EntropySource(), score.as_LockableScore(), ldk.ProbabilisticScoringFeeParameters.constructor_default());
    const messageRouter = ldk.DefaultMessageRouter.constructor_new(graph, keys.as_EntropySource());
    const params = ldk.ChainParameters.constructor_new(network, ldk.BestBlock.constructor_from_network(network));
    this.channelManager = ldk.ChannelManager.constructor_new(
      feeEstimator, this.#chainMonitor.as_Watch(), broadcaster, router.as_Router(), messageRouter.as_MessageRouter(), logger,
      keys.as_EntropySource(), keys.as_NodeSigner(), keys.as_SignerProvider(), ldk.UserConfig.constructor_default(), params, 1,
    );
    const ignorer = ldk.IgnoringMessageHandler.constructor_new();
    this.peerManager = ldk.PeerManager.constructor_new(
      this.channelManager.as_ChannelMessageHandler(), ignorer.as_RoutingMessageHandler(), ignorer.as_OnionMessageHandler(),
      ignorer.as_CustomMessageHandler(), 1, keys.as_EntropySource().get_secure_random_bytes(), logger, keys.as_NodeSigner(),
    );
    this.#handler = ldk.EventHandler.new_impl({
      handle_event: (event: ldk.Event) => {
        this.events.push(event);
        if (event instanceof ldk.Event_FundingGenerationReady) this.#fundingReady.push(event);
        return ldk.Result_NoneReplayEventZ.constructor_ok();
      },
    });
    this.nodeId = this.channelManager.get_our_node_id();
  }

  #persist(key: string, write: () => Uint8Array): void {
    const start = process.cpuUsage();
    const bytes = write();
    const used = process.cpuUsage(start);
    this.persistCpuMs += (used.user + used.system) / 1000;
    this.persisted.set(key, bytes);
    this.persistedBytes += bytes.length;
  }

  /** Serializes the ChannelManager if it changed since it was last persisted. */
  #persistManager(): void {
    if (this.channelManager.get_and_clear_needs_persistence()) this.#persist('manager', () => this.channelManager.write());
  }

  static async start(seed: Uint8Array, account: string, wire: Wire): Promise<InProcessLdk> {
    await loadLdk();
    return new InProcessLdk(seed, account, wire);
  }

  /** A socket descriptor whose writes are queued for `deliver`. */
  descriptor(deliver: (bytes: Uint8Array) => void): ldk.SocketDescriptor {
    const id = ++descriptorIds;
    return ldk.SocketDescriptor.new_impl({
      send_data: (data: Uint8Array) => {
        this.wire.push(deliver, data.slice());
        return data.length;
      },
      disconnect_socket: () => undefined,
      eq: (other: ldk.SocketDescriptor) => other.hash() === id,
      hash: () => id,
    });
  }

  /** Feeds bytes read from `descriptor` to the PeerManager. */
  read(descriptor: ldk.SocketDescriptor, bytes: Uint8Array): void {
    this.wire.meter.run(this.account, () => {
      const result = this.peerManager.read_event(descriptor, bytes);
      if (!(result instanceof ldk.Result_boolPeerHandleErrorZ_OK)) throw new Error(`LDK ${this.account} dropped the connection:\n${this.log.slice(-10).join('\n')}`);
      this.peerManager.process_events();
      this.#persistManager();
    });
  }

  /** LDK's event and message processing once; answers FundingGenerationReady. True when anything happened. */
  processEvents(): boolean {
    const before = this.events.length;
    this.wire.meter.run(this.account, () => {
      this.channelManager.as_EventsProvider().process_pending_events(this.#handler);
      this.#chainMonitor.as_EventsProvider().process_pending_events(this.#handler);
    });
    for (let ready = this.#fundingReady.shift(); ready; ready = this.#fundingReady.shift()) {
      const r = ready;
      const tx = this.wire.meter.run('wallet', () => benchFundingTransaction(r.output_script, r.channel_value_satoshis, Number(r.user_channel_id)));
      this.wire.meter.run(this.account, () => {
        if (!this.channelManager.funding_transaction_generated(r.temporary_channel_id, r.counterparty_node_id, tx).is_ok()) throw new Error('LDK refused the funding transaction');
      });
    }
    this.wire.meter.run(this.account, () => {
      this.peerManager.process_events();
      this.#persistManager();
    });
    return this.events.length !== before;
  }

  /** Connects to `responder` (another in-process LDK node) and pumps until both list each other. */
  connectTo(responder: InProcessLdk): void {
    let toInitiator: ldk.SocketDescriptor | undefined = undefined;
    let toResponder: ldk.SocketDescriptor | undefined = undefined;
    toInitiator = this.descriptor((bytes) => responder.read(toResponder!, bytes));
    toResponder = responder.descriptor((bytes) => this.read(toInitiator!, bytes));
    const inbound = responder.peerManager.new_inbound_connection(toResponder, ldk.Option_SocketAddressZ.constructor_none());
    if (!(inbound instanceof ldk.Result_NonePeerHandleErrorZ_OK)) throw new Error('LDK refused the inbound connection');
    const outbound = this.peerManager.new_outbound_connection(responder.nodeId, toInitiator, ldk.Option_SocketAddressZ.constructor_none());
    if (!(outbound instanceof ldk.Result_CVec_u8ZPeerHandleErrorZ_OK)) throw new Error('LDK refused the outbound connection');
    this.wire.push((bytes) => responder.read(toResponder!, bytes), outbound.res);
    this.wire.pump([this, responder]);
    if (!this.lists(responder.nodeId) || !responder.lists(this.nodeId)) throw new Error('LDK nodes did not connect');
  }

  lists(nodeId: Uint8Array): boolean {
    return this.peerManager.list_peers().some((p) => toHex(p.get_counterparty_node_id()) === toHex(nodeId));
  }

  /** The number of channels LDK lists with a funding outpoint. */
  fundedChannels(): number {
    return this.channelManager.list_channels().filter((c) => c.get_funding_txo() !== null).length;
  }
}


interface OurPeer {
  readonly ldk: InProcessLdk;
  readonly descriptor: ldk.SocketDescriptor;
  handshake: InitiatorHandshake | null;
  transport: NoiseTransport | null;
  state: PeerState | undefined;
}

/**
 * One of our nodes as a handler runs it: every input loads the manager from
 * the store (header + the items the input needs), runs, commits; messages
 * go out through BOLT 8 (shared/transport) to in-process LDK nodes.
 */
export class InProcessOurs {
  readonly store = new InMemoryManagerStore();
  readonly ports: ManagerPorts;
  readonly events: EventRecord[] = [];
  readonly broadcasts: Uint8Array[] = [];
  readonly nodeId: Uint8Array;
  readonly config: ManagerConfig = managerConfigWith({ anchors: false, acceptInboundChannels: 'all' });
  readonly #nodeSecret: Uint8Array;
  readonly #nodeConfig: NodeConfig;
  readonly #peers = new Map<string, OurPeer>();
  #inputs = 0;
  /** CPU (ms) of each kind of input (load, run, commit, encrypt the messages it sends), by input kind or message type. */
  readonly stepCpu = new Map<string, number>();
  /** Item bytes its commits wrote so far. */
  persistedBytes = 0;

  constructor(
    label: string,
    readonly secp: Secp256k1,
    readonly account: string,
    readonly wire: Wire,
  ) {
    const seed = sha256(new TextEncoder().encode(`${label}/seed`));
    const keys = new KeysManager(secp, seed, counterEntropy(`${label}/keys`));
    this.#nodeSecret = deriveNodeSecret(secp, seed);
    this.nodeId = keys.getNodeId();
    this.#nodeConfig = { chainHash: REGTEST_CHAIN_HASH, features: initFeaturesFor(this.config) };
    this.ports = { secp, nodeSigner: keys, signerProvider: keys, entropy: counterEntropy(`${label}/entropy`), feeEstimator: { feeRatePerKw: () => 253n }, watch: committedWatch, clock: { nowSecs: () => Math.floor(Date.now() / 1000) } };
    const manager = ChannelManager.create({ ports: this.ports, chainHash: REGTEST_CHAIN_HASH, bestBlock: { height: 0, hash: new Uint8Array(32) }, config: this.config });
    this.store.commit('create', manager.takeChanges());
  }

  /** Dials `responder` (BOLT 8 initiator) and pumps until both sides exchanged `init`. */
  connectTo(responder: InProcessLdk): void {
    const hex = toHex(responder.nodeId);
    let descriptor: ldk.SocketDescriptor | undefined = undefined;
    const toUs = (bytes: Uint8Array) => this.wire.meter.run(this.account, () => this.#receive(hex, bytes));
    descriptor = responder.descriptor(toUs);
    const inbound = responder.peerManager.new_inbound_connection(descriptor, ldk.Option_SocketAddressZ.constructor_none());
    if (!(inbound instanceof ldk.Result_NonePeerHandleErrorZ_OK)) throw new Error('LDK refused the inbound connection');
    const ephemeral = sha256(concatBytes(this.#nodeSecret, responder.nodeId));
    const handshake = initiatorHandshake({ secp: this.secp, localSecret: this.#nodeSecret, ephemeralSecret: ephemeral, remoteStatic: responder.nodeId });
    this.#peers.set(hex, { ldk: responder, descriptor, handshake, transport: null, state: undefined });
    this.#write(hex, handshake.start().send);
    this.wire.pump([responder]);
    if (this.#peers.get(hex)?.state?.features === undefined || !responder.lists(this.nodeId)) throw new Error('our node and LDK did not connect');
  }

  #write(hex: string, bytes: Uint8Array): void {
    const peer = this.#peers.get(hex)!;
    this.wire.push((b) => peer.ldk.read(peer.descriptor, b), bytes);
  }

  #receive(hex: string, bytes: Uint8Array): void {
    const peer = this.#peers.get(hex)!;
    if (peer.handshake) {
      const step = peer.handshake.receive(bytes);
      if (step.error) throw new Error(`BOLT 8: ${step.error.message}`);
      if (step.send) this.#write(hex, step.send);
      if (!step.done) return;
      peer.handshake = null;
      peer.transport = step.done.transport;
      const connected = peerConnected(this.#nodeConfig, { nodeId: peer.ldk.nodeId, connectionId: 'c', inbound: false, address: '127.0.0.1:9735' });
      peer.state = connected.state ?? undefined;
      for (const e of connected.effects) if (e.kind === 'send') this.send(peer.ldk.nodeId, e.message);
      bytes = step.done.leftover;
    }
    const { messages, error } = peer.transport!.receive(bytes);
    if (error) throw new Error(`BOLT 8: ${error.message}`);
    for (const message of messages) this.#onMessage(peer, message);
  }

  #onMessage(peer: OurPeer, bytes: Uint8Array): void {
    const hadFeatures = peer.state?.features !== undefined;
    const step = peerMessage(this.#nodeConfig, peer.state, 'c', bytes);
    if (step.state === null) peer.state = undefined;
    else if (step.state !== undefined) peer.state = step.state;
    for (const effect of step.effects) {
      if (effect.kind === 'send') this.send(effect.peer, effect.message);
      else if (effect.kind === 'disconnect') throw new Error(`we disconnected LDK: ${effect.reason}`);
      else if (effect.kind === 'unsupported-message') throw new Error(effect.message);
      else this.step({ kind: 'peer-message', peer: effect.peer, message: effect.message }, (m) => m.handleChannelMessage(effect.peer, effect.message));
    }
    const features = peer.state?.features;
    if (!hadFeatures && features) this.step({ kind: 'peer-connected', peer: peer.ldk.nodeId }, (m) => m.peerConnected(peer.ldk.nodeId, features));
  }

  #connected(): Map<string, Uint8Array> {
    const connected = new Map<string, Uint8Array>();
    for (const [hex, peer] of this.#peers) if (peer.state?.features) connected.set(hex, peer.state.features);
    return connected;
  }

  /** One input: load, run `fn`, commit, then send, broadcast, record (charged to this node). */
  step<T>(input: ManagerInput, fn: (m: ChannelManager) => T): T {
    const name = input.kind === 'peer-message' ? String(input.message.type) : input.kind;
    const start = process.cpuUsage();
    try {
      return this.wire.meter.run(this.account, () => {
        const manager = this.store.load(this.ports, input, this.#connected(), this.config);
        const result = fn(manager);
        const changes = manager.takeChanges();
        this.store.commit(`input-${++this.#inputs}`, changes);
        this.persistedBytes += this.store.last.bytesWritten;
        this.events.push(...changes.events);
        this.broadcasts.push(...changes.broadcasts);
        for (const { peer, message } of changes.messages) this.send(peer, message);
        return result;
      });
    } finally {
      const used = process.cpuUsage(start);
      this.stepCpu.set(name, (this.stepCpu.get(name) ?? 0) + (used.user + used.system) / 1000);
    }
  }

  send(peerId: Uint8Array, message: PeerWireMessage): void {
    const hex = toHex(peerId);
    const peer = this.#peers.get(hex);
    if (!peer?.transport) throw new Error('not connected');
    this.#write(hex, peer.transport.encryptMessage(encodePeerMessage(message)));
  }

  /** Answers our FundingGenerationReady events (the wallet's part charged to `wallet`). True when anything happened. */
  processEvents(): boolean {
    let moved = false;
    for (const record of this.events.splice(0)) {
      const event = record.event;
      if (event.kind === 'channel-closed') throw new Error(`our channel closed: ${JSON.stringify(event, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
      if (event.kind !== 'funding-generation-ready') continue;
      const tx = this.wire.meter.run('wallet', () => benchFundingTransaction(event.outputScript, event.channelValueSatoshis, Number(event.userChannelId)));
      const result = this.step({ kind: 'funding-transaction-generated', temporaryChannelId: event.temporaryChannelId }, (m) =>
        m.fundingTransactionGenerated(event.temporaryChannelId, tx),
      );
      if (!result.ok) throw new Error(result.error.message);
      moved = true;
    }
    return moved;
  }

  channels(): ChannelDetails[] {
    return this.store.load(this.ports, { kind: 'list-channels' }, this.#connected(), this.config).listChannels();
  }
}

/** Milliseconds of wall time and process CPU of `fn`, and when it ran (`performance.now()`). */
export function timed(fn: () => void): { wallMs: number; cpuMs: number; start: number; end: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  fn();
  const end = performance.now();
  const used = process.cpuUsage(cpu);
  return { wallMs: end - start, cpuMs: (used.user + used.system) / 1000, start, end };
}

/** Garbage-collector pauses (V8's `gc` performance entries), to be charged to the time windows they fall in. */
export class GcLog {
  readonly #pauses: { start: number; duration: number }[] = [];
  readonly #observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.#pauses.push({ start: e.startTime, duration: e.duration });
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Total pause (ms) that started within [start, end]. Entries arrive asynchronously: ask after an `await`. */
  within(start: number, end: number): number {
    return this.#pauses.filter((p) => p.start >= start && p.start <= end).reduce((sum, p) => sum + p.duration, 0);
  }

  stop(): void {
    this.#observer.disconnect();
  }
}
