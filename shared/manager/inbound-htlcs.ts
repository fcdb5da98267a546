/**
 * HTLCs the peer offers us (docs/payments-inbound.md; LDK's
 * `process_pending_htlc_forwards` for receives, `claim_funds`,
 * `fail_htlc_backwards`):
 *
 * - `update_add_htlc`: the channel takes it; its onion is written once, as
 *   the `ONION#` record.
 * - `revoke_and_ack` that makes received HTLCs irrevocably committed: one
 *   `received-htlcs` follow-up for the channel (the records it needs are
 *   then named by the follow-up, so the load plan reads exactly them).
 * - The follow-up peels each onion and decides: a part of a payment to us
 *   (collected in the `CLAIMABLE#` record until the parts add up:
 *   `PaymentClaimable`), or failed back with the BOLT 4 failure wrapped
 *   for the sender (`update_fail_htlc`; a packet we cannot read:
 *   `update_fail_malformed_htlc`), or forwarded to the next channel
 *   (forwarding.ts; docs/forwarding.md).
 * - `claimFunds(preimage)`: every part is fulfilled (the preimage goes to
 *   each channel's monitor in the same commit) and `PaymentClaimed`;
 *   `failHtlcBackwards(hash)`: every part gets
 *   `incorrect_or_unknown_payment_details`.
 */
import {
  ChannelState,
  InboundHtlcState,
  PERMANENT_CHANNEL_FAILURE,
  checkIncomingHtlcAdmission,
  isOperating,
  failHtlc,
  failMalformedHtlc,
  fulfillHtlc,
  sendCommitmentSigned,
  type Channel,
  type ChannelEffect,
  type HtlcCallResult,
  type HtlcRecord,
  type OnionEntry,
  type OperatingChannel,
  TEMPORARY_CHANNEL_FAILURE,
} from '../channel/index.js';
import { equalBytes } from '../codec/index.js';
import { sha256, toHex } from '../crypto/index.js';
import {
  createFailurePacket,
  decodeHopPayload,
  failureMessage,
  type FailureMessage,
} from '../onion/index.js';
import type { UpdateAddHtlcMessage, RevokeAndAckMessage } from '../wire/index.js';
import { channelKey, type ChannelItem, type ChannelKey } from './channel-entry.js';
import { mppKey } from './channel-indexes.js';
import { addPart, decodeClaimablePayment, encodeClaimablePayment, receivedMsat, type ClaimablePayment } from './claimable-payments.js';
import type { FollowUpWork, ReceivedHtlcRef } from './follow-up.js';
import { expandInboundPaymentKey } from './inbound-payment.js';
import { channelContext, log, type ManagerCore } from './manager-core.js';
import { ApiErrorCode, ManagerError, ManagerErrorCode, type ApiResult } from './manager-errors.js';
import { applyStep, stepChannel, type ChannelTarget } from './channel-step.js';
import { RecordKeys } from './payment-records.js';
import { checkReceivedHtlc, unknownPaymentDetails } from './receive-checks.js';
import { forwardHtlc } from './forwarding.js';
import { decodeReceivedOnion, peelReceivedOnion, receivedOnionRecord } from './received-onion.js';

/** The route of `update_add_htlc`: the channel's step, then the onion of an HTLC it took, written once. */
export function onUpdateAddHtlc(core: ManagerCore, target: ChannelTarget, m: UpdateAddHtlcMessage): void {
  const before = target.item.channel;
  const after = stepChannel(core, target, m);
  if (after === undefined || !isOperating(after)) return;
  const taken = (after.htlcs ?? []).some((h) => h.direction === 'received' && h.id === m.id && h.state === InboundHtlcState.RemoteAnnounced);
  if (!taken) return;
  // After our shutdown (theirs not read yet, so the add is legal): failed back once committed, as LDK does (`permanent_channel_failure`).
  if (before.state === ChannelState.ShutdownSent) {
    log(core, 'info', `received HTLC ${m.id} on ${toHex(m.channelId)} after our shutdown: it will be failed back`);
    core.cs.putRecord(RecordKeys.onion(toHex(m.channelId), m.id), receivedOnionRecord(core.ports, m.onionRoutingPacket, m.paymentHash, PERMANENT_CHANNEL_FAILURE));
    return;
  }
  // LDK's `can_accept_incoming_htlc`, on the channel before the HTLC: a refusal is kept with the onion, the HTLC failed back once committed.
  const refused = before.state === ChannelState.Ready ? checkIncomingHtlcAdmission(before, core.ports.feeEstimator, m.amountMsat) : null;
  if (refused !== null) log(core, 'info', `received HTLC ${m.id} on ${toHex(m.channelId)} refused at admission (${refused.refusal}): ${refused.message}`);
  core.cs.putRecord(RecordKeys.onion(toHex(m.channelId), m.id), receivedOnionRecord(core.ports, m.onionRoutingPacket, m.paymentHash, refused?.failureCode));
}

