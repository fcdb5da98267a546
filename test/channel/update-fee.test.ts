/**
 * BOLT 2 "Updating Fees: `update_fee`" between two of our channel machines
 * (issue 15): Alice, the funder, raises the feerate with HTLCs in flight
 * both ways; Bob takes the update through the dance (remote-announced, in
 * both commitments, committed on Alice's revocation); every commitment each
 * side signs is checked by the other (a bad signature would fail the
 * channel) and pays the new fee; payments go on. Each receiver check fails
 * the channel with its reason; an update Bob received without its
 * `commitment_signed` is forgotten on reconnection and comes again.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ConfirmationTarget,
  FeeUpdateState,
  commitmentStateOf,
  counterpartyBalanceMsat,
  decodeChannel,
  encodeChannel,
  fulfillHtlc,
  ourChannelReestablish,
  sendUpdateFee,
  type ChannelMonitorStep,
} from '../../shared/channel/index.js';
import { ChannelType, commitmentFeeSat } from '../../shared/tx/index.js';
import type { WireMessage } from '../../shared/wire/index.js';
import { recordTlvs, withRecord } from '../support/record-tlvs.js';
import { commit, deliverAll, offer, preimage, readyPair, type ReadyPair, type Side } from '../support/ready-pair.js';

function lastStep<K extends ChannelMonitorStep['kind']>(side: Side, kind: K): Extract<ChannelMonitorStep, { kind: K }> {
  const found = side.monitorSteps.filter((s) => s.kind === kind);
  if (found.length === 0) throw new Error(`${side.name}: no ${kind} step`);
  return found[found.length - 1] as Extract<ChannelMonitorStep, { kind: K }>;
}

function noFailure(pair: ReadyPair): void {
  expect(pair.alice.failure).toBeUndefined();
  expect(pair.bob.failure).toBeUndefined();
}

/** Delivers the next queued message of `from` to `to`; its type. */
function deliverOne(from: Side, to: Side): number {
  const m = from.outbox.shift();
  if (m === undefined) throw new Error(`${from.name}: nothing queued`);
  to.receive(m);
  return m.type;
}

/** `side` (the funder) sends `update_fee` (queued). */
function updateFee(side: Side, feeratePerKw: number): void {
  const result = sendUpdateFee(side.node.ctx, side.channel, feeratePerKw);
  if (!result.ok) throw new Error(result.error.message);
  side.apply(result.value);
}

/** The fee the latest holder commitment of `side` pays (funding value less its outputs): the channel's, the one its last monitor step names. */
function holderCommitmentFeeSat(side: Side): bigint {
  const tx = Transaction.fromBuffer(Buffer.from(side.channel.latestHolderCommitment!.unsignedTx));
  expect(Buffer.from(tx.getHash()).toString('hex')).toBe(Buffer.from(lastStep(side, 'latest-holder-commitment-summary').commitmentTxid).toString('hex'));
  return side.channel.fundingSatoshis - tx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
}

