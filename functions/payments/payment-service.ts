/**
 * Payments sent over the HTTP API (docs/payments-api.md): a BOLT 11 invoice
 * or a keysend, started under the node's lease with the manager's
 * `sendPayment`, and committed in ONE transaction with what the API keeps
 * of it: the payment record (`PAYMENT#<id>`), the hash's entry
 * (`PAYMENT_HASH#<hash>`) and the Idempotency-Key's record. The HTLC leaves
 * only from that commit's outbox. The payment id is derived from the key
 * (payment-record.ts `paymentIdOf`), so a retried request names the same
 * payment whatever was lost. Refusals commit nothing.
 */
import { randomBytes } from 'node:crypto';
import { fromHex, sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice, isExpired, type Invoice, type RouteHint } from '../../shared/invoice/index.js';
import { PaymentErrorCode, decodePeerState, type ChannelManager, type ManagerChanges, type ManagerInput, type SendPaymentRequest } from '../../shared/manager/index.js';
import { equalBytes } from '../../shared/codec/index.js';
import { isFeatureSupported } from '../../shared/wire/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { IDEMPOTENCY_RETENTION_SEC, decodeIdempotencyRecord, encodeIdempotencyRecord, idempotencySortKey, replayOf } from '../http/idempotency.js';
import { applyInput, type InvocationResult } from '../runtime/invocation.js';
import { loadManager, managerResult, monitorsBefore } from '../runtime/manager-step.js';
import type { NodeContext } from '../runtime/node-context.js';
import { StepReads } from '../runtime/step-reads.js';
import { decodePaymentRecord, encodePaymentRecord, paymentIdOf, type PaymentRecord, type PaymentState } from './payment-record.js';

export const PaymentServiceErrorCode = {
  /** Not a BOLT 11 invoice our decoder reads (bad checksum, signature, fields). */
  invalidInvoice: 'invalid-invoice',
  invoiceExpired: 'invoice-expired',
  /** The invoice is for another chain than the node's. */
  wrongNetwork: 'wrong-network',
  /** That payment hash is pending or paid already (or failed within the core's 24 h memory). */
  duplicatePayment: 'duplicate-payment',
  /** No usable channel path to the payee (its channel, or a route hint), or none within the fee limit. */
  noRoute: 'no-route',
  /** Channels towards the payee exist but none can send that much now. */
  insufficientBalance: 'insufficient-balance',
  /** The request's values do not fit the invoice (an amount for an invoice that has one, none for one without). */
  invalidRequest: 'invalid-request',
  /** The Idempotency-Key was used with another request. */
  keyReused: 'idempotency-key-reused',
} as const;
export type PaymentServiceErrorCode = (typeof PaymentServiceErrorCode)[keyof typeof PaymentServiceErrorCode];

export class PaymentServiceError extends Error {
  constructor(
    readonly code: PaymentServiceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PaymentServiceError';
  }
}

/** The request's identity: its Idempotency-Key and the fingerprint of method, path and body (functions/http/idempotency.ts). */
export interface RequestIdentity {
  readonly idempotencyKey: string;
  readonly fingerprint: string;
}

export interface PayInvoiceRequest {
  readonly bolt11: string;
  /** Only for an invoice without an amount. */
  readonly amountMsat?: bigint;
  /** Defaults to {@link defaultMaxFeeMsat}. */
  readonly maxFeeMsat?: bigint;
}

export interface KeysendRequest {
  /** The payee's node id, hex. */
  readonly nodeId: string;
  readonly amountMsat: bigint;
  readonly maxFeeMsat?: bigint;
}

/** What a started payment answers (202), and every replay of it. */
export interface PaymentStarted {
  readonly paymentId: string;
  readonly paymentHash: string;
  readonly state: 'pending';
}

/** Retries of a payment whose attempt failed on the path (routes over other channels or hints). */
export const API_PAYMENT_RETRY = { attempts: 3 } as const;
/** The final CLTV delta of a keysend (no invoice says it): LDK's keysend default. */
export const KEYSEND_FINAL_CLTV_EXPIRY_DELTA = 40;

