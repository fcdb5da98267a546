/**
 * ECDSA signature forms: 64-byte compact (r || s) on the Lightning wire
 * (BOLT 1 `signature`) and strict DER in Bitcoin witnesses (BIP 66).
 */
import { CryptoError, CryptoErrorCode } from './errors.js';
import { CURVE_ORDER, HALF_CURVE_ORDER, bigintTo32Bytes, bytesToBigint } from './scalar.js';

function compactParts(signature: Uint8Array): { r: bigint; s: bigint } {
  if (signature.length !== 64) throw new CryptoError(CryptoErrorCode.InvalidSignature, 'compact signature must be 64 bytes');
  return { r: bytesToBigint(signature.subarray(0, 32)), s: bytesToBigint(signature.subarray(32)) };
}

/** True when s ≤ n/2 (BIP 62 low-S), as Bitcoin policy and LDK require. */
export function isLowS(signature: Uint8Array): boolean {
  return compactParts(signature).s <= HALF_CURVE_ORDER;
}

/** Rewrites a signature to its low-S form (s → n − s when s is high). */
export function normalizeS(signature: Uint8Array): Uint8Array {
  const { r, s } = compactParts(signature);
  if (s <= HALF_CURVE_ORDER) return signature;
  const out = new Uint8Array(64);
  out.set(bigintTo32Bytes(r), 0);
  out.set(bigintTo32Bytes(CURVE_ORDER - s), 32);
  return out;
}

function derInteger(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const body = value.subarray(start);
  const pad = body[0]! >= 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

/** Strict DER encoding of a compact signature (without a sighash byte). */
export function signatureToDer(signature: Uint8Array): Uint8Array {
  compactParts(signature);
  const r = derInteger(signature.subarray(0, 32));
  const s = derInteger(signature.subarray(32));
  const out = new Uint8Array(2 + r.length + s.length);
  out[0] = 0x30;
  out[1] = r.length + s.length;
  out.set(r, 2);
  out.set(s, 2 + r.length);
  return out;
}

function readDerInteger(der: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  const bad = (why: string) => new CryptoError(CryptoErrorCode.InvalidSignature, `DER: ${why}`);
  if (der[offset] !== 0x02) throw bad('expected an integer');
  const length = der[offset + 1];
  if (length === undefined || length === 0 || length > 33) throw bad('integer length');
  const start = offset + 2;
  if (start + length > der.length) throw bad('integer runs past the end');
  const body = der.subarray(start, start + length);
  if (body[0]! & 0x80) throw bad('negative integer');
  if (length > 1 && body[0] === 0 && !(body[1]! & 0x80)) throw bad('non-minimal integer');
  const value = body[0] === 0 && length > 1 ? body.subarray(1) : body;
  if (value.length > 32) throw bad('integer over 32 bytes');
  return { value, next: start + length };
}

/** Parses a strict DER signature (BIP 66, no sighash byte) into compact form. */
export function signatureFromDer(der: Uint8Array): Uint8Array {
  const bad = (why: string) => new CryptoError(CryptoErrorCode.InvalidSignature, `DER: ${why}`);
  if (der.length < 8 || der.length > 72) throw bad('length');
  if (der[0] !== 0x30 || der[1] !== der.length - 2) throw bad('sequence header');
  const r = readDerInteger(der, 2);
  const s = readDerInteger(der, r.next);
  if (s.next !== der.length) throw bad('trailing bytes');
  const out = new Uint8Array(64);
  out.set(r.value, 32 - r.value.length);
  out.set(s.value, 64 - s.value.length);
  return out;
}
