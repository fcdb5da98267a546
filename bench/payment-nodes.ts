/**
 * Nodes for bench/payments.bench.ts: one of our nodes and an LDK 0.1 node
 * (test/support/ldk-node.ts) behind the same small interface, each on real
 * TCP sockets on 127.0.0.1, so one driver opens a channel between any two and
 * pays across it. Our node runs as a handler would (every input loaded from
 * an InMemoryManagerStore, committed, follow-ups applied as inputs of their
 * own; the dance's messages of one socket read as bursts, docs/manager.md
 * "Bursts"; a claimable payment claimed in the input that made it so, as
 * functions/invoices/claim-step.ts does) and keeps the DynamoDB-equivalent
 * cost of its commits and its secp256k1 calls.
 */
import { createServer, type Server } from 'node:net';
import * as ldk from 'lightningdevkit';
import { sha256, toHex, wasmSecp256k1, type Secp256k1 } from '../shared/crypto/index.js';
import { KeysManager, deriveNodeSecret } from '../shared/keys/index.js';
import {
  ChannelManager,
  decodeFollowUp,
  initFeaturesFor,
  managerConfigWith,
  peerConnected,
  peerMessage,
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
import { PeerConnection } from '../shared/peer/peer-connection.js';
import { InMemoryManagerStore, managerItemWrites } from '../shared/store/manager-items.js';
import { monitorsToRead } from '../shared/store/monitor-items.js';
import type { ChannelMonitor } from '../shared/monitor/index.js';
import { REGTEST_CHAIN_HASH, counterEntropy } from '../test/support/channel-harness.js';
import { startLdkNode, type LdkNode } from '../test/support/ldk-node.js';
import { concatBlock } from '../test/support/manager-ldk.js';
import { countingSecp } from './counting-secp.js';
import { mergeChanges } from '../functions/runtime/manager-step.js';

/** What a payer needs to pay (an invoice's fields). */
export interface PaymentRequest {
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  readonly amountMsat: bigint;
  readonly payeeNodeId: Uint8Array;
  readonly minFinalCltvExpiryDelta: number;
}

/** A funding transaction paying `script` `valueSat` (from the regtest faucet). */
export type Fund = (script: Uint8Array, valueSat: bigint) => Uint8Array;

/** One node of either implementation, as the bench drives it. */
export interface PayNode {
  readonly name: string;
  readonly nodeId: Uint8Array;
  /** Transactions the node broadcast. */
  readonly broadcasts: Uint8Array[];
  /** Payment hashes (hex) the node paid (PaymentSent) and claimed (PaymentClaimed). */
  readonly sent: Set<string>;
  readonly claimed: Set<string>;
  /** Listens on 127.0.0.1; resolves to the port. */
  listen(): Promise<number>;
  dial(remoteNodeId: Uint8Array, port: number): Promise<void>;
  /** True once the peer's `init` was handled. */
  connectedTo(remoteNodeId: Uint8Array): boolean;
  openChannel(remoteNodeId: Uint8Array, fundingSat: bigint, pushMsat: bigint, fund: Fund): void;
  usableChannels(): number;
  /** A block of the chain (header, transactions serialized, raw block). */
  blockConnected(header: Uint8Array, txs: readonly Uint8Array[], raw: Uint8Array, height: number): void;
  request(amountMsat: bigint): PaymentRequest;
  pay(request: PaymentRequest, paymentId: Uint8Array): void;
  /** Handles new events: claims what is claimable, answers funding readiness, records sent and claimed; throws on a failure. */
  poll(): void;
  stop(): Promise<void>;
}

/** Totals our node keeps: the DynamoDB-equivalent writes of its commits and its inputs. */
export interface StoreTotals {
  inputs: number;
  /** Commits: one per input, one per burst of messages (docs/manager.md, "Bursts"). */
  commits: number;
  itemsWritten: number;
  bytesWritten: number;
}

/** A manager loaded for an input, and the inputs run on it since (one commit). */
interface Burst {
  readonly manager: ChannelManager;
  readonly inputs: ManagerInput[];
}

/** One of our nodes over TCP (one peer at a time, dialled or accepted). */
export class OurTcpNode implements PayNode {
  readonly store = new InMemoryManagerStore();
  readonly ports: ManagerPorts;
  readonly nodeId: Uint8Array;
  readonly broadcasts: Uint8Array[] = [];
  readonly sent = new Set<string>();
  readonly claimed = new Set<string>();
  readonly events: EventRecord[] = [];
  readonly totals: StoreTotals = { inputs: 0, commits: 0, itemsWritten: 0, bytesWritten: 0 };
  /** secp256k1 calls of this node's inputs, by method (not BOLT 8's handshake). */
  readonly secpCounts: Map<string, number>;
  readonly config: ManagerConfig;
  /**
   * When set, each commit's puts are also sorted by item kind (the sort key
   * up to its first `#`) into `bytesByKind`: the store's own write plan
   * computed again, so leave it off while timing.
   */
  classifyWrites = false;
  readonly bytesByKind = new Map<string, { items: number; bytes: number }>();
  /** Called with each Lightning message's type as it arrives (`in`) or is written to the socket (`out`): the payment timeline (bench/payment-timeline.ts). */
  onWire: ((direction: 'in' | 'out', type: number) => void) | undefined;
  /** Called as each input starts and as it ends (after its messages were written; its follow-ups are inputs of their own). */
  onInput: ((input: ManagerInput, end: boolean) => void) | undefined;
  readonly #nodeSecret: Uint8Array;
  readonly #nodeConfig: NodeConfig;
  #connection: PeerConnection | null = null;
  #peer: PeerState | undefined;
  #connectionId = 'c0';
  #connections = 0;
  #server: Server | null = null;
  #seenEvents = 0;
  #fund: Fund | null = null;
  #inputs = 0;
  /** The messages of the socket's last read, not applied yet. */
  #arrived: Uint8Array[] = [];

  constructor(
    readonly name: string,
    bestBlock: { height: number; hash: Uint8Array },
    depth: number,
  ) {
    const counted = countingSecp(wasmSecp256k1);
    this.secpCounts = counted.counts;
    const secp: Secp256k1 = counted.backend;
    const seed = sha256(new TextEncoder().encode(`${name}/seed`));
    const keys = new KeysManager(secp, seed, counterEntropy(`${name}/keys`));
    this.#nodeSecret = deriveNodeSecret(wasmSecp256k1, seed);
    this.nodeId = keys.getNodeId();
    const config = managerConfigWith({ anchors: false, acceptInboundChannels: 'all' });
    this.config = { ...config, channel: { ...config.channel, handshake: { ...config.channel.handshake, minimumDepth: depth } } };
    this.#nodeConfig = { chainHash: REGTEST_CHAIN_HASH, features: initFeaturesFor(this.config) };
    this.ports = {
      secp,
      nodeSigner: keys,
      signerProvider: keys,
      entropy: counterEntropy(`${name}/entropy`),
      feeEstimator: { feeRatePerKw: () => 253n },
      watch: committedWatch,
      clock: { nowSecs: () => Math.floor(Date.now() / 1000) },
    };
    const manager = ChannelManager.create({ ports: this.ports, chainHash: REGTEST_CHAIN_HASH, bestBlock, config: this.config });
    this.store.commit('create', manager.takeChanges());
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        this.#connectionId = `c${++this.#connections}`;
        this.#connection = PeerConnection.accept(socket, { secp: wasmSecp256k1, localSecret: this.#nodeSecret }, this.#events(false));
      });
      this.#server = server;
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  dial(remoteNodeId: Uint8Array, port: number): Promise<void> {
    this.#connectionId = `c${++this.#connections}`;
    this.#connection = PeerConnection.dial('127.0.0.1', port, remoteNodeId, { secp: wasmSecp256k1, localSecret: this.#nodeSecret }, this.#events(true));
    return Promise.resolve();
  }

  #events(outbound: boolean) {
    return {
      onReady: (c: PeerConnection) => {
        const step = peerConnected(this.#nodeConfig, { nodeId: c.remoteNodeId!, connectionId: this.#connectionId, inbound: !outbound, address: c.remoteAddress });
        this.#peer = step.state ?? undefined;
        for (const e of step.effects) if (e.kind === 'send') this.#send(e.message);
      },
      onMessage: (_c: PeerConnection, bytes: Uint8Array) => this.#onMessage(bytes),
    };
  }

  connectedTo(remoteNodeId: Uint8Array): boolean {
    return this.#peer?.features !== undefined && toHex(this.#peer.nodeId) === toHex(remoteNodeId);
  }

  /**
   * Messages arrive as the socket's bytes do: those of one read are applied
   * once it was read (a microtask later), as one burst where they can be,
   * as the gateway hands a peer's messages in a row to one invocation
   * (functions/gateway/inbound-lanes.ts).
   */
  #onMessage(bytes: Uint8Array): void {
    this.#arrived.push(bytes);
    if (this.#arrived.length === 1) queueMicrotask(() => this.#applyArrived());
  }

  /**
   * The messages of one read, in order: the channel messages in a row run
   * on one load of the manager and one commit (docs/manager.md, "Bursts";
   * what `LeaseSession.applyGroup` commits for a messages envelope), the
   * others as inputs of their own.
   */
  #applyArrived(): void {
    const arrived = this.#arrived;
    this.#arrived = [];
    let burst: Burst | undefined;
    const endBurst = () => {
      if (burst !== undefined) this.#finish(burst);
      burst = undefined;
    };
    for (const bytes of arrived) {
      this.onWire?.('in', (bytes[0]! << 8) | bytes[1]!);
      const hadFeatures = this.#peer?.features !== undefined;
      const step = peerMessage(this.#nodeConfig, this.#peer, this.#connectionId, bytes);
      if (step.state === null) this.#peer = undefined;
      else if (step.state !== undefined) this.#peer = step.state;
      for (const effect of step.effects) {
        if (effect.kind === 'channel-message') {
          const input: ManagerInput = { kind: 'peer-message', peer: effect.peer, message: effect.message };
          this.onInput?.(input, false);
          if (burst === undefined || !this.store.extend(burst.manager, input)) {
            endBurst();
            burst = this.#begin(input);
          } else burst.inputs.push(input);
          burst.manager.handleChannelMessage(effect.peer, effect.message);
          continue;
        }
        endBurst();
        if (effect.kind === 'send') this.#send(effect.message);
        else if (effect.kind === 'disconnect') throw new Error(`${this.name} disconnected: ${effect.reason}`);
        else if (effect.kind === 'unsupported-message') this.step({ kind: 'unsupported-message' }, (m) => m.reportUnsupportedMessage(effect.peer, effect.messageType, effect.message));
      }
      const peer = this.#peer;
      if (!hadFeatures && peer?.features) {
        endBurst();
        const features = peer.features;
        this.step({ kind: 'peer-connected', peer: peer.nodeId }, (m) => m.peerConnected(peer.nodeId, features, peer.connectionId));
      }
    }
    endBurst();
  }

  /** One input: load, run `fn`, commit (its writes added to {@link totals}), then send, broadcast, record, follow-ups. */
  step<T>(input: ManagerInput, fn: (m: ChannelManager) => T): T {
    this.onInput?.(input, false);
    const burst = this.#begin(input);
    const result = fn(burst.manager);
    this.#finish(burst);
    return result;
  }

  /** The manager loaded for `input`, the first of a burst. */
  #begin(input: ManagerInput): Burst {
    const connected = new Map<string, Uint8Array>();
    const connections = new Map<string, string>();
    if (this.#peer?.features) {
      connected.set(toHex(this.#peer.nodeId), this.#peer.features);
      connections.set(toHex(this.#peer.nodeId), this.#peer.connectionId);
    }
    return { manager: this.store.load(this.ports, input, connected, this.config, connections), inputs: [input] };
  }

  /** Commits what the burst's inputs changed as one commit, then sends, broadcasts, records and runs the follow-ups (inputs of their own). */
  #finish({ manager, inputs }: Burst): void {
    let changes = manager.takeChanges();
    // As the deployed node does (functions/invoices/claim-step.ts): a payment made claimable is claimed on the same
    // manager, so the claim, PaymentClaimed and the fulfill of a part on a channel this input holds are one commit.
    const claimable = changes.events.flatMap((r) => (r.event.kind === 'payment-claimable' ? [r.event] : []));
    for (const event of claimable) {
      if (event.paymentPreimage === undefined) throw new Error(`${this.name}: a claimable payment without its preimage`);
      const claimed = manager.claimFunds(event.paymentPreimage);
      if (!claimed.ok) throw new Error(`${this.name} claim: ${claimed.error.message}`);
    }
    if (claimable.length > 0) changes = mergeChanges(changes, manager.takeChanges());
    const classified = this.classifyWrites ? this.#classify(changes) : 0;
    this.store.commit(`input-${++this.#inputs}`, changes);
    if (this.classifyWrites && classified !== this.store.last.bytesWritten) throw new Error(`${this.name}: classified ${classified} bytes, the store wrote ${this.store.last.bytesWritten}`);
    this.totals.inputs += inputs.length;
    this.totals.commits++;
    this.totals.itemsWritten += this.store.last.itemsWritten;
    this.totals.bytesWritten += this.store.last.bytesWritten;
    this.events.push(...changes.events);
    // A commit's messages leave in one socket write, as the gateway writes a `send-many` (functions/gateway/gateway.ts).
    this.#sendAll(changes.messages.map((m) => m.message));
    this.broadcasts.push(...changes.broadcasts);
    for (const input of inputs) this.onInput?.(input, true);
    for (const f of changes.followUps) {
      const work = decodeFollowUp(f.work);
      if (!work.ok) throw work.error;
      this.step({ kind: 'follow-up', peer: f.peer, work: work.value }, (m) => m.applyFollowUp(f.peer, work.value, f.connectionId));
    }
  }

  /** Adds the puts `changes` will make to {@link bytesByKind}; their bytes. */
  #classify(changes: ReturnType<ChannelManager['takeChanges']>): number {
    const before = new Map<string, ChannelMonitor>();
    for (const id of monitorsToRead(changes.monitors.put, this.store.updatesPerSnapshot)) {
      const monitor = this.store.readMonitor(id);
      if (monitor !== undefined) before.set(id, monitor);
    }
    let bytes = 0;
    for (const { sk, data } of managerItemWrites(changes, before, this.store.updatesPerSnapshot).puts) {
      const kind = kindOf(sk);
      const acc = this.bytesByKind.get(kind) ?? { items: 0, bytes: 0 };
      acc.items++;
      acc.bytes += data.length;
      this.bytesByKind.set(kind, acc);
      bytes += data.length;
    }
    return bytes;
  }

  #send(message: PeerWireMessage): void {
    this.#sendAll([message]);
  }

  #sendAll(messages: readonly PeerWireMessage[]): void {
    if (messages.length === 0) return;
    const encoded = messages.map((message) => encodePeerMessage(message));
    for (const bytes of encoded) this.onWire?.('out', (bytes[0]! << 8) | bytes[1]!);
    this.#connection?.sendMany(encoded);
  }

  #connected(): Map<string, Uint8Array> {
    const connected = new Map<string, Uint8Array>();
    if (this.#peer?.features) connected.set(toHex(this.#peer.nodeId), this.#peer.features);
    return connected;
  }

  openChannel(remoteNodeId: Uint8Array, fundingSat: bigint, pushMsat: bigint, fund: Fund): void {
    this.#fund = fund;
    const created = this.step({ kind: 'create-channel' }, (m) => m.createChannel(remoteNodeId, fundingSat, pushMsat, 1n));
    if (!created.ok) throw new Error(`${this.name}: ${created.error.message}`);
  }

  usableChannels(): number {
    return this.store.load(this.ports, { kind: 'list-channels' }, this.#connected(), this.config).listChannels().filter((c) => c.isUsable).length;
  }

  blockConnected(_header: Uint8Array, _txs: readonly Uint8Array[], raw: Uint8Array, height: number): void {
    this.step({ kind: 'chain' }, (m) => m.blockConnected(raw, height));
  }

  request(amountMsat: bigint): PaymentRequest {
    const created = this.step({ kind: 'create-invoice' }, (m) => m.createInboundPayment({ amountMsat, expirySecs: 3600 }));
    if (!created.ok) throw new Error(`${this.name}: ${created.error.message}`);
    const { paymentHash, paymentSecret, minFinalCltvExpiryDelta } = created.value;
    return { paymentHash, paymentSecret, amountMsat, payeeNodeId: this.nodeId, minFinalCltvExpiryDelta };
  }

  pay(r: PaymentRequest, paymentId: Uint8Array): void {
    const sent = this.step({ kind: 'send-payment', paymentId, paymentHash: r.paymentHash, payeeNodeId: r.payeeNodeId }, (m) =>
      m.sendPayment({
        paymentId,
        paymentHash: r.paymentHash,
        payeeNodeId: r.payeeNodeId,
        amountMsat: r.amountMsat,
        finalCltvExpiryDelta: r.minFinalCltvExpiryDelta,
        recipient: { paymentSecret: r.paymentSecret, totalMsat: r.amountMsat },
        retry: { attempts: 0 },
      }),
    );
    if (!sent.ok) throw new Error(`${this.name} send_payment: ${sent.error.message}`);
  }

  poll(): void {
    while (this.#seenEvents < this.events.length) {
      const event = this.events[this.#seenEvents++]!.event;
      switch (event.kind) {
        case 'payment-sent':
          this.sent.add(toHex(event.paymentHash));
          break;
        case 'payment-claimed':
          this.claimed.add(toHex(event.paymentHash));
          break;
        case 'payment-path-failed':
        case 'payment-failed':
        case 'channel-closed':
          throw new Error(`${this.name}: ${JSON.stringify(event, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))}`);
        case 'funding-generation-ready': {
          if (this.#fund === null) throw new Error(`${this.name}: funding ready without a funder`);
          const tx = this.#fund(event.outputScript, event.channelValueSatoshis);
          const result = this.step({ kind: 'funding-transaction-generated', temporaryChannelId: event.temporaryChannelId }, (m) => m.fundingTransactionGenerated(event.temporaryChannelId, tx));
          if (!result.ok) throw new Error(`${this.name}: ${result.error.message}`);
          break;
        }
        default:
          break;
      }
    }
  }

  stop(): Promise<void> {
    this.#connection?.close();
    const server = this.#server;
    return server ? new Promise((r) => server.close(() => r())) : Promise.resolve();
  }
}

/** An LDK 0.1 node (test/support/ldk-node.ts: its own TCP sockets, a 5 ms event pump) behind {@link PayNode}. */
export class LdkTcpNode implements PayNode {
  readonly sent = new Set<string>();
  readonly claimed = new Set<string>();
  #seenEvents = 0;
  #fund: Fund | null = null;

  private constructor(
    readonly name: string,
    readonly node: LdkNode,
  ) {}

  /** `persist`: the node serializes what a deployed LDK node writes (test/support/ldk-node.ts `persist`; counted in `node.persisted`). */
  static async start(name: string, seed: number, depth: number, tip: { header: Uint8Array; height: number }, options: { readonly persist?: boolean } = {}): Promise<LdkTcpNode> {
    const node = await startLdkNode(new Uint8Array(32).fill(seed), { minimumDepth: depth, ...(options.persist === true ? { persist: true } : {}) });
    node.bestBlockUpdated(tip.header, tip.height);
    return new LdkTcpNode(name, node);
  }

  get nodeId(): Uint8Array {
    return this.node.nodeId;
  }

  get broadcasts(): Uint8Array[] {
    return this.node.broadcasts;
  }

  listen(): Promise<number> {
    return this.node.listen(0);
  }

  dial(remoteNodeId: Uint8Array, port: number): Promise<void> {
    return this.node.connect(remoteNodeId, '127.0.0.1', port);
  }

  connectedTo(remoteNodeId: Uint8Array): boolean {
    return this.node.peers().some((p) => toHex(p.nodeId) === toHex(remoteNodeId));
  }

  openChannel(remoteNodeId: Uint8Array, fundingSat: bigint, pushMsat: bigint, fund: Fund): void {
    this.#fund = fund;
    if (!this.node.channelManager.create_channel(remoteNodeId, fundingSat, pushMsat, 1n, null, null).is_ok()) throw new Error(`${this.name}: create_channel failed`);
    this.node.processEvents();
  }

  usableChannels(): number {
    return this.node.channelManager.list_usable_channels().length;
  }

  blockConnected(header: Uint8Array, txs: readonly Uint8Array[], _raw: Uint8Array, height: number): void {
    this.node.transactionsConfirmed(header, txs.map((tx, i) => [i, tx] as const), height);
    this.node.bestBlockUpdated(header, height);
  }

  request(amountMsat: bigint): PaymentRequest {
    const inbound = this.node.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(amountMsat), 3600, ldk.Option_u16Z.constructor_none());
    if (!(inbound instanceof ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK)) throw new Error(`${this.name}: create_inbound_payment failed`);
    return { paymentHash: inbound.res.get_a(), paymentSecret: inbound.res.get_b(), amountMsat, payeeNodeId: this.nodeId, minFinalCltvExpiryDelta: 42 };
  }

  pay(r: PaymentRequest, paymentId: Uint8Array): void {
    const route = ldk.RouteParameters.constructor_from_payment_params_and_value(ldk.PaymentParameters.constructor_from_node_id(r.payeeNodeId, r.minFinalCltvExpiryDelta), r.amountMsat);
    const sent = this.node.channelManager.send_payment(r.paymentHash, ldk.RecipientOnionFields.constructor_secret_only(r.paymentSecret), paymentId, route, ldk.Retry.constructor_attempts(0));
    if (!sent.is_ok()) throw new Error(`${this.name}: send_payment refused`);
    this.node.processEvents();
  }

  poll(): void {
    this.node.processEvents();
    while (this.#seenEvents < this.node.events.length) {
      const event = this.node.events[this.#seenEvents++]!;
      if (event instanceof ldk.Event_PaymentClaimable) {
        const preimage = event.purpose.preimage();
        if (!(preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)) throw new Error(`${this.name}: a claimable payment without its preimage`);
        this.node.channelManager.claim_funds(preimage.some);
        this.node.processEvents();
      } else if (event instanceof ldk.Event_PaymentSent) this.sent.add(toHex(event.payment_hash));
      else if (event instanceof ldk.Event_PaymentClaimed) this.claimed.add(toHex(event.payment_hash));
      else if (event instanceof ldk.Event_PaymentFailed || event instanceof ldk.Event_ChannelClosed) throw new Error(`${this.name}: ${event.constructor.name}\n${this.node.log.slice(-10).join('\n')}`);
      else if (event instanceof ldk.Event_FundingGenerationReady) {
        if (this.#fund === null) throw new Error(`${this.name}: funding ready without a funder`);
        const tx = this.#fund(event.output_script, event.channel_value_satoshis);
        if (!this.node.channelManager.funding_transaction_generated(event.temporary_channel_id, event.counterparty_node_id, tx).is_ok()) throw new Error(`${this.name}: funding refused`);
        this.node.processEvents();
      }
    }
  }

  stop(): Promise<void> {
    return this.node.stop();
  }
}

/** The item kind of a sort key: up to its first `#`, and a channel part's suffix (`CHANNEL#fixed`, `CHANNEL#holder`). */
function kindOf(sk: string): string {
  const parts = sk.split('#');
  const kind = parts[0]!;
  return kind === 'CHANNEL' && parts.length > 3 ? `${kind}#${parts.at(-1)!}` : kind;
}

/**
 * Connects `opener` to `fundee` over TCP (the fundee listens), opens a
 * channel funded by `fund` and hands the funding transaction to the chain
 * (`broadcast`); `waitFor` polls the driver's nodes. Resolves to the
 * fundee's port once the funding transaction is out.
 */
export async function openChannelBetween(
  opener: PayNode,
  fundee: PayNode,
  channel: { readonly fundingSat: bigint; readonly pushMsat: bigint; readonly fund: Fund },
  broadcast: (tx: Uint8Array) => Promise<unknown>,
  waitFor: (predicate: () => boolean, what: string) => Promise<void>,
): Promise<number> {
  const port = await fundee.listen();
  await opener.dial(fundee.nodeId, port);
  await waitFor(() => opener.connectedTo(fundee.nodeId) && fundee.connectedTo(opener.nodeId), `${opener.name} and ${fundee.name} connected`);
  const before = opener.broadcasts.length;
  opener.openChannel(fundee.nodeId, channel.fundingSat, channel.pushMsat, channel.fund);
  await waitFor(() => opener.broadcasts.length > before, `${opener.name}'s funding transaction`);
  await broadcast(opener.broadcasts.at(-1)!);
  return port;
}

/** Hands every block of `chain` from `fromHeight` to its tip to each of `nodes`, in order. */
export function connectBlocks(
  chain: { tip(): { height: number }; blockAt(height: number): { header: Uint8Array; transactions: readonly { toBuffer(): Uint8Array }[] } | undefined },
  fromHeight: number,
  nodes: readonly PayNode[],
): void {
  for (let h = fromHeight; h <= chain.tip().height; h++) {
    const block = chain.blockAt(h)!;
    const txs = block.transactions.map((t) => t.toBuffer());
    const raw = concatBlock(block.header, txs);
    for (const n of nodes) n.blockConnected(block.header, txs, raw, h);
  }
}
