/**
 * Collecting the parts of a payment to us (BOLT 4 basic multi-part payments,
 * LDK's `ClaimablePayment` and `check_incoming_mpp_part`), pure: one record
 * per payment hash, holding the HTLCs received for it until their amounts
 * reach the payment's `total_msat` (claimable), or a timeout fails them back
 * (docs/payments-inbound.md). The record's codec is how it is persisted.
 */
import {
  DecodeError,
  catchDecodeError,
  fixedBytes,
  repeated,
  struct,
  tlvRecord,
  u32,
  u64,
  u8,
  versionedRecord,
  type DecodeResult,
} from '../codec/index.js';
import { equalConstantTime, sha256 } from '../crypto/index.js';
import { failureMessage, type KnownFailureMessage } from '../onion/index.js';
import { HTLC_FAIL_BACK_BUFFER } from './final-cltv.js';
import { MAX_VALUE_MSAT } from './inbound-payment.js';
import { unknownPaymentDetails, type ClaimablePart, type ReceivePurpose } from './receive-checks.js';

/** Timer ticks an incomplete payment waits for its missing parts (LDK's `MPP_TIMEOUT_TICKS`; a tick is about a minute). */
export const MPP_TIMEOUT_TICKS = 3;

/** One HTLC of the payment: where it came from (to settle or fail it), what it pays, when it expires and when it arrived. */
export interface ReceivedPart {
  /** The peer the HTLC came from (its channel's key, and the group of the follow-ups that settle it). */
  readonly counterpartyNodeId: Uint8Array;
  readonly channelId: Uint8Array;
  readonly htlcId: bigint;
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  /** The timer tick count when it arrived. */
  readonly receivedAtTick: number;
}

/**
 * `collecting`: parts add up to less than `totalMsat`; `claimable`: they
 * reach it (the user is told, LDK's `PaymentClaimable`); `claiming`: the
 * user claimed it (the preimage is being sent). Only `collecting` times out;
 * no part is added once the payment is claimable.
 */
export type ClaimableState = 'collecting' | 'claimable' | 'claiming';

/** The record of one payment hash. */
export interface ClaimablePayment {
  readonly paymentHash: Uint8Array;
  readonly purpose: ReceivePurpose;
  readonly totalMsat: bigint;
  readonly paymentSecret?: Uint8Array;
  readonly preimage?: Uint8Array;
  readonly state: ClaimableState;
  /** In arrival order; never empty. */
  readonly parts: readonly ReceivedPart[];
}

/** Why a new part is refused (it alone is failed back; the parts already held keep waiting). */
export type PartRefusal = 'total-mismatch' | 'secret-mismatch' | 'purpose-mismatch' | 'already-complete' | 'amount-overflow';

/** A part to send back as failed, with its BOLT 4 failure. */
export interface FailBack {
  readonly part: ReceivedPart;
  readonly failure: KnownFailureMessage;
}

export type AddPartResult =
  | { readonly kind: 'waiting'; readonly record: ClaimablePayment }
  | {
      readonly kind: 'complete';
      readonly record: ClaimablePayment;
      /** What all parts pay us. */
      readonly amountMsat: bigint;
      /** Claim before this height (the earliest part's expiry minus the fail-back buffer), LDK's `claim_deadline`. */
      readonly claimDeadline: number;
    }
  | { readonly kind: 'refused'; readonly record: ClaimablePayment | undefined; readonly reason: PartRefusal; readonly failBack: FailBack };

/** The sum of the parts' amounts. */
export function receivedMsat(record: ClaimablePayment): bigint {
  return record.parts.reduce((sum, p) => sum + p.amountMsat, 0n);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return equalConstantTime(a, b);
}

function samePart(a: ReceivedPart, b: ReceivedPart): boolean {
  return a.htlcId === b.htlcId && equalConstantTime(a.channelId, b.channelId);
}

