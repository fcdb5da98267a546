/**
 * Segwit v0 signatures over the channel's transactions (BOLT 3, BIP 143):
 * digests from bitcoinjs-lib's `hashForWitnessV0`, ECDSA through the
 * injected `Secp256k1` backend (64-byte compact, low-S, RFC 6979), DER plus
 * a sighash byte in witnesses.
 */
import type { Transaction } from 'bitcoinjs-lib';
import type { Secp256k1 } from '../crypto/index.js';
import { concatBytes, isLowS, sha256, signatureFromDer, signatureToDer } from '../crypto/index.js';
import { TxError, TxErrorCode } from './errors.js';

/** Sighash types used by Lightning (BOLT 3). */
export const SighashType = {
  All: 0x01,
  /** The counterparty's HTLC signature under `option_anchors` (BOLT 3 HTLC-timeout and HTLC-success). */
  SingleAnyoneCanPay: 0x83,
} as const;
export type SighashType = (typeof SighashType)[keyof typeof SighashType];

const SIGHASH_ANYONECANPAY = 0x80;
const SIGHASH_NONE = 0x02;
const SIGHASH_SINGLE = 0x03;
const ZERO_HASH: Uint8Array = new Uint8Array(32);

/**
 * BIP 143 digest of input `inputIndex` spending `scriptCode` worth
 * `amountSat`: the bytes of bitcoinjs-lib's `hashForWitnessV0` (test/tx
 * compares them for every sighash type), written into one buffer per hash
 * without its per-call schema validation.
 */
export function witnessDigest(tx: Transaction, inputIndex: number, scriptCode: Uint8Array, amountSat: bigint, sighashType: SighashType): Uint8Array {
  const input = tx.ins[inputIndex];
  if (input === undefined || !Number.isInteger(inputIndex)) throw new TxError(TxErrorCode.InvalidParameter, `no input ${inputIndex}`);
  if (amountSat < 0n || amountSat > 0x7fffffffffffffffn) throw new TxError(TxErrorCode.InvalidParameter, 'amount out of range');
  const type: number = sighashType;
  const anyoneCanPay = (type & SIGHASH_ANYONECANPAY) !== 0;
  const base = type & 0x1f;
  let hashPrevouts = ZERO_HASH;
  let hashSequence = ZERO_HASH;
  let hashOutputs = ZERO_HASH;
  if (!anyoneCanPay) {
    const w = new Writer(36 * tx.ins.length);
    for (const i of tx.ins) {
      w.bytes(i.hash);
      w.u32(i.index);
    }
    hashPrevouts = hash256(w.buf);
    if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
      const s = new Writer(4 * tx.ins.length);
      for (const i of tx.ins) s.u32(i.sequence);
      hashSequence = hash256(s.buf);
    }
  }
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    let size = 0;
    for (const o of tx.outs) size += 8 + varSliceSize(o.script);
    const w = new Writer(size);
    for (const o of tx.outs) {
      w.u64(o.value);
      w.varSlice(o.script);
    }
    hashOutputs = hash256(w.buf);
  } else if (base === SIGHASH_SINGLE && inputIndex < tx.outs.length) {
    const o = tx.outs[inputIndex]!;
    const w = new Writer(8 + varSliceSize(o.script));
    w.u64(o.value);
    w.varSlice(o.script);
    hashOutputs = hash256(w.buf);
  }
  const w = new Writer(156 + varSliceSize(scriptCode));
  w.u32(tx.version);
  w.bytes(hashPrevouts);
  w.bytes(hashSequence);
  w.bytes(input.hash);
  w.u32(input.index);
  w.varSlice(scriptCode);
  w.u64(amountSat);
  w.u32(input.sequence);
  w.bytes(hashOutputs);
  w.u32(tx.locktime);
  w.u32(type);
  return hash256(w.buf);
}

function hash256(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

function varSliceSize(bytes: Uint8Array): number {
  return varIntSize(bytes.length) + bytes.length;
}

/** A fixed-size little-endian writer (Bitcoin serialization). */
class Writer {
  readonly buf: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.#view = new DataView(this.buf.buffer);
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.#at);
    this.#at += b.length;
  }

  u32(n: number): void {
    this.#view.setUint32(this.#at, n >>> 0, true);
    this.#at += 4;
  }

  u64(n: bigint): void {
    this.#view.setBigUint64(this.#at, n, true);
    this.#at += 8;
  }

  varSlice(b: Uint8Array): void {
    const n = b.length;
    if (n < 0xfd) this.buf[this.#at++] = n;
    else if (n <= 0xffff) {
      this.buf[this.#at++] = 0xfd;
      this.#view.setUint16(this.#at, n, true);
      this.#at += 2;
    } else {
      this.buf[this.#at++] = 0xfe;
      this.#view.setUint32(this.#at, n, true);
      this.#at += 4;
    }
    this.bytes(b);
  }
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
