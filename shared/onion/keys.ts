/**
 * BOLT 4 key material: the shared secret with each hop, the blinding of the
 * ephemeral key from hop to hop, the keys derived from a shared secret
 * (`rho`, `mu`, `um`, `pad`, `ammag`) and the ChaCha20 pseudo-random stream.
 */
import { chacha20Xor, concatBytes, hmacSha256, sha256, type Secp256k1 } from '../crypto/index.js';

/**
 * The key types of BOLT 4 "Key Generation" (and `ammag` of "Returning
 * Errors"), as the ASCII bytes used as HMAC key (no trailing 0x00).
 */
export const KEY_TYPES = {
  rho: new TextEncoder().encode('rho'),
  mu: new TextEncoder().encode('mu'),
  um: new TextEncoder().encode('um'),
  pad: new TextEncoder().encode('pad'),
  ammag: new TextEncoder().encode('ammag'),
} as const;

export type KeyType = keyof typeof KEY_TYPES;

/** BOLT 4 "Key Generation": HMAC-SHA256 keyed with the key type, over the 32-byte secret. */
export function generateKey(keyType: KeyType, secret: Uint8Array): Uint8Array {
  return hmacSha256(KEY_TYPES[keyType], secret);
}

const ZERO_NONCE = new Uint8Array(12);

/**
 * BOLT 4 "Pseudo Random Byte Stream": ChaCha20 with a zero 96-bit nonce over
 * `length` zero bytes.
 */
export function pseudoRandomStream(key: Uint8Array, length: number): Uint8Array {
  return chacha20Xor(key, ZERO_NONCE, new Uint8Array(length));
}

/** `data` XOR the pseudo-random stream of `key` (a new array; `data` is left as is). */
export function xorStream(key: Uint8Array, data: Uint8Array): Uint8Array {
  return chacha20Xor(key, ZERO_NONCE, data);
}

/**
 * BOLT 4 "Blinding Ephemeral Onion Keys": SHA256(ephemeral public key ||
 * shared secret), the factor the ephemeral key is multiplied by per hop.
 */
export function blindingFactor(ephemeralPublicKey: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  return sha256(concatBytes(ephemeralPublicKey, sharedSecret));
}

/** What the origin derives for each hop of a route. */
export interface HopKeys {
  /** The ephemeral public key the hop sees in its packet. */
  readonly ephemeralPublicKey: Uint8Array;
  /** SHA256 of the compressed ECDH point (BOLT 4 "Shared Secret"). */
  readonly sharedSecret: Uint8Array;
}

/**
 * BOLT 4 "Packet Construction", first loop: from the session key, each hop's
 * ephemeral public key and shared secret, in route order. The ephemeral
 * secret of hop k+1 is that of hop k times the blinding factor.
 * Throws `CryptoError` for an invalid session key or hop public key.
 */
export function deriveHopKeys(secp: Secp256k1, sessionKey: Uint8Array, hopPublicKeys: readonly Uint8Array[]): HopKeys[] {
  const out: HopKeys[] = [];
  let ephemeralSecret = sessionKey;
  hopPublicKeys.forEach((hopPublicKey, i) => {
    const ephemeralPublicKey = secp.publicKeyFromSecret(ephemeralSecret);
    const sharedSecret = secp.ecdh(ephemeralSecret, hopPublicKey);
    out.push({ ephemeralPublicKey, sharedSecret });
    if (i < hopPublicKeys.length - 1) {
      ephemeralSecret = secp.secretKeyTweakMul(ephemeralSecret, blindingFactor(ephemeralPublicKey, sharedSecret));
    }
  });
  return out;
}

/** The shared secrets of a route, in route order: what the origin needs to read a returned failure. */
export function onionSharedSecrets(secp: Secp256k1, sessionKey: Uint8Array, hopPublicKeys: readonly Uint8Array[]): Uint8Array[] {
  return deriveHopKeys(secp, sessionKey, hopPublicKeys).map((k) => k.sharedSecret);
}
