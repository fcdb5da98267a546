/**
 * BOLT 3 Commitment Transaction: construction (obscured commitment number,
 * trimming, fee paid by the opener, anchors, BIP 69 order with the CLTV
 * tie-break), funding-input signatures and the final witness.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { Secp256k1 } from '../crypto/index.js';
import { concatBytes, sha256 } from '../crypto/index.js';
import type { Outpoint } from './amounts.js';
import { checkFeerate, checkInteger, checkMsat, checkOutpoint, checkSat } from './amounts.js';
import { TxError, TxErrorCode } from './errors.js';
import { ChannelType, commitmentFeeSat, commitmentWeight, isHtlcTrimmed } from './fees.js';
import {
  anchorScript,
  assertPublicKey,
  compareBytes,
  fundingScript,
  offeredHtlcScript,
  p2wpkh,
  p2wpkhScriptCode,
  p2wsh,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
  type HtlcScriptKeys,
} from './scripts.js';
import { SighashType, signWitnessInput, verifyWitnessInput } from './sign.js';
import { fundingWitness } from './funding.js';
import { ANCHOR_OUTPUT_SAT } from './weights.js';

/** BOLT 2 `max_accepted_htlcs` upper bound: at most 483 HTLCs each way. */
export const MAX_HTLCS_PER_SIDE = 483;

/** An HTLC as it appears on one commitment, from that commitment owner's point of view. */
export interface CommitmentHtlc {
  /** True when the commitment's owner offered it (spent by HTLC-timeout), false when received (HTLC-success). */
  readonly offered: boolean;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
}

/**
 * The keys of one commitment, already derived for its per-commitment point
 * (BOLT 3 Key Derivation). "Local" is the commitment's owner.
 */
export interface CommitmentKeys {
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
  /** `revocationpubkey`: from the counterparty's revocation basepoint. */
  readonly revocationPubkey: Uint8Array;
  /** `local_delayedpubkey`. */
  readonly localDelayedPubkey: Uint8Array;
  readonly localHtlcPubkey: Uint8Array;
  readonly remoteHtlcPubkey: Uint8Array;
  /** The `to_remote` key: with `option_static_remotekey`/anchors the counterparty's `payment_basepoint`. */
  readonly remotePaymentPubkey: Uint8Array;
}

/** Everything that determines one commitment transaction. */
export interface CommitmentParams {
  readonly channelType: ChannelType;
  readonly fundingOutpoint: Outpoint;
  readonly fundingSat: bigint;
  /** Lower 48 bits of SHA256(opener payment_basepoint || accepter payment_basepoint): see `commitmentObscuringFactor`. */
  readonly obscuringFactor: bigint;
  readonly commitmentNumber: bigint;
  /** True when the commitment's owner opened the channel (and pays the fee and anchors). */
  readonly localIsOpener: boolean;
  /** Owner's balance before fees, anchors and in-flight HTLCs are taken out. */
  readonly toLocalMsat: bigint;
  readonly toRemoteMsat: bigint;
  readonly feeratePerKw: bigint;
  /** The owner's `dust_limit_satoshis`. */
  readonly dustLimitSat: bigint;
  /** The delay the owner waits on `to_local` (the counterparty's `to_self_delay`). */
  readonly toSelfDelay: number;
  readonly keys: CommitmentKeys;
  readonly htlcs: readonly CommitmentHtlc[];
  /**
   * BOLT 3 step 4 says a fee larger than the opener's balance is taken
   * "to zero". A channel never lets that happen (BOLT 2), so by default it is
   * a typed `opener-cannot-pay-fee` error; set true only to reproduce such a
   * state (the spec's "fee greater than funder amount" vector).
   */
  readonly allowFeeShortfall?: boolean;
}

/** Kinds of commitment outputs. */
export const CommitmentOutputKind = {
  ToLocal: 'to-local',
  ToRemote: 'to-remote',
  LocalAnchor: 'local-anchor',
  RemoteAnchor: 'remote-anchor',
  OfferedHtlc: 'offered-htlc',
  ReceivedHtlc: 'received-htlc',
} as const;
export type CommitmentOutputKind = (typeof CommitmentOutputKind)[keyof typeof CommitmentOutputKind];

