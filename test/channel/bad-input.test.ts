/**
 * BOLT 2 receiver checks: each establishment message with one field out of
 * range is refused with an `error` to the peer naming the reason, and
 * nothing else changes (no channel for a refused `open_channel`; for the
 * other messages the record is the same except `state: closed` and its
 * closure).
 */
import { describe, expect, it } from 'vitest';
import {
  createChannel,
  fundingTransactionGenerated,
  handleAcceptChannel,
  handleFundingCreated,
  handleFundingSigned,
  handleOpenChannel,
  type Channel,
  type ChannelStep,
  type FundingGenerationReady,
} from '../../shared/channel/index.js';
import { featuresFromBits, printableData, type AcceptChannelMessage, type OpenChannelMessage } from '../../shared/wire/index.js';
import { eventsOf, fundingTransaction, onlyMessage, PEER_FEATURES, testNode } from '../support/channel-harness.js';

const alice = testNode('alice', { handshake: { negotiateAnchorsZeroFeeHtlcTx: true } });
const bob = testNode('bob', { handshake: { negotiateAnchorsZeroFeeHtlcTx: false } });
const FUNDING = 500_000n;

function opened() {
  const created = createChannel(alice.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 10, fundingSatoshis: FUNDING, pushMsat: 0n, userChannelId: 7n });
  if (!created.ok) throw new Error(created.error.message);
  return { channel: created.value.channel, open: onlyMessage(created.value.effects, 32) };
}

/** Bob's view of open_channel always uses static_remotekey (Bob does not enable anchors). */
function staticOpen(): { channel: Channel; open: OpenChannelMessage } {
  const { channel, open } = opened();
  return { channel, open: { ...open, channelType: featuresFromBits([12]) } };
}

const notOnCurve = Uint8Array.from([0x02, ...new Uint8Array(32).fill(0xff)]);

describe('open_channel with one field out of range is refused with an error, no channel', () => {
  const cases: [string, Partial<OpenChannelMessage>, string][] = [
    ['reserve above the channel value', { channelReserveSatoshis: FUNDING + 1n }, 'reserve-above-channel-value'],
    ['dust limit below 354 sat', { dustLimitSatoshis: 353n }, 'dust-limit-too-small'],
    ['dust limit above our maximum', { dustLimitSatoshis: 600n }, 'dust-limit-too-large'],
    ['dust limit above their reserve', { dustLimitSatoshis: 500n, channelReserveSatoshis: 400n }, 'dust-limit-above-reserve'],
    ['to_self_delay too large', { toSelfDelay: 2017 }, 'to-self-delay-too-large'],
    ['wrong chain hash', { chainHash: new Uint8Array(32).fill(1) }, 'unknown-chain'],
    ['unknown even channel type', { channelType: featuresFromBits([12, 100]) }, 'unsupported-channel-type'],
    ['odd channel type bit', { channelType: featuresFromBits([13]) }, 'unsupported-channel-type'],
    ['anchors when we do not negotiate them', { channelType: featuresFromBits([12, 22]) }, 'unsupported-channel-type'],
    ['zero-conf channel type', { channelType: featuresFromBits([12, 46, 50]) }, 'unsupported-channel-type'],
    ['max_accepted_htlcs above 483', { maxAcceptedHtlcs: 484 }, 'max-accepted-htlcs-too-large'],
    ['max_accepted_htlcs 0', { maxAcceptedHtlcs: 0 }, 'max-accepted-htlcs-too-small'],
    ['feerate below the floor', { feeratePerKw: 252 }, 'feerate-too-low'],
    ['feerate 10x our estimate', { feeratePerKw: 2531 }, 'feerate-too-high'],
    ['funding below 1,000 sat', { fundingSatoshis: 999n }, 'funding-too-small'],
    ['push above the funding', { pushMsat: FUNDING * 1000n + 1n }, 'push-exceeds-funding'],
    ['funding_pubkey not on the curve', { fundingPubkey: notOnCurve }, 'invalid-point'],
    ['first_per_commitment_point not on the curve', { firstPerCommitmentPoint: notOnCurve }, 'invalid-point'],
    ['announced channel against our preference', { channelFlags: 1 }, 'announcement-preference'],
    ['htlc_minimum_msat as large as the channel', { htlcMinimumMsat: FUNDING * 1000n }, 'htlc-minimum-too-large'],
    ['funder cannot pay the fee', { fundingSatoshis: 1_500n, channelReserveSatoshis: 354n, feeratePerKw: 2500 }, 'funder-cannot-pay-fee'],
  ];
  it.each(cases)('%s', (_name, change, reason) => {
    const { open } = staticOpen();
    const bad = { ...open, ...change };
    const result = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 10 }, bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.reason).toBe(reason);
    expect(result.effects).toHaveLength(1);
    const error = onlyMessage(result.effects, 17);
    expect(error.channelId).toEqual(open.temporaryChannelId);
    expect(printableData(error.data)).toMatch(new RegExp(`^${reason}: `));
  });

  it('the unchanged message is accepted (the cases above differ only in their field)', () => {
    const { open } = staticOpen();
    expect(handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 10 }, open).ok).toBe(true);
  });

  it('2^24 sat is refused from a peer without large channels', () => {
    const { open } = staticOpen();
    const result = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: featuresFromBits([12, 14]), bestHeight: 10 }, { ...open, fundingSatoshis: 1n << 24n });
    expect(!result.ok && result.failure.reason).toBe('funding-too-large');
  });
});

