/**
 * HTLC updates of a ready channel (BOLT 2 "Normal Operation": "Adding an
 * HTLC: `update_add_htlc`", "Removing an HTLC: `update_fulfill_htlc`,
 * `update_fail_htlc`, and `update_fail_malformed_htlc`"): ours as calls that
 * return the message to send (refused as an `ApiError`, nothing changed),
 * theirs as steps with every receiver check that protects funds (a failed
 * check fails the channel with its `ChannelFailureReason`). Both directions
 * live in `channel.htlcs` (docs/htlcs.md has the state machine).
 *
 * While we await the counterparty's `revoke_and_ack`, our own updates go to
 * the holding cell (LDK's): recorded (`held` / `removal-held`), sent with
 * the `commitment_signed` that follows their revocation
 * (commitment-dance.ts), so every update we sent is in the last
 * `commitment_signed` we sent (what a reconnection relies on).
 */
import { equalConstantTime, sha256 } from '../crypto/index.js';
import type {
  UpdateAddHtlcMessage,
  UpdateFailHtlcMessage,
  UpdateFailMalformedHtlcMessage,
  UpdateFulfillHtlcMessage,
  WireMessage,
} from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import { ChannelState, isOperating, type Channel, type OperatingChannel } from './channel-state.js';
import {
  commitmentStateOf,
  commitmentView,
  funderCostMsat,
  htlcName,
  type CommitmentOwner,
  type CommitmentState,
} from './commitment-state.js';
import { offeredHtlcDustBreach } from './dust-exposure.js';
import type { ChannelEffect, ChannelStep } from './effects.js';
import { ApiErrorCode, ChannelFailureReason, type ApiResult } from './errors.js';
import { InboundHtlcState, OutboundHtlcState, type HtlcRecord, type HtlcResolution } from './htlc.js';

/** BOLT 2: a `cltv_expiry` at or above this is a time, not a block height. */
export const MAX_CLTV_EXPIRY = 500_000_000;

/** BOLT 4 `BADONION`: set in every `update_fail_malformed_htlc` failure code. */
export const BADONION = 0x8000;

/** What we offer in `update_add_htlc`. */
export interface OfferHtlcRequest {
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
  /** The 1,366-byte onion for the next hop. */
  readonly onionRoutingPacket: Uint8Array;
}

/** A channel and its effects after one of our calls. */
export interface HtlcCallResult {
  readonly channel: OperatingChannel;
  readonly effects: readonly ChannelEffect[];
  /** The id of the offered HTLC (`offerHtlc`). */
  readonly htlcId?: bigint;
}

function refuse<T>(code: ApiErrorCode, message: string): ApiResult<T> {
  return { ok: false, error: { code, message } };
}

/** The channel with a new HTLC list and dance state. */
export function withHtlcs(channel: OperatingChannel, htlcs: readonly HtlcRecord[], state: CommitmentState): OperatingChannel {
  const { htlcs: _old, ...rest } = channel;
  void _old;
  return { ...rest, ...(htlcs.length > 0 ? { htlcs } : {}), commitments: state };
}

/**
 * Our channel, for one of our updates: any update while ready; only
 * removals (fulfill, fail) once a `shutdown` was sent or received (BOLT 2:
 * no `update_add_htlc` after `shutdown`, the HTLCs in flight settle first).
 */
function channelForLocalUpdate(channel: Channel, adding: boolean): ApiResult<{ channel: OperatingChannel; state: CommitmentState }> {
  if (adding && channel.state !== ChannelState.Ready) return refuse(ApiErrorCode.ChannelUnavailable, `the channel is ${channel.state}, not ready`);
  if (!isOperating(channel)) return refuse(ApiErrorCode.ChannelUnavailable, `the channel is ${channel.state}, not ready or closing`);
  return { ok: true, value: { channel, state: commitmentStateOf(channel) } };
}

/**
 * The checks BOLT 2 makes of an offer by `sender`, against the receiver's
 * limits, on the receiver's commitment (where the HTLC goes first), and the
 * funder's fee on both commitments. Returns the failed check, or null.
 */
