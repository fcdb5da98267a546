/**
 * Registering webhooks and reading their deliveries (docs/webhooks.md),
 * outside the node's lease: the `WEBHOOKS` item is rewritten with a
 * conditional put on its version (a concurrent change is read again and
 * the change retried), delivery items are read by one Query. A commit that
 * reads `WEBHOOKS` just before a registration changes it writes deliveries
 * as the registrations were when it read them.
 */
import { randomBytes } from 'node:crypto';
import { SortKey, type VersionedWrite } from '../../shared/store/index.js';
import { IDEMPOTENCY_RETENTION_SEC, decodeIdempotencyRecord, encodeIdempotencyRecord, idempotencySortKey, replayOf } from '../http/idempotency.js';
import type { NodeContext } from '../runtime/node-context.js';
import { batchWrites } from './webhook-delivery.js';
import {
  DeliveryStatus,
  MAX_WEBHOOKS,
  decodeDeliveryBatch,
  decodeWebhooks,
  deliveryIdOf,
  encodeWebhooks,
  parseDeliveryId,
  type Delivery,
  type DeliveryBatch,
  type WebhookRegistration,
} from './webhook-records.js';
import { resolveWebhookUrl, type Resolver } from './webhook-url.js';

export const WebhookErrorCode = {
  /** The URL is refused (scheme, credentials, an address webhooks are not sent to, a host that does not resolve). */
  invalidUrl: 'invalid-url',
  /** The node has {@link MAX_WEBHOOKS} webhooks already. */
  tooMany: 'too-many-webhooks',
  unknownWebhook: 'unknown-webhook',
  unknownDelivery: 'unknown-delivery',
  /** The `WEBHOOKS` item kept changing under us. */
  contention: 'contention',
} as const;
export type WebhookErrorCode = (typeof WebhookErrorCode)[keyof typeof WebhookErrorCode];

export class WebhookError extends Error {
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** A webhook as reads show it: never its secret. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  /** The event kinds sent; null: every kind. */
  readonly events: readonly string[] | null;
  readonly createdAt: string;
}

/** One delivery as `GET /v1/webhooks/{id}/deliveries` shows it. */
export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly kind: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function webhookView(w: WebhookRegistration): WebhookView {
  return { id: w.id, url: w.url, events: w.events === undefined ? null : [...w.events], createdAt: w.createdAt };
}

function deliveryView(batch: DeliveryBatch, d: Delivery): DeliveryView {
  let kind = '';
  try {
    kind = String((JSON.parse(batch.payloads[d.eventId] ?? '{}') as { kind?: unknown }).kind ?? '');
  } catch {
    kind = '';
  }
  return {
    id: deliveryIdOf(batch, d),
    eventId: d.eventId,
    kind,
    status: d.status,
    attempts: d.attempts,
    createdAt: new Date(batch.createdAtMs).toISOString(),
    nextAttemptAt: d.status === DeliveryStatus.pending ? iso(d.nextAttemptAtMs) : null,
    lastAttemptAt: iso(d.lastAttemptAtMs),
    lastStatus: d.lastStatus ?? null,
    lastError: d.lastError ?? null,
  };
}

/** Reads `WEBHOOKS`, applies `change`, writes it back conditional on the version read; again on a concurrent change. */
async function updateWebhooks<T>(ctx: NodeContext, change: (current: WebhookRegistration[]) => { next: WebhookRegistration[]; value: T }): Promise<T> {
  for (let round = 0; round < 10; round++) {
    const item = await ctx.store.getVersioned(ctx.nodeKey, SortKey.webhooks);
    const { next, value } = change(decodeWebhooks(item?.data));
    if (await ctx.store.writeVersioned(ctx.nodeKey, [{ sk: SortKey.webhooks, data: encodeWebhooks(next), ifVersion: item?.version ?? 0 }])) return value;
  }
  throw new WebhookError(WebhookErrorCode.contention, 'the webhooks kept changing; try again');
}

/** What creating a webhook answers: the webhook and its secret, shown this once (and to a replay of the same `Idempotency-Key`). */
export interface CreatedWebhookView extends WebhookView {
  readonly secret: string;
}

