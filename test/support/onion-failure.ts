/**
 * Test support: a failure one of our nodes sent back, read as the payer
 * reads it (BOLT 4 "Returning Errors"): the incoming HTLC's onion peeled
 * with our node key for the shared secret, our `update_fail_htlc` reason
 * decrypted with it (we are hop 0 of the payer's route), and the
 * `channel_update` inside decoded and checked against our node id.
 */
import { sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeFailure, peelOnion, type FailureMessage } from '../../shared/onion/index.js';
import { channelUpdateSignedBytes, decodeMessage, type ChannelUpdateMessage, type UpdateAddHtlcMessage, type UpdateFailHtlcMessage } from '../../shared/wire/index.js';

/** What we failed an HTLC back with, and the `channel_update` in it. */
export interface OurFailure {
  readonly failure: FailureMessage;
  /** The `channel_update` the failure carries (undefined for one that carries none, or an empty one). */
  readonly update: ChannelUpdateMessage | undefined;
  /** The update is signed by our node key (over the double SHA-256 of everything after the signature). */
  readonly updateSignedByUs: boolean;
}

/** Our node's key, as far as reading our own failures needs it. */
export interface OurNodeKey {
  getNodeId(): Uint8Array;
  ecdh(point: Uint8Array): Uint8Array;
}

/** Reads our `fail` of the incoming `add` (throws when it is not a failure we made for it). */
export function readOurFailure(node: OurNodeKey, add: UpdateAddHtlcMessage, fail: UpdateFailHtlcMessage): OurFailure {
  const peeled = peelOnion(wasmSecp256k1, (point) => node.ecdh(point), add.onionRoutingPacket, add.paymentHash);
  if (!peeled.ok) throw new Error(`the onion does not peel: ${peeled.error.reason}`);
  const decoded = decodeFailure([peeled.value.sharedSecret], fail.reason);
  if (!decoded.ok || decoded.message === undefined || decoded.hopIndex !== 0) throw new Error('not a failure of ours that decodes');
  const data = 'data' in decoded.message ? (decoded.message.data as { channelUpdate?: Uint8Array }) : {};
  if (data.channelUpdate === undefined || data.channelUpdate.length === 0) return { failure: decoded.message, update: undefined, updateSignedByUs: false };
  const message = decodeMessage(data.channelUpdate);
  if (message.kind !== 'message' || message.message.type !== 258) throw new Error('the failure carries something else than a channel_update');
  const digest = sha256(sha256(channelUpdateSignedBytes(data.channelUpdate)));
  return { failure: decoded.message, update: message.message, updateSignedByUs: wasmSecp256k1.verify(message.message.signature, digest, node.getNodeId()) };
}
