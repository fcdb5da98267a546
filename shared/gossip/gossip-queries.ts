/**
 * Gossip queries (BOLT 7, "Query Messages"): `query_short_channel_ids`
 * (261), `reply_short_channel_ids_end` (262), `query_channel_range` (263),
 * `reply_channel_range` (264) with the extended-query TLVs, and
 * `gossip_timestamp_filter` (265).
 */
import { ByteWriter, DecodeError, EncodeError, bigSize, repeated, struct, tlvRecord, u32, u64, u8 } from '../codec/index.js';
import type { Codec, UnknownTlvRecord } from '../codec/index.js';
import { chainHash, defineMessage } from '../wire/index.js';
import type { MessageCodec } from '../wire/index.js';

/**
 * An array sent with an `encoding_type` byte first. `0` is the array itself
 * (uncompressed); `1` was zlib, which BOLT 7 now forbids senders to use: it
 * is decoded as its raw bytes (so a message round-trips and the rules can
 * name it), never inflated. Other encodings are `invalid-value`.
 */
export type EncodedArray<T> =
  | { readonly encoding: 'uncompressed'; readonly values: readonly T[] }
  | { readonly encoding: 'zlib'; readonly data: Uint8Array };

/** `encoding_type` 0 and 1 (BOLT 7, "Query Messages"). */
export const ENCODING_TYPE = { uncompressed: 0, zlib: 1 } as const;

/** An {@link EncodedArray} running to the end of its reader (inside a TLV record, or a length-prefixed field). */
export function encodedArray<T>(element: Codec<T>): Codec<EncodedArray<T>> {
  const values = repeated(element);
  return {
    read: (r) => {
      const encoding = r.u8();
      if (encoding === ENCODING_TYPE.uncompressed) return { encoding: 'uncompressed', values: values.read(r) };
      if (encoding === ENCODING_TYPE.zlib) return { encoding: 'zlib', data: r.rest() };
      throw new DecodeError('invalid-value', `unknown encoding_type ${encoding}`);
    },
    write: (w, v) => {
      if (v.encoding === 'uncompressed') values.write(w.u8(ENCODING_TYPE.uncompressed), v.values);
      else w.u8(ENCODING_TYPE.zlib).bytes(v.data);
    },
  };
}

/** `[u16:len][len*byte:encoded]`: an encoded array behind a u16 length (`encoded_short_ids`). */
export function lengthPrefixed<T>(inner: Codec<T>): Codec<T> {
  return {
    read: (r) => {
      const sub = r.subReader(r.u16());
      const value = inner.read(sub);
      sub.expectEnd('the length-prefixed field');
      return value;
    },
    write: (w, v) => {
      const body = new ByteWriter();
      inner.write(body, v);
      const bytes = body.finish();
      if (bytes.length > 0xffff) throw new EncodeError('value-out-of-range', `${bytes.length} bytes exceed a u16 length`);
      w.u16(bytes.length).bytes(bytes);
    },
  };
}

/** `encoded_short_ids`: the short channel ids, ascending, behind a u16 length. */
export const encodedShortIds: Codec<EncodedArray<bigint>> = lengthPrefixed(encodedArray(u64));

/** One channel's two `channel_update` timestamps (`timestamp_node_id_1`, `timestamp_node_id_2`), 0 for none. */
export interface ChannelUpdateTimestamps {
  readonly timestampNodeId1: number;
  readonly timestampNodeId2: number;
}

/** One channel's two `channel_update` checksums (CRC32C of the update without signature and timestamp), 0 for none. */
export interface ChannelUpdateChecksums {
  readonly checksumNodeId1: number;
  readonly checksumNodeId2: number;
}

const timestamps: Codec<ChannelUpdateTimestamps> = struct([
  ['timestampNodeId1', u32],
  ['timestampNodeId2', u32],
]);
const checksums: Codec<ChannelUpdateChecksums> = struct([
  ['checksumNodeId1', u32],
  ['checksumNodeId2', u32],
]);

/** `query_flags` bits: what the querier wants for one short channel id. */
export const QUERY_FLAG = {
  announcement: 1n,
  updateNode1: 2n,
  updateNode2: 4n,
  nodeAnnouncement1: 8n,
  nodeAnnouncement2: 16n,
} as const;

/** `query_option` bits of `query_channel_range`. */
export const QUERY_OPTION = { wantTimestamps: 1n, wantChecksums: 2n } as const;

