/**
 * shared/channel (layer 4): one channel's BOLT 2 establishment state machine
 * for both roles, as data plus pure transitions returning effects
 * (docs/channel.md).
 */
export * from './config.js';
export * from './errors.js';
export type * from './effects.js';
export type { ChannelContext } from './channel-context.js';
export {
  ChannelState,
  currentChannelId,
  isOperating,
  type OperatingChannel,
  type AwaitingChannelReady,
  type AwaitingConfirmation,
  type AwaitingFundingSigned,
  type AwaitingFundingTx,
  type Channel,
  type ForwardingPolicy,
  type AnnouncementSignaturePair,
  type ChannelBase,
  type ChannelClosure,
  type ChannelParameters,
  type ClosedChannel,
  type ClosingProposal,
  type NegotiatingCloseChannel,
  type ShutdownInfo,
  type ShutdownSentChannel,
  type CounterpartyChannelReady,
  type CounterpartyParameters,
  type FundingConfirmation,
  type FundingInfo,
  type InboundAwaitingFundingCreated,
  type OutboundAwaitingAccept,
  type ReadyChannel,
} from './channel-state.js';
export {
  ANCHORS_ZERO_FEE_HTLC_TX_BIT,
  CHANNEL_TYPE_RECORD_TLV,
  SCID_ALIAS_BIT,
  STATIC_REMOTEKEY_BIT,
  ZEROCONF_BIT,
  channelTypeBytes,
  channelTypeRecordCodec,
  commitmentFormat,
  decodeChannelTypeRecord,
  encodeChannelTypeRecord,
  parseChannelType,
  proposedChannelType,
  sameChannelType,
  type NegotiatedChannelType,
} from './channel-type.js';
export { channelIdFromOutpoint, shortChannelIdOf, shortChannelIdParts } from './channel-id.js';
export { channelClosedEvent, closeChannel, errorMessage } from './channel-close.js';
export {
  FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS,
  closeChannelCooperatively,
  closingBalancesMsat,
  closingNegotiationReady,
  handleClosingSigned,
  handleShutdown,
  maybeProposeClosingSigned,
  ourFeeRange,
  scriptDustLimitSat,
} from './cooperative-close.js';
export {
  createChannel,
  fundingTransactionGenerated,
  handleAcceptChannel,
  handleErrorMessage,
  handleFundingCreated,
  handleFundingSigned,
  handleOpenChannel,
  type CreateChannelRequest,
  type InboundOpenResult,
  type PeerInfo,
} from './establishment.js';
export {
  bestBlockUpdated,
  checkFundingOutput,
  fundingDepth,
  fundingConfirmed,
  fundingSeenIn,
  fundingTransactionConfirmed,
  type FundingSeen,
  fundingTransactionUnconfirmed,
  handleChannelReady,
  ourChannelReady,
  shortChannelIdOfChannel,
} from './funding-confirmation.js';
export { handleChannelReestablish, isFundedChannel, ourChannelReestablish, type FundedChannel } from './channel-reestablish.js';
export {
  CHANNEL_MESSAGE_ROWS,
  channelMessageRow,
  handleChannelMessage,
  phaseVerdict,
  wrongPhaseWarning,
  type ChannelLevelMessage,
  type ChannelMessageRow,
  type NormalOperationMessage,
  type PhaseVerdict,
  type WrongPhase,
} from './channel-messages.js';
export { holderCommitmentTransaction, initialCommitment } from './initial-commitment.js';
export { latestHolderCommitmentCodec, signedLatestHolderCommitment, type LatestHolderCommitment } from './latest-holder-commitment.js';
export {
  buildCommitment,
  commitmentStateCodec,
  commitmentCountersCodec,
  counterpartyRevocationsCodec,
  commitmentStateOf,
  commitmentView,
  counterpartyBalanceMsat,
  includedIn,
  initialCommitmentState,
  type BuiltCommitment,
  type CommitmentOwner,
  type CommitmentState,
  type CommitmentView,
} from './commitment-state.js';
export {
  BADONION,
  MAX_CLTV_EXPIRY,
  failHtlc,
  failMalformedHtlc,
  fulfillHtlc,
  handleUpdateAddHtlc,
  handleUpdateFailHtlc,
  handleUpdateFailMalformedHtlc,
  handleUpdateFulfillHtlc,
  offerHtlc,
  withdrawHeldHtlcs,
  type HtlcCallResult,
  type OfferHtlcRequest,
} from './htlc-updates.js';
export { NO_KEPT_UPDATES, handleCommitmentSigned, handleRevokeAndAck, needsCommitment, resendCommitmentSigned, sendCommitmentSigned, type KeptUpdates } from './commitment-dance.js';
export { encodeChannel, decodeChannel, encodeChannelParts, joinChannelParts, canonicalChannel, type ChannelRecordParts } from './channel-record.js';
export { FeeUpdateState, commitmentFeerate, feeUpdateIncludedIn, pendingFeeUpdateCodec, type PendingFeeUpdate } from './fee-update.js';
export { FEE_SPIKE_BUFFER_HTLCS, UPDATE_FEE_CEILING_FLOOR_PER_KW, canAffordFeeUpdate, checkUpdateFeerate, handleUpdateFee, sendUpdateFee } from './fee-updates.js';
export {
  HTLC_RECORD_BYTES,
  InboundHtlcState,
  MAX_HTLCS_PER_DIRECTION,
  OutboundHtlcState,
  htlcCodec,
  htlcListCodec,
  compactHtlcCodec,
  compactHtlcListCodec,
  type HtlcDirection,
  type HtlcRecord,
  type HtlcResolution,
} from './htlc.js';
export {
  ONION_PACKET_BYTES,
  decodeFailureReason,
  decodeHtlcSignatures,
  decodeOnionEntry,
  encodeFailureReason,
  encodeHtlcSignatures,
  encodeOnionRecord,
  encodePeeledOnionRecord,
  type HtlcSignatureSet,
  type OnionEntry,
  type PeeledOnionRecord,
} from './htlc-side-records.js';
export {
  DUST_EXPOSURE_FEERATE_MULTIPLIER,
  dustBufferFeerate,
  dustExposureLimitingFeerate,
  feerateDustExposureBreach,
  maxDustHtlcExposureMsat,
  pendingHtlcStats,
  perHtlcCounterpartyCommitFeeMsat,
  type DustExposureBreach,
  type HtlcStats,
} from './dust-exposure.js';
export { AdmissionRefusal, PERMANENT_CHANNEL_FAILURE, TEMPORARY_CHANNEL_FAILURE, checkIncomingHtlcAdmission, nextCounterpartyCommitFeeMsat, type Refused } from './htlc-admission.js';
export { anysegwitNegotiated, checkCounterpartyShutdownScript, isValidShutdownScript, ourUpfrontShutdownScript } from './shutdown-script.js';
export { FEE_SPIKE_BUFFER_MULTIPLE, channelBalancesOf, nextHtlcLimitMsat, type ChannelBalances, type PendingHtlc } from './channel-balances.js';
