/**
 * Payments we send, in the manager (docs/payments-outbound.md; LDK's
 * `send_payment` and the outbound half of `process_pending_htlc_forwards`):
 * the pure steps are outbound-payment.ts (state, attribution, retry),
 * router.ts and outbound-onion.ts; this module loads and writes their
 * records and drives the channels.
 *
 * Records: `PAYMENT_OUT#<payment hash>` (the payment, remembered 24 h after
 * it resolves) and `PAYMENT_ID#<payment id>` (the hash it paid: a repeated
 * id is refused whatever its hash). A payment's result arrives on the
 * channel as `update_fulfill_htlc` (at once: `PaymentSent`) or as a removal
 * made irrevocable by the peer's `revoke_and_ack` (then attributed and
 * maybe retried): each as a `payment-result` follow-up, whose plan reads
 * the payment record (and the failure reason record).
 */
import {
  ChannelState,
  OutboundHtlcState,
  channelBalancesOf,
  dustExposureLimitingFeerate,
  offerHtlc,
  sendCommitmentSigned,
  shortChannelIdOfChannel,
  type Channel,
  type HtlcRecord,
  type ReadyChannel,
} from '../channel/index.js';
import { fromHex, toHex } from '../crypto/index.js';
import type { RouteHint } from '../invoice/index.js';
import type { RevokeAndAckMessage, UpdateFailHtlcMessage, UpdateFulfillHtlcMessage, UpdateFailMalformedHtlcMessage } from '../wire/index.js';
import type { ChannelKey, ChannelItem } from './channel-entry.js';
import { applyStep, stepChannel, type ChannelTarget } from './channel-step.js';
import type { FollowUpWork } from './follow-up.js';
import { channelContext, log, type ManagerCore } from './manager-core.js';
import { ApiErrorCode, ManagerError, ManagerErrorCode, type ApiResult } from './manager-errors.js';
import { buildOutboundOnion, type RecipientFields } from './outbound-onion.js';
import {
  PAYMENT_MEMORY_SECS,
  abandonPayment as abandonStep,
  attemptFailed,
  attemptFulfilled,
  attemptStarted,
  attributeFailure,
  htlcAdded,
  MAX_PARTS_IN_FLIGHT,
  mayUseParts,
  partOf,
  partOnChainOf,
  remainingMsat,
  retryStarted,
  routeNotFound,
  startPayment,
  type HtlcFailure,
  type OutboundPayment,
  type PaymentAttempt,
  type PaymentEvent as OutboundEvent,
  type PendingPayment,
  type Retry,
} from './outbound-payment.js';
import { decodeOutboundPayment, encodeOutboundPayment } from './outbound-payment-record.js';
import { RecordKeys } from './payment-records.js';
import { buildNetworkGraph, findPaymentRoutes, type NetworkGraph } from '../routing/index.js';
import { encodeOfferedOnion } from './offered-onion.js';
import type { ForwardLink } from './forward-link.js';
import { forwardFailed, forwardFulfilled, forwardLinkKey, forwardLinkOf } from './forward-results.js';
import { forwardResolvedOnChain, offeredOnChainRecords } from './forward-onchain.js';
import type { FirstHop } from '../routing/index.js';

/** The graph without public channels: routes over our channels and the invoice's hints only. */
const EMPTY_GRAPH: NetworkGraph = buildNetworkGraph([], []).graph;

function routingGraph(core: ManagerCore): NetworkGraph {
  return core.ports.routing?.graph() ?? EMPTY_GRAPH;
}

/** Teaches the scorer a failed part: the hops before the blamed channel carried their amounts, it did not. */
function scoreFailure(core: ManagerCore, part: PaymentAttempt, blamed: bigint | undefined, nowSec: number): void {
  const scorer = core.ports.routing?.scorer;
  if (scorer === undefined || blamed === undefined) return;
  const graph = routingGraph(core);
  scorer.paymentPathFailed(part.route.hops, blamed, nowSec, (id) => graph.capacityOf(id));
}

/** Teaches the scorer a part that reached the payee. */
function scoreSuccess(core: ManagerCore, part: PaymentAttempt | undefined, nowSec: number): void {
  const scorer = core.ports.routing?.scorer;
  if (scorer === undefined || part === undefined) return;
  const graph = routingGraph(core);
  scorer.paymentPathSuccessful(part.route.hops, nowSec, (id) => graph.capacityOf(id));
}

