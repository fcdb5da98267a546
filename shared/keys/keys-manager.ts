/**
 * The key manager of a node (LDK's `KeysManager`): one 32-byte seed gives the
 * node identity (`NodeSigner`) and, per channel keys id, the channel signers
 * (`SignerProvider`), following docs/keys.md.
 */
import { BoundedCache, concatBytes, hash160, toHex, type Secp256k1 } from '../crypto/index.js';
import { deriveChannelKeys } from './channel-keys.js';
import type { EntropySource } from './entropy-source.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';
import { InMemoryNodeSigner, type NodeSigner, type RecoverableSignature } from './node-keys.js';
import { deriveChannelSeed, deriveInboundPaymentKey, deriveShutdownSecret, deriveWalletSeed } from './seed-derivation.js';
import { InMemoryChannelSigner, type ChannelSigner } from './signer.js';

/** Creates channel signers (LDK's `SignerProvider` role). */
export interface SignerProvider {
  /**
   * A fresh 32-byte channel keys id for a new channel, persisted with it so
   * `deriveChannelSigner` can rebuild the same signer later.
   */
  generateChannelKeysId(inbound: boolean, channelValueSatoshis: bigint, userChannelId: bigint): Uint8Array;
  /** The signer of the channel whose keys id is `channelKeysId`: the same id always gives the same keys. */
  deriveChannelSigner(channelValueSatoshis: bigint, channelKeysId: Uint8Array): ChannelSigner;
  /**
   * The script cooperative closes pay our balance to (LDK's
   * `get_shutdown_scriptpubkey`), committed upfront in `open_channel` /
   * `accept_channel` (BOLT 2 option_upfront_shutdown_script). One of the
   * BOLT 2 `shutdown` forms (P2WPKH for a `KeysManager`).
   */
  getShutdownScriptpubkey(): Uint8Array;
  /**
   * Whether `getShutdownScriptpubkey` is committed in `open_channel` /
   * `accept_channel` as the `upfront_shutdown_script` (LDK's
   * `commit_upfront_shutdown_pubkey`). Absent: true. A provider handing out
   * a fresh wallet address per close says false: the script is then chosen
   * when the channel closes (docs/close.md).
   */
  readonly commitUpfrontShutdownScript?: boolean;
}

/** Channel signers a {@link KeysManager} keeps derived (by keys id and channel value). */
const SIGNER_CAPACITY = 256;

/**
 * Node and channel keys from one seed, in memory. Channel signers are
 * derived once and kept (the least recently used of {@link SIGNER_CAPACITY}
 * dropped): every input re-derives the signer of the channels it loads, and
 * the same id always gives the same keys.
 */
export class KeysManager implements NodeSigner, SignerProvider {
  readonly #secp: Secp256k1;
  readonly #seed: Uint8Array;
  readonly #entropy: EntropySource;
  readonly #node: InMemoryNodeSigner;
  readonly #signers = new BoundedCache<ChannelSigner>(SIGNER_CAPACITY);
  #shutdownScript: Uint8Array | undefined;
  #inboundPaymentKey: Uint8Array | undefined;

  constructor(secp: Secp256k1, seed: Uint8Array, entropy: EntropySource) {
    assertLength(seed, 32, 'seed');
    this.#secp = secp;
    this.#seed = seed.slice();
    this.#entropy = entropy;
    this.#node = InMemoryNodeSigner.fromSeed(secp, seed);
  }

  getNodeId(): Uint8Array {
    return this.#node.getNodeId();
  }

  ecdh(otherPublicKey: Uint8Array, tweak?: Uint8Array): Uint8Array {
    return this.#node.ecdh(otherPublicKey, tweak);
  }

  signGossipMessage(digest: Uint8Array): Uint8Array {
    return this.#node.signGossipMessage(digest);
  }

  signInvoice(digest: Uint8Array): RecoverableSignature {
    return this.#node.signInvoice(digest);
  }

  /**
   * 32 random bytes from the entropy source. The channel's parameters do not
   * enter the id: a random id never repeats, so two channels never share keys.
   */
  generateChannelKeysId(_inbound: boolean, _channelValueSatoshis: bigint, _userChannelId: bigint): Uint8Array {
    const id = this.#entropy.getSecureRandomBytes();
    assertLength(id, 32, 'entropy');
    return id.slice();
  }

  deriveChannelSigner(channelValueSatoshis: bigint, channelKeysId: Uint8Array): ChannelSigner {
    assertLength(channelKeysId, 32, 'channel keys id');
    if (channelValueSatoshis < 0n) throw new KeysError(KeysErrorCode.InvalidValue, 'negative channel value');
    return this.#signers.getOrSet(`${toHex(channelKeysId)}:${channelValueSatoshis}`, () => {
      const keys = deriveChannelKeys(this.#secp, deriveChannelSeed(this.#seed, channelKeysId));
      return new InMemoryChannelSigner(this.#secp, keys, channelKeysId, channelValueSatoshis);
    });
  }

  /** P2WPKH (`OP_0 <20-byte HASH160>`) of the node's shutdown key (docs/keys.md, label `stormcell/v1/shutdown`). */
  getShutdownScriptpubkey(): Uint8Array {
    this.#shutdownScript ??= concatBytes(Uint8Array.of(0x00, 0x14), hash160(this.#secp.publicKeyFromSecret(deriveShutdownSecret(this.#secp, this.#seed))));
    return this.#shutdownScript.slice();
  }

  /** The BIP32 seed of the node's on-chain wallet (BIP84), separate from every channel key. */
  walletSeed(): Uint8Array {
    return deriveWalletSeed(this.#seed);
  }

  /**
   * The key material of stateless inbound payments (LDK's
   * `NodeSigner::get_expanded_key` input, docs/keys.md label
   * `stormcell/v1/inbound_payment`): 32 bytes, the same for the life of the
   * seed, so a payment secret made before a restart still verifies after it.
   */
  inboundPaymentKey(): Uint8Array {
    this.#inboundPaymentKey ??= deriveInboundPaymentKey(this.#seed);
    return this.#inboundPaymentKey.slice();
  }
}
