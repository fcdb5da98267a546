/**
 * shared/manager (layer 6): the node's core. The connection-level protocol
 * of BOLT 1 (peer-manager) and the ChannelManager over the channel machines
 * of shared/channel (docs/manager.md).
 */
export { CHANNEL_MESSAGE_TYPES, encodePeerMessage, peerConnected, peerDisconnected, peerMessage, ourInit, soleChannelMessage, type NodeConfig, type PeerEffect, type PeerStep } from './peer-manager.js';
export { encodePeerState, decodePeerState, type PeerState } from './peer-state.js';
export {
  ChannelManager,
  changesWith,
  type ChannelMessage,
  type CreateManagerOptions,
  type FollowUp,
  type LoadManagerOptions,
  type LoadPlan,
  type BurstPlan,
  BURST_MESSAGE_TYPES,
  type ManagerChanges,
  type ManagerInput,
  type InboundChannelRequestDetails,
  type ManagerPorts,
  type MonitorWrite,
  type OutboundMessage,
  type GossipHandler,
  type GraphGossipMessage,
  type PeerWireMessage,
} from './channel-manager.js';
export {
  ANNOUNCEMENT_DEPTH,
  MAX_NODE_ANNOUNCEMENT_ADDRESSES,
  checkNodeAnnouncementSettings,
  type NodeAnnouncementSettings,
} from './channel-announcements.js';
export {
  FULL_SYNC_LOOKBACK_SEC,
  FULL_SYNC_PEERS,
  FULL_SYNC_WINDOW_SEC,
  OPEN_TIMESTAMP_RANGE,
  RECENT_LOOKBACK_SEC,
  ourGossipTimestampFilter,
  type GossipSyncSettings,
} from './gossip-sync.js';
export { channelDetailsOf, type ChannelDetails } from './channel-details.js';
export {
  channelItemKeys,
  channelKey,
  channelPartKey,
  decodeChannelEntry,
  decodeStoredChannels,
  encodeChannelEntry,
  encodeChannelEntryParts,
  parseChannelPartKey,
  partsNamedBy,
  withFlags,
  type ChannelEntryParts,
  type ChannelPartName,
  type ChannelEntry,
  type ChannelFlags,
  type ChannelItem,
  type ChannelKey,
  type HeldEffects,
  type OpenChannelRequestItem,
} from './channel-entry.js';
export { MESSAGE_ROUTES, routeOf, type ChannelRoute, type MessageRoute, type PeerRoute, type UnsupportedRoute } from './message-routes.js';
export {
  DEFAULT_MANAGER_CONFIG,
  DEFAULT_NODE_CHANNEL_SETTINGS,
  DEFAULT_FORWARDING_CONFIG,
  MIN_CLTV_EXPIRY_DELTA,
  forwardingConfigOf,
  InboundChannelPolicy,
  MAX_UNFUNDED_OUTBOUND_CHANNELS,
  MAX_UNFUNDED_CHANNELS_PER_PEER,
  MAX_UNFUNDED_INBOUND_CHANNELS,
  REORG_SAFE_DEPTH,
  UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS,
  initFeaturesFor,
  managerConfigWith,
  sameManagerConfig,
  type ChannelForwarding,
  type ForwardingConfig,
  type HandshakeOverride,
  type ManagerConfig,
  type NodeChannelSettings,
} from './manager-config.js';
export { ourChannelUpdate } from './our-channel-update.js';
export { PREVIOUS_POLICY_GRACE_SECS } from './channel-forwarding.js';
export { encodeForwardLink, decodeForwardLink, encodeForwardMark, decodeForwardMark, type ForwardLink, type ForwardMark } from './forward-link.js';
export { OFFERED_ON_CHAIN_TTL_SECS, decodeOfferedIds, encodeOfferedIds, offeredOnChainKey } from './forward-onchain.js';
export { PERMANENT_CHANNEL_FAILURE } from './forward-results.js';
export { ApiErrorCode, ManagerError, ManagerErrorCode, type ApiError, type ApiResult } from './manager-errors.js';
export { decodeEventItem, decodeEventRecord, encodeEventItem, encodeEventRecord, eventItemOf, type EventRecord, type ManagerEvent, type OpenChannelRequest, type UnsupportedMessage } from './manager-event.js';
export { decodeManagerHeader, encodeManagerHeader, type BestBlock, type ConfirmingEntry, type ManagerHeader, type UnfundedEntry } from './manager-header.js';
export {
  IndexPrefix,
  confirmingKey,
  decodeChannelRef,
  decodeConfirmingIndex,
  encodeChannelRef,
  encodeConfirmingIndex,
  decodeFunderEntry,
  encodeFunderEntry,
  anchorKey,
  funderKey,
  indexEntriesOf,
  mppKey,
  outpointKey,
  parseMppKey,
  scidKey,
  type ChannelRef,
  type FunderEntry,
  type IndexKey,
} from './channel-indexes.js';
export { FEE_UPDATES_PER_TICK, MPP_TIMEOUTS_PER_TICK, commitmentFeerateTarget, shouldUpdateFee, type TimerTickReport } from './timer-tick.js';
export { DISABLE_AFTER_TICKS, DISABLES_PER_TICK, OFFLINE_PEERS_PER_TICK } from './channel-update-status.js';
export { RecordKeys, type RecordKey } from './payment-records.js';
export { decodeFollowUp, encodeFollowUp, followUpFor, htlcResolvedOnChain, type ChainEvent, type FollowUpWork, type OnChainOfferedHtlc } from './follow-up.js';
export {
  CLTV_CLAIM_BUFFER,
  CLTV_FAR_FAR_AWAY,
  HTLC_FAIL_BACK_BUFFER,
  LATENCY_GRACE_PERIOD_BLOCKS,
  MAX_BLOCKS_FOR_CONF,
  MIN_FINAL_CLTV_EXPIRY_DELTA,
} from './final-cltv.js';
export {
  InboundPaymentError,
  InboundPaymentErrorCode,
  MAX_INBOUND_EXPIRY_SECS,
  MAX_VALUE_MSAT,
  createInboundPayment,
  createInboundPaymentForHash,
  expandInboundPaymentKey,
  inboundPaymentPreimage,
  verifyInboundPayment,
  type ExpandedKey,
  type InboundPayment,
  type InboundPaymentCheck,
  type InboundPaymentParams,
  type InboundPaymentRefusal,
} from './inbound-payment.js';
export {
  checkReceivedHtlc,
  unknownPaymentDetails,
  type ClaimablePart,
  type ReceiveCheck,
  type ReceiveInput,
  type ReceivePurpose,
  type ReceiveRefusal,
  type ReceivedHtlc,
} from './receive-checks.js';
export {
  MPP_TIMEOUT_TICKS,
  addPart,
  decodeClaimablePayment,
  encodeClaimablePayment,
  failAllParts,
  markClaiming,
  receivedMsat,
  timerTick,
  type AddPartResult,
  type ClaimablePayment,
  type ClaimableState,
  type FailBack,
  type PartRefusal,
  type ReceivedPart,
  type TimerTickResult,
} from './claimable-payments.js';
export {
  DEFAULT_MAX_PATH_COUNT,
  DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA,
  MAX_ROUTE_HOPS,
  RouteErrorCode,
  type FirstHop,
  type PaymentRoutesResult,
  type Route,
  type RouteError,
  type RouteHop,
  type RouteRequest,
  type RouteResult,
} from '../routing/index.js';
export {
  OutboundOnionErrorCode,
  attemptSharedSecrets,
  buildOutboundOnion,
  routePayloads,
  type OutboundOnion,
  type OutboundOnionResult,
  type RecipientFields,
} from './outbound-onion.js';
export {
  MAX_PARTS_IN_FLIGHT,
  PAYMENT_MEMORY_SECS,
  PaymentErrorCode,
  PaymentFailureReason,
  abandonPayment,
  attemptFailed,
  attemptFulfilled,
  attemptStarted,
  attributeFailure,
  htlcAdded,
  isForgettable,
  mayUseParts,
  partOf,
  partOnChainOf,
  remainingMsat,
  retryStarted,
  routeNotFound,
  startPayment,
  type AttributedFailure,
  type FailedPayment,
  type FulfilledPayment,
  type HtlcFailure,
  type OutboundPayment,
  type PathFailure,
  type PaymentAttempt,
  type PaymentError,
  type PaymentEvent,
  type PaymentFailed,
  type PaymentParams,
  type PaymentPathFailed,
  type PaymentResult,
  type PaymentSent,
  type PaymentStep,
  type PendingPayment,
  type Retry,
} from './outbound-payment.js';
export { decodeOutboundPayment, encodeOutboundPayment } from './outbound-payment-record.js';
export type { SendPaymentRequest } from './outbound-calls.js';
export type { ForceClosed } from './force-close.js';
