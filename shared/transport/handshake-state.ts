/**
 * The Noise symmetric state both handshake roles share: the handshake hash
 * `h` and the chaining key `ck` (BOLT 8 "Handshake State" and "Handshake
 * State Initialization").
 */
import { concatBytes, hkdfSha256, sha256 } from '../crypto/index.js';

/** BOLT 8: the Noise protocol name, hashed into the initial `h` and `ck`. */
export const PROTOCOL_NAME = 'Noise_XK_secp256k1_ChaChaPoly_SHA256';

/** BOLT 8: the prologue mixed into `h`. */
export const PROLOGUE = 'lightning';

/** Bytes of act 1 and act 2: version, 33-byte ephemeral key, 16-byte MAC. */
export const ACT_ONE_SIZE = 50;
export const ACT_TWO_SIZE = 50;
/** Bytes of act 3: version, 49-byte encrypted static key, 16-byte MAC. */
export const ACT_THREE_SIZE = 66;

/** The only handshake version BOLT 8 defines. */
export const HANDSHAKE_VERSION = 0;

const utf8 = new TextEncoder();
const PROTOCOL_HASH = sha256(utf8.encode(PROTOCOL_NAME));
/** `h` after the prologue: the same for every handshake. */
const H_AFTER_PROLOGUE = sha256(concatBytes(PROTOCOL_HASH, utf8.encode(PROLOGUE)));

/** `h` and `ck` of one handshake in progress. */
export class HandshakeState {
  /** The handshake hash: every byte sent or received so far, hashed in. */
  h: Uint8Array;
  /** The chaining key: every ECDH result so far, accumulated by HKDF. */
  ck: Uint8Array;

  /**
   * BOLT 8 "Handshake State Initialization": `h = SHA256(protocolName)`,
   * `ck = h`, `h = SHA256(h || prologue)`, then `h = SHA256(h ||
   * responderStatic)` (the initiator knows the responder's static key; the
   * responder mixes in its own).
   */
  constructor(responderStatic: Uint8Array) {
    this.ck = PROTOCOL_HASH;
    this.h = sha256(concatBytes(H_AFTER_PROLOGUE, responderStatic));
  }

  /** `h = SHA256(h || data)`. */
  mixHash(data: Uint8Array): void {
    this.h = sha256(concatBytes(this.h, data));
  }

  /** `ck, temp_k = HKDF(ck, ikm)`: updates `ck` and returns `temp_k`. */
  mixKey(ikm: Uint8Array): Uint8Array {
    const okm = hkdfSha256(this.ck, ikm, 64);
    this.ck = okm.slice(0, 32);
    return okm.slice(32, 64);
  }

  /** BOLT 8 act 3: `first, second = HKDF(ck, zero)` (the initiator's sk, rk; the responder's rk, sk). */
  split(): { readonly first: Uint8Array; readonly second: Uint8Array } {
    const okm = hkdfSha256(this.ck, new Uint8Array(0), 64);
    return { first: okm.slice(0, 32), second: okm.slice(32, 64) };
  }
}
