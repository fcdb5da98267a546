/**
 * BOLT 2 "Normal Operation" between two of our channel machines (issue 15):
 * add -> commitment_signed -> revoke_and_ack both ways -> fulfill (or fail)
 * -> the dance again, balances moved exactly; 483 HTLCs each way; every
 * commitment and HTLC transaction one side signed is verified by the other
 * and by bitcore-lib's script interpreter (test/support/interpreter.ts).
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ConfirmationTarget,
  buildCommitment,
  commitmentStateOf,
  commitmentView,
  counterpartyBalanceMsat,
  decodeChannel,
  encodeChannel,
  fulfillHtlc,
  failHtlc,
  holderCommitmentTransaction,
  failMalformedHtlc,
  type ChannelMonitorStep,
  type HtlcRecord,
} from '../../shared/channel/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX } from '../../shared/keys/index.js';
import { HtlcTransactionKind, SighashType, buildHtlcTransactions, finalizeCommitment, finalizeHtlcTransaction, p2wsh, witnessDigest } from '../../shared/tx/index.js';
import { decodeMonitorUpdate, encodeMonitorUpdate, type MonitorUpdateStep } from '../../shared/monitor/index.js';
import { verifyInput } from '../support/interpreter.js';
import { ONION, commit, deliverAll, offer, preimage, readyPair, type ReadyPair, type Side } from '../support/ready-pair.js';

function lastStep<K extends ChannelMonitorStep['kind']>(side: Side, kind: K): Extract<ChannelMonitorStep, { kind: K }> {
  const found = side.monitorSteps.filter((s) => s.kind === kind);
  if (found.length === 0) throw new Error(`${side.name}: no ${kind} step`);
  return found[found.length - 1] as Extract<ChannelMonitorStep, { kind: K }>;
}

/** Our balance (msat, HTLCs taken out) and theirs. */
function balances(side: Side): { ours: bigint; theirs: bigint } {
  return { ours: commitmentStateOf(side.channel).holderBalanceMsat, theirs: counterpartyBalanceMsat(side.channel) };
}

/**
 * `side`'s latest holder commitment as a force close broadcasts it (the
 * channel's, our signature made then: holderCommitmentTransaction; its
 * `latest-holder-commitment-summary` monitor step names it by txid) checked
 * by bitcore-lib: the commitment spending the funding output, byte for byte
 * the one `commitment_signed` used to sign at once (before session 12), and
 * each HTLC transaction with the counterparty's signature from
 * `commitment_signed` and ours (an HTLC-success one when `preimages` knows
 * its hash).
 */
