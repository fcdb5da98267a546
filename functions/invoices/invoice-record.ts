/**
 * An invoice made over HTTP, as the merchant follows it (docs/invoices-api.md):
 * its own item `INVOICE#<payment hash>` in the node's partition, written
 * once outside the lease when created, then replaced under a condition on
 * its `state` attribute: `open` -> `paid` by the claim's commit,
 * `open` -> `canceled` by `POST /v1/invoices/{hash}/cancel`. Expiry is not
 * stored: an open invoice is `expired` once its time is past, computed when
 * read. Pure: the bytes (a version byte, then a TLV body) and the state
 * rules, no I/O and no clock (times come in as `nowSecs`).
 */
import { DecodeError, catchDecodeError, fixedBytes, tlvRecord, u64, u8, utf8Rest, versionedRecord, type DecodeResult } from '../../shared/codec/index.js';

/** What the item stores: the state a condition can compare. */
export const StoredInvoiceState = { open: 'open', paid: 'paid', canceled: 'canceled' } as const;
export type StoredInvoiceState = (typeof StoredInvoiceState)[keyof typeof StoredInvoiceState];

/** What the API reports: the stored state, or `expired` for an open invoice past its expiry. */
export type InvoiceState = StoredInvoiceState | 'expired';
export const INVOICE_STATES: readonly InvoiceState[] = ['open', 'paid', 'expired', 'canceled'];

/** One invoice and what became of it. */
export interface InvoiceRecord {
  readonly paymentHash: Uint8Array;
  /** The BOLT 11 invoice, as handed out. */
  readonly bolt11: string;
  /** Undefined: any amount. */
  readonly amountMsat?: bigint;
  /** Exactly one of `description` (`d`) and `descriptionHash` (`h`). */
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  /** The merchant's own reference (an order id), echoed in `payment-received`. */
  readonly externalId?: string;
  readonly createdAtSecs: number;
  readonly expiresAtSecs: number;
  readonly state: StoredInvoiceState;
  /** What the claimed parts paid together (`paid`). */
  readonly receivedMsat?: bigint;
  /** When the claim was committed (`paid`). */
  readonly paidAtSecs?: number;
  /** When it was canceled (`canceled`). */
  readonly canceledAtSecs?: number;
}

const STATE_CODES: readonly StoredInvoiceState[] = ['open', 'paid', 'canceled'];

const record = versionedRecord('invoice', 1, {
  paymentHash: tlvRecord(0, fixedBytes(32)),
  bolt11: tlvRecord(2, utf8Rest),
  state: tlvRecord(4, u8),
  createdAtSecs: tlvRecord(6, u64),
  expiresAtSecs: tlvRecord(8, u64),
  amountMsat: tlvRecord(10, u64),
  description: tlvRecord(12, utf8Rest),
  descriptionHash: tlvRecord(14, fixedBytes(32)),
  externalId: tlvRecord(16, utf8Rest),
  receivedMsat: tlvRecord(18, u64),
  paidAtSecs: tlvRecord(20, u64),
  canceledAtSecs: tlvRecord(22, u64),
});

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]: V }));

export function encodeInvoiceRecord(r: InvoiceRecord): Uint8Array {
  return record.encode({
    paymentHash: r.paymentHash,
    bolt11: r.bolt11,
    state: STATE_CODES.indexOf(r.state),
    createdAtSecs: BigInt(r.createdAtSecs),
    expiresAtSecs: BigInt(r.expiresAtSecs),
    ...optional('amountMsat', r.amountMsat),
    ...optional('description', r.description),
    ...optional('descriptionHash', r.descriptionHash),
    ...optional('externalId', r.externalId),
    ...optional('receivedMsat', r.receivedMsat),
    ...optional('paidAtSecs', r.paidAtSecs === undefined ? undefined : BigInt(r.paidAtSecs)),
    ...optional('canceledAtSecs', r.canceledAtSecs === undefined ? undefined : BigInt(r.canceledAtSecs)),
  });
}

/** The record, or a typed DecodeError (a newer version, a missing field, bad bytes); never throws. */
export function decodeInvoiceRecord(bytes: Uint8Array): DecodeResult<InvoiceRecord> {
  const decoded = record.decode(bytes);
  if (!decoded.ok) return decoded;
  return catchDecodeError(() => {
    const v = decoded.value;
    const state = v.state === undefined ? undefined : STATE_CODES[v.state];
    if (v.paymentHash === undefined || v.bolt11 === undefined || state === undefined || v.createdAtSecs === undefined || v.expiresAtSecs === undefined) {
      throw new DecodeError('invalid-value', 'invoice: a required field is missing or out of range');
    }
    const secs = (n: bigint | undefined) => (n === undefined ? undefined : Number(n));
    return {
      paymentHash: v.paymentHash,
      bolt11: v.bolt11,
      state,
      createdAtSecs: Number(v.createdAtSecs),
      expiresAtSecs: Number(v.expiresAtSecs),
      ...optional('amountMsat', v.amountMsat),
      ...optional('description', v.description),
      ...optional('descriptionHash', v.descriptionHash),
      ...optional('externalId', v.externalId),
      ...optional('receivedMsat', v.receivedMsat),
      ...optional('paidAtSecs', secs(v.paidAtSecs)),
      ...optional('canceledAtSecs', secs(v.canceledAtSecs)),
    };
  });
}

/**
 * The state the API reports at `nowSecs`: an open invoice is `expired` once
 * `nowSecs` is past `expiresAtSecs` (the same instant the payment secret
 * stops verifying: shared/manager/inbound-payment.ts).
 */
export function invoiceStateAt(r: InvoiceRecord, nowSecs: number): InvoiceState {
  return r.state === 'open' && nowSecs > r.expiresAtSecs ? 'expired' : r.state;
}

/** The invoice once its payment is claimed: `paid`, with what was received and when. */
export function paidInvoice(r: InvoiceRecord, receivedMsat: bigint, nowSecs: number): InvoiceRecord {
  return { ...r, state: 'paid', receivedMsat, paidAtSecs: nowSecs };
}

/** The invoice canceled at `nowSecs`. */
export function canceledInvoice(r: InvoiceRecord, nowSecs: number): InvoiceRecord {
  return { ...r, state: 'canceled', canceledAtSecs: nowSecs };
}