/**
 * A step that failed the channel: closed with `reason`, the error sent,
 * ChannelClosed emitted (then DiscardFunding when `discards`: our signed
 * funding transaction was waiting for `funding_signed`), nothing else changed.
 */
function expectRefused(before: Channel, step: ChannelStep, reason: string, discards = false): void {
  expect(step.failure?.reason).toBe(reason);
  expect(step.channel).toEqual({ ...before, state: 'closed', closure: { reason, message: step.failure!.message } });
  expect(step.effects.map((e) => e.kind)).toEqual(discards ? ['send-message', 'event', 'event'] : ['send-message', 'event']);
  expect(eventsOf(step.effects).map((e) => e.kind)).toEqual(discards ? ['channel-closed', 'discard-funding'] : ['channel-closed']);
  const error = onlyMessage(step.effects, 17);
  expect(printableData(error.data)).toMatch(new RegExp(`^${reason}: `));
  expect(eventsOf(step.effects)[0]).toMatchObject({ kind: 'channel-closed', reason });
}

describe('accept_channel with one field out of range fails the channel', () => {
  function accepted(): { channel: Channel; accept: AcceptChannelMessage } {
    const { channel, open } = opened();
    const anchorsBob = testNode('bob', { handshake: { negotiateAnchorsZeroFeeHtlcTx: true } });
    const result = handleOpenChannel(anchorsBob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 10 }, open);
    if (!result.ok) throw new Error(result.failure.message);
    return { channel, accept: onlyMessage(result.effects, 33) };
  }
  const cases: [string, { [K in keyof AcceptChannelMessage]?: AcceptChannelMessage[K] | undefined }, string][] = [
    ['reserve above the channel value', { channelReserveSatoshis: FUNDING + 1n }, 'reserve-above-channel-value'],
    ['reserve below our dust limit', { channelReserveSatoshis: 353n }, 'reserve-below-our-dust-limit'],
    ['dust limit below 354 sat', { dustLimitSatoshis: 300n }, 'dust-limit-too-small'],
    ['dust limit above our maximum', { dustLimitSatoshis: 547n }, 'dust-limit-too-large'],
    ['to_self_delay too large', { toSelfDelay: 4000 }, 'to-self-delay-too-large'],
    ['max_accepted_htlcs above 483', { maxAcceptedHtlcs: 500 }, 'max-accepted-htlcs-too-large'],
    ['unknown even channel type', { channelType: featuresFromBits([12, 22, 200]) }, 'unsupported-channel-type'],
    ['another channel type than ours', { channelType: featuresFromBits([12]) }, 'channel-type-mismatch'],
    ['no channel type', { channelType: undefined }, 'missing-channel-type'],
    ['minimum_depth too large', { minimumDepth: 145 }, 'minimum-depth-too-large'],
    ['htlc_basepoint not on the curve', { htlcBasepoint: notOnCurve }, 'invalid-point'],
    ['another temporary_channel_id', { temporaryChannelId: new Uint8Array(32).fill(3) }, 'wrong-channel-id'],
  ];
  it.each(cases)('%s', (_name, change, reason) => {
    const { channel, accept } = accepted();
    const bad = { ...accept, ...change } as Record<string, unknown>;
    for (const k of Object.keys(change)) if (bad[k] === undefined) delete bad[k];
    expectRefused(channel, handleAcceptChannel(alice.ctx, channel, bad as unknown as AcceptChannelMessage), reason);
  });

  it('the unchanged message is accepted', () => {
    const { channel, accept } = accepted();
    expect(handleAcceptChannel(alice.ctx, channel, accept).failure).toBeUndefined();
  });
});

