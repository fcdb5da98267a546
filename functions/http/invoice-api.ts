/**
 * The invoices of the HTTP API as a port (docs/invoices-api.md): what the
 * routes (invoice-routes.ts) ask of the node, and an invoice as the API
 * shows it. Implemented over the store by store-invoice-api.ts.
 */
import { toHex } from '../../shared/crypto/index.js';
import { invoiceStateAt, type InvoiceRecord, type InvoiceState } from '../invoices/invoice-record.js';

/** An invoice as the API answers it: amounts in msat as JSON integers, times as ISO-8601 UTC strings (second precision). */
export interface InvoiceInfo {
  readonly paymentHash: string;
  readonly bolt11: string;
  /** Null: any amount. */
  readonly amountMsat: number | null;
  /** The `d` field, or null when the invoice carries a description hash. */
  readonly description: string | null;
  readonly descriptionHash: string | null;
  readonly externalId: string | null;
  readonly state: InvoiceState;
  /** What the claimed payment paid (`paid`), else null. */
  readonly receivedMsat: number | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly paidAt: string | null;
  readonly canceledAt: string | null;
}

/** What `POST /v1/invoices` asks, validated. */
export interface CreateInvoiceRequest {
  readonly amountMsat?: bigint;
  readonly description?: string;
  /** 32 bytes, hex (lower case). */
  readonly descriptionHash?: string;
  readonly expirySecs: number;
  readonly externalId?: string;
}

/** The request's `Idempotency-Key` and what makes two requests under it the same (functions/http/idempotency.ts). */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

export interface InvoicePage {
  readonly invoices: readonly InvoiceInfo[];
  /** The `after` of the next page; absent on the last (as in every list of the API). */
  readonly nextAfter?: string;
}

export interface InvoiceApi {
  /**
   * Makes and stores an invoice (no lease taken). With an Idempotency-Key, the
   * same request again answers the first invoice; another request under the
   * key rejects `idempotency-key-reused`.
   */
  createInvoice(request: CreateInvoiceRequest, idempotency?: IdempotencyRequest): Promise<InvoiceInfo>;
  /** Rejects `not-found` for a hash no invoice has. */
  getInvoice(paymentHash: string): Promise<InvoiceInfo>;
  listInvoices(query: { readonly state?: InvoiceState; readonly limit: number; readonly after?: string }): Promise<InvoicePage>;
  /** Open (or expired) -> canceled; a canceled one as it is; rejects `invoice-paid` for a paid one, `not-found` for an unknown hash. */
  cancelInvoice(paymentHash: string): Promise<InvoiceInfo>;
}

/** Unix seconds as ISO-8601 UTC, without fractions: `2026-12-06T18:09:05Z`. */
export function isoSecs(secs: number): string {
  return new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The API's view of a stored invoice at `nowSecs` (an open one past its expiry shows `expired`). */
export function invoiceInfoOf(r: InvoiceRecord, nowSecs: number): InvoiceInfo {
  return {
    paymentHash: toHex(r.paymentHash),
    bolt11: r.bolt11,
    amountMsat: r.amountMsat === undefined ? null : Number(r.amountMsat),
    description: r.description ?? null,
    descriptionHash: r.descriptionHash === undefined ? null : toHex(r.descriptionHash),
    externalId: r.externalId ?? null,
    state: invoiceStateAt(r, nowSecs),
    receivedMsat: r.receivedMsat === undefined ? null : Number(r.receivedMsat),
    createdAt: isoSecs(r.createdAtSecs),
    expiresAt: isoSecs(r.expiresAtSecs),
    paidAt: r.paidAtSecs === undefined ? null : isoSecs(r.paidAtSecs),
    canceledAt: r.canceledAtSecs === undefined ? null : isoSecs(r.canceledAtSecs),
  };
}
