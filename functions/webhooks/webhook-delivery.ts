/**
 * The delivery function's work (docs/webhooks.md), never under the node's
 * lease: a slow receiver holds nothing but its own attempt. For a delivery
 * item, the attempts due now are first CLAIMED (one conditional write on
 * the item's version: the attempt counted, the next attempt scheduled as if
 * this one failed, the `WEBHOOK_DUE#` marker moved), then sent, then their
 * outcomes recorded (another conditional write). Two runners cannot send
 * the same attempt (only one claim succeeds); a runner that dies after its
 * claim leaves the retry scheduled. At-least-once: a receiver may see an
 * event again (a crash after sending), always with the same event id.
 */
import { SortKey, type VersionedWrite } from '../../shared/store/index.js';
import type { NodeContext } from '../runtime/node-context.js';
import { nextAttemptAtMs } from './webhook-backoff.js';
import { isDelivered, postWebhook, type PostOutcome, type PostWebhook } from './webhook-post.js';
import {
  DUE_MARKER,
  DeliveryStatus,
  decodeDeliveryBatch,
  decodeWebhooks,
  encodeDeliveryBatch,
  type Delivery,
  type DeliveryBatch,
} from './webhook-records.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

/** How long a delivered or failed item is kept for `GET /v1/webhooks/{id}/deliveries` (DynamoDB TTL). */
export const DELIVERY_RETENTION_SEC = 7 * 24 * 3600;
/** A claimed attempt whose runner vanished is tried again no sooner than this (ms): past the attempt's own timeout. */
export const CLAIM_HOLD_MS = 60_000;
/** The most `WEBHOOK_DUE#` markers one timer run reads. */
export const DUE_PER_RUN = 100;
/** The most attempts of one delivery item sent at once (a commit of hundreds of events to several webhooks goes in rounds). */
export const ATTEMPTS_PER_ROUND = 32;
/** After this long (ms), no new round starts in the same run: the item goes back to the dispatcher (the delivery function's timeout is 30 s, an attempt's 10 s). */
export const RUN_BUDGET_MS = 15_000;

/** What tests inject: the clock, the jitter draw, the POST. */
export interface DeliveryOptions {
  readonly now?: () => number;
  readonly random?: () => number;
  readonly post?: PostWebhook;
}

interface Resolved {
  readonly now: () => number;
  readonly random: () => number;
  readonly post: PostWebhook;
}

function resolve(ctx: NodeContext, options: DeliveryOptions): Resolved {
  const allowLoopback = ctx.webhooks?.allowLoopback ?? false;
  return {
    now: options.now ?? (() => Date.now()),
    random: options.random ?? Math.random,
    post: options.post ?? ((url, body, headers) => postWebhook(url, body, headers, { allowLoopback })),
  };
}

/** The earliest pending attempt of `batch`, undefined when nothing is pending. */
function earliestDue(batch: DeliveryBatch): number | undefined {
  let due: number | undefined;
  for (const d of batch.deliveries) if (d.status === DeliveryStatus.pending && d.nextAttemptAtMs !== undefined) due = due === undefined ? d.nextAttemptAtMs : Math.min(due, d.nextAttemptAtMs);
  return due;
}

/**
 * The writes that replace `before` (stored at `version`) by `deliveries`:
 * the item (conditional on its version; with a TTL once nothing is pending)
 * and its due marker moved to the earliest pending attempt.
 */
export function batchWrites(before: DeliveryBatch, version: number, deliveries: readonly Delivery[], nowMs: number): VersionedWrite[] {
  return batchUpdate(before, version, deliveries, nowMs).writes;
}

/** {@link batchWrites}, with the item as written. */
function batchUpdate(before: DeliveryBatch, version: number, deliveries: readonly Delivery[], nowMs: number): { writes: VersionedWrite[]; after: DeliveryBatch } {
  const first = BigInt(before.firstEventId);
  const draft: DeliveryBatch = { ...before, deliveries };
  const due = earliestDue(draft);
  const { dueAtMs: _old, ...rest } = draft;
  const after: DeliveryBatch = due === undefined ? rest : { ...rest, dueAtMs: due };
  const writes: VersionedWrite[] = [
    { sk: SortKey.webhookDelivery(first), data: encodeDeliveryBatch(after), ifVersion: version, ...(due === undefined ? { ttlSec: Math.floor(nowMs / 1000) + DELIVERY_RETENTION_SEC } : {}) },
  ];
  const oldKey = before.dueAtMs === undefined ? undefined : SortKey.webhookDue(before.dueAtMs, first);
  const newKey = due === undefined ? undefined : SortKey.webhookDue(due, first);
  if (oldKey !== undefined && oldKey !== newKey) writes.push({ sk: oldKey });
  if (newKey !== undefined && newKey !== oldKey) writes.push({ sk: newKey, data: DUE_MARKER });
  return { writes, after };
}

