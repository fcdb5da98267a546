/**
 * The keys of one commitment (BOLT 3 "Key Derivation"), for its owner and
 * per-commitment point: the keys on our side come from the signer (it holds
 * their secrets: a fixed-base multiplication instead of a tweak), the
 * counterparty's from its basepoints.
 *
 * The two HTLC keys are derived when first read: only a commitment with an
 * HTLC output reads them (its scripts, its HTLC transactions' signatures).
 * In a payment half the commitments each side builds have none, so this
 * saves two EC operations on each of those (4 of a side's 36 per
 * sequential payment).
 */
import type { Secp256k1 } from '../crypto/index.js';
import { derivePublicKey, type ChannelPublicKeys, type ChannelSigner } from '../keys/index.js';
import type { CommitmentKeys } from '../tx/index.js';

export function commitmentKeys(
  secp: Secp256k1,
  signer: ChannelSigner,
  theirs: ChannelPublicKeys,
  owner: 'holder' | 'counterparty',
  perCommitmentPoint: Uint8Array,
  /** The commitment's index (BOLT 3's, counting down): what our revocation key on our own commitment is derived from. */
  index: bigint,
): CommitmentKeys {
  const ours = signer.publicKeys;
  if (owner === 'holder') {
    return {
      localFundingPubkey: ours.fundingPubkey,
      remoteFundingPubkey: theirs.fundingPubkey,
      revocationPubkey: signer.holderRevocationPublicKey(theirs.revocationBasepoint, index),
      localDelayedPubkey: signer.delayedPaymentPublicKey(perCommitmentPoint),
      get localHtlcPubkey() {
        return signer.htlcPublicKey(perCommitmentPoint);
      },
      get remoteHtlcPubkey() {
        return derivePublicKey(secp, theirs.htlcBasepoint, perCommitmentPoint);
      },
      remotePaymentPubkey: theirs.paymentBasepoint,
    };
  }
  return {
    localFundingPubkey: theirs.fundingPubkey,
    remoteFundingPubkey: ours.fundingPubkey,
    revocationPubkey: signer.counterpartyRevocationPublicKey(perCommitmentPoint),
    localDelayedPubkey: derivePublicKey(secp, theirs.delayedPaymentBasepoint, perCommitmentPoint),
    get localHtlcPubkey() {
      return derivePublicKey(secp, theirs.htlcBasepoint, perCommitmentPoint);
    },
    get remoteHtlcPubkey() {
      return signer.htlcPublicKey(perCommitmentPoint);
    },
    remotePaymentPubkey: ours.paymentBasepoint,
  };
}
