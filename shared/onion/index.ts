/**
 * `shared/onion` (layer 3, BOLT 4): Sphinx onion packets for payments, the
 * hop `payload` TLV stream, and failure messages returned through the route.
 * Pure: secp256k1 comes in as a {@link Secp256k1} backend.
 */
export type { Secp256k1 } from '../crypto/index.js';
export { OnionError, OnionErrorCode, PeelFailureReason, type PeelFailure } from './errors.js';
export {
  KEY_TYPES,
  blindingFactor,
  deriveHopKeys,
  generateKey,
  onionSharedSecrets,
  pseudoRandomStream,
  xorStream,
  type HopKeys,
  type KeyType,
} from './keys.js';
export {
  HMAC_LENGTH,
  HOP_PAYLOADS_LENGTH,
  ONION_PACKET_LENGTH,
  ONION_VERSION,
  createOnion,
  peelOnion,
  wrapOnion,
  type WrappedHop,
  type NodeEcdh,
  type OnionHop,
  type PeeledOnion,
  type PeelResult,
} from './packet.js';
export {
  KEYSEND_TLV_TYPE,
  PAYLOAD_TLVS,
  decodeHopPayload,
  encodeHopPayload,
  payloadTlvStream,
  type FinalPayload,
  type ForwardPayload,
  type HopPayload,
  type HopPayloadError,
  type HopPayloadResult,
  type PaymentData,
  type PayloadTlvs,
} from './hop-payload.js';
export {
  FAILURE_CODES,
  FAILURE_MESSAGES,
  FailureFlag,
  decodeFailureMessage,
  encodeFailureMessage,
  failureMessage,
  failureName,
  hasFlag,
  type FailureMessage,
  type FailureName,
  type FailureTlvs,
  type KnownFailureMessage,
  type UnknownFailureMessage,
} from './failure-codes.js';
export {
  DEFAULT_FAILURE_LENGTH,
  FAILURE_DECRYPTION_ROUNDS,
  createFailurePacket,
  decodeFailure,
  failurePacketPlaintext,
  wrapFailurePacket,
  type DecodedFailure,
} from './failure.js';
