/**
 * Two of our channel machines with one ready channel between them (test
 * support, built by ready-channels.ts), as a tiny network for the commitment dance: each side's effects are performed
 * (messages delivered in order, monitor updates recorded).
 */
import { Transaction } from 'bitcoinjs-lib';
import {
  handleChannelMessage,
  holderCommitmentTransaction,
  offerHtlc,
  sendCommitmentSigned,
  type Channel,
  type ChannelEffect,
  type ChannelLevelMessage,
  type ChannelMonitorStep,
  type ChannelStep,
  type InitialMonitor,
  type ReadyChannel,
} from '../../shared/channel/index.js';
import type { ChannelHandshakeConfig, KeptUpdates } from '../../shared/channel/index.js';
import { sentMessages, type TestNode } from './channel-harness.js';
import { readyPair as readyChannels } from './ready-channels.js';
import type { WireMessage } from '../../shared/wire/index.js';
import { sha256 } from '../../shared/crypto/index.js';

export interface ReadyPairOptions {
  readonly anchors?: boolean;
  readonly fundingSatoshis?: bigint;
  readonly pushMsat?: bigint;
  readonly handshake?: Partial<ChannelHandshakeConfig>;
  readonly feerate?: bigint;
}

/** One side of the pair: its node, its channel and what it was asked to do. */
export class Side {
  channel: ReadyChannel;
  readonly monitorSteps: ChannelMonitorStep[] = [];
  readonly initialMonitors: InitialMonitor[] = [];
  /** Messages sent and not yet delivered. */
  readonly outbox: WireMessage[] = [];
  /** Every message it sent. */
  readonly sent: WireMessage[] = [];
  failure: { reason: string; message: string } | undefined;

  constructor(
    readonly name: string,
    readonly node: TestNode,
    channel: Channel,
  ) {
    this.channel = channel as ReadyChannel;
  }

  /** Performs effects: the monitor steps recorded (before the messages), the messages queued through the codec. */
  perform(effects: readonly ChannelEffect[]): void {
    for (const e of effects) if (e.kind === 'monitor-update') this.monitorSteps.push(...e.steps);
    for (const m of sentMessages(effects)) {
      this.outbox.push(m);
      this.sent.push(m);
    }
  }

  /** Applies a step of this side's channel. */
  apply(step: ChannelStep | { channel: Channel; effects: readonly ChannelEffect[] }): void {
    if ('failure' in step && step.failure) this.failure = step.failure;
    this.channel = step.channel as ReadyChannel;
    this.perform(step.effects);
  }

  /** What the manager keeps in records for the holding cell and retransmissions: here every offered HTLC carries the test onion. */
  kept(): KeptUpdates {
    const onions = new Map((this.channel.htlcs ?? []).filter((h) => h.direction === 'offered').map((h) => [h.id, ONION] as const));
    return { onions, failureReasons: new Map() };
  }

  /** Receives one message through the channel-level routing table. */
  receive(m: WireMessage): ChannelStep {
    const step = handleChannelMessage(this.node.ctx, this.channel, m as ChannelLevelMessage, this.kept());
    this.apply(step);
    return step;
  }
}

export interface ReadyPair {
  readonly alice: Side;
  readonly bob: Side;
  /** The funding transaction (its output 0 is the channel's). */
  readonly fundingTx: Transaction;
}

/** Alice (funder) and Bob with one ready channel (ready-channels.ts), as two sides of the dance. */
export function readyPair(options: ReadyPairOptions = {}): ReadyPair {
  const ready = readyChannels({
    anchors: options.anchors ?? false,
    fundingSatoshis: options.fundingSatoshis ?? 10_000_000n,
    pushMsat: options.pushMsat ?? 4_000_000_000n,
    handshake: { ourMaxAcceptedHtlcs: 483, maxInboundHtlcValueInFlightPercent: 100, ...options.handshake },
    fundingOutputIndex: 0,
    ...(options.feerate === undefined ? {} : { feerate: options.feerate }),
  });
  const aliceSide = new Side('alice', ready.alice, ready.a);
  const bobSide = new Side('bob', ready.bob, ready.b);
  aliceSide.initialMonitors.push(...ready.aliceMonitors);
  bobSide.initialMonitors.push(...ready.bobMonitors);
  return { alice: aliceSide, bob: bobSide, fundingTx: ready.fundingTx };
}

/** Delivers queued messages both ways, in order, until both outboxes are empty (or a side failed). */
export function deliverAll(pair: ReadyPair, limit = 10_000): void {
  for (let i = 0; i < limit; i++) {
    const fromAlice = pair.alice.outbox.shift();
    if (fromAlice) pair.bob.receive(fromAlice);
    const fromBob = pair.bob.outbox.shift();
    if (fromBob) pair.alice.receive(fromBob);
    if (!fromAlice && !fromBob) return;
    if (pair.alice.failure || pair.bob.failure) return;
  }
  throw new Error('messages still flowing');
}

/** A made-up onion (the channel does not read it). */
export const ONION = new Uint8Array(1366).fill(7);

/** The preimage named `label`. */
export function preimage(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`preimage ${label}`));
}

/** `side` offers an HTLC of `amountMsat` paying `sha256(preimage(label))`: `update_add_htlc` queued; its id. */
export function offer(side: Side, amountMsat: bigint, label: string, cltvExpiry = 700): bigint {
  const result = offerHtlc(side.node.ctx, side.channel, { amountMsat, paymentHash: sha256(preimage(label)), cltvExpiry, onionRoutingPacket: ONION });
  if (!result.ok) throw new Error(result.error.message);
  side.apply(result.value);
  return result.value.htlcId!;
}

/** `side` signs its pending updates: `commitment_signed` queued. */
export function commit(side: Side): void {
  const result = sendCommitmentSigned(side.node.ctx, side.channel);
  if (!result.ok) throw new Error(result.error.message);
  side.apply(result.value);
}

/**
 * `side`'s latest commitment as a force close broadcasts it: the channel's
 * (holderCommitmentTransaction: its stored transaction and the
 * counterparty's signature, ours made now), the one its last
 * `latest-holder-commitment-summary` monitor step names (commitment 0
 * before any).
 */
export function broadcastCommitment(side: Side): Transaction {
  const bytes = holderCommitmentTransaction(side.node.ctx.secp, side.node.ctx.signerProvider, side.channel);
  if (bytes === null) throw new Error(`${side.name}: no commitment to broadcast`);
  const tx = Transaction.fromBuffer(bytes);
  const named = side.monitorSteps.filter((s) => s.kind === 'latest-holder-commitment-summary').at(-1);
  if (named !== undefined && !Buffer.from(named.commitmentTxid).equals(Buffer.from(tx.getHash()))) throw new Error(`${side.name}: the channel's commitment is not the one its monitor names`);
  return tx;
}
