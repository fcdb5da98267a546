/**
 * Two of our channel machines brought to `ready` (test support): Alice
 * opens to Bob, the funding transaction confirms at height 200, both send
 * `channel_ready`. Messages pass through the wire codec.
 */
import type { Transaction } from 'bitcoinjs-lib';
import {
  bestBlockUpdated,
  createChannel,
  fundingTransactionConfirmed,
  fundingTransactionGenerated,
  handleAcceptChannel,
  handleChannelReady,
  handleFundingCreated,
  handleFundingSigned,
  handleOpenChannel,
  type Channel,
  type ChannelStep,
  type ChannelHandshakeConfig,
  type FundingGenerationReady,
  type InitialMonitor,
} from '../../shared/channel/index.js';
import { featureBitsOf, featuresFromBits } from '../../shared/wire/index.js';
import { PEER_FEATURES, eventsOf, fundingTransaction, onlyMessage, testNode, type TestNode } from './channel-harness.js';

export interface ReadyPair {
  readonly alice: TestNode;
  readonly bob: TestNode;
  /** Alice's channel (the funder). */
  readonly a: Channel;
  /** Bob's channel (the fundee). */
  readonly b: Channel;
  readonly fundingTx: Transaction;
  /** The monitors each side persisted at `funding_signed` / `funding_created`. */
  readonly aliceMonitors: readonly InitialMonitor[];
  readonly bobMonitors: readonly InitialMonitor[];
}

export interface ReadyOptions {
  readonly anchors?: boolean;
  readonly fundingSatoshis?: bigint;
  readonly pushMsat?: bigint;
  /** Whether the peers' `init` has option_upfront_shutdown_script (default true: both commit their P2WPKH). */
  readonly upfront?: boolean;
  /** More handshake settings for both (anchors and minimum depth 1 are set). */
  readonly handshake?: Partial<ChannelHandshakeConfig>;
  /** Both nodes' fee estimate (sat/kw; 253 by default). */
  readonly feerate?: bigint;
  /** The funding output's index in the funding transaction (1 by default). */
  readonly fundingOutputIndex?: number;
}

function ok(step: ChannelStep): ChannelStep {
  if (step.failure) throw new Error(`${step.failure.reason}: ${step.failure.message}`);
  return step;
}

/** Alice's and Bob's channels, both `ready`. */
export function readyPair(o: ReadyOptions = {}): ReadyPair {
  const anchors = o.anchors ?? false;
  const handshake = { negotiateAnchorsZeroFeeHtlcTx: anchors, minimumDepth: 1, ...o.handshake };
  const alice = testNode('alice', { handshake }, o.feerate ?? 253n);
  const bob = testNode('bob', { handshake }, o.feerate ?? 253n);
  const features = o.upfront === false ? featuresFromBits(featureBitsOf(PEER_FEATURES).filter((b) => b !== 4 && b !== 5)) : PEER_FEATURES;
  const created = createChannel(alice.ctx, {
    counterpartyNodeId: bob.nodeId,
    theirInitFeatures: features,
    bestHeight: 100,
    fundingSatoshis: o.fundingSatoshis ?? 1_000_000n,
    pushMsat: o.pushMsat ?? 123_456_789n,
    userChannelId: 42n,
  });
  if (!created.ok) throw new Error(created.error.message);
  const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: features, bestHeight: 100 }, onlyMessage(created.value.effects, 32));
  if (!inbound.ok) throw new Error(inbound.failure.message);
  const accepted = ok(handleAcceptChannel(alice.ctx, created.value.channel, onlyMessage(inbound.effects, 33)));
  const ready = eventsOf(accepted.effects)[0] as FundingGenerationReady;
  const fundingTx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis, { index: o.fundingOutputIndex ?? 1 });
  const generated = fundingTransactionGenerated(alice.ctx, accepted.channel, fundingTx.toBuffer());
  if (!generated.ok) throw new Error(generated.error.message);
  const bobFunded = ok(handleFundingCreated(bob.ctx, inbound.channel, onlyMessage(generated.value.effects, 34)));
  const aliceFunded = ok(handleFundingSigned(alice.ctx, generated.value.channel, onlyMessage(bobFunded.effects, 35)));
  const conf = { height: 200, txIndex: 5, blockHash: new Uint8Array(32).fill(9) };
  const aConfirmed = ok(fundingTransactionConfirmed(alice.ctx, aliceFunded.channel, conf, fundingTx.toBuffer()));
  const bConfirmed = ok(fundingTransactionConfirmed(bob.ctx, bobFunded.channel, conf, fundingTx.toBuffer()));
  const aSent = ok(bestBlockUpdated(alice.ctx, aConfirmed.channel, 200));
  const bSent = ok(bestBlockUpdated(bob.ctx, bConfirmed.channel, 200));
  const a = ok(handleChannelReady(alice.ctx, aSent.channel, onlyMessage([...bConfirmed.effects, ...bSent.effects], 36))).channel;
  const b = ok(handleChannelReady(bob.ctx, bSent.channel, onlyMessage([...aConfirmed.effects, ...aSent.effects], 36))).channel;
  if (a.state !== 'ready' || b.state !== 'ready') throw new Error(`not ready: ${a.state} / ${b.state}`);
  const monitors = (step: ChannelStep) => step.effects.flatMap((e) => (e.kind === 'persist-monitor' ? [e.monitor] : []));
  return { alice, bob, a, b, fundingTx, aliceMonitors: monitors(aliceFunded), bobMonitors: monitors(bobFunded) };
}