/** LDK's `send_payment` arguments (`RecipientOnionFields`, `RouteParameters`, `Retry`), with the invoice's hints. */
export interface SendPaymentRequest {
  /** Caller-chosen, 32 bytes: a repeated id is refused (a retried request never pays twice). */
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly payeeNodeId: Uint8Array;
  readonly amountMsat: bigint;
  /** The invoice's `c` (min_final_cltv_expiry_delta). */
  readonly finalCltvExpiryDelta: number;
  readonly routeHints?: readonly RouteHint[];
  readonly recipient: RecipientFields;
  readonly retry: Retry;
  /** The invoice's expiry (seconds since 1970). */
  readonly expiresAtSecs?: number;
  /** LDK's `max_total_routing_fee_msat`: routes with more fees are not taken (none when absent), over all parts. */
  readonly maxTotalRoutingFeeMsat?: bigint;
  /**
   * The invoice offers `basic_mpp` (BOLT 11 feature bit 16 or 17): a payment
   * no single path can carry is split in parts (only with a payment secret;
   * a keysend is never split).
   */
  readonly basicMpp?: boolean;
}

/** The payment record of `paymentHash` (`PAYMENT_OUT#`). */
export function outboundPaymentKey(paymentHash: Uint8Array): string {
  return RecordKeys.outboundPayment(toHex(paymentHash));
}

/** The records `sendPayment` reads: the payment by hash and the id's record. */
export function sendPaymentRecords(request: Pick<SendPaymentRequest, 'paymentId' | 'paymentHash'>): string[] {
  return [outboundPaymentKey(request.paymentHash), RecordKeys.paymentId(toHex(request.paymentId))];
}

/** The peers whose channels a route may start with: the payee, and every node of the hints (one may be our peer). */
export function routingPeers(payee: Uint8Array, hints: readonly RouteHint[] = []): string[] {
  return [...new Set([toHex(payee), ...hints.flatMap((h) => h.map((hop) => toHex(hop.pubkey)))])];
}

function nowSecs(core: ManagerCore): number {
  return core.ports.clock.nowSecs();
}

function paymentOf(core: ManagerCore, paymentHash: Uint8Array): OutboundPayment | undefined {
  const bytes = core.cs.record(outboundPaymentKey(paymentHash));
  if (bytes === undefined) return undefined;
  const decoded = decodeOutboundPayment(bytes);
  if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `payment ${toHex(paymentHash)} does not decode: ${decoded.error.message}`);
  return decoded.value;
}

/**
 * Stores the payment and emits its events (flattened into the stored
 * payment events). A resolved payment's two records get a TTL 24 hours
 * after its resolution (docs/timer.md): DynamoDB deletes them some time
 * after that, and nothing needs them then (a late one is harmless:
 * `startPayment` treats a record resolved 24 h ago as gone).
 */
function record(core: ManagerCore, payment: OutboundPayment, events: readonly OutboundEvent[]): void {
  if (payment.status === 'pending') core.cs.putRecord(outboundPaymentKey(payment.paymentHash), encodeOutboundPayment(payment));
  else {
    const forgetAt = payment.resolvedAtSecs + PAYMENT_MEMORY_SECS;
    core.cs.putRecord(outboundPaymentKey(payment.paymentHash), encodeOutboundPayment(payment), forgetAt);
    core.cs.putRecord(RecordKeys.paymentId(toHex(payment.paymentId)), payment.paymentHash, forgetAt);
  }
  for (const e of events) {
    switch (e.kind) {
      case 'payment-sent':
        core.cs.emit(e);
        break;
      case 'payment-failed':
        core.cs.emit(e);
        break;
      case 'payment-path-failed': {
        const f = e.failure;
        const failure = f.kind === 'initial-send' ? f.message : `${f.message?.name ?? (f.failureCode === undefined ? 'unreadable failure' : `failure 0x${f.failureCode.toString(16)}`)}${f.failingHopIndex === undefined ? '' : ` from hop ${f.failingHopIndex}`}`;
        core.cs.emit({
          kind: 'payment-path-failed',
          paymentId: e.paymentId,
          paymentHash: e.paymentHash,
          paymentFailedPermanently: e.paymentFailedPermanently,
          failure,
          ...(e.shortChannelId === undefined ? {} : { shortChannelId: e.shortChannelId }),
        });
        break;
      }
    }
  }
}