/** The received HTLCs the counterparty's next `revoke_and_ack` makes irrevocable (their records are read with that input). */
export function committedByRevoke(channel: Channel): ReceivedHtlcRef[] {
  return (channel.htlcs ?? [])
    .filter((h) => h.direction === 'received' && h.state === InboundHtlcState.AwaitingAnnouncedRemoteRevoke)
    .map((h) => ({ htlcId: h.id, paymentHash: h.paymentHash }));
}

/**
 * Received HTLCs a `revoke_and_ack` made irrevocable: decided in this
 * input when their records were read with it (load-plan.ts
 * `recordsAfterLoad`), else by one `received-htlcs` follow-up for the channel.
 */
export function receivedHtlcsOfRevoke(core: ManagerCore, target: ChannelTarget, before: Channel, after: Channel, m: RevokeAndAckMessage): void {
  const wasCommitted = new Set((before.htlcs ?? []).filter((h) => h.direction === 'received' && h.state === InboundHtlcState.Committed).map((h) => h.id));
  const committed: ReceivedHtlcRef[] = (after.htlcs ?? [])
    .filter((h) => h.direction === 'received' && h.state === InboundHtlcState.Committed && h.resolution === undefined && !wasCommitted.has(h.id))
    .map((h) => ({ htlcId: h.id, paymentHash: h.paymentHash }));
  if (committed.length === 0) return;
  if (receivedHtlcRecords(m.channelId, committed).every((key) => core.cs.hasRecord(key))) applyReceivedHtlcs(core, target.peer, m.channelId, committed);
  else core.cs.followUp(target.peer, { kind: 'received-htlcs', channelId: m.channelId, htlcs: committed });
}

/** The records a `received-htlcs` follow-up reads: each HTLC's onion and each payment hash's parts. */
export function receivedHtlcRecords(channelId: Uint8Array, htlcs: readonly ReceivedHtlcRef[]): string[] {
  const id = toHex(channelId);
  return [...new Set(htlcs.flatMap((h) => [RecordKeys.onion(id, h.htlcId), RecordKeys.claimable(toHex(h.paymentHash)), RecordKeys.forwardIn(id, h.htlcId)]))];
}

/** The parts of the payment `paymentHash` we collected, if any. */
function claimableOf(core: ManagerCore, paymentHash: Uint8Array): ClaimablePayment | undefined {
  const bytes = core.cs.record(RecordKeys.claimable(toHex(paymentHash)));
  if (bytes === undefined) return undefined;
  const decoded = decodeClaimablePayment(bytes);
  if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `claimable payment ${toHex(paymentHash)} does not decode: ${decoded.error.message}`);
  return decoded.value;
}

/** What to do with one received HTLC: keep it (a part of a payment), or fail it back. */
type Decision =
  | { readonly kind: 'keep' }
  /** A forward whose next channel this input did not load: decided again by a follow-up that loads it. */
  | { readonly kind: 'defer'; readonly scid: bigint }
  | { readonly kind: 'fail'; readonly reason: Uint8Array; readonly why: string }
  | { readonly kind: 'fail-malformed'; readonly sha256OfOnion: Uint8Array; readonly failureCode: number; readonly why: string };

function failWith(sharedSecret: Uint8Array, failure: FailureMessage, why: string): Decision {
  return { kind: 'fail', reason: createFailurePacket(sharedSecret, failure), why };
}

