/**
 * The `channel_announcement` message (BOLT 7, "The `channel_announcement`
 * Message"), type 256: proof that two nodes own a channel funded on chain,
 * signed by both node keys and both funding keys.
 */
import { point, shortChannelId, u16PrefixedBytes } from '../codec/index.js';
import { chainHash, defineGossipMessage, signature } from '../wire/index.js';
import type { MessageCodec } from '../wire/index.js';

/** `channel_announcement`. `node_id_1` is the lesser of the two node ids; `bitcoin_key_1` is its funding key. */
export interface ChannelAnnouncementMessage {
  readonly type: 256;
  readonly nodeSignature1: Uint8Array;
  readonly nodeSignature2: Uint8Array;
  readonly bitcoinSignature1: Uint8Array;
  readonly bitcoinSignature2: Uint8Array;
  /** Channel feature bits (BOLT 9, context C- none defined yet), big-endian as sent. */
  readonly features: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly shortChannelId: bigint;
  readonly nodeId1: Uint8Array;
  readonly nodeId2: Uint8Array;
  readonly bitcoinKey1: Uint8Array;
  readonly bitcoinKey2: Uint8Array;
  /** Bytes after the known fields, kept verbatim: the signatures cover them. */
  readonly excessData?: Uint8Array;
}

/** The four signatures' fields: everything after them is what they sign. */
export type ChannelAnnouncementSignatures = 'nodeSignature1' | 'nodeSignature2' | 'bitcoinSignature1' | 'bitcoinSignature2';

/** A `channel_announcement` before its signatures. */
export type UnsignedChannelAnnouncement = Omit<ChannelAnnouncementMessage, ChannelAnnouncementSignatures>;

/** Codec of `channel_announcement`, declared as its BOLT 7 field table. */
export const channelAnnouncementCodec: MessageCodec<ChannelAnnouncementMessage> = defineGossipMessage({
  type: 256,
  name: 'channel_announcement',
  fields: [
    ['nodeSignature1', signature],
    ['nodeSignature2', signature],
    ['bitcoinSignature1', signature],
    ['bitcoinSignature2', signature],
    ['features', u16PrefixedBytes],
    ['chainHash', chainHash],
    ['shortChannelId', shortChannelId],
    ['nodeId1', point],
    ['nodeId2', point],
    ['bitcoinKey1', point],
    ['bitcoinKey2', point],
  ],
});

/** Bytes of the four signatures at the start of the payload. */
export const CHANNEL_ANNOUNCEMENT_SIGNATURES_BYTES = 4 * 64;
