/**
 * BOLT 3 "Per-commitment Secret Requirements": the 2^48 per-commitment secrets
 * of one channel side, all derived from a 32-byte seed by `generate_from_seed`.
 */
import { BoundedCache, sha256, toHex, type Secp256k1 } from '../crypto/index.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';

/** Number of index bits: commitment indexes lie in [0, 2^48). */
export const COMMITMENT_INDEX_BITS = 48;

/** The first index used by a channel (2^48 - 1); each new commitment counts down by one. */
export const INITIAL_COMMITMENT_INDEX = (1n << 48n) - 1n;

/** Throws `KeysError(InvalidIndex)` unless `index` is in [0, 2^48). */
export function assertCommitmentIndex(index: bigint): void {
  if (typeof index !== 'bigint' || index < 0n || index > INITIAL_COMMITMENT_INDEX) {
    throw new KeysError(KeysErrorCode.InvalidIndex, 'commitment index must be in [0, 2^48)');
  }
}

/**
 * BOLT 3 `derive_secret(base, bits, I)`: for each set bit b of `index` among
 * its low `bits` bits, from the highest, flip bit b of the value and hash it.
 * With `bits` = 48 and the seed as base this is `generate_from_seed`; with
 * fewer bits the compact storage derives a secret from a stored one.
 */
export function deriveSecretFromBase(base: Uint8Array, bits: number, index: bigint): Uint8Array {
  let value: Uint8Array = base.slice();
  if (bits <= COMMITMENT_INDEX_BITS) {
    // The low 48 bits as a number (exact below 2^53): the same bits, tested without a bigint per bit.
    const low = Number(BigInt.asUintN(COMMITMENT_INDEX_BITS, index));
    for (let bit = bits - 1; bit >= 0; bit--) {
      if (Math.floor(low / 2 ** bit) % 2 === 1) {
        value[bit >> 3]! ^= 1 << (bit & 7);
        value = sha256(value);
      }
    }
    return value;
  }
  for (let bit = bits - 1; bit >= 0; bit--) {
    if ((index >> BigInt(bit)) & 1n) {
      value[bit >> 3]! ^= 1 << (bit & 7);
      value = sha256(value);
    }
  }
  return value;
}

/**
 * The per-commitment secret for commitment `index` (BOLT 3 "Per-commitment
 * Secret Requirements", `generate_from_seed(seed, I)`). The first commitment
 * uses index 2^48 - 1 and each next commitment the index one lower.
 */
export function perCommitmentSecret(seed32: Uint8Array, index: bigint): Uint8Array {
  assertLength(seed32, 32, 'per-commitment seed');
  assertCommitmentIndex(index);
  // The hashes of the high bits depend on them alone: derived once per run of 2^LOW_BITS indexes, then at most LOW_BITS hashes.
  const high = index >> BigInt(LOW_BITS);
  const prefix = prefixes.getOrSet(`${toHex(seed32)}${high.toString(16)}`, () => deriveSecretFromBase(seed32, COMMITMENT_INDEX_BITS, high << BigInt(LOW_BITS)));
  return deriveSecretFromBase(prefix, LOW_BITS, index);
}

/**
 * The derivation's value after the index's bits above the low LOW_BITS (the
 * same for 2^LOW_BITS consecutive commitments), by seed and those bits: a
 * channel's next secrets cost at most LOW_BITS hashes instead of up to 48
 * (the first indexes have nearly every bit set). It can derive those
 * commitments' secrets, as the seed it comes from can: it stays in this
 * process's memory beside the seed.
 */
const LOW_BITS = 8;
const prefixes = new BoundedCache<Uint8Array>(1024);

/** The per-commitment point `per_commitment_secret·G` (BOLT 3 "Key Derivation"). */
export function perCommitmentPoint(secp: Secp256k1, secret: Uint8Array): Uint8Array {
  assertLength(secret, 32, 'per-commitment secret');
  return secp.publicKeyFromSecret(secret);
}
