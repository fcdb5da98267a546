/**
 * Channel feerates from the FeeEstimator (BOLT 2 `feerate_per_kw`; LDK's
 * ConfirmationTarget semantics, docs/channel.md "Feerates"): what we propose
 * in `open_channel` per channel type, and the receiver's bounds, each read
 * at its own confirmation target.
 */
import { describe, expect, it } from 'vitest';
import { ConfirmationTarget, createChannel, handleOpenChannel, type ChannelContext } from '../../shared/channel/index.js';
import type { FeeEstimator } from '../../shared/ports/index.js';
import type { OpenChannelMessage } from '../../shared/wire/index.js';
import { onlyMessage, PEER_FEATURES, testNode, type TestNode } from '../support/channel-harness.js';

/** An estimator with a distinct rate per target (unknown targets throw, so a test sees which ones are asked). */
function byTarget(rates: Record<number, bigint>): FeeEstimator & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    feeRatePerKw(target: number): bigint {
      asked.push(target);
      const rate = rates[target];
      if (rate === undefined) throw new Error(`unexpected target ${target}`);
      return rate;
    },
  };
}

function withEstimator(node: TestNode, feeEstimator: FeeEstimator): ChannelContext {
  return { ...node.ctx, feeEstimator };
}

function open(ctx: ChannelContext, peer: TestNode): OpenChannelMessage {
  const created = createChannel(ctx, { counterpartyNodeId: peer.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100, fundingSatoshis: 1_000_000n, pushMsat: 0n, userChannelId: 1n });
  if (!created.ok) throw new Error(created.error.message);
  return onlyMessage(created.value.effects, 32);
}

const RATES = { [ConfirmationTarget.MaximumFeeEstimate]: 9_000n, [ConfirmationTarget.NonAnchorChannelFee]: 3_000n, [ConfirmationTarget.AnchorChannelFee]: 400n };

describe('the feerate of our open_channel', () => {
  it('is the NonAnchorChannelFee estimate (12 blocks) for a static_remotekey channel', () => {
    const alice = testNode('alice');
    const estimator = byTarget(RATES);
    expect(open(withEstimator(alice, estimator), testNode('bob')).feeratePerKw).toBe(3_000);
    expect(estimator.asked).toEqual([12]);
  });

  it('is the AnchorChannelFee estimate (1,008 blocks) for an anchor channel', () => {
    const alice = testNode('alice', { handshake: { negotiateAnchorsZeroFeeHtlcTx: true } });
    const estimator = byTarget(RATES);
    const m = open(withEstimator(alice, estimator), testNode('bob'));
    expect(m.channelType).toBeDefined();
    expect(m.feeratePerKw).toBe(400);
    expect(estimator.asked).toEqual([1008]);
  });

  it('is never below 253 sat/kw', () => {
    const alice = testNode('alice');
    expect(open(withEstimator(alice, { feeRatePerKw: () => 100n }), testNode('bob')).feeratePerKw).toBe(253);
  });
});

describe('the receiver bounds on feerate_per_kw', () => {
  const alice = testNode('alice');
  const bob = testNode('bob');
  const base = open(alice.ctx, bob);
  const receive = (feeratePerKw: number) =>
    handleOpenChannel(withEstimator(bob, byTarget({ 1: 9_000n, 1008: 1_000n })), { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100 }, { ...base, feeratePerKw });

  it('refuses below half the 1,008-block estimate and accepts from it', () => {
    expect(receive(499)).toMatchObject({ ok: false, failure: { reason: 'feerate-too-low' } });
    expect(receive(500).ok).toBe(true);
  });

  it('refuses above 10x the 1-block estimate for a non-anchor channel', () => {
    expect(receive(90_000).ok).toBe(true);
    expect(receive(90_001)).toMatchObject({ ok: false, failure: { reason: 'feerate-too-high' } });
  });
});