/** Our usable channels among those loaded, as the router's first hops. */
function firstHops(core: ManagerCore): { hop: FirstHop; key: ChannelKey; item: ChannelItem }[] {
  const out: { hop: FirstHop; key: ChannelKey; item: ChannelItem }[] = [];
  const dustLimitingFeerate = dustExposureLimitingFeerate(core.ports.feeEstimator);
  for (const [key, entry] of core.cs.loadedEntries()) {
    if (entry.kind !== 'channel' || entry.channel.state !== ChannelState.Ready) continue;
    const channel = entry.channel as ReadyChannel;
    if (core.cs.featuresOf(channel.counterpartyNodeId) === undefined || entry.flags?.awaitingReestablish) continue;
    const real = shortChannelIdOfChannel(channel) ?? undefined;
    const theirAlias = channel.theirChannelReady.alias;
    const scid = real ?? theirAlias ?? channel.holderAlias;
    const aliases = [real, theirAlias, channel.holderAlias].filter((s): s is bigint => s !== undefined && s !== scid);
    // LDK's first hops: the largest HTLC the channel can add now (reserve, in-flight limits, fee spike buffer, dust).
    const limits = channelBalancesOf(channel, dustLimitingFeerate);
    out.push({
      key,
      item: entry,
      hop: {
        channelId: channel.funding.channelId,
        counterpartyNodeId: channel.counterpartyNodeId,
        shortChannelId: scid,
        shortChannelIdAliases: aliases,
        outboundCapacityMsat: limits.nextOutboundHtlcLimitMsat,
        nextOutboundHtlcMinimumMsat: limits.nextOutboundHtlcMinimumMsat,
      },
    });
  }
  return out;
}

/**
 * One attempt of `payment`: routes for what its parts in flight do not carry
 * yet (one, or several parts when the invoice offers `basic_mpp`), each
 * part's onion, its HTLC offered and signed on its channel. A part our
 * channel refuses is a path failure of that first hop (excluded), retried
 * at once within the retry strategy. Returns the payment after it (and its
 * events).
 */
