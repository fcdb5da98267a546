/**
 * HTLC claims on chain (shared/monitor/htlc-claims.ts, the `htlc-timeout`
 * outputs of shared/monitor/sweep.ts; docs/force-close.md), over a real
 * pair of channels (test/support/ready-pair.ts) and checked by bitcore's
 * script interpreter with the regtest chain's flags (CLTV and CSV
 * included).
 * - On Bob's current commitment, the HTLC Alice offered is hers again after
 *   its `cltv_expiry`: the sweep's nLockTime is that expiry, one below is
 *   refused.
 * - On Alice's own latest commitment: her HTLC-timeout of the HTLC she
 *   offered, her HTLC-success of the one she was paid (preimage in her
 *   monitor), nothing for the one she was not; the counterparty's
 *   signatures paired with the HTLCs in output order (a monitor with two
 *   swapped gives no transaction for them); the output of each swept after
 *   `to_self_delay`.
 * - The preimage found in an HTLC-success witness, not in a timeout one.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { buildCommitment, commitmentStateOf, commitmentView, fulfillHtlc } from '../../shared/channel/index.js';
import { equalBytes } from '../../shared/codec/index.js';
import { sha256, wasmSecp256k1 as secp } from '../../shared/crypto/index.js';
import {
  applyMonitorUpdate,
  channelMonitorFrom,
  holderHtlcTransactions,
  holderHtlcTxOutputs,
  ourOutputs,
  preimagesRevealed,
  splitCounterpartyCommitment,
  sweepOutputs,
  type ChannelMonitor,
  type JusticeRecord,
  type OurOutput,
} from '../../shared/monitor/index.js';
import {
  ACCEPTED_HTLC_TIMEOUT_WITNESS,
  ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS,
  ChannelType,
  P2WPKH_WITNESS,
  TO_LOCAL_DELAYED_WITNESS,
  TO_REMOTE_ANCHORS_WITNESS,
  buildHtlcTransactions,
  expectedSpendWeight,
  feeForWeight,
  htlcSuccessFeeSat,
  htlcTimeoutFeeSat,
  p2wpkh,
  p2wsh,
} from '../../shared/tx/index.js';
import { verifyInput } from '../support/interpreter.js';
import { broadcastCommitment, commit, deliverAll, offer, preimage, readyPair, type Side } from '../support/ready-pair.js';

const DESTINATION = p2wpkh(new Uint8Array(33).fill(2));
const FEERATE = 1_000n;
/** readyPair's commitment feerate. */
const COMMITMENT_FEERATE = 253n;

function signerOf(side: Side) {
  return side.node.keys.deriveChannelSigner(side.channel.fundingSatoshis, side.channel.channelKeysId);
}

/** `side`'s monitor fed every update its channel produced so far, one update per step. */
function fedMonitorOf(side: Side): ChannelMonitor {
  let monitor = channelMonitorFrom(side.initialMonitors[0]!);
  for (const step of side.monitorSteps) {
    const applied = applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: monitor.latestUpdateId + 1n, steps: [step] });
    if (!applied.ok) throw new Error(`${side.name}: ${applied.error}`);
    monitor = applied.monitor;
  }
  return monitor;
}

/** The justice record of `side`'s counterparty commitment `n`, split from the step that carried it (as the store does). */
function justiceRecordOf(side: Side, n: bigint): JusticeRecord {
  const step = side.monitorSteps.find((s) => s.kind === 'latest-counterparty-commitment' && s.commitmentNumber === n);
  if (step?.kind !== 'latest-counterparty-commitment') throw new Error(`${side.name}: no counterparty commitment ${n}`);
  return splitCounterpartyCommitment(side.initialMonitors[0]!.channelId, step).record;
}

function prevoutOf(tx: Transaction, output: OurOutput) {
  return { scriptPubKey: tx.outs[output.outpoint.index]!.script, amountSat: output.valueSat };
}

/**
 * Bob offers Alice 'paid' (7,000 sat, expiry 710) and 'unpaid' (6,000 sat,
 * 720); Alice offers Bob 'alice' (5,000 sat, 730); both latest commitments
 * hold all three. Then Alice claims 'paid' (the preimage reaches her
 * monitor), her fulfill never delivered.
 */
