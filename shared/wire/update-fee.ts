/**
 * The `update_fee` message (BOLT 2, "Normal Operation", "Updating Fees:
 * `update_fee`"), type 134.
 */
import { u32 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/** `update_fee`: the funder sets the commitment feerate (sat per 1000 weight) from the next commitment on. */
export interface UpdateFeeMessage {
  readonly type: 134;
  readonly channelId: Uint8Array;
  readonly feeratePerKw: number;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `update_fee`, declared as its BOLT 2 field table. */
export const updateFeeCodec: MessageCodec<UpdateFeeMessage> = defineMessage({
  type: 134,
  name: 'update_fee',
  fields: [
    ['channelId', channelId],
    ['feeratePerKw', u32],
  ],
  tlvs: {},
});
