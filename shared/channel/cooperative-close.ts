/**
 * Cooperative close (BOLT 2 "Channel Close": "Closing Initiation:
 * `shutdown`" and "Legacy Closing Negotiation: `closing_signed`"): both
 * sides send `shutdown` with the script they want to be paid to; HTLCs in
 * flight then settle through the usual commitment dance (no new ones),
 * and once none remains and no update is outstanding either way
 * ({@link closingNegotiationReady}) the funder proposes a fee with a `fee_range`,
 * the fundee answers inside it, and once both signed the same fee the
 * closing transaction (BOLT 3 "Closing Transaction") is broadcast and the
 * channel is `closed` with reason `cooperative-closure` (docs/channel.md
 * "Cooperative close"). LDK's `channel.rs` behaviour: as fundee we take the
 * highest fee of the funder's range we can; as funder we offer up to our
 * normal fee + 1,000 sat.
 */
import type { ChannelSigner } from '../keys/index.js';
import {
  SighashType,
  TxError,
  buildClosingTransaction,
  closingFeeSat,
  finalizeClosing,
  verifyClosingSignature,
  witnessDigest,
  type ClosingTransaction,
} from '../tx/index.js';
import type { ClosingSignedMessage, ShutdownMessage } from '../wire/index.js';
import { channelClosedEvent, closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import {
  ChannelState,
  currentChannelId,
  type Channel,
  type ClosedChannel,
  type ClosingProposal,
  type NegotiatingCloseChannel,
  type ReadyChannel,
  type ShutdownSentChannel,
} from './channel-state.js';
import { ConfirmationTarget, FEERATE_FLOOR_PER_KW } from './config.js';
import type { ChannelEffect, ChannelStep } from './effects.js';
import { ApiErrorCode, ChannelFailureReason as R, type ApiResult } from './errors.js';
import { isValidShutdownScript } from './shutdown-script.js';
import { needsCommitment } from './commitment-dance.js';
import { OutboundHtlcState } from './htlc.js';

/** LDK's `force_close_avoidance_max_fee_satoshis` default: as funder we offer up to our normal fee plus this. */
export const FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS = 1_000n;

/** A channel in one of the phases of a cooperative close. */
type ShuttingDown = ShutdownSentChannel | NegotiatingCloseChannel;

const unchanged = (channel: Channel): ChannelStep => ({ channel, effects: [] });
const refused = (code: ApiErrorCode, message: string): ApiResult<ChannelStep> => ({ ok: false, error: { code, message } });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Each side's balance (msat) as the commitment dance left it (no HTLC is in
 * flight once the negotiation starts): ours is the dance state's; before any payment, the
 * opening split (the funder has the value less `push_msat`).
 */
export function closingBalancesMsat(channel: Channel): { readonly holderMsat: bigint; readonly counterpartyMsat: bigint } {
  const funderMsat = channel.fundingSatoshis * 1000n - channel.pushMsat;
  const holderMsat = channel.commitments?.holderBalanceMsat ?? (channel.isOutbound ? funderMsat : channel.pushMsat);
  return { holderMsat, counterpartyMsat: channel.fundingSatoshis * 1000n - holderMsat };
}

/** The most the funder can pay: its balance in whole satoshis. */
function funderBalanceSat(channel: Channel): bigint {
  const { holderMsat, counterpartyMsat } = closingBalancesMsat(channel);
  return (channel.isOutbound ? holderMsat : counterpartyMsat) / 1000n;
}

/** The script our `shutdown` names: the upfront one when we committed one, else `ourScript`, else the SignerProvider's. Null with a reason when refused. */
function chooseOurScript(ctx: ChannelContext, channel: Channel, ourScript: Uint8Array | undefined): { script: Uint8Array } | { error: string } {
  const upfront = channel.holderShutdownScript;
  if (upfront !== undefined && upfront.length > 0) {
    if (ourScript !== undefined && !sameBytes(ourScript, upfront)) return { error: 'we committed to an upfront shutdown script: the close must pay to it' };
    return { script: upfront };
  }
  const script = ourScript ?? ctx.signerProvider.getShutdownScriptpubkey();
  if (!isValidShutdownScript(script, channel.anysegwit === true)) return { error: 'the shutdown script is not a P2PKH, P2SH, P2WPKH, P2WSH (or, with anysegwit, witness v1..v16) script' };
  return { script: Uint8Array.from(script) };
}