/** Peels the HTLC's onion and runs the final node's checks; a part of a payment goes into its `CLAIMABLE#` record. */
function decide(core: ManagerCore, peer: Uint8Array, channel: OperatingChannel, htlc: HtlcRecord, onion: OnionEntry): Decision {
  const { ports, cs } = core;
  const height = cs.header.bestBlock.height;
  const failBackCode = onion.failBackCode;
  const peeled = peelReceivedOnion(ports, onion, htlc.paymentHash);
  if (!peeled.ok) {
    const e = peeled.error;
    if (e.reason === 'invalid-payload') return failWith(e.sharedSecret, failureMessage('invalidOnionPayload', { type: 0n, offset: 0 }), e.message);
    return { kind: 'fail-malformed', sha256OfOnion: e.sha256OfOnion, failureCode: e.failureCode, why: `onion: ${e.reason}` };
  }
  const { sharedSecret } = peeled.value;
  if (failBackCode === TEMPORARY_CHANNEL_FAILURE) {
    // Refused at admission (dust exposure, fee spike buffer): LDK's `temporary_channel_failure` (we send no channel_update in it yet).
    return failWith(sharedSecret, failureMessage('temporaryChannelFailure', { channelUpdate: new Uint8Array(0) }), 'refused at admission');
  }
  if (failBackCode === PERMANENT_CHANNEL_FAILURE) return failWith(sharedSecret, failureMessage('permanentChannelFailure', {}), 'added after our shutdown');
  if (peeled.value.next !== null) {
    const hop = decodeHopPayload(peeled.value.payload, false);
    if (!hop.ok || hop.value.kind !== 'forward') {
      const type = hop.ok ? 0n : (hop.error.type ?? 0n);
      return failWith(sharedSecret, failureMessage('invalidOnionPayload', { type, offset: 0 }), hop.ok ? 'not a forwarding payload' : hop.error.message);
    }
    const forwarded = forwardHtlc(core, { peer, channelId: channel.funding.channelId, htlc, sharedSecret, next: peeled.value.next }, hop.value);
    if (forwarded.kind === 'fail') return failWith(sharedSecret, forwarded.failure, forwarded.why);
    return forwarded.kind === 'defer' ? forwarded : { kind: 'keep' };
  }
  const payload = decodeHopPayload(peeled.value.payload, true);
  if (!payload.ok || payload.value.kind !== 'final') {
    const type = payload.ok ? 0n : (payload.error.type ?? 0n);
    return failWith(sharedSecret, failureMessage('invalidOnionPayload', { type, offset: 0 }), payload.ok ? 'not a final payload' : payload.error.message);
  }
  const key = expandInboundPaymentKey(ports.nodeSigner.inboundPaymentKey());
  const checked = checkReceivedHtlc({ htlc, payload: payload.value, bestBlockHeight: height, expandedKey: key, nowSecs: nowSecs(core) });
  if (!checked.ok) return failWith(sharedSecret, checked.failure, checked.reason);
  const part = { counterpartyNodeId: channel.counterpartyNodeId, channelId: channel.funding.channelId, htlcId: htlc.id, amountMsat: htlc.amountMsat, cltvExpiry: htlc.cltvExpiry, receivedAtTick: cs.ticks };
  const before = claimableOf(core, htlc.paymentHash);
  const added = addPart(before, checked.part, part, height);
  const recordKey = RecordKeys.claimable(toHex(htlc.paymentHash));
  switch (added.kind) {
    case 'waiting':
      cs.putRecord(recordKey, encodeClaimablePayment(added.record));
      // The first part of an incomplete payment: the timer finds it by its index item (docs/timer.md).
      if (before === undefined) cs.putIndexItem(mppIndexKeyOf(added.record), htlc.paymentHash);
      return { kind: 'keep' };
    case 'complete': {
      cs.putRecord(recordKey, encodeClaimablePayment(added.record));
      if (before?.state === 'collecting') cs.deleteIndexItem(mppIndexKeyOf(before));
      const r = added.record;
      cs.emit({
        kind: 'payment-claimable',
        paymentHash: r.paymentHash,
        amountMsat: added.amountMsat,
        purpose: r.purpose,
        claimDeadline: added.claimDeadline,
        ...(r.preimage === undefined ? {} : { paymentPreimage: r.preimage }),
        ...(r.paymentSecret === undefined ? {} : { paymentSecret: r.paymentSecret }),
      });
      return { kind: 'keep' };
    }
    case 'refused':
      return failWith(sharedSecret, added.failBack.failure, added.reason);
  }
}

