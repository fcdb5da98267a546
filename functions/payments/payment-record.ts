/**
 * A payment sent over the HTTP API (docs/payments-api.md), as the API
 * reports it: ONE item per payment, `PAYMENT#<payment id>`, written with the
 * manager's outbound payment when the request is committed and rewritten
 * once, in the commit that carries the core's `payment-sent` or
 * `payment-failed` for it ({@link resolvedRecords}). Beside it,
 * `PAYMENT_HASH#<payment hash>` names the payment id that last paid a hash
 * (the core forgets resolved payments after 24 h; a merchant must never pay
 * an invoice twice). Also here: how a payment id follows from the request's
 * Idempotency-Key.
 */
import { concatBytes, sha256, toHex } from '../../shared/crypto/index.js';
import type { EventRecord } from '../../shared/manager/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';

export type PaymentState = 'pending' | 'succeeded' | 'failed';
export type PaymentKind = 'bolt11' | 'keysend';

/** What the API keeps of a payment. Amounts in msat; times in seconds since 1970. */
export interface PaymentRecord {
  readonly paymentId: string;
  readonly paymentHash: string;
  readonly kind: PaymentKind;
  /** The payee's node id (hex). */
  readonly payeeNodeId: string;
  /** What the payee receives. */
  readonly amountMsat: bigint;
  /** The routing fee limit the payment was sent with. */
  readonly maxFeeMsat: bigint;
  readonly state: PaymentState;
  readonly createdAtSecs: number;
  /** Set once the payment succeeded or failed. */
  readonly completedAtSecs?: number;
  /** Fees paid to the route (succeeded). */
  readonly feeMsat?: bigint;
  /** Hex (succeeded). */
  readonly preimage?: string;
  /** The core's `PaymentFailureReason` (failed). */
  readonly failureReason?: string;
  /** `requestFingerprint` of the request that created it: a replay with the same key and another body is refused. */
  readonly fingerprint: string;
}

const text = new TextEncoder();
const PAYMENT_ID_TAG = text.encode('stormcell/payment-id/v1');

/**
 * The payment id of a request: SHA-256 of a domain tag, our node id and the
 * Idempotency-Key. The same key always names the same payment, so even with
 * every other record lost, the core's PaymentId check refuses to pay twice.
 */
export function paymentIdOf(nodeId: Uint8Array, idempotencyKey: string): Uint8Array {
  return sha256(concatBytes(PAYMENT_ID_TAG, nodeId, text.encode(idempotencyKey)));
}

export function encodePaymentRecord(r: PaymentRecord): Uint8Array {
  return text.encode(
    JSON.stringify({
      v: 1,
      id: r.paymentId,
      hash: r.paymentHash,
      kind: r.kind,
      payee: r.payeeNodeId,
      amt: r.amountMsat.toString(),
      maxFee: r.maxFeeMsat.toString(),
      state: r.state,
      created: r.createdAtSecs,
      fp: r.fingerprint,
      ...(r.completedAtSecs === undefined ? {} : { done: r.completedAtSecs }),
      ...(r.feeMsat === undefined ? {} : { fee: r.feeMsat.toString() }),
      ...(r.preimage === undefined ? {} : { pre: r.preimage }),
      ...(r.failureReason === undefined ? {} : { why: r.failureReason }),
    }),
  );
}

const STATES: readonly string[] = ['pending', 'succeeded', 'failed'];
const DIGITS = /^[0-9]{1,20}$/;

/** The record, or undefined for bytes this code did not write (never a crash). */
export function decodePaymentRecord(bytes: Uint8Array): PaymentRecord | undefined {
  try {
    const o = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
    const msat = (k: string) => {
      const s = str(k);
      return s !== undefined && DIGITS.test(s) ? BigInt(s) : undefined;
    };
    const [id, hash, kind, payee, amt, maxFee, state, created, fp] = [str('id'), str('hash'), str('kind'), str('payee'), msat('amt'), msat('maxFee'), str('state'), num('created'), str('fp')];
    if (o['v'] !== 1 || id === undefined || hash === undefined || payee === undefined || amt === undefined || maxFee === undefined || created === undefined || fp === undefined) return undefined;
    if ((kind !== 'bolt11' && kind !== 'keysend') || state === undefined || !STATES.includes(state)) return undefined;
    const done = num('done');
    const fee = msat('fee');
    const pre = str('pre');
    const why = str('why');
    return {
      paymentId: id,
      paymentHash: hash,
      kind,
      payeeNodeId: payee,
      amountMsat: amt,
      maxFeeMsat: maxFee,
      state: state as PaymentState,
      createdAtSecs: created,
      fingerprint: fp,
      ...(done === undefined ? {} : { completedAtSecs: done }),
      ...(fee === undefined ? {} : { feeMsat: fee }),
      ...(pre === undefined ? {} : { preimage: pre }),
      ...(why === undefined ? {} : { failureReason: why }),
    };
  } catch {
    return undefined;
  }
}

/** The payment ids (hex) whose `payment-sent` or `payment-failed` is among `events`: the records {@link resolvedRecords} reads. */
export function resolvedPaymentIds(events: readonly EventRecord[]): string[] {
  const ids = events.flatMap(({ event: e }) => (e.kind === 'payment-sent' || e.kind === 'payment-failed' ? [toHex(e.paymentId)] : []));
  return [...new Set(ids)];
}

/**
 * The API records the core's `payment-sent` / `payment-failed` events
 * resolve, as puts for the commit that carries the events: each pending
 * record found in `records` (by sort key) becomes `succeeded` or `failed`,
 * once. A record already resolved, or none (a payment not started over the
 * API), is left alone. `nowSecs` is the completion time.
 */
export function resolvedRecords(events: readonly EventRecord[], records: ReadonlyMap<string, Uint8Array>, nowSecs: number): { sk: string; data: Uint8Array }[] {
  const out = new Map<string, PaymentRecord>();
  for (const { event: e } of events) {
    if (e.kind !== 'payment-sent' && e.kind !== 'payment-failed') continue;
    const sk = SortKey.payment(toHex(e.paymentId));
    const bytes = records.get(sk);
    const current = out.get(sk) ?? (bytes === undefined ? undefined : decodePaymentRecord(bytes));
    if (current === undefined || current.state !== 'pending') continue;
    out.set(
      sk,
      e.kind === 'payment-sent'
        ? { ...current, state: 'succeeded', completedAtSecs: nowSecs, feeMsat: e.feePaidMsat, preimage: toHex(e.paymentPreimage) }
        : { ...current, state: 'failed', completedAtSecs: nowSecs, failureReason: e.reason },
    );
  }
  return [...out].map(([sk, r]) => ({ sk, data: encodePaymentRecord(r) }));
}

/**
 * The puts that resolve the API records of the payments `events` settle
 * ({@link resolvedRecords}), read from `store` (one BatchGetItem, and only
 * when a payment resolved): added to the commit that carries the events.
 */
export async function resolvedPaymentPuts(
  store: Pick<NodeStore, 'getMany'>,
  nodeKey: string,
  events: readonly EventRecord[],
  nowSecs: number,
): Promise<{ sk: string; data: Uint8Array }[]> {
  const ids = resolvedPaymentIds(events);
  if (ids.length === 0) return [];
  return resolvedRecords(events, await store.getMany(nodeKey, ids.map((id) => SortKey.payment(id))), nowSecs);
}
