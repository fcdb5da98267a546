/** ChaCha20-Poly1305 (RFC 8439) as BOLT 8 uses it, from @noble/ciphers. */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { CryptoError, CryptoErrorCode } from './errors.js';

/** Length of the Poly1305 tag appended to every ciphertext. */
export const AEAD_TAG_LENGTH = 16;

function checkKeyNonce(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new CryptoError(CryptoErrorCode.InvalidLength, 'AEAD key must be 32 bytes');
  if (nonce.length !== 12) throw new CryptoError(CryptoErrorCode.InvalidLength, 'AEAD nonce must be 12 bytes');
}

/** Encrypts `plaintext`, returning ciphertext || 16-byte tag. */
export function aeadEncrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKeyNonce(key, nonce);
  return chacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

/** Decrypts ciphertext || tag; returns null when the tag does not authenticate. */
export function aeadDecrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  checkKeyNonce(key, nonce);
  if (sealed.length < AEAD_TAG_LENGTH) return null;
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
  chacha20poly1305(key, nonce, ad).encrypt(plaintext, output);
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
  try {
    chacha20poly1305(key, nonce, ad).decrypt(sealed, output);
    return true;
  } catch {
    return false;
  }
}
