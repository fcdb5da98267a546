/**
 * Every witness we build, checked by an independent script interpreter
 * (bitcore-lib, segwit + CLTV + CSV + standardness flags) over randomized
 * channel states: 0–30 HTLCs each way, varied feerates, dust limits and
 * delays, both channel types. Negative cases (wrong key, wrong preimage,
 * locktime or sequence too early) must fail the same interpreter.
 */
import fc from 'fast-check';
import type { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import type { Secp256k1 } from '../../shared/crypto/index.js';
import { nobleSecp256k1, sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import type { CommitmentTransaction, HtlcTransaction, SpendInput, SpendTransaction } from '../../shared/tx/index.js';
import {
  ChannelType,
  CommitmentOutputKind,
  SpendKind,
  buildClosingTransaction,
  buildCommitmentTransaction,
  buildHtlcTransactions,
  buildSpendTransaction,
  finalizeClosing,
  finalizeCommitment,
  finalizeHtlcTransaction,
  p2wpkh,
  p2wsh,
  signClosing,
  signCommitment,
  signHtlcTransactionAsLocal,
  signHtlcTransactionAsRemote,
  signSpendTransaction,
  verifyClosingSignature,
  verifyCommitmentSignature,
  verifyRemoteHtlcSignature,
} from '../../shared/tx/index.js';
import type { Fixture, FixtureOptions } from '../support/channel-fixture.js';
import { makeFixture } from '../support/channel-fixture.js';
import { verifyInput } from '../support/interpreter.js';

const DEST = p2wpkh(nobleSecp256k1.publicKeyFromSecret(sha256(new TextEncoder().encode('sweep destination'))));
const WRONG_KEY = sha256(new TextEncoder().encode('not the right key'));
const SWEEP_FEERATE = 253n;

function outpointOf(tx: Transaction, index: number) {
  return { txid: tx.getHash(), index };
}

/** Builds, signs and checks one sweep; returns the signed tx. */
function sweep(secp: Secp256k1, inputs: SpendInput[], tamper?: (s: SpendTransaction) => void): { tx: Transaction; spend: SpendTransaction } {
  const spend = buildSpendTransaction(secp, { inputs, destinationScript: DEST, feeratePerKw: SWEEP_FEERATE, dustLimitSat: 1n });
  tamper?.(spend);
  const tx = signSpendTransaction(secp, spend);
  return { tx, spend };
}

function expectValid(tx: Transaction, index: number, scriptPubKey: Uint8Array, amountSat: bigint, what: string): void {
  expect(verifyInput(tx, index, { scriptPubKey, amountSat }), what).toBe('');
}

function expectInvalid(tx: Transaction, index: number, scriptPubKey: Uint8Array, amountSat: bigint, what: string): void {
  expect(verifyInput(tx, index, { scriptPubKey, amountSat }), what).not.toBe('');
}

/** Spend kinds that passed the interpreter at least once (every one must, over the fixed states). */
const exercised = new Set<string>();

function checkSweep(secp: Secp256k1, inputs: SpendInput[], what: string): void {
  for (const input of inputs) exercised.add(input.kind);
  const { tx, spend } = sweep(secp, inputs);
  inputs.forEach((input, i) => expectValid(tx, i, spend.prevoutScripts[i]!, input.amountSat, `${what} input ${i} (${input.kind})`));
  expect(BigInt(tx.weight()), `${what} weight`).toBeLessThanOrEqual(spend.expectedWeight);
}

function checkCommitment(secp: Secp256k1, f: Fixture): void {
  const commitment = buildCommitmentTransaction(f.params);
  const anchors = f.params.channelType === ChannelType.Anchors;
  const fundingPrevout = p2wsh(commitment.fundingScript);
  const localSig = signCommitment(secp, commitment, f.secrets.localFunding);
  const remoteSig = signCommitment(secp, commitment, f.secrets.remoteFunding);
  expect(verifyCommitmentSignature(secp, commitment, remoteSig, f.params.keys.remoteFundingPubkey)).toBe(true);
  const signed = finalizeCommitment(commitment, localSig, remoteSig);
  expectValid(signed, 0, fundingPrevout, f.params.fundingSat, 'commitment');
  expect(BigInt(signed.weight())).toBeLessThanOrEqual(commitment.expectedWeight);
  // Negative: the remote's signature made with a wrong key.
  expectInvalid(finalizeCommitment(commitment, localSig, signCommitment(secp, commitment, WRONG_KEY)), 0, fundingPrevout, f.params.fundingSat, 'commitment, wrong key');

  checkHtlcTransactions(secp, f, commitment);
  checkCommitmentSpends(secp, f, commitment, signed);
  if (anchors) checkAnchors(secp, f, commitment, signed);
}

function checkHtlcTransactions(secp: Secp256k1, f: Fixture, commitment: CommitmentTransaction): void {
  const htlcTxs = buildHtlcTransactions(commitment);
  expect(htlcTxs).toHaveLength(commitment.outputs.filter((o) => o.kind === CommitmentOutputKind.OfferedHtlc || o.kind === CommitmentOutputKind.ReceivedHtlc).length);
  let negativeTimeout = false;
  let negativeSuccess = false;
  let feeBumped = false;
  for (const h of htlcTxs) {
    const prevout = p2wsh(h.witnessScript);
    const remoteSig = signHtlcTransactionAsRemote(secp, h, f.secrets.remoteHtlc);
    expect(verifyRemoteHtlcSignature(secp, h, remoteSig, f.params.keys.remoteHtlcPubkey)).toBe(true);
    const localSig = signHtlcTransactionAsLocal(secp, h, f.secrets.localHtlc);
    const preimage = f.preimages[h.htlcIndex]!;
    const signed = finalizeHtlcTransaction(h, remoteSig, localSig, h.kind === 'htlc-success' ? preimage : undefined);
    expectValid(signed, 0, prevout, h.amountSat, `${h.kind} #${h.htlcIndex}`);
    expect(BigInt(signed.weight())).toBeLessThanOrEqual(h.expectedWeight);
    checkSecondStage(secp, f, h, signed);

    if (!feeBumped) {
      feeBumped = true;
      // Add a fee input and a change output, as the owner does to pay for a zero-fee anchors HTLC tx:
      // the remote's SIGHASH_SINGLE|ANYONECANPAY signature stays valid; a SIGHASH_ALL one (no anchors) does not.
      const bumped: HtlcTransaction = { ...h, tx: h.tx.clone() };
      bumped.tx.addInput(sha256(Uint8Array.of(1)), 0, 0xfffffffd);
      bumped.tx.addOutput(DEST, 10_000n);
      const final = finalizeHtlcTransaction(bumped, remoteSig, signHtlcTransactionAsLocal(secp, bumped, f.secrets.localHtlc), h.kind === 'htlc-success' ? preimage : undefined);
      const result = verifyInput(final, 0, { scriptPubKey: prevout, amountSat: h.amountSat });
      if (f.params.channelType === ChannelType.Anchors) expect(result, 'anchors HTLC tx with an added fee input').toBe('');
      else expect(result, 'non-anchors HTLC tx with an added input').not.toBe('');
    }
    if (h.kind === 'htlc-success' && !negativeSuccess) {
      negativeSuccess = true;
      const wrong = finalizeHtlcTransaction(h, remoteSig, localSig, sha256(preimage));
      expectInvalid(wrong, 0, prevout, h.amountSat, 'HTLC-success, wrong preimage');
      const wrongKey = finalizeHtlcTransaction(h, signHtlcTransactionAsRemote(secp, h, WRONG_KEY), localSig, preimage);
      expectInvalid(wrongKey, 0, prevout, h.amountSat, 'HTLC-success, wrong remote key');
    }
    if (h.kind === 'htlc-timeout' && !negativeTimeout) {
      negativeTimeout = true;
      const early: HtlcTransaction = { ...h, tx: h.tx.clone() };
      early.tx.locktime = h.tx.locktime - 1;
      // The offered script has no CLTV: the locktime is enforced by the remote's signature, which commits to it.
      const tooEarly = finalizeHtlcTransaction(early, remoteSig, signHtlcTransactionAsLocal(secp, early, f.secrets.localHtlc));
      expectInvalid(tooEarly, 0, prevout, h.amountSat, 'HTLC-timeout, locktime before cltv_expiry');
      const wrongKey = finalizeHtlcTransaction(h, remoteSig, signHtlcTransactionAsLocal(secp, h, WRONG_KEY));
      expectInvalid(wrongKey, 0, prevout, h.amountSat, 'HTLC-timeout, wrong local key');
    }
  }
}

/** The HTLC transaction's output: the owner after to_self_delay, or the counterparty with the revocation key. */
function checkSecondStage(secp: Secp256k1, f: Fixture, h: HtlcTransaction, signed: Transaction): void {
  const out = { outpoint: outpointOf(signed, 0), amountSat: signed.outs[0]!.value, witnessScript: h.outputWitnessScript };
  checkSweep(secp, [{ ...out, kind: SpendKind.ToLocalDelayed, toSelfDelay: f.params.toSelfDelay, secretKey: f.secrets.localDelayed }], 'second-stage delayed');
  checkSweep(secp, [{ ...out, kind: SpendKind.RevokedToLocal, secretKey: f.secrets.revocation }], 'second-stage revoked');
}

function checkCommitmentSpends(secp: Secp256k1, f: Fixture, commitment: CommitmentTransaction, signed: Transaction): void {
  const anchors = f.params.channelType === ChannelType.Anchors;
  const justice: SpendInput[] = [];
  let claimNegatives = false;
  commitment.outputs.forEach((o, index) => {
    const base = { outpoint: outpointOf(signed, index), amountSat: o.amountSat };
    switch (o.kind) {
      case CommitmentOutputKind.ToLocal: {
        const delayed: SpendInput = { ...base, kind: SpendKind.ToLocalDelayed, witnessScript: o.witnessScript, toSelfDelay: f.params.toSelfDelay, secretKey: f.secrets.localDelayed };
        checkSweep(secp, [delayed], 'to_local delayed');
        const early = sweep(secp, [delayed], (s) => (s.tx.ins[0]!.sequence = f.params.toSelfDelay - 1));
        expectInvalid(early.tx, 0, o.scriptPubKey, o.amountSat, 'to_local, sequence before to_self_delay');
        expectInvalid(sweep(secp, [{ ...delayed, secretKey: WRONG_KEY }]).tx, 0, o.scriptPubKey, o.amountSat, 'to_local, wrong key');
        const revoked: SpendInput = { ...base, kind: SpendKind.RevokedToLocal, witnessScript: o.witnessScript, secretKey: f.secrets.revocation };
        checkSweep(secp, [revoked], 'revoked to_local');
        expectInvalid(sweep(secp, [{ ...revoked, secretKey: f.secrets.localDelayed }]).tx, 0, o.scriptPubKey, o.amountSat, 'revoked to_local, wrong key');
        justice.push(revoked);
        break;
      }
      case CommitmentOutputKind.ToRemote: {
        const input: SpendInput = { ...base, kind: SpendKind.ToRemote, channelType: f.params.channelType, secretKey: f.secrets.remotePayment };
        checkSweep(secp, [input], 'to_remote');
        expectInvalid(sweep(secp, [{ ...input, secretKey: WRONG_KEY }]).tx, 0, o.scriptPubKey, o.amountSat, 'to_remote, wrong key');
        if (anchors) {
          const early = sweep(secp, [input], (s) => (s.tx.ins[0]!.sequence = 0));
          expectInvalid(early.tx, 0, o.scriptPubKey, o.amountSat, 'to_remote (anchors), sequence 0');
        }
        break;
      }
      case CommitmentOutputKind.OfferedHtlc:
      case CommitmentOutputKind.ReceivedHtlc: {
        const offered = o.kind === CommitmentOutputKind.OfferedHtlc;
        const revoked: SpendInput = { ...base, kind: SpendKind.RevokedHtlc, witnessScript: o.witnessScript, offered, anchors, secretKey: f.secrets.revocation };
        checkSweep(secp, [revoked], 'revoked HTLC');
        justice.push(revoked);
        const htlc = f.params.htlcs[o.htlcIndex!]!;
        // The counterparty's claims on the owner's commitment: the preimage of an HTLC the owner offered,
        // the timeout of one the owner received.
        const claim: SpendInput = offered
          ? { ...base, kind: SpendKind.HtlcPreimage, witnessScript: o.witnessScript, preimage: f.preimages[o.htlcIndex!]!, anchors, secretKey: f.secrets.remoteHtlc }
          : { ...base, kind: SpendKind.HtlcTimeout, witnessScript: o.witnessScript, cltvExpiry: htlc.cltvExpiry, anchors, secretKey: f.secrets.remoteHtlc };
        checkSweep(secp, [claim], offered ? 'HTLC claim with preimage' : 'HTLC claim after timeout');
        expectInvalid(sweep(secp, [{ ...claim, secretKey: WRONG_KEY }]).tx, 0, o.scriptPubKey, o.amountSat, 'HTLC claim, wrong key');
        if (!claimNegatives) {
          claimNegatives = true;
          if (claim.kind === SpendKind.HtlcPreimage) {
            expectInvalid(sweep(secp, [{ ...claim, preimage: sha256(claim.preimage) }]).tx, 0, o.scriptPubKey, o.amountSat, 'HTLC claim, wrong preimage');
          } else {
            const early = sweep(secp, [claim], (s) => (s.tx.locktime = htlc.cltvExpiry - 1));
            expectInvalid(early.tx, 0, o.scriptPubKey, o.amountSat, 'HTLC timeout claim, locktime before cltv_expiry');
          }
          if (anchors) {
            const early = sweep(secp, [claim], (s) => (s.tx.ins[0]!.sequence = 0));
            expectInvalid(early.tx, 0, o.scriptPubKey, o.amountSat, 'HTLC claim (anchors), sequence 0');
          }
        }
        break;
      }
      default:
        break;
    }
  });
  // One justice transaction sweeping every revoked output at once.
  if (justice.length > 0) checkSweep(secp, justice, 'justice sweep');
}

function checkAnchors(secp: Secp256k1, f: Fixture, commitment: CommitmentTransaction, signed: Transaction): void {
  commitment.outputs.forEach((o, index) => {
    if (o.kind !== CommitmentOutputKind.LocalAnchor && o.kind !== CommitmentOutputKind.RemoteAnchor) return;
    const base = { outpoint: outpointOf(signed, index), amountSat: o.amountSat };
    const secret = o.kind === CommitmentOutputKind.LocalAnchor ? f.secrets.localFunding : f.secrets.remoteFunding;
    const fundingPubkey = o.kind === CommitmentOutputKind.LocalAnchor ? f.params.keys.localFundingPubkey : f.params.keys.remoteFundingPubkey;
    // An anchor alone is worth 330 sat: sweep it with the to_local-sized fee budget of a real CPFP is out of scope; here it pays ~100 sat.
    checkSweep(secp, [{ ...base, kind: SpendKind.Anchor, secretKey: secret }], 'anchor with funding key');
    expectInvalid(sweep(secp, [{ ...base, kind: SpendKind.Anchor, secretKey: WRONG_KEY }]).tx, 0, o.scriptPubKey, o.amountSat, 'anchor, wrong key');
    const anyone: SpendInput = { ...base, kind: SpendKind.AnchorAfterDelay, fundingPubkey };
    checkSweep(secp, [anyone], 'anchor after 16 blocks');
    expectInvalid(sweep(secp, [anyone], (s) => (s.tx.ins[0]!.sequence = 15)).tx, 0, o.scriptPubKey, o.amountSat, 'anchor, sequence 15');
  });
}

function checkClosing(secp: Secp256k1, f: Fixture, localShareMsat: bigint): void {
  const p = f.params;
  const closing = buildClosingTransaction({
    fundingOutpoint: p.fundingOutpoint,
    fundingSat: p.fundingSat,
    localFundingPubkey: p.keys.localFundingPubkey,
    remoteFundingPubkey: p.keys.remoteFundingPubkey,
    localScriptPubKey: DEST,
    remoteScriptPubKey: p2wpkh(p.keys.remotePaymentPubkey),
    toLocalMsat: localShareMsat,
    toRemoteMsat: p.fundingSat * 1000n - localShareMsat,
    localIsOpener: p.localIsOpener,
    feeSat: 300n,
    dustLimitSat: p.dustLimitSat,
  });
  const localSig = signClosing(secp, closing, f.secrets.localFunding);
  const remoteSig = signClosing(secp, closing, f.secrets.remoteFunding);
  expect(verifyClosingSignature(secp, closing, remoteSig, p.keys.remoteFundingPubkey)).toBe(true);
  const prevout = p2wsh(closing.fundingScript);
  expectValid(finalizeClosing(closing, localSig, remoteSig), 0, prevout, p.fundingSat, 'closing');
  expectInvalid(finalizeClosing(closing, remoteSig, localSig), 0, prevout, p.fundingSat, 'closing, signatures swapped');
}

const optionsArb = fc.record({
  channelType: fc.constantFrom(ChannelType.StaticRemoteKey, ChannelType.Anchors),
  offered: fc.integer({ min: 0, max: 30 }),
  received: fc.integer({ min: 0, max: 30 }),
  feeratePerKw: fc.bigInt({ min: 253n, max: 25_000n }),
  dustLimitSat: fc.bigInt({ min: 354n, max: 2_000n }),
  toSelfDelay: fc.integer({ min: 2, max: 2016 }),
  localIsOpener: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

const fixed: FixtureOptions[] = [
  { channelType: ChannelType.StaticRemoteKey, offered: 0, received: 0, feeratePerKw: 253n, dustLimitSat: 546n, toSelfDelay: 144, localIsOpener: true, seed: 1 },
  { channelType: ChannelType.Anchors, offered: 30, received: 30, feeratePerKw: 2_500n, dustLimitSat: 546n, toSelfDelay: 144, localIsOpener: false, seed: 2 },
  { channelType: ChannelType.StaticRemoteKey, offered: 30, received: 30, feeratePerKw: 5_000n, dustLimitSat: 1_000n, toSelfDelay: 6, localIsOpener: true, seed: 3 },
];

describe('independent verification (bitcore-lib interpreter)', () => {
  it.each(fixed.map((o) => [`${o.channelType}, ${o.offered}+${o.received} HTLCs`, o] as const))('fixed state: %s', (_n, o) => {
    checkCommitment(wasmSecp256k1, makeFixture(wasmSecp256k1, o));
  });

  it('the fixed states exercise every output kind and every spend path', () => {
    for (const o of fixed.slice(1)) {
      const c = buildCommitmentTransaction(makeFixture(wasmSecp256k1, o).params);
      const kinds = new Set(c.outputs.map((out) => out.kind));
      expect(kinds.has(CommitmentOutputKind.OfferedHtlc) && kinds.has(CommitmentOutputKind.ReceivedHtlc)).toBe(true);
      expect(kinds.has(CommitmentOutputKind.ToLocal) && kinds.has(CommitmentOutputKind.ToRemote)).toBe(true);
      expect(c.htlcOutputIndex.some((i) => i === null)).toBe(true); // some HTLCs are trimmed
    }
    expect([...exercised].sort()).toEqual(Object.values(SpendKind).sort());
  });

  it('randomized channel states, both channel types, every spend path (noble and WASM backends)', () => {
    fc.assert(
      fc.property(optionsArb, fc.constantFrom(nobleSecp256k1, wasmSecp256k1), (o, secp) => {
        checkCommitment(secp, makeFixture(secp, o));
      }),
      { numRuns: 8 },
    );
  });

  it('closing transactions: both outputs, and the dust output dropped', () => {
    const f = makeFixture(wasmSecp256k1, fixed[0]!);
    checkClosing(wasmSecp256k1, f, 4_000_000_000n);
    const dropped = buildClosingTransaction({
      fundingOutpoint: f.params.fundingOutpoint,
      fundingSat: f.params.fundingSat,
      localFundingPubkey: f.params.keys.localFundingPubkey,
      remoteFundingPubkey: f.params.keys.remoteFundingPubkey,
      localScriptPubKey: DEST,
      remoteScriptPubKey: p2wpkh(f.params.keys.remotePaymentPubkey),
      toLocalMsat: f.params.fundingSat * 1000n - 545_999n,
      toRemoteMsat: 545_999n,
      localIsOpener: true,
      feeSat: 300n,
      dustLimitSat: 546n,
    });
    expect(dropped.tx.outs).toHaveLength(1);
    expect(dropped.remoteOutputIndex).toBeNull();
    expect(dropped.tx.outs[0]!.value).toBe((f.params.fundingSat * 1000n - 545_999n) / 1000n - 300n);
    checkClosing(wasmSecp256k1, f, f.params.fundingSat * 1000n - 545_999n);
  });
});