/** `side` fulfills every received HTLC it can (committed), the preimage from its label. */
function fulfillAll(side: Side, labels: Map<bigint, string>): void {
  for (const h of side.channel.htlcs ?? []) {
    if (h.direction !== 'received' || h.state !== 'committed') continue;
    const result = fulfillHtlc(side.node.ctx, side.channel, h.id, preimage(labels.get(h.id)!));
    if (!result.ok) throw new Error(result.error.message);
    side.apply(result.value);
  }
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('update_fee from the funder ($name)', ({ anchors }) => {
  it('raised with HTLCs in flight both ways: both commitments re-signed at the new feerate and verified, committed on both sides, then payments go on', () => {
    const pair = readyPair({ anchors });
    const { alice, bob } = pair;
    // Both expect fees up to 2,000 sat/kW: the dust exposure limit (10,000 times that) leaves room for the raised fee (dust-exposure.ts).
    for (const side of [alice, bob]) side.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 2_000n);
    // HTLCs both ways, above the dust limit at either feerate, committed.
    const toBob = new Map([[offer(alice, 50_000_000n, 'a0'), 'a0'], [offer(alice, 70_000_000n, 'a1'), 'a1']]);
    const toAlice = new Map([[offer(bob, 60_000_000n, 'b0'), 'b0']]);
    commit(alice);
    commit(bob);
    deliverAll(pair);
    noFailure(pair);
    const before = { alice: commitmentStateOf(alice.channel).holderBalanceMsat, bob: commitmentStateOf(bob.channel).holderBalanceMsat };
    expect(alice.channel.feeratePerKw).toBe(253);

    const raised = 2_000;
    updateFee(alice, raised);
    commit(alice);
    expect(alice.outbox.map((m) => m.type)).toEqual([134, 132]);
    expect(alice.channel.pendingFeeUpdate).toEqual({ feeratePerKw: raised, state: FeeUpdateState.LocalAnnounced });
    // Alice's signature on Bob's next commitment is at the new feerate (the monitor is told so).
    expect(lastStep(alice, 'latest-counterparty-commitment').feeratePerKw).toBe(raised);

    expect(deliverOne(alice, bob)).toBe(134);
    expect(bob.channel.pendingFeeUpdate).toEqual({ feeratePerKw: raised, state: FeeUpdateState.RemoteAnnounced });
    expect(bob.channel.feeratePerKw).toBe(253);
    // commitment_signed: Bob checks it on his commitment at the new feerate, revokes, and signs Alice's with it at once.
    expect(deliverOne(alice, bob)).toBe(132);
    noFailure(pair);
    expect(bob.outbox.map((m) => m.type)).toEqual([133, 132]);
    expect(bob.channel.pendingFeeUpdate?.state).toBe(FeeUpdateState.AwaitingAnnouncedRemoteRevoke);
    expect(lastStep(bob, 'latest-counterparty-commitment').feeratePerKw).toBe(raised);
    // Alice: Bob's revocation commits her update; his commitment_signed at the new feerate checks out.
    expect(deliverOne(bob, alice)).toBe(133);
    expect(alice.channel.pendingFeeUpdate).toBeUndefined();
    expect(alice.channel.feeratePerKw).toBe(raised);
    expect(deliverOne(bob, alice)).toBe(132);
    noFailure(pair);
    // Alice's revocation commits it on Bob's side.
    expect(deliverOne(alice, bob)).toBe(133);
    noFailure(pair);
    expect(bob.channel.pendingFeeUpdate).toBeUndefined();
    expect(bob.channel.feeratePerKw).toBe(raised);
    expect(alice.outbox).toEqual([]);
    expect(bob.outbox).toEqual([]);

    // Both latest holder commitments pay the new fee for their three untrimmed HTLCs (anchors are outputs, not fee); balances untouched.
    const format = anchors ? ChannelType.Anchors : ChannelType.StaticRemoteKey;
    const expectedFee = commitmentFeeSat(format, BigInt(raised), 3);
    expect(holderCommitmentFeeSat(alice)).toBe(expectedFee);
    expect(holderCommitmentFeeSat(bob)).toBe(expectedFee);
    expect(commitmentStateOf(alice.channel).holderBalanceMsat).toBe(before.alice);
    expect(commitmentStateOf(bob.channel).holderBalanceMsat).toBe(before.bob);

    // Payments continue at the new feerate: every HTLC fulfilled, one more each way, all settled.
    fulfillAll(bob, toBob);
    fulfillAll(alice, toAlice);
    commit(bob);
    deliverAll(pair);
    noFailure(pair);
    const more = new Map([[offer(alice, 30_000_000n, 'a2'), 'a2']]);
    commit(alice);
    deliverAll(pair);
    fulfillAll(bob, more);
    commit(bob);
    deliverAll(pair);
    noFailure(pair);
    expect(alice.channel.htlcs ?? []).toEqual([]);
    expect(bob.channel.htlcs ?? []).toEqual([]);
    const moved = 50_000_000n + 70_000_000n + 30_000_000n - 60_000_000n;
    expect(commitmentStateOf(alice.channel).holderBalanceMsat).toBe(6_000_000_000n - moved);
    expect(commitmentStateOf(bob.channel).holderBalanceMsat).toBe(4_000_000_000n + moved);
    expect(counterpartyBalanceMsat(bob.channel)).toBe(6_000_000_000n - moved);
    expect(holderCommitmentFeeSat(bob)).toBe(commitmentFeeSat(format, BigInt(raised), 0));
  });

  it('a later update_fee replaces a pending one; the pending update survives the channel record', () => {
    const pair = readyPair({ anchors });
    const { alice, bob } = pair;
    updateFee(alice, 1_000);
    updateFee(alice, 1_500);
    commit(alice);
    expect(alice.outbox.map((m) => m.type)).toEqual([134, 134, 132]);
    deliverOne(alice, bob);
    deliverOne(alice, bob);
    expect(bob.channel.pendingFeeUpdate).toEqual({ feeratePerKw: 1_500, state: FeeUpdateState.RemoteAnnounced });
    const stored = decodeChannel(encodeChannel(bob.channel));
    expect(stored.ok && stored.value).toEqual(bob.channel);
    deliverAll(pair);
    noFailure(pair);
    expect([alice.channel.feeratePerKw, bob.channel.feeratePerKw]).toEqual([1_500, 1_500]);
    expect(decodeChannel(encodeChannel(bob.channel))).toEqual({ ok: true, value: bob.channel });
  });
});