/** One output of a built commitment, with the script needed to spend it. */
export interface CommitmentOutput {
  readonly kind: CommitmentOutputKind;
  readonly amountSat: bigint;
  readonly scriptPubKey: Uint8Array;
  /** The P2WSH witness script, or for the P2WPKH `to_remote` the BIP 143 script code. */
  readonly witnessScript: Uint8Array;
  /** Index into `params.htlcs` for HTLC outputs. */
  readonly htlcIndex?: number;
  /** The HTLC's `cltv_expiry`, for the BIP 69 tie-break. */
  readonly cltvExpiry?: number;
}

/** A built (unsigned) commitment transaction and what it is made of. */
export interface CommitmentTransaction {
  readonly params: CommitmentParams;
  readonly tx: Transaction;
  readonly fundingScript: Uint8Array;
  /** Outputs in transaction order. */
  readonly outputs: readonly CommitmentOutput[];
  /** For each entry of `params.htlcs`, its output index, or null when trimmed. */
  readonly htlcOutputIndex: readonly (number | null)[];
  /** BOLT 3 base fee from the expected weight. */
  readonly baseFeeSat: bigint;
  /** What the transaction really pays: funding minus outputs (includes trimmed amounts). */
  readonly actualFeeSat: bigint;
  /** BOLT 3 expected weight. */
  readonly expectedWeight: bigint;
}

/**
 * BOLT 3 Commitment Transaction: the 48-bit obscuring factor, the lower 48
 * bits of SHA256(payment_basepoint from open_channel || from accept_channel).
 */
export function commitmentObscuringFactor(openerPaymentBasepoint: Uint8Array, accepterPaymentBasepoint: Uint8Array): bigint {
  assertPublicKey(openerPaymentBasepoint, 'opener payment basepoint');
  assertPublicKey(accepterPaymentBasepoint, 'accepter payment basepoint');
  const h = sha256(concatBytes(openerPaymentBasepoint, accepterPaymentBasepoint));
  let v = 0n;
  for (let i = 26; i < 32; i++) v = (v << 8n) | BigInt(h[i]!);
  return v;
}

const MASK_48 = (1n << 48n) - 1n;

/** BOLT 3: locktime (upper byte 0x20) and sequence (upper byte 0x80) carrying the obscured commitment number. */
export function obscuredLocktimeAndSequence(commitmentNumber: bigint, obscuringFactor: bigint): { locktime: number; sequence: number } {
  if (commitmentNumber < 0n || commitmentNumber > MASK_48) throw new TxError(TxErrorCode.InvalidParameter, 'commitment number must fit 48 bits');
  if (obscuringFactor < 0n || obscuringFactor > MASK_48) throw new TxError(TxErrorCode.InvalidParameter, 'obscuring factor must fit 48 bits');
  const obscured = commitmentNumber ^ obscuringFactor;
  return {
    locktime: Number((0x20n << 24n) | (obscured & 0xffffffn)),
    sequence: Number((0x80n << 24n) | (obscured >> 24n)),
  };
}

/** Recovers the commitment number from a commitment's locktime and sequence (BOLT 5 uses it to identify a close). */
export function commitmentNumberFromTx(tx: Transaction, obscuringFactor: bigint): bigint {
  const upper = BigInt(tx.ins[0]!.sequence & 0xffffff);
  const lower = BigInt(tx.locktime & 0xffffff);
  return ((upper << 24n) | lower) ^ obscuringFactor;
}

/** BIP 69 output order with BOLT 3's tie-break: equal HTLC outputs by increasing `cltv_expiry`. */
function compareOutputs(a: CommitmentOutput, b: CommitmentOutput): number {
  if (a.amountSat !== b.amountSat) return a.amountSat < b.amountSat ? -1 : 1;
  const byScript = compareBytes(a.scriptPubKey, b.scriptPubKey);
  if (byScript !== 0) return byScript;
  return (a.cltvExpiry ?? 0) - (b.cltvExpiry ?? 0);
}