function attempt(core: ManagerCore, payment: PendingPayment): { payment: OutboundPayment; events: readonly OutboundEvent[] } {
  const hops = firstHops(core);
  const now = nowSecs(core);
  const amountMsat = remainingMsat(payment);
  if (amountMsat <= 0n) return { payment, events: [] };
  // The fee limit is the whole payment's: what the parts in flight pay is spent already.
  const feesInFlight = payment.parts.reduce((sum, p) => sum + p.route.totalFeeMsat, 0n);
  const feeLeft = payment.maxTotalRoutingFeeMsat === undefined ? undefined : payment.maxTotalRoutingFeeMsat - feesInFlight;
  const scorer = core.ports.routing?.scorer;
  const routes = findPaymentRoutes(routingGraph(core), {
    ourNodeId: core.ports.nodeSigner.getNodeId(),
    payeeNodeId: payment.payeeNodeId,
    amountMsat,
    finalCltvExpiryDelta: payment.finalCltvExpiryDelta,
    bestBlockHeight: core.cs.header.bestBlock.height,
    firstHops: hops.map((h) => h.hop),
    routeHints: payment.routeHints,
    excludedShortChannelIds: payment.excludedShortChannelIds,
    allowMpp: mayUseParts(payment),
    maxPathCount: MAX_PARTS_IN_FLIGHT - payment.parts.length,
    ...(feeLeft === undefined ? {} : { maxTotalRoutingFeeMsat: feeLeft < 0n ? 0n : feeLeft }),
  }, scorer === undefined ? undefined : { scorer, nowSec: now });
  const noRoute = (current: PendingPayment, why: string) => {
    log(core, 'info', `payment ${toHex(payment.paymentHash)}: ${why}`);
    const step = routeNotFound(current, now);
    if (!step.ok) throw new ManagerError(ManagerErrorCode.CorruptState, step.error.message);
    return step.value;
  };
  if (!routes.ok) return noRoute(payment, `no route: ${routes.error.message}`);
  // Every part tells the payee the whole amount (BOLT 4 `payment_data.total_msat`).
  const recipient = payment.recipient.paymentSecret === undefined ? payment.recipient : { ...payment.recipient, totalMsat: payment.recipient.totalMsat ?? payment.amountMsat };
  const ctx = channelContext(core);
  let current: OutboundPayment = payment;
  const events: OutboundEvent[] = [];
  let retry = false;
  for (const route of routes.routes) {
    if (current.status !== 'pending') break;
    const onion = buildOutboundOnion(core.ports.secp, route, payment.paymentHash, recipient, core.ports.entropy.getSecureRandomBytes());
    if (!onion.ok) {
      const step = noRoute(current, `no onion: ${onion.error.message}`);
      return { payment: step.payment, events: [...events, ...step.events] };
    }
    const first = hops.find((h) => toHex(h.hop.channelId) === toHex(route.firstHopChannelId))!;
    const started = attemptStarted(current, { route, sessionKey: onion.value.sessionKey });
    if (!started.ok) throw new ManagerError(ManagerErrorCode.CorruptState, started.error.message);
    const offered = offerHtlc(ctx, first.item.channel, {
      amountMsat: onion.value.htlcAmountMsat,
      paymentHash: payment.paymentHash,
      cltvExpiry: onion.value.htlcCltvExpiry,
      onionRoutingPacket: onion.value.onion,
    });
    if (!offered.ok) {
      // Our channel refused it (capacity, limits): a path failure of the first hop, maybe retried on another channel.
      const part = started.value.parts[started.value.parts.length - 1]!;
      const attributed = attributeFailure(core.ports.secp, part, { kind: 'initial-send', message: offered.error.message });
      scoreFailure(core, part, attributed.shortChannelId, now);
      const failed = attemptFailed(started.value, part.sessionKey, attributed, now);
      if (!failed.ok) throw new ManagerError(ManagerErrorCode.CorruptState, failed.error.message);
      events.push(...failed.value.events);
      current = failed.value.payment;
      retry ||= failed.value.retry;
      continue;
    }
    const added = htlcAdded(started.value, onion.value.sessionKey, offered.value.htlcId!);
    if (!added.ok) throw new ManagerError(ManagerErrorCode.CorruptState, added.error.message);
    current = added.value;
    // Kept until the HTLC is removed: the holding cell or a reconnection may need its update_add_htlc (again).
    // As the keys that build it (offered-onion.ts): about 100 bytes a hop rather than 1,366.
    core.cs.putRecord(RecordKeys.offeredOnion(toHex(route.firstHopChannelId), offered.value.htlcId!), encodeOfferedOnion(onion.value));
    let channel: Channel = offered.value.channel;
    const effects = [...offered.value.effects];
    const signed = sendCommitmentSigned(ctx, channel);
    if (signed.ok) {
      channel = signed.value.channel;
      effects.push(...signed.value.effects);
    }
    applyStep(core, first.key, first.item, { channel, effects });
  }
  if (retry && current.status === 'pending' && current.abandonReason === undefined) {
    const next = attempt(core, retryStarted(current));
    return { payment: next.payment, events: [...events, ...next.events] };
  }
  return { payment: current, events };
}

/**
 * LDK's `send_payment`: refused for a repeated `paymentId` (pending or
 * resolved in the last 24 h), a payment to this hash in flight, bad
 * parameters or an expired invoice. Otherwise the first attempt starts at
 * once; a payment with no route fails at once (`PaymentFailed`
 * `RouteNotFound`), as LDK reports it.
 */
