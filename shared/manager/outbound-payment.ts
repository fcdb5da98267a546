/**
 * The state of a payment we send (LDK's `outbound_payment.rs`, in our
 * words), keyed by a caller-chosen 32-byte PaymentId: pending with the
 * attempt in flight, then fulfilled (preimage, fee paid) or failed (a
 * `PaymentFailureReason`). A resolved payment is remembered for
 * {@link PAYMENT_MEMORY_SECS} so that sending again under the same id is
 * refused (`DuplicatePayment`) rather than paying twice.
 *
 * A payment is one or more parts in flight (basic multi-part, BOLT 4: each
 * part a route of its own, their payee amounts adding up to the total); it
 * is sent once the first part's preimage arrives, and failed only when no
 * part is left in flight and no retry can complete the total. Every function is pure: it takes a
 * record and returns the next record plus the events to emit; the manager
 * stores the record and routes/sends the next attempt when told to retry.
 * Failure attribution (BOLT 4 "Returning Errors") is {@link attributeFailure}.
 */
import { equalBytes } from '../codec/index.js';
import { sha256, type Secp256k1 } from '../crypto/index.js';
import type { RouteHint } from '../invoice/index.js';
import { FailureFlag, decodeFailure, failureMessage, hasFlag, type FailureMessage } from '../onion/index.js';
import { attemptSharedSecrets, type RecipientFields } from './outbound-onion.js';
import type { Route, RouteHop } from '../routing/index.js';

/** The most parts a payment has in flight at once (LDK's `max_path_count`): bounds the stored record. */
export const MAX_PARTS_IN_FLIGHT = 10;

/** A resolved payment is kept (and its PaymentId refused) for at least this long: 24 hours. */
export const PAYMENT_MEMORY_SECS = 24 * 60 * 60;

/** LDK's `PaymentFailureReason`: why a payment was given up. */
export const PaymentFailureReason = {
  /** The payee failed the HTLC with a permanent failure (e.g. unknown payment hash or wrong amount). */
  RecipientRejected: 'RecipientRejected',
  /** The user abandoned the payment. */
  UserAbandoned: 'UserAbandoned',
  /** The retry strategy allowed no further attempt. */
  RetriesExhausted: 'RetriesExhausted',
  /** The invoice expired before the next attempt. */
  PaymentExpired: 'PaymentExpired',
  /** No route to the payee (at the start or for a retry). */
  RouteNotFound: 'RouteNotFound',
  /** Something that should not happen (e.g. the onion could not be built). */
  UnexpectedError: 'UnexpectedError',
} as const;
export type PaymentFailureReason = (typeof PaymentFailureReason)[keyof typeof PaymentFailureReason];

/**
 * LDK's `Retry`: at most `attempts` retries after the first attempt (a retry
 * re-routes what the failed parts carried, in one or more new parts: it
 * counts once however many parts it sends), or retries while less than
 * `timeoutSecs` have passed since the start.
 */
export type Retry = { readonly attempts: number } | { readonly timeoutSecs: number };

/** One HTLC sent for the payment (a part, or the whole payment). */
export interface PaymentAttempt {
  readonly route: Route;
  /** The onion's session key: reads the failure the route returns. */
  readonly sessionKey: Uint8Array;
  /** Set once the channel has accepted the HTLC (`update_add_htlc` queued). */
  readonly htlcId?: bigint;
}

/** What `startPayment` needs (from a decoded invoice, or a keysend request). */
export interface PaymentParams {
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly payeeNodeId: Uint8Array;
  readonly amountMsat: bigint;
  readonly finalCltvExpiryDelta: number;
  readonly routeHints: readonly RouteHint[];
  readonly recipient: RecipientFields;
  readonly retry: Retry;
  /** The invoice's expiry (`timestamp + x`): no attempt is started at or after it. */
  readonly expiresAtSecs?: number;
  /** LDK's `max_total_routing_fee_msat`: no attempt (first or retry) takes routes whose fees add up to more. */
  readonly maxTotalRoutingFeeMsat?: bigint;
  /** The invoice offers `basic_mpp` (bit 16 or 17): the payment may be split in parts (only with a payment secret). */
  readonly basicMpp?: boolean;
}