function validate(p: CommitmentParams): void {
  checkOutpoint(p.fundingOutpoint, 'funding outpoint');
  checkSat(p.fundingSat, 'funding amount');
  checkMsat(p.toLocalMsat, 'to_local balance');
  checkMsat(p.toRemoteMsat, 'to_remote balance');
  checkSat(p.dustLimitSat, 'dust limit');
  checkFeerate(p.feeratePerKw);
  checkInteger(p.toSelfDelay, 0xffff, 'to_self_delay');
  const k = p.keys;
  assertPublicKey(k.localFundingPubkey, 'local funding pubkey');
  assertPublicKey(k.remoteFundingPubkey, 'remote funding pubkey');
  assertPublicKey(k.revocationPubkey, 'revocation pubkey');
  assertPublicKey(k.localDelayedPubkey, 'local delayed pubkey');
  assertPublicKey(k.remotePaymentPubkey, 'remote payment pubkey');
  // The HTLC keys are checked by the HTLC scripts, which only a commitment with an HTLC output builds.
  let offered = 0;
  let received = 0;
  let total = p.toLocalMsat + p.toRemoteMsat;
  for (const h of p.htlcs) {
    checkMsat(h.amountMsat, 'HTLC amount');
    checkInteger(h.cltvExpiry, 0xffffffff, 'cltv_expiry');
    if (h.paymentHash.length !== 32) throw new TxError(TxErrorCode.InvalidLength, 'payment hash must be 32 bytes');
    if (h.offered) offered++;
    else received++;
    total += h.amountMsat;
  }
  if (offered > MAX_HTLCS_PER_SIDE || received > MAX_HTLCS_PER_SIDE) {
    throw new TxError(TxErrorCode.TooManyHtlcs, `at most ${MAX_HTLCS_PER_SIDE} HTLCs each way (offered ${offered}, received ${received})`);
  }
  if (total !== p.fundingSat * 1000n) {
    throw new TxError(TxErrorCode.BalanceMismatch, 'balances and HTLCs must add up to the funding amount');
  }
}

/**
 * BOLT 3 Commitment Transaction Construction, steps 1–10, for the owner
 * described by `params` ("local"). Throws `TxError` on invalid input.
 */
