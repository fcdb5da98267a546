/**
 * The `announcement_signatures` message (BOLT 7, "The
 * `announcement_signatures` Message"), type 259: sent directly to the
 * channel peer once the funding is deep enough, it carries our two halves
 * of the `channel_announcement`'s signatures (node key and funding key).
 */
import { shortChannelId } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { channelId, defineMessage, signature } from '../wire/index.js';
import type { MessageCodec } from '../wire/index.js';

/** `announcement_signatures`: our signatures of the channel's `channel_announcement`. */
export interface AnnouncementSignaturesMessage {
  readonly type: 259;
  readonly channelId: Uint8Array;
  readonly shortChannelId: bigint;
  /** By the sender's node key, over the announcement's digest. */
  readonly nodeSignature: Uint8Array;
  /** By the sender's funding key (its `bitcoin_key`), over the same digest. */
  readonly bitcoinSignature: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `announcement_signatures`, declared as its BOLT 7 field table. */
export const announcementSignaturesCodec: MessageCodec<AnnouncementSignaturesMessage> = defineMessage({
  type: 259,
  name: 'announcement_signatures',
  fields: [
    ['channelId', channelId],
    ['shortChannelId', shortChannelId],
    ['nodeSignature', signature],
    ['bitcoinSignature', signature],
  ],
  tlvs: {},
});
