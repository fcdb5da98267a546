/**
 * One direction of a BOLT 8 session: a key, its nonce counter and its
 * chaining key, with the key rotation of BOLT 8 "Lightning Message Key
 * Rotation".
 */
import { aeadDecryptInto, aeadEncryptInto, hkdfSha256 } from '../crypto/index.js';

/** BOLT 8: a key is rotated after it has been used this many times (nonce 999 is its last). */
export const KEY_ROTATION_INTERVAL = 1000;

const EMPTY = new Uint8Array(0);

/**
 * Writes BOLT 8's 96-bit nonce for counter `n` into `out`: 32 zero bits,
 * then `n` as a 64-bit little-endian integer (BOLT 8 "Handshake State").
 */
export function writeNonce(out: Uint8Array, n: number): void {
  out.fill(0);
  out[4] = n & 0xff;
  out[5] = (n >>> 8) & 0xff;
  out[6] = (n >>> 16) & 0xff;
  out[7] = (n >>> 24) & 0xff;
}

/** A sending or receiving cipher: `k`, `n` and `ck` of one direction. */
export class CipherState {
  private key: Uint8Array;
  private chainingKey: Uint8Array;
  private counter = 0;
  /** The 12-byte nonce for `counter`, kept up to date rather than rebuilt per call. */
  private readonly nonce = new Uint8Array(12);

  constructor(key: Uint8Array, chainingKey: Uint8Array) {
    this.key = key.slice();
    this.chainingKey = chainingKey.slice();
  }

  /** Seals `plaintext` into `output` (plaintext.length + 16 bytes) with an empty AD, then advances the nonce. */
  sealInto(plaintext: Uint8Array, output: Uint8Array): void {
    aeadEncryptInto(this.key, this.nonce, EMPTY, plaintext, output);
    this.advance();
  }

  /**
   * Opens `sealed` into `output` (sealed.length - 16 bytes); false when the
   * MAC fails. The nonce advances only on success (a failure ends the session).
   */
  openInto(sealed: Uint8Array, output: Uint8Array): boolean {
    if (!aeadDecryptInto(this.key, this.nonce, EMPTY, sealed, output)) return false;
    this.advance();
    return true;
  }

  /** BOLT 8: after each use n += 1; at 1000, `ck', k' = HKDF(ck, k)` and n = 0. */
  private advance(): void {
    this.counter += 1;
    if (this.counter === KEY_ROTATION_INTERVAL) {
      const okm = hkdfSha256(this.chainingKey, this.key, 64);
      this.chainingKey = okm.slice(0, 32);
      this.key = okm.slice(32, 64);
      this.counter = 0;
    }
    writeNonce(this.nonce, this.counter);
  }
}