function threeHtlcs(anchors: boolean, feerate = COMMITMENT_FEERATE) {
  const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n, feerate });
  const { alice, bob } = pair;
  offer(bob, 7_000_000n, 'paid', 710);
  offer(bob, 6_000_000n, 'unpaid', 720);
  commit(bob);
  deliverAll(pair);
  offer(alice, 5_000_000n, 'alice', 730);
  commit(alice);
  deliverAll(pair);
  const beforeClaim = fedMonitorOf(alice);
  // Alice's latest commitment as her channel builds it (unsigned: same txid), with its HTLC transactions.
  const built = buildCommitment(alice.node.ctx, alice.channel, signerOf(alice), 'holder', beforeClaim.holderCommitmentNumber, commitmentView(alice.channel, commitmentStateOf(alice.channel), 'holder'));
  const paidId = alice.channel.htlcs!.find((h) => h.direction === 'received' && equalBytes(h.paymentHash, sha256(preimage('paid'))))!.id;
  const claimed = fulfillHtlc(alice.node.ctx, alice.channel, paidId, preimage('paid'));
  if (!claimed.ok) throw new Error(claimed.error.message);
  alice.apply(claimed.value);
  return { alice, bob, beforeClaim, built, aliceMonitor: fedMonitorOf(alice), bobMonitor: fedMonitorOf(bob) };
}

for (const anchors of [false, true]) {
  describe(`HTLC-timeout of an HTLC we offered, on their current commitment (${anchors ? 'anchors' : 'static_remotekey'})`, () => {
    const { alice, bob, aliceMonitor, bobMonitor } = threeHtlcs(anchors);
    const current = broadcastCommitment(bob);
    const record = justiceRecordOf(alice, bobMonitor.holderCommitmentNumber);
    // Alice holds the preimage of 'paid' only: 'unpaid' (Bob's) is not hers; 'alice' (hers) is hers after 730.
    const outputs = ourOutputs(secp, signerOf(alice), aliceMonitor, current, record);
    const timeoutWitness = anchors ? ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS : ACCEPTED_HTLC_TIMEOUT_WITNESS;
    const toRemoteWitness = anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;

    it('lists to_remote, the HTLC Bob offered whose preimage Alice holds, then the one Alice offered as htlc-timeout with its cltv_expiry', () => {
      expect(alice.failure).toBeUndefined();
      expect(bob.failure).toBeUndefined();
      expect(outputs.map((o) => o.kind)).toEqual(['to-remote', 'htlc-preimage', 'htlc-timeout']);
      const timeout = outputs[2]!;
      expect(timeout).toMatchObject({ valueSat: 5_000n, cltvExpiry: 730, csvBlocks: anchors ? 1 : 0, anchors });
      expect(current.outs[timeout.outpoint.index]!.script).toEqual(p2wsh(timeout.scriptCode));
      // BOLT 3's received HTLC script (from Bob's side), 3 bytes longer under anchors; a 2-byte cltv_expiry here.
      expect(timeout.scriptCode.length).toBe(138 + (anchors ? 3 : 0));
      // Without the preimage: to_remote and the timeout output only.
      const early = threeHtlcs(anchors);
      const bobCurrent = broadcastCommitment(early.bob);
      const rec = justiceRecordOf(early.alice, early.bobMonitor.holderCommitmentNumber);
      expect(ourOutputs(secp, signerOf(early.alice), early.beforeClaim, bobCurrent, rec).map((o) => o.kind)).toEqual(['to-remote', 'htlc-timeout']);
    });

    it('sweeps to_remote and the timeout output with nLockTime = cltv_expiry: each input accepted, one block earlier refused, the BOLT 5 fee', () => {
      const taken = [outputs[0]!, outputs[2]!];
      const sweep = sweepOutputs(signerOf(alice), taken, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.locktime).toBe(730);
      expect(tx.ins.map((i) => i.sequence)).toEqual(anchors ? [1, 1] : [0xfffffffd, 0xfffffffd]);
      const witnesses = [toRemoteWitness, timeoutWitness];
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight(witnesses, [DESTINATION])));
      expect(sweep.amountSat).toBe(taken[0]!.valueSat + 5_000n - sweep.feeSat);
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: sweep.amountSat })]);
      for (const [i, output] of taken.entries()) expect(verifyInput(tx, i, prevoutOf(current, output)), `input ${i} (${output.kind})`).toBe('');
      // Witness <remote_htlcsig> <> <script>.
      const witness = tx.ins[1]!.witness.map((w) => Uint8Array.from(w));
      expect(witness.slice(1)).toEqual([new Uint8Array(0), Uint8Array.from(taken[1]!.scriptCode)]);
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight(witnesses, [DESTINATION]));
      // The script's CLTV: the same sweep signed with nLockTime one block before cltv_expiry is refused, for its locktime.
      const early = sweepOutputs(signerOf(alice), [taken[0]!, { ...taken[1]!, cltvExpiry: 729 }], DESTINATION, FEERATE);
      if (early.kind !== 'sweep') throw new Error('expected a sweep');
      const earlyTx = Transaction.fromBuffer(early.tx);
      expect(earlyTx.locktime).toBe(729);
      expect(verifyInput(earlyTx, 0, prevoutOf(current, taken[0]!))).toBe('');
      expect(verifyInput(earlyTx, 1, prevoutOf(current, taken[1]!))).toMatch(/LOCKTIME/i);
      if (anchors) {
        const noCsv = tx.clone();
        noCsv.ins[1]!.sequence = 0;
        expect(verifyInput(noCsv, 1, prevoutOf(current, taken[1]!))).not.toBe('');
      }
    });

    it('keeps a larger locktime given, and the largest cltv_expiry among the inputs', () => {
      const later = sweepOutputs(signerOf(alice), [outputs[2]!], DESTINATION, FEERATE, 800);
      if (later.kind !== 'sweep') throw new Error('expected a sweep');
      expect(Transaction.fromBuffer(later.tx).locktime).toBe(800);
      const two = sweepOutputs(signerOf(alice), [outputs[2]!, { ...outputs[2]!, cltvExpiry: 740 }], DESTINATION, FEERATE);
      if (two.kind !== 'sweep') throw new Error('expected a sweep');
      expect(Transaction.fromBuffer(two.tx).locktime).toBe(740);
      // No timeout input: the locktime given (0 by default).
      const none = sweepOutputs(signerOf(alice), [outputs[0]!], DESTINATION, FEERATE);
      if (none.kind !== 'sweep') throw new Error('expected a sweep');
      expect(Transaction.fromBuffer(none.tx).locktime).toBe(0);
    });

    it('signs with our htlc key for their point only', () => {
      const timeout = outputs[2]!;
      const otherPoint = signerOf(bob).perCommitmentPoint(0n);
      const wrong = sweepOutputs(signerOf(alice), [{ ...timeout, perCommitmentPoint: otherPoint }], DESTINATION, FEERATE);
      if (wrong.kind !== 'sweep') throw new Error('expected a sweep');
      expect(verifyInput(Transaction.fromBuffer(wrong.tx), 0, prevoutOf(current, timeout))).not.toBe('');
    });
  });
}

