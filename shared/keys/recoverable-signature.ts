/**
 * The recovery id of a compact ECDSA signature (BOLT 11 "Signature": 64 bytes
 * then a recovery id 0-3), found through the `Secp256k1` point operations so
 * it works with either backend.
 */
import { CURVE_ORDER, type Secp256k1 } from '../crypto/index.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';

function toBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function to32Bytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31, v = n; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/**
 * The recovery id (0 or 1) with which `signature` over `digest` recovers
 * `publicKey`: the parity of R's y, where R's x is the signature's r. Ids 2
 * and 3 (r ≥ p − n, probability about 2^-127) are not produced; such a
 * signature throws.
 */
export function recoveryId(
  secp: Secp256k1,
  digest: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): number {
  assertLength(digest, 32, 'digest');
  assertLength(signature, 64, 'signature');
  assertLength(publicKey, 33, 'public key');
  const r = toBigint(signature.subarray(0, 32));
  const s = toBigint(signature.subarray(32, 64));
  const rInverse = modPow(r, CURVE_ORDER - 2n, CURVE_ORDER);
  // Q = r⁻¹·(s·R − e·G) = (s·r⁻¹)·R + (−e·r⁻¹)·G
  const pointScalar = to32Bytes((s * rInverse) % CURVE_ORDER);
  const generatorScalar = to32Bytes((CURVE_ORDER - ((toBigint(digest) % CURVE_ORDER) * rInverse) % CURVE_ORDER) % CURVE_ORDER);
  for (const id of [0, 1]) {
    const candidateR = Uint8Array.of(0x02 + id, ...signature.subarray(0, 32));
    if (!secp.isValidPublicKey(candidateR)) continue;
    const recovered = secp.publicKeyTweakAdd(secp.publicKeyTweakMul(candidateR, pointScalar), generatorScalar);
    if (recovered.every((byte, i) => byte === publicKey[i])) return id;
  }
  throw new KeysError(KeysErrorCode.Unrecoverable, 'signature does not recover to the public key with id 0 or 1');
}
