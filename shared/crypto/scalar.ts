/** Scalar arithmetic modulo the secp256k1 group order, shared by both backends. */
import { CryptoError, CryptoErrorCode } from './errors.js';

/** The order n of the secp256k1 group. */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const HALF_CURVE_ORDER = CURVE_ORDER >> 1n;

/** The big-endian unsigned integer of `bytes` (read 8 bytes at a time when the length allows: fewer bigint operations). */
export function bytesToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  if (bytes.length % 8 === 0) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < bytes.length; at += 8) n = (n << 64n) | view.getBigUint64(at);
    return n;
  }
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** The low 256 bits of `n` (non-negative), big-endian. */
export function bigintTo32Bytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  let v = n;
  for (let at = 24; at >= 0; at -= 8) {
    view.setBigUint64(at, BigInt.asUintN(64, v));
    v >>= 64n;
  }
  return out;
}

/** A 32-byte scalar in [0, n) (tweaks may be zero), or a typed error. */
export function scalarFrom(bytes: Uint8Array, code: CryptoErrorCode = CryptoErrorCode.InvalidTweak): bigint {
  if (bytes.length !== 32) throw new CryptoError(code, 'scalar must be 32 bytes');
  const n = bytesToBigint(bytes);
  if (n >= CURVE_ORDER) throw new CryptoError(code, 'scalar not below the curve order');
  return n;
}

const ORDER_BYTES = bigintTo32Bytes(CURVE_ORDER);

/**
 * The checks of {@link scalarFrom} without building the bigint: throws the
 * same typed errors, and tells whether the scalar is zero (for a backend
 * that only needs the bytes checked).
 */
export function checkScalarBytes(bytes: Uint8Array, code: CryptoErrorCode = CryptoErrorCode.InvalidTweak): boolean {
  if (bytes.length !== 32) throw new CryptoError(code, 'scalar must be 32 bytes');
  let zero = true;
  let below: boolean | undefined;
  for (let i = 0; i < 32; i++) {
    const b = bytes[i]!;
    if (b !== 0) zero = false;
    if (below === undefined && b !== ORDER_BYTES[i]) below = b < ORDER_BYTES[i]!;
  }
  if (below !== true) throw new CryptoError(code, 'scalar not below the curve order');
  return zero;
}

/** The checks of {@link secretFrom} without building the bigint. */
export function checkSecretBytes(bytes: Uint8Array): void {
  if (checkScalarBytes(bytes, CryptoErrorCode.InvalidSecretKey)) throw new CryptoError(CryptoErrorCode.InvalidSecretKey, 'secret key is zero');
}

/** A 32-byte secret key in [1, n), or a typed error. */
export function secretFrom(bytes: Uint8Array): bigint {
  const n = scalarFrom(bytes, CryptoErrorCode.InvalidSecretKey);
  if (n === 0n) throw new CryptoError(CryptoErrorCode.InvalidSecretKey, 'secret key is zero');
  return n;
}

export function nonZeroScalarBytes(n: bigint): Uint8Array {
  if (n === 0n) throw new CryptoError(CryptoErrorCode.PointAtInfinity, 'tweak result is zero');
  return bigintTo32Bytes(n);
}