/** The outcome of one attempt applied to its delivery (claimed before: attempts counted, next attempt set). */
function recordOutcome(d: Delivery, outcome: PostOutcome, createdAtMs: number, attemptAtMs: number, random: number): Delivery {
  const { nextAttemptAtMs: _n, lastStatus: _s, lastError: _e, ...rest } = d;
  const last = { ...rest, lastAttemptAtMs: attemptAtMs, ...('status' in outcome ? { lastStatus: outcome.status } : { lastError: outcome.error.slice(0, 300) }) };
  if (isDelivered(outcome)) return { ...last, status: DeliveryStatus.delivered };
  const next = nextAttemptAtMs(createdAtMs, d.attempts, attemptAtMs, random);
  return next === undefined ? { ...last, status: DeliveryStatus.failed } : { ...last, status: DeliveryStatus.pending, nextAttemptAtMs: next };
}

const sameDelivery = (a: Pick<Delivery, 'eventId' | 'webhookId'>, b: Pick<Delivery, 'eventId' | 'webhookId'>) => a.eventId === b.eventId && a.webhookId === b.webhookId;

/**
 * Runs the attempts due now of delivery item `firstEventId`, at most
 * {@link ATTEMPTS_PER_ROUND} at a time, round after round until none is due
 * or {@link RUN_BUDGET_MS} has passed (then the item is handed to the
 * dispatcher again, or left to the timer); resolves with how many were
 * sent. Deliveries to a webhook deleted since are dropped (`failed`,
 * "webhook deleted") without a request.
 */
export async function deliverBatch(ctx: NodeContext, firstEventId: bigint, options: DeliveryOptions = {}): Promise<number> {
  const resolved = resolve(ctx, options);
  const started = resolved.now();
  let sent = 0;
  for (;;) {
    const round = await deliverRound(ctx, firstEventId, resolved);
    sent += round.sent;
    if (!round.moreDue) return sent;
    if (resolved.now() - started > RUN_BUDGET_MS) {
      await ctx.webhooks?.dispatch?.([firstEventId]).catch(() => undefined);
      return sent;
    }
  }
}