describe('the pending fee update in the channel record (TLV 50)', () => {
  it('absent when none; feerate u32 and state; an unknown state or a short value is a DecodeError, never a throw', () => {
    const { alice, bob } = readyPair();
    expect(recordTlvs(encodeChannel(bob.channel)).records.map(([t]) => t)).not.toContain(50n);
    bob.receive({ type: 134, channelId: alice.channel.funding.channelId, feeratePerKw: 1_000 });
    const bytes = encodeChannel(bob.channel);
    const value = recordTlvs(bytes).records.find(([t]) => t === 50n)?.[1];
    expect(value).toEqual(Uint8Array.of(0, 0, 0x03, 0xe8, 0));
    for (const bad of [Uint8Array.of(0, 0, 0x03, 0xe8, 9), Uint8Array.of(0, 0, 0x03)]) {
      const decoded = decodeChannel(withRecord(bytes, 50n, bad));
      expect(decoded.ok).toBe(false);
    }
  });
});

describe('update_fee receiver checks: each fails the channel with its reason', () => {
  const byHand = (side: Side, feeratePerKw: number): WireMessage => ({ type: 134, channelId: side.channel.funding.channelId, feeratePerKw });

  it('from the fundee: update-fee-from-fundee (and our own call refuses it)', () => {
    const { alice, bob } = readyPair();
    expect(sendUpdateFee(bob.node.ctx, bob.channel, 1_000)).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    alice.receive(byHand(bob, 1_000));
    expect(alice.failure?.reason).toBe('update-fee-from-fundee');
    expect(alice.channel.state).toBe('closed');
    expect(alice.sent.at(-1)).toMatchObject({ type: 17 });
  });

  it('below the 253 sat/kW floor: feerate-too-low', () => {
    const { alice, bob } = readyPair();
    expect(sendUpdateFee(alice.node.ctx, alice.channel, 252)).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    bob.receive(byHand(alice, 252));
    expect(bob.failure?.reason).toBe('feerate-too-low');
    expect(bob.channel.state).toBe('closed');
  });

  it('far above our estimate (LDK: above 25 sat/vbyte and 10 times our fastest estimate): feerate-too-high; anchor channels have no ceiling', () => {
    // Bob's fastest estimate 600 sat/kW: the ceiling stays 6,250 and the dust exposure limit (6,000 sat) is not what binds.
    const plain = readyPair();
    plain.bob.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 600n);
    plain.bob.receive(byHand(plain.alice, 6_250));
    expect(plain.bob.failure).toBeUndefined();
    const again = readyPair();
    again.bob.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 600n);
    again.bob.receive(byHand(again.alice, 6_251));
    expect(again.bob.failure?.reason).toBe('feerate-too-high');
    // Anchors: no ceiling; only the dust exposure limit (the fee above our fastest estimate counts) bounds it, as LDK 0.1.
    const anchored = readyPair({ anchors: true });
    anchored.bob.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 2_000n);
    anchored.bob.receive(byHand(anchored.alice, 19_000));
    expect(anchored.bob.failure).toBeUndefined();
    const exposed = readyPair({ anchors: true });
    exposed.bob.receive(byHand(exposed.alice, 6_251));
    expect(exposed.bob.failure?.reason).toBe('dust-exposure-too-high');
  });

  it('a fee the funder cannot pay with the HTLCs in flight, above the reserve Bob requires: funder-cannot-pay-fee', () => {
    // Alice keeps 103,000 sat; Bob requires a reserve of 100,000 sat (1%).
    const pair = readyPair({ pushMsat: 9_897_000_000n });
    const { alice, bob } = pair;
    offer(alice, 1_000_000n, 'x');
    commit(alice);
    deliverAll(pair);
    noFailure(pair);
    // With the HTLC out of her balance (102,000 sat left), 2,000 sat/kW costs ~2,000 sat: still paid.
    const affordable = readyPair({ pushMsat: 9_897_000_000n });
    affordable.bob.receive(byHand(affordable.alice, 2_000));
    expect(affordable.bob.failure).toBeUndefined();
    expect(sendUpdateFee(alice.node.ctx, alice.channel, 3_000)).toMatchObject({ ok: false, error: { code: 'api-misuse', message: expect.stringMatching(/^funder-cannot-pay-fee/) } });
    bob.receive(byHand(alice, 3_000));
    expect(bob.failure?.reason).toBe('funder-cannot-pay-fee');
    expect(bob.channel.state).toBe('closed');
  });
});

