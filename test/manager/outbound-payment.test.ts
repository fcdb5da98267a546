/**
 * A payment we send, as a record moving through pure steps: start (and the
 * PaymentId memory), attempts, failure attribution from a failure packet
 * made by hop i (shared/onion `createFailurePacket`, wrapped back by hops
 * i-1..0), retry or give up (LDK's PaymentFailureReason), fulfilment.
 */
import { describe, expect, it } from 'vitest';
import { sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  PAYMENT_MEMORY_SECS,
  PaymentErrorCode,
  PaymentFailureReason,
  abandonPayment,
  attemptFailed,
  attemptFulfilled,
  attemptStarted,
  attributeFailure,
  buildOutboundOnion,
  htlcAdded,
  isForgettable,
  mayUseParts,
  partOf,
  remainingMsat,
  retryStarted,
  routeNotFound,
  startPayment,
  type AttributedFailure,
  type FirstHop,
  type OutboundPayment,
  type PaymentAttempt,
  type PaymentParams,
  type PaymentResult,
  type PaymentStep,
  type PendingPayment,
  type Retry,
  type Route,
} from '../../shared/manager/index.js';
import { findRoute } from '../support/reference-router.js';
import { FAILURE_CODES, createFailurePacket, failureMessage, peelOnion, wrapFailurePacket, type FailureMessage } from '../../shared/onion/index.js';

const secp = wasmSecp256k1;
const secret = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const US = secp.publicKeyFromSecret(secret(1));
const [A, B, P] = [2, 3, 4].map((n) => secp.publicKeyFromSecret(secret(n))) as [Uint8Array, Uint8Array, Uint8Array];
const NODE_SECRETS = [secret(2), secret(3), secret(4)];
const HEIGHT = 800_000;
const T0 = 1_800_000_000;
const preimage = new Uint8Array(32).fill(0x99);
const paymentHash = sha256(preimage);
const paymentSecret = new Uint8Array(32).fill(0x5e);
const paymentId = new Uint8Array(32).fill(0x1d);
const HINT = [
  { pubkey: A, shortChannelId: 801n, feeBaseMsat: 1000n, feeProportionalMillionths: 1000, cltvExpiryDelta: 40 },
  { pubkey: B, shortChannelId: 802n, feeBaseMsat: 500n, feeProportionalMillionths: 2000, cltvExpiryDelta: 30 },
];
const FIRST_HOP: FirstHop = { channelId: new Uint8Array(32).fill(6), counterpartyNodeId: A, shortChannelId: 600n, outboundCapacityMsat: 10n ** 9n, nextOutboundHtlcMinimumMsat: 1n };

function params(retry: Retry = { attempts: 3 }, extra: Partial<PaymentParams> = {}): PaymentParams {
  return {
    paymentId,
    paymentHash,
    payeeNodeId: P,
    amountMsat: 2_000_000n,
    finalCltvExpiryDelta: 18,
    routeHints: [HINT],
    recipient: { paymentSecret },
    retry,
    expiresAtSecs: T0 + 3600,
    ...extra,
  };
}

