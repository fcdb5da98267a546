/** ChaCha20-Poly1305 (RFC 8439) as BOLT 8 uses it, from @noble/ciphers. */
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { equalConstantTime } from './bytes.js';
import { CryptoError, CryptoErrorCode } from './errors.js';

/** Length of the Poly1305 tag appended to every ciphertext. */
export const AEAD_TAG_LENGTH = 16;

/**
 * Small inputs (BOLT 8's 2-byte length headers, the handshake's empty and
 * 33-byte payloads) take a direct RFC 8439 §2.8 path: one ChaCha20 call for
 * blocks 0 (Poly1305 key) and 1 (keystream), then a one-shot Poly1305 over
 * pad16(ad) || pad16(ciphertext) || le64(ad length) || le64(ciphertext
 * length). It computes the same bytes as the general path at about half the
 * fixed cost per call; larger inputs use @noble/ciphers' AEAD as is.
 */
const SMALL_LIMIT = 64;
const ZEROS = new Uint8Array(64 + SMALL_LIMIT);
/** Scratch, aligned, reused (calls are synchronous): keystream blocks 0 and 1, and the MAC input. */
const keystream = new Uint8Array(64 + SMALL_LIMIT);
const macInput = new Uint8Array(SMALL_LIMIT + SMALL_LIMIT + 16);

const pad16 = (n: number): number => (n + 15) & ~15;

function isSmall(ad: Uint8Array, length: number): boolean {
  return ad.length <= SMALL_LIMIT && length <= SMALL_LIMIT;
}

/** The Poly1305 tag over `ad` and `ciphertext`, keyed by keystream block 0 (filled first). */
function smallTag(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const length = ciphertext.length;
  const adEnd = pad16(ad.length);
  const ctEnd = adEnd + pad16(length);
  const mac = macInput.subarray(0, ctEnd + 16);
  mac.fill(0);
  mac.set(ad, 0);
  mac.set(ciphertext, adEnd);
  mac[ctEnd] = ad.length; // little-endian u64 lengths; both are at most 64
  mac[ctEnd + 8] = length;
  const tag = poly1305(mac, keystream.subarray(0, 32));
  mac.fill(0);
  return tag;
}

function fillKeystream(key: Uint8Array, nonce: Uint8Array, length: number): void {
  chacha20(key, nonce, ZEROS.subarray(0, 64 + length), keystream.subarray(0, 64 + length), 0);
}

function sealSmall(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, output: Uint8Array): void {
  const length = plaintext.length;
  fillKeystream(key, nonce, length);
  for (let i = 0; i < length; i++) output[i] = plaintext[i]! ^ keystream[64 + i]!;
  output.set(smallTag(ad, output.subarray(0, length)), length);
  keystream.fill(0);
}

function openSmall(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array, output: Uint8Array): boolean {
  const length = sealed.length - AEAD_TAG_LENGTH;
  fillKeystream(key, nonce, length);
  const ciphertext = sealed.subarray(0, length);
  const ok = equalConstantTime(smallTag(ad, ciphertext), sealed.subarray(length));
  if (ok) for (let i = 0; i < length; i++) output[i] = ciphertext[i]! ^ keystream[64 + i]!;
  keystream.fill(0);
  return ok;
}

function checkKeyNonce(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new CryptoError(CryptoErrorCode.InvalidLength, 'AEAD key must be 32 bytes');
  if (nonce.length !== 12) throw new CryptoError(CryptoErrorCode.InvalidLength, 'AEAD nonce must be 12 bytes');
}

/** Encrypts `plaintext`, returning ciphertext || 16-byte tag. */
export function aeadEncrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKeyNonce(key, nonce);
  if (isSmall(ad, plaintext.length)) {
    const output = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
    sealSmall(key, nonce, ad, plaintext, output);
    return output;
  }
  return chacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

/** Decrypts ciphertext || tag; returns null when the tag does not authenticate. */
export function aeadDecrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  checkKeyNonce(key, nonce);
  if (sealed.length < AEAD_TAG_LENGTH) return null;
  if (isSmall(ad, sealed.length - AEAD_TAG_LENGTH)) {
    const output = new Uint8Array(sealed.length - AEAD_TAG_LENGTH);
    return openSmall(key, nonce, ad, sealed, output) ? output : null;
  }
  try {
    return chacha20poly1305(key, nonce, ad).decrypt(sealed);
  } catch {
    return null;
  }
}

/**
 * Encrypts `plaintext` into `output` (exactly plaintext.length + 16 bytes:
 * ciphertext || tag), allocating nothing for the result: for framing layers
 * that seal several parts into one preallocated buffer (BOLT 8 messages).
 */
export function aeadEncryptInto(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
  output: Uint8Array,
): void {
  checkKeyNonce(key, nonce);
  if (output.length !== plaintext.length + AEAD_TAG_LENGTH) {
    throw new CryptoError(CryptoErrorCode.InvalidLength, 'AEAD output must be plaintext length + 16 bytes');
  }
  if (isSmall(ad, plaintext.length)) sealSmall(key, nonce, ad, plaintext, output);
  else chacha20poly1305(key, nonce, ad).encrypt(plaintext, output);
}

/**
 * Decrypts ciphertext || tag into `output` (exactly sealed.length - 16
 * bytes); returns false, leaving `output` unspecified, when the tag does not
 * authenticate.
 */
export function aeadDecryptInto(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
  output: Uint8Array,
): boolean {
  checkKeyNonce(key, nonce);
  if (sealed.length < AEAD_TAG_LENGTH) return false;
  if (output.length !== sealed.length - AEAD_TAG_LENGTH) {
    throw new CryptoError(CryptoErrorCode.InvalidLength, 'AEAD output must be sealed length - 16 bytes');
  }
  if (isSmall(ad, output.length)) return openSmall(key, nonce, ad, sealed, output);
  try {
    chacha20poly1305(key, nonce, ad).decrypt(sealed, output);
    return true;
  } catch {
    return false;
  }
}
