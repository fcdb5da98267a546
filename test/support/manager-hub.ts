/**
 * Test-side driver (not product code): one of our nodes with several peers,
 * each over its own TCP PeerConnection (BOLT 8), as the gateway and the
 * handlers run it: inbound bytes through the BOLT 1 peer layer, channel
 * messages to a ChannelManager loaded from an InMemoryManagerStore (with
 * every connected peer's `init`), committed back; messages out to the
 * connection of the peer they name; follow-ups applied at once. Like
 * manager-driver.ts, for a node in the middle (docs/forwarding.md).
 */
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  CHANNEL_MESSAGE_TYPES,
  initFeaturesFor,
  type ChannelManager,
  peerConnected,
  peerMessage,
  type ChannelDetails,
  type EventRecord,
  type ManagerConfig,
  type ManagerEvent,
  type ManagerInput,
  type ManagerPorts,
  type NodeConfig,
  type PeerState,
  encodePeerMessage,
  type PeerWireMessage,
} from '../../shared/manager/index.js';
import { PeerConnection } from '../../shared/peer/peer-connection.js';
import { InMemoryManagerStore } from '../../shared/store/manager-items.js';
import { REGTEST_CHAIN_HASH, type TestNode } from './channel-harness.js';
import { createTestManager, runInput, testManagerPorts, type InputHost } from './manager-input.js';

interface Link {
  state: PeerState | undefined;
  readonly connection: PeerConnection;
  readonly connectionId: string;
}

/**
 * Where a channel message is when the test hears of it: a peer's as it
 * arrives, before our node applies it (`arriving`), and once applied
 * (`applied`); ours just before it leaves (`leaving`).
 */
export type MessageMoment = 'arriving' | 'applied' | 'leaving';

export class ManagerHub implements InputHost {
  /** Our stored items (read back into a new store by {@link restart}). */
  store = new InMemoryManagerStore();
  ports: ManagerPorts;
  readonly events: EventRecord[] = [];
  /** Messages from peers to the manager, and ours to peers, oldest first (what the test reads of the wire). */
  readonly received: { peer: Uint8Array; message: PeerWireMessage }[] = [];
  readonly sent: { peer: Uint8Array; message: PeerWireMessage }[] = [];
  /** The manager's log lines (`level: message`), oldest first. */
  readonly logs: string[] = [];
  onBroadcast: (tx: Uint8Array) => void = () => undefined;
  /**
   * Called for each channel message from a peer as it arrives and once it
   * was applied, and for each of ours before it leaves: a test may drop a
   * connection or restart the node there. A message whose connection is
   * gone once this returns (`arriving`, `leaving`) is lost with it.
   */
  onChannelMessage: (peer: Uint8Array, message: PeerWireMessage, moment: MessageMoment) => void = () => undefined;
  readonly #links = new Map<string, Link>();
  readonly #nodeConfig: NodeConfig;
  #inputs = 0;
  #connections = 0;

  constructor(
    readonly node: TestNode,
    bestBlock: { height: number; hash: Uint8Array },
    /** Given at every load: a new forwarding policy here is in force from the next input on (as a redeployed setting). */
    public config: ManagerConfig,
  ) {
    this.#nodeConfig = { chainHash: REGTEST_CHAIN_HASH, features: initFeaturesFor(config) };
    this.ports = this.#portsOf(node);
    createTestManager(this.store, this.ports, bestBlock, config);
  }

