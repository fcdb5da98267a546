/**
 * Our claims under anchors paid by wallet coins (shared/monitor/anchor-claims.ts,
 * docs/force-close.md "Anchor channels"), over a real pair of anchor channels
 * (test/support/ready-pair.ts) and checked by bitcore's script interpreter
 * with the regtest chain's flags:
 * - our zero-fee HTLC-success / HTLC-timeout with a wallet input and change:
 *   the counterparty's SIGHASH_SINGLE|ANYONECANPAY signature kept with input
 *   i / output i, ours and the wallet's SIGHASH_ALL; the fee from the wallet;
 * - a CPFP child spending our anchor and a wallet coin, the package at the
 *   target feerate.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { fulfillHtlc } from '../../shared/channel/index.js';
import { equalBytes } from '../../shared/codec/index.js';
import { fromHex, sha256, wasmSecp256k1 as secp } from '../../shared/crypto/index.js';
import {
  anchorHtlcClaims,
  applyMonitorUpdate,
  buildAnchorCpfp,
  buildAnchorHtlcTx,
  channelMonitorFrom,
  feerateOf,
  holderAnchorOutput,
  holderHtlcTxOutputs,
  ourAnchorOutput,
  ourOutputs,
  sweepOutputs,
  withAnchorsWhenSafe,
  type ChannelMonitor,
  type Claimable,
  type FeeFunding,
} from '../../shared/monitor/index.js';
import { ANCHOR_OUTPUT_SAT, feeForWeight, p2wsh } from '../../shared/tx/index.js';
import { Bip84Account, type WalletUtxo } from '../../shared/wallet/index.js';
import { verifyInput } from '../support/interpreter.js';
import { broadcastCommitment, commit, deliverAll, offer, preimage, readyPair, type Side } from '../support/ready-pair.js';

const FEERATE = 2_500n; // sat per 1000 weight (10 sat/vB)
const account = Bip84Account.fromSeed(secp, fromHex('22'.repeat(32)), 'regtest');
const coin = (n: number, valueSat: bigint): WalletUtxo => ({ txid: n.toString(16).padStart(64, '0'), vout: n, valueSat, keychain: 0, index: n, height: 100 });
const CHANGE = account.key(1, 0).script;
const funding = (coins: WalletUtxo[]): FeeFunding => ({ account, coins, changeScript: CHANGE });
const coinPrevout = (c: WalletUtxo) => ({ scriptPubKey: account.key(c.keychain, c.index).script, amountSat: c.valueSat });

function signerOf(side: Side) {
  return side.node.keys.deriveChannelSigner(side.channel.fundingSatoshis, side.channel.channelKeysId);
}

function fedMonitorOf(side: Side): ChannelMonitor {
  let monitor = channelMonitorFrom(side.initialMonitors[0]!);
  for (const step of side.monitorSteps) {
    const applied = applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: monitor.latestUpdateId + 1n, steps: [step] });
    if (!applied.ok) throw new Error(`${side.name}: ${applied.error}`);
    monitor = applied.monitor;
  }
  return monitor;
}

/** Bob offers Alice 'paid' (7,000 sat) and 'unpaid' (6,000 sat); Alice offers Bob 'alice' (5,000 sat, expiry 730); Alice claims 'paid'. */
function threeHtlcs(anchors: boolean) {
  const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n, feerate: 253n });
  const { alice, bob } = pair;
  offer(bob, 7_000_000n, 'paid', 710);
  offer(bob, 6_000_000n, 'unpaid', 720);
  commit(bob);
  deliverAll(pair);
  offer(alice, 5_000_000n, 'alice', 730);
  commit(alice);
  deliverAll(pair);
  const paidId = alice.channel.htlcs!.find((h) => h.direction === 'received' && equalBytes(h.paymentHash, sha256(preimage('paid'))))!.id;
  const claimed = fulfillHtlc(alice.node.ctx, alice.channel, paidId, preimage('paid'));
  if (!claimed.ok) throw new Error(claimed.error.message);
  alice.apply(claimed.value);
  return { alice, bob, aliceMonitor: fedMonitorOf(alice), bobMonitor: fedMonitorOf(bob) };
}