function shutdownMessage(channel: Channel, script: Uint8Array): ShutdownMessage {
  return { type: 38, channelId: currentChannelId(channel), scriptpubkey: script };
}

/** An `update_add_htlc` of ours waits in the holding cell: after `shutdown` it could never go out (BOLT 2). */
function holdsAnAdd(channel: Channel): boolean {
  return (channel.htlcs ?? []).some((h) => h.direction === 'offered' && h.state === OutboundHtlcState.Held);
}

/**
 * Starts a cooperative close (LDK's `close_channel`): our `shutdown`, paying
 * to our upfront shutdown script when we committed one (then `ourScript`,
 * if given, must be it), else `ourScript`, else the SignerProvider's
 * shutdown script; checked to be a BOLT 2 shutdown form. Only from `ready`
 * (`channel-unavailable`); a bad script is `api-misuse`. HTLCs in flight do
 * not stop it: they settle before `closing_signed`. Refused
 * (`channel-unavailable`) only while an update of ours is not covered by a
 * `commitment_signed` we sent (BOLT 2: no `shutdown` with updates pending
 * on the peer's commitment; at rest every sent update is signed at once),
 * or an `update_add_htlc` of ours waits in the holding cell (it could not
 * be sent after `shutdown`): try again once the dance moved on.
 */
export function closeChannelCooperatively(ctx: ChannelContext, channel: Channel, ourScript?: Uint8Array): ApiResult<ChannelStep> {
  if (channel.state !== ChannelState.Ready) return refused(ApiErrorCode.ChannelUnavailable, `a cooperative close starts from ready, not ${channel.state}`);
  if (holdsAnAdd(channel)) return refused(ApiErrorCode.ChannelUnavailable, 'an HTLC of ours waits for the peer\'s revoke_and_ack: try again once it is sent');
  if (channel.commitments?.awaitingRemoteRevoke !== true && needsCommitment(channel)) {
    return refused(ApiErrorCode.ChannelUnavailable, 'updates of ours are not signed yet: try again after our commitment_signed');
  }
  const chosen = chooseOurScript(ctx, channel, ourScript);
  if ('error' in chosen) return refused(ApiErrorCode.ApiMisuse, chosen.error);
  const next: ShutdownSentChannel = { ...channel, state: ChannelState.ShutdownSent, shutdown: { holderScript: chosen.script } };
  return { ok: true, value: { channel: next, effects: [{ kind: 'send-message', message: shutdownMessage(channel, chosen.script) }] } };
}

/**
 * The peer's `shutdown` (BOLT 2 receiver requirements), in `ready` or a
 * closing phase: a shutdown form for the negotiated features
 * (`invalid-shutdown-script`); equal to their upfront script when they
 * committed one, and to their earlier `shutdown` when this is a repeat
 * (`shutdown-script-mismatch`; the same script again is a retransmission,
 * ignored). HTLCs in flight are fine (they settle first); an
 * `update_add_htlc` of ours still in the holding cell is not
 * (`shutdown-with-htlcs`: it could never be sent). We answer with our
 * `shutdown` if not sent yet; the channel is `negotiating-close`, and the
 * funder sends its first `closing_signed` at once when
 * {@link closingNegotiationReady}, else after the step that makes it so
 * ({@link maybeProposeClosingSigned}).
 */