  /** Dials a peer (its node id known); our `init` goes out through the peer layer. */
  dial(host: string, port: number, remoteNodeId: Uint8Array): void {
    const hex = toHex(remoteNodeId);
    const connectionId = `c${++this.#connections}`;
    const connection = PeerConnection.dial(host, port, remoteNodeId, { secp: wasmSecp256k1, localSecret: this.node.nodeSecret }, {
      onReady: () => {
        const step = peerConnected(this.#nodeConfig, { nodeId: remoteNodeId, connectionId, inbound: false, address: `${host}:${port}` });
        this.#links.get(hex)!.state = step.state ?? undefined;
        for (const e of step.effects) if (e.kind === 'send') this.#sendTo(hex, e.message);
      },
      onMessage: (_c, bytes) => this.#onMessage(hex, remoteNodeId, bytes),
    });
    this.#links.set(hex, { state: undefined, connection, connectionId });
  }

  /** The connection to the peer ends (as the gateway reports it): closed, the peer layer forgets it, the manager gets `peerDisconnected`; `dial` again to reconnect. */
  disconnect(remoteNodeId: Uint8Array): void {
    const link = this.#links.get(toHex(remoteNodeId));
    if (link === undefined) throw new Error('no such peer');
    this.#links.delete(toHex(remoteNodeId));
    link.connection.close();
    this.step({ kind: 'peer-disconnected', peer: remoteNodeId }, (m) => m.peerDisconnected(remoteNodeId));
  }

  /**
   * The node restarts (a crash): every connection ends without the manager
   * hearing of it, and the stored items are read back into new objects
   * (a new store, new ports): nothing in memory survives. The peers' links
   * are gone; `dial` them again.
   */
  restart(): void {
    const links = [...this.#links.values()];
    this.#links.clear();
    for (const link of links) link.connection.close();
    this.store = this.store.clone();
    this.ports = this.#portsOf(this.node);
  }

  #portsOf(node: TestNode): ManagerPorts {
    return { ...testManagerPorts(node), logger: { log: (level, message) => this.logs.push(`${level}: ${message}`) } };
  }

  /** True once the peer's `init` arrived. */
  isReady(remoteNodeId: Uint8Array): boolean {
    return this.#links.get(toHex(remoteNodeId))?.state?.features !== undefined;
  }

  #onMessage(hex: string, remoteNodeId: Uint8Array, bytes: Uint8Array): void {
    const link = this.#links.get(hex)!;
    const hadFeatures = link.state?.features !== undefined;
    const step = peerMessage(this.#nodeConfig, link.state, link.connectionId, bytes);
    if (step.state === null) link.state = undefined;
    else if (step.state !== undefined) link.state = step.state;
    for (const effect of step.effects) {
      // The rest of the chunk is lost when the test dropped this connection (or restarted) on an earlier message of it.
      if (this.#links.get(hex) !== link) return;
      if (effect.kind === 'send') this.#sendTo(hex, effect.message);
      else if (effect.kind === 'channel-message') {
        this.onChannelMessage(effect.peer, effect.message, 'arriving');
        if (this.#links.get(hex) !== link) return;
        this.#received(effect.peer, effect.message, () => this.step({ kind: 'peer-message', peer: effect.peer, message: effect.message }, (m) => m.handleChannelMessage(effect.peer, effect.message)));
        this.onChannelMessage(effect.peer, effect.message, 'applied');
      }
    }
    if (this.#links.get(hex) !== link) return;
    const features = link.state?.features;
    if (!hadFeatures && features) this.step({ kind: 'peer-connected', peer: remoteNodeId }, (m) => m.peerConnected(remoteNodeId, features, link.connectionId));
  }

  /** The connected peers' `init` features and connections (InputHost). */
  connected(): { features: Map<string, Uint8Array>; connections: Map<string, string> } {
    const features = new Map<string, Uint8Array>();
    const connections = new Map<string, string>();
    for (const [hex, link] of this.#links) {
      if (link.state?.features === undefined) continue;
      features.set(hex, link.state.features);
      connections.set(hex, link.connectionId);
    }
    return { features, connections };
  }

  /** One input: load, run `fn`, commit, then send, broadcast, record, and apply its follow-ups. */
  step<T>(input: ManagerInput, fn: (m: ChannelManager) => T): T {
    return runInput(this, input, fn);
  }

  sendTo(peer: Uint8Array, m: PeerWireMessage): void {
    this.#sendTo(toHex(peer), m);
  }

  nextInputId(): string {
    return `input-${++this.#inputs}`;
  }

  /** Our events of `kind`, oldest first. */
  eventsOf<K extends ManagerEvent['kind']>(kind: K): Extract<ManagerEvent, { kind: K }>[] {
    return this.events.map((e) => e.event).filter((e): e is Extract<ManagerEvent, { kind: K }> => e.kind === kind);
  }

  /** Every channel (an HTTP read). */
  channels(): ChannelDetails[] {
    return this.store.load(this.ports, { kind: 'list-channels' }, this.connected().features, this.config).listChannels();
  }

  #received(peer: Uint8Array, message: PeerWireMessage, handle: () => void): void {
    this.received.push({ peer, message });
    handle();
  }

  #sendTo(hex: string, m: PeerWireMessage): void {
    const peer = fromHex(hex);
    this.sent.push({ peer, message: m });
    if (CHANNEL_MESSAGE_TYPES.has(m.type)) this.onChannelMessage(peer, m, 'leaving');
    this.#links.get(hex)?.connection.send(encodePeerMessage(m));
  }

  close(): void {
    for (const link of this.#links.values()) link.connection.close();
  }
}
