/**
 * The commitment dance under random schedules (issue 15): both sides offer,
 * fulfill, fail and sign whenever they may, and messages cross in flight
 * (each direction in order, the two interleaved at random). Whatever the
 * schedule: no channel fails, no money is created or lost on either side,
 * and once everything is delivered and settled both sides agree on the
 * balances and on each other's latest commitment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commitmentStateOf,
  counterpartyBalanceMsat,
  failHtlc,
  fulfillHtlc,
  needsCommitment,
  offerHtlc,
  sendCommitmentSigned,
  sendUpdateFee,
  type ChannelMonitorStep,
} from '../../shared/channel/index.js';
import { bytesToHex } from '../../shared/codec/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { ONION, preimage, readyPair, type ReadyPair, type Side } from '../support/ready-pair.js';

type Op =
  | { readonly kind: 'offer'; readonly alice: boolean; readonly amountSat: number }
  | { readonly kind: 'settle'; readonly alice: boolean; readonly fulfill: boolean; readonly pick: number }
  | { readonly kind: 'commit'; readonly alice: boolean }
  | { readonly kind: 'deliver'; readonly toBob: boolean }
  | { readonly kind: 'fee'; readonly feeratePerKw: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('offer' as const), alice: fc.boolean(), amountSat: fc.integer({ min: 1, max: 200_000 }) }),
  fc.record({ kind: fc.constant('settle' as const), alice: fc.boolean(), fulfill: fc.boolean(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('commit' as const), alice: fc.boolean() }),
  fc.record({ kind: fc.constant('deliver' as const), toBob: fc.boolean() }),
  fc.record({ kind: fc.constant('deliver' as const), toBob: fc.boolean() }),
);

/** The same schedules with Alice, the funder, changing the feerate now and then (`update_fee`, docs/htlcs.md "Fee updates"). */
const withFeeArb: fc.Arbitrary<Op> = fc.oneof(opArb, opArb, opArb, fc.record({ kind: fc.constant('fee' as const), feeratePerKw: fc.integer({ min: 253, max: 1_500 }) }));

let labels = 0;
const feeStats = { updates: 0, crossed: 0 };
const stats = { offers: 0, crossed: 0, commitments: 0 };

function run(pair: ReadyPair, op: Op): void {
  const { alice, bob } = pair;
  switch (op.kind) {
    case 'offer': {
      const side = op.alice ? alice : bob;
      const label = `r${labels++}`;
      const r = offerHtlc(side.node.ctx, side.channel, { amountMsat: BigInt(op.amountSat) * 1000n, paymentHash: sha256(preimage(label)), cltvExpiry: 800, onionRoutingPacket: ONION });
      if (r.ok) {
        side.apply(r.value);
        stats.offers++;
      }
      return;
    }
    case 'settle': {
      const side = op.alice ? alice : bob;
      const committed = (side.channel.htlcs ?? []).filter((h) => h.direction === 'received' && h.state === 'committed');
      const h = committed[op.pick % Math.max(1, committed.length)];
      if (h === undefined) return;
      const label = LABELS.get(Buffer.from(h.paymentHash).toString('hex'))!;
      const r = op.fulfill ? fulfillHtlc(side.node.ctx, side.channel, h.id, preimage(label)) : failHtlc(side.node.ctx, side.channel, h.id, new Uint8Array(0));
      if (r.ok) side.apply(r.value);
      return;
    }
    case 'commit': {
      const side = op.alice ? alice : bob;
      const other = op.alice ? bob : alice;
      const r = sendCommitmentSigned(side.node.ctx, side.channel);
      if (r.ok) {
        side.apply(r.value);
        // Both now wait for a revocation: their commitment_signed messages cross.
        if (commitmentStateOf(other.channel).awaitingRemoteRevoke) stats.crossed++;
      }
      return;
    }
    case 'fee': {
      const r = sendUpdateFee(alice.node.ctx, alice.channel, op.feeratePerKw);
      if (r.ok) {
        alice.apply(r.value);
        feeStats.updates++;
        // Bob's own commitment_signed is on its way while the fee update goes out.
        if (commitmentStateOf(bob.channel).awaitingRemoteRevoke) feeStats.crossed++;
      }
      return;
    }
    case 'deliver': {
      const [from, to] = op.toBob ? [alice, bob] : [bob, alice];
      const m = from.outbox.shift();
      if (m) to.receive(m);
      return;
    }
  }
}

/** Payment hash (hex) -> its label, for every label used (filled lazily). */
const LABELS = new Map<string, string>();
function remember(count: number): void {
  for (let i = 0; i < count; i++) LABELS.set(Buffer.from(sha256(preimage(`r${i}`))).toString('hex'), `r${i}`);
}

function conserved(side: Side): void {
  const state = commitmentStateOf(side.channel);
  const inHtlcs = (side.channel.htlcs ?? []).reduce((s, h) => s + h.amountMsat, 0n);
  expect(state.holderBalanceMsat + counterpartyBalanceMsat(side.channel) + inHtlcs).toBe(side.channel.fundingSatoshis * 1000n);
  expect(state.holderBalanceMsat >= 0n && counterpartyBalanceMsat(side.channel) >= 0n).toBe(true);
}

function lastOf<K extends ChannelMonitorStep['kind']>(side: Side, kind: K): Extract<ChannelMonitorStep, { kind: K }> | undefined {
  return side.monitorSteps.filter((s) => s.kind === kind).pop() as Extract<ChannelMonitorStep, { kind: K }> | undefined;
}