export function handleShutdown(ctx: ChannelContext, channel: Channel, m: ShutdownMessage): ChannelStep {
  if (channel.state !== ChannelState.Ready && channel.state !== ChannelState.ShutdownSent && channel.state !== ChannelState.NegotiatingClose) {
    return closeChannel(channel, R.UnexpectedMessage, `shutdown in state ${channel.state}`);
  }
  if (holdsAnAdd(channel)) return closeChannel(channel, R.ShutdownWithHtlcs, 'shutdown while an update_add_htlc of ours waits in the holding cell');
  const anysegwit = channel.anysegwit === true;
  if (!isValidShutdownScript(m.scriptpubkey, anysegwit)) {
    return closeChannel(channel, R.InvalidShutdownScript, `shutdown scriptpubkey is not a P2PKH, P2SH, P2WPKH, P2WSH${anysegwit ? ' or witness v1..v16' : ''} script`);
  }
  const upfront = channel.counterparty.upfrontShutdownScript;
  if (upfront !== undefined && upfront.length > 0 && !sameBytes(upfront, m.scriptpubkey)) {
    return closeChannel(channel, R.ShutdownScriptMismatch, 'shutdown scriptpubkey is not their upfront_shutdown_script');
  }
  const previous = channel.state === ChannelState.Ready ? undefined : channel.shutdown.counterpartyScript;
  if (previous !== undefined) {
    if (!sameBytes(previous, m.scriptpubkey)) return closeChannel(channel, R.ShutdownScriptMismatch, 'a second shutdown with a different scriptpubkey');
    // A retransmission. After a reconnection (channel-reestablish.ts) the funder has forgotten its proposal: it proposes again.
    return maybeProposeClosingSigned(ctx, unchanged(channel));
  }
  const effects: ChannelEffect[] = [];
  let holderScript: Uint8Array;
  if (channel.state === ChannelState.Ready) {
    const chosen = chooseOurScript(ctx, channel, undefined);
    if ('error' in chosen) return closeChannel(channel, R.InvalidShutdownScript, `our ${chosen.error}`);
    holderScript = chosen.script;
    effects.push({ kind: 'send-message', message: shutdownMessage(channel, holderScript) });
  } else {
    holderScript = channel.shutdown.holderScript;
  }
  const negotiating: NegotiatingCloseChannel = {
    ...(channel as ReadyChannel | ShuttingDown),
    state: ChannelState.NegotiatingClose,
    shutdown: { holderScript, counterpartyScript: Uint8Array.from(m.scriptpubkey) },
  };
  return maybeProposeClosingSigned(ctx, { channel: negotiating, effects });
}

/**
 * Whether the `closing_signed` negotiation may start (BOLT 2: only once no
 * HTLC remains and no update is outstanding; LDK's
 * `closing_negotiation_ready`): both `shutdown`s exchanged, no HTLC in
 * either direction, no fee update pending, no `revoke_and_ack` awaited,
 * no `commitment_signed` owed by the peer (`expectingCommitmentSigned`) or
 * by us.
 */
export function closingNegotiationReady(channel: Channel): channel is NegotiatingCloseChannel {
  if (channel.state !== ChannelState.NegotiatingClose) return false;
  if ((channel.htlcs ?? []).length > 0 || channel.pendingFeeUpdate !== undefined) return false;
  if (channel.commitments?.awaitingRemoteRevoke === true || channel.expectingCommitmentSigned === true) return false;
  return !needsCommitment(channel);
}

/**
 * After a step of a closing channel: when we are the funder, have not
 * proposed yet and the negotiation may start ({@link closingNegotiationReady}),
 * our first `closing_signed` follows the step's effects. Any other step is
 * returned unchanged. The channel-level routing table calls it after each
 * step of the commitment dance (channel-messages.ts).
 */
export function maybeProposeClosingSigned(ctx: ChannelContext, step: ChannelStep): ChannelStep {
  const channel = step.channel;
  if (!closingNegotiationReady(channel) || !channel.isOutbound || channel.shutdown.sent !== undefined) return step;
  return funderProposes(ctx, channel, [...step.effects]);
}

