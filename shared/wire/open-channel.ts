/**
 * The `open_channel` message (BOLT 2, "Channel Establishment v1", "The
 * `open_channel` Message"), type 32.
 */
import { point, restBytes, tlvRecord, u16, u32, u64, u8 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { chainHash, channelId } from './wire-types.js';

/**
 * `open_channel`: the funder's proposal of a new channel, with its channel
 * parameters and the keys of its side. Amounts are bigints in the unit their
 * name says. Points are checked for length and 02/03 prefix only; curve
 * membership is checked by the channel layer.
 */
export interface OpenChannelMessage {
  readonly type: 32;
  /** The chain the channel lives on (its genesis hash, as sent). */
  readonly chainHash: Uint8Array;
  /** 32 bytes naming the channel per peer until the funding outpoint is known. */
  readonly temporaryChannelId: Uint8Array;
  readonly fundingSatoshis: bigint;
  /** Funds the funder gives the fundee unconditionally at open. */
  readonly pushMsat: bigint;
  readonly dustLimitSatoshis: bigint;
  readonly maxHtlcValueInFlightMsat: bigint;
  readonly channelReserveSatoshis: bigint;
  readonly htlcMinimumMsat: bigint;
  /** Initial commitment fee rate, satoshi per 1000 weight (u32). */
  readonly feeratePerKw: number;
  /** CSV delay, in blocks, the sender imposes on the receiver's to-self outputs (u16). */
  readonly toSelfDelay: number;
  /** u16. */
  readonly maxAcceptedHtlcs: number;
  readonly fundingPubkey: Uint8Array;
  readonly revocationBasepoint: Uint8Array;
  readonly paymentBasepoint: Uint8Array;
  readonly delayedPaymentBasepoint: Uint8Array;
  readonly htlcBasepoint: Uint8Array;
  /** The per-commitment point of commitment number 0. */
  readonly firstPerCommitmentPoint: Uint8Array;
  /** Bit 0 is `announce_channel`; the other bits are undefined (u8). */
  readonly channelFlags: number;
  /**
   * TLV 0 `upfront_shutdown_script`: the `shutdown_scriptpubkey` bytes, no
   * length prefix of their own (the TLV length is theirs). Empty means "no
   * commitment to a script".
   */
  readonly upfrontShutdownScript?: Uint8Array;
  /**
   * TLV 1 `channel_type`: feature bits (BOLT 9 numbering, big-endian bytes,
   * no length prefix) naming the channel type, e.g. bit 12
   * `option_static_remotekey`, bits 22 and 12 `option_anchors`.
   */
  readonly channelType?: Uint8Array;
  /** Unknown odd TLV records of `open_channel_tlvs`, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `open_channel`, declared as its BOLT 2 field table. */
export const openChannelCodec: MessageCodec<OpenChannelMessage> = defineMessage({
  type: 32,
  name: 'open_channel',
  fields: [
    ['chainHash', chainHash],
    ['temporaryChannelId', channelId],
    ['fundingSatoshis', u64],
    ['pushMsat', u64],
    ['dustLimitSatoshis', u64],
    ['maxHtlcValueInFlightMsat', u64],
    ['channelReserveSatoshis', u64],
    ['htlcMinimumMsat', u64],
    ['feeratePerKw', u32],
    ['toSelfDelay', u16],
    ['maxAcceptedHtlcs', u16],
    ['fundingPubkey', point],
    ['revocationBasepoint', point],
    ['paymentBasepoint', point],
    ['delayedPaymentBasepoint', point],
    ['htlcBasepoint', point],
    ['firstPerCommitmentPoint', point],
    ['channelFlags', u8],
  ],
  tlvs: {
    upfrontShutdownScript: tlvRecord(0, restBytes),
    channelType: tlvRecord(1, restBytes),
  },
});

/** `channel_flags` bit 0 (BOLT 2): the funder wants the channel announced (BOLT 7). */
export const ANNOUNCE_CHANNEL_FLAG = 1;