/** LDK's default fee limit (`max_total_routing_fee_msat`): 1% of the amount plus 50 sat. */
export function defaultMaxFeeMsat(amountMsat: bigint): bigint {
  return amountMsat / 100n + 50_000n;
}

/** The first answer of a request already committed under this key, or 409 when the key came with another request; undefined when the key is new. */
function replayed(identity: RequestIdentity, idem: Uint8Array | undefined, payment: Uint8Array | undefined): PaymentStarted | undefined {
  const record = idem === undefined ? undefined : decodeIdempotencyRecord(idem);
  try {
    if (record !== undefined) return replayOf(record, identity.fingerprint) as PaymentStarted;
  } catch {
    throw new PaymentServiceError(PaymentServiceErrorCode.keyReused, 'this Idempotency-Key was used with a different request: nothing was done (use a new key for a new request)');
  }
  // The idempotency record aged out but the payment (named by the key) is kept: its answer still holds.
  const kept = payment === undefined ? undefined : decodePaymentRecord(payment);
  if (kept === undefined) return undefined;
  if (kept.fingerprint !== identity.fingerprint) {
    throw new PaymentServiceError(PaymentServiceErrorCode.keyReused, 'this Idempotency-Key was used with a different request: nothing was done (use a new key for a new request)');
  }
  return { paymentId: kept.paymentId, paymentHash: kept.paymentHash, state: 'pending' };
}

/** What `start` needs of a payment, invoice or keysend. */
interface Outgoing {
  readonly kind: PaymentRecord['kind'];
  readonly paymentHash: Uint8Array;
  readonly payeeNodeId: Uint8Array;
  readonly amountMsat: bigint;
  readonly maxFeeMsat: bigint;
  readonly send: Omit<SendPaymentRequest, 'paymentId'>;
  readonly routeHints?: readonly RouteHint[];
  /** The invoice offers basic_mpp: the core may split the payment over several channels. */
  readonly basicMpp?: boolean;
}

/**
 * Why a payment the manager failed at once could not start: our channel
 * refused the HTLC (its balance, reserve or in-flight limit: the
 * `payment-path-failed` of an initial send), or the usable channels towards
 * the payee cannot send that much (for a basic_mpp invoice, the payment
 * may go in parts: their limits count together, their sum; otherwise the
 * largest alone); else there is no path (no channel with the payee or a
 * hint's node, or none within the fee limit).
 */
function routeRefusal(manager: ChannelManager, o: Outgoing, events: ManagerChanges['events']): PaymentServiceError {
  const refused = events.flatMap(({ event: e }) => (e.kind === 'payment-path-failed' && equalBytes(e.paymentHash, o.paymentHash) ? [e.failure] : []));
  if (refused.length > 0) {
    return new PaymentServiceError(PaymentServiceErrorCode.insufficientBalance, `our channel cannot send ${o.amountMsat} msat now: ${refused.join('; ')}`);
  }
  const peers = new Set([toHex(o.payeeNodeId), ...(o.routeHints ?? []).flatMap((h) => h.map((hop) => toHex(hop.pubkey)))]);
  const usable = manager.listChannels().filter((c) => c.isUsable && peers.has(toHex(c.counterpartyNodeId)));
  // The largest HTLC each channel can send now (LDK's next_outbound_htlc_limit_msat: reserve, in-flight limit, fee buffer);
  // summed when the payment may go in parts (basic_mpp), else the largest alone.
  const limits = usable.map((c) => c.nextOutboundHtlcLimitMsat);
  const most = o.basicMpp === true ? limits.reduce((s, l) => s + l, 0n) : limits.reduce((m, l) => (l > m ? l : m), 0n);
  if (usable.length > 0 && most < o.amountMsat) {
    const what = o.basicMpp === true ? 'our channels towards the payee together can send at most' : 'no channel towards the payee can send more than';
    return new PaymentServiceError(PaymentServiceErrorCode.insufficientBalance, `${what} ${most} msat now; ${o.amountMsat} msat asked`);
  }
  return new PaymentServiceError(PaymentServiceErrorCode.noRoute, `no usable channel path to ${toHex(o.payeeNodeId)} (its channel or a route hint) within the fee limit of ${o.maxFeeMsat} msat`);
}