export function sendPayment(core: ManagerCore, request: SendPaymentRequest): ApiResult<void> {
  const { cs } = core;
  const now = nowSecs(core);
  const idKey = RecordKeys.paymentId(toHex(request.paymentId));
  const idRecord = cs.record(idKey);
  const existing = paymentOf(core, request.paymentHash);
  if (idRecord !== undefined && toHex(idRecord) !== toHex(request.paymentHash)) {
    return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: `PaymentId ${toHex(request.paymentId)} already paid another hash` } };
  }
  if (existing?.status === 'pending' && toHex(existing.paymentId) !== toHex(request.paymentId)) {
    return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: `a payment to hash ${toHex(request.paymentHash)} is in flight` } };
  }
  const started = startPayment(existing, { ...request, routeHints: request.routeHints ?? [] }, now);
  if (!started.ok) return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: `${started.error.code}: ${started.error.message}` } };
  cs.putRecord(idKey, request.paymentHash);
  const after = attempt(core, started.value);
  record(core, after.payment, after.events);
  return { ok: true, value: undefined };
}

/** What a `payment-result` follow-up reports of an HTLC we offered. */
export type OfferedHtlcResult =
  | { readonly kind: 'fulfilled'; readonly paymentPreimage: Uint8Array }
  | { readonly kind: 'failed'; readonly failure: HtlcFailure };

/** The route of `update_fulfill_htlc`: the channel's step (the monitor learns the preimage), then the payment's result at once. */
export function onUpdateFulfillHtlc(core: ManagerCore, target: ChannelTarget, m: UpdateFulfillHtlcMessage): void {
  const htlc = (target.item.channel.htlcs ?? []).find((h) => h.direction === 'offered' && h.id === m.id);
  const after = stepChannel(core, target, m);
  if (after === undefined || htlc === undefined) return;
  const work: Extract<FollowUpWork, { kind: 'payment-result' }> = { kind: 'payment-result', channelId: m.channelId, htlcId: m.id, paymentHash: htlc.paymentHash, paymentPreimage: m.paymentPreimage };
  // The payment's record was read with this input (load-plan.ts `recordsAfterLoad`): `PaymentSent` now; else a follow-up reads it.
  if (paymentResultRecords(work).every((key) => core.cs.hasRecord(key))) applyPaymentResult(core, target.peer, work);
  else core.cs.followUp(target.peer, work);
}

/** The route of `update_fail_htlc`: the channel's step; the reason is kept (`FAILURE#`) until the removal is irrevocable. */
export function onUpdateFailHtlc(core: ManagerCore, target: ChannelTarget, m: UpdateFailHtlcMessage | UpdateFailMalformedHtlcMessage): void {
  const after = stepChannel(core, target, m);
  if (after === undefined || m.type !== 131) return;
  core.cs.putRecord(RecordKeys.failureReason(toHex(m.channelId), m.id), m.reason);
}

/** Offered HTLCs a `revoke_and_ack` removed for good after a failure: one `payment-result` follow-up each. */
export function paymentResultsOfRevoke(core: ManagerCore, target: ChannelTarget, before: Channel, after: Channel, m: RevokeAndAckMessage): void {
  const remaining = new Set((after.htlcs ?? []).filter((h) => h.direction === 'offered').map((h) => h.id));
  for (const h of before.htlcs ?? []) {
    if (h.direction !== 'offered' || remaining.has(h.id) || h.state !== OutboundHtlcState.AwaitingRemovedRemoteRevoke) continue;
    const r = h.resolution;
    if (r === undefined || r.kind === 'fulfill') continue;
    const work: FollowUpWork =
      r.kind === 'fail-malformed'
        ? { kind: 'payment-result', channelId: m.channelId, htlcId: h.id, paymentHash: h.paymentHash, malformedCode: r.failureCode }
        : { kind: 'payment-result', channelId: m.channelId, htlcId: h.id, paymentHash: h.paymentHash };
    core.cs.followUp(target.peer, work);
  }
}

/** The records a `payment-result` follow-up reads. */
export function paymentResultRecords(work: Extract<FollowUpWork, { kind: 'payment-result' }>): string[] {
  const keys = offeredHtlcRecords(work.channelId, { id: work.htlcId, paymentHash: work.paymentHash });
  if (work.paymentPreimage === undefined && work.malformedCode === undefined) keys.push(RecordKeys.failureReason(toHex(work.channelId), work.htlcId));
  return keys;
}

/**
 * A `payment-result` follow-up: `PaymentSent` for a preimage; for a
 * failure, the path is attributed (`PaymentPathFailed`) and the payment
 * retried (routes over the channels of the payee and the hints' nodes,
 * which the plan loaded) or failed (`PaymentFailed`). Idempotent: a
 * payment whose attempt already resolved is left alone.
 */