function checkHolderCommitmentOnChain(side: Side, preimages: Map<string, Uint8Array>): { htlcTxs: number; verified: number } {
  const step = lastStep(side, 'latest-holder-commitment-summary');
  const ch = side.channel;
  const state = commitmentStateOf(ch);
  expect(step.commitmentNumber).toBe(state.holderCommitmentNumber);
  const signer = side.node.ctx.signerProvider.deriveChannelSigner(ch.fundingSatoshis, ch.channelKeysId);
  const built = buildCommitment(side.node.ctx, ch, signer, 'holder', state.holderCommitmentNumber, commitmentView(ch, state, 'holder'));
  // What the channel keeps (no witness, their signature) signs into the transaction a force close broadcasts.
  expect(ch.latestHolderCommitmentTx).toBeUndefined();
  const broadcast = holderCommitmentTransaction(side.node.ctx.secp, side.node.ctx.signerProvider, ch);
  if (broadcast === null) throw new Error(`${side.name}: no commitment to broadcast`);
  // The old path: our signature made at commitment_signed, the witness assembled then (the same bytes: RFC 6979).
  const oldPath = finalizeCommitment(built.commitment, signer.signWithFundingKey(witnessDigest(built.commitment.tx, 0, built.commitment.fundingScript, ch.fundingSatoshis, SighashType.All)), ch.latestHolderCommitment!.counterpartySignature);
  expect(Buffer.from(broadcast).toString('hex')).toBe(oldPath.toHex());
  const tx = Transaction.fromBuffer(Buffer.from(broadcast));
  expect(tx.getId()).toBe(built.commitment.tx.getId());
  expect(Buffer.from(step.commitmentTxid).toString('hex')).toBe(Buffer.from(tx.getHash()).toString('hex'));
  const fundingPrevout = { scriptPubKey: p2wsh(built.commitment.fundingScript), amountSat: ch.fundingSatoshis };
  expect(verifyInput(tx, 0, fundingPrevout), `${side.name} commitment ${step.commitmentNumber}`).toBe('');
  const htlcTxs = buildHtlcTransactions(built.commitment);
  expect(step.htlcSignatures).toHaveLength(htlcTxs.length);
  let verified = 0;
  htlcTxs.forEach((htlcTx, i) => {
    const h = built.htlcs[htlcTx.htlcIndex]!;
    const success = htlcTx.kind === HtlcTransactionKind.Success;
    const known = success ? preimages.get(Buffer.from(h.paymentHash).toString('hex')) : undefined;
    if (success && known === undefined) return;
    const local = signer.signWithHtlcKey(witnessDigest(htlcTx.tx, 0, htlcTx.witnessScript, htlcTx.amountSat, SighashType.All), built.perCommitmentPoint);
    const final = finalizeHtlcTransaction(htlcTx, step.htlcSignatures[i]!, local, known);
    const prevout = { scriptPubKey: tx.outs[htlcTx.commitmentOutputIndex]!.script, amountSat: htlcTx.amountSat };
    expect(verifyInput(final, 0, prevout), `${side.name} ${htlcTx.kind} of HTLC ${h.id}`).toBe('');
    // A wrong preimage does not spend it.
    if (success) expect(verifyInput(finalizeHtlcTransaction(htlcTx, step.htlcSignatures[i]!, local, new Uint8Array(32)), 0, prevout)).not.toBe('');
    verified++;
  });
  return { htlcTxs: htlcTxs.length, verified };
}

function statesOf(side: Side): string[] {
  return (side.channel.htlcs ?? []).map((h: HtlcRecord) => `${h.direction}#${h.id}:${h.state}`);
}