/** `query_short_channel_ids`: ask for the announcements and updates of these channels. */
export interface QueryShortChannelIdsMessage {
  readonly type: 261;
  readonly chainHash: Uint8Array;
  readonly encodedShortIds: EncodedArray<bigint>;
  /** TLV 1 `query_flags`: one BigSize flag set per short channel id, in the same order. */
  readonly queryFlags?: EncodedArray<bigint>;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `query_short_channel_ids`. */
export const queryShortChannelIdsCodec: MessageCodec<QueryShortChannelIdsMessage> = defineMessage({
  type: 261,
  name: 'query_short_channel_ids',
  fields: [
    ['chainHash', chainHash],
    ['encodedShortIds', encodedShortIds],
  ],
  tlvs: { queryFlags: tlvRecord(1, encodedArray(bigSize)) },
});

/** `reply_short_channel_ids_end`: the end of the answer to one `query_short_channel_ids`. */
export interface ReplyShortChannelIdsEndMessage {
  readonly type: 262;
  readonly chainHash: Uint8Array;
  /** 0: the replier has no up-to-date information for this chain. */
  readonly fullInformation: number;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `reply_short_channel_ids_end`. */
export const replyShortChannelIdsEndCodec: MessageCodec<ReplyShortChannelIdsEndMessage> = defineMessage({
  type: 262,
  name: 'reply_short_channel_ids_end',
  fields: [
    ['chainHash', chainHash],
    ['fullInformation', u8],
  ],
  tlvs: {},
});

/** `query_channel_range`: ask for the channels funded in blocks `firstBlocknum .. firstBlocknum + numberOfBlocks - 1`. */
export interface QueryChannelRangeMessage {
  readonly type: 263;
  readonly chainHash: Uint8Array;
  readonly firstBlocknum: number;
  readonly numberOfBlocks: number;
  /** TLV 1 `query_option`: {@link QUERY_OPTION} bits. */
  readonly queryOption?: bigint;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `query_channel_range`. */
export const queryChannelRangeCodec: MessageCodec<QueryChannelRangeMessage> = defineMessage({
  type: 263,
  name: 'query_channel_range',
  fields: [
    ['chainHash', chainHash],
    ['firstBlocknum', u32],
    ['numberOfBlocks', u32],
  ],
  tlvs: { queryOption: tlvRecord(1, bigSize) },
});

/** `reply_channel_range`: one part of the answer to a `query_channel_range`. */
export interface ReplyChannelRangeMessage {
  readonly type: 264;
  readonly chainHash: Uint8Array;
  readonly firstBlocknum: number;
  readonly numberOfBlocks: number;
  /** 0: the replier has no up-to-date information for this chain. */
  readonly syncComplete: number;
  readonly encodedShortIds: EncodedArray<bigint>;
  /** TLV 1 `timestamps_tlv`: one pair per short channel id (asked with `wantTimestamps`). */
  readonly timestampsTlv?: EncodedArray<ChannelUpdateTimestamps>;
  /** TLV 3 `checksums_tlv`: one pair per short channel id (asked with `wantChecksums`), never encoded. */
  readonly checksumsTlv?: readonly ChannelUpdateChecksums[];
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `reply_channel_range`. */
export const replyChannelRangeCodec: MessageCodec<ReplyChannelRangeMessage> = defineMessage({
  type: 264,
  name: 'reply_channel_range',
  fields: [
    ['chainHash', chainHash],
    ['firstBlocknum', u32],
    ['numberOfBlocks', u32],
    ['syncComplete', u8],
    ['encodedShortIds', encodedShortIds],
  ],
  tlvs: {
    timestampsTlv: tlvRecord(1, encodedArray(timestamps)),
    checksumsTlv: tlvRecord(3, repeated(checksums)),
  },
});

/** `gossip_timestamp_filter`: send me the gossip with a timestamp in `firstTimestamp .. firstTimestamp + timestampRange - 1`. */
export interface GossipTimestampFilterMessage {
  readonly type: 265;
  readonly chainHash: Uint8Array;
  readonly firstTimestamp: number;
  readonly timestampRange: number;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `gossip_timestamp_filter`. */
export const gossipTimestampFilterCodec: MessageCodec<GossipTimestampFilterMessage> = defineMessage({
  type: 265,
  name: 'gossip_timestamp_filter',
  fields: [
    ['chainHash', chainHash],
    ['firstTimestamp', u32],
    ['timestampRange', u32],
  ],
  tlvs: {},
});

