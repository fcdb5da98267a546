/**
 * The persisted bytes of an {@link OutboundPayment}: a version byte, then a
 * TLV stream (shared/codec `versionedRecord`). The attempt in flight and the
 * route hints are nested values of their own TLV records.
 */
import {
  DecodeError,
  catchDecodeError,
  decode,
  encode,
  fixedBytes,
  point,
  repeated,
  restBytes,
  struct,
  tlvRecord,
  tlvStream,
  u16PrefixedBytes,
  u32,
  u64,
  u8,
  versionedRecord,
  type Codec,
  type DecodeResult,
} from '../codec/index.js';
import type { RouteHint, RouteHintHop } from '../invoice/index.js';
import type { RecipientFields } from './outbound-onion.js';
import { MAX_PARTS_IN_FLIGHT, PaymentFailureReason, type OutboundPayment, type PaymentAttempt, type PendingPayment, type Retry } from './outbound-payment.js';
import type { Route, RouteHop } from '../routing/index.js';

const STATUSES = ['pending', 'fulfilled', 'failed'] as const;
const REASONS: readonly PaymentFailureReason[] = Object.values(PaymentFailureReason);

const routeHop = struct([
  ['pubkey', point],
  ['shortChannelId', u64],
  ['feeMsat', u64],
  ['cltvExpiryDelta', u32],
  ['amountMsat', u64],
  ['cltvExpiry', u32],
] as const);

/** The attempt in flight: 0 hops, 2 amount to the payee, 4 fee, 6 first-hop channel id, 8 HTLC amount, 10 HTLC expiry, 12 session key, 14 HTLC id. */
const attemptStream = tlvStream({
  hops: tlvRecord(0, repeated(routeHop)),
  totalAmountMsat: tlvRecord(2, u64),
  totalFeeMsat: tlvRecord(4, u64),
  firstHopChannelId: tlvRecord(6, fixedBytes(32)),
  htlcAmountMsat: tlvRecord(8, u64),
  htlcCltvExpiry: tlvRecord(10, u32),
  sessionKey: tlvRecord(12, fixedBytes(32)),
  htlcId: tlvRecord(14, u64),
});

type AttemptValue = NonNullable<ReturnType<typeof attemptStream.read>>;

/** Parts in flight when more than one: each attempt stream behind a u16 length. */
const attemptList: Codec<readonly AttemptValue[]> = {
  read: (r) => {
    const out: AttemptValue[] = [];
    while (!r.isAtEnd()) {
      const one = decode(attemptStream, u16PrefixedBytes.read(r));
      if (!one.ok) throw one.error;
      out.push(one.value);
    }
    return out;
  },
  write: (w, parts) => {
    for (const part of parts) u16PrefixedBytes.write(w, encode(attemptStream, part));
  },
};

const hintHop = struct([
  ['pubkey', point],
  ['shortChannelId', u64],
  ['feeBaseMsat', u64],
  ['feeProportionalMillionths', u32],
  ['cltvExpiryDelta', u32],
] as const);

/** Route hints: per hint, a u8 hop count then the hops. */
const routeHints: Codec<readonly RouteHint[]> = {
  read: (r) => {
    const hints: RouteHint[] = [];
    while (!r.isAtEnd()) {
      const n = r.u8();
      const hops: RouteHintHop[] = [];
      for (let i = 0; i < n; i++) hops.push(hintHop.read(r));
      hints.push(hops);
    }
    return hints;
  },
  write: (w, hints) => {
    for (const hint of hints) {
      w.u8(hint.length);
      for (const hop of hint) hintHop.write(w, hop);
    }
  },
};

/**
 * Version 1: 0 PaymentId, 2 status, 4 payment hash, 6 amount, 8 payee,
 * 10 final CLTV delta, 12 route hints, 14 retry (kind, value), 16 started at,
 * 18 failed attempts, 20 excluded scids, 22 attempt in flight, 24 expires at,
 * 26 payment secret, 27 payment metadata, 29 keysend preimage, 31 total msat,
 * 33 abandon reason, 34 preimage, 36 fee paid, 38 failure reason, 40 resolved at,
 * 41 fee limit (odd: a reader that predates it may ignore it), 42 parts in
 * flight when more than one (even: a reader that predates multi-part
 * payments must refuse the record; one part is still written as 22),
 * 43 retries made (odd; absent in older records: the failed attempts, each
 * of which was retried), 45 basic_mpp offered (odd).
 */