/** Both sides agree once settled: balances, commitment numbers, each other's latest commitment, the feerate. */
function agreeOnceSettled(pair: ReadyPair): void {
  quiesce(pair);
  expect(pair.alice.failure ?? pair.bob.failure).toBeUndefined();
  const a = commitmentStateOf(pair.alice.channel);
  const b = commitmentStateOf(pair.bob.channel);
  expect(a.holderBalanceMsat).toBe(counterpartyBalanceMsat(pair.bob.channel));
  expect(b.holderBalanceMsat).toBe(counterpartyBalanceMsat(pair.alice.channel));
  expect(a.holderCommitmentNumber).toBe(b.counterpartyCommitmentNumber);
  expect(b.holderCommitmentNumber).toBe(a.counterpartyCommitmentNumber);
  // Each side's latest commitment is the very transaction the other signed.
  for (const [holder, signer] of [[pair.alice, pair.bob], [pair.bob, pair.alice]] as const) {
    const mine = lastOf(holder, 'latest-holder-commitment-summary');
    const theirs = lastOf(signer, 'latest-counterparty-commitment');
    if (mine === undefined || theirs === undefined) continue;
    expect(mine.commitmentNumber).toBe(theirs.commitmentNumber);
    expect(bytesToHex(mine.commitmentTxid)).toBe(bytesToHex(theirs.commitmentTxid));
  }
  // Nothing is left in flight: the two balances are the whole channel, one feerate on both sides.
  expect(a.holderBalanceMsat + b.holderBalanceMsat).toBe(pair.alice.channel.fundingSatoshis * 1000n);
  expect(pair.alice.channel.pendingFeeUpdate).toBeUndefined();
  expect(pair.bob.channel.pendingFeeUpdate).toBeUndefined();
  expect(pair.alice.channel.feeratePerKw).toBe(pair.bob.channel.feeratePerKw);
}

/** Delivers, signs and settles until nothing is left in flight. */
function quiesce(pair: ReadyPair): void {
  for (let round = 0; round < 2000; round++) {
    const { alice, bob } = pair;
    if (alice.outbox.length > 0) {
      bob.receive(alice.outbox.shift()!);
      continue;
    }
    if (bob.outbox.length > 0) {
      alice.receive(bob.outbox.shift()!);
      continue;
    }
    let acted = false;
    for (const side of [alice, bob]) {
      if (commitmentStateOf(side.channel).awaitingRemoteRevoke) continue;
      for (const h of side.channel.htlcs ?? []) {
        if (h.direction !== 'received' || h.state !== 'committed') continue;
        const label = LABELS.get(Buffer.from(h.paymentHash).toString('hex'))!;
        const r = fulfillHtlc(side.node.ctx, side.channel, h.id, preimage(label));
        if (r.ok) side.apply(r.value);
      }
      if (needsCommitment(side.channel)) {
        const r = sendCommitmentSigned(side.node.ctx, side.channel);
        if (r.ok) {
          side.apply(r.value);
          acted = true;
        }
      }
    }
    if (!acted && (alice.channel.htlcs ?? []).length === 0 && (bob.channel.htlcs ?? []).length === 0) return;
    if (!acted && alice.outbox.length === 0 && bob.outbox.length === 0) throw new Error(`stuck: ${JSON.stringify((alice.channel.htlcs ?? []).map((h) => h.state))} / ${JSON.stringify((bob.channel.htlcs ?? []).map((h) => h.state))}`);
  }
  throw new Error('did not settle');
}

describe('the commitment dance under random schedules', () => {
  it('no failure, money conserved at every step, and both sides agree once settled', () => {
    remember(5000);
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 60 }), fc.boolean(), (ops, anchors) => {
        const pair = readyPair({ anchors });
        for (const op of ops) {
          run(pair, op);
          expect(pair.alice.failure, JSON.stringify(op)).toBeUndefined();
          expect(pair.bob.failure, JSON.stringify(op)).toBeUndefined();
          conserved(pair.alice);
          conserved(pair.bob);
        }
        agreeOnceSettled(pair);
        stats.commitments += pair.alice.sent.filter((m) => m.type === 132).length + pair.bob.sent.filter((m) => m.type === 132).length;
      }),
      { numRuns: 100, seed: 15 },
    );
    // The schedules did exercise the dance (with this seed: 182 HTLCs, 10 crossings, 495 commitment_signed).
    expect(stats.offers).toBeGreaterThan(150);
    expect(stats.crossed).toBeGreaterThan(5);
    expect(stats.commitments).toBeGreaterThan(400);
  }, 300_000);

  it('with update_fee from the funder among the updates: no failure, money conserved, both sides agree on the feerate once settled', () => {
    remember(10_000);
    fc.assert(
      fc.property(fc.array(withFeeArb, { minLength: 5, maxLength: 60 }), fc.boolean(), (ops, anchors) => {
        const pair = readyPair({ anchors });
        for (const op of ops) {
          run(pair, op);
          expect(pair.alice.failure, JSON.stringify(op)).toBeUndefined();
          expect(pair.bob.failure, JSON.stringify(op)).toBeUndefined();
          conserved(pair.alice);
          conserved(pair.bob);
        }
        agreeOnceSettled(pair);
      }),
      { numRuns: 60, seed: 134 },
    );
    // The schedules did move the feerate, some of the time across Bob's commitment_signed.
    expect(feeStats.updates).toBeGreaterThan(30);
    expect(feeStats.crossed).toBeGreaterThan(0);
  }, 300_000);
});
