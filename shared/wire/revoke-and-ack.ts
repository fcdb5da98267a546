/**
 * The `revoke_and_ack` message (BOLT 2, "Normal Operation", "Completing the
 * Transition to the Updated State: `revoke_and_ack`"), type 133.
 */
import { fixedBytes, point } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/**
 * `revoke_and_ack`: the sender revokes its previous commitment by revealing
 * its per-commitment secret, and gives the point of its commitment after the
 * one just signed.
 */
export interface RevokeAndAckMessage {
  readonly type: 133;
  readonly channelId: Uint8Array;
  /** The secret of the commitment being revoked (checked against its point by the channel). */
  readonly perCommitmentSecret: Uint8Array;
  readonly nextPerCommitmentPoint: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `revoke_and_ack`, declared as its BOLT 2 field table. */
export const revokeAndAckCodec: MessageCodec<RevokeAndAckMessage> = defineMessage({
  type: 133,
  name: 'revoke_and_ack',
  fields: [
    ['channelId', channelId],
    ['perCommitmentSecret', fixedBytes(32)],
    ['nextPerCommitmentPoint', point],
  ],
  tlvs: {},
});
