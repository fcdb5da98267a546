/**
 * The invoice signature (BOLT 11 "Data Part"): a compact ECDSA signature
 * (r || s) and a recovery id 0-3 over SHA256(hrp || data); the payee key
 * recovered from it (shared/keys, either backend).
 */
import { concatBytes, sha256, type Secp256k1 } from '../crypto/index.js';
import { recoverPublicKey as recoverKey } from '../keys/index.js';
import { InvoiceError } from './errors.js';
import { wordsToPaddedBytes } from './words.js';

/** The signed digest: SHA256 of the hrp (UTF-8) and the data part before the signature, 0-padded to a byte. */
export function signingDigest(hrp: string, dataWords: ArrayLike<number>): Uint8Array {
  return sha256(concatBytes(new TextEncoder().encode(hrp), wordsToPaddedBytes(dataWords)));
}

/**
 * The payee key the invoice signature recovers (shared/keys
 * `recoverPublicKey`, ids 0-3, high or low S); `unrecoverable-signature`
 * when there is none.
 */
export function recoverPublicKey(secp: Secp256k1, digest: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array {
  try {
    return recoverKey(secp, digest, signature, recoveryId);
  } catch (error) {
    throw new InvoiceError('unrecoverable-signature', (error as Error).message);
  }
}
