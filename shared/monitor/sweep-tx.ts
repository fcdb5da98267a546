/**
 * The sweep transaction of our outputs of a closed channel (BOLT 5
 * "On-chain Transaction Handling", docs/force-close.md): what an output of
 * ours is ({@link OurOutput}, found by sweep.ts and htlc-claims.ts), the
 * witness that spends each kind, its BOLT 5 expected size, and one signed
 * transaction taking several of them to a destination script at a feerate.
 * Pure.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { ChannelSigner } from '../keys/index.js';
import type { MonitorHtlc } from './monitor-update-step.js';
import {
  ACCEPTED_HTLC_PENALTY_WITNESS,
  ANCHOR_FUNDING_WITNESS,
  ACCEPTED_HTLC_PENALTY_WITNESS_ANCHORS,
  ACCEPTED_HTLC_TIMEOUT_WITNESS,
  ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS,
  INPUT_BYTES,
  OFFERED_HTLC_PENALTY_WITNESS,
  OFFERED_HTLC_PENALTY_WITNESS_ANCHORS,
  OFFERED_HTLC_PREIMAGE_WITNESS,
  OFFERED_HTLC_PREIMAGE_WITNESS_NO_ANCHORS,
  P2WPKH_WITNESS,
  SighashType,
  TO_LOCAL_DELAYED_WITNESS,
  TO_LOCAL_PENALTY_WITNESS,
  TO_REMOTE_ANCHORS_WITNESS,
  expectedSpendWeight,
  feeForWeight,
  witnessDigest,
  witnessSignature,
  type Outpoint,
} from '../tx/index.js';

/** One output of ours on a commitment, with what spending it takes. */
export interface OurOutput {
  /**
   * `revoked-to-local`: their `to_local` on a revoked commitment of theirs, ours by the revocation key;
   * `revoked-htlc`: an HTLC output of a revoked commitment of theirs, ours by the revocation key;
   * `htlc-preimage`: an HTLC output they offered us on an unrevoked commitment of theirs, ours by its preimage;
   * `htlc-timeout`: an HTLC output we offered them on an unrevoked commitment of theirs, ours after its `cltv_expiry`.
   * `to-local` is also the output of our own HTLC transaction (the same script as our commitment's `to_local`).
   * `anchor`: our 330 sat anchor on a commitment (ours or theirs) under anchors, spent with our funding key.
   */
  readonly kind: 'to-local' | 'to-remote' | 'revoked-to-local' | 'revoked-htlc' | 'htlc-preimage' | 'htlc-timeout' | 'anchor';
  readonly outpoint: Outpoint;
  readonly valueSat: bigint;
  /** The script the signature commits to: the P2WSH witness script, or the P2WPKH script code. */
  readonly scriptCode: Uint8Array;
  /** Blocks after the commitment's confirmation before it can be spent (the input's sequence); 0: at once. */
  readonly csvBlocks: number;
  /**
   * `to-local`: our per-commitment point of the commitment (the delayed key is derived from it);
   * `htlc-preimage`, `htlc-timeout`: theirs (our htlc key on their commitment is derived from it).
   */
  readonly perCommitmentPoint?: Uint8Array;
  /** `revoked-to-local`, `revoked-htlc`: their per-commitment secret of the commitment (the revocation key is derived from it). */
  readonly perCommitmentSecret?: Uint8Array;
  /** `revoked-htlc`: the revocationpubkey its witness shows (the script holds only its HASH160). */
  readonly revocationPubkey?: Uint8Array;
  /** `revoked-htlc`: offered by the counterparty (BOLT 3 offered HTLC script), else received by them. */
  readonly offered?: boolean;
  /** `htlc-preimage`: the payment preimage its witness shows. */
  readonly paymentPreimage?: Uint8Array;
  /** `htlc-timeout`: the HTLC's `cltv_expiry`, the least nLockTime of a transaction spending it. */
  readonly cltvExpiry?: number;
  /** `htlc-timeout`, `htlc-preimage`: the HTLC, as the monitor knows it (what reports the resolution of one we offered). */
  readonly htlc?: MonitorHtlc;
  /** `to-remote`, `revoked-htlc`, `htlc-preimage`, `htlc-timeout` under anchors: the script variant (the witness script, the expected witness size). */
  readonly anchors?: boolean;
}

/** A sweep of our outputs (one transaction, one input each), or why none is made. */
export type Sweep =
  /** `outputs`: those the transaction spends, in input order (an output worth less than its input's fee is left out). */
  | { readonly kind: 'sweep'; readonly tx: Uint8Array; readonly txid: Uint8Array; readonly amountSat: bigint; readonly feeSat: bigint; readonly outputs: readonly OurOutput[] }
  /** The outputs are worth less than the sweep's fee plus the destination's dust limit: left on chain (it would cost more than it brings). */
  | { readonly kind: 'below-dust'; readonly feeSat: bigint; readonly outputs: readonly OurOutput[] };

/** Bitcoin Core's dust threshold for an output paying `script` at its default 3 sat/vB dust relay fee: 294 sat for P2WPKH, 330 for P2WSH, 546 otherwise. */
export function dustLimitOf(script: Uint8Array): bigint {
  if (script.length === 22 && script[0] === 0 && script[1] === 20) return 294n;
  if (script.length === 34 && script[0] === 0 && script[1] === 32) return 330n;
  return 546n;
}

/** BIP 125 signalling sequence for an input without a relative lock. */
const RBF_SEQUENCE = 0xfffffffd;