/** A refusal of the manager's `sendPayment` (`<PaymentErrorCode>: <message>`, or the manager's own checks), in the API's terms. */
function sendRefusal(message: string): PaymentServiceError {
  if (message.startsWith(`${PaymentErrorCode.DuplicatePayment}:`) || /already paid another hash|is in flight/.test(message)) {
    return new PaymentServiceError(PaymentServiceErrorCode.duplicatePayment, `this payment hash or payment id was paid or tried recently: ${message}`);
  }
  if (message.startsWith(`${PaymentErrorCode.PaymentExpired}:`)) return new PaymentServiceError(PaymentServiceErrorCode.invoiceExpired, message);
  return new PaymentServiceError(PaymentServiceErrorCode.invalidRequest, message);
}

/** The peers a route of `o` may start with: the payee and every node of its hints (the peers whose channels the core loads for a send). */
function routingPeersOf(o: Outgoing): string[] {
  return [...new Set([toHex(o.payeeNodeId), ...(o.routeHints ?? []).flatMap((hint) => hint.map((hop) => toHex(hop.pubkey)))])];
}

/** Which of `peers` are connected now, and on which gateway connection (their PEER# items: keys, so they can be read beside the lease). */
async function connectedAmong(ctx: NodeContext, store: NodeStore, peers: readonly string[]): Promise<{ connected: Map<string, Uint8Array>; connections: Map<string, string> }> {
  const connected = new Map<string, Uint8Array>();
  const connections = new Map<string, string>();
  for (const data of (await store.getMany(ctx.nodeKey, peers.map((hex) => SortKey.peer(hex)))).values()) {
    const peer = decodePeerState(data);
    if (!peer.ok || peer.value.features === undefined) continue;
    connected.set(toHex(peer.value.nodeId), peer.value.features);
    connections.set(toHex(peer.value.nodeId), peer.value.connectionId);
  }
  return { connected, connections };
}

/**
 * Starts `o` under the node's lease and commits it with the API's records;
 * or answers the first request's answer when the key was committed already.
 */
