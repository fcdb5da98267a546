/**
 * {@link InvoiceApi} over the store (functions/invoices/invoice-service.ts):
 * no lease. An `Idempotency-Key` is answered from its record when there is
 * one; else the invoice and the record are written in one all-or-nothing
 * put, so a crash never leaves one without the other, and a concurrent
 * duplicate finds the key taken and answers from the record the winner
 * wrote (functions/http/idempotency.ts).
 */
import { fromHex } from '../../shared/crypto/index.js';
import { StoreError, StoreErrorCode, type ItemPut } from '../../shared/store/index.js';
import type { InvoiceRecord } from '../invoices/invoice-record.js';
import { InvoiceServiceError, InvoiceServiceErrorCode, cancelInvoice, createInvoice, getInvoice, listInvoices, nowSecsOf, type NewInvoice } from '../invoices/invoice-service.js';
import type { NodeContext } from '../runtime/node-context.js';
import { HttpError, HttpErrorCode } from './errors.js';
import { IDEMPOTENCY_RETENTION_SEC, decodeIdempotencyRecord, encodeIdempotencyRecord, idempotencySortKey, replayOf } from './idempotency.js';
import { invoiceInfoOf, type IdempotencyRequest, type InvoiceApi, type InvoiceInfo } from './invoice-api.js';

/** Tries of a create under an Idempotency-Key that meets a concurrent one (its record read after each). */
const IDEMPOTENT_CREATE_ATTEMPTS = 4;

function invoiceHttpError(error: unknown): unknown {
  if (!(error instanceof InvoiceServiceError)) return error;
  switch (error.code) {
    case InvoiceServiceErrorCode.unknownInvoice:
      return new HttpError(HttpErrorCode.notFound, error.message);
    case InvoiceServiceErrorCode.alreadyPaid:
      return new HttpError(HttpErrorCode.invoicePaid, error.message);
    case InvoiceServiceErrorCode.refused:
      return new HttpError(HttpErrorCode.invalidRequest, error.message);
  }
}

async function asInvoiceHttp<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw invoiceHttpError(error);
  }
}

export function storeInvoiceApi(ctx: NodeContext): InvoiceApi {
  /** The answer recorded under the key, replayed (or `idempotency-key-reused`); undefined when the key is new. */
  async function replay(idempotency: IdempotencyRequest): Promise<InvoiceInfo | undefined> {
    const bytes = await ctx.store.get(ctx.nodeKey, idempotencySortKey(idempotency.key));
    const record = bytes === undefined ? undefined : decodeIdempotencyRecord(bytes);
    return record === undefined ? undefined : (replayOf(record, idempotency.fingerprint) as InvoiceInfo);
  }

  function idempotencyPut(idempotency: IdempotencyRequest, invoice: InvoiceRecord): ItemPut {
    const nowSecs = nowSecsOf(ctx);
    const body = invoiceInfoOf(invoice, nowSecs);
    return {
      sk: idempotencySortKey(idempotency.key),
      data: encodeIdempotencyRecord({ fingerprint: idempotency.fingerprint, body, createdAtSecs: nowSecs }),
      ttlSec: nowSecs + IDEMPOTENCY_RETENTION_SEC,
    };
  }

  return {
    async createInvoice(request, idempotency) {
      const made: NewInvoice = {
        expirySecs: request.expirySecs,
        ...(request.amountMsat === undefined ? {} : { amountMsat: request.amountMsat }),
        ...(request.description === undefined ? {} : { description: request.description }),
        ...(request.descriptionHash === undefined ? {} : { descriptionHash: fromHex(request.descriptionHash) }),
        ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
      };
      if (idempotency === undefined) return invoiceInfoOf(await asInvoiceHttp(() => createInvoice(ctx, made)), nowSecsOf(ctx));
      for (let attempt = 1; ; attempt++) {
        const earlier = await replay(idempotency);
        if (earlier !== undefined) return earlier;
        try {
          const invoice = await asInvoiceHttp(() => createInvoice(ctx, made, (created) => [idempotencyPut(idempotency, created)]));
          return invoiceInfoOf(invoice, nowSecsOf(ctx));
        } catch (error) {
          // A concurrent request with the same key wrote first (the key is taken: answer what it answered), or
          // DynamoDB cancelled both transactions as conflicting (nothing written: try again after a short pause).
          const contended = error instanceof StoreError && (error.code === StoreErrorCode.ConditionFailed || error.code === StoreErrorCode.CommitFailed);
          if (!contended || attempt >= IDEMPOTENT_CREATE_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        }
      }
    },
    async getInvoice(paymentHash) {
      return invoiceInfoOf(await asInvoiceHttp(() => getInvoice(ctx, paymentHash)), nowSecsOf(ctx));
    },
    async listInvoices(query) {
      const nowSecs = nowSecsOf(ctx);
      const page = await listInvoices(ctx, query, nowSecs);
      return { invoices: page.invoices.map((r) => invoiceInfoOf(r, nowSecs)), ...(page.nextAfter === null ? {} : { nextAfter: page.nextAfter }) };
    },
    async cancelInvoice(paymentHash) {
      const nowSecs = nowSecsOf(ctx);
      return invoiceInfoOf(await asInvoiceHttp(() => cancelInvoice(ctx, paymentHash, nowSecs)), nowSecs);
    },
  };
}