describe('update_fee across a reconnection', () => {
  it('Bob forgets an update_fee whose commitment_signed was lost; Alice sends both again and the dance completes at the new feerate', () => {
    const pair = readyPair();
    const { alice, bob } = pair;
    offer(alice, 20_000_000n, 'r');
    commit(alice);
    deliverAll(pair);
    noFailure(pair);
    updateFee(alice, 3_000);
    commit(alice);
    expect(deliverOne(alice, bob)).toBe(134);
    expect(bob.channel.pendingFeeUpdate?.state).toBe(FeeUpdateState.RemoteAnnounced);
    // The connection drops with Alice's commitment_signed unsent.
    alice.outbox.length = 0;
    const fromAlice = ourChannelReestablish(alice.node.ctx, alice.channel);
    const fromBob = ourChannelReestablish(bob.node.ctx, bob.channel);
    bob.receive(fromAlice);
    expect(bob.channel.pendingFeeUpdate).toBeUndefined();
    expect(bob.channel.feeratePerKw).toBe(253);
    alice.receive(fromBob);
    noFailure(pair);
    expect(alice.outbox.map((m) => m.type)).toEqual([134, 132]);
    deliverAll(pair);
    noFailure(pair);
    expect([alice.channel.feeratePerKw, bob.channel.feeratePerKw]).toEqual([3_000, 3_000]);
    expect(alice.channel.pendingFeeUpdate).toBeUndefined();
    expect(bob.channel.pendingFeeUpdate).toBeUndefined();
    expect(lastStep(bob, 'latest-counterparty-commitment').feeratePerKw).toBe(3_000);
  });
});