function noFailure(pair: ReadyPair): void {
  expect(pair.alice.failure).toBeUndefined();
  expect(pair.bob.failure).toBeUndefined();
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('the commitment dance ($name)', ({ anchors }) => {
  it('add -> commitment_signed -> revoke_and_ack both ways -> fulfill -> dance: balances moved exactly by the amount', () => {
    const pair = readyPair({ anchors });
    const { alice, bob } = pair;
    const before = { alice: balances(alice), bob: balances(bob) };
    expect(before.alice.ours).toBe(6_000_000_000n);
    expect(before.bob.ours).toBe(4_000_000_000n);
    const amount = 12_345_678n;
    const id = offer(alice, amount, 'p1');
    expect(id).toBe(0n);
    commit(alice);
    expect(alice.sent.map((m) => m.type)).toEqual([128, 132]);
    expect(statesOf(alice)).toEqual(['offered#0:local-announced']);
    expect(lastStep(alice, 'latest-counterparty-commitment')).toMatchObject({ commitmentNumber: 1n, htlcs: [{ offered: false, amountMsat: amount }] });

    deliverAll(pair);
    noFailure(pair);
    // Bob: revoke_and_ack then his commitment_signed; Alice: her revoke_and_ack.
    expect(bob.sent.map((m) => m.type)).toEqual([133, 132]);
    expect(alice.sent.map((m) => m.type)).toEqual([128, 132, 133]);
    expect(statesOf(alice)).toEqual(['offered#0:committed']);
    expect(statesOf(bob)).toEqual(['received#0:committed']);
    expect(commitmentStateOf(alice.channel)).toMatchObject({ holderCommitmentNumber: 1n, counterpartyCommitmentNumber: 1n, awaitingRemoteRevoke: false });
    expect(commitmentStateOf(bob.channel)).toMatchObject({ holderCommitmentNumber: 1n, counterpartyCommitmentNumber: 1n, awaitingRemoteRevoke: false });
    expect(lastStep(bob, 'commitment-secret').index).toBe(INITIAL_COMMITMENT_INDEX);
    expect(lastStep(alice, 'commitment-secret').index).toBe(INITIAL_COMMITMENT_INDEX);
    // The HTLC is out of the payer's balance, not yet in the payee's.
    expect(balances(alice)).toEqual({ ours: before.alice.ours - amount, theirs: before.alice.theirs });
    expect(balances(bob)).toEqual({ ours: before.bob.ours, theirs: before.bob.theirs - amount });

    // Both holder commitments, with the HTLC, signed by the other side: valid on chain.
    const preimages = new Map([[Buffer.from(sha256(preimage('p1'))).toString('hex'), preimage('p1')]]);
    expect(checkHolderCommitmentOnChain(alice, preimages)).toEqual({ htlcTxs: 1, verified: 1 }); // HTLC-timeout
    expect(checkHolderCommitmentOnChain(bob, preimages)).toEqual({ htlcTxs: 1, verified: 1 }); // HTLC-success

    // Bob fulfills.
    const fulfilled = fulfillHtlc(bob.node.ctx, bob.channel, 0n, preimage('p1'));
    if (!fulfilled.ok) throw new Error(fulfilled.error.message);
    bob.apply(fulfilled.value);
    expect(lastStep(bob, 'payment-preimage').paymentPreimage).toEqual(preimage('p1'));
    commit(bob);
    deliverAll(pair);
    noFailure(pair);
    expect(lastStep(alice, 'payment-preimage').paymentPreimage).toEqual(preimage('p1'));
    expect(alice.channel.htlcs).toBeUndefined();
    expect(bob.channel.htlcs).toBeUndefined();
    expect(balances(alice)).toEqual({ ours: before.alice.ours - amount, theirs: before.alice.theirs + amount });
    expect(balances(bob)).toEqual({ ours: before.bob.ours + amount, theirs: before.bob.theirs - amount });
    expect(commitmentStateOf(alice.channel)).toMatchObject({ holderCommitmentNumber: 2n, counterpartyCommitmentNumber: 2n, awaitingRemoteRevoke: false });
    expect(commitmentStateOf(bob.channel)).toMatchObject({ holderCommitmentNumber: 2n, counterpartyCommitmentNumber: 2n, awaitingRemoteRevoke: false });
    expect(checkHolderCommitmentOnChain(alice, preimages)).toEqual({ htlcTxs: 0, verified: 0 });
    expect(checkHolderCommitmentOnChain(bob, preimages)).toEqual({ htlcTxs: 0, verified: 0 });

    // Persisted mid-life and read back unchanged.
    for (const side of [alice, bob]) expect(decodeChannel(encodeChannel(side.channel))).toEqual({ ok: true, value: side.channel });
  });

  it('fail and fail-malformed: the amounts go back to the payer exactly', () => {
    const pair = readyPair({ anchors });
    const { alice, bob } = pair;
    const before = { alice: balances(alice), bob: balances(bob) };
    offer(alice, 5_000_000n, 'f1');
    offer(alice, 7_000_000n, 'f2');
    commit(alice);
    deliverAll(pair);
    noFailure(pair);
    expect(statesOf(bob)).toEqual(['received#0:committed', 'received#1:committed']);
    const failed = failHtlc(bob.node.ctx, bob.channel, 0n, new Uint8Array([1, 2, 3]));
    if (!failed.ok) throw new Error(failed.error.message);
    bob.apply(failed.value);
    const malformed = failMalformedHtlc(bob.node.ctx, bob.channel, 1n, sha256(ONION), 0x8000 | 0x4000 | 5);
    if (!malformed.ok) throw new Error(malformed.error.message);
    bob.apply(malformed.value);
    expect(statesOf(bob)).toEqual(['received#0:local-removed', 'received#1:local-removed']);
    commit(bob);
    expect(bob.sent.slice(-3).map((m) => m.type)).toEqual([131, 135, 132]);
    deliverAll(pair);
    noFailure(pair);
    expect(alice.channel.htlcs).toBeUndefined();
    expect(bob.channel.htlcs).toBeUndefined();
    expect(balances(alice)).toEqual(before.alice);
    expect(balances(bob)).toEqual(before.bob);
    expect(alice.monitorSteps.some((st) => st.kind === 'payment-preimage')).toBe(false);
    expect(checkHolderCommitmentOnChain(alice, new Map())).toEqual({ htlcTxs: 0, verified: 0 });
  });

  it('both sides add at once (the commitments cross): both HTLCs committed both ways, then both settled', () => {
    const pair = readyPair({ anchors });
    const { alice, bob } = pair;
    const before = { alice: balances(alice), bob: balances(bob) };
    offer(alice, 3_000_000n, 'a1');
    offer(bob, 2_000_000n, 'b1', 710);
    commit(alice);
    commit(bob);
    deliverAll(pair);
    noFailure(pair);
    expect(statesOf(alice)).toEqual(['offered#0:committed', 'received#0:committed']);
    expect(statesOf(bob)).toEqual(['offered#0:committed', 'received#0:committed']);
    const preimages = new Map(['a1', 'b1'].map((l) => [Buffer.from(sha256(preimage(l))).toString('hex'), preimage(l)]));
    expect(checkHolderCommitmentOnChain(alice, preimages)).toEqual({ htlcTxs: 2, verified: 2 });
    expect(checkHolderCommitmentOnChain(bob, preimages)).toEqual({ htlcTxs: 2, verified: 2 });
    for (const [side, label] of [[bob, 'a1'], [alice, 'b1']] as const) {
      const r = fulfillHtlc(side.node.ctx, side.channel, 0n, preimage(label));
      if (!r.ok) throw new Error(r.error.message);
      side.apply(r.value);
      commit(side);
    }
    deliverAll(pair);
    noFailure(pair);
    expect(alice.channel.htlcs).toBeUndefined();
    expect(bob.channel.htlcs).toBeUndefined();
    expect(balances(alice).ours).toBe(before.alice.ours - 3_000_000n + 2_000_000n);
    expect(balances(bob).ours).toBe(before.bob.ours + 3_000_000n - 2_000_000n);
    expect(balances(alice).theirs).toBe(balances(bob).ours);
  });
});

describe('483 HTLCs each way (BOLT 2 maximum), then all settled', () => {
  it('both sides fill the channel, commit, and settle everything (half fulfilled, half failed); every HTLC signature checks out', () => {
    const pair = readyPair();
    const { alice, bob } = pair;
    // Hundreds of dust HTLCs: a dust exposure limit (10,000 times the fastest estimate) this high lets them all through.
    for (const side of [alice, bob]) side.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 100_000n);
    const before = { alice: balances(alice), bob: balances(bob) };
    // Even ids above the dust limit (an output each), odd ones trimmed (they go to the fee).
    const amountOf = (i: number): bigint => (i % 2 === 0 ? 1_000_000n + BigInt(i) * 1000n : 300_000n);
    for (let i = 0; i < 483; i++) {
      offer(alice, amountOf(i), `a${i}`);
      offer(bob, amountOf(i), `b${i}`, 720);
    }
    // A 484th is refused by the sender itself.
    const extra = offerHtlcRefused(alice);
    expect(extra).toMatch(/too-many-htlcs/);
    commit(alice);
    commit(bob);
    deliverAll(pair);
    noFailure(pair);
    for (const side of [alice, bob]) {
      expect(side.channel.htlcs).toHaveLength(966);
      expect(side.channel.htlcs!.every((h) => h.state === 'committed')).toBe(true);
    }
    const holder = lastStep(alice, 'latest-holder-commitment-summary');
    expect(holder.htlcSignatures).toHaveLength(2 * 242);
    // A sample of the HTLC transactions through the interpreter (all of them were verified by the channel itself).
    const preimages = new Map(Array.from({ length: 8 }, (_, i) => [Buffer.from(sha256(preimage(`b${2 * i}`))).toString('hex'), preimage(`b${2 * i}`)] as const));
    expect(checkHolderCommitmentOnChain(alice, preimages)).toEqual({ htlcTxs: 484, verified: 242 + 8 });
    // Bob fulfills Alice's even HTLCs and fails her odd ones; Alice fails all of Bob's.
    let paid = 0n;
    for (let i = 0; i < 483; i++) {
      const r = i % 2 === 0 ? fulfillHtlc(bob.node.ctx, bob.channel, BigInt(i), preimage(`a${i}`)) : failHtlc(bob.node.ctx, bob.channel, BigInt(i), new Uint8Array(0));
      if (!r.ok) throw new Error(r.error.message);
      bob.apply(r.value);
      if (i % 2 === 0) paid += amountOf(i);
      const f = failHtlc(alice.node.ctx, alice.channel, BigInt(i), new Uint8Array(1));
      if (!f.ok) throw new Error(f.error.message);
      alice.apply(f.value);
    }
    commit(bob);
    commit(alice);
    deliverAll(pair);
    noFailure(pair);
    expect(alice.channel.htlcs).toBeUndefined();
    expect(bob.channel.htlcs).toBeUndefined();
    expect(balances(alice)).toEqual({ ours: before.alice.ours - paid, theirs: before.alice.theirs + paid });
    expect(balances(bob)).toEqual({ ours: before.bob.ours + paid, theirs: before.bob.theirs - paid });
    expect(checkHolderCommitmentOnChain(bob, new Map())).toEqual({ htlcTxs: 0, verified: 0 });
  }, 120_000);
});

