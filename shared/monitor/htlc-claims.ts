/**
 * The HTLC outputs of our own commitment on chain (BOLT 5 "Unilateral Close
 * Handling: Local Commitment Transaction", BOLT 3 "HTLC-timeout and
 * HTLC-success Transactions"), and preimages a transaction reveals.
 * Pure: the monitor, the channel's signer and transactions seen on chain
 * in; signed transactions and our outputs on them out.
 *
 * - On our latest commitment an HTLC output is never ours directly: it goes
 *   through our second-stage transaction, pre-signed by the counterparty in
 *   its `commitment_signed` (the monitor keeps those signatures, in the
 *   commitment's output order). An HTLC we offered: our HTLC-timeout,
 *   nLockTime its `cltv_expiry`. One they offered us whose preimage the
 *   monitor holds: our HTLC-success with it. One without the preimage: none
 *   (they take it back after its expiry). Witness `0 <remotehtlcsig>
 *   <localhtlcsig> <preimage or empty> <witness script>`.
 * - The output of such a transaction pays BOLT 3's `to_local` script of the
 *   commitment (revocationpubkey, their `to_self_delay`, our delayed key):
 *   an output of kind `to-local` for sweep-tx.ts, spendable `to_self_delay`
 *   blocks after the HTLC transaction's block.
 * - A transaction spending an HTLC we offered with its preimage (their
 *   HTLC-success on their commitment, their direct claim on ours) shows the
 *   preimage in its witness: {@link preimagesRevealed}.
 *
 * Static_remotekey channels only: under `option_anchors` the HTLC
 * transactions carry no fee (zero-fee HTLC transactions) and must be
 * combined with a wallet input, which is not done here.
 *
 * The monitor does not keep our commitment's feerate, which sets the HTLC
 * transaction's fee and so the amount the counterparty's signature commits
 * to: it is recovered from the commitment (its fee is BOLT 3's
 * `feerate_per_kw * weight / 1000` plus what was trimmed), and the amount
 * taken is the one the counterparty's signature verifies. A signature that
 * verifies for no amount (not this HTLC's: a monitor pairing them wrongly)
 * gives no transaction rather than one the chain refuses.
 */
import { Transaction } from 'bitcoinjs-lib';
import { equalBytes } from '../codec/index.js';
import { sha256, type Secp256k1 } from '../crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, derivePublicKey, type ChannelSigner } from '../keys/index.js';
import {
  ChannelType,
  HtlcTransactionKind,
  SighashType,
  commitmentWeight,
  feeForWeight,
  finalizeHtlcTransaction,
  htlcTransactionWeight,
  offeredHtlcScript,
  p2wsh,
  receivedHtlcScript,
  verifyWitnessInput,
  witnessDigest,
  type Outpoint,
} from '../tx/index.js';
import { preimageOf, type ChannelMonitor, type KnownPreimage } from './channel-monitor.js';
import type { MonitorHtlc } from './monitor-update-step.js';
import { classifyFundingSpend, holderToLocalScript } from './sweep.js';
import type { OurOutput } from './sweep-tx.js';

/** One of our signed HTLC transactions spending an HTLC output of our latest commitment. */
export interface HolderHtlcTx {
  /** The fully signed transaction, ready to broadcast once the chain reached `locktime`. */
  readonly tx: Uint8Array;
  readonly txid: Uint8Array;
  /** The commitment output it spends. */
  readonly spends: Outpoint;
  /** Its nLockTime: the HTLC's `cltv_expiry` for an HTLC-timeout, 0 for an HTLC-success. */
  readonly locktime: number;
  /** Offered by us (an HTLC-timeout), else received (an HTLC-success). */
  readonly offered: boolean;
  readonly paymentHash: Uint8Array;
  /** Its one output's value: the HTLC's minus the BOLT 3 fee of the transaction. */
  readonly outputSat: bigint;
  /** The HTLC, as the monitor knows it (what reports the resolution of one we offered). */
  readonly htlc: MonitorHtlc;
}

