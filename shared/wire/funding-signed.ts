/**
 * The `funding_signed` message (BOLT 2, "Channel Establishment v1", "The
 * `funding_signed` Message"), type 35.
 */
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, signature } from './wire-types.js';

/**
 * `funding_signed`: the fundee signs the funder's first commitment
 * transaction; from here on the channel is named by its `channel_id`
 * (funding txid XOR output index, BOLT 2 "Definition of `channel_id`").
 */
export interface FundingSignedMessage {
  readonly type: 35;
  readonly channelId: Uint8Array;
  /** 64-byte compact signature by the fundee's `funding_pubkey`. */
  readonly signature: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `funding_signed`, declared as its BOLT 2 field table. */
export const fundingSignedCodec: MessageCodec<FundingSignedMessage> = defineMessage({
  type: 35,
  name: 'funding_signed',
  fields: [
    ['channelId', channelId],
    ['signature', signature],
  ],
  tlvs: {},
});
