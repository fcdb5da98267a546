/**
 * stormcell's versioned derivation of every key from the node's 32-byte seed
 * (specified in docs/keys.md). Version 1 labels every output with a distinct
 * "stormcell/v1/..." string, so node, channel and wallet keys never overlap.
 */
import { concatBytes, hmacSha256, type Secp256k1 } from '../crypto/index.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';

/** The version of this scheme; persisted channels record it next to their channel keys id. */
export const KEY_DERIVATION_VERSION = 1;

/** The labels of version 1 (docs/keys.md). */
export const KeyLabel = {
  Node: 'stormcell/v1/node',
  Wallet: 'stormcell/v1/wallet',
  Shutdown: 'stormcell/v1/shutdown',
  InboundPayment: 'stormcell/v1/inbound_payment',
  Channel: 'stormcell/v1/channel',
  Funding: 'stormcell/v1/channel/funding',
  RevocationBase: 'stormcell/v1/channel/revocation',
  PaymentBase: 'stormcell/v1/channel/payment',
  DelayedPaymentBase: 'stormcell/v1/channel/delayed_payment',
  HtlcBase: 'stormcell/v1/channel/htlc',
  CommitmentSeed: 'stormcell/v1/channel/commitment_seed',
} as const;
export type KeyLabel = (typeof KeyLabel)[keyof typeof KeyLabel];

const utf8 = new TextEncoder();

/**
 * `expand(key, label, context, counter) = HMAC-SHA256(key, u8(len(label)) ||
 * label || u16be(len(context)) || context || u8(counter))`: 32 bytes.
 */
export function expandKey(key: Uint8Array, label: KeyLabel, context: Uint8Array, counter: number): Uint8Array {
  const labelBytes = utf8.encode(label);
  const lengths = new Uint8Array(3);
  lengths[0] = labelBytes.length;
  new DataView(lengths.buffer).setUint16(1, context.length);
  return hmacSha256(
    key,
    concatBytes(lengths.subarray(0, 1), labelBytes, lengths.subarray(1, 3), context, Uint8Array.of(counter)),
  );
}

/**
 * The first candidate(counter), counter = 0, 1, ..., 255, that is a valid
 * secret key (in [1, n)). A candidate fails with probability about 2^-128, so
 * counter 0 is used in practice; the retry keeps the derivation total.
 */
export function firstValidSecret(secp: Secp256k1, candidate: (counter: number) => Uint8Array): Uint8Array {
  for (let counter = 0; counter < 256; counter++) {
    const bytes = candidate(counter);
    if (secp.isValidSecretKey(bytes)) return bytes;
  }
  throw new KeysError(KeysErrorCode.NoValidSecret, 'no valid secret key in 256 candidates');
}

/** A secret key labelled `label` under `key` (docs/keys.md, "secret"). */
export function deriveSecret(secp: Secp256k1, key: Uint8Array, label: KeyLabel, context = new Uint8Array(0)): Uint8Array {
  return firstValidSecret(secp, (counter) => expandKey(key, label, context, counter));
}

/** The node secret: its public key is the node id (BOLT 7 node_id, BOLT 8 static key). */
export function deriveNodeSecret(secp: Secp256k1, seed: Uint8Array): Uint8Array {
  assertLength(seed, 32, 'seed');
  return deriveSecret(secp, seed, KeyLabel.Node);
}

/** The 32-byte BIP32 seed of the future on-chain (BIP84) wallet, separate from all channel keys. */
export function deriveWalletSeed(seed: Uint8Array): Uint8Array {
  assertLength(seed, 32, 'seed');
  return expandKey(seed, KeyLabel.Wallet, new Uint8Array(0), 0);
}

/**
 * The secret of the node's shutdown key: its P2WPKH is the
 * `shutdown_scriptpubkey` we commit to in `open_channel`/`accept_channel`
 * (BOLT 2 option_upfront_shutdown_script), one for all channels, as LDK's
 * `KeysManager` does.
 */
export function deriveShutdownSecret(secp: Secp256k1, seed: Uint8Array): Uint8Array {
  assertLength(seed, 32, 'seed');
  return deriveSecret(secp, seed, KeyLabel.Shutdown);
}

/**
 * The 32-byte key material of stateless inbound payments (LDK's
 * `inbound_payment_key`): `shared/manager/inbound-payment` expands it into the
 * keys that make and check payment secrets, so an invoice stores nothing.
 */
export function deriveInboundPaymentKey(seed: Uint8Array): Uint8Array {
  assertLength(seed, 32, 'seed');
  return expandKey(seed, KeyLabel.InboundPayment, new Uint8Array(0), 0);
}

/** The per-channel seed every key of the channel `channelKeysId` derives from. */
export function deriveChannelSeed(seed: Uint8Array, channelKeysId: Uint8Array): Uint8Array {
  assertLength(seed, 32, 'seed');
  assertLength(channelKeysId, 32, 'channel keys id');
  return expandKey(seed, KeyLabel.Channel, channelKeysId, 0);
}
