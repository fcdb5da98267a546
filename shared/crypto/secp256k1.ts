/**
 * One interface to secp256k1 with interchangeable backends: `nobleSecp256k1`
 * (pure JS, portable) and `wasmSecp256k1` (libsecp256k1 compiled to WASM, for
 * the hot path). Keys are 32-byte secrets and 33-byte compressed points;
 * signatures are 64-byte compact (r || s), low-S, RFC 6979 deterministic.
 */
export interface Secp256k1 {
  /** The backend's name, for benchmarks and logs. */
  readonly name: string;
  isValidSecretKey(secret: Uint8Array): boolean;
  /** True for a 33-byte compressed encoding of a point on the curve. */
  isValidPublicKey(publicKey: Uint8Array): boolean;
  /** secret·G, compressed. */
  publicKeyFromSecret(secret: Uint8Array): Uint8Array;
  /** BOLT 8 ECDH: SHA256 of the compressed point secret·publicKey. */
  ecdh(secret: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ECDSA over a 32-byte digest: compact 64 bytes, low-S, RFC 6979 nonce. */
  sign(digest: Uint8Array, secret: Uint8Array): Uint8Array;
  /** Verifies a compact signature; high-S signatures are rejected (as libsecp256k1 does). */
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
  /** a + b for two points. */
  publicKeyAdd(a: Uint8Array, b: Uint8Array): Uint8Array;
  /** publicKey + tweak·G. */
  publicKeyTweakAdd(publicKey: Uint8Array, tweak: Uint8Array): Uint8Array;
  /** tweak·publicKey. */
  publicKeyTweakMul(publicKey: Uint8Array, tweak: Uint8Array): Uint8Array;
  /** (secret + tweak) mod n. */
  secretKeyTweakAdd(secret: Uint8Array, tweak: Uint8Array): Uint8Array;
  /** (secret · tweak) mod n. */
  secretKeyTweakMul(secret: Uint8Array, tweak: Uint8Array): Uint8Array;
}
