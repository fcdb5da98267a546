/**
 * Invoices over HTTP (docs/invoices-api.md), none of it under the node's
 * lease: an invoice's payment secret is derived statelessly by the core
 * (shared/manager/inbound-payment.ts), so creating one needs only the node's
 * keys and a read-only load of its channels (route hints), and each invoice
 * is its own item, written once with a conditional put. Canceling is a
 * conditional put too (`open` -> `canceled`); paying is the claim's commit
 * (claim-step.ts).
 */
import { toHex } from '../../shared/crypto/index.js';
import type { EventRecord } from '../../shared/manager/index.js';
import { SortKey, StoreError, StoreErrorCode, type ItemPut, type NodeStore } from '../../shared/store/index.js';
import { connectedPeers } from '../chain/channel-consumer.js';
import { loadManager } from '../runtime/manager-step.js';
import type { NodeContext } from '../runtime/node-context.js';
import { invoicesByHash } from './claim-step.js';
import { canceledInvoice, decodeInvoiceRecord, encodeInvoiceRecord, invoiceStateAt, type InvoiceRecord, type InvoiceState } from './invoice-record.js';

export const InvoiceServiceErrorCode = {
  /** The core refused the invoice's parameters. */
  refused: 'refused',
  /** No invoice has this payment hash. */
  unknownInvoice: 'unknown-invoice',
  /** The invoice is paid: it can no longer be canceled. */
  alreadyPaid: 'already-paid',
} as const;
export type InvoiceServiceErrorCode = (typeof InvoiceServiceErrorCode)[keyof typeof InvoiceServiceErrorCode];

export class InvoiceServiceError extends Error {
  constructor(
    readonly code: InvoiceServiceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InvoiceServiceError';
  }
}

/** What a new invoice asks (validated by the route). */
export interface NewInvoice {
  /** Undefined: any amount. */
  readonly amountMsat?: bigint;
  /** Exactly one of `description` and `descriptionHash`; neither: an empty description. */
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  readonly expirySecs: number;
  readonly externalId?: string;
}

/** The time invoices are stamped and judged with: the core's clock (the one the payment secret's expiry uses). */
export function nowSecsOf(ctx: Pick<NodeContext, 'managerPorts'>): number {
  return ctx.managerPorts.clock.nowSecs();
}

/**
 * Makes a BOLT 11 invoice (route hints for private channels whose peer is
 * connected) and stores it as `INVOICE#<hash>`, together with `alongside`
 * (the request's idempotency record, built from the invoice) in one
 * all-or-nothing write where no item may exist yet. Throws the store's
 * `condition-failed` when one does (an idempotency key taken meanwhile).
 */
export async function createInvoice(ctx: NodeContext, request: NewInvoice, alongside: (invoice: InvoiceRecord) => readonly ItemPut[] = () => []): Promise<InvoiceRecord> {
  const manager = await loadManager(ctx, ctx.store, { kind: 'create-invoice' }, await connectedPeers(ctx, ctx.store));
  const description = request.descriptionHash === undefined ? { description: request.description ?? '' } : { descriptionHash: request.descriptionHash };
  const created = manager.createBolt11Invoice({
    ...description,
    expirySecs: request.expirySecs,
    ...(request.amountMsat === undefined ? {} : { amountMsat: request.amountMsat }),
  });
  if (!created.ok) throw new InvoiceServiceError(InvoiceServiceErrorCode.refused, created.error.message);
  const { invoice, paymentHash, expiresAtSecs } = created.value;
  const record: InvoiceRecord = {
    paymentHash,
    bolt11: invoice,
    ...(request.amountMsat === undefined ? {} : { amountMsat: request.amountMsat }),
    ...description,
    ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
    createdAtSecs: expiresAtSecs - request.expirySecs,
    expiresAtSecs,
    state: 'open',
  };
  await ctx.store.putNew(ctx.nodeKey, [{ sk: SortKey.invoice(toHex(paymentHash)), data: encodeInvoiceRecord(record), state: record.state }, ...alongside(record)]);
  return record;
}