/** The funder's first `closing_signed`, once both shutdowns are exchanged (after `effects`): the fee at its normal target, with its range. */
function funderProposes(ctx: ChannelContext, negotiating: NegotiatingCloseChannel, effects: ChannelEffect[]): ChannelStep {
  const proposal = ourFeeRange(ctx, negotiating);
  const signer = signerOf(ctx, negotiating);
  const closing = closingTransaction(signer, negotiating, proposal.feeSatoshis, negotiating.holder.dustLimitSatoshis, false);
  if (closing === null) return closeChannel(negotiating, R.ClosingFeeOutOfRange, `the channel cannot pay a closing fee of ${proposal.feeSatoshis} sat`);
  effects.push({ kind: 'send-message', message: closingSigned(negotiating, proposal, signClosingWith(signer, closing)) });
  return { channel: { ...negotiating, shutdown: { ...negotiating.shutdown, sent: proposal } }, effects };
}

function signerOf(ctx: ChannelContext, channel: Channel): ChannelSigner {
  return ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
}

/** The fee of the closing transaction at the estimator's feerate for `target`. */
function feeAt(ctx: ChannelContext, channel: NegotiatingCloseChannel, target: number): bigint {
  const feerate = ctx.feeEstimator.feeRatePerKw(target);
  const perKw = feerate > BigInt(FEERATE_FLOOR_PER_KW) ? feerate : BigInt(FEERATE_FLOOR_PER_KW);
  return closingFeeSat(perKw, channel.shutdown.holderScript, channel.shutdown.counterpartyScript ?? channel.shutdown.holderScript);
}

/**
 * The fees we accept (LDK's `calculate_closing_fee_limits`): from the fee
 * at `ChannelCloseMinimum` (144 blocks); up to, as funder, the fee at
 * `NonAnchorChannelFee` (12 blocks) + 1,000 sat, as fundee the funder's
 * whole balance. The funder proposes the 12-block fee. All capped at the
 * funder's balance.
 */
export function ourFeeRange(ctx: ChannelContext, channel: NegotiatingCloseChannel): ClosingProposal {
  const cap = funderBalanceSat(channel);
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  const normal = min(feeAt(ctx, channel, ConfirmationTarget.NonAnchorChannelFee), cap);
  const minimum = min(feeAt(ctx, channel, ConfirmationTarget.ChannelCloseMinimum), normal);
  const maximum = channel.isOutbound ? min(normal + FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS, cap) : cap;
  return { feeSatoshis: normal, minFeeSatoshis: minimum, maxFeeSatoshis: maximum };
}

/**
 * The closing transaction paying `feeSat` (BOLT 3), outputs below
 * `dustLimitSat` dropped, and the counterparty's output omitted with
 * `omitTheirs` (BOLT 3: a signer MAY eliminate its own output). Null when
 * the funder cannot pay the fee or no output would remain.
 */
function closingTransaction(signer: ChannelSigner, channel: NegotiatingCloseChannel, feeSat: bigint, dustLimitSat: bigint, omitTheirs: boolean): ClosingTransaction | null {
  const { holderMsat, counterpartyMsat } = closingBalancesMsat(channel);
  let closing: ClosingTransaction;
  try {
    closing = buildClosingTransaction({
      fundingOutpoint: channel.funding.outpoint,
      fundingSat: channel.fundingSatoshis,
      localFundingPubkey: signer.publicKeys.fundingPubkey,
      remoteFundingPubkey: channel.counterparty.pubkeys.fundingPubkey,
      localScriptPubKey: channel.shutdown.holderScript,
      remoteScriptPubKey: channel.shutdown.counterpartyScript ?? channel.shutdown.holderScript,
      toLocalMsat: holderMsat,
      toRemoteMsat: counterpartyMsat,
      localIsOpener: channel.isOutbound,
      feeSat,
      dustLimitSat,
    });
  } catch (e) {
    if (e instanceof TxError) return null;
    throw e;
  }
  const theirs = closing.remoteOutputIndex;
  if (!omitTheirs || theirs === null) return omitTheirs ? null : closing;
  if (closing.localOutputIndex === null) return null;
  const tx = closing.tx.clone();
  tx.outs.splice(theirs, 1);
  return { ...closing, tx, remoteOutputIndex: null, localOutputIndex: tx.outs.length === 1 ? 0 : closing.localOutputIndex };
}

