/**
 * The `update_fulfill_htlc` message (BOLT 2, "Normal Operation", "Removing
 * an HTLC: `update_fulfill_htlc`, `update_fail_htlc`, and
 * `update_fail_malformed_htlc`"), type 130.
 */
import { fixedBytes, u64 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/** `update_fulfill_htlc`: the receiver of HTLC `id` settles it with the preimage of its payment hash. */
export interface UpdateFulfillHtlcMessage {
  readonly type: 130;
  readonly channelId: Uint8Array;
  readonly id: bigint;
  /** 32 bytes whose SHA-256 is the HTLC's payment hash (checked by the channel). */
  readonly paymentPreimage: Uint8Array;
  /** Unknown odd records (e.g. `attribution_data`), kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `update_fulfill_htlc`, declared as its BOLT 2 field table. */
export const updateFulfillHtlcCodec: MessageCodec<UpdateFulfillHtlcMessage> = defineMessage({
  type: 130,
  name: 'update_fulfill_htlc',
  fields: [
    ['channelId', channelId],
    ['id', u64],
    ['paymentPreimage', fixedBytes(32)],
  ],
  tlvs: {},
});
