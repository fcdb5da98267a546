/**
 * BOLT 3 HTLC-timeout and HTLC-success transactions: the second stage that
 * spends an HTLC output of the owner's commitment into a delayed `to_local`
 * style output, signed by both peers (the counterparty with
 * SIGHASH_SINGLE|ANYONECANPAY under `option_anchors`).
 */
import { Transaction } from 'bitcoinjs-lib';
import type { Secp256k1 } from '../crypto/index.js';
import { TxError, TxErrorCode } from './errors.js';
import type { CommitmentTransaction } from './commitment.js';
import { CommitmentOutputKind } from './commitment.js';
import { ChannelType, htlcSuccessFeeSat, htlcTimeoutFeeSat, htlcTransactionWeight } from './fees.js';
import { p2wsh, toLocalScript } from './scripts.js';
import { SighashType, signWitnessInput, verifyWitnessInput, witnessSignature } from './sign.js';

/** BOLT 3 second-stage transactions: HTLC-timeout spends an offered HTLC output, HTLC-success a received one. */
export const HtlcTransactionKind = {
  Timeout: 'htlc-timeout',
  Success: 'htlc-success',
} as const;
export type HtlcTransactionKind = (typeof HtlcTransactionKind)[keyof typeof HtlcTransactionKind];

/** One second-stage HTLC transaction (unsigned) of a commitment. */
export interface HtlcTransaction {
  readonly kind: HtlcTransactionKind;
  readonly tx: Transaction;
  /** Index into the commitment's `params.htlcs`. */
  readonly htlcIndex: number;
  /** The spent commitment output's index. */
  readonly commitmentOutputIndex: number;
  /** The spent HTLC output's witness script and value (what the signatures commit to). */
  readonly witnessScript: Uint8Array;
  readonly amountSat: bigint;
  /** The output's `to_local`-form witness script (revocation key or delayed key after `to_self_delay`). */
  readonly outputWitnessScript: Uint8Array;
  /** Sighash type of the counterparty's signature (SINGLE|ANYONECANPAY with anchors). */
  readonly remoteSighashType: SighashType;
  readonly expectedWeight: bigint;
}

/**
 * BOLT 3 HTLC-Timeout and HTLC-Success Transactions for every untrimmed HTLC
 * of a commitment, in commitment output order (the order `commitment_signed`
 * carries their signatures).
 */
export function buildHtlcTransactions(commitment: CommitmentTransaction): HtlcTransaction[] {
  const p = commitment.params;
  const anchors = p.channelType === ChannelType.Anchors;
  const txid = commitment.tx.getHash();
  const outputWitnessScript = toLocalScript(p.keys.revocationPubkey, p.toSelfDelay, p.keys.localDelayedPubkey);
  const outputScript = p2wsh(outputWitnessScript);
  const result: HtlcTransaction[] = [];
  commitment.outputs.forEach((o, index) => {
    if (o.kind !== CommitmentOutputKind.OfferedHtlc && o.kind !== CommitmentOutputKind.ReceivedHtlc) return;
    const offered = o.kind === CommitmentOutputKind.OfferedHtlc;
    const htlc = p.htlcs[o.htlcIndex!]!;
    const fee = offered ? htlcTimeoutFeeSat(p.channelType, p.feeratePerKw) : htlcSuccessFeeSat(p.channelType, p.feeratePerKw);
    if (o.amountSat < fee) throw new TxError(TxErrorCode.OutputBelowDust, 'HTLC amount below its transaction fee');
    const tx = new Transaction();
    tx.version = 2;
    tx.locktime = offered ? htlc.cltvExpiry : 0;
    tx.addInput(txid, index, anchors ? 1 : 0);
    tx.addOutput(outputScript, o.amountSat - fee);
    result.push({
      kind: offered ? HtlcTransactionKind.Timeout : HtlcTransactionKind.Success,
      tx,
      htlcIndex: o.htlcIndex!,
      commitmentOutputIndex: index,
      witnessScript: o.witnessScript,
      amountSat: o.amountSat,
      outputWitnessScript,
      remoteSighashType: anchors ? SighashType.SingleAnyoneCanPay : SighashType.All,
      expectedWeight: htlcTransactionWeight(p.channelType, offered),
    });
  });
  return result;
}

/**
 * The counterparty's signature on an HTLC transaction of the owner's
 * commitment (sent in `commitment_signed`), made with its HTLC secret.
 */
export function signHtlcTransactionAsRemote(secp: Secp256k1, htlcTx: HtlcTransaction, remoteHtlcSecret: Uint8Array): Uint8Array {
  return signWitnessInput(secp, htlcTx.tx, 0, htlcTx.witnessScript, htlcTx.amountSat, remoteHtlcSecret, htlcTx.remoteSighashType);
}

/** The owner's own signature on its HTLC transaction (SIGHASH_ALL), made when it goes on chain. */
export function signHtlcTransactionAsLocal(secp: Secp256k1, htlcTx: HtlcTransaction, localHtlcSecret: Uint8Array): Uint8Array {
  return signWitnessInput(secp, htlcTx.tx, 0, htlcTx.witnessScript, htlcTx.amountSat, localHtlcSecret, SighashType.All);
}

/** Checks a counterparty's HTLC signature from `commitment_signed` against `remote_htlcpubkey`. */
export function verifyRemoteHtlcSignature(secp: Secp256k1, htlcTx: HtlcTransaction, signature: Uint8Array, remoteHtlcPubkey: Uint8Array): boolean {
  return verifyWitnessInput(secp, htlcTx.tx, 0, htlcTx.witnessScript, htlcTx.amountSat, signature, remoteHtlcPubkey, htlcTx.remoteSighashType);
}

/**
 * The spendable HTLC transaction: witness `0 <remotehtlcsig> <localhtlcsig>
 * <payment_preimage>` for HTLC-success, `... <>` for HTLC-timeout.
 */
export function finalizeHtlcTransaction(htlcTx: HtlcTransaction, remoteSignature: Uint8Array, localSignature: Uint8Array, paymentPreimage?: Uint8Array): Transaction {
  let last: Uint8Array;
  if (htlcTx.kind === HtlcTransactionKind.Success) {
    if (paymentPreimage === undefined || paymentPreimage.length !== 32) throw new TxError(TxErrorCode.InvalidLength, 'HTLC-success needs a 32-byte preimage');
    last = paymentPreimage;
  } else {
    last = new Uint8Array(0);
  }
  const tx = htlcTx.tx.clone();
  tx.setWitness(0, [
    new Uint8Array(0),
    witnessSignature(remoteSignature, htlcTx.remoteSighashType),
    witnessSignature(localSignature, SighashType.All),
    last,
    htlcTx.witnessScript,
  ]);
  return tx;
}
