/**
 * Resuming a funded channel after a reconnection (BOLT 2, "Message
 * Retransmission"): our `channel_reestablish`, and the checks of theirs.
 *
 * Establishment leaves both sides with commitment number 0 signed and no
 * `revoke_and_ack` either way, so the numbers we send are fixed: the next
 * `commitment_signed` we expect is number 1, the next `revoke_and_ack`
 * number 0. Theirs must say the same. Anything ahead of that means the
 * peer saw states we do not remember: we lost data, and broadcasting our
 * commitment could hand the peer a revoked transaction, so the channel is
 * closed without broadcasting (the monitor is told not to).
 */
import { INITIAL_COMMITMENT_INDEX } from '../keys/index.js';
import type { ChannelReestablishMessage } from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import {
  ChannelState,
  currentChannelId,
  type AwaitingChannelReady,
  type AwaitingConfirmation,
  type Channel,
  type NegotiatingCloseChannel,
  type ReadyChannel,
  type ShutdownSentChannel,
} from './channel-state.js';
import type { ChannelEffect, ChannelStep } from './effects.js';
import { ChannelFailureReason as R } from './errors.js';
import { ourChannelReady } from './funding-confirmation.js';

/** A channel that must be remembered across a disconnection: the first commitments are signed (a cooperative close in progress included). */
export type FundedChannel = AwaitingConfirmation | AwaitingChannelReady | ReadyChannel | ShutdownSentChannel | NegotiatingCloseChannel;

const FUNDED_STATES: ReadonlySet<ChannelState> = new Set([
  ChannelState.AwaitingConfirmation,
  ChannelState.AwaitingChannelReady,
  ChannelState.Ready,
  ChannelState.ShutdownSent,
  ChannelState.NegotiatingClose,
]);

/** Whether `channel` is resumed with `channel_reestablish` after a reconnection (BOLT 2: funded, not closed). */
export function isFundedChannel(channel: Channel): channel is FundedChannel {
  return FUNDED_STATES.has(channel.state);
}

/** The commitment number of the next `commitment_signed` we expect (commitment 0 was signed at funding). */
const NEXT_COMMITMENT_NUMBER = 1n;
/** The commitment number of the next `revoke_and_ack` we expect (none was sent yet). */
const NEXT_REVOCATION_NUMBER = 0n;

/** Our `channel_reestablish` for a funded channel, sent first after every reconnection. */
export function ourChannelReestablish(ctx: ChannelContext, channel: FundedChannel): ChannelReestablishMessage {
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  return {
    type: 136,
    channelId: channel.funding.channelId,
    nextCommitmentNumber: NEXT_COMMITMENT_NUMBER,
    nextRevocationNumber: NEXT_REVOCATION_NUMBER,
    // BOLT 2: all zeroes while next_revocation_number is 0.
    yourLastPerCommitmentSecret: new Uint8Array(32),
    // Our current (number 0) per-commitment point: any valid point would do under option_static_remotekey.
    myCurrentPerCommitmentPoint: signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX),
  };
}

/** Whether `secret` is our per-commitment secret of commitment number `commitmentNumber`. */
function isOurSecret(ctx: ChannelContext, channel: FundedChannel, secret: Uint8Array, commitmentNumber: bigint): boolean {
  if (commitmentNumber >= INITIAL_COMMITMENT_INDEX || !ctx.secp.isValidSecretKey(secret)) return false;
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const expected = signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - commitmentNumber);
  const claimed = ctx.secp.publicKeyFromSecret(secret);
  return claimed.length === expected.length && claimed.every((b, i) => b === expected[i]);
}

/**
 * The peer's `channel_reestablish` (BOLT 2 receiver requirements):
 * - `next_commitment_number` 0: fail the channel (our commitment is broadcast);
 * - `next_revocation_number` above 0 with our correct secret for the
 *   commitment before it, or `next_commitment_number` above 1: the peer is
 *   ahead of us; close WITHOUT broadcasting (`peer-has-newer-state`);
 * - `next_revocation_number` above 0 with a wrong secret: fail the channel;
 * - in sync (1 and 0): re-send our `channel_ready` if we sent one before;
 *   in a cooperative close, then our `shutdown` again (BOLT 2: a node that
 *   sent `shutdown` MUST retransmit it), and the `closing_signed`
 *   negotiation restarts: our last proposal is forgotten, and the funder
 *   proposes again once the peer's retransmitted `shutdown` arrives
 *   (cooperative-close.ts).
 * `your_last_per_commitment_secret` is not checked while
 * `next_revocation_number` is 0 (it must then be zeros; like LDK we do not
 * fail a funded channel over it). The interactive-funding and splice TLVs
 * name nothing of a v1 channel and are ignored.
 */
export function handleChannelReestablish(ctx: ChannelContext, channel: Channel, m: ChannelReestablishMessage): ChannelStep {
  if (!isFundedChannel(channel)) return closeChannel(channel, R.UnexpectedMessage, `channel_reestablish in state ${channel.state}`);
  if (!m.channelId.every((b, i) => b === channel.funding.channelId[i])) return closeChannel(channel, R.WrongChannelId, 'channel_reestablish for another channel_id');
  if (m.nextRevocationNumber > NEXT_REVOCATION_NUMBER) {
    if (isOurSecret(ctx, channel, m.yourLastPerCommitmentSecret, m.nextRevocationNumber - 1n)) {
      return closeChannel(channel, R.PeerHasNewerState, `the peer has revoked our commitment ${m.nextRevocationNumber - 1n}, which we do not know: we lost data; please close the channel`);
    }
    return closeChannel(channel, R.ReestablishMismatch, `next_revocation_number ${m.nextRevocationNumber} without our secret for commitment ${m.nextRevocationNumber - 1n}`);
  }
  if (m.nextCommitmentNumber === 0n) return closeChannel(channel, R.ReestablishMismatch, 'next_commitment_number 0 for a funded channel');
  if (m.nextCommitmentNumber > NEXT_COMMITMENT_NUMBER) {
    return closeChannel(channel, R.PeerHasNewerState, `the peer expects commitment ${m.nextCommitmentNumber}, beyond any we signed: we lost data; please close the channel`);
  }
  // In sync. BOLT 2: next_commitment_number is 1 on both sides, so our channel_ready (if sent) goes again.
  if (channel.state === ChannelState.AwaitingConfirmation) return { channel, effects: [] };
  const effects: ChannelEffect[] = [{ kind: 'send-message', message: ourChannelReady(ctx, channel) }];
  if (channel.state === ChannelState.Ready || channel.state === ChannelState.AwaitingChannelReady) return { channel, effects };
  return resumeClose(channel, effects);
}

/**
 * A cooperative close across a reconnection (BOLT 2 "Closing Initiation"
 * and "Closing Negotiation"): our `shutdown` is retransmitted with the
 * same script, and any `closing_signed` we sent is forgotten (the
 * negotiation starts again over the new connection).
 */
function resumeClose(channel: ShutdownSentChannel | NegotiatingCloseChannel, effects: ChannelEffect[]): ChannelStep {
  const { holderScript, counterpartyScript } = channel.shutdown;
  effects.push({ kind: 'send-message', message: { type: 38, channelId: currentChannelId(channel), scriptpubkey: holderScript } });
  const shutdown = counterpartyScript === undefined ? { holderScript } : { holderScript, counterpartyScript };
  return { channel: { ...channel, shutdown }, effects };
}
