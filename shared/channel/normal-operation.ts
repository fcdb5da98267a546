/**
 * The BOLT 2 "Normal Operation" messages a ready channel receives, and
 * their step. They join the channel-level routing table
 * (`CHANNEL_MESSAGE_ROWS`, channel-messages.ts) together with their manager
 * rows, once the manager routes them (docs/htlcs.md, "Left for later");
 * until then the tests drive channels through this dispatch, which applies
 * the treatment those rows will declare: handled in `ready`, any other
 * phase fails the channel (`unexpected-message`).
 */
import type {
  CommitmentSignedMessage,
  RevokeAndAckMessage,
  UpdateAddHtlcMessage,
  UpdateFailHtlcMessage,
  UpdateFailMalformedHtlcMessage,
  UpdateFulfillHtlcMessage,
} from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import { ChannelState, type Channel } from './channel-state.js';
import { handleCommitmentSigned, handleRevokeAndAck } from './commitment-dance.js';
import type { ChannelStep } from './effects.js';
import { ChannelFailureReason } from './errors.js';
import { handleUpdateAddHtlc, handleUpdateFailHtlc, handleUpdateFailMalformedHtlc, handleUpdateFulfillHtlc } from './htlc-updates.js';

/** A normal-operation message for one channel (`update_fee` not yet). */
export type NormalOperationMessage =
  | UpdateAddHtlcMessage
  | UpdateFulfillHtlcMessage
  | UpdateFailHtlcMessage
  | CommitmentSignedMessage
  | RevokeAndAckMessage
  | UpdateFailMalformedHtlcMessage;

const NAMES: { readonly [T in NormalOperationMessage['type']]: string } = {
  128: 'update_add_htlc',
  130: 'update_fulfill_htlc',
  131: 'update_fail_htlc',
  132: 'commitment_signed',
  133: 'revoke_and_ack',
  135: 'update_fail_malformed_htlc',
};

/** True for the types {@link handleNormalOperationMessage} takes. */
export function isNormalOperationMessage(m: { readonly type: number }): m is NormalOperationMessage {
  return m.type in NAMES;
}

/** One normal-operation message: its step in `ready`, else the channel fails (BOLT 2: only after both `channel_ready`). */
export function handleNormalOperationMessage(ctx: ChannelContext, channel: Channel, m: NormalOperationMessage): ChannelStep {
  if (channel.state !== ChannelState.Ready) return closeChannel(channel, ChannelFailureReason.UnexpectedMessage, `${NAMES[m.type]} in state ${channel.state}`);
  switch (m.type) {
    case 128:
      return handleUpdateAddHtlc(ctx, channel, m);
    case 130:
      return handleUpdateFulfillHtlc(ctx, channel, m);
    case 131:
      return handleUpdateFailHtlc(ctx, channel, m);
    case 132:
      return handleCommitmentSigned(ctx, channel, m);
    case 133:
      return handleRevokeAndAck(ctx, channel, m);
    case 135:
      return handleUpdateFailMalformedHtlc(ctx, channel, m);
  }
}
