/**
 * From signed first commitments to a usable channel (BOLT 2, "The
 * `channel_ready` Message"): the funding transaction's confirmations,
 * `channel_ready` both ways, a reorg before `channel_ready`, and the
 * deadline after which an unfunded inbound channel is forgotten.
 */
import type { Transaction } from 'bitcoinjs-lib';
import { equalConstantTime } from '../crypto/index.js';
import { INITIAL_COMMITMENT_INDEX } from '../keys/index.js';
import { fundingOutputScript, parseTransaction } from '../tx/index.js';
import type { ChannelReadyMessage } from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import { shortChannelIdOf } from './channel-id.js';
import {
  ChannelState,
  type AwaitingChannelReady,
  type AwaitingConfirmation,
  type Channel,
  type FundingConfirmation,
  type FundingInfo,
  type ReadyChannel,
} from './channel-state.js';
import { FUNDING_CONF_DEADLINE_BLOCKS } from './config.js';
import type { ChannelEffect, ChannelFailure, ChannelStep } from './effects.js';
import { ChannelFailureReason as R } from './errors.js';

function unchanged(channel: Channel): ChannelStep {
  return { channel, effects: [] };
}

/** Confirmations of the funding transaction at the channel's best height (0 when unconfirmed). */
export function fundingDepth(channel: Channel): number {
  const conf = channel.confirmation;
  return conf === undefined ? 0 : Math.max(0, channel.bestHeight - conf.height + 1);
}

/** The channel's real `short_channel_id`, once its funding transaction confirmed. */
export function shortChannelIdOfChannel(channel: Channel): bigint | null {
  if (channel.confirmation === undefined || channel.funding === undefined) return null;
  return shortChannelIdOf(channel.confirmation.height, channel.confirmation.txIndex, channel.funding.outpoint.index);
}

function readyEvent(channel: ReadyChannel): ChannelEffect {
  return {
    kind: 'event',
    event: {
      kind: 'channel-ready',
      channelId: channel.funding.channelId,
      counterpartyNodeId: channel.counterpartyNodeId,
      userChannelId: channel.userChannelId,
      shortChannelId: shortChannelIdOf(channel.confirmation.height, channel.confirmation.txIndex, channel.funding.outpoint.index),
    },
  };
}

/**
 * Our `channel_ready` for a funded channel: our second per-commitment point,
 * with our `short_channel_id` alias unless the channel is announced. The
 * manager also re-sends it after a reconnection (BOLT 2 retransmission).
 */
export function ourChannelReady(ctx: ChannelContext, channel: Channel & { readonly funding: FundingInfo }): ChannelReadyMessage {
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  return {
    type: 36,
    channelId: channel.funding.channelId,
    secondPerCommitmentPoint: signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - 1n),
    ...(channel.channelType.scidAlias || !channel.announceChannel ? { shortChannelId: channel.holderAlias } : {}),
  };
}

/**
 * Sends our `channel_ready` once the funding transaction is `minimumDepth`
 * deep; the channel is ready if theirs already came. Includes our
 * `short_channel_id` alias unless the channel is announced (BOLT 2: MUST
 * with `option_scid_alias`; LDK always sends one).
 */
function maybeSendChannelReady(ctx: ChannelContext, channel: AwaitingConfirmation): ChannelStep {
  const confirmation = channel.confirmation;
  if (confirmation === undefined || fundingDepth(channel) < channel.minimumDepth) return unchanged(channel);
  const send: ChannelEffect = { kind: 'send-message', message: ourChannelReady(ctx, channel) };
  if (channel.theirChannelReady !== undefined) {
    const next: ReadyChannel = { ...channel, state: ChannelState.Ready, confirmation, theirChannelReady: channel.theirChannelReady };
    return { channel: next, effects: [send, readyEvent(next)] };
  }
  const next: AwaitingChannelReady = { ...channel, state: ChannelState.AwaitingChannelReady, confirmation };
  return { channel: next, effects: [send] };
}

/**
 * What the chain showed of a funding transaction: all a channel needs to
 * judge it (not the whole transaction: a block's follow-ups carry this for
 * each channel, docs/follow-ups.md). `output` is the one at the channel's
 * funding index, absent when the transaction has no such output.
 */