export interface PendingPayment extends PaymentParams {
  readonly status: 'pending';
  readonly startedAtSecs: number;
  /** Parts (HTLCs) that have failed so far. */
  readonly failedAttempts: number;
  /** Retries started so far (what `Retry.attempts` bounds). */
  readonly retriesMade: number;
  /** The parts in flight (at most {@link MAX_PARTS_IN_FLIGHT}); their payee amounts add up to at most `amountMsat`. */
  readonly parts: readonly PaymentAttempt[];
  /** Channels that failed permanently for this payment: excluded from the next routes. */
  readonly excludedShortChannelIds: readonly bigint[];
  /** Set when no retry will be made (abandoned, a permanent failure or no route while other parts are in flight): the reason reported once the last part fails. */
  readonly abandonReason?: PaymentFailureReason;
}

export interface FulfilledPayment {
  readonly status: 'fulfilled';
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly paymentPreimage: Uint8Array;
  readonly feePaidMsat: bigint;
  readonly resolvedAtSecs: number;
}

export interface FailedPayment {
  readonly status: 'failed';
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly reason: PaymentFailureReason;
  readonly resolvedAtSecs: number;
}

export type OutboundPayment = PendingPayment | FulfilledPayment | FailedPayment;

/** LDK's `Event::PaymentSent`. */
export interface PaymentSent {
  readonly kind: 'payment-sent';
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly paymentPreimage: Uint8Array;
  readonly feePaidMsat: bigint;
}

/** How one attempt failed (LDK's `PathFailure`). */
export type PathFailure =
  | {
      /** The HTLC came back failed from the route. */
      readonly kind: 'on-path';
      /** The hop (0 = our peer) that reported the failure; absent when no hop could be identified. */
      readonly failingHopIndex?: number;
      readonly failingNodeId?: Uint8Array;
      readonly failureCode?: number;
      /** The decoded failure message, when it decoded. */
      readonly message?: FailureMessage;
    }
  | {
      /** Our channel refused the HTLC before it left. */
      readonly kind: 'initial-send';
      readonly message: string;
    };

/** LDK's `Event::PaymentPathFailed`. */
export interface PaymentPathFailed {
  readonly kind: 'payment-path-failed';
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  /** True when no other route could succeed (the payee rejected the payment): no retry. */
  readonly paymentFailedPermanently: boolean;
  readonly failure: PathFailure;
  /** The channel blamed for the failure, if any. */
  readonly shortChannelId?: bigint;
  readonly path: readonly RouteHop[];
}

/** LDK's `Event::PaymentFailed`. */
export interface PaymentFailed {
  readonly kind: 'payment-failed';
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly reason: PaymentFailureReason;
}

export type PaymentEvent = PaymentSent | PaymentPathFailed | PaymentFailed;

/** A step's outcome: the next record and the events, in order. `retry` asks the manager for a new route and attempt. */
export interface PaymentStep {
  readonly payment: OutboundPayment;
  readonly events: readonly PaymentEvent[];
  readonly retry: boolean;
}

export const PaymentErrorCode = {
  /** The PaymentId is pending or resolved less than 24 h ago. */
  DuplicatePayment: 'DuplicatePayment',
  /** The invoice has expired. */
  PaymentExpired: 'PaymentExpired',
  /** A field out of range (id or hash not 32 bytes, amount not positive, bad retry). */
  InvalidParams: 'InvalidParams',
  /** The call does not fit the payment's state (no attempt in flight, already resolved, ...). */
  WrongState: 'WrongState',
  /** The preimage does not hash to the payment hash. */
  PreimageMismatch: 'PreimageMismatch',
} as const;
export type PaymentErrorCode = (typeof PaymentErrorCode)[keyof typeof PaymentErrorCode];