/** One round of {@link deliverBatch}: claim up to {@link ATTEMPTS_PER_ROUND} due attempts, send them, record their outcomes. */
async function deliverRound(ctx: NodeContext, firstEventId: bigint, { now, random, post }: Resolved): Promise<{ sent: number; moreDue: boolean }> {
  const { store, nodeKey } = ctx;
  const [item, hooksBytes] = await Promise.all([store.getVersioned(nodeKey, SortKey.webhookDelivery(firstEventId)), store.get(nodeKey, SortKey.webhooks)]);
  if (item === undefined) return { sent: 0, moreDue: false };
  const hooks = new Map(decodeWebhooks(hooksBytes).map((w) => [w.id, w] as const));
  const batch = decodeDeliveryBatch(item.data);
  const claimedAt = now();
  const allDue = batch.deliveries.filter((d) => d.status === DeliveryStatus.pending && (d.nextAttemptAtMs ?? 0) <= claimedAt);
  if (allDue.length === 0) {
    // A marker out of step with the item (its writes are one transaction, so only an older version's marker could be): realign it.
    if (batch.dueAtMs !== earliestDue(batch)) await store.writeVersioned(nodeKey, batchWrites(batch, item.version, batch.deliveries, claimedAt));
    return { sent: 0, moreDue: false };
  }
  const due = allDue.slice(0, ATTEMPTS_PER_ROUND);
  // Claim: count the attempt and schedule the next as if it failed (at least CLAIM_HOLD_MS away, past the attempt's timeout).
  const claimed = batch.deliveries.map((d) => {
    if (!due.some((x) => sameDelivery(x, d))) return d;
    if (!hooks.has(d.webhookId)) {
      const { nextAttemptAtMs: _dropped, ...rest } = d;
      return { ...rest, status: DeliveryStatus.failed, lastError: 'webhook deleted' };
    }
    const next = nextAttemptAtMs(batch.createdAtMs, d.attempts + 1, claimedAt, random());
    return { ...d, attempts: d.attempts + 1, nextAttemptAtMs: Math.max(next ?? claimedAt, claimedAt + CLAIM_HOLD_MS) };
  });
  const claim = batchUpdate(batch, item.version, claimed, claimedAt);
  if (!(await store.writeVersioned(nodeKey, claim.writes))) return { sent: 0, moreDue: false }; // another runner claimed them
  let version = item.version + 1;
  const sending = claimed.filter((d) => d.status === DeliveryStatus.pending && due.some((x) => sameDelivery(x, d)));
  const outcomes = await Promise.all(
    sending.map(async (d) => {
      const hook = hooks.get(d.webhookId)!;
      const body = batch.payloads[d.eventId]!;
      const t = Math.floor(now() / 1000);
      const outcome = await post(hook.url, body, { [SIGNATURE_HEADER]: signatureHeader(hook.secret, t, body), 'stormcell-event-id': d.eventId, 'stormcell-delivery-attempt': String(d.attempts) });
      if (!isDelivered(outcome)) ctx.logger.info('webhook attempt failed', { webhook: d.webhookId, event: d.eventId, attempt: d.attempts, ...outcome });
      return { d, outcome, at: claimedAt };
    }),
  );
  const moreDue = allDue.length > due.length;
  // Record the outcomes; a concurrent change (a redelivery asked meanwhile) is read again and the outcomes applied over it.
  let current = claim.after;
  for (let attempt = 0; attempt < 5; attempt++) {
    const deliveries = current.deliveries.map((d) => {
      const o = outcomes.find((x) => sameDelivery(x.d, d));
      // Only over the attempt this runner claimed (a redelivery since has its own attempt).
      return o === undefined || d.attempts !== o.d.attempts ? d : recordOutcome(d, o.outcome, batch.createdAtMs, o.at, random());
    });
    if (await store.writeVersioned(nodeKey, batchWrites(current, version, deliveries, now()))) return { sent: sending.length, moreDue };
    const again = await store.getVersioned(nodeKey, SortKey.webhookDelivery(firstEventId));
    if (again === undefined) return { sent: sending.length, moreDue: false };
    current = decodeDeliveryBatch(again.data);
    version = again.version;
  }
  ctx.logger.warn('webhook outcomes not recorded after 5 tries: the attempts will be repeated', { firstEventId: firstEventId.toString() });
  return { sent: sending.length, moreDue: false };
}

/**
 * The timer's webhook work: the delivery items with an attempt due now (the
 * first {@link DUE_PER_RUN} `WEBHOOK_DUE#` markers, oldest first), handed
 * to the dispatcher when the deployment has one (the delivery function on
 * AWS, a background run embedded) or delivered here. Resolves with the
 * items found due.
 */
export async function deliverDueWebhooks(ctx: NodeContext, options: DeliveryOptions = {}): Promise<number> {
  const now = options.now ?? (() => Date.now());
  const markers = await ctx.store.query(ctx.nodeKey, SortKey.webhookDuePrefix, DUE_PER_RUN);
  const nowMs = now();
  const ids: bigint[] = [];
  for (const { sk } of markers) {
    const [, dueMs, first] = sk.split('#');
    if (Number(dueMs) > nowMs) break;
    if (!ids.includes(BigInt(first!))) ids.push(BigInt(first!));
  }
  if (ids.length === 0) return 0;
  const dispatch = ctx.webhooks?.dispatch;
  if (dispatch !== undefined) await dispatch(ids);
  else await deliverBatches(ctx, ids, options);
  return ids.length;
}

/** Delivers several items' due attempts, in parallel; one item's failure is logged, not thrown (the timer retries it). */
export async function deliverBatches(ctx: NodeContext, firstEventIds: readonly bigint[], options: DeliveryOptions = {}): Promise<void> {
  await Promise.all(
    firstEventIds.map((id) => deliverBatch(ctx, id, options).catch((error: unknown) => ctx.logger.error('webhook delivery failed', { firstEventId: id.toString(), error: String(error)}))),
  );
}
