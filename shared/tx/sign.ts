/**
 * Segwit v0 signatures over the channel's transactions (BOLT 3, BIP 143):
 * digests from bitcoinjs-lib's `hashForWitnessV0`, ECDSA through the
 * injected `Secp256k1` backend (64-byte compact, low-S, RFC 6979), DER plus
 * a sighash byte in witnesses.
 */
import type { Transaction } from 'bitcoinjs-lib';
import type { Secp256k1 } from '../crypto/index.js';
import { concatBytes, isLowS, signatureFromDer, signatureToDer } from '../crypto/index.js';
import { TxError, TxErrorCode } from './errors.js';

/** Sighash types used by Lightning (BOLT 3). */
export const SighashType = {
  All: 0x01,
  /** The counterparty's HTLC signature under `option_anchors` (BOLT 3 HTLC-timeout and HTLC-success). */
  SingleAnyoneCanPay: 0x83,
} as const;
export type SighashType = (typeof SighashType)[keyof typeof SighashType];

/** BIP 143 digest of input `inputIndex` spending `scriptCode` worth `amountSat`. */
export function witnessDigest(tx: Transaction, inputIndex: number, scriptCode: Uint8Array, amountSat: bigint, sighashType: SighashType): Uint8Array {
  return tx.hashForWitnessV0(inputIndex, scriptCode, amountSat, sighashType);
}

/** Signs a segwit v0 input: returns the 64-byte compact (wire) signature. */
export function signWitnessInput(
  secp: Secp256k1,
  tx: Transaction,
  inputIndex: number,
  scriptCode: Uint8Array,
  amountSat: bigint,
  secretKey: Uint8Array,
  sighashType: SighashType = SighashType.All,
): Uint8Array {
  if (secretKey.length !== 32) throw new TxError(TxErrorCode.InvalidLength, 'secret key must be 32 bytes');
  return secp.sign(witnessDigest(tx, inputIndex, scriptCode, amountSat, sighashType), secretKey);
}

/**
 * Verifies a 64-byte compact signature for a segwit v0 input. Returns false
 * (never throws) for a malformed signature, a high-S one, or a mismatch.
 */
export function verifyWitnessInput(
  secp: Secp256k1,
  tx: Transaction,
  inputIndex: number,
  scriptCode: Uint8Array,
  amountSat: bigint,
  signature: Uint8Array,
  publicKey: Uint8Array,
  sighashType: SighashType = SighashType.All,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 33 || !isLowS(signature)) return false;
  return secp.verify(signature, witnessDigest(tx, inputIndex, scriptCode, amountSat, sighashType), publicKey);
}

/** Witness form of a signature: strict DER followed by the sighash byte. */
export function witnessSignature(compact: Uint8Array, sighashType: SighashType = SighashType.All): Uint8Array {
  if (compact.length !== 64) throw new TxError(TxErrorCode.InvalidSignature, 'compact signature must be 64 bytes');
  return concatBytes(signatureToDer(compact), Uint8Array.of(sighashType));
}

/** Compact form of a DER signature (no sighash byte), as the Lightning wire carries it (BOLT 1 `signature`). */
export function compactFromDer(der: Uint8Array): Uint8Array {
  try {
    return signatureFromDer(der);
  } catch (e) {
    throw new TxError(TxErrorCode.InvalidSignature, e instanceof Error ? e.message : 'bad DER');
  }
}
