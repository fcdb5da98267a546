/**
 * BOLT 4 basic multi-part payments at the receiver: parts collected per
 * payment hash until they reach total_msat, refused when they disagree or
 * arrive too late, failed back with mpp_timeout after MPP_TIMEOUT_TICKS;
 * and the record's persisted codec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../shared/codec/index.js';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { encodeFailureMessage } from '../../shared/onion/index.js';
import {
  HTLC_FAIL_BACK_BUFFER,
  MAX_VALUE_MSAT,
  MPP_TIMEOUT_TICKS,
  addPart,
  decodeClaimablePayment,
  encodeClaimablePayment,
  failAllParts,
  markClaiming,
  receivedMsat,
  timerTick,
  type AddPartResult,
  type ClaimablePart,
  type ClaimablePayment,
  type ReceivedPart,
} from '../../shared/manager/index.js';

const H = 800_000;
const preimage = new Uint8Array(32).fill(0x21);
const hash = sha256(preimage);
const secret = new Uint8Array(32).fill(0x31);
const TOTAL = 90_000n;

function claimable(over: Partial<ClaimablePart> = {}): ClaimablePart {
  return { paymentHash: hash, amountMsat: 30_000n, totalMsat: TOTAL, cltvExpiry: H + 100, paymentSecret: secret, preimage, purpose: 'invoice', ...over };
}

const PEER = Uint8Array.of(2, ...new Uint8Array(32).fill(7));

function part(htlcId: bigint, amountMsat: bigint, receivedAtTick = 0, cltvExpiry = H + 100, channel = 1): ReceivedPart {
  return { counterpartyNodeId: PEER, channelId: new Uint8Array(32).fill(channel), htlcId, amountMsat, cltvExpiry, receivedAtTick };
}

function add(record: ClaimablePayment | undefined, p: ReceivedPart, over: Partial<ClaimablePart> = {}): AddPartResult {
  return addPart(record, claimable({ amountMsat: p.amountMsat, cltvExpiry: p.cltvExpiry, ...over }), p, H);
}

function waiting(result: AddPartResult): ClaimablePayment {
  expect(result.kind).toBe('waiting');
  if (result.kind !== 'waiting') throw new Error(result.kind);
  return result.record;
}

const unknownDetailsHex = (msat: bigint): string => toHex(new ByteWriter().u16(0x400f).u64(msat).u32(H).finish());

describe('addPart: collecting a multi-part payment', () => {
  it('two parts: waiting, then complete with the sum and the claim deadline', () => {
    const first = waiting(add(undefined, part(0n, 50_000n, 0, H + 120)));
    expect(first.state).toBe('collecting');
    const done = add(first, part(1n, 40_000n, 1, H + 110, 2));
    expect(done.kind).toBe('complete');
    if (done.kind !== 'complete') return;
    expect(done.amountMsat).toBe(90_000n);
    expect(done.record.state).toBe('claimable');
    expect(done.record.parts.map((p) => p.htlcId)).toEqual([0n, 1n]);
    expect(done.claimDeadline).toBe(H + 110 - HTLC_FAIL_BACK_BUFFER);
  });

  it('three parts, the last overpaying: complete with everything received', () => {
    let record = waiting(add(undefined, part(0n, 30_000n)));
    record = waiting(add(record, part(1n, 30_000n)));
    expect(receivedMsat(record)).toBe(60_000n);
    const done = add(record, part(2n, 35_000n));
    expect(done.kind === 'complete' && done.amountMsat).toBe(95_000n);
  });

  it('a single part paying the whole total is complete at once (and keysend)', () => {
    expect(add(undefined, part(0n, TOTAL)).kind).toBe('complete');
    const keysend = addPart(undefined, claimable({ purpose: 'spontaneous', amountMsat: 7_000n, totalMsat: 7_000n }), part(0n, 7_000n), H);
    expect(keysend.kind).toBe('complete');
  });

  it('the same HTLC added twice changes nothing (a retried input)', () => {
    const record = waiting(add(undefined, part(0n, 30_000n)));
    expect(add(record, part(0n, 30_000n))).toEqual({ kind: 'waiting', record });
    const done = add(record, part(1n, 60_000n));
    if (done.kind !== 'complete') throw new Error(done.kind);
    expect(add(done.record, part(1n, 60_000n))).toEqual(done);
  });

  const { paymentSecret: _unused, ...withoutSecret } = claimable({ amountMsat: 30_000n });
  it.each([
    ['another total_msat', claimable({ amountMsat: 30_000n, totalMsat: TOTAL + 1n }), 'total-mismatch'],
    ['another payment secret', claimable({ amountMsat: 30_000n, paymentSecret: new Uint8Array(32).fill(0x32) }), 'secret-mismatch'],
    ['no payment secret', withoutSecret, 'secret-mismatch'],
    ['a keysend for an invoice payment', claimable({ amountMsat: 30_000n, purpose: 'spontaneous' }), 'purpose-mismatch'],
  ])('refuses a part with %s: only it fails, with incorrect_or_unknown_payment_details; the rest keep waiting', (_, next, reason) => {
    const record = waiting(add(undefined, part(0n, 30_000n)));
    const result = addPart(record, next, part(1n, 30_000n), H);
    expect(result.kind).toBe('refused');
    if (result.kind !== 'refused') return;
    expect(result.reason).toBe(reason);
    expect(result.record).toBe(record);
    expect(result.failBack.part.htlcId).toBe(1n);
    expect(toHex(encodeFailureMessage(result.failBack.failure))).toBe(unknownDetailsHex(30_000n));
  });

  it('refuses a part once the payment is complete or being claimed', () => {
    const done = add(waiting(add(undefined, part(0n, 50_000n))), part(1n, 40_000n));
    if (done.kind !== 'complete') throw new Error(done.kind);
    const late = add(done.record, part(2n, 1_000n));
    expect(late.kind === 'refused' && late.reason).toBe('already-complete');
    const claiming = markClaiming(done.record);
    expect(claiming.state).toBe('claiming');
    const later = add(claiming, part(3n, 1_000n));
    expect(later.kind === 'refused' && [later.reason, toHex(encodeFailureMessage(later.failBack.failure))]).toEqual(['already-complete', unknownDetailsHex(1_000n)]);
    expect(markClaiming(waiting(add(undefined, part(0n, 1n)))).state).toBe('collecting');
  });

  it('refuses a part pushing the sum past all bitcoin', () => {
    const big = { totalMsat: MAX_VALUE_MSAT + 2n };
    const record = waiting(addPart(undefined, claimable({ ...big, amountMsat: MAX_VALUE_MSAT }), part(0n, MAX_VALUE_MSAT), H));
    const result = addPart(record, claimable({ ...big, amountMsat: 5n }), part(1n, 5n), H);
    expect(result.kind === 'refused' && result.reason).toBe('amount-overflow');
  });
});

describe('timerTick: the multi-part timeout', () => {
  it(`fails every part with mpp_timeout (0x0017) ${MPP_TIMEOUT_TICKS} ticks after the oldest part arrived, not before`, () => {
    let record = waiting(add(undefined, part(0n, 30_000n, 5)));
    record = waiting(add(record, part(1n, 30_000n, 7)));
    for (let tick = 5; tick < 5 + MPP_TIMEOUT_TICKS; tick++) expect(timerTick(record, tick)).toEqual({ kind: 'keep', record });
    const out = timerTick(record, 5 + MPP_TIMEOUT_TICKS);
    expect(out.kind).toBe('timed-out');
    if (out.kind !== 'timed-out') return;
    expect(out.failBack.map((f) => f.part.htlcId)).toEqual([0n, 1n]);
    expect(out.failBack.map((f) => toHex(encodeFailureMessage(f.failure)))).toEqual(['0017', '0017']);
  });

  it('keeps a complete or claiming payment however old', () => {
    const done = add(undefined, part(0n, TOTAL, 0));
    if (done.kind !== 'complete') throw new Error(done.kind);
    expect(timerTick(done.record, 1000).kind).toBe('keep');
    expect(timerTick(markClaiming(done.record), 1000).kind).toBe('keep');
  });

  it('failAllParts: every part with incorrect_or_unknown_payment_details and its own amount', () => {
    let record = waiting(add(undefined, part(0n, 10_000n)));
    record = waiting(add(record, part(1n, 20_000n)));
    expect(failAllParts(record, H).map((f) => toHex(encodeFailureMessage(f.failure)))).toEqual([unknownDetailsHex(10_000n), unknownDetailsHex(20_000n)]);
  });
});

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const partArb: fc.Arbitrary<ReceivedPart> = fc.record({
  counterpartyNodeId: fc.uint8Array({ minLength: 33, maxLength: 33 }),
  channelId: bytes32,
  htlcId: u64,
  amountMsat: u64,
  cltvExpiry: fc.nat({ max: 0xffffffff }),
  receivedAtTick: fc.nat({ max: 0xffffffff }),
});
const recordArb: fc.Arbitrary<ClaimablePayment> = fc
  .record(
    {
      preimage: bytes32,
      withPreimage: fc.boolean(),
      purpose: fc.constantFrom('invoice' as const, 'spontaneous' as const, 'for-hash' as const),
      totalMsat: u64,
      paymentSecret: bytes32,
      state: fc.constantFrom('collecting' as const, 'claimable' as const, 'claiming' as const),
      parts: fc.array(partArb, { minLength: 1, maxLength: 5 }),
    },
    { requiredKeys: ['preimage', 'withPreimage', 'purpose', 'totalMsat', 'state', 'parts'] },
  )
  .map(({ preimage: p, withPreimage, ...rest }) => ({ paymentHash: sha256(p), ...(withPreimage ? { preimage: p } : {}), ...rest }));

describe('the claimable payment record codec', () => {
  it('a vector: version 1, then the TLV stream in type order', () => {
    const record: ClaimablePayment = { paymentHash: hash, purpose: 'spontaneous', totalMsat: 7000n, preimage, state: 'collecting', parts: [part(3n, 7000n, 9, 800_100, 2)] };
    const hex = toHex(encodeClaimablePayment(record));
    expect(hex).toBe(
      '01' +
        '0020' + toHex(hash) +
        '020101' +
        '04080000000000001b58' +
        '0820' + '21'.repeat(32) +
        '0a0100' +
        '0c59' + '02' + '07'.repeat(32) + '02'.repeat(32) + '0000000000000003' + '0000000000001b58' + '000c3564' + '00000009',
    );
  });

  it('round-trips any record (property)', () => {
    fc.assert(fc.property(recordArb, (record) => {
      expect(decodeClaimablePayment(encodeClaimablePayment(record))).toEqual({ ok: true, value: record });
    }));
  });

  it('round-trips records built by addPart', () => {
    const record = waiting(add(waiting(add(undefined, part(0n, 10_000n))), part(1n, 20_000n, 2)));
    expect(decodeClaimablePayment(encodeClaimablePayment(record))).toEqual({ ok: true, value: record });
  });

  it('never throws on garbage or truncated bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(typeof decodeClaimablePayment(bytes).ok).toBe('boolean');
    }));
    fc.assert(fc.property(recordArb, fc.nat(), (record, cut) => {
      const bytes = encodeClaimablePayment(record);
      const truncated = bytes.subarray(0, cut % bytes.length);
      expect(decodeClaimablePayment(truncated).ok).toBe(false);
    }));
  });

  it('refuses a newer version, an unknown purpose or state, no parts, and a preimage not of the hash', () => {
    const record: ClaimablePayment = { paymentHash: hash, purpose: 'invoice', totalMsat: 1n, state: 'collecting', parts: [part(0n, 1n)] };
    const good = encodeClaimablePayment(record);
    const newer = good.slice();
    newer[0] = 2;
    expect(decodeClaimablePayment(newer)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    const patch = (type: number, value: Uint8Array): Uint8Array => {
      const hex = toHex(good);
      const marker = toHex(Uint8Array.of(type)) + toHex(Uint8Array.of(value.length));
      const at = hex.indexOf(marker, 2 + 68);
      expect(at).toBeGreaterThan(0);
      return fromHex(hex.slice(0, at) + marker + toHex(value) + hex.slice(at + marker.length + value.length * 2));
    };
    expect(decodeClaimablePayment(patch(2, Uint8Array.of(2)))).toEqual({ ok: true, value: { ...record, purpose: 'for-hash' } });
    expect(decodeClaimablePayment(patch(2, Uint8Array.of(3))).ok).toBe(false);
    expect(decodeClaimablePayment(patch(10, Uint8Array.of(3))).ok).toBe(false);
    expect(decodeClaimablePayment(encodeClaimablePayment({ ...record, parts: [] })).ok).toBe(false);
    expect(decodeClaimablePayment(encodeClaimablePayment({ ...record, preimage: new Uint8Array(32) })).ok).toBe(false);
    expect(decodeClaimablePayment(encodeClaimablePayment({ ...record, preimage }))).toEqual({ ok: true, value: { ...record, preimage } });
  });
});
