/**
 * The `update_fail_htlc` (type 131) and `update_fail_malformed_htlc` (type
 * 135) messages (BOLT 2, "Normal Operation", "Removing an HTLC").
 */
import { u16, u16PrefixedBytes, u64 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, sha256 } from './wire-types.js';

/** `update_fail_htlc`: HTLC `id` fails; `reason` is the encrypted BOLT 4 failure for the origin node. */
export interface UpdateFailHtlcMessage {
  readonly type: 131;
  readonly channelId: Uint8Array;
  readonly id: bigint;
  /** The encrypted failure (its `len` prefix is implicit). */
  readonly reason: Uint8Array;
  /** Unknown odd records (e.g. `attribution_data`), kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `update_fail_htlc`, declared as its BOLT 2 field table. */
export const updateFailHtlcCodec: MessageCodec<UpdateFailHtlcMessage> = defineMessage({
  type: 131,
  name: 'update_fail_htlc',
  fields: [
    ['channelId', channelId],
    ['id', u64],
    ['reason', u16PrefixedBytes],
  ],
  tlvs: {},
});

/**
 * `update_fail_malformed_htlc`: HTLC `id` fails because its onion could not
 * be parsed. `failureCode` MUST have the BADONION bit (0x8000) set; the
 * channel layer checks it.
 */
export interface UpdateFailMalformedHtlcMessage {
  readonly type: 135;
  readonly channelId: Uint8Array;
  readonly id: bigint;
  /** SHA-256 of the onion the sender could not parse. */
  readonly sha256OfOnion: Uint8Array;
  readonly failureCode: number;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `update_fail_malformed_htlc`, declared as its BOLT 2 field table. */
export const updateFailMalformedHtlcCodec: MessageCodec<UpdateFailMalformedHtlcMessage> = defineMessage({
  type: 135,
  name: 'update_fail_malformed_htlc',
  fields: [
    ['channelId', channelId],
    ['id', u64],
    ['sha256OfOnion', sha256],
    ['failureCode', u16],
  ],
  tlvs: {},
});
