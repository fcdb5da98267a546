/**
 * The `channel_ready` message (BOLT 2, "Channel Establishment v1", "The
 * `channel_ready` Message"), type 36; it used to be called `funding_locked`.
 */
import { point, shortChannelId, tlvRecord } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/**
 * `channel_ready`: the funding transaction is deep enough for the sender;
 * once both sides sent it the channel is in normal operation.
 */
export interface ChannelReadyMessage {
  readonly type: 36;
  readonly channelId: Uint8Array;
  /** The per-commitment point of commitment number 1. */
  readonly secondPerCommitmentPoint: Uint8Array;
  /**
   * TLV 1 `short_channel_id`, whose one field is `alias`: a short channel id
   * alias (BOLT 7 layout, a u64) the receiver may route to this channel by.
   * It is not the channel's real short channel id.
   */
  readonly shortChannelId?: bigint;
  /** Unknown odd TLV records of `channel_ready_tlvs`, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `channel_ready`, declared as its BOLT 2 field table. */
export const channelReadyCodec: MessageCodec<ChannelReadyMessage> = defineMessage({
  type: 36,
  name: 'channel_ready',
  fields: [
    ['channelId', channelId],
    ['secondPerCommitmentPoint', point],
  ],
  tlvs: {
    shortChannelId: tlvRecord(1, shortChannelId),
  },
});