/** The clock of invoice expiry (seconds since 1970). */
function nowSecs(core: ManagerCore): number {
  return core.ports.clock.nowSecs();
}

/** Our failure's reason, kept until the removal is irrevocable: a reconnection may need the `update_fail_htlc` again. */
function keepReason(core: ManagerCore, channelId: Uint8Array, htlcId: bigint, reason: Uint8Array): void {
  core.cs.putRecord(RecordKeys.ourFailureReason(toHex(channelId), htlcId), reason);
}

/** Applies removals of ours to the channel, then signs them when we may (else they wait for the peer's `revoke_and_ack`). */
export function commitRemovals(core: ManagerCore, key: ChannelKey, item: ChannelItem, channel: Channel, effects: ChannelEffect[]): void {
  // A fail held in the holding cell has no effect yet, but the channel changed (its HTLC waits as `removal-held`).
  if (effects.length === 0 && channel === item.channel) return;
  const signed = sendCommitmentSigned(channelContext(core), channel);
  if (signed.ok) applyStep(core, key, item, { channel: signed.value.channel, effects: [...effects, ...signed.value.effects] });
  else applyStep(core, key, item, { channel, effects });
}

/**
 * Our removals of received HTLCs on one ready channel: `remove` gives each
 * named HTLC's removal (or nothing), applied in order, then signed when we
 * may (the holding cell otherwise). A refused removal is logged and skipped.
 */
function removeOnChannel(
  core: ManagerCore,
  peer: Uint8Array,
  channelId: Uint8Array,
  refs: readonly ReceivedHtlcRef[],
  remove: (channel: OperatingChannel, htlc: HtlcRecord) => ApiResult<HtlcCallResult> | undefined,
): void {
  const key = channelKey(peer, channelId);
  const item = core.cs.entry(key);
  // Ready, or closing cooperatively: the HTLCs in flight must still be claimed or failed for the close to complete.
  if (item?.kind !== 'channel' || !isOperating(item.channel)) return;
  let channel: OperatingChannel = item.channel;
  const effects: ChannelEffect[] = [];
  for (const ref of refs) {
    const htlc = (channel.htlcs ?? []).find((h) => h.direction === 'received' && h.id === ref.htlcId);
    if (htlc === undefined || htlc.resolution !== undefined) continue;
    const result = remove(channel, htlc);
    if (result === undefined) continue;
    if (!result.ok) {
      log(core, 'warn', `HTLC ${htlc.id} on ${toHex(channelId)}: ${result.error.message}`);
      continue;
    }
    channel = result.value.channel;
    effects.push(...result.value.effects);
  }
  commitRemovals(core, key, item, channel, effects);
}

/**
 * A `received-htlcs` follow-up: each named HTLC still committed and
 * undecided is decided (idempotent: a decided or resolved HTLC is skipped).
 */
