/**
 * The outbound payment record's bytes: round trips of every state (by hand
 * and as a property), then garbage, truncated and newer-version bytes
 * refused with a typed DecodeError, never a throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../shared/codec/index.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  MAX_PARTS_IN_FLIGHT,
  PaymentFailureReason,
  decodeOutboundPayment,
  encodeOutboundPayment,
  type OutboundPayment,
  type PendingPayment,
  type RouteHop,
} from '../../shared/manager/index.js';

const secp = wasmSecp256k1;
const key = (n: number): Uint8Array => secp.publicKeyFromSecret(new Uint8Array(32).fill(n));
const b32 = (n: number): Uint8Array => new Uint8Array(32).fill(n);

const hops: RouteHop[] = [
  { pubkey: key(2), shortChannelId: 600n, feeMsat: 3004n, cltvExpiryDelta: 40, amountMsat: 2_007_504n, cltvExpiry: 800_089 },
  { pubkey: key(4), shortChannelId: 801n, feeMsat: 0n, cltvExpiryDelta: 18, amountMsat: 2_000_000n, cltvExpiry: 800_019 },
];

const pending: PendingPayment = {
  status: 'pending',
  paymentId: b32(1),
  paymentHash: b32(2),
  payeeNodeId: key(4),
  amountMsat: 2_000_000n,
  finalCltvExpiryDelta: 18,
  routeHints: [[{ pubkey: key(2), shortChannelId: 801n, feeBaseMsat: 1000n, feeProportionalMillionths: 1000, cltvExpiryDelta: 40 }], []],
  recipient: { paymentSecret: b32(3), paymentMetadata: Uint8Array.of(9, 9), keysendPreimage: b32(4), totalMsat: 5_000_000n },
  retry: { timeoutSecs: 60 },
  expiresAtSecs: 1_800_003_600,
  startedAtSecs: 1_800_000_000,
  failedAttempts: 2,
  retriesMade: 1,
  excludedShortChannelIds: [5n, 6n],
  parts: [
    {
      route: { hops, totalAmountMsat: 2_000_000n, totalFeeMsat: 3004n, firstHopChannelId: b32(6), htlcAmountMsat: 2_007_504n, htlcCltvExpiry: 800_089 },
      sessionKey: b32(0x42),
      htlcId: 7n,
    },
  ],
  abandonReason: PaymentFailureReason.UserAbandoned,
  basicMpp: true,
};

function roundTrip(p: OutboundPayment): OutboundPayment {
  const r = decodeOutboundPayment(encodeOutboundPayment(p));
  if (!r.ok) throw r.error;
  return r.value;
}

describe('round trips', () => {
  it('a pending payment with everything set', () => {
    expect(roundTrip(pending)).toEqual(pending);
  });

  it('a fresh pending payment (attempts retry, no optional field)', () => {
    const fresh: PendingPayment = {
      status: 'pending',
      paymentId: b32(1),
      paymentHash: b32(2),
      payeeNodeId: key(4),
      amountMsat: 1n,
      finalCltvExpiryDelta: 0,
      routeHints: [],
      recipient: {},
      retry: { attempts: 0 },
      startedAtSecs: 0,
      failedAttempts: 0,
      retriesMade: 0,
      parts: [],
      excludedShortChannelIds: [],
    };
    expect(roundTrip(fresh)).toEqual(fresh);
    const one = { ...fresh, parts: [{ route: pending.parts[0]!.route, sessionKey: b32(5) }] };
    expect(roundTrip(one)).toEqual(one);
  });

  it('a multi-part payment: every part in flight, each with its HTLC id', () => {
    const route = pending.parts[0]!.route;
    const parts = [0, 1, 2].map((i) => ({ route: { ...route, totalAmountMsat: BigInt(600_000 + i), firstHopChannelId: b32(10 + i) }, sessionKey: b32(0x50 + i), htlcId: BigInt(i) }));
    const mpp: PendingPayment = { ...pending, parts };
    expect(roundTrip(mpp)).toEqual(mpp);
  });

  it('refuses a record with more parts than MAX_PARTS_IN_FLIGHT', () => {
    const part = pending.parts[0]!;
    const many: PendingPayment = { ...pending, parts: Array.from({ length: MAX_PARTS_IN_FLIGHT + 1 }, () => part) };
    expect(decodeOutboundPayment(encodeOutboundPayment(many)).ok).toBe(false);
  });

  it('reads a record written before multi-part payments (no retries-made field: the failed attempts were each retried)', () => {
    // The same bytes without TLV 43 (retries made) nor 45: what the previous writer produced.
    const { retriesMade: _r, basicMpp: _b, ...older } = pending;
    const bytes = encodeOutboundPayment({ ...older, retriesMade: 0 } as PendingPayment);
    // TLV 43 is the last record written here: 2b 04 <u32>.
    expect(bytes[bytes.length - 6]).toBe(43);
    const decoded = decodeOutboundPayment(bytes.subarray(0, bytes.length - 6));
    expect(decoded.ok && decoded.value.status === 'pending' && decoded.value.retriesMade).toBe(2);
  });

  it('fulfilled and failed', () => {
    const fulfilled: OutboundPayment = { status: 'fulfilled', paymentId: b32(1), paymentHash: b32(2), paymentPreimage: b32(3), feePaidMsat: 7504n, resolvedAtSecs: 1_800_000_100 };
    expect(roundTrip(fulfilled)).toEqual(fulfilled);
    for (const reason of Object.values(PaymentFailureReason)) {
      const failed: OutboundPayment = { status: 'failed', paymentId: b32(1), paymentHash: b32(2), reason, resolvedAtSecs: 5 };
      expect(roundTrip(failed)).toEqual(failed);
    }
  });

  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const secs = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const pubkey = fc.integer({ min: 1, max: 200 }).map(key);
  const routeHop = fc.record({ pubkey, shortChannelId: u64, feeMsat: u64, cltvExpiryDelta: u32, amountMsat: u64, cltvExpiry: u32 });
  const hintHop = fc.record({ pubkey, shortChannelId: u64, feeBaseMsat: u64, feeProportionalMillionths: u32, cltvExpiryDelta: u32 });
  const reason = fc.constantFrom(...Object.values(PaymentFailureReason));
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const pendingArb: fc.Arbitrary<OutboundPayment> = fc
    .record({
      paymentId: bytes32,
      paymentHash: bytes32,
      payeeNodeId: pubkey,
      amountMsat: u64,
      finalCltvExpiryDelta: u32,
      routeHints: fc.array(fc.array(hintHop, { maxLength: 4 }), { maxLength: 3 }),
      recipient: fc.record({ paymentSecret: opt(bytes32), paymentMetadata: opt(fc.uint8Array({ maxLength: 40 })), keysendPreimage: opt(bytes32), totalMsat: opt(u64) }).map(clean),
      retry: fc.oneof(fc.record({ attempts: secs }), fc.record({ timeoutSecs: secs })),
      expiresAtSecs: opt(secs),
      startedAtSecs: secs,
      failedAttempts: u32,
      retriesMade: u32,
      excludedShortChannelIds: fc.array(u64, { maxLength: 4 }),
      parts: fc.array(
        fc
          .record({
            route: fc.record({ hops: fc.array(routeHop, { minLength: 1, maxLength: 4 }), totalAmountMsat: u64, totalFeeMsat: u64, firstHopChannelId: bytes32, htlcAmountMsat: u64, htlcCltvExpiry: u32 }),
            sessionKey: bytes32,
            htlcId: opt(u64),
          })
          .map(clean),
        { maxLength: MAX_PARTS_IN_FLIGHT },
      ),
      basicMpp: opt(fc.boolean()),
      abandonReason: opt(reason),
    })
    .map((p) => clean({ status: 'pending' as const, ...p }) as OutboundPayment);
  const resolvedArb: fc.Arbitrary<OutboundPayment> = fc.oneof(
    fc.record({ status: fc.constant('fulfilled' as const), paymentId: bytes32, paymentHash: bytes32, paymentPreimage: bytes32, feePaidMsat: u64, resolvedAtSecs: secs }),
    fc.record({ status: fc.constant('failed' as const), paymentId: bytes32, paymentHash: bytes32, reason, resolvedAtSecs: secs }),
  );

  it('any record (property)', () => {
    fc.assert(
      fc.property(fc.oneof(pendingArb, resolvedArb), (p) => {
        expect(roundTrip(p)).toEqual(p);
      }),
      { numRuns: 200 },
    );
  });
});

describe('bad bytes', () => {
  const valid = encodeOutboundPayment(pending);

  it('garbage never throws; it decodes or is a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = decodeOutboundPayment(bytes);
        if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
      }),
    );
  });

  it('every truncation of a real record is refused or decodes to less, never throws', () => {
    for (let n = 0; n < valid.length; n++) {
      const r = decodeOutboundPayment(valid.subarray(0, n));
      if (r.ok) expect(r.value).not.toEqual(pending);
      else expect(r.error).toBeInstanceOf(DecodeError);
    }
    expect(decodeOutboundPayment(new Uint8Array(0)).ok).toBe(false);
    expect(decodeOutboundPayment(valid.subarray(0, 30)).ok).toBe(false);
  });

  it('a newer version byte, an unknown status, an unknown reason', () => {
    const newer = valid.slice();
    newer[0] = 2;
    expect(decodeOutboundPayment(newer).ok).toBe(false);
    const failed = encodeOutboundPayment({ status: 'failed', paymentId: b32(1), paymentHash: b32(2), reason: 'RouteNotFound', resolvedAtSecs: 5 });
    // Record 2 (status) sits right after record 0 (1 + 2 + 32 bytes): 02 01 <status>.
    const badStatus = failed.slice();
    expect([badStatus[35], badStatus[36]]).toEqual([2, 1]);
    badStatus[37] = 9;
    expect(decodeOutboundPayment(badStatus).ok).toBe(false);
    const badReason = failed.slice();
    // The reason (record 38) is the last but one record: 26 01 <reason>, then 28 08 <u64>.
    const at = badReason.length - 10 - 1;
    expect(badReason[at - 2]).toBe(38);
    badReason[at] = 99;
    expect(decodeOutboundPayment(badReason).ok).toBe(false);
  });
});
