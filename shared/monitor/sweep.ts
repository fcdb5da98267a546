/**
 * Our outputs of a closed channel, found on chain and swept to the wallet
 * (BOLT 5 "On-chain Transaction Handling", BOLT 3 scripts; docs/force-close.md).
 * Pure: a transaction that spent the funding output, the monitor, the
 * channel's signer; out come our outputs on it and, for each, a signed
 * sweep to a destination script at a feerate.
 *
 * - Our commitment (the one the monitor holds): our `to_local`, P2WSH of
 *   `OP_IF <revocationpubkey> OP_ELSE <to_self_delay> OP_CSV OP_DROP
 *   <local_delayedpubkey> OP_ENDIF OP_CHECKSIG`, spendable `to_self_delay`
 *   blocks after the commitment confirms: input sequence = to_self_delay
 *   (the counterparty's `to_self_delay`, which applies to us), witness
 *   `<local_delayedsig> <> <witness script>`.
 * - The counterparty's commitment (any of them, revoked or not): our
 *   `to_remote`. With option_static_remotekey it is P2WPKH of our payment
 *   basepoint, spendable at once, witness `<sig> <pubkey>`; with anchors
 *   P2WSH of `<payment basepoint> OP_CHECKSIGVERIFY 1 OP_CSV`, spendable one
 *   block after the commitment, sequence 1, witness `<sig> <witness script>`.
 *
 * HTLC outputs, a revoked commitment's `to_local` (justice) and anchors are
 * not claimed yet.
 */
import { Transaction } from 'bitcoinjs-lib';
import { equalBytes } from '../codec/index.js';
import { INITIAL_COMMITMENT_INDEX, type ChannelSigner } from '../keys/index.js';
import {
  P2WPKH_WITNESS,
  SighashType,
  TO_LOCAL_DELAYED_WITNESS,
  TO_REMOTE_ANCHORS_WITNESS,
  commitmentNumberFromTx,
  expectedSpendWeight,
  feeForWeight,
  p2wpkh,
  p2wpkhScriptCode,
  p2wsh,
  toLocalScript,
  toRemoteAnchorsScript,
  witnessDigest,
  witnessSignature,
  type Outpoint,
} from '../tx/index.js';
import type { ChannelMonitor } from './channel-monitor.js';

/** What spent the funding output, as the monitor tells. */
export type FundingSpend =
  /** Our latest commitment (the one a force close broadcasts). */
  | { readonly kind: 'holder-commitment'; readonly commitmentNumber: bigint }
  /** A commitment that is not our latest: the counterparty's (or, never broadcast by us, an older one of ours). */
  | { readonly kind: 'counterparty-commitment'; readonly commitmentNumber: bigint }
  /** Not a commitment (no BOLT 3 locktime and sequence markers): the cooperative close. */
  | { readonly kind: 'cooperative-close' }
  /** Does not spend the funding output. */
  | { readonly kind: 'unrelated' };

/** One output of ours on a commitment, with what spending it takes. */
export interface OurOutput {
  readonly kind: 'to-local' | 'to-remote';
  readonly outpoint: Outpoint;
  readonly valueSat: bigint;
  /** The script the signature commits to: the P2WSH witness script, or the P2WPKH script code. */
  readonly scriptCode: Uint8Array;
  /** Blocks after the commitment's confirmation before it can be spent (the input's sequence); 0: at once. */
  readonly csvBlocks: number;
  /** `to-local`: our per-commitment point of the commitment (the delayed key is derived from it). */
  readonly perCommitmentPoint?: Uint8Array;
  /** `to-remote` under anchors: the P2WSH witness script goes in the witness. */
  readonly anchors?: boolean;
}

/** A sweep of one output, or why none is made. */
export type Sweep =
  | { readonly kind: 'sweep'; readonly tx: Uint8Array; readonly txid: Uint8Array; readonly amountSat: bigint; readonly feeSat: bigint; readonly output: OurOutput }
  /** The output is worth less than the sweep's fee plus the destination's dust limit: left on chain (it would cost more than it brings). */
  | { readonly kind: 'below-dust'; readonly feeSat: bigint; readonly output: OurOutput };

/** BOLT 3 commitment markers: locktime's upper byte 0x20, the input sequence's 0x80. */
function isCommitment(tx: Transaction): boolean {
  return tx.ins.length === 1 && tx.locktime >>> 24 === 0x20 && tx.ins[0]!.sequence >>> 24 === 0x80;
}

function spendsFunding(tx: Transaction, funding: Outpoint): boolean {
  return tx.ins.some((i) => i.index === funding.index && equalBytes(i.hash, funding.txid));
}

/** What `tx` is to the channel of `monitor` (BOLT 5: "a node MUST monitor the blockchain for transactions that spend any output that is not yet irrevocably resolved"). */
export function classifyFundingSpend(monitor: ChannelMonitor, tx: Transaction): FundingSpend {
  if (!spendsFunding(tx, monitor.fundingOutpoint)) return { kind: 'unrelated' };
  if (!isCommitment(tx)) return { kind: 'cooperative-close' };
  const commitmentNumber = commitmentNumberFromTx(tx, monitor.obscuringFactor);
  const ours = Transaction.fromBuffer(monitor.holderCommitmentTx).getHash();
  return equalBytes(tx.getHash(), ours) ? { kind: 'holder-commitment', commitmentNumber } : { kind: 'counterparty-commitment', commitmentNumber };
}

