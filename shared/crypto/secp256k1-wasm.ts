/** The WASM secp256k1 backend (tiny-secp256k1, libsecp256k1): the hot path. */
import * as tiny from 'tiny-secp256k1';
import { CryptoError, CryptoErrorCode } from './errors.js';
import { sha256 } from './hash.js';
import { checkScalarBytes, checkSecretBytes } from './scalar.js';
import { secretKeyTweakAdd, secretKeyTweakMul } from './secret-key-tweak.js';
import type { Secp256k1 } from './secp256k1.js';

function checkPoint(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 33 || !tiny.isPoint(publicKey)) throw notAPoint();
  return publicKey;
}

function notAPoint(): CryptoError {
  return new CryptoError(CryptoErrorCode.InvalidPublicKey, 'not a 33-byte point on secp256k1');
}

/**
 * Runs a tiny-secp256k1 operation on 33-byte points without parsing them
 * twice: libsecp256k1 parses (and so validates) each point as it uses it and
 * tiny throws `TypeError('Expected Point')` for one off the curve, which
 * becomes the same `invalid-public-key` error `checkPoint` gives.
 */
function onPoints<T>(points: readonly Uint8Array[], operation: () => T): T {
  for (const p of points) if (p.length !== 33) throw notAPoint();
  try {
    return operation();
  } catch (error) {
    if (error instanceof TypeError && error.message === 'Expected Point') throw notAPoint();
    throw error;
  }
}

function nonInfinity(point: Uint8Array | null): Uint8Array {
  if (point === null) throw new CryptoError(CryptoErrorCode.PointAtInfinity, 'result is the point at infinity');
  return point;
}

export const wasmSecp256k1: Secp256k1 = {
  name: 'wasm',
  isValidSecretKey: (secret) => secret.length === 32 && tiny.isPrivate(secret),
  isValidPublicKey: (publicKey) => publicKey.length === 33 && tiny.isPoint(publicKey),
  publicKeyFromSecret: (secret) => {
    checkSecretBytes(secret);
    return nonInfinity(tiny.pointFromScalar(secret, true));
  },
  ecdh: (secret, publicKey) => {
    checkSecretBytes(secret);
    return sha256(nonInfinity(tiny.pointMultiply(checkPoint(publicKey), secret, true)));
  },
  sign: (digest, secret) => {
    if (digest.length !== 32) throw new CryptoError(CryptoErrorCode.InvalidLength, 'digest must be 32 bytes');
    checkSecretBytes(secret);
    return tiny.sign(digest, secret);
  },
  verify: (signature, digest, publicKey) => {
    if (signature.length !== 64 || digest.length !== 32 || publicKey.length !== 33) return false;
    try {
      return tiny.verify(digest, publicKey, signature, true);
    } catch {
      return false;
    }
  },
  publicKeyAdd: (a, b) => nonInfinity(onPoints([a, b], () => tiny.pointAdd(a, b, true))),
  publicKeyTweakAdd: (publicKey, tweak) => {
    if (publicKey.length !== 33) throw notAPoint();
    checkScalarBytes(tweak);
    return nonInfinity(onPoints([publicKey], () => tiny.pointAddScalar(publicKey, tweak, true)));
  },
  publicKeyTweakMul: (publicKey, tweak) => {
    if (publicKey.length !== 33) throw notAPoint();
    if (checkScalarBytes(tweak)) throw new CryptoError(CryptoErrorCode.PointAtInfinity, 'result is the point at infinity');
    return nonInfinity(onPoints([publicKey], () => tiny.pointMultiply(publicKey, tweak, true)));
  },
  secretKeyTweakAdd,
  secretKeyTweakMul,
};