export interface FundingSeen {
  /** Internal byte order. */
  readonly txid: Uint8Array;
  readonly coinbase: boolean;
  readonly outputCount: number;
  readonly output?: { readonly script: Uint8Array; readonly valueSat: bigint };
}

/** What `tx` shows of the funding output at `index`. */
export function fundingSeenIn(tx: Transaction, index: number): FundingSeen {
  const output = tx.outs[index];
  return {
    txid: tx.getHash(),
    coinbase: tx.isCoinbase(),
    outputCount: tx.outs.length,
    ...(output === undefined ? {} : { output: { script: Uint8Array.from(output.script), valueSat: output.value } }),
  };
}

/**
 * Whether the confirmed funding transaction can fund `channel`: not a
 * coinbase (position 0 in its block), and its output at the funding index
 * is the P2WSH of the 2-of-2 funding script paying exactly
 * `funding_satoshis` (BOLT 3 "Funding Transaction Output"; LDK checks the
 * same in `transactions_confirmed`). The fundee learns the outpoint from
 * `funding_created` only, so this is the first time it sees what the funder
 * really built. Null when it can.
 */
export function checkFundingOutput(ctx: ChannelContext, channel: AwaitingConfirmation, seen: FundingSeen, position: number): ChannelFailure | null {
  if (position === 0 || seen.coinbase) {
    return { reason: R.FundingTxCoinbase, message: 'the funding transaction is a coinbase transaction' };
  }
  const { index } = channel.funding.outpoint;
  const output = seen.output;
  if (output === undefined) {
    return { reason: R.FundingTxMismatch, message: `the funding transaction has no output ${index} (it has ${seen.outputCount})` };
  }
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const script = fundingOutputScript(signer.publicKeys.fundingPubkey, channel.counterparty.pubkeys.fundingPubkey);
  if (!equalConstantTime(output.script, script)) {
    return { reason: R.FundingTxMismatch, message: `output ${index} of the funding transaction does not pay the channel's 2-of-2 funding script` };
  }
  if (output.valueSat !== channel.fundingSatoshis) {
    return { reason: R.FundingTxMismatch, message: `output ${index} of the funding transaction pays ${output.valueSat} sat, not funding_satoshis ${channel.fundingSatoshis}` };
  }
  return null;
}

/**
 * The funding transaction confirmed (LDK `transactions_confirmed`): `fundingTx`
 * (serialized) at `height`, index `txIndex`, in block `blockHash`. Bytes that
 * do not hash to the funding txid are not this channel's funding and change
 * nothing. A funding output that is not what was agreed (wrong script, wrong
 * value, missing index) or a coinbase funding closes the channel
 * (`funding-tx-mismatch`, `funding-tx-coinbase`): `error` to the peer,
 * `ChannelClosed`; the manager broadcasts no commitment for them.
 */
export function fundingTransactionConfirmed(ctx: ChannelContext, channel: Channel, confirmation: FundingConfirmation, fundingTx: Uint8Array): ChannelStep {
  if (channel.state !== ChannelState.AwaitingConfirmation) return unchanged(channel);
  const tx = parseTransaction(fundingTx);
  if (tx === null) return unchanged(channel);
  return fundingConfirmed(ctx, channel, confirmation, fundingSeenIn(tx, channel.funding.outpoint.index));
}

/** {@link fundingTransactionConfirmed} from what the chain showed of the transaction ({@link FundingSeen}). */
export function fundingConfirmed(ctx: ChannelContext, channel: Channel, confirmation: FundingConfirmation, seen: FundingSeen): ChannelStep {
  if (channel.state !== ChannelState.AwaitingConfirmation) return unchanged(channel);
  if (!equalConstantTime(seen.txid, channel.funding.outpoint.txid)) return unchanged(channel);
  const mismatch = checkFundingOutput(ctx, channel, seen, confirmation.txIndex);
  if (mismatch !== null) return closeChannel(channel, mismatch.reason, mismatch.message);
  const next: AwaitingConfirmation = { ...channel, confirmation, bestHeight: Math.max(channel.bestHeight, confirmation.height) };
  const step = maybeSendChannelReady(ctx, next);
  return step.channel === next && channel.confirmation !== undefined && sameConfirmation(channel.confirmation, confirmation) ? unchanged(channel) : step;
}

