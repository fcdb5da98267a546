/**
 * The payments area of the API over the store (functions/payments): the
 * payment service's refusals as the API's errors, lease contention as 503
 * `busy` (nothing was done), records as the API reports them.
 */
import { StoreError, StoreErrorCode } from '../../shared/store/index.js';
import { PaymentServiceError, abandonPayment, getPayment, listPayments, payInvoice, payKeysend } from '../payments/payment-service.js';
import type { PaymentRecord } from '../payments/payment-record.js';
import type { NodeContext } from '../runtime/node-context.js';
import { HttpError, busyError, type HttpErrorCode } from './errors.js';
import type { PaymentApi, PaymentInfo } from './payment-api.js';

/** A record as the API reports it. */
export function paymentInfoOf(r: PaymentRecord): PaymentInfo {
  return {
    paymentId: r.paymentId,
    paymentHash: r.paymentHash,
    kind: r.kind,
    payeeNodeId: r.payeeNodeId,
    state: r.state,
    amountMsat: r.amountMsat,
    maxFeeMsat: r.maxFeeMsat,
    feeMsat: r.feeMsat ?? null,
    preimage: r.preimage ?? null,
    failureReason: r.failureReason ?? null,
    createdAtSecs: r.createdAtSecs,
    completedAtSecs: r.completedAtSecs ?? null,
  };
}

/** The service's refusals (their codes are the API's) and lease contention as API errors; anything else stays internal. */
function paymentHttpError(error: unknown, waitedMs: number): unknown {
  if (error instanceof StoreError && (error.code === StoreErrorCode.LeaseHeld || error.code === StoreErrorCode.LeaseLost)) return busyError(waitedMs);
  if (error instanceof PaymentServiceError) return new HttpError(error.code satisfies HttpErrorCode, error.message);
  return error;
}

export function storePaymentApi(ctx: NodeContext): PaymentApi {
  const http = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (error) {
      throw paymentHttpError(error, ctx.leaseWaitMs);
    }
  };
  return {
    payInvoice: (input, identity) => http(payInvoice(ctx, input, identity)),
    payKeysend: (input, identity) => http(payKeysend(ctx, input, identity)),
    async getPayment(paymentId) {
      const record = await getPayment(ctx, paymentId);
      if (record === undefined) throw new HttpError('not-found', `no payment ${paymentId}`);
      return paymentInfoOf(record);
    },
    async abandonPayment(paymentId) {
      const record = await http(abandonPayment(ctx, paymentId));
      if (record === undefined) throw new HttpError('not-found', `no payment ${paymentId}`);
      return paymentInfoOf(record);
    },
    async listPayments(query) {
      const page = await listPayments(ctx, query);
      return { payments: page.payments.map(paymentInfoOf), ...(page.nextAfter === undefined ? {} : { nextAfter: page.nextAfter }) };
    },
  };
}
