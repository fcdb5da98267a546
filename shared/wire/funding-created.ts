/**
 * The `funding_created` message (BOLT 2, "Channel Establishment v1", "The
 * `funding_created` Message"), type 34.
 */
import { u16 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, sha256, signature } from './wire-types.js';

/**
 * `funding_created`: the funder names the funding outpoint and signs the
 * fundee's first commitment transaction.
 */
export interface FundingCreatedMessage {
  readonly type: 34;
  readonly temporaryChannelId: Uint8Array;
  /**
   * The funding transaction id, 32 bytes in the order they are sent, which is
   * Bitcoin's internal order (the reverse of the usual hex display).
   */
  readonly fundingTxid: Uint8Array;
  /** The funding output's index in that transaction (u16). */
  readonly fundingOutputIndex: number;
  /** 64-byte compact signature by the funder's `funding_pubkey`. */
  readonly signature: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `funding_created`, declared as its BOLT 2 field table. */
export const fundingCreatedCodec: MessageCodec<FundingCreatedMessage> = defineMessage({
  type: 34,
  name: 'funding_created',
  fields: [
    ['temporaryChannelId', channelId],
    ['fundingTxid', sha256],
    ['fundingOutputIndex', u16],
    ['signature', signature],
  ],
  tlvs: {},
});
