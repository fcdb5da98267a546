/**
 * BOLT 3 "Key Derivation": the per-commitment keys of a commitment
 * transaction, derived from a basepoint and the commitment's
 * per_commitment_point (or, for the revocation key, from both sides' secrets).
 */
import { BoundedCache, concatBytes, sha256, toHex, type Secp256k1 } from '../crypto/index.js';
import { assertLength } from './errors.js';

export { perCommitmentSecret, perCommitmentPoint, INITIAL_COMMITMENT_INDEX } from './per-commitment-secret.js';

/**
 * Derived public keys by backend and inputs: a commitment's keys are derived
 * again by every step that builds it (sign, verify, monitor), from public
 * inputs only, so a repeat is answered without EC work. Copies are handed
 * out, so a caller cannot change a cached key.
 */
const DERIVED_CAPACITY = 1024;
const derivedKeys = new WeakMap<Secp256k1, BoundedCache<Uint8Array>>();

function memoized(secp: Secp256k1, key: string, derive: () => Uint8Array): Uint8Array {
  let cache = derivedKeys.get(secp);
  if (cache === undefined) {
    cache = new BoundedCache(DERIVED_CAPACITY);
    derivedKeys.set(secp, cache);
  }
  return cache.getOrSet(key, derive).slice();
}

/**
 * BOLT 3 "localpubkey, remotepubkey, local_htlcpubkey, remote_htlcpubkey,
 * local_delayedpubkey, and remote_delayedpubkey Derivation":
 * `pubkey = basepoint + SHA256(per_commitment_point || basepoint)·G`.
 */
export function derivePublicKey(secp: Secp256k1, basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  assertLength(basepoint, 33, 'basepoint');
  assertLength(perCommitmentPoint, 33, 'per-commitment point');
  return memoized(secp, `p${toHex(basepoint)}${toHex(perCommitmentPoint)}`, () =>
    secp.publicKeyTweakAdd(basepoint, sha256(concatBytes(perCommitmentPoint, basepoint))),
  );
}

/**
 * `derivePublicKey(basepoint, perCommitmentPoint)` for a basepoint whose
 * secret we hold: `(basepoint_secret + SHA256(per_commitment_point ||
 * basepoint))·G`, one fixed-base multiplication instead of a variable-base
 * tweak, the same key (and cache entry). For the signer only: `basepoint`
 * must be `baseSecret`'s public key. Like `derivePublicKey`, it only hashes
 * `perCommitmentPoint` (both give the same bytes for any 33 bytes).
 */
export function derivePublicKeyWithSecret(secp: Secp256k1, baseSecret: Uint8Array, basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  assertLength(basepoint, 33, 'basepoint');
  assertLength(perCommitmentPoint, 33, 'per-commitment point');
  return memoized(secp, `p${toHex(basepoint)}${toHex(perCommitmentPoint)}`, () =>
    secp.publicKeyFromSecret(secp.secretKeyTweakAdd(baseSecret, sha256(concatBytes(perCommitmentPoint, basepoint)))),
  );
}

/**
 * `deriveRevocationPublicKey(revocationBasepoint, perCommitmentPoint)` when
 * we hold the secret of one of the two points (our revocation basepoint on
 * their commitments, our per-commitment point on ours): that term becomes a
 * fixed-base multiplication of the product of the secrets. The same key (and
 * cache entry). For the signer only: the secret must match its point, and
 * the other point must be valid (it is used as a point, which checks it).
 */
export function deriveRevocationPublicKeyWithSecret(
  secp: Secp256k1,
  revocationBasepoint: Uint8Array,
  perCommitmentPoint: Uint8Array,
  known: { readonly revocationBaseSecret: Uint8Array } | { readonly perCommitmentSecret: Uint8Array },
): Uint8Array {
  assertLength(revocationBasepoint, 33, 'revocation basepoint');
  assertLength(perCommitmentPoint, 33, 'per-commitment point');
  return memoized(secp, `r${toHex(revocationBasepoint)}${toHex(perCommitmentPoint)}`, () => {
    const basepointTweak = sha256(concatBytes(revocationBasepoint, perCommitmentPoint));
    const commitmentTweak = sha256(concatBytes(perCommitmentPoint, revocationBasepoint));
    const basepointTerm =
      'revocationBaseSecret' in known
        ? secp.publicKeyFromSecret(secp.secretKeyTweakMul(known.revocationBaseSecret, basepointTweak))
        : secp.publicKeyTweakMul(revocationBasepoint, basepointTweak);
    const commitmentTerm =
      'perCommitmentSecret' in known
        ? secp.publicKeyFromSecret(secp.secretKeyTweakMul(known.perCommitmentSecret, commitmentTweak))
        : secp.publicKeyTweakMul(perCommitmentPoint, commitmentTweak);
    return secp.publicKeyAdd(basepointTerm, commitmentTerm);
  });
}

