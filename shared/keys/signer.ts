/**
 * The channel signer (LDK's `ChannelSigner` role): everything a channel needs
 * from its private keys, behind an interface that never hands out a key, so a
 * remote or KMS-backed signer can replace the in-memory one.
 */
import { BoundedCache, toHex, type Secp256k1 } from '../crypto/index.js';
import type { ChannelKeys, ChannelPublicKeys } from './channel-keys.js';
import { derivePrivateKeyWithBasepoint, derivePublicKeyWithSecret, deriveRevocationPrivateKey, deriveRevocationPublicKeyWithSecret } from './derivation.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';
import { assertCommitmentIndex, perCommitmentPoint, perCommitmentSecret } from './per-commitment-secret.js';

/**
 * Signs for one channel side. Signatures are 64-byte compact (r || s), low-S,
 * over a 32-byte digest (a BIP 143 sighash); the transaction layer encodes them.
 */
export interface ChannelSigner {
  /** The id the signer was derived from (persisted with the channel). */
  readonly channelKeysId: Uint8Array;
  readonly channelValueSatoshis: bigint;
  /** funding_pubkey and the four basepoints (BOLT 2 `open_channel`). */
  readonly publicKeys: ChannelPublicKeys;
  /** Our per_commitment_point for commitment `index` (BOLT 3, counts down from 2^48 - 1). */
  perCommitmentPoint(index: bigint): Uint8Array;
  /**
   * Our per_commitment_secret for `index`, released in `revoke_and_ack` once
   * that commitment is revoked (BOLT 2). The caller must only ask for revoked
   * commitments; a policy-enforcing signer may refuse others.
   */
  releaseCommitmentSecret(index: bigint): Uint8Array;
  /**
   * Our htlc pubkey for `perCommitmentPoint` (BOLT 3 local_htlcpubkey on our
   * commitments, remote_htlcpubkey on theirs): `derivePublicKey(htlcBasepoint, point)`.
   */
  htlcPublicKey(perCommitmentPoint: Uint8Array): Uint8Array;
  /** Our delayed payment pubkey for `perCommitmentPoint` (BOLT 3 local_delayedpubkey): `derivePublicKey(delayedPaymentBasepoint, point)`. */
  delayedPaymentPublicKey(perCommitmentPoint: Uint8Array): Uint8Array;
  /**
   * The revocation pubkey of a counterparty commitment (BOLT 3, our
   * revocation basepoint, their per-commitment point):
   * `deriveRevocationPublicKey(revocationBasepoint, theirPerCommitmentPoint)`.
   */
  counterpartyRevocationPublicKey(theirPerCommitmentPoint: Uint8Array): Uint8Array;
  /**
   * The revocation pubkey of our commitment `index` (BOLT 3, their
   * revocation basepoint, our per-commitment point):
   * `deriveRevocationPublicKey(theirRevocationBasepoint, perCommitmentPoint(index))`.
   */
  holderRevocationPublicKey(theirRevocationBasepoint: Uint8Array, index: bigint): Uint8Array;
  /** Signs with the funding key (the 2-of-2 funding output, BOLT 3 "Funding Transaction Output"). */
  signWithFundingKey(digest: Uint8Array): Uint8Array;
  /** Signs with our htlc key derived for `perCommitmentPoint` (BOLT 3 local_htlcpubkey / remote_htlcpubkey). */
  signWithHtlcKey(digest: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array;
  /** Signs with our delayed payment key derived for `perCommitmentPoint` (BOLT 3 local_delayedpubkey). */
  signWithDelayedPaymentKey(digest: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array;
  /** Signs with the payment basepoint secret itself (option_static_remotekey: to_remote pays the basepoint). */
  signWithPaymentKey(digest: Uint8Array): Uint8Array;
  /**
   * Signs a justice transaction with the revocation private key of the
   * counterparty commitment whose per_commitment_secret they released
   * (BOLT 3 "revocationpubkey Derivation", our revocation basepoint).
   */
  signWithRevocationKey(digest: Uint8Array, theirPerCommitmentSecret: Uint8Array): Uint8Array;
}

/** Per-commitment points a signer keeps (a channel asks for its current and next ones again and again). */
const POINT_CAPACITY = 8;

/** A `ChannelSigner` holding the channel's keys in memory. */
export class InMemoryChannelSigner implements ChannelSigner {
  readonly #secp: Secp256k1;
  readonly #keys: ChannelKeys;
  readonly #points = new BoundedCache<Uint8Array>(POINT_CAPACITY);
  readonly #secrets = new BoundedCache<Uint8Array>(POINT_CAPACITY);
  /**
   * Our htlc and delayed payment secrets by per-commitment point: a
   * commitment with n HTLCs signs n HTLC transactions with one key, and the
   * point was checked when its key was first derived.
   */
  readonly #derivedSecrets = new BoundedCache<Uint8Array>(POINT_CAPACITY);
  readonly channelKeysId: Uint8Array;
  readonly channelValueSatoshis: bigint;
  readonly publicKeys: ChannelPublicKeys;

  constructor(secp: Secp256k1, keys: ChannelKeys, channelKeysId: Uint8Array, channelValueSatoshis: bigint) {
    assertLength(channelKeysId, 32, 'channel keys id');
    this.#secp = secp;
    this.#keys = keys;
    this.channelKeysId = channelKeysId.slice();
    this.channelValueSatoshis = channelValueSatoshis;
    this.publicKeys = keys.publicKeys;
  }

  perCommitmentPoint(index: bigint): Uint8Array {
    return this.#points.getOrSet(this.#indexKey(index), () => perCommitmentPoint(this.#secp, this.#secret(index))).slice();
  }

  /** Commitment `index`'s per-commitment secret (48 hashes for the first ones), kept for the next call. */
  #secret(index: bigint): Uint8Array {
    return this.#secrets.getOrSet(this.#indexKey(index), () => perCommitmentSecret(this.#keys.commitmentSeed, index));
  }

  /** The cache key of `index`, after checking it as `perCommitmentSecret` does (so a bad index is never served from the cache). */
  #indexKey(index: bigint): string {
    assertCommitmentIndex(index);
    return index.toString();
  }

