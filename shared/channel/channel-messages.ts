/**
 * The channel-level half of the message routing table (docs/manager.md,
 * "Message routing"): for each BOLT 2 message a channel receives (and
 * `error`), the phases (`ChannelState`) that accept it, what a message in
 * any other phase gets, and the step function. The manager's table
 * (shared/manager/message-routes.ts) finds the channel; this one says what
 * the channel does with the message. Adding a message: one row here, one
 * step function.
 */
import type {
  AcceptChannelMessage,
  ChannelReadyMessage,
  ChannelReestablishMessage,
  ClosingSignedMessage,
  CommitmentSignedMessage,
  ErrorMessage,
  FundingCreatedMessage,
  FundingSignedMessage,
  RevokeAndAckMessage,
  ShutdownMessage,
  UpdateAddHtlcMessage,
  UpdateFailHtlcMessage,
  UpdateFailMalformedHtlcMessage,
  UpdateFeeMessage,
  UpdateFulfillHtlcMessage,
} from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import { handleChannelReestablish } from './channel-reestablish.js';
import { handleClosingSigned, handleShutdown, maybeProposeClosingSigned } from './cooperative-close.js';
import { ChannelState, type Channel } from './channel-state.js';
import type { ChannelStep } from './effects.js';
import { ChannelFailureReason } from './errors.js';
import { handleAcceptChannel, handleErrorMessage, handleFundingCreated, handleFundingSigned } from './establishment.js';
import { handleChannelReady } from './funding-confirmation.js';
import { NO_KEPT_UPDATES, handleCommitmentSigned, handleRevokeAndAck, type KeptUpdates } from './commitment-dance.js';
import { handleUpdateFee } from './fee-updates.js';
import { handleUpdateAddHtlc, handleUpdateFailHtlc, handleUpdateFailMalformedHtlc, handleUpdateFulfillHtlc } from './htlc-updates.js';

/** A message one existing channel receives. */
export type ChannelLevelMessage =
  | AcceptChannelMessage
  | FundingCreatedMessage
  | FundingSignedMessage
  | ChannelReadyMessage
  | ChannelReestablishMessage
  | ShutdownMessage
  | ClosingSignedMessage
  | ErrorMessage
  | NormalOperationMessage;

/** A BOLT 2 "Normal Operation" message. */
export type NormalOperationMessage =
  | UpdateAddHtlcMessage
  | UpdateFeeMessage
  | UpdateFulfillHtlcMessage
  | UpdateFailHtlcMessage
  | CommitmentSignedMessage
  | RevokeAndAckMessage
  | UpdateFailMalformedHtlcMessage;

/**
 * What a message gets in a phase that does not accept it: `ignore` (no
 * change, nothing sent), `warn` (a `warning` to the peer, no change),
 * `close` (the channel fails: `unexpected-message`, "<name> in state <phase>").
 */
export type WrongPhase = 'ignore' | 'warn' | 'close';

/** What the channel does with a message in its current phase. */
export type PhaseVerdict = 'handle' | WrongPhase;

/** One row: a message type's phases and its step. */
export interface ChannelMessageRow<M extends ChannelLevelMessage = ChannelLevelMessage> {
  /** The BOLT name (`accept_channel`), for texts. */
  readonly name: string;
  /** The phases in which `step` runs. */
  readonly accepts: readonly ChannelState[];
  /** What the message gets in any other phase ... */
  readonly otherwise: WrongPhase;
  /** ... except these phases. */
  readonly inPhase?: Partial<Record<ChannelState, WrongPhase>>;
  /** The `warning`'s text for `warn` (default: "<name> in state <phase>"). */
  readonly warning?: string;
  /** `kept`: what the record does not hold but a retransmission or the holding cell sends (our onions and failure reasons). */
  readonly step: (ctx: ChannelContext, channel: Channel, m: M, kept: KeptUpdates) => ChannelStep;
}

const ALL_PHASES: readonly ChannelState[] = Object.values(ChannelState);
/** The phases resumed by `channel_reestablish` (channel-reestablish.ts `isFundedChannel`): funded, a cooperative close in progress included. */
const FUNDED: readonly ChannelState[] = [
  ChannelState.AwaitingConfirmation,
  ChannelState.AwaitingChannelReady,
  ChannelState.Ready,
  ChannelState.ShutdownSent,
  ChannelState.NegotiatingClose,
];

/** The phases whose commitment dance runs (channel-state.ts `OperatingChannel`). */
const OPERATING: readonly ChannelState[] = [ChannelState.Ready, ChannelState.ShutdownSent, ChannelState.NegotiatingClose];

type Step<M extends ChannelLevelMessage> = ChannelMessageRow<M>['step'];

/** A dance step, then the funder's first `closing_signed` if this step let the negotiation start (cooperative-close.ts). */
function closingAware<M extends ChannelLevelMessage>(step: Step<M>): Step<M> {
  return (ctx, channel, m, kept) => maybeProposeClosingSigned(ctx, step(ctx, channel, m, kept));
}

type Rows = { readonly [T in ChannelLevelMessage['type']]: ChannelMessageRow<Extract<ChannelLevelMessage, { type: T }>> };

