/**
 * Our outputs of a force-closed channel swept to the wallet
 * (shared/monitor/sweep.ts, docs/force-close.md), for both channel types:
 * a real pair of channels (test/support/ready-pair.ts) gives each side's
 * monitor and signer and both commitments; each sweep is checked by
 * bitcore's script interpreter with the flags of the embedded regtest chain
 * (CSV included: the input's sequence must satisfy `to_self_delay`).
 * Justice: after one commitment dance Bob's commitment 0 is revoked (Alice's
 * monitor, fed the dance's updates, holds its secret); Alice takes Bob's
 * `to_local` on it at once with the revocation key. HTLC justice: a dance
 * leaves HTLCs both ways (two alike, one trimmed) on a commitment of Bob's
 * that then gets revoked; from its justice record (the monitor step split
 * as the store splits it) Alice takes every HTLC output with the
 * revocation key, in the same transaction as `to_local` and `to_remote`.
 * HTLCs on their current commitment: Bob offers Alice HTLCs, Alice claims
 * one (the channel's `payment-preimage` step reaches her monitor) before
 * her fulfill reaches Bob; on Bob's current commitment Alice takes that
 * HTLC output with the preimage, with her `to_remote`, and nothing else.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../shared/codec/index.js';
import { buildCommitment, commitmentStateOf, commitmentView, fulfillHtlc } from '../../shared/channel/index.js';
import { wasmSecp256k1 as secp } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX } from '../../shared/keys/index.js';
import {
  applyMonitorUpdate,
  channelMonitorFrom,
  splitCounterpartyCommitment,
  classifyFundingSpend,
  dustLimitOf,
  ourOutputs,
  revokedHtlcTxOutputs,
  sweepOutput,
  sweepOutputs,
  type ChannelMonitor,
  type JusticeRecord,
  type OurOutput,
} from '../../shared/monitor/index.js';
import {
  ACCEPTED_HTLC_PENALTY_WITNESS,
  ACCEPTED_HTLC_PENALTY_WITNESS_ANCHORS,
  OFFERED_HTLC_PENALTY_WITNESS,
  OFFERED_HTLC_PENALTY_WITNESS_ANCHORS,
  OFFERED_HTLC_PREIMAGE_WITNESS,
  OFFERED_HTLC_PREIMAGE_WITNESS_NO_ANCHORS,
  buildHtlcTransactions,
  feeForWeight,
  expectedSpendWeight,
  p2wpkh,
  p2wsh,
  P2WPKH_WITNESS,
  TO_LOCAL_DELAYED_WITNESS,
  TO_LOCAL_PENALTY_WITNESS,
  TO_REMOTE_ANCHORS_WITNESS,
} from '../../shared/tx/index.js';
import { verifyInput } from '../support/interpreter.js';
import { sha256 } from '../../shared/crypto/index.js';
import { broadcastCommitment, commit, deliverAll, offer, preimage, readyPair, type Side } from '../support/ready-pair.js';

const DESTINATION = p2wpkh(new Uint8Array(33).fill(2));
const FEERATE = 1_000n;

function monitorOf(side: Side): ChannelMonitor {
  return channelMonitorFrom(side.initialMonitors[0]!);
}

function signerOf(side: Side) {
  return side.node.keys.deriveChannelSigner(side.channel.fundingSatoshis, side.channel.channelKeysId);
}

function commitmentOf(side: Side): Transaction {
  return Transaction.fromBuffer(monitorOf(side).holderCommitmentTx!);
}

/** `side`'s monitor fed every update its channel produced so far, one update per step (as the manager numbers them). */
function fedMonitorOf(side: Side): ChannelMonitor {
  let monitor = monitorOf(side);
  for (const step of side.monitorSteps) {
    const applied = applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: monitor.latestUpdateId + 1n, steps: [step] });
    if (!applied.ok) throw new Error(`${side.name}: ${applied.error}`);
    monitor = applied.monitor;
  }
  return monitor;
}

/** The justice record of `side`'s counterparty commitment `n`, split from the monitor step that carried it (as the store does). */
function justiceRecordOf(side: Side, n: bigint): JusticeRecord {
  const step = side.monitorSteps.find((s) => s.kind === 'latest-counterparty-commitment' && s.commitmentNumber === n);
  if (step?.kind !== 'latest-counterparty-commitment') throw new Error(`${side.name}: no counterparty commitment ${n}`);
  return splitCounterpartyCommitment(monitorOf(side).channelId, step).record;
}