function value<T>(r: PaymentResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function routeFor(p: PendingPayment): Route {
  const r = findRoute({
    ourNodeId: US,
    payeeNodeId: p.payeeNodeId,
    amountMsat: p.amountMsat,
    finalCltvExpiryDelta: p.finalCltvExpiryDelta,
    bestBlockHeight: HEIGHT,
    firstHops: [FIRST_HOP],
    routeHints: p.routeHints,
    excludedShortChannelIds: p.excludedShortChannelIds,
  });
  if (!r.ok) throw new Error(r.error.code);
  return r.route;
}

/** Starts the payment and its first attempt (route, onion, HTLC id 0); returns the record and the onion. */
function inFlight(retry?: Retry, extra?: Partial<PaymentParams>, sessionByte = 0x42): { payment: PendingPayment; onion: Uint8Array } {
  const p = value(startPayment(undefined, params(retry, extra), T0));
  return nextAttempt(p, sessionByte);
}

function nextAttempt(p: PendingPayment, sessionByte: number): { payment: PendingPayment; onion: Uint8Array } {
  const route = routeFor(p);
  const o = buildOutboundOnion(secp, route, p.paymentHash, p.recipient, new Uint8Array(32).fill(sessionByte));
  if (!o.ok) throw new Error(o.error.message);
  const started = value(attemptStarted(p, { route, sessionKey: o.value.sessionKey }));
  return { payment: value(htlcAdded(started, o.value.sessionKey, 0n)), onion: o.value.onion };
}

/** The `reason` of `update_fail_htlc` as our peer delivers it when hop `index` fails with `message`. */
function failurePacketFrom(onion: Uint8Array, index: number, message: FailureMessage | Uint8Array): Uint8Array {
  const secrets: Uint8Array[] = [];
  let packet: Uint8Array | null = onion;
  for (const s of NODE_SECRETS.slice(0, index + 1)) {
    const peeled = peelOnion(secp, s, packet!, paymentHash);
    if (!peeled.ok) throw new Error('peel');
    secrets.push(peeled.value.sharedSecret);
    packet = peeled.value.next;
  }
  let reason = createFailurePacket(secrets[index]!, message);
  for (let k = index - 1; k >= 0; k--) reason = wrapFailurePacket(secrets[k]!, reason);
  return reason;
}

function attempt(p: OutboundPayment): PaymentAttempt {
  if (p.status !== 'pending' || p.parts.length === 0) throw new Error('no attempt');
  return p.parts[p.parts.length - 1]!;
}

function failAt(p: PendingPayment, onion: Uint8Array, index: number, message: FailureMessage | Uint8Array): AttributedFailure {
  return attributeFailure(secp, attempt(p), { kind: 'fail-htlc', reason: failurePacketFrom(onion, index, message) });
}

const update = new Uint8Array(10).fill(0xcc);

describe('failure attribution (BOLT 4 "Returning Errors", read as LDK reads it)', () => {
  const { payment, onion } = inFlight();

  it('the payee\'s incorrect_or_unknown_payment_details: hop 2, permanent, no channel blamed', () => {
    const a = failAt(payment, onion, 2, failureMessage('incorrectOrUnknownPaymentDetails', { htlcMsat: 2_000_000n, height: HEIGHT }));
    expect(a.failure).toMatchObject({ kind: 'on-path', failingHopIndex: 2, failingNodeId: P, failureCode: FAILURE_CODES.incorrectOrUnknownPaymentDetails });
    expect(a.failure.kind === 'on-path' && a.failure.message?.name).toBe('incorrectOrUnknownPaymentDetails');
    expect(a.paymentFailedPermanently).toBe(true);
    expect(a.shortChannelId).toBeUndefined();
    expect(a.excludeShortChannelId).toBeUndefined();
  });

  it('temporary_channel_failure from B: its outgoing channel (802) blamed, temporary', () => {
    const a = failAt(payment, onion, 1, failureMessage('temporaryChannelFailure', { channelUpdate: update }));
    expect(a.failure).toMatchObject({ failingHopIndex: 1, failingNodeId: B, failureCode: FAILURE_CODES.temporaryChannelFailure });
    expect(a.paymentFailedPermanently).toBe(false);
    expect(a.shortChannelId).toBe(802n);
    expect(a.excludeShortChannelId).toBeUndefined();
  });

  it('permanent_channel_failure from A: its outgoing channel (801) blamed and excluded, the payment goes on', () => {
    const a = failAt(payment, onion, 0, failureMessage('permanentChannelFailure', {}));
    expect(a.failure).toMatchObject({ failingHopIndex: 0, failingNodeId: A });
    expect(a.paymentFailedPermanently).toBe(false);
    expect(a.shortChannelId).toBe(801n);
    expect(a.excludeShortChannelId).toBe(801n);
  });

  it('a node failure: the channel into the node, excluded only when PERM', () => {
    const temp = failAt(payment, onion, 1, failureMessage('temporaryNodeFailure', {}));
    expect([temp.shortChannelId, temp.excludeShortChannelId, temp.paymentFailedPermanently]).toEqual([801n, undefined, false]);
    const perm = failAt(payment, onion, 1, failureMessage('permanentNodeFailure', {}));
    expect([perm.shortChannelId, perm.excludeShortChannelId, perm.paymentFailedPermanently]).toEqual([801n, 801n, false]);
  });

  it('BADONION reported by A about B: A\'s outgoing channel excluded', () => {
    const a = failAt(payment, onion, 0, failureMessage('invalidOnionHmac', { sha256OfOnion: new Uint8Array(32) }));
    expect([a.shortChannelId, a.excludeShortChannelId, a.paymentFailedPermanently]).toEqual([801n, 801n, false]);
  });

  it('the payee\'s final_incorrect_htlc_amount (not PERM): blames the last channel, retried as LDK does', () => {
    const a = failAt(payment, onion, 2, failureMessage('finalIncorrectHtlcAmount', { incomingHtlcAmt: 1n }));
    expect([a.shortChannelId, a.paymentFailedPermanently]).toEqual([802n, false]);
  });

  it('an undefined code or a message without a code from an intermediate node: that node is blamed and avoided', () => {
    const unknown = failAt(payment, onion, 1, Uint8Array.of(0x00, 0x63));
    expect(unknown.failure).toMatchObject({ failingHopIndex: 1, failureCode: 0x63 });
    expect([unknown.shortChannelId, unknown.excludeShortChannelId]).toEqual([801n, 801n]);
    const empty = failAt(payment, onion, 1, new Uint8Array(0));
    expect([empty.shortChannelId, empty.excludeShortChannelId, empty.paymentFailedPermanently]).toEqual([801n, 801n, false]);
  });

  it('a packet no hop\'s HMAC matches is unattributable and permanent', () => {
    const a = attributeFailure(secp, attempt(payment), { kind: 'fail-htlc', reason: new Uint8Array(292).fill(7) });
    expect(a).toEqual({ failure: { kind: 'on-path' }, paymentFailedPermanently: true });
    expect(attributeFailure(secp, attempt(payment), { kind: 'fail-htlc', reason: new Uint8Array(0) }).paymentFailedPermanently).toBe(true);
  });

  it('update_fail_malformed_htlc comes from the first hop: its channel, not permanent', () => {
    const a = attributeFailure(secp, attempt(payment), { kind: 'fail-malformed', failureCode: FAILURE_CODES.invalidOnionHmac });
    expect(a).toEqual({ failure: { kind: 'on-path', failingHopIndex: 0, failingNodeId: A, failureCode: FAILURE_CODES.invalidOnionHmac }, paymentFailedPermanently: false, shortChannelId: 600n });
  });

  it('a refusal by our own channel: the first hop is excluded', () => {
    const a = attributeFailure(secp, attempt(payment), { kind: 'initial-send', message: 'not enough balance' });
    expect(a).toEqual({ failure: { kind: 'initial-send', message: 'not enough balance' }, paymentFailedPermanently: false, shortChannelId: 600n, excludeShortChannelId: 600n });
  });
});

function failed(step: PaymentStep): { reason: string; events: string[] } {
  expect(step.retry).toBe(false);
  if (step.payment.status !== 'failed') throw new Error(`status ${step.payment.status}`);
  return { reason: step.payment.reason, events: step.events.map((e) => e.kind) };
}

describe('retry or give up', () => {
  it('the payee rejected it: PaymentPathFailed (permanently) then PaymentFailed RecipientRejected, retries left or not', () => {
    const { payment, onion } = inFlight({ attempts: 5 });
    const a = failAt(payment, onion, 2, failureMessage('incorrectOrUnknownPaymentDetails', { htlcMsat: 2_000_000n, height: HEIGHT }));
    const step = value(attemptFailed(payment, attempt(payment).sessionKey, a, T0 + 1));
    expect(failed(step)).toEqual({ reason: PaymentFailureReason.RecipientRejected, events: ['payment-path-failed', 'payment-failed'] });
    expect(step.events[0]).toMatchObject({ paymentId, paymentHash, paymentFailedPermanently: true, path: attempt(payment).route.hops });
    expect(step.events[1]).toEqual({ kind: 'payment-failed', paymentId, paymentHash, reason: 'RecipientRejected' });
    expect(step.payment).toMatchObject({ resolvedAtSecs: T0 + 1 });
  });

  it('a temporary failure is retried: the manager routes again and starts the next attempt', () => {
    const { payment, onion } = inFlight({ attempts: 1 });
    const step = value(attemptFailed(payment, attempt(payment).sessionKey, failAt(payment, onion, 1, failureMessage('temporaryChannelFailure', { channelUpdate: update })), T0 + 1));
    expect(step.retry).toBe(true);
    expect(step.events).toEqual([
      expect.objectContaining({ kind: 'payment-path-failed', paymentFailedPermanently: false, shortChannelId: 802n, failure: expect.objectContaining({ failingHopIndex: 1 }) }),
    ]);
    const pending = step.payment as PendingPayment;
    expect(pending).toMatchObject({ status: 'pending', failedAttempts: 1, excludedShortChannelIds: [] });
    expect(pending.parts).toEqual([]);
    // The second attempt (1 retry allowed) fails too: RetriesExhausted.
    const second = nextAttempt(retryStarted(pending), 0x43);
    const again = value(attemptFailed(second.payment, attempt(second.payment).sessionKey, failAt(second.payment, second.onion, 1, failureMessage('temporaryChannelFailure', { channelUpdate: update })), T0 + 2));
    expect(failed(again)).toEqual({ reason: PaymentFailureReason.RetriesExhausted, events: ['payment-path-failed', 'payment-failed'] });
  });

  it('{attempts: 0} means no retry at all', () => {
    const { payment, onion } = inFlight({ attempts: 0 });
    const step = value(attemptFailed(payment, attempt(payment).sessionKey, failAt(payment, onion, 0, failureMessage('temporaryNodeFailure', {})), T0));
    expect(failed(step).reason).toBe(PaymentFailureReason.RetriesExhausted);
  });

  it('{timeoutSecs}: retried up to the timeout since the start, not after', () => {
    const { payment, onion } = inFlight({ timeoutSecs: 60 });
    const a = failAt(payment, onion, 1, failureMessage('temporaryNodeFailure', {}));
    expect(value(attemptFailed(payment, attempt(payment).sessionKey, a, T0 + 60)).retry).toBe(true);
    expect(failed(value(attemptFailed(payment, attempt(payment).sessionKey, a, T0 + 61))).reason).toBe(PaymentFailureReason.RetriesExhausted);
  });

  it('an invoice that expired meanwhile: PaymentExpired', () => {
    const { payment, onion } = inFlight({ attempts: 3 }, { expiresAtSecs: T0 + 10 });
    const a = failAt(payment, onion, 1, failureMessage('temporaryNodeFailure', {}));
    expect(value(attemptFailed(payment, attempt(payment).sessionKey, a, T0 + 9)).retry).toBe(true);
    expect(failed(value(attemptFailed(payment, attempt(payment).sessionKey, a, T0 + 10))).reason).toBe(PaymentFailureReason.PaymentExpired);
  });

  it('a channel that failed permanently is excluded; with no other route the retry ends in RouteNotFound', () => {
    const { payment, onion } = inFlight({ attempts: 3 });
    const step = value(attemptFailed(payment, attempt(payment).sessionKey, failAt(payment, onion, 0, failureMessage('permanentChannelFailure', {})), T0 + 1));
    expect(step.retry).toBe(true);
    const pending = step.payment as PendingPayment;
    expect(pending.excludedShortChannelIds).toEqual([801n]);
    const r = findRoute({ ourNodeId: US, payeeNodeId: P, amountMsat: pending.amountMsat, finalCltvExpiryDelta: 18, bestBlockHeight: HEIGHT, firstHops: [FIRST_HOP], routeHints: pending.routeHints, excludedShortChannelIds: pending.excludedShortChannelIds });
    expect(r.ok).toBe(false);
    const end = value(routeNotFound(pending, T0 + 2));
    expect(failed(end)).toEqual({ reason: PaymentFailureReason.RouteNotFound, events: ['payment-failed'] });
  });

  it('a failure with no attempt in flight is a WrongState error', () => {
    const p = value(startPayment(undefined, params(), T0));
    const r = attemptFailed(p, secret(9), { failure: { kind: 'on-path' }, paymentFailedPermanently: false }, T0);
    expect(!r.ok && r.error.code).toBe(PaymentErrorCode.WrongState);
  });
});

describe('fulfilled', () => {
  it('PaymentSent with the preimage and the fee the route paid', () => {
    const { payment } = inFlight();
    const step = value(attemptFulfilled(payment, preimage, T0 + 5));
    expect(step.events).toEqual([{ kind: 'payment-sent', paymentId, paymentHash, paymentPreimage: preimage, feePaidMsat: 7504n }]);
    expect(step.payment).toEqual({ status: 'fulfilled', paymentId, paymentHash, paymentPreimage: preimage, feePaidMsat: 7504n, resolvedAtSecs: T0 + 5 });
    // A second fulfilment is no new event.
    expect(value(attemptFulfilled(step.payment, preimage, T0 + 6)).events).toEqual([]);
  });

  it('after a failed attempt and a retry, only the successful route\'s fee is reported', () => {
    const { payment, onion } = inFlight({ attempts: 2 });
    const step = value(attemptFailed(payment, attempt(payment).sessionKey, failAt(payment, onion, 1, failureMessage('temporaryNodeFailure', {})), T0 + 1));
    const second = nextAttempt(retryStarted(step.payment as PendingPayment), 0x44);
    expect(attempt(second.payment).sessionKey).toEqual(new Uint8Array(32).fill(0x44));
    expect(value(attemptFulfilled(second.payment, preimage, T0 + 2)).events).toMatchObject([{ kind: 'payment-sent', feePaidMsat: 7504n }]);
  });

  it('a preimage that does not hash to the payment hash is refused', () => {
    const { payment } = inFlight();
    const r = attemptFulfilled(payment, new Uint8Array(32).fill(1), T0);
    expect(!r.ok && r.error.code).toBe(PaymentErrorCode.PreimageMismatch);
  });
});

describe('abandon', () => {
  it('with nothing in flight: PaymentFailed UserAbandoned now', () => {
    const p = value(startPayment(undefined, params(), T0));
    const step = abandonPayment(p, T0 + 3);
    expect(failed(step)).toEqual({ reason: PaymentFailureReason.UserAbandoned, events: ['payment-failed'] });
  });

  it('with an HTLC in flight: no retry after it fails, UserAbandoned then; a late preimage still sends', () => {
    const { payment, onion } = inFlight({ attempts: 5 });
    const abandoned = abandonPayment(payment, T0 + 1);
    expect(abandoned.events).toEqual([]);
    const a = failAt(payment, onion, 1, failureMessage('temporaryNodeFailure', {}));
    expect(failed(value(attemptFailed(abandoned.payment, attempt(abandoned.payment).sessionKey, a, T0 + 2))).reason).toBe(PaymentFailureReason.UserAbandoned);
    expect(value(attemptFulfilled(abandoned.payment, preimage, T0 + 2)).events.map((e) => e.kind)).toEqual(['payment-sent']);
    expect(attemptStarted(abandoned.payment, { route: attempt(payment).route, sessionKey: secret(9) }).ok).toBe(false);
  });
});

describe('the PaymentId memory', () => {
  it('a pending PaymentId is refused: DuplicatePayment', () => {
    const p = value(startPayment(undefined, params(), T0));
    const again = startPayment(p, params(), T0 + 10 * PAYMENT_MEMORY_SECS);
    expect(!again.ok && again.error.code).toBe(PaymentErrorCode.DuplicatePayment);
  });

  it('a resolved one is refused for 24 hours after it resolved, then forgotten', () => {
    const { payment } = inFlight();
    const done = value(attemptFulfilled(payment, preimage, T0 + 100)).payment;
    const before = startPayment(done, params(), T0 + 100 + PAYMENT_MEMORY_SECS - 1);
    expect(!before.ok && before.error.code).toBe(PaymentErrorCode.DuplicatePayment);
    expect(isForgettable(done, T0 + 100 + PAYMENT_MEMORY_SECS - 1)).toBe(false);
    expect(isForgettable(done, T0 + 100 + PAYMENT_MEMORY_SECS)).toBe(true);
    const later = T0 + 100 + PAYMENT_MEMORY_SECS;
    expect(value(startPayment(done, params({ attempts: 1 }, { expiresAtSecs: later + 60 }), later)).startedAtSecs).toBe(later);
    expect(PAYMENT_MEMORY_SECS).toBe(86_400);
  });

  it('a failed one too', () => {
    const p = value(startPayment(undefined, params(), T0));
    const gone = abandonPayment(p, T0).payment;
    expect(startPayment(gone, params(), T0 + 3600).ok).toBe(false);
  });
});

describe('start refusals', () => {
  it('an expired invoice, bad sizes, a non-positive amount, a bad retry', () => {
    const code = (r: PaymentResult<unknown>) => !r.ok && r.error.code;
    expect(code(startPayment(undefined, params(), T0 + 3600))).toBe(PaymentErrorCode.PaymentExpired);
    expect(code(startPayment(undefined, params(undefined, { paymentId: new Uint8Array(31) }), T0))).toBe(PaymentErrorCode.InvalidParams);
    expect(code(startPayment(undefined, params(undefined, { amountMsat: 0n }), T0))).toBe(PaymentErrorCode.InvalidParams);
    expect(code(startPayment(undefined, params({ attempts: -1 }), T0))).toBe(PaymentErrorCode.InvalidParams);
    expect(code(startPayment(undefined, params({ timeoutSecs: 1.5 }), T0))).toBe(PaymentErrorCode.InvalidParams);
  });

  it('a second attempt while one is in flight, or an HTLC id with none', () => {
    const { payment } = inFlight();
    expect(attemptStarted(payment, { route: attempt(payment).route, sessionKey: secret(9) }).ok).toBe(false);
    const p = value(startPayment(undefined, params(), T0));
    expect(htlcAdded(p, secret(9), 1n).ok).toBe(false);
    // No route while a part is in flight: the payment waits for it (its preimage may still come), failing with RouteNotFound then.
    expect(routeNotFound(payment, T0)).toMatchObject({ ok: true, value: { events: [], payment: { status: 'pending', abandonReason: PaymentFailureReason.RouteNotFound } } });
  });
});

describe('multi-part payments (basic_mpp)', () => {
  /** A payment of 2,000,000 msat in parts of `amounts`, each over its own channel with HTLC id 0..n-1, fee 100 msat each. */
  function inParts(amounts: readonly bigint[], retry: Retry = { attempts: 1 }): PendingPayment {
    let p: PendingPayment = value(startPayment(undefined, params(retry, { basicMpp: true }), T0));
    amounts.forEach((amount, i) => {
      const route: Route = { ...routeFor(p), totalAmountMsat: amount, totalFeeMsat: 100n, firstHopChannelId: secret(0x60 + i) };
      p = value(attemptStarted(p, { route, sessionKey: secret(0x70 + i) }));
      p = value(htlcAdded(p, secret(0x70 + i), BigInt(i)));
    });
    return p;
  }
  const temporary: AttributedFailure = { failure: { kind: 'on-path', failingHopIndex: 0 }, paymentFailedPermanently: false, shortChannelId: 600n };
  const permanent: AttributedFailure = { failure: { kind: 'on-path', failingHopIndex: 2 }, paymentFailedPermanently: true };

  it('tracks every part; no part may carry more than what remains', () => {
    const p = inParts([1_200_000n, 800_000n]);
    expect(p.parts.map((x) => x.htlcId)).toEqual([0n, 1n]);
    expect(remainingMsat(p)).toBe(0n);
    expect(partOf(p, secret(0x61), 1n)?.route.totalAmountMsat).toBe(800_000n);
    expect(partOf(p, secret(0x61), 0n)).toBeUndefined();
    const one = inParts([1_200_000n]);
    const over: Route = { ...one.parts[0]!.route, totalAmountMsat: 800_001n };
    expect(attemptStarted(one, { route: over, sessionKey: secret(0x7f) }).ok).toBe(false);
    expect(mayUseParts(one)).toBe(true);
    expect(mayUseParts({ ...one, basicMpp: false })).toBe(false);
    expect(mayUseParts({ ...one, recipient: { keysendPreimage: preimage } })).toBe(false);
  });

  it('PaymentSent once, at the first part\'s preimage, with every part\'s fee; the other parts\' fulfils add no event', () => {
    const p = inParts([1_200_000n, 800_000n]);
    const first = value(attemptFulfilled(p, preimage, T0 + 1));
    expect(first.events).toEqual([{ kind: 'payment-sent', paymentId, paymentHash, paymentPreimage: preimage, feePaidMsat: 200n }]);
    expect(value(attemptFulfilled(first.payment, preimage, T0 + 2)).events).toEqual([]);
  });

  it('a failed part is retried for its own amount; the retry counts once against Retry.attempts', () => {
    const p = inParts([1_200_000n, 800_000n], { attempts: 1 });
    const step = value(attemptFailed(p, secret(0x71), temporary, T0 + 1));
    expect(step.retry).toBe(true);
    const after = step.payment as PendingPayment;
    expect(remainingMsat(after)).toBe(800_000n);
    expect(after.parts).toHaveLength(1);
    // The retry sends the 800,000 msat in two new parts.
    let r = retryStarted(after);
    for (const [i, amount] of [[2, 500_000n], [3, 300_000n]] as const) {
      const route: Route = { ...after.parts[0]!.route, totalAmountMsat: amount, firstHopChannelId: secret(0x60 + i) };
      r = value(htlcAdded(value(attemptStarted(r, { route, sessionKey: secret(0x70 + i) })), secret(0x70 + i), 0n));
    }
    expect(remainingMsat(r)).toBe(0n);
    // One of them fails: no retry left; the payment waits for the two still in flight.
    const again = value(attemptFailed(r, secret(0x72), temporary, T0 + 2));
    expect(again.retry).toBe(false);
    expect(again.events.map((e) => e.kind)).toEqual(['payment-path-failed']);
    expect(again.payment).toMatchObject({ status: 'pending', abandonReason: PaymentFailureReason.RetriesExhausted });
    const third = value(attemptFailed(again.payment, secret(0x70), temporary, T0 + 3));
    expect(third.events.map((e) => e.kind)).toEqual(['payment-path-failed']);
    // The last part failing ends it: PaymentFailed once.
    const last = value(attemptFailed(third.payment, secret(0x73), temporary, T0 + 4));
    expect(failed(last)).toEqual({ reason: PaymentFailureReason.RetriesExhausted, events: ['payment-path-failed', 'payment-failed'] });
  });

  it('the payee refusing one part fails the payment when the other parts are back, not before; a late preimage still makes it sent', () => {
    const p = inParts([1_200_000n, 800_000n], { attempts: 5 });
    const step = value(attemptFailed(p, secret(0x70), permanent, T0 + 1));
    expect(step.retry).toBe(false);
    expect(step.payment).toMatchObject({ status: 'pending', abandonReason: PaymentFailureReason.RecipientRejected });
    expect(attemptStarted(step.payment, { route: p.parts[0]!.route, sessionKey: secret(0x7e) }).ok).toBe(false);
    expect(failed(value(attemptFailed(step.payment, secret(0x71), temporary, T0 + 2))).reason).toBe(PaymentFailureReason.RecipientRejected);
    expect(value(attemptFulfilled(step.payment, preimage, T0 + 2)).events).toMatchObject([{ kind: 'payment-sent' }]);
  });
});