/**
 * BOLT 3 "Dust Limits": the smallest output Bitcoin Core relays for
 * `script`: P2PKH 546, P2SH 540, P2WPKH 294, P2WSH 330, other witness
 * programs 354 sat.
 */
export function scriptDustLimitSat(script: Uint8Array): bigint {
  if (script.length === 25 && script[0] === 0x76) return 546n;
  if (script.length === 23 && script[0] === 0xa9) return 540n;
  if (script.length === 22 && script[0] === 0x00) return 294n;
  if (script.length === 34 && script[0] === 0x00) return 330n;
  return 354n;
}

function signClosingWith(signer: ChannelSigner, closing: ClosingTransaction): Uint8Array {
  return signer.signWithFundingKey(witnessDigest(closing.tx, 0, closing.fundingScript, closing.params.fundingSat, SighashType.All));
}

function closingSigned(channel: Channel, p: ClosingProposal, signature: Uint8Array): ClosingSignedMessage {
  return {
    type: 39,
    channelId: currentChannelId(channel),
    feeSatoshis: p.feeSatoshis,
    signature,
    feeRange: { minFeeSatoshis: p.minFeeSatoshis, maxFeeSatoshis: p.maxFeeSatoshis },
  };
}

/**
 * The closing transaction `signature` signs at `feeSat`: BOLT 2 accepts
 * either BOLT 3 variant (the signer's dust limit applied; the signer's own
 * output eliminated); built with their dust limit, then ours (LDK builds
 * with its own).
 */
function verifiedClosing(ctx: ChannelContext, signer: ChannelSigner, channel: NegotiatingCloseChannel, feeSat: bigint, signature: Uint8Array): ClosingTransaction | null {
  const limits = [channel.counterparty.dustLimitSatoshis, channel.holder.dustLimitSatoshis];
  for (const dust of limits) {
    for (const omitTheirs of [false, true]) {
      const closing = closingTransaction(signer, channel, feeSat, dust, omitTheirs);
      if (closing !== null && verifyClosingSignature(ctx.secp, closing, signature, channel.counterparty.pubkeys.fundingPubkey)) return closing;
    }
  }
  return null;
}

/**
 * Both signed `closing`: the channel is `closed` (`cooperative-closure`,
 * the closing txid recorded); effects: `reply` if any, broadcast of the
 * closing transaction, `ChannelClosed`.
 */
function agreed(channel: NegotiatingCloseChannel, closing: ClosingTransaction, ours: Uint8Array, theirs: Uint8Array, sent: ClosingProposal, reply: ClosingSignedMessage | null): ChannelStep {
  const tx = finalizeClosing(closing, ours, theirs);
  const message = `cooperative close, fee ${closing.params.feeSat} sat`;
  const closed: ClosedChannel = {
    ...channel,
    state: ChannelState.Closed,
    shutdown: { ...channel.shutdown, sent },
    closure: { reason: R.CooperativeClosure, message },
    closingTxid: Uint8Array.from(tx.getHash()),
  };
  const effects: ChannelEffect[] = [];
  if (reply !== null) effects.push({ kind: 'send-message', message: reply });
  effects.push({ kind: 'broadcast', tx: Uint8Array.from(tx.toBuffer()) });
  effects.push({ kind: 'event', event: channelClosedEvent(channel, R.CooperativeClosure, message) });
  return { channel: closed, effects };
}

/**
 * The peer's `closing_signed` (BOLT 2 receiver requirements, with
 * `fee_range`; a message without one is taken as the range of its fee
 * alone). The fee must be in its own range and payable by the funder, the
 * signature must sign a closing transaction at that fee
 * (`bad-closing-signature`). Then: the fee we last sent ⇒ agreed,
 * broadcast. As funder: a fee inside both ranges ⇒ we reply with it and
 * broadcast. As fundee, first time: we take the highest fee in both ranges
 * (LDK) and either agree (it is theirs) or counter-propose it; a later
 * different fee is `closing-fee-mismatch`. No overlap, or a fee outside
 * ours, is `closing-fee-out-of-range`; an output below its script's dust
 * limit (BOLT 3) is `closing-output-below-dust`.
 */
