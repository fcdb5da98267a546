/**
 * Resuming a funded channel after a reconnection (BOLT 2, "Message
 * Retransmission"): our `channel_reestablish`, and the checks of theirs.
 *
 * The numbers come from the commitment dance's state (commitment-state.ts;
 * before any payment: commitment 0 signed both ways, no `revoke_and_ack`):
 * the next `commitment_signed` we expect is our commitment number + 1, the
 * next `revoke_and_ack` the counterparty commitment it will revoke. What
 * the peer says it expects decides what we send again: our last
 * `revoke_and_ack`, our last `commitment_signed` (with the removals it
 * carried), or nothing. Anything ahead of what we signed or revoked means
 * the peer saw states we do not remember: we lost data, and broadcasting
 * our commitment could hand the peer a revoked transaction, so the channel
 * is closed without broadcasting (the monitor is told not to). Updates the
 * peer sent that no `commitment_signed` of theirs covered are forgotten
 * (BOLT 2: the peer sends them again).
 */
import { CounterpartyCommitmentSecrets, INITIAL_COMMITMENT_INDEX } from '../keys/index.js';
import type { ChannelReestablishMessage, RevokeAndAckMessage } from '../wire/index.js';
import { NO_KEPT_UPDATES, resendCommitmentSigned, type KeptUpdates } from './commitment-dance.js';
import { FeeUpdateState, withPendingFee } from './fee-update.js';
import { InboundHtlcState, OutboundHtlcState, type HtlcRecord } from './htlc.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import {
  ChannelState,
  currentChannelId,
  type AwaitingChannelReady,
  type AwaitingConfirmation,
  type Channel,
  type NegotiatingCloseChannel,
  type OperatingChannel,
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

/** The dance state of a funded channel (the state right after `channel_ready` before any update; zeros before that). */
function danceOf(channel: FundedChannel): { holder: bigint; counterparty: bigint; awaitingRemoteRevoke: boolean; secrets?: Uint8Array } {
  const c = channel.commitments;
  if (c === undefined) return { holder: 0n, counterparty: 0n, awaitingRemoteRevoke: false };
  return { holder: c.holderCommitmentNumber, counterparty: c.counterpartyCommitmentNumber, awaitingRemoteRevoke: c.awaitingRemoteRevoke, secrets: c.counterpartySecrets };
}

