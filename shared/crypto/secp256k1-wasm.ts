/**
 * The WASM secp256k1 backend, the hot path: libsecp256k1 compiled to
 * WebAssembly. Two builds of the same C library serve it:
 *
 * - libauth's (`@bitauth/libauth`) for everything it offers: built with
 *   larger precomputed tables, a multiplication by G takes about 38 µs here
 *   against tiny-secp256k1's 81, a point tweak 73-84 against 121-155 and a
 *   verification 126 against 173 (`npm run bench secp256k1`);
 * - tiny-secp256k1's for the one operation libauth does not expose, adding
 *   two points (the BOLT 3 revocation key).
 *
 * libauth's module embeds its WASM (base64), so no file has to sit beside a
 * bundle for it; it is instantiated once, when this module loads.
 */
import { instantiateSecp256k1 } from '@bitauth/libauth/build/lib/crypto/secp256k1.js';
import * as tiny from 'tiny-secp256k1';
import { CryptoError, CryptoErrorCode } from './errors.js';
import { sha256 } from './hash.js';
import { checkScalarBytes, checkSecretBytes } from './scalar.js';
import { secretKeyTweakAdd, secretKeyTweakMul } from './secret-key-tweak.js';
import type { Secp256k1 } from './secp256k1.js';

/** libauth blinds its signing context with this seed (side-channel hardening; signatures stay RFC 6979 deterministic). */
const lib = await instantiateSecp256k1(globalThis.crypto.getRandomValues(new Uint8Array(32)));

function notAPoint(): CryptoError {
  return new CryptoError(CryptoErrorCode.InvalidPublicKey, 'not a 33-byte point on secp256k1');
}

function infinity(): CryptoError {
  return new CryptoError(CryptoErrorCode.PointAtInfinity, 'result is the point at infinity');
}

/**
 * libauth answers a failure with a message instead of bytes: a point that
 * does not parse is an invalid public key; any other failure of a tweak
 * (whose scalar was checked before) is a result at infinity.
 */
function pointOrThrow(result: Uint8Array | string): Uint8Array {
  if (typeof result !== 'string') return result;
  throw result === 'Failed to parse public key.' ? notAPoint() : infinity();
}

/** A 33-byte point, or the typed error (libauth would also take 65 bytes). */
function compressedLength(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 33) throw notAPoint();
  return publicKey;
}

export const wasmSecp256k1: Secp256k1 = {
  name: 'wasm',
  isValidSecretKey: (secret) => secret.length === 32 && lib.validatePrivateKey(secret),
  isValidPublicKey: (publicKey) => publicKey.length === 33 && lib.validatePublicKey(publicKey),
  publicKeyFromSecret: (secret) => {
    checkSecretBytes(secret);
    return pointOrThrow(lib.derivePublicKeyCompressed(secret));
  },
  ecdh: (secret, publicKey) => {
    checkSecretBytes(secret);
    return sha256(pointOrThrow(lib.mulTweakPublicKeyCompressed(compressedLength(publicKey), secret)));
  },
  sign: (digest, secret) => {
    if (digest.length !== 32) throw new CryptoError(CryptoErrorCode.InvalidLength, 'digest must be 32 bytes');
    checkSecretBytes(secret);
    const signature = lib.signMessageHashCompact(secret, digest);
    if (typeof signature === 'string') throw new CryptoError(CryptoErrorCode.InvalidSecretKey, signature);
    return signature;
  },
  verify: (signature, digest, publicKey) => {
    if (signature.length !== 64 || digest.length !== 32 || publicKey.length !== 33) return false;
    return lib.verifySignatureCompactLowS(signature, publicKey, digest);
  },
  publicKeyAdd: (a, b) => {
    compressedLength(a);
    compressedLength(b);
    let sum: Uint8Array | null;
    try {
      sum = tiny.pointAdd(a, b, true);
    } catch (error) {
      // tiny throws `TypeError('Expected Point')` for a point off the curve.
      if (error instanceof TypeError && error.message === 'Expected Point') throw notAPoint();
      throw error;
    }
    if (sum === null) throw infinity();
    return sum;
  },
  publicKeyTweakAdd: (publicKey, tweak) => {
    compressedLength(publicKey);
    checkScalarBytes(tweak);
    return pointOrThrow(lib.addTweakPublicKeyCompressed(publicKey, tweak));
  },
  publicKeyTweakMul: (publicKey, tweak) => {
    compressedLength(publicKey);
    if (checkScalarBytes(tweak)) throw infinity();
    return pointOrThrow(lib.mulTweakPublicKeyCompressed(publicKey, tweak));
  },
  secretKeyTweakAdd,
  secretKeyTweakMul,
};