function completion(record: ClaimablePayment): AddPartResult {
  const earliest = Math.min(...record.parts.map((p) => p.cltvExpiry));
  return { kind: 'complete', record, amountMsat: receivedMsat(record), claimDeadline: earliest - HTLC_FAIL_BACK_BUFFER };
}

/**
 * Adds a part that passed `checkReceivedHtlc` to its payment's record
 * (`record` undefined: the first part). BOLT 4: all parts must agree on
 * `total_msat` (and, here, on the secret and the kind of payment); the
 * payment is complete when the parts reach `total_msat`. A part arriving
 * once the parts already reach it (the payment is claimable or being
 * claimed) is refused, as is one that would push the sum past all bitcoin.
 * A refused part gets `incorrect_or_unknown_payment_details` with its amount
 * and `height`. The same (channel, HTLC id) added twice changes nothing (a
 * retried input): the answer is the record's current state. Overpayment
 * (parts summing past `total_msat`, or a total over twice the invoice
 * amount) is accepted, as LDK.
 */
export function addPart(record: ClaimablePayment | undefined, claimable: ClaimablePart, part: ReceivedPart, height: number): AddPartResult {
  const refuse = (reason: PartRefusal): AddPartResult => ({
    kind: 'refused',
    record,
    reason,
    failBack: { part, failure: unknownPaymentDetails(part.amountMsat, height) },
  });
  if (record === undefined) {
    const first: ClaimablePayment = {
      paymentHash: claimable.paymentHash,
      purpose: claimable.purpose,
      totalMsat: claimable.totalMsat,
      ...(claimable.paymentSecret === undefined ? {} : { paymentSecret: claimable.paymentSecret }),
      ...(claimable.preimage === undefined ? {} : { preimage: claimable.preimage }),
      state: 'collecting',
      parts: [part],
    };
    return part.amountMsat >= first.totalMsat ? completion({ ...first, state: 'claimable' }) : { kind: 'waiting', record: first };
  }
  if (record.parts.some((p) => samePart(p, part))) {
    return record.state === 'collecting' ? { kind: 'waiting', record } : completion(record);
  }
  if (record.state !== 'collecting' || receivedMsat(record) >= record.totalMsat) return refuse('already-complete');
  if (claimable.purpose !== record.purpose) return refuse('purpose-mismatch');
  if (claimable.totalMsat !== record.totalMsat) return refuse('total-mismatch');
  if (!sameBytes(claimable.paymentSecret, record.paymentSecret)) return refuse('secret-mismatch');
  const sum = receivedMsat(record) + part.amountMsat;
  if (sum > MAX_VALUE_MSAT) return refuse('amount-overflow');
  const next: ClaimablePayment = { ...record, parts: [...record.parts, part] };
  return sum >= record.totalMsat ? completion({ ...next, state: 'claimable' }) : { kind: 'waiting', record: next };
}

export type TimerTickResult =
  | { readonly kind: 'keep'; readonly record: ClaimablePayment }
  /** Every part is failed back with `mpp_timeout` (23); the record is deleted. */
  | { readonly kind: 'timed-out'; readonly failBack: readonly FailBack[] };

/**
 * LDK's `check_mpp_timeout` at a timer tick: an incomplete (`collecting`)
 * payment whose oldest part arrived {@link MPP_TIMEOUT_TICKS} or more ticks
 * before `currentTick` fails every part back with BOLT 4 `mpp_timeout`
 * ("MUST fail all HTLCs in the HTLC set after some reasonable timeout").
 * A claimable or claiming payment is kept.
 */
export function timerTick(record: ClaimablePayment, currentTick: number): TimerTickResult {
  if (record.state !== 'collecting') return { kind: 'keep', record };
  const oldest = Math.min(...record.parts.map((p) => p.receivedAtTick));
  if (currentTick - oldest < MPP_TIMEOUT_TICKS) return { kind: 'keep', record };
  const failure = failureMessage('mppTimeout', {});
  return { kind: 'timed-out', failBack: record.parts.map((part) => ({ part, failure })) };
}