async function start(ctx: NodeContext, identity: RequestIdentity, paymentId: Uint8Array, o: Outgoing): Promise<PaymentStarted> {
  const idHex = toHex(paymentId);
  const hashHex = toHex(o.paymentHash);
  const idemKey = idempotencySortKey(identity.idempotencyKey);
  let answer: PaymentStarted | undefined;
  let refusal: PaymentServiceError | undefined;
  const nothing: InvocationResult = { puts: [], deletes: [], effects: [] };
  const routing = routingPeersOf(o);
  // The first reads, all by key: read beside the lease (docs/commit-protocol.md, "Reads beside the lease").
  const prefetch = [idemKey, SortKey.payment(idHex), SortKey.paymentByHash(hashHex), SortKey.header, SortKey.fees, ...routing.map((hex) => SortKey.peer(hex))];
  // The input id is the payment id: a request replayed after its commit is a duplicate input, never a second payment.
  const outcome = await applyInput(ctx, `payment-${idHex}`, async (store: NodeStore) => {
    // Every read that does not depend on another in one round trip: the API's records, the manager's header and fees,
    // and the peers a route may start with (only their channels are loaded: whether the others are connected changes nothing).
    const reads = new StepReads(ctx, store);
    void reads.header();
    void reads.fees();
    const peersRead = connectedAmong(ctx, store, routing);
    peersRead.catch(() => undefined);
    const found = await store.getMany(ctx.nodeKey, [idemKey, SortKey.payment(idHex), SortKey.paymentByHash(hashHex)]);
    try {
      answer = replayed(identity, found.get(idemKey), found.get(SortKey.payment(idHex)));
    } catch (error) {
      refusal = error as PaymentServiceError;
      return nothing;
    }
    if (answer !== undefined) return nothing;
    const byHash = found.get(SortKey.paymentByHash(hashHex));
    if (byHash !== undefined) {
      const earlier = await store.get(ctx.nodeKey, SortKey.payment(new TextDecoder().decode(byHash)));
      const state = earlier === undefined ? undefined : decodePaymentRecord(earlier)?.state;
      if (state !== 'failed') {
        refusal = new PaymentServiceError(PaymentServiceErrorCode.duplicatePayment, `payment hash ${hashHex} is ${state === 'succeeded' ? 'paid' : 'being paid'} already: nothing was done`);
        return nothing;
      }
    }
    const input: ManagerInput = { kind: 'send-payment', paymentId, paymentHash: o.paymentHash, payeeNodeId: o.payeeNodeId, ...(o.routeHints === undefined ? {} : { routeHints: o.routeHints }) };
    const peers = await peersRead;
    const manager = await loadManager(ctx, store, input, peers.connected, reads, peers.connections);
    const sent = manager.sendPayment({ ...o.send, paymentId });
    if (!sent.ok) {
      refusal = sendRefusal(sent.error.message);
      return nothing;
    }
    const changes = manager.takeChanges();
    // A payment that found no route fails at once in the core: refused here, nothing committed.
    if (changes.events.some(({ event: e }) => e.kind === 'payment-failed' && toHex(e.paymentId) === idHex)) {
      refusal = routeRefusal(manager, o, changes.events);
      return nothing;
    }
    const nowSecs = ctx.managerPorts.clock.nowSecs();
    const body: PaymentStarted = { paymentId: idHex, paymentHash: hashHex, state: 'pending' };
    const record: PaymentRecord = {
      paymentId: idHex,
      paymentHash: hashHex,
      kind: o.kind,
      payeeNodeId: toHex(o.payeeNodeId),
      amountMsat: o.amountMsat,
      maxFeeMsat: o.maxFeeMsat,
      state: 'pending',
      createdAtSecs: nowSecs,
      fingerprint: identity.fingerprint,
    };
    answer = body;
    const puts = [
      { sk: SortKey.payment(idHex), data: encodePaymentRecord(record) },
      { sk: SortKey.paymentByHash(hashHex), data: new TextEncoder().encode(idHex) },
      // The key's record expires (DynamoDB TTL) after the retention the API promises; the payment's own records stay.
      { sk: idemKey, data: encodeIdempotencyRecord({ fingerprint: identity.fingerprint, body, createdAtSecs: nowSecs }), ttlSec: nowSecs + IDEMPOTENCY_RETENTION_SEC },
    ];
    return managerResult(changes, { puts, deletes: [], effects: [] }, await monitorsBefore(ctx, store, changes));
  }, { prefetch });
  if (outcome === 'duplicate') {
    // Committed by an earlier delivery of this very request: its records answer. What the step computed beside the
    // replay check was never committed and answers nothing; with the records gone, only its refusal holds.
    const found = await ctx.store.getMany(ctx.nodeKey, [idemKey, SortKey.payment(idHex)]);
    const again = replayed(identity, found.get(idemKey), found.get(SortKey.payment(idHex)));
    if (again !== undefined) return again;
    throw refusal ?? new Error(`payment input ${idHex} is recorded as applied but its records are missing`);
  }
  if (refusal !== undefined) throw refusal;
  if (answer === undefined) throw new Error('the payment input was not applied');
  return answer;
}

/** The answer of a request already committed under its key (no lease needed to read it), else undefined. */
async function replayBeforeLease(ctx: NodeContext, identity: RequestIdentity, paymentIdHex: string): Promise<PaymentStarted | undefined> {
  const idemKey = idempotencySortKey(identity.idempotencyKey);
  const found = await ctx.store.getMany(ctx.nodeKey, [idemKey, SortKey.payment(paymentIdHex)]);
  return replayed(identity, found.get(idemKey), found.get(SortKey.payment(paymentIdHex)));
}

