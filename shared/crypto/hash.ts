/**
 * Hash functions and HKDF used across the BOLTs. SHA-256 and HMAC-SHA256
 * (about a hundred calls per channel open, on short inputs) come from
 * Node's crypto: the same bytes as @noble/hashes, in less time and with
 * almost no JS garbage (noble builds a hasher object per call); the others
 * from @noble/hashes.
 */
import { createHash, createHmac, hash as nodeHash } from 'node:crypto';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { extract, expand } from '@noble/hashes/hkdf.js';

/**
 * A plain Uint8Array of a digest Buffer's bytes: a view when the Buffer has
 * its memory to itself (Node gives each digest its own), else a copy, so a
 * caller never shares memory with another value.
 */
function plain(digest: Uint8Array): Uint8Array {
  const own = digest.byteOffset === 0 && digest.buffer.byteLength === digest.byteLength;
  return own ? new Uint8Array(digest.buffer, 0, digest.byteLength) : Uint8Array.from(digest);
}

export function sha256(data: Uint8Array): Uint8Array {
  return plain(nodeHash('sha256', data, 'buffer'));
}

/** SHA-256 of the chunks one after the other, without joining them into one buffer first. */
export function sha256Chunks(chunks: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return plain(hash.digest());
}

export function ripemd160(data: Uint8Array): Uint8Array {
  return nobleRipemd160(data);
}

/** RIPEMD160(SHA256(data)): the P2WPKH key hash. */
export function hash160(data: Uint8Array): Uint8Array {
  return nobleRipemd160(sha256(data));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac('sha256', key).update(data).digest());
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