const paymentRecord = versionedRecord('outbound-payment', 1, {
  paymentId: tlvRecord(0, fixedBytes(32)),
  status: tlvRecord(2, u8),
  paymentHash: tlvRecord(4, fixedBytes(32)),
  amountMsat: tlvRecord(6, u64),
  payeeNodeId: tlvRecord(8, point),
  finalCltvExpiryDelta: tlvRecord(10, u32),
  routeHints: tlvRecord(12, routeHints),
  retry: tlvRecord(14, struct([['kind', u8], ['value', u64]] as const)),
  startedAtSecs: tlvRecord(16, u64),
  failedAttempts: tlvRecord(18, u32),
  excludedShortChannelIds: tlvRecord(20, repeated(u64)),
  inFlight: tlvRecord(22, attemptStream),
  expiresAtSecs: tlvRecord(24, u64),
  paymentSecret: tlvRecord(26, fixedBytes(32)),
  paymentMetadata: tlvRecord(27, restBytes),
  keysendPreimage: tlvRecord(29, fixedBytes(32)),
  totalMsat: tlvRecord(31, u64),
  abandonReason: tlvRecord(33, u8),
  paymentPreimage: tlvRecord(34, fixedBytes(32)),
  feePaidMsat: tlvRecord(36, u64),
  reason: tlvRecord(38, u8),
  resolvedAtSecs: tlvRecord(40, u64),
  maxTotalRoutingFeeMsat: tlvRecord(41, u64),
  parts: tlvRecord(42, attemptList),
  retriesMade: tlvRecord(43, u32),
  basicMpp: tlvRecord(45, u8),
});

function encodeAttempt(a: PaymentAttempt): AttemptValue {
  const r = a.route;
  return {
    hops: r.hops,
    totalAmountMsat: r.totalAmountMsat,
    totalFeeMsat: r.totalFeeMsat,
    firstHopChannelId: r.firstHopChannelId,
    htlcAmountMsat: r.htlcAmountMsat,
    htlcCltvExpiry: r.htlcCltvExpiry,
    sessionKey: a.sessionKey,
    ...(a.htlcId === undefined ? {} : { htlcId: a.htlcId }),
  };
}

const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));

