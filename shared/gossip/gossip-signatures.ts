/**
 * Signatures of gossip (BOLT 7): each signed message is signed over the
 * double-SHA256 of its bytes after the signature field(s), excess data
 * included. `channel_announcement` carries four (both node keys, both
 * funding keys), `node_announcement` one by its node, `channel_update` one
 * by the node the update's `direction` names. Also our own messages, built
 * from our keys (the node key through `NodeSigner.signGossipMessage`, the
 * funding key through `ChannelSigner.signWithFundingKey`).
 */
import { compareBytes, equalBytes } from '../codec/index.js';
import { sha256, type Secp256k1 } from '../crypto/index.js';
import type { ChannelSigner, NodeSigner } from '../keys/index.js';
import { channelUpdateSignedBytes, encodeMessage } from '../wire/index.js';
import type { AddressDescriptor, ChannelUpdateMessage } from '../wire/index.js';
import type { AnnouncementSignaturesMessage } from './announcement-signatures.js';
import { CHANNEL_ANNOUNCEMENT_SIGNATURES_BYTES, channelAnnouncementCodec } from './channel-announcement.js';
import type { ChannelAnnouncementMessage, UnsignedChannelAnnouncement } from './channel-announcement.js';
import { nodeAnnouncementCodec } from './node-announcement.js';
import type { NodeAnnouncementMessage, UnsignedNodeAnnouncement } from './node-announcement.js';

/** The node-key operations our gossip needs (a remote signer may provide only these). */
export type GossipSigner = Pick<NodeSigner, 'getNodeId' | 'signGossipMessage'>;

/** A `channel_update` before its signature. */
export type UnsignedChannelUpdate = Omit<ChannelUpdateMessage, 'signature'>;

const NO_SIGNATURE = new Uint8Array(64);

function doubleSha256(bytes: Uint8Array): Uint8Array {
  return sha256(sha256(bytes));
}

/** The digest the four signatures of a `channel_announcement` sign (BOLT 7: from `features` to the end). */
export function channelAnnouncementDigest(m: UnsignedChannelAnnouncement): Uint8Array {
  const payload = channelAnnouncementCodec.encode({
    ...m,
    nodeSignature1: NO_SIGNATURE,
    nodeSignature2: NO_SIGNATURE,
    bitcoinSignature1: NO_SIGNATURE,
    bitcoinSignature2: NO_SIGNATURE,
  });
  return doubleSha256(payload.subarray(CHANNEL_ANNOUNCEMENT_SIGNATURES_BYTES));
}

/** The digest a `node_announcement`'s signature signs (from `features` to the end). */
export function nodeAnnouncementDigest(m: UnsignedNodeAnnouncement): Uint8Array {
  return doubleSha256(nodeAnnouncementCodec.encode({ ...m, signature: NO_SIGNATURE }).subarray(64));
}

/** The digest a `channel_update`'s signature signs (from `chain_hash` to the end). */
export function channelUpdateDigest(m: UnsignedChannelUpdate): Uint8Array {
  return doubleSha256(channelUpdateSignedBytes(encodeMessage({ ...m, signature: NO_SIGNATURE })));
}

/** Which signature of a `channel_announcement` failed, in the order they are checked. */
export type ChannelAnnouncementSignature = 'node-signature-1' | 'node-signature-2' | 'bitcoin-signature-1' | 'bitcoin-signature-2';

/** The first of the four signatures that does not verify, or `null` when all do. */
export function verifyChannelAnnouncement(secp: Secp256k1, m: ChannelAnnouncementMessage): ChannelAnnouncementSignature | null {
  const digest = channelAnnouncementDigest(m);
  if (!secp.verify(m.nodeSignature1, digest, m.nodeId1)) return 'node-signature-1';
  if (!secp.verify(m.nodeSignature2, digest, m.nodeId2)) return 'node-signature-2';
  if (!secp.verify(m.bitcoinSignature1, digest, m.bitcoinKey1)) return 'bitcoin-signature-1';
  if (!secp.verify(m.bitcoinSignature2, digest, m.bitcoinKey2)) return 'bitcoin-signature-2';
  return null;
}