function checkOffer(
  channel: OperatingChannel,
  state: CommitmentState,
  sender: 'holder' | 'counterparty',
  added: HtlcRecord,
): { reason: ChannelFailureReason; message: string } | null {
  const limits = sender === 'holder' ? channel.counterparty : channel.holder;
  const owner: CommitmentOwner = sender === 'holder' ? 'counterparty' : 'holder';
  const direction = sender === 'holder' ? 'offered' : 'received';
  if (added.amountMsat === 0n || added.amountMsat < limits.htlcMinimumMsat) {
    return { reason: ChannelFailureReason.HtlcAmountBelowMinimum, message: `amount ${added.amountMsat} msat below htlc_minimum_msat ${limits.htlcMinimumMsat}` };
  }
  if (added.cltvExpiry >= MAX_CLTV_EXPIRY) {
    return { reason: ChannelFailureReason.CltvExpiryTooLarge, message: `cltv_expiry ${added.cltvExpiry} is not below ${MAX_CLTV_EXPIRY}` };
  }
  const htlcs = [...(channel.htlcs ?? []), added];
  const offered = htlcs.filter((h) => h.direction === direction);
  if (offered.length > limits.maxAcceptedHtlcs) {
    return { reason: ChannelFailureReason.TooManyHtlcs, message: `${offered.length} HTLCs offered, max_accepted_htlcs is ${limits.maxAcceptedHtlcs}` };
  }
  const inFlight = offered.reduce((sum, h) => sum + h.amountMsat, 0n);
  if (inFlight > limits.maxHtlcValueInFlightMsat) {
    return { reason: ChannelFailureReason.HtlcValueInFlightTooLarge, message: `${inFlight} msat in flight, max_htlc_value_in_flight_msat is ${limits.maxHtlcValueInFlightMsat}` };
  }
  const afterState: CommitmentState = sender === 'holder' ? { ...state, holderBalanceMsat: state.holderBalanceMsat - added.amountMsat } : state;
  const view = commitmentView(channel, afterState, owner, htlcs);
  const senderMsat = sender === 'holder' ? view.toHolderMsat : view.toCounterpartyMsat;
  const senderIsFunder = sender === 'holder' ? channel.isOutbound : !channel.isOutbound;
  const fee = senderIsFunder ? funderCostMsat(channel, owner, view) : 0n;
  const reserveMsat = limits.channelReserveSatoshis * 1000n;
  if (afterState.holderBalanceMsat < 0n || senderMsat < reserveMsat + fee) {
    return {
      reason: ChannelFailureReason.HtlcSenderCannotAfford,
      message: `the sender keeps ${senderMsat} msat, below its reserve ${reserveMsat} msat${fee > 0n ? ` plus the commitment fee ${fee} msat` : ''}`,
    };
  }
  // One more HTLC output raises the fee of both commitments: the funder must still pay it on each
  // (else neither commitment could be built; BOLT 3 takes the fee from the funder's output).
  for (const side of ['holder', 'counterparty'] as const) {
    const v = side === owner ? view : commitmentView(channel, afterState, side, htlcs);
    const funderMsat = channel.isOutbound ? v.toHolderMsat : v.toCounterpartyMsat;
    const cost = funderCostMsat(channel, side, v);
    if (funderMsat < cost) {
      return { reason: ChannelFailureReason.FunderCannotPayFee, message: `the funder keeps ${funderMsat} msat on the ${side}'s commitment, below its fee ${cost} msat` };
    }
  }
  return null;
}

/** Offers an HTLC: `update_add_htlc` to send, the HTLC `local-announced`, our balance less its amount. */
export function offerHtlc(ctx: ChannelContext, current: Channel, request: OfferHtlcRequest): ApiResult<HtlcCallResult> {
  const ready = channelForLocalUpdate(current, true);
  if (!ready.ok) return ready;
  const { channel, state } = ready.value;
  if (request.paymentHash.length !== 32) return refuse(ApiErrorCode.ApiMisuse, 'a payment hash is 32 bytes');
  if (request.onionRoutingPacket.length !== 1366) return refuse(ApiErrorCode.ApiMisuse, 'an onion routing packet is 1,366 bytes');
  const id = state.nextHolderHtlcId;
  const added: HtlcRecord = { id, direction: 'offered', state: OutboundHtlcState.LocalAnnounced, amountMsat: request.amountMsat, paymentHash: request.paymentHash, cltvExpiry: request.cltvExpiry };
  const failed = checkOffer(channel, state, 'holder', added);
  if (failed !== null) return refuse(ApiErrorCode.ApiMisuse, `${failed.reason}: ${failed.message}`);
  // Our dust exposure limit (dust-exposure.ts): the peer would take the HTLC, but we could lose it to fees.
  const dust = offeredHtlcDustBreach(channel, ctx.feeEstimator, request.amountMsat);
  if (dust !== null) {
    return refuse(ApiErrorCode.ApiMisuse, `dust-exposure-too-high: dust exposure on the ${dust.commitment}'s commitment would be ${dust.exposureMsat} msat, over the limit ${dust.limitMsat} msat`);
  }
  const next: CommitmentState = { ...state, nextHolderHtlcId: id + 1n, holderBalanceMsat: state.holderBalanceMsat - request.amountMsat };
  if (state.awaitingRemoteRevoke) {
    // The holding cell: checked as if sent now, sent with the commitment_signed after their revoke_and_ack.
    const held: HtlcRecord = { ...added, state: OutboundHtlcState.Held };
    return { ok: true, value: { channel: withHtlcs(channel, [...(channel.htlcs ?? []), held], next), effects: [], htlcId: id } };
  }
  const message: UpdateAddHtlcMessage = {
    type: 128,
    channelId: channel.funding.channelId,
    id,
    amountMsat: request.amountMsat,
    paymentHash: request.paymentHash,
    cltvExpiry: request.cltvExpiry,
    onionRoutingPacket: request.onionRoutingPacket,
  };
  return { ok: true, value: { channel: withHtlcs(channel, [...(channel.htlcs ?? []), added], next), effects: [{ kind: 'send-message', message }], htlcId: id } };
}