describe('our HTLC transactions on our latest commitment (static_remotekey)', () => {
  const { alice, bob, built, aliceMonitor, beforeClaim } = threeHtlcs(false);
  const commitment = broadcastCommitment(alice);
  const htlcTxs = holderHtlcTransactions(secp, signerOf(alice), aliceMonitor, commitment);
  const channelHtlcTxs = buildHtlcTransactions(built.commitment);
  const timeout = htlcTxs.find((h) => h.offered);
  const success = htlcTxs.find((h) => !h.offered);

  it('makes an HTLC-timeout for the HTLC Alice offered and an HTLC-success for the one she was paid, none for the one without preimage', () => {
    expect(alice.failure).toBeUndefined();
    expect(bob.failure).toBeUndefined();
    expect(aliceMonitor.holderHtlcs).toHaveLength(3);
    // The HTLC set is not kept in output order, the signatures are: pairing them by list position would be wrong.
    const indices = aliceMonitor.holderHtlcs!.map((h) => h.transactionOutputIndex!);
    expect(indices).not.toEqual([...indices].sort((a, b) => a - b));
    expect(htlcTxs).toHaveLength(2);
    expect(htlcTxs.map((h) => h.offered)).toEqual(htlcTxs[0]!.offered ? [true, false] : [false, true]);
    expect(timeout!.paymentHash).toEqual(sha256(preimage('alice')));
    expect(success!.paymentHash).toEqual(sha256(preimage('paid')));
    // The same transactions the channel had Bob sign (same txids), the BOLT 3 fees at the commitment's feerate.
    expect(htlcTxs.map((h) => h.txid).sort(Buffer.compare)).toEqual(
      channelHtlcTxs.filter((h) => h.tx.outs[0]!.value !== 6_000n - htlcSuccessFeeSat(ChannelType.StaticRemoteKey, COMMITMENT_FEERATE)).map((h) => new Uint8Array(h.tx.getHash())).sort(Buffer.compare),
    );
    expect(timeout).toMatchObject({ locktime: 730, outputSat: 5_000n - htlcTimeoutFeeSat(ChannelType.StaticRemoteKey, COMMITMENT_FEERATE) });
    expect(success).toMatchObject({ locktime: 0, outputSat: 7_000n - htlcSuccessFeeSat(ChannelType.StaticRemoteKey, COMMITMENT_FEERATE) });
    for (const h of htlcTxs) {
      const tx = Transaction.fromBuffer(h.tx);
      expect(tx.locktime).toBe(h.locktime);
      expect(new Uint8Array(tx.getHash())).toEqual(h.txid);
      expect(tx.ins.map((i) => [new Uint8Array(i.hash), i.index, i.sequence])).toEqual([[new Uint8Array(commitment.getHash()), h.spends.index, 0]]);
      expect(h.spends.txid).toEqual(new Uint8Array(commitment.getHash()));
    }
    // Before the claim: the timeout only.
    expect(holderHtlcTransactions(secp, signerOf(alice), beforeClaim, commitment).map((h) => h.offered)).toEqual([true]);
  });

  it('each is accepted by the interpreter against the commitment output it spends (both signatures checked)', () => {
    for (const h of htlcTxs) {
      const tx = Transaction.fromBuffer(h.tx);
      const prevout = commitment.outs[h.spends.index]!;
      expect(verifyInput(tx, 0, { scriptPubKey: prevout.script, amountSat: BigInt(prevout.value) }), h.offered ? 'timeout' : 'success').toBe('');
      const witness = tx.ins[0]!.witness.map((w) => Uint8Array.from(w));
      expect(witness).toHaveLength(5);
      expect(witness[0]).toEqual(new Uint8Array(0));
      expect(witness[3]).toEqual(h.offered ? new Uint8Array(0) : preimage('paid'));
      // Our signature in the counterparty's place (or theirs twice) fails the 2-of-2.
      const oneSided = tx.clone();
      oneSided.ins[0]!.witness = [witness[0]!, witness[2]!, witness[2]!, witness[3]!, witness[4]!].map((w) => Buffer.from(w));
      expect(verifyInput(oneSided, 0, { scriptPubKey: prevout.script, amountSat: BigInt(prevout.value) })).not.toBe('');
    }
  });

  it('a monitor with two counterparty signatures swapped gives no transaction for them (never one the chain refuses)', () => {
    const sigs = [...aliceMonitor.holderHtlcSignatures];
    const order = [...aliceMonitor.holderHtlcs!].sort((a, b) => a.transactionOutputIndex! - b.transactionOutputIndex!);
    const t = order.findIndex((h) => h.offered);
    const s = order.findIndex((h) => equalBytes(h.paymentHash, sha256(preimage('paid'))));
    [sigs[t], sigs[s]] = [sigs[s]!, sigs[t]!];
    expect(holderHtlcTransactions(secp, signerOf(alice), { ...aliceMonitor, holderHtlcSignatures: sigs }, commitment)).toEqual([]);
    // Swapping the unused one with the timeout's: only the success remains.
    const u = order.findIndex((h) => equalBytes(h.paymentHash, sha256(preimage('unpaid'))));
    const other = [...aliceMonitor.holderHtlcSignatures];
    [other[t], other[u]] = [other[u]!, other[t]!];
    expect(holderHtlcTransactions(secp, signerOf(alice), { ...aliceMonitor, holderHtlcSignatures: other }, commitment).map((h) => h.txid)).toEqual([success!.txid]);
    // A signature count not matching the HTLC outputs: none.
    expect(holderHtlcTransactions(secp, signerOf(alice), { ...aliceMonitor, holderHtlcSignatures: sigs.slice(1) }, commitment)).toEqual([]);
  });

  it('makes none for a commitment that is not our latest', () => {
    expect(holderHtlcTransactions(secp, signerOf(alice), aliceMonitor, broadcastCommitment(bob))).toEqual([]);
    expect(holderHtlcTransactions(secp, signerOf(alice), aliceMonitor, Transaction.fromBuffer(alice.initialMonitors[0]!.holderCommitmentTx))).toEqual([]);
  });

  it("sweeps each one's output after to_self_delay: a to-local output, accepted with sequence = to_self_delay, refused one block earlier", () => {
    const toSelfDelay = alice.channel.counterparty.toSelfDelay;
    for (const h of htlcTxs) {
      const htlcTx = Transaction.fromBuffer(h.tx);
      const outputs = holderHtlcTxOutputs(signerOf(alice), aliceMonitor, commitment, htlcTx);
      expect(outputs).toEqual([expect.objectContaining({ kind: 'to-local', outpoint: { txid: h.txid, index: 0 }, valueSat: h.outputSat, csvBlocks: toSelfDelay })]);
      const sweep = sweepOutputs(signerOf(alice), outputs, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins[0]!.sequence).toBe(toSelfDelay);
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([TO_LOCAL_DELAYED_WITNESS], [DESTINATION])));
      expect(sweep.amountSat).toBe(h.outputSat - sweep.feeSat);
      const prevout = { scriptPubKey: htlcTx.outs[0]!.script, amountSat: h.outputSat };
      expect(verifyInput(tx, 0, prevout)).toBe('');
      const early = tx.clone();
      early.ins[0]!.sequence = toSelfDelay - 1;
      expect(verifyInput(early, 0, prevout)).not.toBe('');
    }
    // Not spending our latest commitment, or the commitment not ours: nothing.
    const unrelated = Transaction.fromBuffer(htlcTxs[0]!.tx);
    unrelated.ins[0]!.hash = Buffer.alloc(32, 9);
    expect(holderHtlcTxOutputs(signerOf(alice), aliceMonitor, commitment, unrelated)).toEqual([]);
    expect(holderHtlcTxOutputs(signerOf(alice), aliceMonitor, broadcastCommitment(bob), Transaction.fromBuffer(htlcTxs[0]!.tx))).toEqual([]);
  });

  it('finds the preimage in the HTLC-success witness, nothing in the HTLC-timeout one, each hash once', () => {
    const hashes = ['paid', 'unpaid', 'alice'].map((l) => sha256(preimage(l)));
    expect(preimagesRevealed(Transaction.fromBuffer(success!.tx), hashes)).toEqual([{ paymentHash: sha256(preimage('paid')), paymentPreimage: preimage('paid') }]);
    expect(preimagesRevealed(Transaction.fromBuffer(timeout!.tx), hashes)).toEqual([]);
    // A hash not asked for is not reported.
    expect(preimagesRevealed(Transaction.fromBuffer(success!.tx), hashes.slice(1))).toEqual([]);
    // Two inputs revealing the same preimage: one entry.
    const twice = Transaction.fromBuffer(success!.tx);
    twice.addInput(Buffer.alloc(32, 1), 0);
    twice.ins[1]!.witness = [Buffer.from(preimage('paid'))];
    expect(preimagesRevealed(twice, hashes)).toHaveLength(1);
  });
});

