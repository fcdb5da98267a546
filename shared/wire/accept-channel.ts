/**
 * The `accept_channel` message (BOLT 2, "Channel Establishment v1", "The
 * `accept_channel` Message"), type 33.
 */
import { point, restBytes, tlvRecord, u16, u32, u64 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/**
 * `accept_channel`: the fundee's answer to `open_channel`, with its channel
 * parameters and the keys of its side. The fields shared with
 * `open_channel` mean the same there.
 */
export interface AcceptChannelMessage {
  readonly type: 33;
  /** The `temporary_channel_id` of the `open_channel` being accepted. */
  readonly temporaryChannelId: Uint8Array;
  readonly dustLimitSatoshis: bigint;
  readonly maxHtlcValueInFlightMsat: bigint;
  readonly channelReserveSatoshis: bigint;
  readonly htlcMinimumMsat: bigint;
  /** Confirmations the fundee waits for before `channel_ready` (u32; 0 with `option_zeroconf`). */
  readonly minimumDepth: number;
  /** u16. */
  readonly toSelfDelay: number;
  /** u16. */
  readonly maxAcceptedHtlcs: number;
  readonly fundingPubkey: Uint8Array;
  readonly revocationBasepoint: Uint8Array;
  readonly paymentBasepoint: Uint8Array;
  readonly delayedPaymentBasepoint: Uint8Array;
  readonly htlcBasepoint: Uint8Array;
  readonly firstPerCommitmentPoint: Uint8Array;
  /** TLV 0 `upfront_shutdown_script`: raw `shutdown_scriptpubkey` (see `open_channel`). */
  readonly upfrontShutdownScript?: Uint8Array;
  /** TLV 1 `channel_type`: feature bits (see `open_channel`); BOLT 2 requires it on receipt. */
  readonly channelType?: Uint8Array;
  /** Unknown odd TLV records of `accept_channel_tlvs`, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `accept_channel`, declared as its BOLT 2 field table. */
export const acceptChannelCodec: MessageCodec<AcceptChannelMessage> = defineMessage({
  type: 33,
  name: 'accept_channel',
  fields: [
    ['temporaryChannelId', channelId],
    ['dustLimitSatoshis', u64],
    ['maxHtlcValueInFlightMsat', u64],
    ['channelReserveSatoshis', u64],
    ['htlcMinimumMsat', u64],
    ['minimumDepth', u32],
    ['toSelfDelay', u16],
    ['maxAcceptedHtlcs', u16],
    ['fundingPubkey', point],
    ['revocationBasepoint', point],
    ['paymentBasepoint', point],
    ['delayedPaymentBasepoint', point],
    ['htlcBasepoint', point],
    ['firstPerCommitmentPoint', point],
  ],
  tlvs: {
    upfrontShutdownScript: tlvRecord(0, restBytes),
    channelType: tlvRecord(1, restBytes),
  },
});