/** The channel-level routing table, by message type. */
export const CHANNEL_MESSAGE_ROWS: Rows = {
  17: { name: 'error', accepts: ALL_PHASES.filter((s) => s !== ChannelState.Closed), otherwise: 'ignore', step: (_ctx, channel, m) => handleErrorMessage(channel, m) },
  33: { name: 'accept_channel', accepts: [ChannelState.OutboundAwaitingAccept], otherwise: 'close', step: handleAcceptChannel },
  34: { name: 'funding_created', accepts: [ChannelState.InboundAwaitingFundingCreated], otherwise: 'close', step: handleFundingCreated },
  35: { name: 'funding_signed', accepts: [ChannelState.AwaitingFundingSigned], otherwise: 'close', step: handleFundingSigned },
  // A repeat in `ready` or in a cooperative close is a retransmission (BOLT 2: after a reconnection with next_commitment_number 1).
  36: {
    name: 'channel_ready',
    accepts: [ChannelState.AwaitingConfirmation, ChannelState.AwaitingChannelReady],
    otherwise: 'close',
    inPhase: { [ChannelState.Ready]: 'ignore', [ChannelState.ShutdownSent]: 'ignore', [ChannelState.NegotiatingClose]: 'ignore' },
    step: handleChannelReady,
  },
  // Cooperative close (cooperative-close.ts): before funding BOLT 2 says fail; before channel_ready it is not supported yet; a closed channel ignores late ones.
  38: {
    name: 'shutdown',
    accepts: [ChannelState.Ready, ChannelState.ShutdownSent, ChannelState.NegotiatingClose],
    otherwise: 'close',
    inPhase: { [ChannelState.AwaitingConfirmation]: 'warn', [ChannelState.AwaitingChannelReady]: 'warn', [ChannelState.Closed]: 'ignore' },
    warning: 'shutdown before channel_ready is not supported yet',
    step: handleShutdown,
  },
  39: { name: 'closing_signed', accepts: [ChannelState.NegotiatingClose], otherwise: 'close', inPhase: { [ChannelState.Closed]: 'ignore' }, step: handleClosingSigned },
  136: { name: 'channel_reestablish', accepts: FUNDED, otherwise: 'close', step: handleChannelReestablish },
  // Normal operation (docs/htlcs.md): only after both channel_ready; BOLT 2 fails the channel otherwise. It goes on
  // during a cooperative close until the HTLCs in flight settle (docs/close.md); an add after their shutdown fails the
  // channel (htlc-updates.ts), one after ours only is theirs to send (they may not have read ours yet).
  128: { name: 'update_add_htlc', accepts: OPERATING, otherwise: 'close', step: handleUpdateAddHtlc },
  130: { name: 'update_fulfill_htlc', accepts: OPERATING, otherwise: 'close', step: closingAware(handleUpdateFulfillHtlc) },
  131: { name: 'update_fail_htlc', accepts: OPERATING, otherwise: 'close', step: closingAware(handleUpdateFailHtlc) },
  132: { name: 'commitment_signed', accepts: OPERATING, otherwise: 'close', step: closingAware(handleCommitmentSigned) },
  133: { name: 'revoke_and_ack', accepts: OPERATING, otherwise: 'close', step: closingAware(handleRevokeAndAck) },
  134: { name: 'update_fee', accepts: OPERATING, otherwise: 'close', step: closingAware(handleUpdateFee) },
  135: { name: 'update_fail_malformed_htlc', accepts: OPERATING, otherwise: 'close', step: closingAware(handleUpdateFailMalformedHtlc) },
};

/** The row of `type`, if a channel receives it. */
export function channelMessageRow(type: number): ChannelMessageRow | undefined {
  return (CHANNEL_MESSAGE_ROWS as unknown as Partial<Record<number, ChannelMessageRow>>)[type];
}

/** What a channel in `channel`'s phase does with `m`. */
export function phaseVerdict(channel: Channel, m: ChannelLevelMessage): PhaseVerdict {
  const row = CHANNEL_MESSAGE_ROWS[m.type];
  if (row.accepts.includes(channel.state)) return 'handle';
  return row.inPhase?.[channel.state] ?? row.otherwise;
}

/** The `warning` text `m` gets when its verdict is `warn`. */
export function wrongPhaseWarning(channel: Channel, m: ChannelLevelMessage): string {
  const row = CHANNEL_MESSAGE_ROWS[m.type];
  return row.warning ?? `${row.name} in state ${channel.state}`;
}

/**
 * One message for an existing channel, through the table: the step in a
 * phase that accepts it; otherwise no change (`ignore`, and `warn`: the
 * caller sends the warning, see {@link wrongPhaseWarning}) or the channel
 * fails (`close`).
 */
export function handleChannelMessage(ctx: ChannelContext, channel: Channel, m: ChannelLevelMessage, kept: KeptUpdates = NO_KEPT_UPDATES): ChannelStep {
  const verdict = phaseVerdict(channel, m);
  const row = CHANNEL_MESSAGE_ROWS[m.type] as ChannelMessageRow;
  switch (verdict) {
    case 'handle':
      return row.step(ctx, channel, m, kept);
    case 'ignore':
    case 'warn':
      return { channel, effects: [] };
    case 'close':
      return closeChannel(channel, ChannelFailureReason.UnexpectedMessage, `${row.name} in state ${channel.state}`);
  }
}