/** The invoice `bolt11` decoded and checked for this node: its chain, its expiry, the amount to pay. */
export function invoiceToPay(ctx: Pick<NodeContext, 'network' | 'nodeKey'>, request: PayInvoiceRequest, nowSecs: number): { invoice: Invoice; amountMsat: bigint } {
  let decoded: ReturnType<typeof decodeInvoice>;
  try {
    // Bech32 is one case or the other (QR codes carry upper case); a `lightning:` URI prefix is dropped.
    const text = request.bolt11.replace(/^lightning:/i, '');
    decoded = decodeInvoice(wasmSecp256k1, text === text.toUpperCase() ? text.toLowerCase() : text);
  } catch (error) {
    throw new PaymentServiceError(PaymentServiceErrorCode.invalidInvoice, `bolt11: not a BOLT 11 invoice (${(error as Error).message})`);
  }
  if (!decoded.ok) throw new PaymentServiceError(PaymentServiceErrorCode.invalidInvoice, `bolt11: not a BOLT 11 invoice we can read (${decoded.error.message})`);
  const invoice = decoded.value;
  if (invoice.network !== ctx.network) throw new PaymentServiceError(PaymentServiceErrorCode.wrongNetwork, `bolt11: the invoice is for ${invoice.network}, this node runs on ${ctx.network}`);
  if (isExpired(invoice, nowSecs)) throw new PaymentServiceError(PaymentServiceErrorCode.invoiceExpired, `bolt11: the invoice expired at ${new Date(invoice.expiresAtSec * 1000).toISOString()}`);
  if (toHex(invoice.payeeNodeId) === ctx.nodeKey) throw new PaymentServiceError(PaymentServiceErrorCode.invalidRequest, 'bolt11: the invoice is this node\'s own');
  if (invoice.amountMsat === null) {
    if (request.amountMsat === undefined) throw new PaymentServiceError(PaymentServiceErrorCode.invalidRequest, 'amountMsat: is required for an invoice without an amount');
    return { invoice, amountMsat: request.amountMsat };
  }
  if (request.amountMsat !== undefined) throw new PaymentServiceError(PaymentServiceErrorCode.invalidRequest, 'amountMsat: the invoice has its own amount; send amountMsat only for an invoice without one');
  return { invoice, amountMsat: invoice.amountMsat };
}

/** `POST /v1/payments`: pays a BOLT 11 invoice. */
export async function payInvoice(ctx: NodeContext, request: PayInvoiceRequest, identity: RequestIdentity): Promise<PaymentStarted> {
  const paymentId = paymentIdOf(ctx.nodeId, identity.idempotencyKey);
  // A replay answers what the first request answered, even once its invoice has expired.
  const early = await replayBeforeLease(ctx, identity, toHex(paymentId));
  if (early !== undefined) return early;
  const { invoice, amountMsat } = invoiceToPay(ctx, request, ctx.managerPorts.clock.nowSecs());
  const maxFeeMsat = request.maxFeeMsat ?? defaultMaxFeeMsat(amountMsat);
  return start(ctx, identity, paymentId, {
    kind: 'bolt11',
    paymentHash: invoice.paymentHash,
    payeeNodeId: invoice.payeeNodeId,
    amountMsat,
    maxFeeMsat,
    routeHints: invoice.routeHints,
    basicMpp: offersBasicMpp(invoice),
    send: {
      paymentHash: invoice.paymentHash,
      payeeNodeId: invoice.payeeNodeId,
      amountMsat,
      finalCltvExpiryDelta: invoice.minFinalCltvExpiryDelta,
      routeHints: invoice.routeHints,
      recipient: { paymentSecret: invoice.paymentSecret, totalMsat: amountMsat, ...(invoice.paymentMetadata === null ? {} : { paymentMetadata: invoice.paymentMetadata }) },
      retry: API_PAYMENT_RETRY,
      expiresAtSecs: invoice.expiresAtSec,
      maxTotalRoutingFeeMsat: maxFeeMsat,
      basicMpp: offersBasicMpp(invoice),
    },
  });
}

/** The invoice sets basic_mpp (BOLT 11 feature bit 16 or 17) and a payment secret (always, in a valid invoice). */
function offersBasicMpp(invoice: Invoice): boolean {
  return isFeatureSupported(invoice.features, 'basic_mpp');
}