/**
 * Takes back our held `update_add_htlc`s from id `fromId` on (LDK drops a
 * holding-cell HTLC about to expire in `best_block_updated`): never sent,
 * they are in no commitment, so they go without a message; their amounts
 * return to our balance and the next HTLC we offer takes id `fromId` again
 * (ids go out in order, and the held HTLCs are the last ones). Refused when
 * an HTLC from `fromId` on is not held (it was sent).
 */
export function withdrawHeldHtlcs(current: Channel, fromId: bigint): ApiResult<{ channel: OperatingChannel; withdrawn: HtlcRecord[] }> {
  if (!isOperating(current)) return refuse(ApiErrorCode.ChannelUnavailable, `the channel is ${current.state}`);
  const channel = current as OperatingChannel;
  const state = commitmentStateOf(channel);
  const htlcs = channel.htlcs ?? [];
  const withdrawn = htlcs.filter((h) => h.direction === 'offered' && h.id >= fromId);
  const sent = withdrawn.find((h) => h.state !== OutboundHtlcState.Held);
  if (sent !== undefined) return refuse(ApiErrorCode.ApiMisuse, `${htlcName(sent)} is ${sent.state}: only held HTLCs can be withdrawn`);
  if (withdrawn.length === 0) return { ok: true, value: { channel, withdrawn } };
  const returned = withdrawn.reduce((sum, h) => sum + h.amountMsat, 0n);
  const next: CommitmentState = { ...state, nextHolderHtlcId: fromId, holderBalanceMsat: state.holderBalanceMsat + returned };
  const kept = htlcs.filter((h) => !(h.direction === 'offered' && h.id >= fromId));
  return { ok: true, value: { channel: withHtlcs(channel, kept, next), withdrawn } };
}

/** Their `update_add_htlc` (BOLT 2 receiver checks): the HTLC `remote-announced`. */
export function handleUpdateAddHtlc(_ctx: ChannelContext, current: Channel, m: UpdateAddHtlcMessage): ChannelStep {
  const channel = current as OperatingChannel;
  // BOLT 2 "Closing Initiation": after their shutdown the peer MUST NOT add an HTLC; a receiver fails the channel.
  if (channel.state === ChannelState.NegotiatingClose) {
    return closeChannel(channel, ChannelFailureReason.AddHtlcAfterShutdown, `update_add_htlc ${m.id} after the peer's shutdown`);
  }
  const state = commitmentStateOf(channel);
  if (m.id !== state.nextCounterpartyHtlcId) {
    return closeChannel(channel, ChannelFailureReason.HtlcIdOutOfOrder, `update_add_htlc id ${m.id}, expected ${state.nextCounterpartyHtlcId}`);
  }
  const added: HtlcRecord = { id: m.id, direction: 'received', state: InboundHtlcState.RemoteAnnounced, amountMsat: m.amountMsat, paymentHash: m.paymentHash, cltvExpiry: m.cltvExpiry };
  const failed = checkOffer(channel, state, 'counterparty', added);
  if (failed !== null) return closeChannel(channel, failed.reason, `update_add_htlc ${m.id}: ${failed.message}`);
  const next: CommitmentState = { ...state, nextCounterpartyHtlcId: m.id + 1n };
  return { channel: withHtlcs(channel, [...(channel.htlcs ?? []), added], next), effects: [] };
}

