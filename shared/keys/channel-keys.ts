/**
 * The keys of one channel side (BOLT 2 `open_channel`/`accept_channel`:
 * funding_pubkey and the four basepoints; BOLT 3 "Key Derivation"), and the
 * seed of its per-commitment secrets.
 */
import type { Secp256k1 } from '../crypto/index.js';
import { assertLength } from './errors.js';
import { KeyLabel, deriveSecret, expandKey } from './seed-derivation.js';

/** The public keys a channel side announces in `open_channel` / `accept_channel`. */
export interface ChannelPublicKeys {
  readonly fundingPubkey: Uint8Array;
  readonly revocationBasepoint: Uint8Array;
  readonly paymentBasepoint: Uint8Array;
  readonly delayedPaymentBasepoint: Uint8Array;
  readonly htlcBasepoint: Uint8Array;
}

/** The secrets behind `ChannelPublicKeys`, plus the per-commitment seed (BOLT 3). */
export interface ChannelKeys {
  readonly fundingSecret: Uint8Array;
  readonly revocationBaseSecret: Uint8Array;
  readonly paymentBaseSecret: Uint8Array;
  readonly delayedPaymentBaseSecret: Uint8Array;
  readonly htlcBaseSecret: Uint8Array;
  /** The seed of BOLT 3 `generate_from_seed` for this side's per-commitment secrets. */
  readonly commitmentSeed: Uint8Array;
  readonly publicKeys: ChannelPublicKeys;
}

/** Derives a channel's keys from its channel seed (docs/keys.md, version 1). */
export function deriveChannelKeys(secp: Secp256k1, channelSeed: Uint8Array): ChannelKeys {
  assertLength(channelSeed, 32, 'channel seed');
  return channelKeysFromSecrets(secp, {
    fundingSecret: deriveSecret(secp, channelSeed, KeyLabel.Funding),
    revocationBaseSecret: deriveSecret(secp, channelSeed, KeyLabel.RevocationBase),
    paymentBaseSecret: deriveSecret(secp, channelSeed, KeyLabel.PaymentBase),
    delayedPaymentBaseSecret: deriveSecret(secp, channelSeed, KeyLabel.DelayedPaymentBase),
    htlcBaseSecret: deriveSecret(secp, channelSeed, KeyLabel.HtlcBase),
    commitmentSeed: expandKey(channelSeed, KeyLabel.CommitmentSeed, new Uint8Array(0), 0),
  });
}

/** Completes a set of channel secrets with their public keys (e.g. the BOLT 3 Appendix C keys in tests). */
export function channelKeysFromSecrets(secp: Secp256k1, secrets: Omit<ChannelKeys, 'publicKeys'>): ChannelKeys {
  for (const [name, value] of Object.entries(secrets)) assertLength(value, 32, name);
  return {
    ...secrets,
    publicKeys: {
      fundingPubkey: secp.publicKeyFromSecret(secrets.fundingSecret),
      revocationBasepoint: secp.publicKeyFromSecret(secrets.revocationBaseSecret),
      paymentBasepoint: secp.publicKeyFromSecret(secrets.paymentBaseSecret),
      delayedPaymentBasepoint: secp.publicKeyFromSecret(secrets.delayedPaymentBaseSecret),
      htlcBasepoint: secp.publicKeyFromSecret(secrets.htlcBaseSecret),
    },
  };
}