/**
 * The secret matching `derivePublicKey` (BOLT 3 "Key Derivation"):
 * `privkey = basepoint_secret + SHA256(per_commitment_point || basepoint)`.
 */
export function derivePrivateKey(secp: Secp256k1, baseSecret: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  assertLength(baseSecret, 32, 'basepoint secret');
  return derivePrivateKeyWithBasepoint(secp, baseSecret, secp.publicKeyFromSecret(baseSecret), perCommitmentPoint);
}

/**
 * `derivePrivateKey` for a caller that already holds the basepoint (the
 * signer keeps its public keys): no multiplication, one scalar addition.
 * For the signer only: `basepoint` must be `baseSecret`'s public key.
 */
export function derivePrivateKeyWithBasepoint(secp: Secp256k1, baseSecret: Uint8Array, basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  assertLength(baseSecret, 32, 'basepoint secret');
  assertLength(basepoint, 33, 'basepoint');
  assertLength(perCommitmentPoint, 33, 'per-commitment point');
  return secp.secretKeyTweakAdd(baseSecret, sha256(concatBytes(perCommitmentPoint, basepoint)));
}

/**
 * BOLT 3 "revocationpubkey Derivation":
 * `revocationpubkey = revocation_basepoint·SHA256(revocation_basepoint || per_commitment_point)
 *  + per_commitment_point·SHA256(per_commitment_point || revocation_basepoint)`.
 */
export function deriveRevocationPublicKey(
  secp: Secp256k1,
  revocationBasepoint: Uint8Array,
  perCommitmentPoint: Uint8Array,
): Uint8Array {
  assertLength(revocationBasepoint, 33, 'revocation basepoint');
  assertLength(perCommitmentPoint, 33, 'per-commitment point');
  return memoized(secp, `r${toHex(revocationBasepoint)}${toHex(perCommitmentPoint)}`, () => {
    const basepointTerm = secp.publicKeyTweakMul(
      revocationBasepoint,
      sha256(concatBytes(revocationBasepoint, perCommitmentPoint)),
    );
    const commitmentTerm = secp.publicKeyTweakMul(
      perCommitmentPoint,
      sha256(concatBytes(perCommitmentPoint, revocationBasepoint)),
    );
    return secp.publicKeyAdd(basepointTerm, commitmentTerm);
  });
}

/**
 * The secret matching `deriveRevocationPublicKey` (BOLT 3 "revocationpubkey
 * Derivation"), computable only once the per-commitment secret is revealed:
 * `revocationprivkey = revocation_basepoint_secret·SHA256(revocation_basepoint || per_commitment_point)
 *  + per_commitment_secret·SHA256(per_commitment_point || revocation_basepoint)`.
 */
export function deriveRevocationPrivateKey(
  secp: Secp256k1,
  revocationBasepointSecret: Uint8Array,
  perCommitmentSecret: Uint8Array,
): Uint8Array {
  assertLength(revocationBasepointSecret, 32, 'revocation basepoint secret');
  assertLength(perCommitmentSecret, 32, 'per-commitment secret');
  const revocationBasepoint = secp.publicKeyFromSecret(revocationBasepointSecret);
  const perCommitmentPoint = secp.publicKeyFromSecret(perCommitmentSecret);
  const basepointTerm = secp.secretKeyTweakMul(
    revocationBasepointSecret,
    sha256(concatBytes(revocationBasepoint, perCommitmentPoint)),
  );
  const commitmentTerm = secp.secretKeyTweakMul(
    perCommitmentSecret,
    sha256(concatBytes(perCommitmentPoint, revocationBasepoint)),
  );
  return secp.secretKeyTweakAdd(basepointTerm, commitmentTerm);
}