export interface PaymentError {
  readonly code: PaymentErrorCode;
  readonly message: string;
}

export type PaymentResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PaymentError };

const err = <T>(code: PaymentErrorCode, message: string): PaymentResult<T> => ({ ok: false, error: { code, message } });
const ok = <T>(value: T): PaymentResult<T> => ({ ok: true, value });

/** True when a resolved payment may be dropped (and its PaymentId reused). A pending payment never is. */
export function isForgettable(payment: OutboundPayment, nowSecs: number): boolean {
  return payment.status !== 'pending' && nowSecs >= payment.resolvedAtSecs + PAYMENT_MEMORY_SECS;
}

function validRetry(retry: Retry): boolean {
  const n = 'attempts' in retry ? retry.attempts : retry.timeoutSecs;
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Registers a new payment. `existing` is the stored record under the same
 * PaymentId, if any: refused with `DuplicatePayment` unless it resolved at
 * least 24 h ago. The caller then finds a route ({@link routeNotFound} if
 * none) and builds the onion ({@link attemptStarted}).
 */
export function startPayment(existing: OutboundPayment | undefined, params: PaymentParams, nowSecs: number): PaymentResult<PendingPayment> {
  if (existing !== undefined && !isForgettable(existing, nowSecs)) {
    return err(PaymentErrorCode.DuplicatePayment, 'a payment with this PaymentId is pending or resolved within the last 24 hours');
  }
  if (params.paymentId.length !== 32 || params.paymentHash.length !== 32) return err(PaymentErrorCode.InvalidParams, 'PaymentId and payment hash are 32 bytes');
  if (params.amountMsat <= 0n) return err(PaymentErrorCode.InvalidParams, 'the amount must be positive');
  if (!validRetry(params.retry)) return err(PaymentErrorCode.InvalidParams, 'the retry count or timeout must be a non-negative integer');
  if (params.expiresAtSecs !== undefined && nowSecs >= params.expiresAtSecs) return err(PaymentErrorCode.PaymentExpired, 'the invoice has expired');
  return ok({ ...params, status: 'pending', startedAtSecs: nowSecs, failedAttempts: 0, retriesMade: 0, parts: [], excludedShortChannelIds: [] });
}

/** What the parts in flight do not yet carry to the payee: what the next attempt (first or retry) routes. */
export function remainingMsat(payment: PendingPayment): bigint {
  return payment.amountMsat - payment.parts.reduce((sum, p) => sum + p.route.totalAmountMsat, 0n);
}

/** The part whose HTLC is `htlcId` on the channel `channelId`, if any. */
export function partOf(payment: OutboundPayment, channelId: Uint8Array, htlcId: bigint): PaymentAttempt | undefined {
  if (payment.status !== 'pending') return undefined;
  return payment.parts.find((p) => p.htlcId === htlcId && equalBytes(p.route.firstHopChannelId, channelId));
}

/**
 * The part whose HTLC the chain settled on channel `channelId` (docs/force-close.md,
 * "HTLCs we offered, resolved on chain"): the chain shows no HTLC id, so the
 * part is the first in flight on that channel whose HTLC carries
 * `amountMsat` (and expires at `cltvExpiry`, when given).
 */
export function partOnChainOf(payment: OutboundPayment, channelId: Uint8Array, amountMsat: bigint, cltvExpiry?: number): PaymentAttempt | undefined {
  if (payment.status !== 'pending') return undefined;
  return payment.parts.find(
    (p) =>
      p.htlcId !== undefined &&
      equalBytes(p.route.firstHopChannelId, channelId) &&
      p.route.htlcAmountMsat === amountMsat &&
      (cltvExpiry === undefined || p.route.htlcCltvExpiry === cltvExpiry),
  );
}

/** True when the payment may be split in parts: the invoice offers `basic_mpp` and we send its payment secret (never a keysend, as LDK). */
export function mayUseParts(payment: PaymentParams): boolean {
  return payment.basicMpp === true && payment.recipient.paymentSecret !== undefined && payment.recipient.keysendPreimage === undefined;
}

/** A retry begins (the manager routes what the failed parts carried): counted against `Retry.attempts`. */
export function retryStarted(payment: PendingPayment): PendingPayment {
  return { ...payment, retriesMade: payment.retriesMade + 1 };
}

/**
 * Records a part whose onion was built (before its HTLC is added to the
 * channel). Refused once the payment gives up (abandoned), when the part
 * would carry more than what remains (never pay more than the total), or
 * past {@link MAX_PARTS_IN_FLIGHT}.
 */
export function attemptStarted(payment: OutboundPayment, attempt: Omit<PaymentAttempt, 'htlcId'>): PaymentResult<PendingPayment> {
  if (payment.status !== 'pending' || payment.abandonReason !== undefined) return err(PaymentErrorCode.WrongState, 'no new attempt can start now');
  if (attempt.route.totalAmountMsat > remainingMsat(payment)) return err(PaymentErrorCode.WrongState, 'the parts in flight already carry the amount');
  if (payment.parts.length >= MAX_PARTS_IN_FLIGHT) return err(PaymentErrorCode.WrongState, `${MAX_PARTS_IN_FLIGHT} parts are in flight already`);
  return ok({ ...payment, parts: [...payment.parts, { route: attempt.route, sessionKey: attempt.sessionKey }] });
}

/** Records the id of the HTLC the channel accepted for the part started with `sessionKey`. */
export function htlcAdded(payment: OutboundPayment, sessionKey: Uint8Array, htlcId: bigint): PaymentResult<PendingPayment> {
  if (payment.status !== 'pending') return err(PaymentErrorCode.WrongState, 'no attempt in flight');
  const i = payment.parts.findIndex((p) => p.htlcId === undefined && equalBytes(p.sessionKey, sessionKey));
  if (i < 0) return err(PaymentErrorCode.WrongState, 'no such part waiting for its HTLC');
  return ok({ ...payment, parts: payment.parts.map((p, j) => (j === i ? { ...p, htlcId } : p)) });
}

function failed(payment: PendingPayment, reason: PaymentFailureReason, nowSecs: number): { payment: FailedPayment; event: PaymentFailed } {
  return {
    payment: { status: 'failed', paymentId: payment.paymentId, paymentHash: payment.paymentHash, reason, resolvedAtSecs: nowSecs },
    event: { kind: 'payment-failed', paymentId: payment.paymentId, paymentHash: payment.paymentHash, reason },
  };
}

/**
 * No route for the next attempt (first or retry): the payment fails with
 * `RouteNotFound`, at once when no part is in flight, else when the last
 * part fails (a part's preimage still makes it sent).
 */
export function routeNotFound(payment: OutboundPayment, nowSecs: number): PaymentResult<PaymentStep> {
  if (payment.status !== 'pending') return err(PaymentErrorCode.WrongState, 'only a pending payment can lack a route');
  const reason = payment.abandonReason ?? PaymentFailureReason.RouteNotFound;
  if (payment.parts.length > 0) return ok({ payment: { ...payment, abandonReason: reason }, events: [], retry: false });
  const f = failed(payment, reason, nowSecs);
  return ok({ payment: f.payment, events: [f.event], retry: false });
}

/**
 * The user gives up (LDK's `abandon_payment`): with no HTLC in flight the
 * payment fails now (`UserAbandoned`); otherwise no retry follows and
 * `PaymentFailed` comes when the HTLC fails (a late preimage still makes it
 * `PaymentSent`). A resolved payment is left as it is.
 */
export function abandonPayment(payment: OutboundPayment, nowSecs: number): PaymentStep {
  if (payment.status !== 'pending') return { payment, events: [], retry: false };
  if (payment.parts.length === 0) {
    const f = failed(payment, PaymentFailureReason.UserAbandoned, nowSecs);
    return { payment: f.payment, events: [f.event], retry: false };
  }
  return { payment: { ...payment, abandonReason: payment.abandonReason ?? PaymentFailureReason.UserAbandoned }, events: [], retry: false };
}

/**
 * A part's HTLC was fulfilled: `PaymentSent`, once, with the fees of every
 * part in flight (as LDK: the other parts are the payee's to claim with the
 * same preimage). The preimage must hash to the payment hash. The other
 * parts' fulfilments then find the payment fulfilled and add no event.
 */
export function attemptFulfilled(payment: OutboundPayment, paymentPreimage: Uint8Array, nowSecs: number): PaymentResult<PaymentStep> {
  if (paymentPreimage.length !== 32 || !equalBytes(sha256(paymentPreimage), payment.paymentHash)) {
    return err(PaymentErrorCode.PreimageMismatch, 'the preimage does not hash to the payment hash');
  }
  if (payment.status === 'fulfilled') return ok({ payment, events: [], retry: false });
  if (payment.status !== 'pending' || payment.parts.length === 0) return err(PaymentErrorCode.WrongState, 'no attempt in flight');
  const feePaidMsat = payment.parts.reduce((sum, p) => sum + p.route.totalFeeMsat, 0n);
  const next: FulfilledPayment = { status: 'fulfilled', paymentId: payment.paymentId, paymentHash: payment.paymentHash, paymentPreimage, feePaidMsat, resolvedAtSecs: nowSecs };
  return ok({ payment: next, events: [{ kind: 'payment-sent', paymentId: payment.paymentId, paymentHash: payment.paymentHash, paymentPreimage, feePaidMsat }], retry: false });
}

/**
 * How the attempt's HTLC came back: `update_fail_htlc`'s `reason`,
 * `update_fail_malformed_htlc`'s code, refused by our channel before it
 * left, or, the channel closed, taken back on chain (our timeout claim) or
 * trimmed as dust on the commitment that confirmed.
 */
export type HtlcFailure =
  | { readonly kind: 'fail-htlc'; readonly reason: Uint8Array }
  | { readonly kind: 'fail-malformed'; readonly failureCode: number }
  | { readonly kind: 'initial-send'; readonly message: string }
  | { readonly kind: 'on-chain' };

/** What a failure says about the route (LDK's `DecodedOnionFailure`, reduced). */
export interface AttributedFailure {
  readonly failure: PathFailure;
  /** The payee rejected the payment (a PERM failure from the final node, or a failure no hop can be blamed for): no retry. */
  readonly paymentFailedPermanently: boolean;
  /** The channel blamed (for the event and the scorer). */
  readonly shortChannelId?: bigint;
  /** A channel not to use again for this payment (a permanent channel or node failure, a refused first hop). */
  readonly excludeShortChannelId?: bigint;
}

/**
 * BOLT 4 "Returning Errors" from the origin's side: which hop failed and
 * what that means for this payment. `update_fail_htlc`: the `reason` is
 * peeled with the attempt's shared secrets (`decodeFailure`); the hop whose
 * HMAC matches is the one that failed. Then, as LDK reads it:
 * - from the payee with PERM: the payment failed permanently (RecipientRejected);
 * - BADONION from hop i: hop i's next channel is blamed and excluded;
 * - NODE: the node is blamed (the channel into it), excluded if PERM;
 * - PERM (channel): hop i's outgoing channel, excluded;
 * - UPDATE: hop i's outgoing channel, temporary (not excluded);
 * - a code BOLT 4 does not define, or no code at all from an intermediate hop: the node is blamed and excluded;
 * - no hop's HMAC matches: unattributable, permanent (as LDK: the payee may be lying).
 * `update_fail_malformed_htlc` comes from our peer: the first hop, not permanent.
 * An HTLC failed on chain is our own channel's failure, as LDK reports it
 * (`OnChainTimeout`, BOLT 4 code `permanent_channel_failure`): the first
 * hop blamed and excluded from the retry, the payment not failed
 * permanently (another channel may carry it).
 */
export function attributeFailure(secp: Secp256k1, attempt: PaymentAttempt, htlcFailure: HtlcFailure): AttributedFailure {
  const hops = attempt.route.hops;
  const firstScid = hops[0]?.shortChannelId;
  if (htlcFailure.kind === 'initial-send') {
    return {
      failure: { kind: 'initial-send', message: htlcFailure.message },
      paymentFailedPermanently: false,
      ...(firstScid === undefined ? {} : { shortChannelId: firstScid, excludeShortChannelId: firstScid }),
    };
  }
  if (htlcFailure.kind === 'on-chain') {
    return {
      failure: { kind: 'on-path', failingHopIndex: 0, ...(hops[0] === undefined ? {} : { failingNodeId: hops[0].pubkey }), failureCode: ON_CHAIN_FAILURE.failureCode, message: ON_CHAIN_FAILURE },
      paymentFailedPermanently: false,
      ...(firstScid === undefined ? {} : { shortChannelId: firstScid, excludeShortChannelId: firstScid }),
    };
  }
  if (htlcFailure.kind === 'fail-malformed') {
    return {
      failure: { kind: 'on-path', failingHopIndex: 0, ...(hops[0] === undefined ? {} : { failingNodeId: hops[0].pubkey }), failureCode: htlcFailure.failureCode },
      paymentFailedPermanently: false,
      ...(firstScid === undefined ? {} : { shortChannelId: firstScid }),
    };
  }
  const decoded = decodeFailure(attemptSharedSecrets(secp, attempt.sessionKey, attempt.route), htlcFailure.reason);
  if (!decoded.ok && decoded.hopIndex === undefined) {
    return { failure: { kind: 'on-path' }, paymentFailedPermanently: true };
  }
  const i = decoded.hopIndex!;
  const hop = hops[i]!;
  const isFinal = i === hops.length - 1;
  const intoScid = hop.shortChannelId;
  const outScid = hops[i + 1]?.shortChannelId ?? intoScid;
  const bytes = decoded.ok ? decoded.failureMessage : new Uint8Array(0);
  const base = { kind: 'on-path' as const, failingHopIndex: i, failingNodeId: hop.pubkey };
  if (bytes.length < 2) {
    // No failure code: the node cannot be understood; blame it.
    return { failure: base, paymentFailedPermanently: isFinal, shortChannelId: intoScid, ...(isFinal ? {} : { excludeShortChannelId: intoScid }) };
  }
  const code = (bytes[0]! << 8) | bytes[1]!;
  const failure: PathFailure = { ...base, failureCode: code, ...(decoded.ok && decoded.message !== undefined ? { message: decoded.message } : {}) };
  const perm = hasFlag(code, FailureFlag.PERM);
  // BOLT 4 codes the payee answers about the payment itself (15, 18, 19, 23; 16, 17 are historic).
  const recipientFailure = isFinal && [15, 16, 17, 18, 19, 23].includes(code & 0xff);
  const paymentFailedPermanently = perm && isFinal;
  if (hasFlag(code, FailureFlag.BADONION)) {
    return { failure, paymentFailedPermanently, shortChannelId: outScid, excludeShortChannelId: outScid };
  }
  if (hasFlag(code, FailureFlag.NODE)) {
    return { failure, paymentFailedPermanently, shortChannelId: intoScid, ...(perm && !isFinal ? { excludeShortChannelId: intoScid } : {}) };
  }
  if (perm) {
    if (recipientFailure) return { failure, paymentFailedPermanently };
    return { failure, paymentFailedPermanently, shortChannelId: outScid, ...(isFinal ? {} : { excludeShortChannelId: outScid }) };
  }
  if (hasFlag(code, FailureFlag.UPDATE)) return { failure, paymentFailedPermanently, shortChannelId: outScid };
  if (recipientFailure) {
    // Only a value in the HTLC that does not match the onion blames the last channel.
    const wrongValue = (code & 0xff) === 18 || (code & 0xff) === 19;
    return { failure, paymentFailedPermanently, ...(wrongValue ? { shortChannelId: intoScid } : {}) };
  }
  return { failure, paymentFailedPermanently, shortChannelId: intoScid, ...(isFinal ? {} : { excludeShortChannelId: intoScid }) };
}

/** What an HTLC failed on chain reports (LDK's `OnChainTimeout` carries this code). */
const ON_CHAIN_FAILURE = failureMessage('permanentChannelFailure', {});

function retryAllowed(payment: PendingPayment, nowSecs: number): boolean {
  const retry = payment.retry;
  if ('attempts' in retry) return payment.retriesMade < retry.attempts;
  return nowSecs - payment.startedAtSecs <= retry.timeoutSecs;
}

/**
 * The part started with `sessionKey` failed: `PaymentPathFailed`, then
 * either a retry (`retry: true`: the manager routes {@link remainingMsat}
 * again, excluding `excludedShortChannelIds`) or no retry, the reason being,
 * in this order: the abandon reason, `RecipientRejected` (permanent),
 * `PaymentExpired` (the invoice expired), `RetriesExhausted` (the
 * {@link Retry} allows no more). Without a retry the payment fails
 * (`PaymentFailed`) when this was the last part in flight; otherwise it
 * keeps the reason and waits for the other parts (one may still bring the
 * preimage).
 */
export function attemptFailed(payment: OutboundPayment, sessionKey: Uint8Array, attributed: AttributedFailure, nowSecs: number): PaymentResult<PaymentStep> {
  if (payment.status !== 'pending') return err(PaymentErrorCode.WrongState, 'no attempt in flight');
  const part = payment.parts.find((p) => equalBytes(p.sessionKey, sessionKey));
  if (part === undefined) return err(PaymentErrorCode.WrongState, 'no such part in flight');
  const pathFailed: PaymentPathFailed = {
    kind: 'payment-path-failed',
    paymentId: payment.paymentId,
    paymentHash: payment.paymentHash,
    paymentFailedPermanently: attributed.paymentFailedPermanently,
    failure: attributed.failure,
    ...(attributed.shortChannelId === undefined ? {} : { shortChannelId: attributed.shortChannelId }),
    path: part.route.hops,
  };
  const failedAttempts = payment.failedAttempts + 1;
  const exclude = attributed.excludeShortChannelId;
  const excludedShortChannelIds =
    exclude === undefined || payment.excludedShortChannelIds.includes(exclude) ? payment.excludedShortChannelIds : [...payment.excludedShortChannelIds, exclude];
  const parts = payment.parts.filter((p) => p !== part);
  const next: PendingPayment = { ...payment, parts, failedAttempts, excludedShortChannelIds };
  let reason: PaymentFailureReason | undefined = payment.abandonReason;
  if (reason === undefined && attributed.paymentFailedPermanently) reason = PaymentFailureReason.RecipientRejected;
  if (reason === undefined && payment.expiresAtSecs !== undefined && nowSecs >= payment.expiresAtSecs) reason = PaymentFailureReason.PaymentExpired;
  if (reason === undefined && !retryAllowed(payment, nowSecs)) reason = PaymentFailureReason.RetriesExhausted;
  if (reason !== undefined) {
    if (parts.length > 0) return ok({ payment: { ...next, abandonReason: reason }, events: [pathFailed], retry: false });
    const f = failed(next, reason, nowSecs);
    return ok({ payment: f.payment, events: [pathFailed, f.event], retry: false });
  }
  return ok({ payment: next, events: [pathFailed], retry: true });
}