export function applyReceivedHtlcs(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, refs: readonly ReceivedHtlcRef[]): void {
  const ctx = channelContext(core);
  const deferred: { ref: ReceivedHtlcRef; scid: bigint }[] = [];
  removeOnChannel(core, peer, channelId, refs, (channel, htlc) => {
    if (htlc.state !== InboundHtlcState.Committed) return undefined;
    // Forwarded already (its mark is read with its onion): the downstream result settles it.
    const mark = RecordKeys.forwardIn(toHex(channelId), htlc.id);
    if (core.cs.hasRecord(mark) && core.cs.record(mark) !== undefined) return undefined;
    const parts = claimableOf(core, htlc.paymentHash)?.parts ?? [];
    if (parts.some((p) => p.htlcId === htlc.id && equalBytes(p.channelId, channelId))) return undefined;
    const onionBytes = core.cs.record(RecordKeys.onion(toHex(channelId), htlc.id));
    const onion = onionBytes === undefined ? undefined : decodeReceivedOnion(onionBytes);
    const decision: Decision =
      onion?.ok === true ? decide(core, peer, channel, htlc, onion.value) : { kind: 'fail-malformed', sha256OfOnion: new Uint8Array(32), failureCode: 0x8000 | 0x4000 | 5, why: 'onion record missing' };
    if (decision.kind === 'keep') return undefined;
    if (decision.kind === 'defer') {
      deferred.push({ ref: { htlcId: htlc.id, paymentHash: htlc.paymentHash }, scid: decision.scid });
      return undefined;
    }
    log(core, 'info', `received HTLC ${htlc.id} on ${toHex(channelId)} failed back: ${decision.why}`);
    if (decision.kind === 'fail-malformed') return failMalformedHtlc(ctx, channel, htlc.id, decision.sha256OfOnion, decision.failureCode);
    keepReason(core, channelId, htlc.id, decision.reason);
    return failHtlc(ctx, channel, htlc.id, decision.reason);
  });
  // Forwards to channels this input did not load: one follow-up whose plan loads them by short channel id.
  if (deferred.length > 0) {
    core.cs.followUp(peer, { kind: 'received-htlcs', channelId, htlcs: deferred.map((d) => d.ref), scids: [...new Set(deferred.map((d) => d.scid))] });
  }
}

/** A `fail-back` follow-up (or a downstream failure with the incoming channel loaded): the forwarded HTLC failed back with `reason` (idempotent). */
export function applyFailBack(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, htlcId: bigint, reason: Uint8Array): void {
  const ctx = channelContext(core);
  removeOnChannel(core, peer, channelId, [{ htlcId, paymentHash: new Uint8Array(32) }], (channel, htlc) => {
    keepReason(core, channelId, htlc.id, reason);
    return failHtlc(ctx, channel, htlc.id, reason);
  });
}

/** The parts of `record` by channel. */
function partsByChannel(record: ClaimablePayment): { peer: Uint8Array; channelId: Uint8Array; htlcs: ReceivedHtlcRef[] }[] {
  const byChannel = new Map<string, { peer: Uint8Array; channelId: Uint8Array; htlcs: ReceivedHtlcRef[] }>();
  for (const p of record.parts) {
    const id = `${toHex(p.counterpartyNodeId)}#${toHex(p.channelId)}`;
    let group = byChannel.get(id);
    if (group === undefined) byChannel.set(id, (group = { peer: p.counterpartyNodeId, channelId: p.channelId, htlcs: [] }));
    group.htlcs.push({ htlcId: p.htlcId, paymentHash: record.paymentHash });
  }
  return [...byChannel.values()];
}

/** One follow-up per channel for the parts of `record`, in the channel's peer group. */
function perChannel(core: ManagerCore, record: ClaimablePayment, work: (channelId: Uint8Array, htlcs: ReceivedHtlcRef[]) => FollowUpWork): void {
  for (const { peer, channelId, htlcs } of partsByChannel(record)) core.cs.followUp(peer, work(channelId, htlcs));
}

/** The records a claim or a fail-back reads: the payment's parts. */
export function claimableRecordKey(paymentHash: Uint8Array): string {
  return RecordKeys.claimable(toHex(paymentHash));
}

/**
 * LDK's `claim_funds`: the payment whose hash the preimage gives must be
 * claimable. The claim is committed first (the parts and the preimage, in
 * one `claim-htlcs` follow-up per channel, in this input's commit: a crash
 * after it still fulfills every part), then each channel fulfills its
 * parts, its monitor learning the preimage in the same commit.
 * `PaymentClaimed` is emitted with the claim.
 */
