/**
 * What the payments API keeps (docs/payments-api.md): the payment id derived
 * from the Idempotency-Key, the record's bytes (garbage read as none), its
 * resolution by the core's events exactly once, and the fee limit the
 * payment carries into the router and its persisted record.
 */
import { describe, expect, it } from 'vitest';
import { decodePaymentRecord, encodePaymentRecord, paymentIdOf, resolvedRecords, type PaymentRecord } from '../../functions/payments/payment-record.js';
import { defaultMaxFeeMsat } from '../../functions/payments/payment-service.js';
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  PaymentFailureReason,
  RouteErrorCode,
  decodeOutboundPayment,
  encodeOutboundPayment,
  type EventRecord,
  type PendingPayment,
} from '../../shared/manager/index.js';
import { findRoute } from '../support/reference-router.js';
import { SortKey } from '../../shared/store/index.js';

const b32 = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const key = (n: number): Uint8Array => wasmSecp256k1.publicKeyFromSecret(b32(n));

const PENDING: PaymentRecord = {
  paymentId: toHex(b32(1)),
  paymentHash: toHex(b32(2)),
  kind: 'bolt11',
  payeeNodeId: toHex(key(4)),
  amountMsat: 2_000_000n,
  maxFeeMsat: 70_000n,
  state: 'pending',
  createdAtSecs: 1_800_000_000,
  fingerprint: 'f'.repeat(64),
};

const sent = (id: number, fee: bigint): EventRecord => ({ id: 1n, event: { kind: 'payment-sent', paymentId: b32(id), paymentHash: b32(2), paymentPreimage: b32(9), feePaidMsat: fee } });
const failed = (id: number): EventRecord => ({ id: 2n, event: { kind: 'payment-failed', paymentId: b32(id), paymentHash: b32(2), reason: PaymentFailureReason.RecipientRejected } });

describe('the payment id', () => {
  it('follows from the node and the Idempotency-Key only', () => {
    const id = paymentIdOf(key(1), 'order-42');
    expect(id).toHaveLength(32);
    expect(paymentIdOf(key(1), 'order-42')).toEqual(id);
    expect(paymentIdOf(key(1), 'order-43')).not.toEqual(id);
    expect(paymentIdOf(key(2), 'order-42')).not.toEqual(id);
  });
});

describe('the payment record', () => {
  it('round-trips every state and reads garbage as none', () => {
    const done: PaymentRecord = { ...PENDING, state: 'succeeded', completedAtSecs: 1_800_000_005, feeMsat: 12n, preimage: toHex(b32(9)) };
    const lost: PaymentRecord = { ...PENDING, kind: 'keysend', state: 'failed', completedAtSecs: 1_800_000_005, failureReason: 'RouteNotFound' };
    for (const r of [PENDING, done, lost]) expect(decodePaymentRecord(encodePaymentRecord(r))).toEqual(r);
    for (const junk of ['', '{}', '{"v":2}', '[1]', 'null', JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodePaymentRecord(PENDING))), amt: '-1' })]) {
      expect(decodePaymentRecord(new TextEncoder().encode(junk)), junk).toBeUndefined();
    }
  });

  it('is resolved by the core event in its commit, once, and left alone when it is not an API payment', () => {
    const records = new Map([[SortKey.payment(PENDING.paymentId), encodePaymentRecord(PENDING)]]);
    const [put] = resolvedRecords([sent(1, 5n)], records, 1_800_000_010);
    expect(put!.sk).toBe(SortKey.payment(PENDING.paymentId));
    const done = decodePaymentRecord(put!.data)!;
    expect(done).toEqual({ ...PENDING, state: 'succeeded', completedAtSecs: 1_800_000_010, feeMsat: 5n, preimage: toHex(b32(9)) });
    // Succeeded or failed exactly once: a later event (or the same one replayed) changes nothing.
    const resolved = new Map([[put!.sk, put!.data]]);
    expect(resolvedRecords([failed(1)], resolved, 1_800_000_020)).toEqual([]);
    expect(resolvedRecords([sent(1, 5n)], resolved, 1_800_000_020)).toEqual([]);
    // Two events for one payment in one commit: the first decides.
    const [once] = resolvedRecords([failed(1), sent(1, 5n)], records, 1_800_000_010);
    expect(decodePaymentRecord(once!.data)).toMatchObject({ state: 'failed', failureReason: 'RecipientRejected' });
    // A payment the API did not start has no record: nothing to write.
    expect(resolvedRecords([sent(7, 0n)], records, 1_800_000_010)).toEqual([]);
  });
});

describe('the fee limit', () => {
  it('defaults to 1% of the amount plus 50 sat, as LDK', () => {
    expect(defaultMaxFeeMsat(0n)).toBe(50_000n);
    expect(defaultMaxFeeMsat(10_000_000n)).toBe(150_000n);
  });

  it('refuses routes whose fees exceed it, and is kept in the pending payment record', () => {
    const hint = [{ pubkey: key(2), shortChannelId: 801n, feeBaseMsat: 1000n, feeProportionalMillionths: 1000, cltvExpiryDelta: 40 }];
    const base = {
      ourNodeId: key(1),
      payeeNodeId: key(4),
      amountMsat: 1_000_000n,
      finalCltvExpiryDelta: 18,
      bestBlockHeight: 800_000,
      firstHops: [{ channelId: b32(5), counterpartyNodeId: key(2), shortChannelId: 600n, outboundCapacityMsat: 10_000_000n, nextOutboundHtlcMinimumMsat: 1n }],
      routeHints: [hint],
    };
    // The hint charges 1000 + 1000 ppm of 1,000,000 = 2,000 msat.
    const route = findRoute(base);
    expect(route.ok && route.route.totalFeeMsat).toBe(2000n);
    expect(findRoute({ ...base, maxTotalRoutingFeeMsat: 2000n }).ok).toBe(true);
    expect(findRoute({ ...base, maxTotalRoutingFeeMsat: 1999n })).toMatchObject({ ok: false, error: { code: RouteErrorCode.FeeTooHigh } });

    const pending: PendingPayment = {
      status: 'pending',
      paymentId: b32(1),
      paymentHash: b32(2),
      payeeNodeId: key(4),
      amountMsat: 1_000_000n,
      finalCltvExpiryDelta: 18,
      routeHints: [hint],
      recipient: { paymentSecret: b32(3) },
      retry: { attempts: 3 },
      startedAtSecs: 1_800_000_000,
      failedAttempts: 0,
      retriesMade: 0,
      parts: [],
      excludedShortChannelIds: [],
      maxTotalRoutingFeeMsat: 1999n,
    };
    expect(decodeOutboundPayment(encodeOutboundPayment(pending))).toEqual({ ok: true, value: pending });
    const { maxTotalRoutingFeeMsat: _limit, ...older } = pending;
    expect(decodeOutboundPayment(encodeOutboundPayment(older))).toEqual({ ok: true, value: older });
  });
});