export function applyPaymentResult(core: ManagerCore, peer: Uint8Array, work: Extract<FollowUpWork, { kind: 'payment-result' }>): void {
  const { cs } = core;
  const link = forwardLinkOf(core, work.channelId, work.htlcId);
  if (link !== undefined) return forwardResult(core, work, link);
  const payment = paymentOf(core, work.paymentHash);
  if (payment === undefined) return;
  const now = nowSecs(core);
  if (work.paymentPreimage !== undefined) {
    const step = attemptFulfilled(payment, work.paymentPreimage, now);
    if (step.ok) {
      scoreSuccess(core, partOf(payment, work.channelId, work.htlcId), now);
      record(core, step.value.payment, step.value.events);
    }
    return;
  }
  const part = partOf(payment, work.channelId, work.htlcId);
  if (payment.status !== 'pending' || part === undefined) return;
  const reasonKey = RecordKeys.failureReason(toHex(work.channelId), work.htlcId);
  const failure: HtlcFailure =
    work.malformedCode !== undefined ? { kind: 'fail-malformed', failureCode: work.malformedCode } : { kind: 'fail-htlc', reason: cs.record(reasonKey) ?? new Uint8Array(0) };
  if (work.malformedCode === undefined) cs.deleteRecord(reasonKey);
  failPart(core, peer, work.channelId, payment, part, failure);
}

/**
 * What an outcome of an HTLC we offered reads ({@link applyPaymentResult},
 * {@link heldHtlcWithdrawn}): the payment of its hash, and its forward link
 * (an HTLC we offered is ours, or a forward: docs/forwarding.md).
 */
export function offeredHtlcRecords(channelId: Uint8Array, htlc: Pick<HtlcRecord, 'id' | 'paymentHash'>): string[] {
  return [outboundPaymentKey(htlc.paymentHash), forwardLinkKey(channelId, htlc.id)];
}

/**
 * An HTLC we offered, taken back before it was sent (htlc-expiry.ts: held
 * too near its expiry): a forward fails back upstream with `forwardFailure`
 * (our BOLT 4 message for the payer); a part of one of our payments fails
 * at its first hop as a send that did not go (retried, or the payment
 * failed), as LDK fails its holding-cell timeouts.
 */
export function heldHtlcWithdrawn(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, htlc: Pick<HtlcRecord, 'id' | 'paymentHash'>, forwardFailure: Uint8Array, why: string): void {
  const link = forwardLinkOf(core, channelId, htlc.id);
  if (link !== undefined) return forwardFailed(core, channelId, htlc.id, link, { kind: 'withdrawn', message: forwardFailure });
  const payment = paymentOf(core, htlc.paymentHash);
  const part = payment === undefined ? undefined : partOf(payment, channelId, htlc.id);
  if (payment?.status !== 'pending' || part === undefined) return;
  failPart(core, peer, channelId, payment, part, { kind: 'initial-send', message: why });
}

/** The result of an HTLC we forwarded: upstream at once (forward-results.ts). */
function forwardResult(core: ManagerCore, work: Extract<FollowUpWork, { kind: 'payment-result' }>, link: ForwardLink): void {
  if (work.paymentPreimage !== undefined) return forwardFulfilled(core, work.channelId, work.htlcId, link, work.paymentPreimage);
  if (work.malformedCode !== undefined) return forwardFailed(core, work.channelId, work.htlcId, link, { kind: 'fail-malformed', failureCode: work.malformedCode });
  const reasonKey = RecordKeys.failureReason(toHex(work.channelId), work.htlcId);
  const reason = core.cs.record(reasonKey) ?? new Uint8Array(0);
  core.cs.deleteRecord(reasonKey);
  forwardFailed(core, work.channelId, work.htlcId, link, { kind: 'fail-htlc', reason });
}

/**
 * A part of `payment` failed (`failure`): attributed (`PaymentPathFailed`),
 * then the payment retried (a `retry-payment` follow-up: its routes start
 * on the channels of the payee and the hints' nodes, which its plan loads)
 * or failed (`PaymentFailed`) once no part is left in flight.
 */