describe('our zero-fee HTLC transactions with a wallet fee input (anchors)', () => {
  const { alice, bob, aliceMonitor } = threeHtlcs(true);
  const commitment = broadcastCommitment(alice);
  const claims = anchorHtlcClaims(secp, signerOf(alice), aliceMonitor, commitment);
  const success = claims.find((c) => !c.offered)!;
  const timeout = claims.find((c) => c.offered)!;
  const htlcPrevout = (c: typeof success) => ({ scriptPubKey: commitment.outs[c.spends.index]!.script, amountSat: c.amountSat });

  it("finds Alice's HTLC-timeout and her HTLC-success (preimage held), none for the unpaid HTLC; none on static_remotekey or on Bob's commitment", () => {
    expect(alice.failure).toBeUndefined();
    expect(bob.failure).toBeUndefined();
    expect(claims.map((c) => [c.offered, c.amountSat, c.locktime])).toEqual(
      expect.arrayContaining([
        [true, 5_000n, 730],
        [false, 7_000n, 0],
      ]),
    );
    expect(claims).toHaveLength(2);
    expect(success.preimage).toEqual(preimage('paid'));
    expect(anchorHtlcClaims(secp, signerOf(alice), aliceMonitor, broadcastCommitment(bob))).toEqual([]);
    const plain = threeHtlcs(false);
    expect(anchorHtlcClaims(secp, signerOf(plain.alice), plain.aliceMonitor, broadcastCommitment(plain.alice))).toEqual([]);
    // Counterparty signatures paired wrongly: nothing, never a transaction the chain refuses.
    const swapped = [...aliceMonitor.holderHtlcSignatures].reverse();
    expect(anchorHtlcClaims(secp, signerOf(alice), { ...aliceMonitor, holderHtlcSignatures: swapped }, commitment).length).toBeLessThan(2);
  });

  it('HTLC-success: input 0 / output 0 as the counterparty signed, the wallet coin and change after; every input accepted; the fee from the wallet', () => {
    const c = coin(1, 20_000n);
    const built = buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([c]), FEERATE);
    if (built.kind !== 'signed') throw new Error(built.kind);
    const tx = Transaction.fromBuffer(built.tx);
    expect(tx.locktime).toBe(0);
    expect(tx.ins.map((i) => i.sequence)).toEqual([1, 0xfffffffd]);
    expect(new Uint8Array(tx.ins[0]!.hash)).toEqual(new Uint8Array(commitment.getHash()));
    expect(tx.outs[0]).toMatchObject({ script: success.outputScript });
    expect(BigInt(tx.outs[0]!.value)).toBe(7_000n); // zero-fee: the whole HTLC
    expect(tx.outs[1]).toMatchObject({ script: CHANGE });
    expect(BigInt(tx.outs[1]!.value)).toBe(built.changeSat);
    expect(built.feeSat).toBe(20_000n - built.changeSat!);
    expect(verifyInput(tx, 0, htlcPrevout(success))).toBe('');
    expect(verifyInput(tx, 1, coinPrevout(c))).toBe('');
    // The fee pays the feerate over the transaction's real weight; the estimate is an upper bound.
    expect(built.feeSat).toBeGreaterThanOrEqual(feeForWeight(FEERATE, BigInt(tx.weight())));
    expect(feerateOf(built.feeSat, BigInt(tx.weight()))).toBeLessThan(FEERATE + 300n);
    // Witness 0 <remotesig 0x83> <localsig 0x01> <preimage> <script>.
    const witness = tx.ins[0]!.witness.map((w) => Uint8Array.from(w));
    expect(witness[1]!.at(-1)).toBe(0x83);
    expect(witness[2]!.at(-1)).toBe(0x01);
    expect(witness[3]).toEqual(preimage('paid'));
    // Ours is SIGHASH_ALL: a different change amount breaks input 0 (theirs, SINGLE|ANYONECANPAY, would not care).
    const tampered = tx.clone();
    tampered.outs[1]!.value = tampered.outs[1]!.value - 1n;
    expect(verifyInput(tampered, 0, htlcPrevout(success))).not.toBe('');
    // Its output is ours after to_self_delay, like any of our HTLC transactions' outputs.
    expect(holderHtlcTxOutputs(signerOf(alice), aliceMonitor, commitment, tx)).toMatchObject([{ kind: 'to-local', valueSat: 7_000n, outpoint: { index: 0 } }]);
  });

  it('a bump (RBF): the same HTLC input and coin at a higher feerate; never below the replaced fee plus 1 sat/vB of its size (BIP 125)', () => {
    const c = coin(12, 20_000n);
    const first = buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([c]), FEERATE);
    if (first.kind !== 'signed') throw new Error(first.kind);
    const higher = buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([c]), FEERATE + 300n, { feeSat: first.feeSat });
    if (higher.kind !== 'signed') throw new Error(higher.kind);
    const [a, b] = [Transaction.fromBuffer(first.tx), Transaction.fromBuffer(higher.tx)];
    expect(b.ins.map((i) => [Buffer.from(i.hash).toString('hex'), i.index])).toEqual(a.ins.map((i) => [Buffer.from(i.hash).toString('hex'), i.index]));
    expect(higher.feeSat).toBeGreaterThanOrEqual(first.feeSat + BigInt(b.virtualSize()));
    expect(verifyInput(b, 0, htlcPrevout(success))).toBe('');
    expect(verifyInput(b, 1, coinPrevout(c))).toBe('');
    // At the same feerate the floor decides: the old fee plus the new size at 1 sat/vB (rounded up on the estimated weight).
    const same = buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([c]), FEERATE, { feeSat: first.feeSat });
    if (same.kind !== 'signed') throw new Error(same.kind);
    expect(same.feeSat).toBeGreaterThanOrEqual(first.feeSat + BigInt(Transaction.fromBuffer(same.tx).virtualSize()));
    expect(same.feeSat).toBeLessThan(first.feeSat + BigInt(Transaction.fromBuffer(same.tx).virtualSize()) + 5n);
  });

  it('HTLC-timeout: nLockTime its cltv_expiry, two wallet coins; sequence 0 refused (the CSV of the anchors script)', () => {
    const coins = [coin(2, 600n), coin(3, 1_500n)];
    const built = buildAnchorHtlcTx(secp, signerOf(alice), [timeout], funding(coins), 1_000n);
    if (built.kind !== 'signed') throw new Error(built.kind);
    const tx = Transaction.fromBuffer(built.tx);
    expect(tx.locktime).toBe(730);
    expect(verifyInput(tx, 0, htlcPrevout(timeout))).toBe('');
    coins.forEach((c, k) => expect(verifyInput(tx, 1 + k, coinPrevout(c))).toBe(''));
    expect(built.coins).toEqual(coins);
    const noCsv = tx.clone();
    noCsv.ins[0]!.sequence = 0;
    expect(verifyInput(noCsv, 0, htlcPrevout(timeout))).not.toBe('');
  });

  it('change below dust goes to the fee; coins that do not pay are refused; claims of different locktimes are not combined', () => {
    const alone = buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([coin(4, 100_000n)]), FEERATE);
    if (alone.kind !== 'signed') throw new Error(alone.kind);
    const exact = buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([coin(5, alone.feeSat + 100n)]), FEERATE);
    if (exact.kind !== 'signed') throw new Error(exact.kind);
    expect(exact.changeSat).toBeUndefined();
    expect(exact.feeSat).toBe(alone.feeSat + 100n);
    expect(Transaction.fromBuffer(exact.tx).outs).toHaveLength(1);
    expect(verifyInput(Transaction.fromBuffer(exact.tx), 0, htlcPrevout(success))).toBe('');
    expect(buildAnchorHtlcTx(secp, signerOf(alice), [success], funding([coin(6, 500n)]), FEERATE)).toMatchObject({ kind: 'coins-too-small', availableSat: 500n });
    expect(buildAnchorHtlcTx(secp, signerOf(alice), [success, timeout], funding([coin(7, 50_000n)]), FEERATE)).toMatchObject({ kind: 'invalid-claims' });
    expect(buildAnchorHtlcTx(secp, signerOf(alice), [], funding([coin(7, 50_000n)]), FEERATE)).toMatchObject({ kind: 'invalid-claims' });
  });
});