function offerHtlcRefused(side: Side): string {
  try {
    offer(side, 1_000_000n, 'extra');
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('what the dance asks of the monitor', () => {
  it('every monitor step is a MonitorUpdateStep the monitor store round-trips, in the dance order; the channel record round-trips at every message', () => {
    const pair = readyPair({ anchors: true });
    const { alice, bob } = pair;
    offer(alice, 9_000_000n, 'm1');
    commit(alice);
    // Deliver one message at a time, checking both records each time.
    const roundTrip = (): void => {
      for (const side of [alice, bob]) expect(decodeChannel(encodeChannel(side.channel))).toEqual({ ok: true, value: side.channel });
    };
    const drain = (): void => {
      for (;;) {
        roundTrip();
        const a = alice.outbox.shift();
        if (a) bob.receive(a);
        const b = bob.outbox.shift();
        if (b) alice.receive(b);
        if (!a && !b) return;
      }
    };
    drain();
    const f = fulfillHtlc(bob.node.ctx, bob.channel, 0n, preimage('m1'));
    if (!f.ok) throw new Error(f.error.message);
    bob.apply(f.value);
    commit(bob);
    drain();
    noFailure(pair);
    expect(alice.monitorSteps.map((s) => s.kind)).toEqual([
      'latest-counterparty-commitment', // her commitment_signed (add)
      'commitment-secret', // Bob's revoke_and_ack
      'latest-holder-commitment-summary', // Bob's commitment_signed
      'payment-preimage', // Bob's update_fulfill_htlc
      'latest-holder-commitment-summary', // Bob's commitment_signed (fulfill)
      'latest-counterparty-commitment', // her commitment_signed, sent with her revoke_and_ack
      'commitment-secret', // Bob's revoke_and_ack
    ]);
    for (const side of [alice, bob]) {
      // The channel's steps are the monitor's (same kinds and fields), so the manager hands them on unchanged.
      const steps: readonly MonitorUpdateStep[] = side.monitorSteps;
      const channelId = side.channel.funding.channelId;
      steps.forEach((step, i) => {
        const update = { channelId, updateId: BigInt(i + 1), steps: [step] };
        expect(decodeMonitorUpdate(encodeMonitorUpdate(update))).toEqual({ ok: true, value: update });
      });
    }
    const counterparty = lastStep(alice, 'latest-counterparty-commitment');
    expect(counterparty.commitmentNumber).toBe(2n);
    expect(counterparty.htlcs).toEqual([]);
    expect(counterparty.toBroadcasterValueSat + counterparty.toCountersignatoryValueSat).toBeLessThan(10_000_000n);
  });
});
