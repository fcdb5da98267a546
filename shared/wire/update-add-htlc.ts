/**
 * The `update_add_htlc` message (BOLT 2, "Normal Operation", "Adding an
 * HTLC: `update_add_htlc`"), type 128.
 */
import { fixedBytes, point, tlvRecord, u32, u64 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, sha256 } from './wire-types.js';

/** BOLT 4: an `onion_routing_packet` is exactly 1,366 bytes. */
export const ONION_ROUTING_PACKET_BYTES = 1366;

/**
 * `update_add_htlc`: the sender offers an HTLC of `amountMsat` locked to
 * `paymentHash` until `cltvExpiry`, with the onion for the next hop. The
 * receiver's checks (amount, count, in-flight value, reserve, id order,
 * expiry) belong to the channel layer.
 */
export interface UpdateAddHtlcMessage {
  readonly type: 128;
  readonly channelId: Uint8Array;
  /** The HTLC's id: 0 for the sender's first, then one more for each. */
  readonly id: bigint;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  /** Absolute block height (BOLT 2: MUST be below 500,000000; checked by the channel). */
  readonly cltvExpiry: number;
  /** The 1,366-byte onion routing packet (BOLT 4). */
  readonly onionRoutingPacket: Uint8Array;
  /** TLV 0 `blinded_path`'s `path_key` (route blinding, BOLT 4). */
  readonly blindingPoint?: Uint8Array;
  /** Unknown odd records of `update_add_htlc_tlvs`, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `update_add_htlc`, declared as its BOLT 2 field table. */
export const updateAddHtlcCodec: MessageCodec<UpdateAddHtlcMessage> = defineMessage({
  type: 128,
  name: 'update_add_htlc',
  fields: [
    ['channelId', channelId],
    ['id', u64],
    ['amountMsat', u64],
    ['paymentHash', sha256],
    ['cltvExpiry', u32],
    ['onionRoutingPacket', fixedBytes(ONION_ROUTING_PACKET_BYTES)],
  ],
  tlvs: {
    blindingPoint: tlvRecord(0, point),
  },
});