export function claimFunds(core: ManagerCore, paymentPreimage: Uint8Array): ApiResult<void> {
  const { cs } = core;
  if (paymentPreimage.length !== 32) return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: 'a payment preimage is 32 bytes' } };
  const hash = sha256(paymentPreimage);
  const record = claimableOf(core, hash);
  if (record === undefined || record.state === 'collecting') {
    return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: `no claimable payment for hash ${toHex(hash)}` } };
  }
  for (const { peer, channelId, htlcs } of partsByChannel(record)) {
    // A channel this input read (the revoke_and_ack that made the payment claimable) fulfills its parts now; any other in a follow-up.
    if (cs.isLoaded(channelKey(peer, channelId))) applyClaimHtlcs(core, peer, channelId, htlcs, paymentPreimage);
    else cs.followUp(peer, { kind: 'claim-htlcs', channelId, htlcs, paymentPreimage });
  }
  cs.deleteRecord(claimableRecordKey(hash));
  cs.emit({ kind: 'payment-claimed', paymentHash: hash, amountMsat: receivedMsat(record), purpose: record.purpose });
  return { ok: true, value: undefined };
}

/** The `MPP#` index item of a payment collecting parts: keyed by the tick its oldest part arrived at. */
export function mppIndexKeyOf(record: ClaimablePayment): string {
  return mppKey(Math.min(...record.parts.map((p) => p.receivedAtTick)), record.paymentHash);
}

/**
 * Every part of `record` failed back (one `fail-htlcs` follow-up per
 * channel; `mppTimeout`: BOLT 4 `mpp_timeout`, else
 * `incorrect_or_unknown_payment_details`); the record and its index item go.
 */
export function failPaymentBack(core: ManagerCore, record: ClaimablePayment, mppTimeout: boolean): void {
  perChannel(core, record, (channelId, htlcs) => ({ kind: 'fail-htlcs', channelId, htlcs, mppTimeout }));
  core.cs.deleteRecord(claimableRecordKey(record.paymentHash));
  if (record.state === 'collecting') core.cs.deleteIndexItem(mppIndexKeyOf(record));
}

/** LDK's `fail_htlc_backwards`: every part of the payment is failed back (`incorrect_or_unknown_payment_details`). */
export function failHtlcBackwards(core: ManagerCore, paymentHash: Uint8Array): void {
  const record = claimableOf(core, paymentHash);
  if (record === undefined) return;
  failPaymentBack(core, record, false);
}

/** A `claim-htlcs` follow-up: fulfills the named parts still undecided (idempotent). */
export function applyClaimHtlcs(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, refs: readonly ReceivedHtlcRef[], paymentPreimage: Uint8Array): void {
  const ctx = channelContext(core);
  removeOnChannel(core, peer, channelId, refs, (channel, htlc) => fulfillHtlc(ctx, channel, htlc.id, paymentPreimage));
}

/** A `fail-htlcs` follow-up: fails the named parts back, each with the failure wrapped for its sender (idempotent). */
export function applyFailHtlcs(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, refs: readonly ReceivedHtlcRef[], mppTimeout: boolean): void {
  const ctx = channelContext(core);
  removeOnChannel(core, peer, channelId, refs, (channel, htlc) => {
    const onionBytes = core.cs.record(RecordKeys.onion(toHex(channelId), htlc.id));
    const onion = onionBytes === undefined ? undefined : decodeReceivedOnion(onionBytes);
    const peeled = onion?.ok ? peelReceivedOnion(core.ports, onion.value, htlc.paymentHash) : undefined;
    if (peeled?.ok !== true) return failMalformedHtlc(ctx, channel, htlc.id, new Uint8Array(32), 0x8000 | 0x4000 | 5);
    const failure = mppTimeout ? failureMessage('mppTimeout', {}) : unknownPaymentDetails(htlc.amountMsat, core.cs.header.bestBlock.height);
    const reason = createFailurePacket(peeled.value.sharedSecret, failure);
    keepReason(core, channelId, htlc.id, reason);
    return failHtlc(ctx, channel, htlc.id, reason);
  });
}

/** The records a `claim-htlcs` / `fail-htlcs` follow-up reads: the onions (to wrap a failure). */
export function onionRecords(channelId: Uint8Array, htlcs: readonly ReceivedHtlcRef[]): string[] {
  return htlcs.map((h) => RecordKeys.onion(toHex(channelId), h.htlcId));
}