describe('funding_created / funding_signed with a bad signature fail the channel', () => {
  function toFundingCreated() {
    const aliceStatic = testNode('alice');
    const created = createChannel(aliceStatic.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 10, fundingSatoshis: FUNDING, pushMsat: 0n, userChannelId: 7n });
    if (!created.ok) throw new Error(created.error.message);
    const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: aliceStatic.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 10 }, onlyMessage(created.value.effects, 32));
    if (!inbound.ok) throw new Error(inbound.failure.message);
    const acceptStep = handleAcceptChannel(aliceStatic.ctx, created.value.channel, onlyMessage(inbound.effects, 33));
    const ready = eventsOf(acceptStep.effects)[0] as FundingGenerationReady;
    const generated = fundingTransactionGenerated(aliceStatic.ctx, acceptStep.channel, fundingTransaction(ready.outputScript, FUNDING).toBuffer());
    if (!generated.ok) throw new Error(generated.error.message);
    return { aliceStatic, a: generated.value.channel, b: inbound.channel, fundingCreated: onlyMessage(generated.value.effects, 34) };
  }

  it('funding_created signed by the wrong key', () => {
    const { b, fundingCreated } = toFundingCreated();
    const sig = Uint8Array.from(fundingCreated.signature);
    sig[10]! ^= 1;
    expectRefused(b, handleFundingCreated(bob.ctx, b, { ...fundingCreated, signature: sig }), 'bad-commitment-signature');
  });

  it('funding_signed with a bad signature: the funding transaction is never broadcast', () => {
    const { aliceStatic, a, b, fundingCreated } = toFundingCreated();
    const step = handleFundingCreated(bob.ctx, b, fundingCreated);
    const signed = onlyMessage(step.effects, 35);
    const sig = Uint8Array.from(signed.signature);
    sig[40]! ^= 0x80;
    const refused = handleFundingSigned(aliceStatic.ctx, a, { ...signed, signature: sig });
    expectRefused(a, refused, 'bad-commitment-signature', true);
    expect(refused.effects.some((e) => e.kind === 'broadcast' || e.kind === 'persist-monitor')).toBe(false);
    // The good signature still works on the unchanged record.
    expect(handleFundingSigned(aliceStatic.ctx, a, signed).effects.map((e) => e.kind)).toEqual(['persist-monitor', 'broadcast', 'event']);
  });

  it('a message out of order fails the channel', () => {
    const { b, fundingCreated } = toFundingCreated();
    const step = handleFundingCreated(bob.ctx, b, fundingCreated);
    expectRefused(step.channel, handleFundingCreated(bob.ctx, step.channel, fundingCreated), 'unexpected-message');
  });
});