describe('CPFP of our anchors commitment through our anchor', () => {
  const { alice, bob, aliceMonitor } = threeHtlcs(true);
  const commitment = broadcastCommitment(alice);
  const commitmentFee = aliceMonitor.channelValueSatoshis - commitment.outs.reduce((s, o) => s + BigInt(o.value), 0n);
  const anchor = holderAnchorOutput(signerOf(alice), commitment)!;
  const anchorPrevout = { scriptPubKey: p2wsh(anchor.witnessScript), amountSat: anchor.valueSat };

  it('spends our 330 sat anchor and a wallet coin; the package pays the target feerate; each input accepted', () => {
    expect(anchor.valueSat).toBe(ANCHOR_OUTPUT_SAT);
    expect(commitment.ins[0]!.witness.length).toBeGreaterThan(0); // the signed commitment: its real weight counts
    const target = 5_000n;
    expect(feerateOf(commitmentFee, BigInt(commitment.weight()))).toBeLessThan(target);
    const c = coin(8, 30_000n);
    const built = buildAnchorCpfp(secp, signerOf(alice), commitment, commitmentFee, funding([c]), target);
    if (built.kind !== 'signed') throw new Error(built.kind);
    const tx = Transaction.fromBuffer(built.tx);
    expect(tx.ins.map((i) => [new Uint8Array(i.hash), i.index])).toEqual([
      [new Uint8Array(commitment.getHash()), anchor.outpoint.index],
      [fromHex(c.txid).reverse(), c.vout],
    ]);
    expect(verifyInput(tx, 0, anchorPrevout)).toBe('');
    expect(verifyInput(tx, 1, coinPrevout(c))).toBe('');
    expect(tx.outs).toEqual([expect.objectContaining({ script: CHANGE })]);
    expect(built.feeSat).toBe(30_000n + 330n - built.changeSat!);
    const packageRate = feerateOf(commitmentFee + built.feeSat, BigInt(commitment.weight() + tx.weight()));
    expect(packageRate).toBeGreaterThanOrEqual(target);
    expect(packageRate).toBeLessThan(target + 300n);
    // A witness without our funding key's signature does not spend it before 16 blocks.
    const unsigned = tx.clone();
    unsigned.ins[0]!.witness = [Buffer.alloc(0), Buffer.from(anchor.witnessScript)];
    expect(verifyInput(unsigned, 0, anchorPrevout)).not.toBe('');
  });

  it('a bumped child replaces the previous one: same anchor and coin, a fee at least the old plus 1 sat/vB of its size', () => {
    const c = coin(13, 30_000n);
    const first = buildAnchorCpfp(secp, signerOf(alice), commitment, commitmentFee, funding([c]), 5_000n);
    if (first.kind !== 'signed') throw new Error(first.kind);
    const bumped = buildAnchorCpfp(secp, signerOf(alice), commitment, commitmentFee, funding([c]), 6_250n, { feeSat: first.feeSat });
    if (bumped.kind !== 'signed') throw new Error(bumped.kind);
    const tx = Transaction.fromBuffer(bumped.tx);
    expect(tx.ins.map((i) => i.index)).toEqual(Transaction.fromBuffer(first.tx).ins.map((i) => i.index));
    expect(bumped.feeSat).toBeGreaterThanOrEqual(first.feeSat + BigInt(tx.virtualSize()));
    expect(feerateOf(commitmentFee + bumped.feeSat, BigInt(commitment.weight() + tx.weight()))).toBeGreaterThanOrEqual(6_250n);
    expect(verifyInput(tx, 0, anchorPrevout)).toBe('');
    expect(verifyInput(tx, 1, coinPrevout(c))).toBe('');
  });

  it("pays at least the target on its own when the commitment already does; Bob's anchor is Bob's; coins too small refused", () => {
    const rich = buildAnchorCpfp(secp, signerOf(alice), commitment, 1_000_000n, funding([coin(9, 30_000n)]), 1_000n);
    if (rich.kind !== 'signed') throw new Error(rich.kind);
    expect(rich.feeSat).toBeGreaterThanOrEqual(feeForWeight(1_000n, BigInt(Transaction.fromBuffer(rich.tx).weight())));
    const bobAnchor = holderAnchorOutput(signerOf(bob), commitment)!;
    expect(bobAnchor.outpoint.index).not.toBe(anchor.outpoint.index);
    expect(buildAnchorCpfp(secp, signerOf(alice), commitment, commitmentFee, funding([coin(10, 1_000n)]), 50_000n)).toMatchObject({ kind: 'coins-too-small' });
    const plain = threeHtlcs(false);
    expect(buildAnchorCpfp(secp, signerOf(plain.alice), broadcastCommitment(plain.alice), 0n, funding([coin(11, 30_000n)]), 1_000n)).toMatchObject({ kind: 'invalid-claims' });
  });
});