/** The output `tx` spends at input `index`, as the interpreter needs it. */
function prevoutOf(commitment: Transaction, output: OurOutput) {
  return { scriptPubKey: commitment.outs[output.outpoint.index]!.script, amountSat: output.valueSat };
}

for (const anchors of [false, true]) {
  describe(`sweeps of a closed channel (${anchors ? 'anchors' : 'static_remotekey'})`, () => {
    const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n });
    const { alice, bob } = pair;

    it('tells our commitment, theirs, a cooperative close and an unrelated transaction apart', () => {
      expect(classifyFundingSpend(monitorOf(alice), commitmentOf(alice))).toEqual({ kind: 'holder-commitment', commitmentNumber: 0n });
      expect(classifyFundingSpend(monitorOf(alice), commitmentOf(bob))).toEqual({ kind: 'counterparty-commitment', commitmentNumber: 0n });
      const close = commitmentOf(alice).clone();
      close.locktime = 0;
      close.ins[0]!.sequence = 0xffffffff;
      expect(classifyFundingSpend(monitorOf(alice), close)).toEqual({ kind: 'cooperative-close' });
      expect(ourOutputs(secp, signerOf(alice), monitorOf(alice), close)).toEqual([]);
      const other = new Transaction();
      other.addInput(new Uint8Array(32).fill(9), 0);
      other.addOutput(DESTINATION, 1_000n);
      expect(classifyFundingSpend(monitorOf(alice), other)).toEqual({ kind: 'unrelated' });
    });

    it('sweeps our to_local on our commitment after to_self_delay: witness <delayedsig> <> <script>, sequence to_self_delay, the interpreter accepts it', () => {
      const commitment = commitmentOf(alice);
      const [output, ...rest] = ourOutputs(secp, signerOf(alice), monitorOf(alice), commitment);
      expect(rest).toEqual([]);
      expect(output).toMatchObject({ kind: 'to-local', csvBlocks: alice.channel.counterparty.toSelfDelay });
      expect(commitment.outs[output!.outpoint.index]!.script).toEqual(p2wsh(output!.scriptCode));
      const sweep = sweepOutput(signerOf(alice), output!, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins[0]!.sequence).toBe(alice.channel.counterparty.toSelfDelay);
      expect(tx.ins[0]!.hash).toEqual(commitment.getHash());
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: output!.valueSat - sweep.feeSat })]);
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([TO_LOCAL_DELAYED_WITNESS], [DESTINATION])));
      expect(tx.ins[0]!.witness.map((w) => w.length)).toEqual([tx.ins[0]!.witness[0]!.length, 0, output!.scriptCode.length]);
      expect(verifyInput(tx, 0, { scriptPubKey: commitment.outs[output!.outpoint.index]!.script, amountSat: output!.valueSat })).toBe('');
      // The actual weight is within the expected (BOLT 5's witness sizes are upper bounds).
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight([TO_LOCAL_DELAYED_WITNESS], [DESTINATION]));
      // A sequence below to_self_delay fails the script's CSV.
      const early = tx.clone();
      early.ins[0]!.sequence = alice.channel.counterparty.toSelfDelay - 1;
      expect(verifyInput(early, 0, { scriptPubKey: commitment.outs[output!.outpoint.index]!.script, amountSat: output!.valueSat })).not.toBe('');
    });

    it(`sweeps our to_remote on their commitment (${anchors ? 'P2WSH, 1-block CSV' : 'P2WPKH, at once'}); the interpreter accepts it`, () => {
      const commitment = commitmentOf(alice);
      const [output, ...rest] = ourOutputs(secp, signerOf(bob), monitorOf(bob), commitment);
      expect(rest).toEqual([]);
      expect(output).toMatchObject({ kind: 'to-remote', csvBlocks: anchors ? 1 : 0, valueSat: 300_000n });
      const sweep = sweepOutput(signerOf(bob), output!, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins[0]!.sequence).toBe(anchors ? 1 : 0xfffffffd);
      const witness = anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([witness], [DESTINATION])));
      expect(sweep.amountSat).toBe(300_000n - sweep.feeSat);
      const prevout = { scriptPubKey: commitment.outs[output!.outpoint.index]!.script, amountSat: output!.valueSat };
      expect(verifyInput(tx, 0, prevout)).toBe('');
      if (anchors) {
        const early = tx.clone();
        early.ins[0]!.sequence = 0;
        expect(verifyInput(early, 0, prevout)).not.toBe('');
      }
      // Signed for this transaction only: another output amount breaks the signature.
      const altered = tx.clone();
      altered.outs[0]!.value -= 1n;
      expect(verifyInput(altered, 0, prevout)).not.toBe('');
    });

    it('finds no to_local of ours on their commitment and no to_remote on ours', () => {
      const bobOnAlice = ourOutputs(secp, signerOf(alice), monitorOf(alice), commitmentOf(bob));
      expect(bobOnAlice.map((o) => o.kind)).toEqual(['to-remote']);
      expect(ourOutputs(secp, signerOf(bob), monitorOf(bob), commitmentOf(bob)).map((o) => o.kind)).toEqual(['to-local']);
    });

    it('leaves an output below dust after fees on chain, and says so', () => {
      const [output] = ourOutputs(secp, signerOf(bob), monitorOf(bob), commitmentOf(alice));
      const feerate = (output!.valueSat * 1000n) / expectedSpendWeight([anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS], [DESTINATION]);
      const sweep = sweepOutput(signerOf(bob), output!, DESTINATION, feerate);
      expect(sweep.kind).toBe('below-dust');
      expect(sweep.feeSat + dustLimitOf(DESTINATION)).toBeGreaterThan(output!.valueSat);
      expect(dustLimitOf(DESTINATION)).toBe(294n);
      expect(dustLimitOf(p2wsh(new Uint8Array(3)))).toBe(330n);
    });
  });

  describe(`justice on a revoked counterparty commitment (${anchors ? 'anchors' : 'static_remotekey'})`, () => {
    const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n });
    const { alice, bob } = pair;
    // Bob's commitment 0, as he could still broadcast it (signed by Alice).
    const revoked = commitmentOf(bob);
    // One dance: Alice offers an HTLC and signs; Bob revokes commitment 0 (his secret reaches Alice's monitor) and signs back.
    offer(alice, 5_000_000n, 'justice');
    commit(alice);
    deliverAll(pair);
    const aliceMonitor = fedMonitorOf(alice);
    const bobLatest = broadcastCommitment(bob);
    const bobSecret0 = signerOf(bob).releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX);

    it('tells the revoked commitment by the secret the monitor holds; the latest stays an unrevoked commitment of theirs', () => {
      expect(alice.failure).toBeUndefined();
      expect(bob.failure).toBeUndefined();
      expect(classifyFundingSpend(aliceMonitor, revoked)).toEqual({ kind: 'revoked-counterparty-commitment', commitmentNumber: 0n, perCommitmentSecret: bobSecret0 });
      expect(classifyFundingSpend(aliceMonitor, bobLatest)).toEqual({ kind: 'counterparty-commitment', commitmentNumber: 1n });
      expect(ourOutputs(secp, signerOf(alice), aliceMonitor, bobLatest).map((o) => o.kind)).toEqual(['to-remote']);
      // The monitor before the dance held no secret: the same transaction was an unrevoked commitment then.
      expect(classifyFundingSpend(monitorOf(alice), revoked)).toEqual({ kind: 'counterparty-commitment', commitmentNumber: 0n });
      expect(ourOutputs(secp, signerOf(alice), monitorOf(alice), revoked).map((o) => o.kind)).toEqual(['to-remote']);
    });

    it("sweeps Bob's to_local at once with the revocation key: sequence 0xfffffffd, witness <revocation_sig> 1 <script>, the interpreter accepts it", () => {
      const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked);
      expect(outputs.map((o) => o.kind)).toEqual(['revoked-to-local', 'to-remote']);
      const justice = outputs[0]!;
      // Bob (not the funder) has the 300,000 sat pushed to him; the funder pays the commitment fee.
      expect(justice).toMatchObject({ valueSat: 300_000n, csvBlocks: 0 });
      expect(revoked.outs[justice.outpoint.index]!.script).toEqual(p2wsh(justice.scriptCode));
      const sweep = sweepOutput(signerOf(alice), justice, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins).toHaveLength(1);
      expect(tx.ins[0]!.hash).toEqual(revoked.getHash());
      expect(tx.ins[0]!.sequence).toBe(0xfffffffd);
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([TO_LOCAL_PENALTY_WITNESS], [DESTINATION])));
      expect(sweep.amountSat).toBe(300_000n - sweep.feeSat);
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: 300_000n - sweep.feeSat })]);
      expect(tx.ins[0]!.witness.slice(1).map((w) => Uint8Array.from(w))).toEqual([Uint8Array.of(1), Uint8Array.from(justice.scriptCode)]);
      expect(verifyInput(tx, 0, prevoutOf(revoked, justice))).toBe('');
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight([TO_LOCAL_PENALTY_WITNESS], [DESTINATION]));
      // Only the revealed secret makes the key: signed with the secret of Bob's next commitment, the interpreter refuses it.
      const wrong = sweepOutput(signerOf(alice), { ...justice, perCommitmentSecret: signerOf(bob).releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX - 1n) }, DESTINATION, FEERATE);
      if (wrong.kind !== 'sweep') throw new Error('expected a sweep');
      expect(verifyInput(Transaction.fromBuffer(wrong.tx), 0, prevoutOf(revoked, justice))).not.toBe('');
    });

    it('still sweeps our to_remote on the revoked commitment', () => {
      const toRemote = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked)[1]!;
      expect(toRemote).toMatchObject({ kind: 'to-remote', csvBlocks: anchors ? 1 : 0 });
      const sweep = sweepOutput(signerOf(alice), toRemote, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins[0]!.sequence).toBe(anchors ? 1 : 0xfffffffd);
      expect(sweep.amountSat).toBe(toRemote.valueSat - sweep.feeSat);
      expect(verifyInput(tx, 0, prevoutOf(revoked, toRemote))).toBe('');
    });

    it('takes both in one justice transaction (what the chain handler broadcasts): each input accepted, one output of both minus the fee', () => {
      const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked);
      const sweep = sweepOutputs(signerOf(alice), outputs, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      expect(sweep.outputs).toEqual(outputs);
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins.map((i) => i.index)).toEqual(outputs.map((o) => o.outpoint.index));
      expect(tx.ins.map((i) => i.sequence)).toEqual([0xfffffffd, anchors ? 1 : 0xfffffffd]);
      const witnesses = [TO_LOCAL_PENALTY_WITNESS, anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS];
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight(witnesses, [DESTINATION])));
      expect(sweep.amountSat).toBe(outputs[0]!.valueSat + outputs[1]!.valueSat - sweep.feeSat);
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: sweep.amountSat })]);
      for (const [i, output] of outputs.entries()) expect(verifyInput(tx, i, prevoutOf(revoked, output)), `input ${i}`).toBe('');
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight(witnesses, [DESTINATION]));
    });

    it('leaves out of a sweep an output worth less than the fee its input adds', () => {
      const [justice, toRemote] = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked);
      const marginal = feeForWeight(FEERATE, BigInt(4 * 41 + (anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS)));
      const tiny = { ...toRemote!, valueSat: marginal };
      const sweep = sweepOutputs(signerOf(alice), [justice!, tiny], DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      expect(sweep.outputs).toEqual([justice]);
      expect(Transaction.fromBuffer(sweep.tx).ins).toHaveLength(1);
      expect(sweep.amountSat).toBe(300_000n - feeForWeight(FEERATE, expectedSpendWeight([TO_LOCAL_PENALTY_WITNESS], [DESTINATION])));
      expect(sweepOutputs(signerOf(alice), [tiny], DESTINATION, FEERATE)).toMatchObject({ kind: 'below-dust', outputs: [tiny] });
    });
  });

  describe(`justice on the HTLC outputs of a revoked counterparty commitment (${anchors ? 'anchors' : 'static_remotekey'})`, () => {
    const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n });
    const { alice, bob } = pair;
    // Alice offers two alike HTLCs (same hash, amount and expiry) and one below dust; Bob offers one.
    offer(alice, 5_000_000n, 'twin');
    offer(alice, 5_000_000n, 'twin');
    offer(alice, 1_000n, 'dust');
    commit(alice);
    deliverAll(pair);
    offer(bob, 7_000_000n, 'bob', 710);
    commit(bob);
    deliverAll(pair);
    if (alice.channel.htlcs?.length !== 4) throw new Error('expected four HTLCs');
    // Bob's commitment holding all four, as he could still broadcast it.
    const revoked = broadcastCommitment(bob);
    const revokedNumber = fedMonitorOf(bob).holderCommitmentNumber;
    // Its HTLC-success and HTLC-timeout transactions, as Bob's channel builds them (unsigned: the txid is the same).
    const bobCommitment = buildCommitment(bob.node.ctx, bob.channel, signerOf(bob), 'holder', revokedNumber, commitmentView(bob.channel, commitmentStateOf(bob.channel), 'holder'));
    // One more dance revokes it.
    offer(alice, 2_000_000n, 'later');
    commit(alice);
    deliverAll(pair);
    const aliceMonitor = fedMonitorOf(alice);
    const record = justiceRecordOf(alice, revokedNumber);
    const offeredWitness = anchors ? OFFERED_HTLC_PENALTY_WITNESS_ANCHORS : OFFERED_HTLC_PENALTY_WITNESS;
    const acceptedWitness = anchors ? ACCEPTED_HTLC_PENALTY_WITNESS_ANCHORS : ACCEPTED_HTLC_PENALTY_WITNESS;

    it('finds every untrimmed HTLC output of the revoked commitment, offered and received, each output once', () => {
      expect(alice.failure).toBeUndefined();
      expect(bob.failure).toBeUndefined();
      expect(classifyFundingSpend(aliceMonitor, revoked).kind).toBe('revoked-counterparty-commitment');
      expect(record.htlcs).toHaveLength(4);
      const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked, record);
      expect(outputs.map((o) => o.kind)).toEqual(['revoked-to-local', 'to-remote', 'revoked-htlc', 'revoked-htlc', 'revoked-htlc']);
      const htlcs = outputs.filter((o) => o.kind === 'revoked-htlc');
      // On Bob's commitment Alice's HTLCs are received by him, his own offered; the dust one is trimmed.
      expect(htlcs.map((o) => [o.valueSat, o.offered]).sort()).toEqual([[5_000n, false], [5_000n, false], [7_000n, true]].sort());
      expect(new Set(htlcs.map((o) => o.outpoint.index)).size).toBe(3);
      for (const o of htlcs) {
        expect(o).toMatchObject({ csvBlocks: 0, anchors });
        expect(revoked.outs[o.outpoint.index]!.script).toEqual(p2wsh(o.scriptCode));
      }
      // The HTLC outputs are all the outputs but to_local, to_remote and the anchors.
      expect(revoked.outs.length).toBe(outputs.length + (anchors ? 2 : 0));
      // Without the record, or with another commitment's, no HTLC output is found.
      expect(ourOutputs(secp, signerOf(alice), aliceMonitor, revoked).map((o) => o.kind)).toEqual(['revoked-to-local', 'to-remote']);
      const other = justiceRecordOf(alice, revokedNumber + 1n);
      expect(ourOutputs(secp, signerOf(alice), aliceMonitor, revoked, other).map((o) => o.kind)).toEqual(['revoked-to-local', 'to-remote']);
      // The latest commitment of Bob's is not revoked: its HTLCs are not ours to take by revocation (those Alice offered are hers after their expiry).
      const latest = broadcastCommitment(bob);
      expect(ourOutputs(secp, signerOf(alice), aliceMonitor, latest, other).map((o) => o.kind)).toEqual(['to-remote', 'htlc-timeout', 'htlc-timeout', 'htlc-timeout']);
    });

    it('takes to_local, to_remote and every HTLC output in one justice transaction: each input accepted, the fee of BOLT 5 penalty witnesses', () => {
      const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked, record);
      const sweep = sweepOutputs(signerOf(alice), outputs, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      expect(sweep.outputs).toEqual(outputs);
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins.map((i) => i.index)).toEqual(outputs.map((o) => o.outpoint.index));
      expect(tx.ins.map((i) => i.sequence)).toEqual([0xfffffffd, anchors ? 1 : 0xfffffffd, 0xfffffffd, 0xfffffffd, 0xfffffffd]);
      const witnesses = [TO_LOCAL_PENALTY_WITNESS, anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS, ...outputs.slice(2).map((o) => (o.offered ? offeredWitness : acceptedWitness))];
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight(witnesses, [DESTINATION])));
      const total = outputs.reduce((sum, o) => sum + o.valueSat, 0n);
      // Bob's 300,000 sat less the 7,000 he offered; everything on the commitment but the anchors (330 sat each).
      expect(outputs[0]!.valueSat).toBe(293_000n);
      expect(total).toBe(revoked.outs.reduce((sum, o) => sum + BigInt(o.value), 0n) - (anchors ? 660n : 0n));
      expect(sweep.amountSat).toBe(total - sweep.feeSat);
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: sweep.amountSat })]);
      for (const [i, output] of outputs.entries()) expect(verifyInput(tx, i, prevoutOf(revoked, output)), `input ${i} (${output.kind})`).toBe('');
      // The HTLC witnesses: <revocation_sig> <revocationpubkey> <script>.
      for (const i of [2, 3, 4]) {
        const witness = tx.ins[i]!.witness.map((w) => Uint8Array.from(w));
        expect(witness.slice(1)).toEqual([Uint8Array.from(outputs[i]!.revocationPubkey!), Uint8Array.from(outputs[i]!.scriptCode)]);
        expect(witness[1]).toHaveLength(33);
      }
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight(witnesses, [DESTINATION]));
      // BOLT 3: with anchors the HTLC scripts carry `1 OP_CSV` (3 bytes), in the branch the revocation path does not take;
      // BOLT 5 counts a received script's expiry as 3 bytes (this one's, 700, takes 2).
      for (const o of outputs.slice(2)) {
        if (o.offered === true) expect(o.scriptCode.length).toBe(133 + (anchors ? 3 : 0));
        else expect(o.scriptCode.length).toBeLessThanOrEqual(139 + (anchors ? 3 : 0));
      }
    });

    it('signs each HTLC input with the revealed secret only: the secret of the next commitment makes a key the interpreter refuses', () => {
      const htlc = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked, record).find((o) => o.kind === 'revoked-htlc' && o.offered === true)!;
      expect(htlc.scriptCode).toBeDefined();
      const wrongSecret = signerOf(bob).releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX - revokedNumber - 1n);
      const wrong = sweepOutput(signerOf(alice), { ...htlc, perCommitmentSecret: wrongSecret }, DESTINATION, FEERATE);
      if (wrong.kind !== 'sweep') throw new Error('expected a sweep');
      expect(verifyInput(Transaction.fromBuffer(wrong.tx), 0, prevoutOf(revoked, htlc))).not.toBe('');
      const right = sweepOutput(signerOf(alice), htlc, DESTINATION, FEERATE);
      if (right.kind !== 'sweep') throw new Error('expected a sweep');
      expect(verifyInput(Transaction.fromBuffer(right.tx), 0, prevoutOf(revoked, htlc))).toBe('');
      expect(right.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([offeredWitness], [DESTINATION])));
      expect(Transaction.fromBuffer(right.tx).ins[0]!.sequence).toBe(0xfffffffd);
      // Bob's HTLC pays the hash he offered.
      expect(record.htlcs.find((h) => h.offered)!.paymentHash).toEqual(sha256(preimage('bob')));
    });

    it("takes the output of Bob's HTLC-success or HTLC-timeout transaction (second stage) at once with the revocation key: the revoked to_local script", () => {
      expect(bobCommitment.commitment.tx.getId()).toBe(revoked.getId());
      const htlcTxs = buildHtlcTransactions(bobCommitment.commitment);
      expect(htlcTxs.map((h) => h.kind).sort()).toEqual(['htlc-success', 'htlc-success', 'htlc-timeout']);
      const [justice] = ourOutputs(secp, signerOf(alice), aliceMonitor, revoked, record);
      for (const h of htlcTxs) {
        const outputs = revokedHtlcTxOutputs(secp, signerOf(alice), aliceMonitor, revoked, h.tx);
        expect(outputs).toEqual([expect.objectContaining({ kind: 'revoked-to-local', outpoint: { txid: new Uint8Array(h.tx.getHash()), index: 0 }, csvBlocks: 0, valueSat: BigInt(h.tx.outs[0]!.value) })]);
        expect(outputs[0]!.scriptCode).toEqual(justice!.scriptCode);
        const sweep = sweepOutput(signerOf(alice), outputs[0]!, DESTINATION, FEERATE);
        if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
        expect(verifyInput(Transaction.fromBuffer(sweep.tx), 0, { scriptPubKey: h.tx.outs[0]!.script, amountSat: outputs[0]!.valueSat })).toBe('');
        expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([TO_LOCAL_PENALTY_WITNESS], [DESTINATION])));
      }
      // Not a revoked commitment, or not spending it: nothing.
      const latest = broadcastCommitment(bob);
      expect(revokedHtlcTxOutputs(secp, signerOf(alice), aliceMonitor, latest, htlcTxs[0]!.tx)).toEqual([]);
      expect(revokedHtlcTxOutputs(secp, signerOf(alice), monitorOf(alice), revoked, htlcTxs[0]!.tx)).toEqual([]);
      const unrelated = htlcTxs[0]!.tx.clone();
      unrelated.ins[0]!.hash = Buffer.alloc(32, 9);
      expect(revokedHtlcTxOutputs(secp, signerOf(alice), aliceMonitor, revoked, unrelated)).toEqual([]);
    });
  });

  describe(`HTLCs they offered us on their current commitment, claimed with the preimage (${anchors ? 'anchors' : 'static_remotekey'})`, () => {
    const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n });
    const { alice, bob } = pair;
    // Bob offers Alice two HTLCs ('paid', whose preimage she will have, and 'unknown'); Alice offers Bob one.
    offer(bob, 7_000_000n, 'paid', 710);
    offer(bob, 6_000_000n, 'unknown', 720);
    commit(bob);
    deliverAll(pair);
    offer(alice, 5_000_000n, 'alice', 730);
    commit(alice);
    deliverAll(pair);
    // Bob's current commitment holding all three, and its justice record in Alice's monitor.
    const current = broadcastCommitment(bob);
    const currentNumber = fedMonitorOf(bob).holderCommitmentNumber;
    const record = justiceRecordOf(alice, currentNumber);
    const beforeClaim = fedMonitorOf(alice);
    // Alice claims 'paid' (as the manager's claim does): the preimage reaches her monitor; her fulfill is never delivered.
    const paidId = alice.channel.htlcs!.find((h) => h.direction === 'received' && equalBytes(h.paymentHash, sha256(preimage('paid'))))!.id;
    const claimed = fulfillHtlc(alice.node.ctx, alice.channel, paidId, preimage('paid'));
    if (!claimed.ok) throw new Error(claimed.error.message);
    alice.apply(claimed.value);
    const aliceMonitor = fedMonitorOf(alice);
    const witnessBytes = anchors ? OFFERED_HTLC_PREIMAGE_WITNESS : OFFERED_HTLC_PREIMAGE_WITNESS_NO_ANCHORS;
    const toRemoteWitness = anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;

    it('finds to_remote and the HTLC output Bob offered whose preimage the monitor holds, not the other HTLC of his; the one Alice offered only by its timeout', () => {
      expect(alice.failure).toBeUndefined();
      expect(bob.failure).toBeUndefined();
      expect(classifyFundingSpend(aliceMonitor, current)).toEqual({ kind: 'counterparty-commitment', commitmentNumber: currentNumber });
      expect(record.htlcs).toHaveLength(3);
      // Three HTLC outputs on Bob's commitment (to_local, to_remote, and two anchors under anchors).
      expect(current.outs).toHaveLength(5 + (anchors ? 2 : 0));
      const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, current, record);
      expect(outputs.map((o) => o.kind)).toEqual(['to-remote', 'htlc-preimage', 'htlc-timeout']);
      expect(outputs[2]).toMatchObject({ valueSat: 5_000n, cltvExpiry: 730 });
      const htlc = outputs[1]!;
      expect(htlc).toMatchObject({ valueSat: 7_000n, csvBlocks: anchors ? 1 : 0, anchors });
      expect(htlc.paymentPreimage).toEqual(preimage('paid'));
      expect(current.outs[htlc.outpoint.index]!.script).toEqual(p2wsh(htlc.scriptCode));
      expect(htlc.scriptCode.length).toBe(133 + (anchors ? 3 : 0));
      // Without the preimage in the monitor, or without the commitment's record (or with another's), only to_remote.
      expect(ourOutputs(secp, signerOf(alice), beforeClaim, current, record).map((o) => o.kind)).toEqual(['to-remote', 'htlc-timeout']);
      expect(ourOutputs(secp, signerOf(alice), aliceMonitor, current).map((o) => o.kind)).toEqual(['to-remote']);
      expect(ourOutputs(secp, signerOf(alice), aliceMonitor, current, justiceRecordOf(alice, currentNumber - 1n)).map((o) => o.kind)).toEqual(['to-remote']);
    });

    it("takes every HTLC of Bob's whose preimage the monitor holds, never the one Alice offered even when her monitor knows its preimage", () => {
      let monitor = aliceMonitor;
      for (const label of ['unknown', 'alice']) {
        const applied = applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: monitor.latestUpdateId + 1n, steps: [{ kind: 'payment-preimage', paymentPreimage: preimage(label) }] });
        if (!applied.ok) throw new Error(applied.error);
        monitor = applied.monitor;
      }
      const all = ourOutputs(secp, signerOf(alice), monitor, current, record);
      expect(all.map((o) => o.kind)).toEqual(['to-remote', 'htlc-preimage', 'htlc-preimage', 'htlc-timeout']);
      const outputs = all.slice(0, 3);
      expect(outputs[1]!.outpoint.index).toBeLessThan(outputs[2]!.outpoint.index);
      expect(outputs.slice(1).map((o) => o.valueSat).sort()).toEqual([6_000n, 7_000n]);
      expect(outputs.slice(1).map((o) => o.paymentPreimage)).toEqual(outputs.slice(1).map((o) => preimage(o.valueSat === 7_000n ? 'paid' : 'unknown')));
      const sweep = sweepOutputs(signerOf(alice), outputs, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      for (const [i, output] of outputs.entries()) expect(verifyInput(tx, i, prevoutOf(current, output)), `input ${i}`).toBe('');
      // Alice's HTLC (5,000 sat) is not claimed by a preimage: received by Bob, its preimage path is Bob's; hers is the timeout.
      expect(all[3]).toMatchObject({ kind: 'htlc-timeout', valueSat: 5_000n });
    });

    it('takes to_remote and the HTLC output in one transaction: witness <htlcsig> <preimage> <script>, each input accepted by the interpreter, the fee of the expected weights', () => {
      // Without the timeout output (it would hold the sweep until its expiry).
      const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, current, record).filter((o) => o.kind !== 'htlc-timeout');
      const sweep = sweepOutputs(signerOf(alice), outputs, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      expect(sweep.outputs).toEqual(outputs);
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins.map((i) => i.index)).toEqual(outputs.map((o) => o.outpoint.index));
      expect(tx.ins.map((i) => i.sequence)).toEqual(anchors ? [1, 1] : [0xfffffffd, 0xfffffffd]);
      const witnesses = [toRemoteWitness, witnessBytes];
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight(witnesses, [DESTINATION])));
      expect(sweep.amountSat).toBe(outputs[0]!.valueSat + 7_000n - sweep.feeSat);
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: sweep.amountSat })]);
      for (const [i, output] of outputs.entries()) expect(verifyInput(tx, i, prevoutOf(current, output)), `input ${i} (${output.kind})`).toBe('');
      const witness = tx.ins[1]!.witness.map((w) => Uint8Array.from(w));
      expect(witness.slice(1)).toEqual([preimage('paid'), Uint8Array.from(outputs[1]!.scriptCode)]);
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight(witnesses, [DESTINATION]));
    });

    it('signs the HTLC input with our htlc key for their point and the right preimage only; under anchors not before one block', () => {
      const htlc = ourOutputs(secp, signerOf(alice), aliceMonitor, current, record)[1]!;
      const right = sweepOutput(signerOf(alice), htlc, DESTINATION, FEERATE);
      if (right.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(right.tx);
      expect(verifyInput(tx, 0, prevoutOf(current, htlc))).toBe('');
      expect(right.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([witnessBytes], [DESTINATION])));
      const wrongPreimage = sweepOutput(signerOf(alice), { ...htlc, paymentPreimage: preimage('unknown') }, DESTINATION, FEERATE);
      if (wrongPreimage.kind !== 'sweep') throw new Error('expected a sweep');
      expect(verifyInput(Transaction.fromBuffer(wrongPreimage.tx), 0, prevoutOf(current, htlc))).not.toBe('');
      // Our key for another commitment's point is not remote_htlcpubkey of this one.
      const otherPoint = signerOf(bob).perCommitmentPoint(INITIAL_COMMITMENT_INDEX - currentNumber - 1n);
      const wrongKey = sweepOutput(signerOf(alice), { ...htlc, perCommitmentPoint: otherPoint }, DESTINATION, FEERATE);
      if (wrongKey.kind !== 'sweep') throw new Error('expected a sweep');
      expect(verifyInput(Transaction.fromBuffer(wrongKey.tx), 0, prevoutOf(current, htlc))).not.toBe('');
      if (anchors) {
        const early = tx.clone();
        early.ins[0]!.sequence = 0;
        expect(verifyInput(early, 0, prevoutOf(current, htlc))).not.toBe('');
      }
    });
  });
}
