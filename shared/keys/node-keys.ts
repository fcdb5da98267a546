/**
 * The node's identity key (LDK's `NodeSigner` role): the node id of BOLT 7,
 * the static key of the BOLT 8 handshake, the ECDH of BOLT 4 onions, and the
 * signatures of gossip (BOLT 7) and invoices (BOLT 11).
 */
import { hmacSha256, type Secp256k1 } from '../crypto/index.js';
import { KeysError, KeysErrorCode, assertLength } from './errors.js';
import { recoveryId } from './recoverable-signature.js';
import { KeyLabel, deriveInboundPaymentKey, deriveNodeSecret } from './seed-derivation.js';

/** A BOLT 11 signature: compact r || s and the recovery id (0 or 1). */
export interface RecoverableSignature {
  readonly signature: Uint8Array;
  readonly recoveryId: number;
}

/** Operations with the node secret; the secret itself never leaves the signer. */
export interface NodeSigner {
  /** The 33-byte compressed node id (BOLT 7 `node_id`). */
  getNodeId(): Uint8Array;
  /**
   * SHA256 of the compressed point node_secret·(tweak·otherPublicKey), tweak
   * defaulting to 1: the BOLT 8 ECDH `es`/`ss`, and BOLT 4 shared secrets
   * (with a blinding tweak for route blinding).
   */
  ecdh(otherPublicKey: Uint8Array, tweak?: Uint8Array): Uint8Array;
  /** Signs a BOLT 7 gossip digest (double-SHA256 of the message after the signatures): compact 64 bytes. */
  signGossipMessage(digest: Uint8Array): Uint8Array;
  /** Signs a BOLT 11 invoice digest (SHA256 of hrp and data): compact signature and recovery id. */
  signInvoice(digest: Uint8Array): RecoverableSignature;
  /** The key material of stateless payment secrets (LDK's `get_inbound_payment_key`): 32 bytes, stable for the node's life. */
  inboundPaymentKey(): Uint8Array;
}

/** A `NodeSigner` holding the node secret in memory. */
export class InMemoryNodeSigner implements NodeSigner {
  readonly #secp: Secp256k1;
  readonly #secret: Uint8Array;
  readonly #nodeId: Uint8Array;
  readonly #inboundPaymentKey: Uint8Array;

  /** `inboundPaymentKey`: from the seed (`fromSeed`); without one, an HMAC of the node secret under the same label. */
  constructor(secp: Secp256k1, nodeSecret: Uint8Array, inboundPaymentKey?: Uint8Array) {
    assertLength(nodeSecret, 32, 'node secret');
    if (!secp.isValidSecretKey(nodeSecret)) throw new KeysError(KeysErrorCode.InvalidSecretKey, 'invalid node secret');
    this.#secp = secp;
    this.#secret = nodeSecret.slice();
    this.#nodeId = secp.publicKeyFromSecret(nodeSecret);
    this.#inboundPaymentKey = inboundPaymentKey?.slice() ?? hmacSha256(nodeSecret, new TextEncoder().encode(KeyLabel.InboundPayment));
  }

  inboundPaymentKey(): Uint8Array {
    return this.#inboundPaymentKey.slice();
  }

  /** The node signer of a 32-byte seed (docs/keys.md: the same seed always gives the same node id). */
  static fromSeed(secp: Secp256k1, seed: Uint8Array): InMemoryNodeSigner {
    return new InMemoryNodeSigner(secp, deriveNodeSecret(secp, seed), deriveInboundPaymentKey(seed));
  }

  getNodeId(): Uint8Array {
    return this.#nodeId.slice();
  }

  ecdh(otherPublicKey: Uint8Array, tweak?: Uint8Array): Uint8Array {
    assertLength(otherPublicKey, 33, 'public key');
    if (!this.#secp.isValidPublicKey(otherPublicKey)) {
      throw new KeysError(KeysErrorCode.InvalidPublicKey, 'ECDH public key is not on the curve');
    }
    let point = otherPublicKey;
    if (tweak !== undefined) {
      assertLength(tweak, 32, 'ECDH tweak');
      if (!this.#secp.isValidSecretKey(tweak)) throw new KeysError(KeysErrorCode.InvalidSecretKey, 'invalid ECDH tweak');
      point = this.#secp.publicKeyTweakMul(otherPublicKey, tweak);
    }
    return this.#secp.ecdh(this.#secret, point);
  }

  signGossipMessage(digest: Uint8Array): Uint8Array {
    assertLength(digest, 32, 'digest');
    return this.#secp.sign(digest, this.#secret);
  }

  signInvoice(digest: Uint8Array): RecoverableSignature {
    assertLength(digest, 32, 'digest');
    const signature = this.#secp.sign(digest, this.#secret);
    return { signature, recoveryId: recoveryId(this.#secp, digest, signature, this.#nodeId) };
  }
}