/** Our removal of a received HTLC, irrevocably committed, as `local-removed` with `resolution`. */
function removeReceived(current: Channel, id: bigint, resolution: HtlcResolution, check?: (h: HtlcRecord) => string | null): ApiResult<{ channel: OperatingChannel; htlc: HtlcRecord }> {
  const ready = channelForLocalUpdate(current, false);
  if (!ready.ok) return ready;
  const { channel, state } = ready.value;
  const htlcs = channel.htlcs ?? [];
  const at = htlcs.findIndex((h) => h.direction === 'received' && h.id === id);
  const htlc = htlcs[at];
  if (htlc === undefined) return refuse(ApiErrorCode.ApiMisuse, `no received HTLC ${id}`);
  if (htlc.state !== InboundHtlcState.Committed) return refuse(ApiErrorCode.ChannelUnavailable, `${htlcName(htlc)} is ${htlc.state}, not committed`);
  const problem = check?.(htlc) ?? null;
  if (problem !== null) return refuse(ApiErrorCode.ApiMisuse, problem);
  const removed: HtlcRecord = { ...htlc, direction: 'received', state: state.awaitingRemoteRevoke ? InboundHtlcState.RemovalHeld : InboundHtlcState.LocalRemoved, resolution };
  return { ok: true, value: { channel: withHtlcs(channel, htlcs.map((h, i) => (i === at ? removed : h)), state), htlc: removed } };
}

/** The message of our removal (its reason passed for a fail: the record keeps only that it has one). */
export function removalMessage(channelId: Uint8Array, h: HtlcRecord, failReason?: Uint8Array): WireMessage | undefined {
  const r = h.resolution;
  if (r?.kind === 'fulfill') return { type: 130, channelId, id: h.id, paymentPreimage: r.preimage };
  if (r?.kind === 'fail-malformed') return { type: 135, channelId, id: h.id, sha256OfOnion: r.sha256OfOnion, failureCode: r.failureCode };
  if (r?.kind === 'fail' && (failReason !== undefined || !r.hasReason)) return { type: 131, channelId, id: h.id, reason: failReason ?? new Uint8Array(0) };
  return undefined;
}

/** Sends `message` now, or not while it waits in the holding cell. */
function sentUnlessHeld(htlc: HtlcRecord, message: WireMessage): ChannelEffect[] {
  return htlc.state === InboundHtlcState.RemovalHeld ? [] : [{ kind: 'send-message', message }];
}

/** Fulfills a received HTLC with its preimage: `update_fulfill_htlc`, and the preimage to the monitor first. */
export function fulfillHtlc(_ctx: ChannelContext, current: Channel, id: bigint, paymentPreimage: Uint8Array): ApiResult<HtlcCallResult> {
  if (paymentPreimage.length !== 32) return refuse(ApiErrorCode.ApiMisuse, 'a payment preimage is 32 bytes');
  const removed = removeReceived(current, id, { kind: 'fulfill', preimage: paymentPreimage }, (h) =>
    equalConstantTime(sha256(paymentPreimage), h.paymentHash) ? null : `the preimage does not hash to the payment hash of HTLC ${id}`,
  );
  if (!removed.ok) return removed;
  const { channel, htlc } = removed.value;
  const message: UpdateFulfillHtlcMessage = { type: 130, channelId: channel.funding.channelId, id, paymentPreimage };
  return {
    ok: true,
    value: { channel, effects: [{ kind: 'monitor-update', steps: [{ kind: 'payment-preimage', paymentPreimage }] }, ...sentUnlessHeld(htlc, message)] },
  };
}

/** Fails a received HTLC back: `update_fail_htlc` with the (encrypted, BOLT 4) reason. */
export function failHtlc(_ctx: ChannelContext, current: Channel, id: bigint, reason: Uint8Array): ApiResult<HtlcCallResult> {
  const removed = removeReceived(current, id, { kind: 'fail', hasReason: reason.length > 0 });
  if (!removed.ok) return removed;
  const message: UpdateFailHtlcMessage = { type: 131, channelId: removed.value.channel.funding.channelId, id, reason };
  return { ok: true, value: { channel: removed.value.channel, effects: sentUnlessHeld(removed.value.htlc, message) } };
}