/** The BOLT 5 expected witness bytes of spending `output`. */
function witnessBytesOf(output: OurOutput): number {
  if (output.kind === 'to-local') return TO_LOCAL_DELAYED_WITNESS;
  if (output.kind === 'anchor') return ANCHOR_FUNDING_WITNESS;
  if (output.kind === 'revoked-to-local') return TO_LOCAL_PENALTY_WITNESS;
  if (output.kind === 'revoked-htlc') {
    if (output.offered === true) return output.anchors === true ? OFFERED_HTLC_PENALTY_WITNESS_ANCHORS : OFFERED_HTLC_PENALTY_WITNESS;
    return output.anchors === true ? ACCEPTED_HTLC_PENALTY_WITNESS_ANCHORS : ACCEPTED_HTLC_PENALTY_WITNESS;
  }
  if (output.kind === 'htlc-preimage') return output.anchors === true ? OFFERED_HTLC_PREIMAGE_WITNESS : OFFERED_HTLC_PREIMAGE_WITNESS_NO_ANCHORS;
  if (output.kind === 'htlc-timeout') return output.anchors === true ? ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS : ACCEPTED_HTLC_TIMEOUT_WITNESS;
  return output.anchors === true ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;
}

/** Sweeps one output: `sweepOutputs` of `[output]`. */
export function sweepOutput(signer: ChannelSigner, output: OurOutput, destinationScript: Uint8Array, feeratePerKw: bigint, locktime = 0): Sweep {
  return sweepOutputs(signer, [output], destinationScript, feeratePerKw, locktime);
}

/**
 * Sweeps `outputs` (of one transaction, e.g. the justice outputs, their
 * `to_local` and HTLC outputs, and our `to_remote` of a revoked commitment)
 * to `destinationScript` in one
 * transaction: version 2, one input per output in the order given
 * (sequence = its CSV, else RBF-signalling 0xfffffffd), one output of their
 * value minus `feeratePerKw` × the BOLT 5 expected weight, each input signed
 * by the channel's signer (SIGHASH_ALL). An output worth no more than the fee
 * its own input adds is left out. `below-dust` when what is left would be
 * under the destination's dust limit. Its nLockTime is the largest of
 * `locktime` and the inputs' `cltvExpiry` (an `htlc-timeout` input's
 * `OP_CHECKLOCKTIMEVERIFY` compares it): the transaction is valid once the
 * largest CSV among the inputs is and, with a locktime, in a block above
 * that height (the mempool takes it once the tip reached it).
 */
export function sweepOutputs(signer: ChannelSigner, outputs: readonly OurOutput[], destinationScript: Uint8Array, feeratePerKw: bigint, locktime = 0): Sweep {
  const worth = outputs.filter((o) => o.valueSat > feeForWeight(feeratePerKw, BigInt(4 * INPUT_BYTES + witnessBytesOf(o))));
  const feeSat = feeForWeight(feeratePerKw, expectedSpendWeight(worth.map(witnessBytesOf), [destinationScript]));
  const amountSat = worth.reduce((sum, o) => sum + o.valueSat, 0n) - feeSat;
  if (worth.length === 0 || amountSat < dustLimitOf(destinationScript)) return { kind: 'below-dust', feeSat, outputs };
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = worth.reduce((max, o) => Math.max(max, o.cltvExpiry ?? 0), locktime);
  for (const output of worth) tx.addInput(output.outpoint.txid, output.outpoint.index, output.csvBlocks > 0 ? output.csvBlocks : RBF_SEQUENCE);
  tx.addOutput(destinationScript, amountSat);
  worth.forEach((output, i) => tx.setWitness(i, witnessOf(signer, output, witnessDigest(tx, i, output.scriptCode, output.valueSat, SighashType.All))));
  return { kind: 'sweep', tx: tx.toBuffer(), txid: new Uint8Array(tx.getHash()), amountSat, feeSat, outputs: worth };
}

/** The witness spending `output`, its signature over `digest`. */
function witnessOf(signer: ChannelSigner, output: OurOutput, digest: Uint8Array): Uint8Array[] {
  switch (output.kind) {
    case 'to-local':
      return [witnessSignature(signer.signWithDelayedPaymentKey(digest, output.perCommitmentPoint!)), new Uint8Array(0), output.scriptCode];
    case 'revoked-to-local':
      // `1` takes the OP_IF branch: the revocation key, no delay.
      return [witnessSignature(signer.signWithRevocationKey(digest, output.perCommitmentSecret!)), Uint8Array.of(1), output.scriptCode];
    case 'revoked-htlc':
      // The revocationpubkey matches the script's HASH160: the OP_IF branch, a plain CHECKSIG.
      return [witnessSignature(signer.signWithRevocationKey(digest, output.perCommitmentSecret!)), output.revocationPubkey!, output.scriptCode];
    case 'htlc-preimage':
      // A 32-byte element after our signature: the `remote_htlcpubkey` branch, the preimage checked against the payment hash.
      return [witnessSignature(signer.signWithHtlcKey(digest, output.perCommitmentPoint!)), output.paymentPreimage!, output.scriptCode];
    case 'htlc-timeout':
      // An empty element (not 32 bytes) takes the `remote_htlcpubkey` branch that checks the locktime against `cltv_expiry`.
      return [witnessSignature(signer.signWithHtlcKey(digest, output.perCommitmentPoint!)), new Uint8Array(0), output.scriptCode];
    case 'anchor':
      // Our funding key's signature: the OP_CHECKSIG succeeds, OP_IFDUP OP_NOTIF skips the 16-block branch.
      return [witnessSignature(signer.signWithFundingKey(digest)), output.scriptCode];
    case 'to-remote': {
      const sig = witnessSignature(signer.signWithPaymentKey(digest));
      return output.anchors === true ? [sig, output.scriptCode] : [sig, signer.publicKeys.paymentBasepoint];
    }
  }
}