/**
 * Our outputs on `tx`, a transaction spending the channel's funding output:
 * `to_local` on our latest commitment, `to_remote` on any other commitment.
 * None on a cooperative close (its output already pays the wallet) or an
 * unrelated transaction. An output the commitment trimmed is simply absent.
 */
export function ourOutputs(signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction): OurOutput[] {
  const spend = classifyFundingSpend(monitor, tx);
  const txid = new Uint8Array(tx.getHash());
  const find = (script: Uint8Array) => tx.outs.findIndex((o) => equalBytes(o.script, script));
  if (spend.kind === 'holder-commitment') {
    const index = INITIAL_COMMITMENT_INDEX - spend.commitmentNumber;
    const point = signer.perCommitmentPoint(index);
    const revocation = signer.holderRevocationPublicKey(monitor.counterparty.pubkeys.revocationBasepoint, index);
    const toSelfDelay = monitor.counterparty.toSelfDelay;
    const witnessScript = toLocalScript(revocation, toSelfDelay, signer.delayedPaymentPublicKey(point));
    const vout = find(p2wsh(witnessScript));
    if (vout < 0) return [];
    return [{ kind: 'to-local', outpoint: { txid, index: vout }, valueSat: BigInt(tx.outs[vout]!.value), scriptCode: witnessScript, csvBlocks: toSelfDelay, perCommitmentPoint: point }];
  }
  if (spend.kind === 'counterparty-commitment') {
    const key = signer.publicKeys.paymentBasepoint;
    const anchors = monitor.channelType.anchors;
    const witnessScript = anchors ? toRemoteAnchorsScript(key) : undefined;
    const vout = find(witnessScript !== undefined ? p2wsh(witnessScript) : p2wpkh(key));
    if (vout < 0) return [];
    const valueSat = BigInt(tx.outs[vout]!.value);
    const outpoint = { txid, index: vout };
    return [witnessScript !== undefined ? { kind: 'to-remote', outpoint, valueSat, scriptCode: witnessScript, csvBlocks: 1, anchors: true } : { kind: 'to-remote', outpoint, valueSat, scriptCode: p2wpkhScriptCode(key), csvBlocks: 0 }];
  }
  return [];
}

/** Bitcoin Core's dust threshold for an output paying `script` at its default 3 sat/vB dust relay fee: 294 sat for P2WPKH, 330 for P2WSH, 546 otherwise. */
export function dustLimitOf(script: Uint8Array): bigint {
  if (script.length === 22 && script[0] === 0 && script[1] === 20) return 294n;
  if (script.length === 34 && script[0] === 0 && script[1] === 32) return 330n;
  return 546n;
}

/** BIP 125 signalling sequence for an input without a relative lock. */
const RBF_SEQUENCE = 0xfffffffd;

/**
 * Sweeps `output` to `destinationScript`: version 2, one input (sequence =
 * its CSV, else RBF-signalling), one output of its value minus
 * `feeratePerKw` × the BOLT 5 expected weight, signed by the channel's
 * signer (SIGHASH_ALL). `below-dust` when what is left would be under the
 * destination's dust limit.
 */
export function sweepOutput(signer: ChannelSigner, output: OurOutput, destinationScript: Uint8Array, feeratePerKw: bigint, locktime = 0): Sweep {
  const witnessBytes = output.kind === 'to-local' ? TO_LOCAL_DELAYED_WITNESS : output.anchors === true ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;
  const feeSat = feeForWeight(feeratePerKw, expectedSpendWeight([witnessBytes], [destinationScript]));
  const amountSat = output.valueSat - feeSat;
  if (amountSat < dustLimitOf(destinationScript)) return { kind: 'below-dust', feeSat, output };
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = locktime;
  tx.addInput(output.outpoint.txid, output.outpoint.index, output.csvBlocks > 0 ? output.csvBlocks : RBF_SEQUENCE);
  tx.addOutput(destinationScript, amountSat);
  const digest = witnessDigest(tx, 0, output.scriptCode, output.valueSat, SighashType.All);
  if (output.kind === 'to-local') {
    const sig = witnessSignature(signer.signWithDelayedPaymentKey(digest, output.perCommitmentPoint!));
    tx.setWitness(0, [sig, new Uint8Array(0), output.scriptCode]);
  } else {
    const sig = witnessSignature(signer.signWithPaymentKey(digest));
    tx.setWitness(0, output.anchors === true ? [sig, output.scriptCode] : [sig, signer.publicKeys.paymentBasepoint]);
  }
  return { kind: 'sweep', tx: tx.toBuffer(), txid: new Uint8Array(tx.getHash()), amountSat, feeSat, output };
}