/** Fails a received HTLC whose onion we could not parse: `update_fail_malformed_htlc` (the code must have BADONION). */
export function failMalformedHtlc(_ctx: ChannelContext, current: Channel, id: bigint, sha256OfOnion: Uint8Array, failureCode: number): ApiResult<HtlcCallResult> {
  if ((failureCode & BADONION) === 0) return refuse(ApiErrorCode.ApiMisuse, `failure code 0x${failureCode.toString(16)} lacks BADONION`);
  if (sha256OfOnion.length !== 32) return refuse(ApiErrorCode.ApiMisuse, 'sha256_of_onion is 32 bytes');
  const removed = removeReceived(current, id, { kind: 'fail-malformed', failureCode, sha256OfOnion });
  if (!removed.ok) return removed;
  const message: UpdateFailMalformedHtlcMessage = { type: 135, channelId: removed.value.channel.funding.channelId, id, sha256OfOnion, failureCode };
  return { ok: true, value: { channel: removed.value.channel, effects: sentUnlessHeld(removed.value.htlc, message) } };
}

/**
 * Their removal of an HTLC we offered: it must be one of ours, irrevocably
 * committed (BOLT 2: "if the `id` does not correspond to an HTLC in its
 * current commitment transaction: MUST fail the channel"; LDK also refuses a
 * removal before the HTLC is committed), and not removed already.
 */
function handleRemoval(
  current: Channel,
  id: bigint,
  name: string,
  resolution: HtlcResolution,
  check?: (h: HtlcRecord) => { reason: ChannelFailureReason; message: string } | null,
  effects: readonly ChannelEffect[] = [],
): ChannelStep {
  const channel = current as OperatingChannel;
  const state = commitmentStateOf(channel);
  const htlcs = channel.htlcs ?? [];
  const at = htlcs.findIndex((h) => h.direction === 'offered' && h.id === id);
  const htlc = htlcs[at];
  if (htlc === undefined) return closeChannel(channel, ChannelFailureReason.UnknownHtlcId, `${name} for HTLC ${id}, which we did not offer`);
  if (htlc.state !== OutboundHtlcState.Committed) return closeChannel(channel, ChannelFailureReason.UnknownHtlcId, `${name} for ${htlcName(htlc)} in state ${htlc.state}`);
  const failed = check?.(htlc) ?? null;
  if (failed !== null) return closeChannel(channel, failed.reason, failed.message);
  const removed: HtlcRecord = { ...htlc, direction: 'offered', state: OutboundHtlcState.RemoteRemoved, resolution };
  return { channel: withHtlcs(channel, htlcs.map((h, i) => (i === at ? removed : h)), state), effects };
}

/** Their `update_fulfill_htlc`: the preimage must hash to the payment hash; the monitor learns it at once (it can claim on chain). */
export function handleUpdateFulfillHtlc(_ctx: ChannelContext, channel: Channel, m: UpdateFulfillHtlcMessage): ChannelStep {
  return handleRemoval(
    channel,
    m.id,
    'update_fulfill_htlc',
    { kind: 'fulfill', preimage: m.paymentPreimage },
    (h) => (equalConstantTime(sha256(m.paymentPreimage), h.paymentHash) ? null : { reason: ChannelFailureReason.PreimageMismatch, message: `update_fulfill_htlc ${m.id}: the preimage does not hash to the payment hash` }),
    [{ kind: 'monitor-update', steps: [{ kind: 'payment-preimage', paymentPreimage: m.paymentPreimage }] }],
  );
}

/** Their `update_fail_htlc` (the reason is for the payment's origin; kept by the manager as a side item). */
export function handleUpdateFailHtlc(_ctx: ChannelContext, channel: Channel, m: UpdateFailHtlcMessage): ChannelStep {
  return handleRemoval(channel, m.id, 'update_fail_htlc', { kind: 'fail', hasReason: m.reason.length > 0 });
}

/** Their `update_fail_malformed_htlc`: BOLT 2 "MUST fail the channel" without the BADONION bit. */
export function handleUpdateFailMalformedHtlc(_ctx: ChannelContext, channel: Channel, m: UpdateFailMalformedHtlcMessage): ChannelStep {
  if ((m.failureCode & BADONION) === 0) {
    return closeChannel(channel, ChannelFailureReason.MalformedWithoutBadOnion, `update_fail_malformed_htlc ${m.id}: failure code 0x${m.failureCode.toString(16)} lacks BADONION`);
  }
  return handleRemoval(channel, m.id, 'update_fail_malformed_htlc', { kind: 'fail-malformed', failureCode: m.failureCode, sha256OfOnion: m.sha256OfOnion });
}
