/**
 * Test-side driver (not product code): one of our nodes as a handler would
 * run it, over a real TCP PeerConnection (BOLT 8) to one peer. Inbound
 * bytes go through the BOLT 1 peer layer; channel messages to a
 * ChannelManager loaded from an InMemoryManagerStore (header + the items
 * the input needs) and committed back; messages out, broadcasts to a
 * callback, events recorded.
 */
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  DEFAULT_MANAGER_CONFIG,
  type ChannelManager,
  initFeaturesFor,
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
  type NodeAnnouncementSettings,
} from '../../shared/manager/index.js';
import { PeerConnection } from '../../shared/peer/peer-connection.js';
import { InMemoryManagerStore } from '../../shared/store/manager-items.js';
import { REGTEST_CHAIN_HASH, type TestNode } from './channel-harness.js';
import { createTestManager, runInput, testManagerPorts, type InputHost } from './manager-input.js';

export class ManagerDriver implements InputHost {
  readonly store = new InMemoryManagerStore();
  readonly ports: ManagerPorts;
  readonly events: EventRecord[] = [];
  readonly disconnects: string[] = [];
  readonly received: PeerWireMessage[] = [];
  peer: PeerState | undefined;
  connection: PeerConnection | null = null;
  onBroadcast: (tx: Uint8Array) => void = () => undefined;
  /** Called after each channel message from the peer was applied (a test may drop the connection there). */
  onChannelMessage: (m: PeerWireMessage) => void = () => undefined;
  /** What our `node_announcement` says, given at every load (the node's settings); unset: none is sent. */
  nodeAnnouncement: NodeAnnouncementSettings | undefined;
  #inputs = 0;
  /** Each dial is a new connection (`c1`, `c2`, …): a channel is reestablished once per connection. */
  #connections = 0;
  #connectionId = 'c0';
  readonly #nodeConfig: NodeConfig;

  /** `config` is the node's configuration (the deployment's): given at every load, our `init` features follow it. */
  constructor(
    readonly node: TestNode,
    bestBlock: { height: number; hash: Uint8Array },
    readonly config: ManagerConfig = DEFAULT_MANAGER_CONFIG,
  ) {
    this.#nodeConfig = { chainHash: REGTEST_CHAIN_HASH, features: initFeaturesFor(config) };
    this.ports = testManagerPorts(node);
    createTestManager(this.store, this.ports, bestBlock, config);
  }

  /** Dials `host:port` (the peer's node id known); our `init` goes out through the peer layer. */
  dial(host: string, port: number, remoteNodeId: Uint8Array): void {
    const connectionId = `c${++this.#connections}`;
    this.#connectionId = connectionId;
    this.connection = PeerConnection.dial(host, port, remoteNodeId, { secp: wasmSecp256k1, localSecret: this.node.nodeSecret }, {
      onReady: () => {
        const step = peerConnected(this.#nodeConfig, { nodeId: remoteNodeId, connectionId, inbound: false, address: `${host}:${port}` });
        this.peer = step.state ?? undefined;
        for (const e of step.effects) if (e.kind === 'send') this.send(e.message);
      },
      onMessage: (_c, bytes) => this.#onMessage(bytes),
    });
  }

  get peerNodeId(): Uint8Array {
    const id = this.connection?.remoteNodeId;
    if (!id) throw new Error('not connected');
    return id;
  }

  /** True once the peer's `init` arrived and the manager was told. */
  get ready(): boolean {
    return this.peer?.features !== undefined;
  }

  #onMessage(bytes: Uint8Array): void {
    const hadFeatures = this.peer?.features !== undefined;
    const step = peerMessage(this.#nodeConfig, this.peer, this.#connectionId, bytes);
    if (step.state === null) this.peer = undefined;
    else if (step.state !== undefined) this.peer = step.state;
    for (const effect of step.effects) {
      if (effect.kind === 'send') this.send(effect.message);
      else if (effect.kind === 'disconnect') this.disconnects.push(effect.reason);
      else if (effect.kind === 'unsupported-message') this.step({ kind: 'unsupported-message' }, (m) => m.reportUnsupportedMessage(effect.peer, effect.messageType, effect.message));
      else {
        this.received.push(effect.message);
        this.step({ kind: 'peer-message', peer: effect.peer, message: effect.message }, (m) => m.handleChannelMessage(effect.peer, effect.message));
        this.onChannelMessage(effect.message);
        if (this.peer === undefined) return; // the hook dropped the connection: nothing more of it is read
      }
    }
    const features = this.peer?.features;
    const connectionId = this.peer?.connectionId;
    if (!hadFeatures && features) this.step({ kind: 'peer-connected', peer: this.peerNodeId }, (m) => m.peerConnected(this.peerNodeId, features, connectionId));
  }

  /** One input: load, run `fn`, commit, then send, broadcast, record, and apply its follow-ups. */
  step<T>(input: ManagerInput, fn: (m: ChannelManager) => T): T {
    return runInput(this, input, fn);
  }

  /** The peer's `init` features and connection, once it is connected (InputHost). */
  connected(): { features: Map<string, Uint8Array>; connections: Map<string, string> } {
    const features = new Map<string, Uint8Array>();
    const connections = new Map<string, string>();
    if (this.peer?.features) {
      features.set(toHex(this.peer.nodeId), this.peer.features);
      connections.set(toHex(this.peer.nodeId), this.peer.connectionId);
    }
    return { features, connections };
  }

  sendTo(_peer: Uint8Array, m: PeerWireMessage): void {
    this.send(m);
  }

  nextInputId(): string {
    return `input-${++this.#inputs}`;
  }

  /** Every channel (an HTTP read). */
  channels(): ChannelDetails[] {
    return this.store.load(this.ports, { kind: 'list-channels' }, this.connected().features, this.config).listChannels();
  }

  send(m: PeerWireMessage): void {
    this.connection?.send(encodePeerMessage(m));
  }

  close(): void {
    this.connection?.close();
  }

  /** The connection ends (as the gateway reports it): closed, the peer layer forgets the peer, the manager gets `peerDisconnected`. */
  disconnect(): void {
    const peer = this.peerNodeId;
    this.connection?.close();
    this.peer = undefined;
    this.step({ kind: 'peer-disconnected', peer }, (m) => m.peerDisconnected(peer));
  }
}
