/** Hash functions and HKDF used across the BOLTs, from @noble/hashes. */
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { extract, expand } from '@noble/hashes/hkdf.js';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function ripemd160(data: Uint8Array): Uint8Array {
  return nobleRipemd160(data);
}

/** RIPEMD160(SHA256(data)): the P2WPKH key hash. */
export function hash160(data: Uint8Array): Uint8Array {
  return nobleRipemd160(nobleSha256(data));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, data);
}

/** HMAC-SHA512: BIP 32's key and child derivation function. */
export function hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha512, key, data);
}

/**
 * HKDF-SHA256 (RFC 5869) with an empty info, as BOLT 8 uses it: returns
 * `length` bytes of output keying material (BOLT 8 takes 64 and splits it).
 */
export function hkdfSha256(salt: Uint8Array, ikm: Uint8Array, length: number): Uint8Array {
  return expand(nobleSha256, extract(nobleSha256, ikm, salt), new Uint8Array(0), length);
}
