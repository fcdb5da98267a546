/**
 * What the node does with a payment to it once every part arrived (the
 * core's `payment-claimable`), decided in the same invocation
 * (docs/invoices-api.md, "Receiving"). Pure: the event, the invoice item
 * when there is one, and the time.
 *
 * - An invoice made over HTTP: claimed when it is open, not expired and the
 *   parts cover its amount (the invoice becomes `paid` in the claim's
 *   commit, conditionally on it being still open); failed back when it is
 *   canceled, expired, already paid (a late duplicate: the invoice is
 *   recorded once) or underpaid.
 * - No invoice item: a keysend is claimed (the payer chose to pay this node
 *   and put the preimage in the onion; nobody else could claim it, and
 *   leaving it unclaimed only fails it back at its deadline), as is a
 *   payment to an invoice made through the core (`createBolt11Invoice`) whose
 *   preimage the secret gives. A payment whose preimage we do not know (an
 *   invoice for a caller's hash) is left to whoever holds it: it fails back
 *   at its claim deadline otherwise.
 */
import { equalBytes } from '../../shared/codec/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import type { ManagerEvent } from '../../shared/manager/index.js';
import { invoiceStateAt, paidInvoice, type InvoiceRecord } from './invoice-record.js';

export type PaymentClaimable = Extract<ManagerEvent, { readonly kind: 'payment-claimable' }>;

export type ClaimDecision =
  /** `claimFunds(preimage)`; `paid`: the invoice item to write in the same commit, only if it is still open. */
  | { readonly kind: 'claim'; readonly preimage: Uint8Array; readonly paid?: InvoiceRecord; readonly why: string }
  /** `failHtlcBackwards(hash)`: every part gets `incorrect_or_unknown_payment_details`. */
  | { readonly kind: 'fail'; readonly why: string }
  /** Neither: the payment stays claimable (and fails back at its claim deadline unless claimed). */
  | { readonly kind: 'leave'; readonly why: string };

/** The preimage of the event when it is known and matches its hash. */
function preimageOf(event: PaymentClaimable): Uint8Array | undefined {
  const preimage = event.paymentPreimage;
  return preimage !== undefined && equalBytes(sha256(preimage), event.paymentHash) ? preimage : undefined;
}

/** Claim, fail back or leave the payment `event` announces; `invoice`: the `INVOICE#` item of its hash, when there is one. */
export function decideClaimable(event: PaymentClaimable, invoice: InvoiceRecord | undefined, nowSecs: number): ClaimDecision {
  const preimage = preimageOf(event);
  if (invoice === undefined) {
    if (preimage === undefined) return { kind: 'leave', why: `no invoice item and no preimage for ${toHex(event.paymentHash)} (${event.purpose})` };
    return { kind: 'claim', preimage, why: event.purpose === 'spontaneous' ? 'keysend' : `an invoice made through the core (${event.purpose})` };
  }
  const state = invoiceStateAt(invoice, nowSecs);
  if (state !== 'open') return { kind: 'fail', why: `the invoice is ${state}` };
  if (invoice.amountMsat !== undefined && event.amountMsat < invoice.amountMsat) {
    return { kind: 'fail', why: `the parts pay ${event.amountMsat} msat of the ${invoice.amountMsat} asked` };
  }
  if (preimage === undefined) return { kind: 'leave', why: 'the invoice is open but the preimage is not known' };
  return { kind: 'claim', preimage, paid: paidInvoice(invoice, event.amountMsat, nowSecs), why: 'the invoice is open and paid in full' };
}