/**
 * Our signed HTLC transactions for `commitmentTx` when it is our latest
 * commitment (else none): for each HTLC of `monitor.holderHtlcs` with an
 * output, in output order, an HTLC-timeout for one we offered, an
 * HTLC-success for one received whose preimage the monitor holds; none for
 * a received one without it. Each carries the counterparty's signature
 * (`monitor.holderHtlcSignatures`, one per HTLC output in output order, as
 * `commitment_signed` carries them) and ours. None under anchors (see
 * above), and none for an HTLC whose output or signature does not match.
 */
export function holderHtlcTransactions(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, commitmentTx: Transaction): HolderHtlcTx[] {
  const spend = classifyFundingSpend(monitor, commitmentTx);
  if (spend.kind !== 'holder-commitment' || monitor.channelType.anchors) return [];
  const all = monitor.holderHtlcs ?? [];
  // The signatures follow the commitment's output order; the HTLC set is in the channel's order.
  const withOutput = all.filter((h) => h.transactionOutputIndex !== undefined).sort((a, b) => a.transactionOutputIndex! - b.transactionOutputIndex!);
  if (withOutput.length !== monitor.holderHtlcSignatures.length) return [];
  const index = INITIAL_COMMITMENT_INDEX - spend.commitmentNumber;
  const ourPoint = signer.perCommitmentPoint(index);
  const keys = {
    revocationPubkey: signer.holderRevocationPublicKey(monitor.counterparty.pubkeys.revocationBasepoint, index),
    localHtlcPubkey: signer.htlcPublicKey(ourPoint),
    remoteHtlcPubkey: derivePublicKey(secp, monitor.counterparty.pubkeys.htlcBasepoint, ourPoint),
  };
  const outputWitnessScript = holderToLocalScript(signer, monitor, spend.commitmentNumber).witnessScript;
  const outputScript = p2wsh(outputWitnessScript);
  const feerates = feerateCandidates(monitor, commitmentTx, all, withOutput.length);
  const txid = new Uint8Array(commitmentTx.getHash());
  const result: HolderHtlcTx[] = [];
  withOutput.forEach((htlc, i) => {
    const vout = htlc.transactionOutputIndex!;
    const preimage = htlc.offered ? undefined : preimageOf(monitor, htlc.paymentHash);
    if (!htlc.offered && preimage === undefined) return;
    const witnessScript = htlc.offered ? offeredHtlcScript(keys, htlc.paymentHash, false) : receivedHtlcScript(keys, htlc.paymentHash, htlc.cltvExpiry, false);
    const out = commitmentTx.outs[vout];
    if (out === undefined || !equalBytes(out.script, p2wsh(witnessScript))) return;
    const amountSat = BigInt(out.value);
    const remoteSignature = monitor.holderHtlcSignatures[i]!;
    const weight = htlcTransactionWeight(ChannelType.StaticRemoteKey, htlc.offered);
    const unsigned = (feeSat: bigint) => {
      const tx = new Transaction();
      tx.version = 2;
      tx.locktime = htlc.offered ? htlc.cltvExpiry : 0;
      tx.addInput(txid, vout, 0);
      tx.addOutput(outputScript, amountSat - feeSat);
      return tx;
    };
    const verifies = (tx: Transaction) => verifyWitnessInput(secp, tx, 0, witnessScript, amountSat, remoteSignature, keys.remoteHtlcPubkey, SighashType.All);
    const tx = htlcFees(feerates, weight, amountSat).map(unsigned).find(verifies);
    if (tx === undefined) return;
    const localSignature = signer.signWithHtlcKey(witnessDigest(tx, 0, witnessScript, amountSat, SighashType.All), ourPoint);
    const htlcTx = {
      kind: htlc.offered ? HtlcTransactionKind.Timeout : HtlcTransactionKind.Success,
      tx,
      htlcIndex: i,
      commitmentOutputIndex: vout,
      witnessScript,
      amountSat,
      outputWitnessScript,
      remoteSighashType: SighashType.All,
      expectedWeight: weight,
    };
    const signed = finalizeHtlcTransaction(htlcTx, remoteSignature, localSignature, preimage);
    result.push({
      tx: signed.toBuffer(),
      txid: new Uint8Array(signed.getHash()),
      spends: { txid, index: vout },
      locktime: signed.locktime,
      offered: htlc.offered,
      paymentHash: htlc.paymentHash.slice(),
      outputSat: BigInt(signed.outs[0]!.value),
      htlc,
    });
  });
  return result;
}

