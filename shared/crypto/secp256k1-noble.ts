/** The pure-JS secp256k1 backend (@noble/secp256k1): portable, the reference. */
import * as secp from '@noble/secp256k1';
import { CryptoError, CryptoErrorCode } from './errors.js';
import { sha256 } from './hash.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scalarFrom, secretFrom } from './scalar.js';
import { secretKeyTweakAdd, secretKeyTweakMul } from './secret-key-tweak.js';
import type { Secp256k1 } from './secp256k1.js';

// noble's signer needs its hashes wired in for synchronous RFC 6979 signing.
secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key, message) => hmac(nobleSha256, key, message);

const { Point } = secp;
type NoblePoint = InstanceType<typeof Point>;

function pointFrom(publicKey: Uint8Array): NoblePoint {
  if (publicKey.length !== 33) throw new CryptoError(CryptoErrorCode.InvalidPublicKey, 'public key must be 33 bytes');
  try {
    return Point.fromBytes(publicKey);
  } catch {
    throw new CryptoError(CryptoErrorCode.InvalidPublicKey, 'not a point on secp256k1');
  }
}

function compressed(point: NoblePoint): Uint8Array {
  if (point.equals(Point.ZERO)) throw new CryptoError(CryptoErrorCode.PointAtInfinity, 'result is the point at infinity');
  return point.toBytes(true);
}

function multiply(point: NoblePoint, scalar: bigint): NoblePoint {
  return scalar === 0n ? Point.ZERO : point.multiply(scalar);
}

export const nobleSecp256k1: Secp256k1 = {
  name: 'noble',
  isValidSecretKey: (secret) => secret.length === 32 && secp.utils.isValidSecretKey(secret),
  isValidPublicKey: (publicKey) => publicKey.length === 33 && secp.utils.isValidPublicKey(publicKey, true),
  publicKeyFromSecret: (secret) => compressed(Point.BASE.multiply(secretFrom(secret))),
  ecdh: (secret, publicKey) => sha256(compressed(pointFrom(publicKey).multiply(secretFrom(secret)))),
  sign: (digest, secret) => {
    if (digest.length !== 32) throw new CryptoError(CryptoErrorCode.InvalidLength, 'digest must be 32 bytes');
    secretFrom(secret);
    return secp.sign(digest, secret, { prehash: false, lowS: true });
  },
  verify: (signature, digest, publicKey) => {
    if (signature.length !== 64 || digest.length !== 32 || publicKey.length !== 33) return false;
    try {
      return secp.verify(signature, digest, publicKey, { prehash: false, lowS: true });
    } catch {
      return false;
    }
  },
  publicKeyAdd: (a, b) => compressed(pointFrom(a).add(pointFrom(b))),
  publicKeyTweakAdd: (publicKey, tweak) => compressed(pointFrom(publicKey).add(multiply(Point.BASE, scalarFrom(tweak)))),
  publicKeyTweakMul: (publicKey, tweak) => compressed(multiply(pointFrom(publicKey), scalarFrom(tweak))),
  secretKeyTweakAdd,
  secretKeyTweakMul,
};