/** `POST /v1/payments/keysend`: a spontaneous payment (the preimage is ours, random, in the onion). */
export async function payKeysend(ctx: NodeContext, request: KeysendRequest, identity: RequestIdentity): Promise<PaymentStarted> {
  const paymentId = paymentIdOf(ctx.nodeId, identity.idempotencyKey);
  const early = await replayBeforeLease(ctx, identity, toHex(paymentId));
  if (early !== undefined) return early;
  if (request.nodeId === ctx.nodeKey) throw new PaymentServiceError(PaymentServiceErrorCode.invalidRequest, 'nodeId: a keysend cannot pay this node itself');
  const preimage = Uint8Array.from(randomBytes(32));
  const paymentHash = sha256(preimage);
  const payeeNodeId = fromHex(request.nodeId);
  const maxFeeMsat = request.maxFeeMsat ?? defaultMaxFeeMsat(request.amountMsat);
  return start(ctx, identity, paymentId, {
    kind: 'keysend',
    paymentHash,
    payeeNodeId,
    amountMsat: request.amountMsat,
    maxFeeMsat,
    send: {
      paymentHash,
      payeeNodeId,
      amountMsat: request.amountMsat,
      finalCltvExpiryDelta: KEYSEND_FINAL_CLTV_EXPIRY_DELTA,
      recipient: { keysendPreimage: preimage },
      retry: API_PAYMENT_RETRY,
      maxTotalRoutingFeeMsat: maxFeeMsat,
    },
  });
}

/**
 * `POST /v1/payments/{id}/abandon` (LDK's `abandon_payment`): no retry
 * follows; a payment with no HTLC in flight fails now (`UserAbandoned`),
 * one with HTLCs in flight when they come back failed (a late preimage
 * still makes it `succeeded`: the payee was paid). A resolved payment is
 * answered as it stands. Undefined for an unknown id.
 */
export async function abandonPayment(ctx: NodeContext, paymentIdHex: string): Promise<PaymentRecord | undefined> {
  const before = await getPayment(ctx, paymentIdHex);
  if (before?.state !== 'pending') return before;
  const paymentId = fromHex(paymentIdHex);
  const input: ManagerInput = { kind: 'abandon-payment', paymentId, paymentHash: fromHex(before.paymentHash) };
  // Abandoning is idempotent: a second request finds this input applied, or the payment resolved.
  await applyInput(ctx, `abandon-${paymentIdHex}`, async (store: NodeStore) => {
    // No peer is needed: abandoning sends nothing.
    const manager = await loadManager(ctx, store, input, new Map());
    manager.abandonPayment(paymentId);
    const changes = manager.takeChanges();
    return managerResult(changes, { puts: [], deletes: [], effects: [] }, await monitorsBefore(ctx, store, changes));
  });
  return getPayment(ctx, paymentIdHex);
}

/** A payment by id (hex), or undefined. */
export async function getPayment(ctx: NodeContext, paymentIdHex: string): Promise<PaymentRecord | undefined> {
  const bytes = await ctx.store.get(ctx.nodeKey, SortKey.payment(paymentIdHex));
  return bytes === undefined ? undefined : decodePaymentRecord(bytes);
}

/** The Query pages read for one list call at most (a `state` filter skips records). */
const MAX_PAGES = 10;

/**
 * Payments in payment-id order after `after` (exclusive), at most `limit`,
 * only those in `state` when given; `nextAfter` is the cursor of the next
 * page (absent at the end).
 */
export async function listPayments(
  ctx: NodeContext,
  options: { readonly state?: PaymentState; readonly limit: number; readonly after?: string },
): Promise<{ payments: PaymentRecord[]; nextAfter?: string }> {
  const payments: PaymentRecord[] = [];
  let after = options.after === undefined ? undefined : SortKey.payment(options.after);
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, more } = await ctx.store.queryPage(ctx.nodeKey, SortKey.paymentPrefix, { limit: options.limit - payments.length, ...(after === undefined ? {} : { after }) });
    for (const { sk, data } of items) {
      after = sk;
      const record = decodePaymentRecord(data);
      if (record !== undefined && (options.state === undefined || record.state === options.state)) payments.push(record);
    }
    if (!more) return { payments };
    if (payments.length >= options.limit) break;
  }
  // More may follow (the limit was reached, or the pages read for a filter ran out): the cursor resumes after the last item read.
  return { payments, nextAfter: after!.slice(SortKey.paymentPrefix.length) };
}