/** The record's bytes. */
export function encodeOutboundPayment(p: OutboundPayment): Uint8Array {
  const common = { paymentId: p.paymentId, status: STATUSES.indexOf(p.status), paymentHash: p.paymentHash };
  switch (p.status) {
    case 'fulfilled':
      return paymentRecord.encode({ ...common, paymentPreimage: p.paymentPreimage, feePaidMsat: p.feePaidMsat, resolvedAtSecs: BigInt(p.resolvedAtSecs) });
    case 'failed':
      return paymentRecord.encode({ ...common, reason: REASONS.indexOf(p.reason), resolvedAtSecs: BigInt(p.resolvedAtSecs) });
    case 'pending':
      return paymentRecord.encode({
        ...common,
        amountMsat: p.amountMsat,
        payeeNodeId: p.payeeNodeId,
        finalCltvExpiryDelta: p.finalCltvExpiryDelta,
        routeHints: p.routeHints,
        retry: 'attempts' in p.retry ? { kind: 0, value: BigInt(p.retry.attempts) } : { kind: 1, value: BigInt(p.retry.timeoutSecs) },
        startedAtSecs: BigInt(p.startedAtSecs),
        failedAttempts: p.failedAttempts,
        excludedShortChannelIds: p.excludedShortChannelIds,
        ...opt('inFlight', p.parts.length === 1 ? encodeAttempt(p.parts[0]!) : undefined),
        ...opt('parts', p.parts.length > 1 ? p.parts.map(encodeAttempt) : undefined),
        retriesMade: p.retriesMade,
        ...opt('basicMpp', p.basicMpp === undefined ? undefined : p.basicMpp ? 1 : 0),
        ...opt('expiresAtSecs', p.expiresAtSecs === undefined ? undefined : BigInt(p.expiresAtSecs)),
        ...opt('paymentSecret', p.recipient.paymentSecret),
        ...opt('paymentMetadata', p.recipient.paymentMetadata),
        ...opt('keysendPreimage', p.recipient.keysendPreimage),
        ...opt('totalMsat', p.recipient.totalMsat),
        ...opt('abandonReason', p.abandonReason === undefined ? undefined : REASONS.indexOf(p.abandonReason)),
        ...opt('maxTotalRoutingFeeMsat', p.maxTotalRoutingFeeMsat),
      });
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new DecodeError('invalid-value', `outbound payment: missing ${what}`);
  return value;
}

function seconds(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('invalid-value', `outbound payment: ${what} out of range`);
  return Number(value);
}

function reasonOf(index: number): PaymentFailureReason {
  const reason = REASONS[index];
  if (reason === undefined) throw new DecodeError('invalid-value', `outbound payment: unknown failure reason ${index}`);
  return reason;
}

function decodeAttempt(v: AttemptValue): PaymentAttempt {
  const hops = need(v.hops, 'route hops') as readonly RouteHop[];
  if (hops.length === 0) throw new DecodeError('invalid-value', 'outbound payment: a route without hops');
  const route: Route = {
    hops,
    totalAmountMsat: need(v.totalAmountMsat, 'route amount'),
    totalFeeMsat: need(v.totalFeeMsat, 'route fee'),
    firstHopChannelId: need(v.firstHopChannelId, 'first-hop channel'),
    htlcAmountMsat: need(v.htlcAmountMsat, 'HTLC amount'),
    htlcCltvExpiry: need(v.htlcCltvExpiry, 'HTLC expiry'),
  };
  return { route, sessionKey: need(v.sessionKey, 'session key'), ...opt('htlcId', v.htlcId) };
}

/** Reads a record written by {@link encodeOutboundPayment}; never throws. */
export function decodeOutboundPayment(bytes: Uint8Array): DecodeResult<OutboundPayment> {
  const result = paymentRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  return catchDecodeError((): OutboundPayment => {
    const paymentId = need(v.paymentId, 'PaymentId');
    const paymentHash = need(v.paymentHash, 'payment hash');
    const status = STATUSES[need(v.status, 'status')];
    switch (status) {
      case 'fulfilled':
        return {
          status,
          paymentId,
          paymentHash,
          paymentPreimage: need(v.paymentPreimage, 'preimage'),
          feePaidMsat: need(v.feePaidMsat, 'fee paid'),
          resolvedAtSecs: seconds(need(v.resolvedAtSecs, 'resolved at'), 'resolved at'),
        };
      case 'failed':
        return { status, paymentId, paymentHash, reason: reasonOf(need(v.reason, 'reason')), resolvedAtSecs: seconds(need(v.resolvedAtSecs, 'resolved at'), 'resolved at') };
      case 'pending': {
        const r = need(v.retry, 'retry');
        if (r.kind > 1) throw new DecodeError('invalid-value', `outbound payment: unknown retry kind ${r.kind}`);
        const retryValue = seconds(r.value, 'retry');
        const retry: Retry = r.kind === 0 ? { attempts: retryValue } : { timeoutSecs: retryValue };
        const recipient: RecipientFields = {
          ...opt('paymentSecret', v.paymentSecret),
          ...opt('paymentMetadata', v.paymentMetadata),
          ...opt('keysendPreimage', v.keysendPreimage),
          ...opt('totalMsat', v.totalMsat),
        };
        const pending: PendingPayment = {
          status,
          paymentId,
          paymentHash,
          payeeNodeId: need(v.payeeNodeId, 'payee'),
          amountMsat: need(v.amountMsat, 'amount'),
          finalCltvExpiryDelta: need(v.finalCltvExpiryDelta, 'final CLTV delta'),
          routeHints: v.routeHints ?? [],
          recipient,
          retry,
          startedAtSecs: seconds(need(v.startedAtSecs, 'started at'), 'started at'),
          failedAttempts: need(v.failedAttempts, 'failed attempts'),
          retriesMade: v.retriesMade ?? need(v.failedAttempts, 'failed attempts'),
          parts: [...(v.inFlight === undefined ? [] : [decodeAttempt(v.inFlight)]), ...(v.parts ?? []).map(decodeAttempt)],
          excludedShortChannelIds: v.excludedShortChannelIds ?? [],
          ...opt('expiresAtSecs', v.expiresAtSecs === undefined ? undefined : seconds(v.expiresAtSecs, 'expires at')),
          ...opt('abandonReason', v.abandonReason === undefined ? undefined : reasonOf(v.abandonReason)),
          ...opt('maxTotalRoutingFeeMsat', v.maxTotalRoutingFeeMsat),
          ...(v.basicMpp === undefined ? {} : { basicMpp: v.basicMpp === 1 }),
        };
        if (pending.parts.length > MAX_PARTS_IN_FLIGHT) throw new DecodeError('invalid-value', `outbound payment: more than ${MAX_PARTS_IN_FLIGHT} parts in flight`);
        return pending;
      }
      default:
        throw new DecodeError('invalid-value', 'outbound payment: unknown status');
    }
  });
}