/** True when `node_id` signed this `node_announcement`. */
export function verifyNodeAnnouncement(secp: Secp256k1, m: NodeAnnouncementMessage): boolean {
  return secp.verify(m.signature, nodeAnnouncementDigest(m), m.nodeId);
}

/** True when `nodeId` (node_id_1 for direction 0, node_id_2 for 1) signed this `channel_update`. */
export function verifyChannelUpdate(secp: Secp256k1, m: ChannelUpdateMessage, nodeId: Uint8Array): boolean {
  return secp.verify(m.signature, channelUpdateDigest(m), nodeId);
}

/** Which half of a peer's `announcement_signatures` failed, or `null` when both verify. */
export function verifyAnnouncementSignatures(
  secp: Secp256k1,
  m: AnnouncementSignaturesMessage,
  announcement: UnsignedChannelAnnouncement,
  theirNodeId: Uint8Array,
  theirFundingPubkey: Uint8Array,
): 'node-signature' | 'bitcoin-signature' | null {
  const digest = channelAnnouncementDigest(announcement);
  if (!secp.verify(m.nodeSignature, digest, theirNodeId)) return 'node-signature';
  if (!secp.verify(m.bitcoinSignature, digest, theirFundingPubkey)) return 'bitcoin-signature';
  return null;
}

/** What our `channel_announcement` of one channel says. */
export interface OurChannelAnnouncement {
  readonly chainHash: Uint8Array;
  readonly shortChannelId: bigint;
  readonly ourNodeId: Uint8Array;
  readonly theirNodeId: Uint8Array;
  readonly ourFundingPubkey: Uint8Array;
  readonly theirFundingPubkey: Uint8Array;
  /** Channel features; none are defined, so empty by default. */
  readonly features?: Uint8Array;
}

/** True when we are `node_id_1` of a channel with `theirNodeId` (ours is the lesser node id). */
export function weAreNode1(ourNodeId: Uint8Array, theirNodeId: Uint8Array): boolean {
  return compareBytes(ourNodeId, theirNodeId) < 0;
}

/** The unsigned `channel_announcement` of our channel: node ids in order, each funding key with its node. */
export function unsignedChannelAnnouncement(p: OurChannelAnnouncement): UnsignedChannelAnnouncement {
  const first = weAreNode1(p.ourNodeId, p.theirNodeId);
  return {
    type: 256,
    features: p.features ?? new Uint8Array(0),
    chainHash: p.chainHash,
    shortChannelId: p.shortChannelId,
    nodeId1: first ? p.ourNodeId : p.theirNodeId,
    nodeId2: first ? p.theirNodeId : p.ourNodeId,
    bitcoinKey1: first ? p.ourFundingPubkey : p.theirFundingPubkey,
    bitcoinKey2: first ? p.theirFundingPubkey : p.ourFundingPubkey,
  };
}

/** Our `announcement_signatures` for `announcement`: signed with our node key and our funding key. */
export function announcementSignaturesFor(
  nodeSigner: Pick<NodeSigner, 'signGossipMessage'>,
  channelSigner: Pick<ChannelSigner, 'signWithFundingKey'>,
  channelId: Uint8Array,
  announcement: UnsignedChannelAnnouncement,
): AnnouncementSignaturesMessage {
  const digest = channelAnnouncementDigest(announcement);
  return {
    type: 259,
    channelId,
    shortChannelId: announcement.shortChannelId,
    nodeSignature: nodeSigner.signGossipMessage(digest),
    bitcoinSignature: channelSigner.signWithFundingKey(digest),
  };
}

/**
 * The full `channel_announcement` from both sides' `announcement_signatures`,
 * each pair placed by which node it comes from. The caller verifies theirs
 * first ({@link verifyAnnouncementSignatures}).
 */