export function handleClosingSigned(ctx: ChannelContext, channel: Channel, m: ClosingSignedMessage): ChannelStep {
  if (channel.state !== ChannelState.NegotiatingClose) return closeChannel(channel, R.UnexpectedMessage, `closing_signed in state ${channel.state}`);
  const inFlight = (channel.htlcs ?? []).length;
  if (inFlight > 0) return closeChannel(channel, R.ClosingSignedWithHtlcs, `closing_signed while ${inFlight} HTLC${inFlight === 1 ? ' is' : 's are'} still in flight`);
  const fee = m.feeSatoshis;
  const theirMin = m.feeRange?.minFeeSatoshis ?? fee;
  const theirMax = m.feeRange?.maxFeeSatoshis ?? fee;
  if (fee < theirMin || fee > theirMax) return closeChannel(channel, R.ClosingFeeOutOfRange, `fee_satoshis ${fee} is outside their fee_range ${theirMin}..${theirMax}`);
  if (fee > funderBalanceSat(channel)) return closeChannel(channel, R.ClosingFeeOutOfRange, `fee_satoshis ${fee} is above the funder's balance ${funderBalanceSat(channel)}`);
  const signer = signerOf(ctx, channel);
  const closing = verifiedClosing(ctx, signer, channel, fee, m.signature);
  if (closing === null) return closeChannel(channel, R.BadClosingSignature, `closing_signed signature does not sign the closing transaction paying ${fee} sat`);
  const dust = closing.tx.outs.find((o) => BigInt(o.value) < scriptDustLimitSat(Uint8Array.from(o.script)));
  if (dust !== undefined) return closeChannel(channel, R.ClosingOutputBelowDust, `a closing output of ${dust.value} sat is below the dust limit of its script`);
  const sent = channel.shutdown.sent;
  if (sent !== undefined && fee === sent.feeSatoshis) return agreed(channel, closing, signClosingWith(signer, closing), m.signature, sent, null);
  const ours = sent ?? ourFeeRange(ctx, channel);
  const low = ours.minFeeSatoshis > theirMin ? ours.minFeeSatoshis : theirMin;
  const high = ours.maxFeeSatoshis < theirMax ? ours.maxFeeSatoshis : theirMax;
  if (low > high) return closeChannel(channel, R.ClosingFeeOutOfRange, `no overlap between their fee_range ${theirMin}..${theirMax} and ours ${ours.minFeeSatoshis}..${ours.maxFeeSatoshis}`);
  if (channel.isOutbound || sent !== undefined) {
    if (!channel.isOutbound) return closeChannel(channel, R.ClosingFeeMismatch, `fee_satoshis ${fee} is not the ${sent?.feeSatoshis} sat we answered`);
    if (fee < low || fee > high) return closeChannel(channel, R.ClosingFeeOutOfRange, `fee_satoshis ${fee} is outside our fee_range ${ours.minFeeSatoshis}..${ours.maxFeeSatoshis}`);
    const signature = signClosingWith(signer, closing);
    const reply = { ...ours, feeSatoshis: fee };
    return agreed(channel, closing, signature, m.signature, reply, closingSigned(channel, reply, signature));
  }
  // Fundee, first answer: the highest fee both accept (the funder pays it).
  const proposal: ClosingProposal = { ...ours, feeSatoshis: high };
  if (high === fee) {
    const signature = signClosingWith(signer, closing);
    return agreed(channel, closing, signature, m.signature, proposal, closingSigned(channel, proposal, signature));
  }
  const counter = closingTransaction(signer, channel, high, channel.holder.dustLimitSatoshis, false);
  if (counter === null) return closeChannel(channel, R.ClosingFeeOutOfRange, `the channel cannot pay a closing fee of ${high} sat`);
  const next: NegotiatingCloseChannel = { ...channel, shutdown: { ...channel.shutdown, sent: proposal } };
  return { channel: next, effects: [{ kind: 'send-message', message: closingSigned(channel, proposal, signClosingWith(signer, counter)) }] };
}
