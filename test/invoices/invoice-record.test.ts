/**
 * The invoice item (versioned bytes) and the rules a merchant relies on:
 * an open invoice is `expired` once past its expiry; the receive policy
 * claims only an open, unexpired, fully paid invoice, fails back a
 * canceled, expired, paid (a late duplicate) or underpaid one, claims a
 * keysend, and leaves what it cannot claim.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../shared/crypto/index.js';
import {
  canceledInvoice,
  decodeInvoiceRecord,
  encodeInvoiceRecord,
  invoiceStateAt,
  paidInvoice,
  type InvoiceRecord,
} from '../../functions/invoices/invoice-record.js';
import { decideClaimable, type PaymentClaimable } from '../../functions/invoices/receive-policy.js';

const NOW = 1_800_000_000;
const preimage = new Uint8Array(32).fill(3);
const hash = sha256(preimage);
const invoice: InvoiceRecord = {
  paymentHash: hash,
  bolt11: 'lnbcrt50n1example',
  amountMsat: 5_000n,
  description: 'coffee ☕',
  externalId: 'order-42',
  createdAtSecs: NOW,
  expiresAtSecs: NOW + 3600,
  state: 'open',
};
const event = (over: Partial<PaymentClaimable> = {}): PaymentClaimable => ({
  kind: 'payment-claimable',
  paymentHash: hash,
  amountMsat: 5_000n,
  purpose: 'invoice',
  paymentPreimage: preimage,
  claimDeadline: 1000,
  ...over,
});

describe('invoice record codec', () => {
  it('round-trips every shape of record', () => {
    const record = fc.record(
      {
        paymentHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        bolt11: fc.string({ minLength: 1 }),
        amountMsat: fc.bigInt({ min: 1n, max: 2n ** 53n }),
        description: fc.string(),
        descriptionHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        externalId: fc.string({ minLength: 1, maxLength: 128 }),
        createdAtSecs: fc.integer({ min: 0, max: 2 ** 40 }),
        expiresAtSecs: fc.integer({ min: 0, max: 2 ** 40 }),
        state: fc.constantFrom('open', 'paid', 'canceled') as fc.Arbitrary<InvoiceRecord['state']>,
        receivedMsat: fc.bigInt({ min: 0n, max: 2n ** 60n }),
        paidAtSecs: fc.integer({ min: 0, max: 2 ** 40 }),
        canceledAtSecs: fc.integer({ min: 0, max: 2 ** 40 }),
      },
      { requiredKeys: ['paymentHash', 'bolt11', 'createdAtSecs', 'expiresAtSecs', 'state'] },
    );
    fc.assert(
      fc.property(record, (r) => {
        const decoded = decodeInvoiceRecord(encodeInvoiceRecord(r));
        expect(decoded).toEqual({ ok: true, value: r });
      }),
    );
  });

  it('refuses a newer version, a missing field, truncated bytes and garbage with a typed error', () => {
    const bytes = encodeInvoiceRecord(invoice);
    expect(decodeInvoiceRecord(Uint8Array.of(2, ...bytes.subarray(1))).ok).toBe(false);
    // Cut anywhere: refused, or (cut between optional records) the required fields intact.
    for (let n = 0; n < bytes.length; n++) {
      const cut = decodeInvoiceRecord(bytes.subarray(0, n));
      if (cut.ok) expect(cut.value).toMatchObject({ paymentHash: hash, bolt11: invoice.bolt11, state: 'open', createdAtSecs: NOW, expiresAtSecs: NOW + 3600 });
    }
    expect(decodeInvoiceRecord(bytes.subarray(0, 40)).ok).toBe(false);
    // An empty version-1 body: the required fields are missing.
    expect(decodeInvoiceRecord(Uint8Array.of(1))).toMatchObject({ ok: false });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => void decodeInvoiceRecord(garbage)));
  });
});

describe('invoice state', () => {
  it('an open invoice is expired only once its expiry is past; paid and canceled stay so', () => {
    expect(invoiceStateAt(invoice, NOW + 3600)).toBe('open');
    expect(invoiceStateAt(invoice, NOW + 3601)).toBe('expired');
    expect(invoiceStateAt(paidInvoice(invoice, 5_000n, NOW + 10), NOW + 9999)).toBe('paid');
    expect(invoiceStateAt(canceledInvoice(invoice, NOW + 10), NOW + 9999)).toBe('canceled');
  });
});

describe('receive policy', () => {
  it('claims an open, unexpired invoice paid in full, and writes it paid with what was received', () => {
    const decision = decideClaimable(event({ amountMsat: 6_000n }), invoice, NOW + 5);
    expect(decision).toMatchObject({ kind: 'claim', preimage, paid: { state: 'paid', receivedMsat: 6_000n, paidAtSecs: NOW + 5, externalId: 'order-42' } });
  });

  it('claims any amount for an invoice without one', () => {
    const { amountMsat: _none, ...anyAmount } = invoice;
    expect(decideClaimable(event({ amountMsat: 1n }), anyAmount, NOW).kind).toBe('claim');
  });

  it('fails back a canceled, expired, already paid (late duplicate) or underpaid invoice', () => {
    expect(decideClaimable(event(), canceledInvoice(invoice, NOW), NOW)).toMatchObject({ kind: 'fail', why: 'the invoice is canceled' });
    expect(decideClaimable(event(), invoice, NOW + 3601)).toMatchObject({ kind: 'fail', why: 'the invoice is expired' });
    expect(decideClaimable(event(), paidInvoice(invoice, 5_000n, NOW), NOW)).toMatchObject({ kind: 'fail', why: 'the invoice is paid' });
    expect(decideClaimable(event({ amountMsat: 4_999n }), invoice, NOW).kind).toBe('fail');
  });

  it('claims a keysend and a payment to an invoice made through the core when the preimage is known', () => {
    expect(decideClaimable(event({ purpose: 'spontaneous' }), undefined, NOW)).toMatchObject({ kind: 'claim', why: 'keysend' });
    const core = decideClaimable(event(), undefined, NOW);
    expect(core).toMatchObject({ kind: 'claim' });
    expect(core.kind === 'claim' && core.paid).toBeUndefined();
  });

  it('leaves a payment whose preimage is unknown or does not match its hash', () => {
    const { paymentPreimage: _p, ...withoutPreimage } = event({ purpose: 'for-hash' });
    expect(decideClaimable(withoutPreimage, undefined, NOW).kind).toBe('leave');
    expect(decideClaimable(event({ paymentPreimage: new Uint8Array(32) }), undefined, NOW).kind).toBe('leave');
    expect(decideClaimable(withoutPreimage, invoice, NOW).kind).toBe('leave');
  });
});
