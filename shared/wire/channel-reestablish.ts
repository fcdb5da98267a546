/**
 * The `channel_reestablish` message (BOLT 2, "Message Retransmission"),
 * type 136: sent for every funded channel after each reconnection, before
 * any other message of that channel.
 */
import { fixedBytes, point, struct, tlvRecord, u64, u8 } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, sha256 } from './wire-types.js';

/** A funding transaction named in a `channel_reestablish` TLV, with the messages to retransmit for it. */
export interface ReestablishFunding {
  /** Internal byte order, as `sha256` is sent. */
  readonly txid: Uint8Array;
  /** Bit 0: `commitment_signed` (`next_funding`) or `announcement_signatures` (`my_current_funding_locked`). */
  readonly retransmitFlags: number;
}

/**
 * `channel_reestablish`: where the sender's view of the channel stands, so
 * both sides can tell what the other missed across the disconnection.
 */
export interface ChannelReestablishMessage {
  readonly type: 136;
  readonly channelId: Uint8Array;
  /** The commitment number of the next `commitment_signed` the sender expects to receive. */
  readonly nextCommitmentNumber: bigint;
  /** The commitment number of the next `revoke_and_ack` the sender expects to receive. */
  readonly nextRevocationNumber: bigint;
  /** The last per-commitment secret the sender received; zeros while `nextRevocationNumber` is 0. */
  readonly yourLastPerCommitmentSecret: Uint8Array;
  /** Any valid point under option_static_remotekey (receivers ignore it). */
  readonly myCurrentPerCommitmentPoint: Uint8Array;
  /** TLV 1 `next_funding` (interactive funding only: dual funding and splicing). */
  readonly nextFunding?: ReestablishFunding;
  /** TLV 5 `my_current_funding_locked` (option_splice only). */
  readonly myCurrentFundingLocked?: ReestablishFunding;
  /** Unknown odd TLV records of `channel_reestablish_tlvs`, kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

const fundingRecord = struct([
  ['txid', sha256],
  ['retransmitFlags', u8],
]);

/** Codec of `channel_reestablish`, declared as its BOLT 2 field table. */
export const channelReestablishCodec: MessageCodec<ChannelReestablishMessage> = defineMessage({
  type: 136,
  name: 'channel_reestablish',
  fields: [
    ['channelId', channelId],
    ['nextCommitmentNumber', u64],
    ['nextRevocationNumber', u64],
    ['yourLastPerCommitmentSecret', fixedBytes(32)],
    ['myCurrentPerCommitmentPoint', point],
  ],
  tlvs: {
    nextFunding: tlvRecord(1, fundingRecord),
    myCurrentFundingLocked: tlvRecord(5, fundingRecord),
  },
});