/** A request's `Idempotency-Key` and its fingerprint (functions/http/idempotency.ts). */
export interface IdempotencyOf {
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * Registers a webhook: its URL checked (and resolved), a new secret drawn.
 * With an `Idempotency-Key`, its record is written in the same transaction
 * as the registration, and a request repeating the key answers what the
 * first answered (a different request with it: `idempotency-key-reused`).
 */
export async function createWebhook(
  ctx: NodeContext,
  request: { readonly url: string; readonly events?: readonly string[] },
  options: { readonly resolve?: Resolver; readonly idempotency?: IdempotencyOf } = {},
): Promise<CreatedWebhookView> {
  const { idempotency } = options;
  const recordKey = idempotency === undefined ? undefined : idempotencySortKey(idempotency.key);
  const replay = async (): Promise<CreatedWebhookView | undefined> => {
    const stored = recordKey === undefined ? undefined : await ctx.store.get(ctx.nodeKey, recordKey);
    const record = stored === undefined ? undefined : decodeIdempotencyRecord(stored);
    return record === undefined ? undefined : (replayOf(record, idempotency!.fingerprint) as CreatedWebhookView);
  };
  const first = await replay();
  if (first !== undefined) return first;
  const checked = await resolveWebhookUrl(request.url, ctx.webhooks?.allowLoopback ?? false, options.resolve);
  if (!checked.ok) throw new WebhookError(WebhookErrorCode.invalidUrl, `url: ${checked.reason}`);
  const registration: WebhookRegistration = {
    id: `wh_${randomBytes(8).toString('hex')}`,
    url: checked.url.href,
    ...(request.events === undefined ? {} : { events: [...new Set(request.events)] }),
    secret: randomBytes(32).toString('hex'),
    createdAt: new Date().toISOString(),
  };
  const answer: CreatedWebhookView = { ...webhookView(registration), secret: registration.secret };
  const nowSec = Math.floor(Date.now() / 1000);
  for (let round = 0; round < 10; round++) {
    const item = await ctx.store.getVersioned(ctx.nodeKey, SortKey.webhooks);
    const current = decodeWebhooks(item?.data);
    if (current.length >= MAX_WEBHOOKS) throw new WebhookError(WebhookErrorCode.tooMany, `a node keeps at most ${MAX_WEBHOOKS} webhooks; delete one first`);
    const writes: VersionedWrite[] = [{ sk: SortKey.webhooks, data: encodeWebhooks([...current, registration]), ifVersion: item?.version ?? 0 }];
    if (recordKey !== undefined) {
      const record = encodeIdempotencyRecord({ fingerprint: idempotency!.fingerprint, body: answer, createdAtSecs: nowSec });
      writes.push({ sk: recordKey, data: record, ifVersion: 0, ttlSec: nowSec + IDEMPOTENCY_RETENTION_SEC });
    }
    if (await ctx.store.writeVersioned(ctx.nodeKey, writes)) return answer;
    // The webhooks changed, or a concurrent request with the same key won: answer what it answered.
    const won = await replay();
    if (won !== undefined) return won;
  }
  throw new WebhookError(WebhookErrorCode.contention, 'the webhooks kept changing; try again');
}

export async function listWebhooks(ctx: NodeContext): Promise<WebhookView[]> {
  return decodeWebhooks(await ctx.store.get(ctx.nodeKey, SortKey.webhooks)).map(webhookView);
}

/** Deletes a webhook; its pending deliveries are dropped at their next attempt. */
export async function deleteWebhook(ctx: NodeContext, id: string): Promise<void> {
  await updateWebhooks(ctx, (current) => {
    if (!current.some((w) => w.id === id)) throw new WebhookError(WebhookErrorCode.unknownWebhook, `no webhook ${id}`);
    return { next: current.filter((w) => w.id !== id), value: undefined };
  });
}

async function requireWebhook(ctx: NodeContext, id: string): Promise<void> {
  if (!decodeWebhooks(await ctx.store.get(ctx.nodeKey, SortKey.webhooks)).some((w) => w.id === id)) throw new WebhookError(WebhookErrorCode.unknownWebhook, `no webhook ${id}`);
}

/** Delivery items one listing reads (newest first). */
export const DELIVERY_ITEMS_PER_LIST = 50;
/** Deliveries one listing returns. */
export const MAX_DELIVERIES_PER_LIST = 100;

/** The webhook's recent deliveries, newest first (from the newest {@link DELIVERY_ITEMS_PER_LIST} delivery items). */
export async function listDeliveries(ctx: NodeContext, webhookId: string): Promise<DeliveryView[]> {
  const [, items] = await Promise.all([requireWebhook(ctx, webhookId), ctx.store.query(ctx.nodeKey, SortKey.webhookDeliveryPrefix, DELIVERY_ITEMS_PER_LIST, 'newest-first')]);
  const out: DeliveryView[] = [];
  for (const { data } of items) {
    const batch = decodeDeliveryBatch(data);
    const mine = batch.deliveries.filter((d) => d.webhookId === webhookId).sort((a, b) => (BigInt(b.eventId) > BigInt(a.eventId) ? 1 : -1));
    out.push(...mine.map((d) => deliveryView(batch, d)));
    if (out.length >= MAX_DELIVERIES_PER_LIST) break;
  }
  return out.slice(0, MAX_DELIVERIES_PER_LIST);
}

/**
 * Schedules one more attempt of a delivery now (whatever its state: a
 * delivered event can be sent again, a failed one tried once more) and
 * hands it to the delivery function. Resolves with the delivery as scheduled.
 */
export async function redeliver(ctx: NodeContext, webhookId: string, deliveryId: string, nowMs: number = Date.now()): Promise<DeliveryView> {
  const parsed = parseDeliveryId(deliveryId);
  if (parsed === undefined || parsed.webhookId !== webhookId) throw new WebhookError(WebhookErrorCode.unknownDelivery, `no delivery ${deliveryId} of webhook ${webhookId}`);
  await requireWebhook(ctx, webhookId);
  for (let round = 0; round < 10; round++) {
    const item = await ctx.store.getVersioned(ctx.nodeKey, SortKey.webhookDelivery(parsed.firstEventId));
    const batch = item === undefined ? undefined : decodeDeliveryBatch(item.data);
    const target = batch?.deliveries.find((d) => d.eventId === parsed.eventId && d.webhookId === webhookId);
    if (item === undefined || batch === undefined || target === undefined) throw new WebhookError(WebhookErrorCode.unknownDelivery, `no delivery ${deliveryId} of webhook ${webhookId}`);
    const scheduled: Delivery = { ...target, status: DeliveryStatus.pending, nextAttemptAtMs: nowMs };
    const deliveries = batch.deliveries.map((d) => (d === target ? scheduled : d));
    if (await ctx.store.writeVersioned(ctx.nodeKey, batchWrites(batch, item.version, deliveries, nowMs))) {
      await ctx.webhooks?.dispatch?.([parsed.firstEventId]).catch((error: unknown) => ctx.logger.warn('webhook dispatch failed: the timer delivers', { error: String(error) }));
      return deliveryView(batch, scheduled);
    }
  }
  throw new WebhookError(WebhookErrorCode.contention, 'the delivery kept changing; try again');
}
