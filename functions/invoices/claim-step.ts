/**
 * The node answering its own `payment-claimable` events in the invocation
 * that produced them (docs/invoices-api.md, "Receiving"): reads the
 * `INVOICE#` items of their hashes (one BatchGetItem), decides each
 * (receive-policy.ts) and calls `claimFunds` or `failHtlcBackwards` on the
 * same manager, so the claim, its `payment-claimed` event and the invoice
 * marked `paid` are one commit. The paid invoice is put on condition that
 * the stored item is still `open`: a cancel committed in between fails the
 * whole commit (`condition-failed`), the input is retried, and the retry
 * sees `canceled` and fails the parts back.
 */
import { toHex } from '../../shared/crypto/index.js';
import type { ChannelManager, ManagerChanges } from '../../shared/manager/index.js';
import { SortKey, type ItemPut, type NodeStore } from '../../shared/store/index.js';
import type { NodeContext } from '../runtime/node-context.js';
import { decodeInvoiceRecord, encodeInvoiceRecord, type InvoiceRecord } from './invoice-record.js';
import { decideClaimable, type PaymentClaimable } from './receive-policy.js';

/** The `INVOICE#` items of `hashes` (hex), decoded; an item that does not decode is a broken invariant (we wrote it). */
export async function invoicesByHash(store: NodeStore, nodeKey: string, hashes: readonly string[]): Promise<Map<string, InvoiceRecord>> {
  const out = new Map<string, InvoiceRecord>();
  if (hashes.length === 0) return out;
  const items = await store.getMany(nodeKey, [...new Set(hashes)].map((h) => SortKey.invoice(h)));
  for (const [sk, data] of items) {
    const decoded = decodeInvoiceRecord(data);
    if (!decoded.ok) throw new Error(`invoice item ${sk} does not decode: ${decoded.error.message}`);
    out.set(sk.slice(SortKey.invoicePrefix.length), decoded.value);
  }
  return out;
}

/**
 * Claims or fails back every payment `changes` announce as claimable, on
 * `manager` (its changes are then taken again by the caller). Returns the
 * invoice items to commit with them, each conditional on the stored one
 * being still `open`. No claimable payment: no read, nothing done.
 */
export async function answerClaimablePayments(ctx: Pick<NodeContext, 'nodeKey' | 'logger'>, store: NodeStore, manager: ChannelManager, changes: ManagerChanges, nowSecs: number): Promise<ItemPut[]> {
  const claimable = changes.events.flatMap((r) => (r.event.kind === 'payment-claimable' ? [r.event as PaymentClaimable] : []));
  if (claimable.length === 0) return [];
  const invoices = await invoicesByHash(store, ctx.nodeKey, claimable.map((e) => toHex(e.paymentHash)));
  const puts: ItemPut[] = [];
  for (const event of claimable) {
    const hash = toHex(event.paymentHash);
    const decision = decideClaimable(event, invoices.get(hash), nowSecs);
    ctx.logger.info('claimable payment', { paymentHash: hash, amountMsat: event.amountMsat.toString(), decision: decision.kind, why: decision.why });
    if (decision.kind === 'fail') manager.failHtlcBackwards(event.paymentHash);
    if (decision.kind !== 'claim') continue;
    const claimed = manager.claimFunds(decision.preimage);
    if (!claimed.ok) {
      ctx.logger.warn('claim refused by the manager', { paymentHash: hash, error: claimed.error.message });
      continue;
    }
    if (decision.paid !== undefined) {
      puts.push({ sk: SortKey.invoice(hash), data: encodeInvoiceRecord(decision.paid), state: decision.paid.state, condition: { kind: 'state', state: 'open' } });
    }
  }
  return puts;
}

/**
 * The `externalId` of each invoice `puts` mark paid, by payment hash (hex):
 * what a `payment-claimed` event of the same commit shows as
 * `payment-received` (`eventInfoOf(record, { externalId })`), for a caller
 * rendering events at commit time (webhook payloads) without another read.
 */
export function paidExternalIds(puts: readonly ItemPut[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const put of puts) {
    if (!put.sk.startsWith(SortKey.invoicePrefix) || put.state !== 'paid') continue;
    const decoded = decodeInvoiceRecord(put.data);
    if (decoded.ok && decoded.value.externalId !== undefined) out.set(put.sk.slice(SortKey.invoicePrefix.length), decoded.value.externalId);
  }
  return out;
}