/** The user claims a claimable payment (LDK's `claim_funds`): later parts are refused; nothing else changes. */
export function markClaiming(record: ClaimablePayment): ClaimablePayment {
  return record.state === 'claimable' ? { ...record, state: 'claiming' } : record;
}

/**
 * Every part failed back with `incorrect_or_unknown_payment_details` (LDK's
 * `fail_htlc_backwards`: the user refuses the payment, or it cannot be
 * claimed before its deadline). The record is then deleted.
 */
export function failAllParts(record: ClaimablePayment, height: number): readonly FailBack[] {
  return record.parts.map((part) => ({ part, failure: unknownPaymentDetails(part.amountMsat, height) }));
}

const PURPOSES: readonly ReceivePurpose[] = ['invoice', 'spontaneous', 'for-hash'];
const STATES: readonly ClaimableState[] = ['collecting', 'claimable', 'claiming'];
const partCodec = struct([
  ['counterpartyNodeId', fixedBytes(33)],
  ['channelId', fixedBytes(32)],
  ['htlcId', u64],
  ['amountMsat', u64],
  ['cltvExpiry', u32],
  ['receivedAtTick', u32],
] as const);

/**
 * Version 1: 0 payment hash, 2 purpose, 4 total msat, 6 payment secret,
 * 8 preimage, 10 state, 12 parts (each channel id 32, htlc id u64, amount
 * u64, cltv expiry u32, received-at tick u32).
 */
const claimableRecord = versionedRecord('claimable-payment', 1, {
  paymentHash: tlvRecord(0, fixedBytes(32)),
  purpose: tlvRecord(2, u8),
  totalMsat: tlvRecord(4, u64),
  paymentSecret: tlvRecord(6, fixedBytes(32)),
  preimage: tlvRecord(8, fixedBytes(32)),
  state: tlvRecord(10, u8),
  parts: tlvRecord(12, repeated(partCodec)),
});

/** The record's persisted bytes (a version byte, then a TLV stream). */
export function encodeClaimablePayment(record: ClaimablePayment): Uint8Array {
  return claimableRecord.encode({
    paymentHash: record.paymentHash,
    purpose: PURPOSES.indexOf(record.purpose),
    totalMsat: record.totalMsat,
    ...(record.paymentSecret === undefined ? {} : { paymentSecret: record.paymentSecret }),
    ...(record.preimage === undefined ? {} : { preimage: record.preimage }),
    state: STATES.indexOf(record.state),
    parts: record.parts,
  });
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new DecodeError('invalid-value', `claimable payment: missing ${what}`);
  return value;
}

/**
 * Reads a record written by {@link encodeClaimablePayment}; never throws.
 * Refused: a missing field, an unknown purpose or state, no parts, or a
 * preimage that is not the hash's.
 */
export function decodeClaimablePayment(bytes: Uint8Array): DecodeResult<ClaimablePayment> {
  const result = claimableRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  return catchDecodeError(() => {
    const paymentHash = need(v.paymentHash, 'payment hash');
    const purpose = PURPOSES[need(v.purpose, 'purpose')];
    const state = STATES[need(v.state, 'state')];
    if (purpose === undefined) throw new DecodeError('invalid-value', 'claimable payment: unknown purpose');
    if (state === undefined) throw new DecodeError('invalid-value', 'claimable payment: unknown state');
    const parts = need(v.parts, 'parts');
    if (parts.length === 0) throw new DecodeError('invalid-value', 'claimable payment: no parts');
    if (v.preimage !== undefined && !equalConstantTime(sha256(v.preimage), paymentHash)) {
      throw new DecodeError('invalid-value', 'claimable payment: the preimage is not the hash');
    }
    return {
      paymentHash,
      purpose,
      totalMsat: need(v.totalMsat, 'total'),
      ...(v.paymentSecret === undefined ? {} : { paymentSecret: v.paymentSecret }),
      ...(v.preimage === undefined ? {} : { preimage: v.preimage }),
      state,
      parts,
    };
  });
}