describe('our HTLC transactions on a commitment at another feerate (static_remotekey)', () => {
  it('recovers the feerate from the commitment: the fees and txids the channel signed', () => {
    const feerate = 2_345n;
    const { alice, built, aliceMonitor } = threeHtlcs(false, feerate);
    expect(alice.failure).toBeUndefined();
    const commitment = broadcastCommitment(alice);
    const htlcTxs = holderHtlcTransactions(secp, signerOf(alice), aliceMonitor, commitment);
    expect(htlcTxs.map((h) => [h.offered, h.outputSat])).toEqual(
      expect.arrayContaining([
        [true, 5_000n - htlcTimeoutFeeSat(ChannelType.StaticRemoteKey, feerate)],
        [false, 7_000n - htlcSuccessFeeSat(ChannelType.StaticRemoteKey, feerate)],
      ]),
    );
    expect(htlcTxs).toHaveLength(2);
    const signed = buildHtlcTransactions(built.commitment).map((h) => new Uint8Array(h.tx.getHash()));
    for (const h of htlcTxs) {
      expect(signed).toContainEqual(h.txid);
      const prevout = commitment.outs[h.spends.index]!;
      expect(verifyInput(Transaction.fromBuffer(h.tx), 0, { scriptPubKey: prevout.script, amountSat: BigInt(prevout.value) })).toBe('');
    }
  });
});

describe('our HTLC transactions on our latest commitment (anchors)', () => {
  it('makes none: zero-fee HTLC transactions need a wallet input (out of scope)', () => {
    const { alice, aliceMonitor } = threeHtlcs(true);
    expect(alice.failure).toBeUndefined();
    expect(aliceMonitor.holderHtlcSignatures).toHaveLength(3);
    expect(holderHtlcTransactions(secp, signerOf(alice), aliceMonitor, broadcastCommitment(alice))).toEqual([]);
  });
});