/**
 * The feerates our commitment may have been built at, likeliest first. Its
 * fee (the channel value minus its outputs, minus the trimmed HTLCs, whose
 * value went to fees) is `feerate * weight / 1000` rounded down, plus less
 * than a satoshi per msat amount rounded down, plus a main output trimmed
 * below our dust limit if any: so the feerate lies between the one that
 * fee gives and the one that fee less that slack gives.
 */
function feerateCandidates(monitor: ChannelMonitor, commitmentTx: Transaction, htlcs: readonly MonitorHtlc[], untrimmed: number): { highest: bigint; lowest: bigint } {
  const outputs = commitmentTx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
  const trimmed = htlcs.filter((h) => h.transactionOutputIndex === undefined).reduce((sum, h) => sum + h.amountMsat / 1000n, 0n);
  const fee = monitor.channelValueSatoshis - outputs - trimmed;
  const weight = commitmentWeight(ChannelType.StaticRemoteKey, untrimmed);
  const slack = 2n * monitor.holder.dustLimitSatoshis + BigInt(htlcs.length) + 2n;
  const floor = fee - slack > 0n ? fee - slack : 0n;
  return { highest: ((fee + 1n) * 1000n) / weight, lowest: (floor * 1000n + weight - 1n) / weight };
}

/** The HTLC transaction fees of the feerates from `highest` down to `lowest` (each once), those the HTLC's amount can pay. */
function htlcFees(feerates: { highest: bigint; lowest: bigint }, weight: bigint, amountSat: bigint): bigint[] {
  const fees: bigint[] = [];
  for (let f = feerates.highest; f >= feerates.lowest; f--) {
    const fee = feeForWeight(f, weight);
    if (fee !== fees[fees.length - 1] && fee < amountSat) fees.push(fee);
  }
  return fees;
}

/**
 * The output of `htlcTx`, one of our HTLC transactions spending our latest
 * commitment `commitmentTx`: BOLT 3 has it pay the commitment's `to_local`
 * script, so it is a `to-local` output (the outpoint on `htlcTx`), spent
 * with our delayed key `to_self_delay` (the counterparty's) blocks after
 * `htlcTx`'s block. None when `commitmentTx` is not our latest commitment
 * or `htlcTx` does not spend it.
 */
export function holderHtlcTxOutputs(signer: ChannelSigner, monitor: ChannelMonitor, commitmentTx: Transaction, htlcTx: Transaction): OurOutput[] {
  const spend = classifyFundingSpend(monitor, commitmentTx);
  if (spend.kind !== 'holder-commitment') return [];
  const commitmentTxid = commitmentTx.getHash();
  if (!htlcTx.ins.some((i) => equalBytes(i.hash, commitmentTxid))) return [];
  const { witnessScript, perCommitmentPoint } = holderToLocalScript(signer, monitor, spend.commitmentNumber);
  const script = p2wsh(witnessScript);
  const txid = new Uint8Array(htlcTx.getHash());
  const csvBlocks = monitor.counterparty.toSelfDelay;
  return htlcTx.outs.flatMap((o, index) =>
    equalBytes(o.script, script) ? [{ kind: 'to-local' as const, outpoint: { txid, index }, valueSat: BigInt(o.value), scriptCode: witnessScript, csvBlocks, perCommitmentPoint: perCommitmentPoint.slice() }] : [],
  );
}

/**
 * The preimages of `paymentHashes` that `tx` reveals: every 32-byte witness
 * element whose sha256 is one of them (their HTLC-success spending an HTLC
 * we offered on their commitment, their preimage claim of one on ours), in
 * the order found, each hash once.
 */
export function preimagesRevealed(tx: Transaction, paymentHashes: readonly Uint8Array[]): KnownPreimage[] {
  const found: KnownPreimage[] = [];
  for (const input of tx.ins) {
    for (const item of input.witness) {
      if (item.length !== 32) continue;
      const paymentHash = sha256(item);
      if (!paymentHashes.some((h) => equalBytes(h, paymentHash)) || found.some((p) => equalBytes(p.paymentHash, paymentHash))) continue;
      found.push({ paymentHash, paymentPreimage: Uint8Array.from(item) });
    }
  }
  return found;
}
