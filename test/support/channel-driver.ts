/**
 * Test-side driver (not product code): runs our channel machine over a real
 * TCP PeerConnection (BOLT 8) with one peer. Answers `init` and `ping`,
 * routes BOLT 2 messages to the channel by temporary or real channel id,
 * and performs the effects: messages out, broadcasts to a callback, events
 * and monitors recorded.
 */
import { wasmSecp256k1, toHex } from '../../shared/crypto/index.js';
import {
  handleChannelMessage,
  handleOpenChannel,
  currentChannelId,
  type Channel,
  type ChannelEffect,
  type ChannelEvent,
  type ChannelStep,
  type InitialMonitor,
} from '../../shared/channel/index.js';
import { PeerConnection } from '../../shared/peer/peer-connection.js';
import { OUR_INIT_FEATURES, decodeMessage, encodeMessage, pongFor, type WireMessage } from '../../shared/wire/index.js';
import { REGTEST_CHAIN_HASH, type TestNode } from './channel-harness.js';

export class ChannelDriver {
  readonly channels = new Map<string, Channel>();
  readonly events: ChannelEvent[] = [];
  readonly monitors: InitialMonitor[] = [];
  readonly received: WireMessage[] = [];
  readonly failures: string[] = [];
  theirFeatures: Uint8Array | null = null;
  connection: PeerConnection | null = null;
  onBroadcast: (tx: Uint8Array) => void = () => undefined;

  constructor(
    readonly node: TestNode,
    private readonly bestHeight: () => number,
  ) {}

  /** Dials `host:port` (the peer's node id known) and exchanges `init`. */
  dial(host: string, port: number, remoteNodeId: Uint8Array): void {
    this.connection = PeerConnection.dial(host, port, remoteNodeId, { secp: wasmSecp256k1, localSecret: this.node.nodeSecret }, this.events_());
  }

  private events_() {
    return {
      onReady: (c: PeerConnection) => {
        c.send(encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [REGTEST_CHAIN_HASH] }));
      },
      onMessage: (_c: PeerConnection, bytes: Uint8Array) => this.onMessage(bytes),
    };
  }

  get peerNodeId(): Uint8Array {
    const id = this.connection?.remoteNodeId;
    if (!id) throw new Error('not connected');
    return id;
  }

  private onMessage(bytes: Uint8Array): void {
    const decoded = decodeMessage(bytes);
    if (decoded.kind !== 'message') return;
    const m = decoded.message;
    this.received.push(m);
    switch (m.type) {
      case 16:
        this.theirFeatures = m.features;
        return;
      case 18: {
        const pong = pongFor(m);
        if (pong) this.send(pong);
        return;
      }
      case 32: {
        const result = handleOpenChannel(this.node.ctx, { counterpartyNodeId: this.peerNodeId, theirInitFeatures: this.theirFeatures ?? new Uint8Array(0), bestHeight: this.bestHeight() }, m);
        if (result.ok) this.channels.set(toHex(result.channel.temporaryChannelId), result.channel);
        else this.failures.push(result.failure.reason);
        this.perform(result.effects);
        return;
      }
      case 33:
      case 34:
      case 35:
      case 36:
      case 38:
      case 39:
      case 17: {
        const id = toHex(m.type === 33 || m.type === 34 ? m.temporaryChannelId : m.channelId);
        const channel = this.channels.get(id);
        if (channel === undefined) return;
        this.apply(id, handleChannelMessage(this.node.ctx, channel, m));
        return;
      }
    }
  }

  /** Stores a step's channel under its current id and performs its effects. */
  apply(previousId: string, step: ChannelStep): void {
    this.channels.delete(previousId);
    this.channels.set(toHex(currentChannelId(step.channel)), step.channel);
    if (step.failure) this.failures.push(step.failure.reason);
    this.perform(step.effects);
  }

  /** Adds a new channel (from `createChannel`) and performs its effects. */
  add(step: ChannelStep): void {
    this.apply(toHex(currentChannelId(step.channel)), step);
  }

  private perform(effects: readonly ChannelEffect[]): void {
    for (const e of effects) {
      if (e.kind === 'persist-monitor') this.monitors.push(e.monitor);
      else if (e.kind === 'send-message') this.send(e.message);
      else if (e.kind === 'broadcast') this.onBroadcast(e.tx);
      else if (e.kind === 'event') this.events.push(e.event);
    }
  }

  send(m: WireMessage): void {
    this.connection?.send(encodeMessage(m));
  }

  /** The only channel. */
  get channel(): Channel {
    const all = [...this.channels.values()];
    if (all.length !== 1) throw new Error(`${all.length} channels`);
    return all[0]!;
  }

  /** Updates every channel with `f`. */
  update(f: (c: Channel) => ChannelStep): void {
    for (const [id, c] of [...this.channels]) this.apply(id, f(c));
  }

  close(): void {
    this.connection?.close();
  }
}