describe('our anchor swept back to the wallet when it pays', () => {
  const { alice, bob, aliceMonitor, bobMonitor } = threeHtlcs(true);
  const commitment = broadcastCommitment(alice);
  const anchor = ourAnchorOutput(signerOf(alice), aliceMonitor, commitment)!;
  const toLocal = ourOutputs(secp, signerOf(alice), aliceMonitor, commitment).find((o) => o.kind === 'to-local')!;
  const DEST = account.key(0, 7).script;

  it("finds our anchor on our commitment and on theirs (not Bob's), none on static_remotekey", () => {
    expect(anchor).toMatchObject({ kind: 'anchor', valueSat: 330n, csvBlocks: 0 });
    expect(anchor.outpoint.index).toBe(holderAnchorOutput(signerOf(alice), commitment)!.outpoint.index);
    const theirs = broadcastCommitment(bob);
    expect(ourAnchorOutput(signerOf(alice), aliceMonitor, theirs)!.outpoint.index).not.toBe(ourAnchorOutput(signerOf(bob), bobMonitor, theirs)!.outpoint.index);
    const plain = threeHtlcs(false);
    expect(ourAnchorOutput(signerOf(plain.alice), plain.aliceMonitor, broadcastCommitment(plain.alice))).toBeUndefined();
  });

  it('joins a sweep at a low feerate (its input costs less than 330 sat), signed with our funding key; left out at a high one; alone it is below dust', () => {
    const low = sweepOutputs(signerOf(alice), [toLocal, anchor], DEST, 253n);
    if (low.kind !== 'sweep') throw new Error(low.kind);
    const tx = Transaction.fromBuffer(low.tx);
    expect(low.outputs.map((o) => o.kind)).toEqual(['to-local', 'anchor']);
    expect(verifyInput(tx, 1, { scriptPubKey: p2wsh(anchor.scriptCode), amountSat: 330n })).toBe('');
    const without = sweepOutputs(signerOf(alice), [toLocal], DEST, 253n);
    if (without.kind !== 'sweep') throw new Error(without.kind);
    expect(low.amountSat - without.amountSat).toBeGreaterThan(200n); // 330 less its input's fee (280 weight)
    // At 10 sat/vB the anchor's input costs 700 sat: the sweep leaves it.
    const high = sweepOutputs(signerOf(alice), [toLocal, anchor], DEST, FEERATE);
    if (high.kind !== 'sweep') throw new Error(high.kind);
    expect(high.outputs.map((o) => o.kind)).toEqual(['to-local']);
    expect(sweepOutputs(signerOf(alice), [anchor], DEST, 253n)).toMatchObject({ kind: 'below-dust' });
  });

  it('only beside other outputs without a deadline, before anyone may spend it (16 blocks)', () => {
    const out = (o: typeof anchor, deadline?: number): Claimable => ({ kind: 'output', output: o, spendableHeight: 100, ...(deadline === undefined ? {} : { deadline }) });
    const kinds = (cs: Claimable[]) => cs.map((c) => (c.kind === 'output' ? c.output.kind : c.kind));
    expect(kinds(withAnchorsWhenSafe([out(toLocal), out(anchor)], 100, 110))).toEqual(['to-local', 'anchor']);
    expect(kinds(withAnchorsWhenSafe([out(anchor)], 100, 110))).toEqual([]);
    expect(kinds(withAnchorsWhenSafe([out(toLocal, 101), out(anchor)], 100, 110))).toEqual(['to-local']);
    expect(kinds(withAnchorsWhenSafe([out(toLocal), out(anchor)], 100, 114))).toEqual(['to-local', 'anchor']);
    expect(kinds(withAnchorsWhenSafe([out(toLocal), out(anchor)], 100, 115))).toEqual(['to-local']);
  });
});