/** Our `channel_reestablish` for a funded channel, sent first after every reconnection. */
export function ourChannelReestablish(ctx: ChannelContext, channel: FundedChannel): ChannelReestablishMessage {
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const d = danceOf(channel);
  // The counterparty commitment their next revoke_and_ack revokes: the one before their latest while we await it.
  const nextRevocationNumber = d.awaitingRemoteRevoke ? d.counterparty - 1n : d.counterparty;
  let lastSecret: Uint8Array = new Uint8Array(32);
  if (nextRevocationNumber > 0n && d.secrets !== undefined) {
    const loaded = CounterpartyCommitmentSecrets.deserialize(d.secrets);
    lastSecret = (loaded.ok ? loaded.value.get(INITIAL_COMMITMENT_INDEX - (nextRevocationNumber - 1n)) : undefined) ?? lastSecret;
  }
  return {
    type: 136,
    channelId: channel.funding.channelId,
    nextCommitmentNumber: d.holder + 1n,
    nextRevocationNumber,
    // BOLT 2: all zeroes while next_revocation_number is 0.
    yourLastPerCommitmentSecret: lastSecret,
    // Our current per-commitment point (any valid point would do under option_static_remotekey).
    myCurrentPerCommitmentPoint: signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - d.holder),
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
export function handleChannelReestablish(ctx: ChannelContext, current: Channel, m: ChannelReestablishMessage, kept: KeptUpdates = NO_KEPT_UPDATES): ChannelStep {
  if (!isFundedChannel(current)) return closeChannel(current, R.UnexpectedMessage, `channel_reestablish in state ${current.state}`);
  if (!m.channelId.every((b, i) => b === current.funding.channelId[i])) return closeChannel(current, R.WrongChannelId, 'channel_reestablish for another channel_id');
  const channel = forgetUncommittedUpdates(current);
  const d = danceOf(channel);
  // Their next_revocation_number: the commitment of ours our next revoke_and_ack revokes (we revoked 0 .. holder - 1).
  if (m.nextRevocationNumber > d.holder) {
    if (isOurSecret(ctx, channel, m.yourLastPerCommitmentSecret, m.nextRevocationNumber - 1n)) {
      return closeChannel(channel, R.PeerHasNewerState, `the peer has revoked our commitment ${m.nextRevocationNumber - 1n}, which we do not know: we lost data; please close the channel`);
    }
    return closeChannel(channel, R.ReestablishMismatch, `next_revocation_number ${m.nextRevocationNumber} without our secret for commitment ${m.nextRevocationNumber - 1n}`);
  }
  if (m.nextRevocationNumber + 1n < d.holder) return closeChannel(channel, R.ReestablishMismatch, `next_revocation_number ${m.nextRevocationNumber}: we revoked up to commitment ${d.holder - 1n}`);
  if (m.nextRevocationNumber > 0n && !isOurSecret(ctx, channel, m.yourLastPerCommitmentSecret, m.nextRevocationNumber - 1n)) {
    return closeChannel(channel, R.ReestablishMismatch, `your_last_per_commitment_secret is not ours for commitment ${m.nextRevocationNumber - 1n}`);
  }
  // Their next_commitment_number: the next counterparty commitment they expect us to sign.
  if (m.nextCommitmentNumber === 0n) return closeChannel(channel, R.ReestablishMismatch, 'next_commitment_number 0 for a funded channel');
  if (m.nextCommitmentNumber > d.counterparty + 1n) {
    return closeChannel(channel, R.PeerHasNewerState, `the peer expects commitment ${m.nextCommitmentNumber}, beyond any we signed: we lost data; please close the channel`);
  }
  const resendCommitment = m.nextCommitmentNumber === d.counterparty && d.awaitingRemoteRevoke;
  if (m.nextCommitmentNumber < d.counterparty + 1n && !resendCommitment) {
    return closeChannel(channel, R.ReestablishMismatch, `next_commitment_number ${m.nextCommitmentNumber}: we signed their commitment ${d.counterparty}`);
  }
  const effects: ChannelEffect[] = [];
  // Before any update, next_commitment_number 1 on both sides: our channel_ready (if sent) goes again.
  if (channel.state === ChannelState.AwaitingConfirmation) return { channel, effects };
  if (d.holder === 0n && m.nextCommitmentNumber === 1n) effects.push({ kind: 'send-message', message: ourChannelReady(ctx, channel) });
  // Both again: in the order they were first sent (BOLT 2; LDK's `resend_order`).
  const revoke: ChannelEffect[] = m.nextRevocationNumber + 1n === d.holder ? [{ kind: 'send-message', message: revokeAndAckOf(ctx, channel, d.holder - 1n) }] : [];
  const commitment: ChannelEffect[] = [];
  if (resendCommitment) {
    const resent = resendCommitmentSigned(ctx, channel as OperatingChannel, d.counterparty, kept);
    if ('failure' in resent) return closeChannel(channel, R.ReestablishMismatch, resent.failure);
    commitment.push(...resent.messages.map((message): ChannelEffect => ({ kind: 'send-message', message })));
  }
  effects.push(...(channel.resendCommitmentFirst === true ? [...commitment, ...revoke] : [...revoke, ...commitment]));
  if (channel.state === ChannelState.Ready || channel.state === ChannelState.AwaitingChannelReady) return { channel, effects };
  return resumeClose(channel, effects);
}

/** Our `revoke_and_ack` of our commitment `revokedNumber` (its secret, and the point two commitments on). */
function revokeAndAckOf(ctx: ChannelContext, channel: FundedChannel, revokedNumber: bigint): RevokeAndAckMessage {
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const index = INITIAL_COMMITMENT_INDEX - revokedNumber;
  return { type: 133, channelId: channel.funding.channelId, perCommitmentSecret: signer.releaseCommitmentSecret(index), nextPerCommitmentPoint: signer.perCommitmentPoint(index - 2n) };
}

/**
 * BOLT 2: updates received but not covered by a `commitment_signed` we
 * received are forgotten on a reconnection (the peer sends them again):
 * their `update_add_htlc`s not yet signed leave (and the next id goes back),
 * their removals of our HTLCs not yet signed are undone, their `update_fee`
 * not yet signed is dropped.
 */
function forgetUncommittedUpdates<C extends FundedChannel>(current: C): C {
  // Their update_fee no commitment_signed covered goes too (LDK: a `remote-announced` fee update is dropped).
  const channel = current.pendingFeeUpdate?.state === FeeUpdateState.RemoteAnnounced ? withPendingFee(current, undefined) : current;
  const htlcs = channel.htlcs ?? [];
  const unsigned = htlcs.filter((h) => h.direction === 'received' && h.state === InboundHtlcState.RemoteAnnounced);
  const removed = htlcs.filter((h) => h.direction === 'offered' && h.state === OutboundHtlcState.RemoteRemoved);
  if (unsigned.length === 0 && removed.length === 0 || channel.commitments === undefined) return channel;
  const kept = htlcs
    .filter((h) => !(h.direction === 'received' && h.state === InboundHtlcState.RemoteAnnounced))
    .map((h): HtlcRecord => {
      if (h.direction !== 'offered' || h.state !== OutboundHtlcState.RemoteRemoved) return h;
      const { resolution: _undone, ...rest } = h;
      return { ...rest, state: OutboundHtlcState.Committed };
    });
  const firstForgotten = unsigned.reduce((min, h) => (h.id < min ? h.id : min), channel.commitments.nextCounterpartyHtlcId);
  return { ...channel, htlcs: kept, commitments: { ...channel.commitments, nextCounterpartyHtlcId: firstForgotten } };
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