function sameConfirmation(a: FundingConfirmation, b: FundingConfirmation): boolean {
  return a.height === b.height && a.txIndex === b.txIndex && a.blockHash.every((x, i) => x === b.blockHash[i]);
}

/**
 * The funding transaction left the best chain (LDK `transaction_unconfirmed`).
 * Before our `channel_ready` the channel goes back to waiting; after it the
 * channel is failed (LDK force-closes such a channel: the manager broadcasts
 * the monitor's commitment).
 */
export function fundingTransactionUnconfirmed(_ctx: ChannelContext, channel: Channel): ChannelStep {
  switch (channel.state) {
    case ChannelState.AwaitingConfirmation: {
      if (channel.confirmation === undefined) return unchanged(channel);
      const next: AwaitingConfirmation = { ...channel };
      delete (next as { confirmation?: FundingConfirmation }).confirmation;
      return { channel: next, effects: [] };
    }
    case ChannelState.AwaitingChannelReady:
    case ChannelState.Ready:
    case ChannelState.ShutdownSent:
    case ChannelState.NegotiatingClose:
      return closeChannel(channel, R.FundingReorgedOut, 'the funding transaction was reorganized out after channel_ready');
    default:
      return unchanged(channel);
  }
}

/**
 * A new best block (LDK `best_block_updated`): sends `channel_ready` at the
 * minimum depth; forgets an inbound channel whose funding transaction did not
 * confirm within 2,016 blocks of `funding_signed`.
 */
export function bestBlockUpdated(ctx: ChannelContext, channel: Channel, height: number): ChannelStep {
  if (channel.state === ChannelState.Closed || height === channel.bestHeight) return unchanged(channel);
  const moved = { ...channel, bestHeight: height } as Channel;
  if (moved.state !== ChannelState.AwaitingConfirmation) return { channel: moved, effects: [] };
  if (moved.confirmation === undefined) {
    if (!moved.isOutbound && height >= moved.fundingSignedAtHeight + FUNDING_CONF_DEADLINE_BLOCKS) {
      return closeChannel(moved, R.FundingTimedOut, `the funding transaction did not confirm within ${FUNDING_CONF_DEADLINE_BLOCKS} blocks`);
    }
    return { channel: moved, effects: [] };
  }
  return maybeSendChannelReady(ctx, moved);
}

/**
 * The counterparty's `channel_ready`. Before our own it is kept; after it
 * the channel is ready. A repeat in `ready` is ignored (a retransmission).
 */
export function handleChannelReady(ctx: ChannelContext, channel: Channel, m: ChannelReadyMessage): ChannelStep {
  const theirs = { secondPerCommitmentPoint: m.secondPerCommitmentPoint, ...(m.shortChannelId !== undefined ? { alias: m.shortChannelId } : {}) };
  switch (channel.state) {
    case ChannelState.AwaitingConfirmation:
    case ChannelState.AwaitingChannelReady: {
      if (!m.channelId.every((b, i) => b === channel.funding.channelId[i])) return closeChannel(channel, R.WrongChannelId, 'channel_ready for another channel_id');
      if (!ctx.secp.isValidPublicKey(m.secondPerCommitmentPoint)) return closeChannel(channel, R.InvalidPoint, 'second_per_commitment_point is not a valid point');
      if (channel.state === ChannelState.AwaitingConfirmation) return { channel: { ...channel, theirChannelReady: theirs }, effects: [] };
      const next: ReadyChannel = { ...channel, state: ChannelState.Ready, theirChannelReady: theirs };
      return { channel: next, effects: [readyEvent(next)] };
    }
    case ChannelState.Ready:
      return unchanged(channel);
    default:
      return closeChannel(channel, R.UnexpectedMessage, `channel_ready in state ${channel.state}`);
  }
}