export function buildCommitmentTransaction(params: CommitmentParams): CommitmentTransaction {
  validate(params);
  const p = params;
  const anchors = p.channelType === ChannelType.Anchors;
  const k = p.keys;

  const untrimmed: number[] = [];
  p.htlcs.forEach((h, i) => {
    if (!isHtlcTrimmed(p.channelType, h.offered, h.amountMsat, p.dustLimitSat, p.feeratePerKw)) untrimmed.push(i);
  });
  const baseFeeSat = commitmentFeeSat(p.channelType, p.feeratePerKw, untrimmed.length);
  const openerCostMsat = (baseFeeSat + (anchors ? 2n * ANCHOR_OUTPUT_SAT : 0n)) * 1000n;

  let toLocalMsat = p.toLocalMsat;
  let toRemoteMsat = p.toRemoteMsat;
  const openerMsat = p.localIsOpener ? toLocalMsat : toRemoteMsat;
  if (openerMsat < openerCostMsat && p.allowFeeShortfall !== true) {
    throw new TxError(TxErrorCode.OpenerCannotPayFee, `opener balance ${openerMsat} msat cannot pay ${openerCostMsat} msat of fee and anchors`);
  }
  const openerAfter = openerMsat > openerCostMsat ? openerMsat - openerCostMsat : 0n;
  if (p.localIsOpener) toLocalMsat = openerAfter;
  else toRemoteMsat = openerAfter;

  const outputs: CommitmentOutput[] = [];
  // Read on the first HTLC output: a commitment without one never reads its HTLC keys, which may be derived on demand.
  let htlcKeys: HtlcScriptKeys | undefined;
  for (const i of untrimmed) {
    const h = p.htlcs[i]!;
    htlcKeys ??= { revocationPubkey: k.revocationPubkey, localHtlcPubkey: k.localHtlcPubkey, remoteHtlcPubkey: k.remoteHtlcPubkey };
    const witnessScript = h.offered
      ? offeredHtlcScript(htlcKeys, h.paymentHash, anchors)
      : receivedHtlcScript(htlcKeys, h.paymentHash, h.cltvExpiry, anchors);
    outputs.push({
      kind: h.offered ? CommitmentOutputKind.OfferedHtlc : CommitmentOutputKind.ReceivedHtlc,
      amountSat: h.amountMsat / 1000n,
      scriptPubKey: p2wsh(witnessScript),
      witnessScript,
      htlcIndex: i,
      cltvExpiry: h.cltvExpiry,
    });
  }
  const toLocalSat = toLocalMsat / 1000n;
  const toRemoteSat = toRemoteMsat / 1000n;
  const hasToLocal = toLocalSat >= p.dustLimitSat;
  const hasToRemote = toRemoteSat >= p.dustLimitSat;
  if (hasToLocal) {
    const witnessScript = toLocalScript(k.revocationPubkey, p.toSelfDelay, k.localDelayedPubkey);
    outputs.push({ kind: CommitmentOutputKind.ToLocal, amountSat: toLocalSat, scriptPubKey: p2wsh(witnessScript), witnessScript });
  }
  if (hasToRemote) {
    if (anchors) {
      const witnessScript = toRemoteAnchorsScript(k.remotePaymentPubkey);
      outputs.push({ kind: CommitmentOutputKind.ToRemote, amountSat: toRemoteSat, scriptPubKey: p2wsh(witnessScript), witnessScript });
    } else {
      outputs.push({
        kind: CommitmentOutputKind.ToRemote,
        amountSat: toRemoteSat,
        scriptPubKey: p2wpkh(k.remotePaymentPubkey),
        witnessScript: p2wpkhScriptCode(k.remotePaymentPubkey),
      });
    }
  }
  if (anchors) {
    if (hasToLocal || untrimmed.length > 0) {
      const witnessScript = anchorScript(k.localFundingPubkey);
      outputs.push({ kind: CommitmentOutputKind.LocalAnchor, amountSat: ANCHOR_OUTPUT_SAT, scriptPubKey: p2wsh(witnessScript), witnessScript });
    }
    if (hasToRemote || untrimmed.length > 0) {
      const witnessScript = anchorScript(k.remoteFundingPubkey);
      outputs.push({ kind: CommitmentOutputKind.RemoteAnchor, amountSat: ANCHOR_OUTPUT_SAT, scriptPubKey: p2wsh(witnessScript), witnessScript });
    }
  }
  outputs.sort(compareOutputs);

  const { locktime, sequence } = obscuredLocktimeAndSequence(p.commitmentNumber, p.obscuringFactor);
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = locktime;
  // What tx.addInput / tx.addOutput append, without their per-call schema
  // validation (validate() and checkOutpoint already checked these values).
  tx.ins.push({ hash: p.fundingOutpoint.txid, index: p.fundingOutpoint.index, script: new Uint8Array(0), sequence, witness: [] });
  const htlcOutputIndex: (number | null)[] = p.htlcs.map(() => null);
  let spent = 0n;
  outputs.forEach((o, index) => {
    tx.outs.push({ script: o.scriptPubKey, value: o.amountSat });
    spent += o.amountSat;
    if (o.htlcIndex !== undefined) htlcOutputIndex[o.htlcIndex] = index;
  });
  return {
    params: p,
    tx,
    fundingScript: fundingScript(k.localFundingPubkey, k.remoteFundingPubkey),
    outputs,
    htlcOutputIndex,
    baseFeeSat,
    actualFeeSat: p.fundingSat - spent,
    expectedWeight: commitmentWeight(p.channelType, untrimmed.length),
  };
}

/** Signs the commitment's funding input (SIGHASH_ALL) with a funding secret: 64-byte compact signature. */
export function signCommitment(secp: Secp256k1, commitment: CommitmentTransaction, fundingSecret: Uint8Array): Uint8Array {
  return signWitnessInput(secp, commitment.tx, 0, commitment.fundingScript, commitment.params.fundingSat, fundingSecret, SighashType.All);
}

/** Verifies a counterparty's `commitment_signed` signature on this commitment (BOLT 2). */
export function verifyCommitmentSignature(secp: Secp256k1, commitment: CommitmentTransaction, signature: Uint8Array, fundingPubkey: Uint8Array): boolean {
  return verifyWitnessInput(secp, commitment.tx, 0, commitment.fundingScript, commitment.params.fundingSat, signature, fundingPubkey, SighashType.All);
}

/**
 * Sets the funding witness `0 <sig1> <sig2> <funding script>` (signatures in
 * the order of their funding keys) and returns the transaction, ready to broadcast.
 */
export function finalizeCommitment(commitment: CommitmentTransaction, localSignature: Uint8Array, remoteSignature: Uint8Array): Transaction {
  const k = commitment.params.keys;
  const tx = commitment.tx.clone();
  tx.setWitness(0, fundingWitness(k.localFundingPubkey, k.remoteFundingPubkey, localSignature, remoteSignature));
  return tx;
}
