/**
 * BIP 32 private derivation, the part the wallet needs: the master key from a
 * seed and child keys (hardened and normal) down a path. Public keys and
 * tweaks go through the injected `Secp256k1` backend; nothing is serialized
 * as xprv here (the keys never leave the node).
 */
import { concatBytes, hash160, hmacSha512, type Secp256k1 } from '../crypto/index.js';
import { WalletError, WalletErrorCode } from './errors.js';

/** Index offset of hardened children (BIP 32: i >= 2^31). */
export const HARDENED = 0x8000_0000;

/** An extended private key. */
export interface ExtendedKey {
  readonly secret: Uint8Array;
  readonly chainCode: Uint8Array;
  /** Compressed public key. */
  readonly publicKey: Uint8Array;
  readonly depth: number;
  /** The first 4 bytes of HASH160 of the parent's public key (zero for the master). */
  readonly parentFingerprint: Uint8Array;
  readonly childIndex: number;
}

const MASTER_KEY = new TextEncoder().encode('Bitcoin seed');

function ser32(i: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, i >>> 0);
  return out;
}

/** BIP 32 "Master key generation": I = HMAC-SHA512("Bitcoin seed", seed), key IL, chain code IR. */
export function masterKey(secp: Secp256k1, seed: Uint8Array): ExtendedKey {
  if (seed.length < 16 || seed.length > 64) throw new RangeError('a BIP 32 seed is 16 to 64 bytes');
  const i = hmacSha512(MASTER_KEY, seed);
  const secret = i.slice(0, 32);
  if (!secp.isValidSecretKey(secret)) throw new WalletError(WalletErrorCode.InvalidChild, 'the seed gives an invalid master key');
  return { secret, chainCode: i.slice(32), publicKey: secp.publicKeyFromSecret(secret), depth: 0, parentFingerprint: new Uint8Array(4), childIndex: 0 };
}

/** BIP 32 CKDpriv: child `index` of `parent` (hardened when `index >= HARDENED`). */
export function deriveChild(secp: Secp256k1, parent: ExtendedKey, index: number): ExtendedKey {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) throw new RangeError('child index must be a u32');
  const data = index >= HARDENED ? concatBytes(Uint8Array.of(0), parent.secret, ser32(index)) : concatBytes(parent.publicKey, ser32(index));
  const i = hmacSha512(parent.chainCode, data);
  let secret: Uint8Array;
  try {
    secret = secp.secretKeyTweakAdd(parent.secret, i.slice(0, 32));
  } catch {
    // IL >= n or a zero key: BIP 32 says to proceed with the next index.
    throw new WalletError(WalletErrorCode.InvalidChild, `child ${index} is not a valid key`);
  }
  return {
    secret,
    chainCode: i.slice(32),
    publicKey: secp.publicKeyFromSecret(secret),
    depth: parent.depth + 1,
    parentFingerprint: hash160(parent.publicKey).slice(0, 4),
    childIndex: index,
  };
}

/** Parses `m/84'/1'/0'/0/5` (also `h` for hardened) into child indexes. */
export function parsePath(path: string): number[] {
  const parts = path.split('/');
  if (parts[0] !== 'm') throw new RangeError(`path must start with m: ${path}`);
  return parts.slice(1).map((part) => {
    const match = /^(\d+)(['h]?)$/.exec(part);
    if (!match) throw new RangeError(`bad path element ${part}`);
    const n = Number(match[1]);
    if (n >= HARDENED) throw new RangeError(`path index ${n} too large`);
    return match[2] === '' ? n : n + HARDENED;
  });
}

/** The key at `path` below `root`. */
export function derivePath(secp: Secp256k1, root: ExtendedKey, path: string | readonly number[]): ExtendedKey {
  const indexes = typeof path === 'string' ? parsePath(path) : path;
  return indexes.reduce((key, index) => deriveChild(secp, key, index), root);
}
