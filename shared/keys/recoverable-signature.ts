/**
 * Recoverable compact ECDSA signatures (BOLT 11 "Signature": 64 bytes then a
 * recovery id 0-3): public-key recovery and the recovery id of a signature,
 * through the `Secp256k1` point operations so they work with either backend.
 */
import { CURVE_ORDER, type Secp256k1 } from '../crypto/index.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';

/** The secp256k1 field prime p (a recovery id of 2 or 3 means R.x = r + n, which must stay below p). */
const FIELD_PRIME = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

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

/** a⁻¹ mod m for a prime m (Fermat). */
function modInverse(a: bigint, m: bigint): bigint {
  let result = 1n;
  let base = a % m;
  for (let e = m - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
}

/**
 * The public key that `signature` (64 bytes, high or low S) with
 * `recoveryId` recovers over `digest`: Q = r⁻¹·(s·R − e·G), where R is the
 * point with x = r (+ n for ids 2 and 3) and y of parity `recoveryId & 1`.
 * Throws `unrecoverable-signature` when there is no such key.
 */
export function recoverPublicKey(secp: Secp256k1, digest: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array {
  const fail = (why: string): never => {
    throw new KeysError(KeysErrorCode.Unrecoverable, `signature is not recoverable: ${why}`);
  };
  if (signature.length !== 64 || digest.length !== 32) fail('wrong length');
  if (!Number.isInteger(recoveryId) || recoveryId < 0 || recoveryId > 3) fail(`recovery id ${recoveryId}`);
  const r = toBigint(signature.subarray(0, 32));
  const s = toBigint(signature.subarray(32, 64));
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) fail('r or s out of range');
  const x = recoveryId >= 2 ? r + CURVE_ORDER : r;
  if (x >= FIELD_PRIME) fail('r + n is not a field element');
  const pointR = Uint8Array.of(0x02 + (recoveryId & 1), ...to32Bytes(x));
  if (!secp.isValidPublicKey(pointR)) fail('r is not the x of a point');
  const rInverse = modInverse(r, CURVE_ORDER);
  const e = toBigint(digest) % CURVE_ORDER;
  const pointScalar = (s * rInverse) % CURVE_ORDER;
  const generatorScalar = (CURVE_ORDER - ((e * rInverse) % CURVE_ORDER)) % CURVE_ORDER;
  try {
    const sR = secp.publicKeyTweakMul(pointR, to32Bytes(pointScalar));
    return generatorScalar === 0n ? sR : secp.publicKeyTweakAdd(sR, to32Bytes(generatorScalar));
  } catch {
    return fail('the recovered point is at infinity');
  }
}

/**
 * The recovery id (0 or 1) with which `signature` over `digest` recovers
 * `publicKey`: the parity of R's y, where R's x is the signature's r. Ids 2
 * and 3 (r ≥ p − n, probability about 2^-127) are not produced; such a
 * signature throws.
 */
export function recoveryId(secp: Secp256k1, digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): number {
  assertLength(digest, 32, 'digest');
  assertLength(signature, 64, 'signature');
  assertLength(publicKey, 33, 'public key');
  for (const id of [0, 1]) {
    let recovered: Uint8Array;
    try {
      recovered = recoverPublicKey(secp, digest, signature, id);
    } catch {
      continue;
    }
    if (recovered.every((byte, i) => byte === publicKey[i])) return id;
  }
  throw new KeysError(KeysErrorCode.Unrecoverable, 'signature does not recover to the public key with id 0 or 1');
}