function failPart(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, payment: OutboundPayment, part: PaymentAttempt, failure: HtlcFailure): void {
  const attributed = attributeFailure(core.ports.secp, part, failure);
  scoreFailure(core, part, attributed.shortChannelId, nowSecs(core));
  const failed = attemptFailed(payment, part.sessionKey, attributed, nowSecs(core));
  if (!failed.ok) return;
  record(core, failed.value.payment, failed.value.events);
  const next = failed.value.payment;
  if (failed.value.retry && next.status === 'pending') {
    core.cs.followUp(peer, { kind: 'retry-payment', channelId, paymentHash: next.paymentHash, peers: routingPeers(next.payeeNodeId, next.routeHints).map(fromHex) });
  }
}

/**
 * The records an `htlc-resolved-on-chain` follow-up reads: the payment of
 * its hash (absent: not one of ours) and the ids of the HTLCs of that name
 * (forward-onchain.ts; their forward links are read after them).
 */
export function htlcResolvedOnChainRecords(work: Extract<FollowUpWork, { kind: 'htlc-resolved-on-chain' }>): string[] {
  return [outboundPaymentKey(work.paymentHash), ...offeredOnChainRecords(work)];
}

/**
 * An `htlc-resolved-on-chain` follow-up (docs/force-close.md, "HTLCs we
 * offered, resolved on chain"; LDK's `MonitorEvent::HTLCEvent`): with the
 * preimage the counterparty revealed on chain, `PaymentSent` as for
 * `update_fulfill_htlc`; without, the part on that channel with that
 * amount fails as our own channel's permanent failure (the channel
 * excluded), then the payment is retried or failed as for any failed
 * part. Idempotent: a payment already resolved, or no part left to match,
 * changes nothing; a hash we never paid is ignored, as is a preimage that
 * does not hash to it. A forward goes upstream instead (forward-onchain.ts).
 */
export function applyHtlcResolvedOnChain(core: ManagerCore, peer: Uint8Array, work: Extract<FollowUpWork, { kind: 'htlc-resolved-on-chain' }>): void {
  if (forwardResolvedOnChain(core, work)) return;
  const payment = paymentOf(core, work.paymentHash);
  if (payment === undefined) return;
  const hash = toHex(work.paymentHash);
  if (work.paymentPreimage !== undefined) {
    const step = attemptFulfilled(payment, work.paymentPreimage, nowSecs(core));
    if (step.ok) record(core, step.value.payment, step.value.events);
    else log(core, 'warn', `payment ${hash}: on-chain preimage on ${toHex(work.channelId)} not taken: ${step.error.message}`);
    return;
  }
  const part = partOnChainOf(payment, work.channelId, work.amountMsat, work.cltvExpiry);
  if (part === undefined) return;
  log(core, 'info', `payment ${hash}: its HTLC of ${work.amountMsat} msat on ${toHex(work.channelId)} failed on chain`);
  failPart(core, peer, work.channelId, payment, part, { kind: 'on-chain' });
}

/**
 * LDK's `abandon_payment` (loaded with `{ kind: 'abandon-payment' }`): no
 * retry follows; with no HTLC in flight the payment fails now
 * (`UserAbandoned`), else when its last part fails (a late preimage still
 * makes it sent). An unknown or resolved payment is left as it is.
 */
export function abandonPayment(core: ManagerCore, paymentId: Uint8Array): void {
  const hash = core.cs.record(RecordKeys.paymentId(toHex(paymentId)));
  const payment = hash === undefined ? undefined : paymentOf(core, hash);
  if (payment === undefined || toHex(payment.paymentId) !== toHex(paymentId)) return;
  const step = abandonStep(payment, nowSecs(core));
  if (step.payment !== payment) record(core, step.payment, step.events);
}

/**
 * A `retry-payment` follow-up: the next attempt of a payment still pending
 * for what its parts in flight do not carry (nothing to do when an earlier
 * follow-up re-routed it already, or the payment gave up).
 */
export function applyRetryPayment(core: ManagerCore, paymentHash: Uint8Array): void {
  const payment = paymentOf(core, paymentHash);
  if (payment?.status !== 'pending' || payment.abandonReason !== undefined || remainingMsat(payment) <= 0n) return;
  const next = attempt(core, retryStarted(payment));
  record(core, next.payment, next.events);
}
