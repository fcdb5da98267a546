/**
 * `shared/wire` (layer 2): Lightning messages as typed records with
 * field-table codecs (BOLT 1 connection messages, BOLT 2 channel
 * establishment and close), and feature bits (BOLT 9). Imports codec only.
 */
export { defineGossipMessage, defineMessage } from './message-codec.js';
export type { GossipMessageOf, MessageCodec, MessageOf, MessageSpec } from './message-codec.js';
export { MAX_MESSAGE_SIZE, chainHash, channelId, sha256, signature } from './wire-types.js';
export { initCodec, initFeatures } from './init.js';
export type { InitMessage } from './init.js';
export { errorCodec, printableData, warningCodec } from './error-and-warning.js';
export type { ErrorMessage, WarningMessage } from './error-and-warning.js';
export { NO_PONG_THRESHOLD, pingCodec, pongCodec, pongFor } from './ping-pong.js';
export type { PingMessage, PongMessage } from './ping-pong.js';
export { ANNOUNCE_CHANNEL_FLAG, openChannelCodec } from './open-channel.js';
export type { OpenChannelMessage } from './open-channel.js';
export { acceptChannelCodec } from './accept-channel.js';
export type { AcceptChannelMessage } from './accept-channel.js';
export { fundingCreatedCodec } from './funding-created.js';
export type { FundingCreatedMessage } from './funding-created.js';
export { fundingSignedCodec } from './funding-signed.js';
export type { FundingSignedMessage } from './funding-signed.js';
export { channelReadyCodec } from './channel-ready.js';
export type { ChannelReadyMessage } from './channel-ready.js';
export { channelReestablishCodec } from './channel-reestablish.js';
export type { ChannelReestablishMessage, ReestablishFunding } from './channel-reestablish.js';
export { shutdownCodec } from './shutdown.js';
export type { ShutdownMessage } from './shutdown.js';
export { closingSignedCodec } from './closing-signed.js';
export type { ClosingFeeRange, ClosingSignedMessage } from './closing-signed.js';
export { ONION_ROUTING_PACKET_BYTES, updateAddHtlcCodec } from './update-add-htlc.js';
export type { UpdateAddHtlcMessage } from './update-add-htlc.js';
export { updateFulfillHtlcCodec } from './update-fulfill-htlc.js';
export type { UpdateFulfillHtlcMessage } from './update-fulfill-htlc.js';
export { updateFailHtlcCodec, updateFailMalformedHtlcCodec } from './update-fail-htlc.js';
export type { UpdateFailHtlcMessage, UpdateFailMalformedHtlcMessage } from './update-fail-htlc.js';
export { commitmentSignedCodec } from './commitment-signed.js';
export type { CommitmentSignedMessage } from './commitment-signed.js';
export { revokeAndAckCodec } from './revoke-and-ack.js';
export type { RevokeAndAckMessage } from './revoke-and-ack.js';
export { updateFeeCodec } from './update-fee.js';
export { channelUpdateCodec, channelUpdateSignedBytes } from './channel-update.js';
export type { ChannelUpdateMessage } from './channel-update.js';
export type { UpdateFeeMessage } from './update-fee.js';
export { MESSAGE_TYPE, decodeMessage, encodeMessage, isKnownMessageType } from './wire-message.js';
export type { MessageDecodeResult, WireMessage } from './wire-message.js';
export {
  KNOWN_FEATURES,
  OUR_INIT_FEATURES,
  OUR_INIT_FEATURE_BITS,
  checkPeerFeatures,
  featureBit,
  featureBitsOf,
  featuresCompatible,
  featuresFromBits,
  hasFeatureBit,
  isFeatureRequired,
  isFeatureSupported,
  minimalFeatures,
  missingDependencies,
  orFeatures,
  setFeatureBits,
  unsupportedRequiredBits,
} from './features.js';
export type { FeatureName, KnownFeature, MissingDependency, PeerFeatureCheck } from './features.js';
export { decodeAddressDescriptor, encodeAddressDescriptor } from './address-descriptor.js';
export type { AddressDescriptor } from './address-descriptor.js';
