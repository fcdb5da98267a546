/**
 * The `channel_update` message (BOLT 7, "The channel_update Message"), type
 * 258: one direction's forwarding policy for a channel. A node receives its
 * peer's for a private channel right after `channel_ready` (LDK sends it):
 * the fee and CLTV delta a payer's route hint must carry for the last hop
 * to us. The same codec serves gossip (shared/gossip: signatures and the
 * receiving rules of public channels).
 */
import { u16, u32, u64, u8 } from '../codec/index.js';
import { defineGossipMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { chainHash, signature } from './wire-types.js';

export interface ChannelUpdateMessage {
  readonly type: 258;
  /** The origin node's signature of the double-SHA256 of everything after it. */
  readonly signature: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly shortChannelId: bigint;
  readonly timestamp: number;
  /** Bit 0 `must_be_one` (htlc_maximum_msat present), bit 1 `dont_forward` (a private channel). */
  readonly messageFlags: number;
  /** Bit 0 `direction` (0: the update is from node_1, the lesser node id), bit 1 `disable`. */
  readonly channelFlags: number;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly htlcMaximumMsat: bigint;
  /**
   * Bytes after the known fields, kept exactly as received (absent when
   * none): BOLT 7 signs them too, so they are opaque here, not a TLV
   * stream that could refuse them or write them back differently.
   */
  readonly excessData?: Uint8Array;
}

/** Codec of `channel_update`, declared as its BOLT 7 field table. */
export const channelUpdateCodec: MessageCodec<ChannelUpdateMessage> = defineGossipMessage({
  type: 258,
  name: 'channel_update',
  fields: [
    ['signature', signature],
    ['chainHash', chainHash],
    ['shortChannelId', u64],
    ['timestamp', u32],
    ['messageFlags', u8],
    ['channelFlags', u8],
    ['cltvExpiryDelta', u16],
    ['htlcMinimumMsat', u64],
    ['feeBaseMsat', u32],
    ['feeProportionalMillionths', u32],
    ['htlcMaximumMsat', u64],
  ],
});

/** The bytes a `channel_update`'s signature covers: the message from `chain_hash` on (BOLT 7: signed over the double-SHA256 of them). */
export function channelUpdateSignedBytes(encodedMessage: Uint8Array): Uint8Array {
  // type (2) + signature (64)
  return encodedMessage.subarray(2 + 64);
}
