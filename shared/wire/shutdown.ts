/**
 * The `shutdown` message (BOLT 2, "Channel Close", "Closing Initiation:
 * `shutdown`"), type 38.
 */
import { u16PrefixedBytes } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/**
 * `shutdown`: the sender starts closing `channelId` and names the script it
 * wants to be paid to. The script's form (P2WPKH, P2WSH, any segwit, OP_RETURN
 * depending on features) is checked by the channel layer, not here.
 */
export interface ShutdownMessage {
  readonly type: 38;
  readonly channelId: Uint8Array;
  /** The output script; its `len` prefix is implicit. */
  readonly scriptpubkey: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `shutdown`, declared as its BOLT 2 field table. */
export const shutdownCodec: MessageCodec<ShutdownMessage> = defineMessage({
  type: 38,
  name: 'shutdown',
  fields: [
    ['channelId', channelId],
    ['scriptpubkey', u16PrefixedBytes],
  ],
  tlvs: {},
});
