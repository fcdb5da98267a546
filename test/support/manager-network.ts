/**
 * An in-memory network of our own nodes (test support): each node is a
 * ChannelManager over an InMemoryManagerStore, rebuilt from the encoded
 * items at every step (header + the channel items the input needs, as a
 * handler would), with the BOLT 1 peer layer in front of it. Messages go
 * through the wire codec; blocks come from a made-up chain.
 */
import { Transaction } from 'bitcoinjs-lib';
import { concatBytes, sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { KeysManager, deriveNodeSecret } from '../../shared/keys/index.js';
import {
  ChannelManager,
  DEFAULT_MANAGER_CONFIG,
  decodeFollowUp,
  type FollowUp,
  type FollowUpWork,
  peerConnected as peerLayerConnected,
  peerMessage as peerLayerMessage,
  soleChannelMessage,
  type EventRecord,
  type ManagerConfig,
  type ManagerInput,
  type ManagerPorts,
  type NodeConfig,
  type PeerState,
  encodePeerMessage,
  type PeerWireMessage,
  type NodeAnnouncementSettings,
} from '../../shared/manager/index.js';
import { committedWatch, type Watch } from '../../shared/monitor/index.js';
import { InMemoryManagerStore, type StepCost } from '../../shared/store/manager-items.js';
import { OUR_INIT_FEATURES } from '../../shared/wire/index.js';
import { REGTEST_CHAIN_HASH, counterEntropy } from './channel-harness.js';

export interface ManagerNode {
  readonly label: string;
  readonly nodeId: Uint8Array;
  readonly nodeSecret: Uint8Array;
  /** Our `init` features. */
  readonly features: Uint8Array;
  store: InMemoryManagerStore;
  ports: ManagerPorts;
  /** The BOLT 1 state of each connected peer, by node id hex. */
  readonly peers: Map<string, PeerState>;
  readonly events: EventRecord[];
  readonly broadcasts: Uint8Array[];
  /** Messages this node received (decoded by its peer layer). */
  readonly received: PeerWireMessage[];
  readonly disconnects: string[];
  /** Messages this node handed over for a peer it was not connected to (a gateway with no connection drops them; one with a newer connection would not). */
  readonly sentUnconnected: PeerWireMessage[];
  readonly costs: StepCost[];
  /** The follow-ups of each step that made some (what its outbox item carried to the inbound queue). */
  readonly followUpBatches: (readonly FollowUp[])[];
  inputs: number;
  /** The deployment's configuration, given at every load (wins over the header's); unset: the header's stays. */
  config?: ManagerConfig;
  /** What the node's `node_announcement` says, given at every load; unset: none is sent. */
  nodeAnnouncement?: NodeAnnouncementSettings;
}

export interface NodeOptions {
  readonly config?: Partial<ManagerConfig['channel']['handshake']>;
  readonly policy?: ManagerConfig['acceptInboundChannels'];
  readonly watch?: Watch;
  readonly features?: Uint8Array;
}

interface Block {
  readonly header: Uint8Array;
  readonly hash: Uint8Array;
  readonly txs: readonly Uint8Array[];
}

/** A made-up 80-byte header on `prev` committing to `txs`. */
function makeHeader(prev: Uint8Array, height: number, txs: readonly Uint8Array[], salt: number): Uint8Array {
  const header = new Uint8Array(80);
  header[0] = 2;
  header.set(prev, 4);
  header.set(sha256(concatBytes(...txs, Uint8Array.of(height >> 8, height & 0xff, salt))), 36);
  return header;
}

export class ManagerNetwork {
  readonly nodes: ManagerNode[] = [];
  readonly queue: { from: ManagerNode; to: ManagerNode; bytes: Uint8Array }[] = [];
  readonly blocks: Block[] = [];
  /** Follow-up inputs applied so far (docs/follow-ups.md), by kind. */
  readonly followUps: Record<FollowUpWork['kind'], number> = { chain: 0, reestablish: 0, 'peer-error': 0, 'received-htlcs': 0, 'claim-htlcs': 0, 'fail-htlcs': 0, 'payment-result': 0, 'retry-payment': 0, 'htlc-expiry': 0, 'update-fee': 0, 'funding-spent': 0, 'funds-swept': 0, 'htlc-resolved-on-chain': 0, 'fail-back': 0 };
  /** When set, follow-ups wait in `pendingFollowUps` until `runFollowUps()` (as if the inbound queue were slow). */
  deferFollowUps = false;
  readonly pendingFollowUps: (() => void)[] = [];
  /** When set, `run()` delivers a node's queued messages in a row as bursts ({@link deliverBurst}). */
  burstDelivery = false;
  /** How many channel messages each burst ran on one load, in delivery order. */
  readonly bursts: number[] = [];
  #generation = 0;
  #connections = 0;

  constructor(readonly startHeight = 100) {
    let prev: Uint8Array = new Uint8Array(32);
    for (let h = 0; h <= startHeight; h++) {
      const header = makeHeader(prev, h, [], 0);
      prev = sha256(sha256(header));
      this.blocks.push({ header, hash: prev, txs: [] });
    }
  }

  get height(): number {
    return this.blocks.length - 1;
  }

  #nodeConfig(node: ManagerNode): NodeConfig {
    return { chainHash: REGTEST_CHAIN_HASH, features: node.features };
  }

  portsFor(label: string, watch: Watch = committedWatch): ManagerPorts {
    const seed = sha256(new TextEncoder().encode(`${label}/seed`));
    const generation = this.#generation++;
    const keys = new KeysManager(wasmSecp256k1, seed, counterEntropy(`${label}/keys/${generation}`));
    return {
      secp: wasmSecp256k1,
      nodeSigner: keys,
      signerProvider: keys,
      entropy: counterEntropy(`${label}/entropy/${generation}`),
      feeEstimator: { feeRatePerKw: () => 253n },
      watch,
      clock: { nowSecs: () => Math.floor(Date.now() / 1000) },
    };
  }

  addNode(label: string, options: NodeOptions = {}): ManagerNode {
    const ports = this.portsFor(label, options.watch);
    const seed = sha256(new TextEncoder().encode(`${label}/seed`));
    const config: ManagerConfig = {
      channel: { ...DEFAULT_MANAGER_CONFIG.channel, handshake: { ...DEFAULT_MANAGER_CONFIG.channel.handshake, ...options.config } },
      acceptInboundChannels: options.policy ?? 'all',
    };
    const tip = this.blocks[this.height]!;
    const manager = ChannelManager.create({ ports, chainHash: REGTEST_CHAIN_HASH, bestBlock: { height: this.height, hash: tip.hash }, config });
    const store = new InMemoryManagerStore();
    store.commit('create', manager.takeChanges());
    const node: ManagerNode = {
      label,
      nodeId: ports.nodeSigner.getNodeId(),
      nodeSecret: deriveNodeSecret(wasmSecp256k1, seed),
      store,
      ports,
      peers: new Map(),
      events: [],
      broadcasts: [],
      received: [],
      disconnects: [],
      sentUnconnected: [],
      costs: [],
      followUpBatches: [],
      inputs: 0,
      features: options.features ?? OUR_INIT_FEATURES,
    };
    this.nodes.push(node);
    return node;
  }

  /** A restart: the node's items are read back into new objects (new ports, fresh entropy); nothing in memory survives. */
  restart(node: ManagerNode, watch: Watch = committedWatch): void {
    node.store = node.store.clone();
    node.ports = this.portsFor(node.label, watch);
  }

  #connectedPeers(node: ManagerNode): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [hex, state] of node.peers) if (state.features) out.set(hex, state.features);
    return out;
  }

  #connectionsOf(node: ManagerNode): Map<string, string> {
    const out = new Map<string, string>();
    for (const [hex, state] of node.peers) if (state.features) out.set(hex, state.connectionId);
    return out;
  }

  /**
   * One input to `node`: load (header + what `input` needs), run `fn`,
   * commit, then queue the messages and record events and broadcasts.
   * Returns `fn`'s result and whether the commit was a duplicate.
   */
  step<T>(node: ManagerNode, input: ManagerInput, fn: (m: ChannelManager) => T, inputId = `${node.label}-${++node.inputs}`): T {
    const manager = this.#load(node, input);
    const result = fn(manager);
    this.#commit(node, manager, inputId);
    return result;
  }

  #load(node: ManagerNode, input: ManagerInput): ChannelManager {
    return node.store.load(node.ports, input, this.#connectedPeers(node), node.config, this.#connectionsOf(node), node.nodeAnnouncement);
  }

  /** Commits what `manager` changed under `inputId`, then queues its messages, records its events and broadcasts and applies its follow-ups. */
  #commit(node: ManagerNode, manager: ChannelManager, inputId: string): void {
    const changes = manager.takeChanges();
    if (node.store.commit(inputId, changes) === 'duplicate') return;
    node.costs.push({ ...node.store.last });
    node.events.push(...changes.events);
    node.broadcasts.push(...changes.broadcasts);
    for (const { peer, message } of changes.messages) this.#send(node, peer, message);
    // Follow-up inputs (docs/follow-ups.md): each applied as an input of its own, at once (the inbound queue was empty).
    if (changes.followUps.length > 0) node.followUpBatches.push(changes.followUps);
    changes.followUps.forEach((f, index) => {
      const work = decodeFollowUp(f.work);
      if (!work.ok) throw work.error;
      const apply = () => {
        this.followUps[work.value.kind]++;
        this.step(node, { kind: 'follow-up', peer: f.peer, work: work.value }, (m) => m.applyFollowUp(f.peer, work.value, f.connectionId), `${inputId}#f${index}`);
      };
      if (this.deferFollowUps) this.pendingFollowUps.push(apply);
      else apply();
    });
  }

  /** Applies the deferred follow-ups, oldest first. */
  runFollowUps(): void {
    while (this.pendingFollowUps.length > 0) this.pendingFollowUps.shift()!();
  }

  /** Runs `fn` on a manager loaded with every channel (an HTTP read; nothing is committed). */
  read<T>(node: ManagerNode, fn: (m: ChannelManager) => T): T {
    return fn(node.store.load(node.ports, { kind: 'list-channels' }, this.#connectedPeers(node), node.config));
  }

  node(nodeId: Uint8Array): ManagerNode {
    const found = this.nodes.find((n) => toHex(n.nodeId) === toHex(nodeId));
    if (!found) throw new Error('unknown node');
    return found;
  }

  #send(from: ManagerNode, peer: Uint8Array, message: PeerWireMessage): void {
    const to = this.node(peer);
    if (!from.peers.has(toHex(peer))) {
      from.sentUnconnected.push(message); // not connected: the gateway drops it
      return;
    }
    this.queue.push({ from, to, bytes: encodePeerMessage(message) });
  }

  /**
   * BOLT 8 done: both peer layers send `init`; once both have it, both
   * managers get `peerConnected`; what they send then is delivered unless
   * `deliver` is false (it stays in `queue`).
   */
  connect(a: ManagerNode, b: ManagerNode, deliver = true): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const step = peerLayerConnected(this.#nodeConfig(x), { nodeId: y.nodeId, connectionId: `c${++this.#connections}`, inbound: x === b, address: '127.0.0.1:9735' });
      x.peers.set(toHex(y.nodeId), step.state!);
      for (const e of step.effects) if (e.kind === 'send') this.queue.push({ from: x, to: y, bytes: encodePeerMessage(e.message) });
    }
    this.run();
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const features = x.peers.get(toHex(y.nodeId))?.features;
      if (!features) throw new Error('init not exchanged');
      const connectionId = x.peers.get(toHex(y.nodeId))!.connectionId;
      this.step(x, { kind: 'peer-connected', peer: y.nodeId }, (m) => m.peerConnected(y.nodeId, features, connectionId));
    }
    if (deliver) this.run();
  }

  /** The connection drops: queued messages between them are lost; both managers get `peerDisconnected`. */
  disconnect(a: ManagerNode, b: ManagerNode): void {
    const between = (q: { from: ManagerNode; to: ManagerNode }) => (q.from === a && q.to === b) || (q.from === b && q.to === a);
    for (let i = this.queue.length - 1; i >= 0; i--) if (between(this.queue[i]!)) this.queue.splice(i, 1);
    for (const [x, y] of [[a, b], [b, a]] as const) {
      x.peers.delete(toHex(y.nodeId));
      this.step(x, { kind: 'peer-disconnected', peer: y.nodeId }, (m) => m.peerDisconnected(y.nodeId));
    }
  }

  /** Delivers the next queued message through the receiver's peer layer (and its ChannelManager). */
  deliverOne(): boolean {
    const next = this.queue.shift();
    if (!next) return false;
    this.#deliver(next);
    return true;
  }

  /**
   * Delivers the queued messages from one node to another that lead the
   * queue, in a row, as the gateway hands a peer's messages in a row to one
   * invocation: the channel messages among them that can run on one load
   * (`InMemoryManagerStore.extend`, docs/manager.md "Bursts") as one input,
   * committed once; the others each on its own.
   */
  deliverBurst(): boolean {
    const head = this.queue[0];
    if (!head) return false;
    let n = 1;
    while (n < this.queue.length && this.queue[n]!.from === head.from && this.queue[n]!.to === head.to) n++;
    const row = this.queue.splice(0, n);
    const { from, to } = head;
    let burst: { manager: ChannelManager; inputs: number } | undefined;
    const end = () => {
      if (burst === undefined) return;
      this.#commit(to, burst.manager, `${to.label}-${++to.inputs}`);
      this.bursts.push(burst.inputs);
      burst = undefined;
    };
    for (const next of row) {
      const state = to.peers.get(toHex(from.nodeId));
      const message = soleChannelMessage(peerLayerMessage(this.#nodeConfig(to), state, state?.connectionId ?? 'none', next.bytes));
      if (message === undefined) {
        end();
        this.#deliver(next);
        continue;
      }
      to.received.push(message);
      const input: ManagerInput = { kind: 'peer-message', peer: from.nodeId, message };
      if (burst === undefined || !to.store.extend(burst.manager, input)) {
        end();
        burst = { manager: this.#load(to, input), inputs: 0 };
      }
      burst.manager.handleChannelMessage(from.nodeId, message);
      burst.inputs++;
    }
    end();
    return true;
  }

  #deliver(next: { from: ManagerNode; to: ManagerNode; bytes: Uint8Array }): void {
    const { from, to, bytes } = next;
    const peerHex = toHex(from.nodeId);
    const state = to.peers.get(peerHex);
    const step = peerLayerMessage(this.#nodeConfig(to), state, state?.connectionId ?? 'none', bytes);
    if (step.state === null) to.peers.delete(peerHex);
    else if (step.state !== undefined) to.peers.set(peerHex, step.state);
    for (const effect of step.effects) {
      if (effect.kind === 'send') this.queue.push({ from: to, to: from, bytes: encodePeerMessage(effect.message) });
      else if (effect.kind === 'disconnect') to.disconnects.push(effect.reason);
      else if (effect.kind === 'unsupported-message') this.step(to, { kind: 'unsupported-message' }, (m) => m.reportUnsupportedMessage(from.nodeId, effect.messageType, effect.message));
      else {
        to.received.push(effect.message);
        this.step(to, { kind: 'peer-message', peer: from.nodeId, message: effect.message }, (m) => m.handleChannelMessage(from.nodeId, effect.message));
      }
    }
  }

  /** Delivers until nothing is queued (with {@link burstDelivery}, a node's messages in a row at a time). */
  run(limit = 100_000): void {
    for (let i = 0; i < limit && (this.burstDelivery ? this.deliverBurst() : this.deliverOne()); i++);
    if (this.queue.length > 0) throw new Error('messages still queued');
  }

  /** Feeds the block at `height` to every node (Confirm: its transactions, then the new tip). */
  #feed(height: number): void {
    const block = this.blocks[height]!;
    const txdata = block.txs.map((tx, i) => ({ position: i + 1, txid: Transaction.fromBuffer(tx).getHash(), tx }));
    for (const node of this.nodes) {
      this.step(node, { kind: 'chain' }, (m) => {
        if (txdata.length > 0) m.transactionsConfirmed(block.header, txdata, height);
        m.bestBlockUpdated(block.header, height);
      });
    }
  }

  /** Mines one block holding `txs` (then `count - 1` empty ones), fed to every node, and delivers what follows. */
  mine(txs: readonly Uint8Array[] = [], count = 1, salt = 0): void {
    for (let i = 0; i < count; i++) {
      const height = this.blocks.length;
      const content = i === 0 ? txs : [];
      const header = makeHeader(this.blocks[height - 1]!.hash, height, content, salt);
      this.blocks.push({ header, hash: sha256(sha256(header)), txs: content });
      this.#feed(height);
      this.run();
    }
  }

  /** Removes the last `depth` blocks (Confirm: their transactions unconfirmed, then the new tip). */
  reorg(depth: number): void {
    const removed = this.blocks.splice(this.blocks.length - depth, depth);
    const tip = this.blocks[this.height]!;
    for (const node of this.nodes) {
      this.step(node, { kind: 'chain' }, (m) => {
        for (const block of removed.reverse()) for (const tx of block.txs) m.transactionUnconfirmed(Transaction.fromBuffer(tx).getHash());
        m.bestBlockUpdated(tip.header, this.height);
      });
    }
    this.run();
  }
}
