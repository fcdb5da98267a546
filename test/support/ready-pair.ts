/**
 * Two of our channel machines with one ready channel between them (test
 * support): Alice opens to Bob, the funding confirms, both send
 * `channel_ready`; every message goes through the wire codec. Then a tiny
 * network for the commitment dance: each side's effects are performed
 * (messages delivered in order, monitor updates recorded).
 */
import {
  ChannelState,
  createChannel,
  fundingTransactionConfirmed,
  fundingTransactionGenerated,
  handleAcceptChannel,
  handleChannelMessage,
  handleNormalOperationMessage,
  isNormalOperationMessage,
  handleChannelReady,
  handleFundingCreated,
  handleFundingSigned,
  handleOpenChannel,
  bestBlockUpdated,
  offerHtlc,
  sendCommitmentSigned,
  type Channel,
  type ChannelEffect,
  type ChannelLevelMessage,
  type ChannelMonitorStep,
  type ChannelStep,
  type FundingGenerationReady,
  type InitialMonitor,
  type ReadyChannel,
} from '../../shared/channel/index.js';
import type { ChannelHandshakeConfig } from '../../shared/channel/index.js';
import { eventsOf, fundingTransaction, onlyMessage, PEER_FEATURES, sentMessages, testNode, type TestNode } from './channel-harness.js';
import type { WireMessage } from '../../shared/wire/index.js';
import { sha256 } from '../../shared/crypto/index.js';

export interface ReadyPairOptions {
  readonly anchors?: boolean;
  readonly fundingSatoshis?: bigint;
  readonly pushMsat?: bigint;
  readonly handshake?: Partial<ChannelHandshakeConfig>;
  readonly feerate?: bigint;
}

function ok(step: ChannelStep): ChannelStep {
  if (step.failure) throw new Error(`${step.failure.reason}: ${step.failure.message}`);
  return step;
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

  /** Receives one message (normal operation through its dispatch, the rest through the channel-level routing table). */
  receive(m: WireMessage): ChannelStep {
    const step = isNormalOperationMessage(m)
      ? handleNormalOperationMessage(this.node.ctx, this.channel, m)
      : handleChannelMessage(this.node.ctx, this.channel, m as ChannelLevelMessage);
    this.apply(step);
    return step;
  }
}

export interface ReadyPair {
  readonly alice: Side;
  readonly bob: Side;
}

/** Alice (funder) and Bob with one ready channel. */
export function readyPair(options: ReadyPairOptions = {}): ReadyPair {
  const handshake: Partial<ChannelHandshakeConfig> = {
    negotiateAnchorsZeroFeeHtlcTx: options.anchors ?? false,
    minimumDepth: 1,
    ourMaxAcceptedHtlcs: 483,
    maxInboundHtlcValueInFlightPercent: 100,
    ...options.handshake,
  };
  const alice = testNode('alice', { handshake }, options.feerate ?? 253n);
  const bob = testNode('bob', { handshake }, options.feerate ?? 253n);
  const fundingSatoshis = options.fundingSatoshis ?? 10_000_000n;
  const pushMsat = options.pushMsat ?? 4_000_000_000n;
  const created = createChannel(alice.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100, fundingSatoshis, pushMsat, userChannelId: 1n });
  if (!created.ok) throw new Error(created.error.message);
  let a: Channel = created.value.channel;
  const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100 }, onlyMessage(created.value.effects, 32));
  if (!inbound.ok) throw new Error(inbound.failure.message);
  let b: Channel = inbound.channel;
  const accepted = ok(handleAcceptChannel(alice.ctx, a, onlyMessage(inbound.effects, 33)));
  a = accepted.channel;
  const ready = eventsOf(accepted.effects)[0] as FundingGenerationReady;
  const fundingTx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis);
  const generated = fundingTransactionGenerated(alice.ctx, a, fundingTx.toBuffer());
  if (!generated.ok) throw new Error(generated.error.message);
  a = generated.value.channel;
  const bobFunded = ok(handleFundingCreated(bob.ctx, b, onlyMessage(generated.value.effects, 34)));
  b = bobFunded.channel;
  const aliceFunded = ok(handleFundingSigned(alice.ctx, a, onlyMessage(bobFunded.effects, 35)));
  a = aliceFunded.channel;
  const conf = { height: 200, txIndex: 5, blockHash: new Uint8Array(32).fill(9) };
  // With minimum depth 1, `channel_ready` goes out on the confirmation (or on the next block).
  const aConf = ok(fundingTransactionConfirmed(alice.ctx, a, conf, fundingTx.toBuffer()));
  const bConf = ok(fundingTransactionConfirmed(bob.ctx, b, conf, fundingTx.toBuffer()));
  const aBlock = ok(bestBlockUpdated(alice.ctx, aConf.channel, 200));
  const bBlock = ok(bestBlockUpdated(bob.ctx, bConf.channel, 200));
  a = aBlock.channel;
  b = bBlock.channel;
  const aliceReady = onlyMessage([...aConf.effects, ...aBlock.effects], 36);
  const bobReady = onlyMessage([...bConf.effects, ...bBlock.effects], 36);
  b = ok(handleChannelReady(bob.ctx, b, aliceReady)).channel;
  a = ok(handleChannelReady(alice.ctx, a, bobReady)).channel;
  if (a.state !== ChannelState.Ready || b.state !== ChannelState.Ready) throw new Error(`not ready: ${a.state} / ${b.state}`);
  const aliceSide = new Side('alice', alice, a);
  const bobSide = new Side('bob', bob, b);
  for (const e of aliceFunded.effects) if (e.kind === 'persist-monitor') aliceSide.initialMonitors.push(e.monitor);
  for (const e of bobFunded.effects) if (e.kind === 'persist-monitor') bobSide.initialMonitors.push(e.monitor);
  return { alice: aliceSide, bob: bobSide };
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