  releaseCommitmentSecret(index: bigint): Uint8Array {
    return perCommitmentSecret(this.#keys.commitmentSeed, index);
  }

  // The public derivations below use our secrets: a fixed-base multiplication
  // instead of a variable-base one, the same keys as shared/keys/derivation.ts.
  // Their per-commitment point is hashed (as derivePublicKey does) or multiplied (which validates it).
  htlcPublicKey(perCommitmentPoint: Uint8Array): Uint8Array {
    return derivePublicKeyWithSecret(this.#secp, this.#keys.htlcBaseSecret, this.publicKeys.htlcBasepoint, perCommitmentPoint);
  }

  delayedPaymentPublicKey(perCommitmentPoint: Uint8Array): Uint8Array {
    return derivePublicKeyWithSecret(this.#secp, this.#keys.delayedPaymentBaseSecret, this.publicKeys.delayedPaymentBasepoint, perCommitmentPoint);
  }

  counterpartyRevocationPublicKey(theirPerCommitmentPoint: Uint8Array): Uint8Array {
    // Their point is multiplied as a point, which validates it.
    return deriveRevocationPublicKeyWithSecret(this.#secp, this.publicKeys.revocationBasepoint, theirPerCommitmentPoint, {
      revocationBaseSecret: this.#keys.revocationBaseSecret,
    });
  }

  holderRevocationPublicKey(theirRevocationBasepoint: Uint8Array, index: bigint): Uint8Array {
    assertLength(theirRevocationBasepoint, 33, 'revocation basepoint');
    // Their basepoint is multiplied as a point, which validates it.
    return deriveRevocationPublicKeyWithSecret(this.#secp, theirRevocationBasepoint, this.perCommitmentPoint(index), {
      perCommitmentSecret: this.#secret(index),
    });
  }

  signWithFundingKey(digest: Uint8Array): Uint8Array {
    return this.#sign(digest, this.#keys.fundingSecret);
  }

  signWithHtlcKey(digest: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
    return this.#sign(digest, this.#derivedSecret('h', this.#keys.htlcBaseSecret, this.publicKeys.htlcBasepoint, perCommitmentPoint));
  }

  signWithDelayedPaymentKey(digest: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
    return this.#sign(digest, this.#derivedSecret('d', this.#keys.delayedPaymentBaseSecret, this.publicKeys.delayedPaymentBasepoint, perCommitmentPoint));
  }

  /** BOLT 3 `privkey = basepoint_secret + SHA256(per_commitment_point || basepoint)`, kept by point (checked on the curve once). */
  #derivedSecret(tag: 'h' | 'd', baseSecret: Uint8Array, basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
    assertLength(perCommitmentPoint, 33, 'per-commitment point');
    return this.#derivedSecrets.getOrSet(`${tag}${toHex(perCommitmentPoint)}`, () => {
      this.#checkPoint(perCommitmentPoint);
      return derivePrivateKeyWithBasepoint(this.#secp, baseSecret, basepoint, perCommitmentPoint);
    });
  }

  signWithPaymentKey(digest: Uint8Array): Uint8Array {
    return this.#sign(digest, this.#keys.paymentBaseSecret);
  }

  signWithRevocationKey(digest: Uint8Array, theirPerCommitmentSecret: Uint8Array): Uint8Array {
    assertLength(theirPerCommitmentSecret, 32, 'per-commitment secret');
    if (!this.#secp.isValidSecretKey(theirPerCommitmentSecret)) {
      throw new KeysError(KeysErrorCode.InvalidSecretKey, 'per-commitment secret is not a valid secret key');
    }
    const revocationSecret = deriveRevocationPrivateKey(
      this.#secp,
      this.#keys.revocationBaseSecret,
      theirPerCommitmentSecret,
    );
    return this.#sign(digest, revocationSecret);
  }

  #sign(digest: Uint8Array, secret: Uint8Array): Uint8Array {
    assertLength(digest, 32, 'digest');
    return this.#secp.sign(digest, secret);
  }

  #checkPoint(point: Uint8Array): void {
    assertLength(point, 33, 'per-commitment point');
    if (!this.#secp.isValidPublicKey(point)) {
      throw new KeysError(KeysErrorCode.InvalidPublicKey, 'per-commitment point is not on the curve');
    }
  }
}