/** The invoice of `paymentHashHex` (lower-case hex), or `unknown-invoice`. */
export async function getInvoice(ctx: Pick<NodeContext, 'store' | 'nodeKey'>, paymentHashHex: string): Promise<InvoiceRecord> {
  const found = (await invoicesByHash(ctx.store, ctx.nodeKey, [paymentHashHex])).get(paymentHashHex);
  if (found === undefined) throw new InvoiceServiceError(InvoiceServiceErrorCode.unknownInvoice, `no invoice with payment hash ${paymentHashHex}`);
  return found;
}

/** Items read per Query while filling a page (a filter by state may skip many). */
const QUERY_PAGE = 100;

/**
 * A page of invoices in payment-hash order: those after `after` (a payment
 * hash, exclusive) in `state` at `nowSecs` (all when undefined), at most
 * `limit`; `nextAfter` is the last one's hash when more may follow, else null.
 */
export async function listInvoices(
  ctx: Pick<NodeContext, 'store' | 'nodeKey'>,
  query: { readonly state?: InvoiceState; readonly limit: number; readonly after?: string },
  nowSecs: number,
): Promise<{ invoices: InvoiceRecord[]; nextAfter: string | null }> {
  const out: InvoiceRecord[] = [];
  let cursor = query.after === undefined ? undefined : SortKey.invoice(query.after);
  for (;;) {
    const page = await ctx.store.queryPage(ctx.nodeKey, SortKey.invoicePrefix, { limit: QUERY_PAGE, ...(cursor === undefined ? {} : { after: cursor }) });
    for (const [i, { sk, data }] of page.items.entries()) {
      cursor = sk;
      const decoded = decodeInvoiceRecord(data);
      if (!decoded.ok) throw new Error(`invoice item ${sk} does not decode: ${decoded.error.message}`);
      if (query.state !== undefined && invoiceStateAt(decoded.value, nowSecs) !== query.state) continue;
      out.push(decoded.value);
      if (out.length === query.limit) {
        const more = i < page.items.length - 1 || page.more;
        return { invoices: out, nextAfter: more ? toHex(decoded.value.paymentHash) : null };
      }
    }
    if (!page.more) return { invoices: out, nextAfter: null };
  }
}

/**
 * Cancels an open (or expired) invoice: a conditional put `open` ->
 * `canceled`, outside the lease. A canceled one is answered as it is (a
 * repeat); a paid one is `already-paid`, also when its claim commits while
 * this call runs (the condition fails, the item is read again). A payment
 * arriving later is failed back (receive-policy.ts).
 */
export async function cancelInvoice(ctx: Pick<NodeContext, 'store' | 'nodeKey'>, paymentHashHex: string, nowSecs: number): Promise<InvoiceRecord> {
  for (let attempt = 0; ; attempt++) {
    const invoice = await getInvoice(ctx, paymentHashHex);
    if (invoice.state === 'paid') throw new InvoiceServiceError(InvoiceServiceErrorCode.alreadyPaid, `invoice ${paymentHashHex} is paid: it cannot be canceled`);
    if (invoice.state === 'canceled') return invoice;
    const canceled = canceledInvoice(invoice, nowSecs);
    try {
      await ctx.store.putIf(ctx.nodeKey, { sk: SortKey.invoice(paymentHashHex), data: encodeInvoiceRecord(canceled), state: canceled.state, condition: { kind: 'state', state: 'open' } });
      return canceled;
    } catch (error) {
      // The invoice changed since it was read (paid, or canceled by a racing call): read it again and answer from that.
      if (!(error instanceof StoreError && error.code === StoreErrorCode.ConditionFailed) || attempt > 0) throw error;
    }
  }
}

/** The merchant's `externalId` of each `payment-claimed` event's invoice, by payment hash (hex): what `payment-received` shows. */
export async function externalIdsOf(store: NodeStore, nodeKey: string, events: readonly EventRecord[]): Promise<Map<string, string>> {
  const hashes = events.flatMap(({ event }) => (event.kind === 'payment-claimed' ? [toHex(event.paymentHash)] : []));
  const out = new Map<string, string>();
  for (const [hash, invoice] of await invoicesByHash(store, nodeKey, hashes)) if (invoice.externalId !== undefined) out.set(hash, invoice.externalId);
  return out;
}
