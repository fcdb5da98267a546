/**
 * `shared/gossip` (layer 4): BOLT 7 messages as typed records with codecs
 * (`channel_update` is shared/wire's), their signatures (checks, and our
 * own messages signed with our keys), and the receiving rules as pure
 * checks with typed reasons. No I/O: the graph store and the chain look-up
 * of announced funding outputs are the caller's (docs/gossip.md).
 */
export { announcementSignaturesCodec } from './announcement-signatures.js';
export type { AnnouncementSignaturesMessage } from './announcement-signatures.js';
export { CHANNEL_ANNOUNCEMENT_SIGNATURES_BYTES, channelAnnouncementCodec } from './channel-announcement.js';
export type { ChannelAnnouncementMessage, ChannelAnnouncementSignatures, UnsignedChannelAnnouncement } from './channel-announcement.js';
export { addressList, nodeAnnouncementCodec } from './node-announcement.js';
export type { NodeAnnouncementMessage, UnsignedNodeAnnouncement } from './node-announcement.js';
export { channelUpdateCodec } from '../wire/index.js';
export type { ChannelUpdateMessage } from '../wire/index.js';
export {
  ENCODING_TYPE,
  QUERY_FLAG,
  QUERY_OPTION,
  encodedArray,
  encodedShortIds,
  gossipTimestampFilterCodec,
  lengthPrefixed,
  queryChannelRangeCodec,
  queryShortChannelIdsCodec,
  replyChannelRangeCodec,
  replyShortChannelIdsEndCodec,
} from './gossip-queries.js';
export type {
  ChannelUpdateChecksums,
  ChannelUpdateTimestamps,
  EncodedArray,
  GossipTimestampFilterMessage,
  QueryChannelRangeMessage,
  QueryShortChannelIdsMessage,
  ReplyChannelRangeMessage,
  ReplyShortChannelIdsEndMessage,
} from './gossip-queries.js';
export { GOSSIP_MESSAGE_TYPE, decodeGossipMessage, encodeGossipMessage, isGossipMessageType } from './gossip-message.js';
export type { GossipDecodeResult, GossipMessage } from './gossip-message.js';
export {
  CHANNEL_FLAG,
  MESSAGE_FLAG,
  aliasBytes,
  announcementSignaturesFor,
  channelAnnouncementDigest,
  channelAnnouncementFrom,
  channelUpdateDigest,
  nodeAnnouncementDigest,
  ourChannelUpdate,
  ourNodeAnnouncement,
  unsignedChannelAnnouncement,
  verifyAnnouncementSignatures,
  verifyChannelAnnouncement,
  verifyChannelUpdate,
  verifyNodeAnnouncement,
  weAreNode1,
} from './gossip-signatures.js';
export type { ChannelAnnouncementSignature, GossipSigner, OurChannelAnnouncement, OurChannelUpdate, OurNodeAnnouncement, UnsignedChannelUpdate } from './gossip-signatures.js';
export {
  GOSSIP_REJECT_REASONS,
  MAX_FUTURE_TIMESTAMP_SEC,
  blockHeightOf,
  checkAnnouncementSignatures,
  checkChannelAnnouncement,
  checkChannelUpdate,
  checkFundingOutput,
  checkGossipTimestampFilter,
  checkNodeAnnouncement,
  checkQueryChannelRange,
  checkQueryShortChannelIds,
  checkReplyChannelRange,
} from './gossip-rules.js';
export type { AnnouncedChannel, FundingOutput, GossipAction, GossipRejectReason, GossipRejection, GossipVerdict } from './gossip-rules.js';
