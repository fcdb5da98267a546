/**
 * Test support: a BOLT 11 invoice made and paid through the ChannelManager,
 * as a wallet does it: the payee's `createBolt11Invoice`, decoded by our
 * parser, then the payer's `send-payment` input (which loads the payment's
 * records) with a `sendPayment` built from the invoice's fields: hash,
 * secret, payee, route hints, final CLTV delta and expiry. Serves our
 * in-memory network ({@link payInvoice}) and a single driven node
 * (`driver.step(p.input, p.send)` with {@link invoicePayment}).
 */
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice, type Invoice } from '../../shared/invoice/index.js';
import type { ApiResult, ChannelManager, ManagerInput } from '../../shared/manager/index.js';
import type { ManagerNetwork, ManagerNode } from './manager-network.js';

/** What a payer chooses beyond the invoice. */
export interface InvoicePaymentOptions {
  readonly paymentId: Uint8Array;
  /** Default: the invoice's amount (an invoice without one needs it). */
  readonly amountMsat?: bigint;
  /** The payment's total in the onion (default: `amountMsat`); more makes this one part of a multi-part payment. */
  readonly totalMsat?: bigint;
  /** Retries after a failed attempt (default 0). */
  readonly attempts?: number;
  /** Passed on as `sendPayment`'s `basicMpp` when given (absent otherwise). */
  readonly basicMpp?: boolean;
}

/** The `send-payment` input and the call to make under it. */
export interface InvoicePayment {
  readonly input: Extract<ManagerInput, { kind: 'send-payment' }>;
  readonly send: (m: ChannelManager) => ApiResult<void>;
}

type InvoiceRequest = Parameters<ChannelManager['createBolt11Invoice']>[0];
type CreatedInvoice = Extract<ReturnType<ChannelManager['createBolt11Invoice']>, { ok: true }>['value'];

/** Our decoder's reading of `encoded`; throws on an invoice it refuses. */
export function decodedInvoice(encoded: string): Invoice {
  const decoded = decodeInvoice(wasmSecp256k1, encoded);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

/** `node` creates an invoice for `request`; throws when refused. Returns it with its decoded form. */
export function createInvoiceOn(net: ManagerNetwork, node: ManagerNode, request: InvoiceRequest): CreatedInvoice & { readonly decoded: Invoice } {
  const created = net.step(node, { kind: 'create-invoice' }, (m: ChannelManager) => m.createBolt11Invoice(request));
  if (!created.ok) throw new Error(created.error.message);
  return { ...created.value, decoded: decodedInvoice(created.value.invoice) };
}

/** The input and `sendPayment` call that pay `invoice` as {@link InvoicePaymentOptions} say. */
export function invoicePayment(invoice: Invoice, options: InvoicePaymentOptions): InvoicePayment {
  const { paymentId } = options;
  const amountMsat = options.amountMsat ?? invoice.amountMsat;
  if (amountMsat === null) throw new Error('the invoice names no amount: give amountMsat');
  return {
    input: { kind: 'send-payment', paymentId, paymentHash: invoice.paymentHash, payeeNodeId: invoice.payeeNodeId, routeHints: invoice.routeHints },
    send: (m) =>
      m.sendPayment({
        paymentId,
        paymentHash: invoice.paymentHash,
        payeeNodeId: invoice.payeeNodeId,
        amountMsat,
        finalCltvExpiryDelta: invoice.minFinalCltvExpiryDelta,
        routeHints: invoice.routeHints,
        recipient: { paymentSecret: invoice.paymentSecret, totalMsat: options.totalMsat ?? amountMsat },
        retry: { attempts: options.attempts ?? 0 },
        expiresAtSecs: invoice.expiresAtSec,
        ...(options.basicMpp === undefined ? {} : { basicMpp: options.basicMpp }),
      }),
  };
}

/** `payer` pays `invoice` on the in-memory network (nothing delivered yet): `sendPayment`'s result. */
export function payInvoice(net: ManagerNetwork, payer: ManagerNode, invoice: Invoice, options: InvoicePaymentOptions): ApiResult<void> {
  const payment = invoicePayment(invoice, options);
  return net.step(payer, payment.input, payment.send);
}