export function channelAnnouncementFrom(
  announcement: UnsignedChannelAnnouncement,
  ourNodeId: Uint8Array,
  ours: AnnouncementSignaturesMessage,
  theirs: AnnouncementSignaturesMessage,
): ChannelAnnouncementMessage {
  const first = equalBytes(announcement.nodeId1, ourNodeId);
  const [one, two] = first ? [ours, theirs] : [theirs, ours];
  return {
    ...announcement,
    nodeSignature1: one.nodeSignature,
    nodeSignature2: two.nodeSignature,
    bitcoinSignature1: one.bitcoinSignature,
    bitcoinSignature2: two.bitcoinSignature,
  };
}

/** What our `node_announcement` says. */
export interface OurNodeAnnouncement {
  /** Strictly greater than our previous one's (BOLT 7). */
  readonly timestamp: number;
  readonly features: Uint8Array;
  readonly rgbColor: Uint8Array;
  /** Up to 32 bytes of UTF-8, padded with zeros. */
  readonly alias: string;
  readonly addresses: readonly AddressDescriptor[];
}

/** The alias field: UTF-8 padded with zeros to 32 bytes; `RangeError` above 32 bytes. */
export function aliasBytes(alias: string): Uint8Array {
  const utf8 = new TextEncoder().encode(alias);
  if (utf8.length > 32) throw new RangeError(`alias is ${utf8.length} bytes of UTF-8 (max 32)`);
  const out = new Uint8Array(32);
  out.set(utf8);
  return out;
}

/** Our `node_announcement`, signed with our node key. */
export function ourNodeAnnouncement(nodeSigner: GossipSigner, p: OurNodeAnnouncement): NodeAnnouncementMessage {
  const unsigned: UnsignedNodeAnnouncement = {
    type: 257,
    features: p.features,
    timestamp: p.timestamp,
    nodeId: nodeSigner.getNodeId(),
    rgbColor: p.rgbColor,
    alias: aliasBytes(p.alias),
    addresses: p.addresses,
  };
  return { ...unsigned, signature: nodeSigner.signGossipMessage(nodeAnnouncementDigest(unsigned)) };
}

/** `message_flags` bits of `channel_update`. */
export const MESSAGE_FLAG = { mustBeOne: 1, dontForward: 2 } as const;
/** `channel_flags` bits of `channel_update`. */
export const CHANNEL_FLAG = { direction: 1, disable: 2 } as const;

/** What our `channel_update` for one direction (ours, towards the peer) says. */
export interface OurChannelUpdate {
  readonly chainHash: Uint8Array;
  readonly shortChannelId: bigint;
  /** Strictly greater than our previous update's for this channel (BOLT 7). */
  readonly timestamp: number;
  readonly theirNodeId: Uint8Array;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly htlcMaximumMsat: bigint;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  /** The channel cannot forward now (peer offline, closing). */
  readonly disabled: boolean;
  /** A private channel: the update is for the peer only, not for the network. */
  readonly dontForward: boolean;
}

/** Our `channel_update`, its direction from the node ids and signed with our node key. */
export function ourChannelUpdate(nodeSigner: GossipSigner, p: OurChannelUpdate): ChannelUpdateMessage {
  const direction = weAreNode1(nodeSigner.getNodeId(), p.theirNodeId) ? 0 : CHANNEL_FLAG.direction;
  const unsigned: UnsignedChannelUpdate = {
    type: 258,
    chainHash: p.chainHash,
    shortChannelId: p.shortChannelId,
    timestamp: p.timestamp,
    messageFlags: MESSAGE_FLAG.mustBeOne | (p.dontForward ? MESSAGE_FLAG.dontForward : 0),
    channelFlags: direction | (p.disabled ? CHANNEL_FLAG.disable : 0),
    cltvExpiryDelta: p.cltvExpiryDelta,
    htlcMinimumMsat: p.htlcMinimumMsat,
    feeBaseMsat: p.feeBaseMsat,
    feeProportionalMillionths: p.feeProportionalMillionths,
    htlcMaximumMsat: p.htlcMaximumMsat,
  };
  return { ...unsigned, signature: nodeSigner.signGossipMessage(channelUpdateDigest(unsigned)) };
}

