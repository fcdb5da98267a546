/**
 * The stored form of webhooks (docs/webhooks.md): the `WEBHOOKS` item (every
 * registration, at most {@link MAX_WEBHOOKS}, so a commit reads them with one
 * GetItem) and the delivery items, `WEBHOOK_DELIVERY#<first event id>`: one
 * commit's deliveries, each payload rendered once per event and each
 * (event, webhook) pair's attempts beside it. A version byte, then JSON:
 * these items are read by the delivery function and the API only, never
 * by the core.
 */
import type { EventRecord } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { eventInfoOf, type EventContext } from '../http/store-node-api.js';

/** The most webhooks a node keeps. */
export const MAX_WEBHOOKS = 10;

/** The first byte of both item kinds. */
const RECORD_VERSION = 1;

export interface WebhookRegistration {
  /** `wh_` and 16 hex digits. */
  readonly id: string;
  readonly url: string;
  /** The event kinds sent; absent: every kind. */
  readonly events?: readonly string[];
  /** The signing secret (64 hex digits): shown when created, never again. */
  readonly secret: string;
  readonly createdAt: string;
}

export const DeliveryStatus = { pending: 'pending', delivered: 'delivered', failed: 'failed' } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** One event's delivery to one webhook. */
export interface Delivery {
  readonly webhookId: string;
  /** The event id (decimal). */
  readonly eventId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When the next attempt is due (ms); absent once delivered or failed. */
  readonly nextAttemptAtMs?: number;
  readonly lastAttemptAtMs?: number;
  /** The receiver's status code of the last attempt. */
  readonly lastStatus?: number;
  /** Why the last attempt got no status (timeout, refused address, ...). */
  readonly lastError?: string;
}

/** One commit's deliveries: the payloads (one per event) and each delivery's state. */
export interface DeliveryBatch {
  /** The first event id among them: the item's key. */
  readonly firstEventId: string;
  /** When the commit wrote it (ms): the start of the 24-hour retry window. */
  readonly createdAtMs: number;
  /** The time of its `WEBHOOK_DUE#` marker (ms), absent once nothing is pending. */
  readonly dueAtMs?: number;
  /** Event id → the JSON body sent (the same bytes on every attempt). */
  readonly payloads: Readonly<Record<string, string>>;
  readonly deliveries: readonly Delivery[];
}

function encodeJson(value: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(value));
  const out = new Uint8Array(json.length + 1);
  out[0] = RECORD_VERSION;
  out.set(json, 1);
  return out;
}

function decodeJson(bytes: Uint8Array, what: string): unknown {
  if (bytes[0] !== RECORD_VERSION) throw new Error(`the ${what} item has version ${bytes[0]}, this code reads ${RECORD_VERSION}`);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(1)));
}

export function encodeWebhooks(webhooks: readonly WebhookRegistration[]): Uint8Array {
  return encodeJson({ webhooks });
}

/** The registrations in a `WEBHOOKS` item (none when absent). A newer version fails loudly. */
export function decodeWebhooks(bytes: Uint8Array | undefined): WebhookRegistration[] {
  if (bytes === undefined) return [];
  return (decodeJson(bytes, 'WEBHOOKS') as { webhooks: WebhookRegistration[] }).webhooks;
}

export function encodeDeliveryBatch(batch: DeliveryBatch): Uint8Array {
  return encodeJson(batch);
}

export function decodeDeliveryBatch(bytes: Uint8Array): DeliveryBatch {
  return decodeJson(bytes, 'WEBHOOK_DELIVERY') as DeliveryBatch;
}

/** A delivery's public id: `<first event id of its item>-<event id>-<webhook id>`. */
export function deliveryIdOf(batch: Pick<DeliveryBatch, 'firstEventId'>, delivery: Pick<Delivery, 'eventId' | 'webhookId'>): string {
  return `${batch.firstEventId}-${delivery.eventId}-${delivery.webhookId}`;
}

/** The parts of a delivery id, or undefined when it is not one. */
export function parseDeliveryId(id: string): { readonly firstEventId: bigint; readonly eventId: string; readonly webhookId: string } | undefined {
  const m = /^([0-9]{1,20})-([0-9]{1,20})-(wh_[0-9a-f]{16})$/.exec(id);
  if (m === null) return undefined;
  return { firstEventId: BigInt(m[1]!), eventId: m[2]!, webhookId: m[3]! };
}

/**
 * The body a webhook receives for `record`: `{"id","kind","createdAt","data"}`, `data` the event as `GET /v1/events` shows it, less `id` and `kind`
 * (`context`: what the API adds to it, e.g. the paid invoice's `externalId`).
 */
export function renderPayload(record: EventRecord, createdAt: string, context: EventContext = {}): { readonly kind: string; readonly payload: string } {
  const { id, kind, ...data } = eventInfoOf(record, context);
  return { kind, payload: JSON.stringify({ id, kind, createdAt, data }) };
}

/** Whether `webhook` takes events of `kind`. */
export function subscribes(webhook: Pick<WebhookRegistration, 'events'>, kind: string): boolean {
  return webhook.events === undefined || webhook.events.length === 0 || webhook.events.includes(kind);
}

/** The most payload bytes one delivery item holds (DynamoDB's 400 KB less room for the delivery states and names). */
export const MAX_DELIVERY_ITEM_BYTES = 300 * 1024;

/**
 * The items a commit adds for its new `events` (docs/webhooks.md): for each
 * event and each webhook subscribed to its kind, a pending delivery due
 * now, gathered into as few `WEBHOOK_DELIVERY#` items as fit (usually one;
 * a new item starts before one would pass {@link MAX_DELIVERY_ITEM_BYTES}),
 * each with its `WEBHOOK_DUE#` marker. Two writes per item, whatever the
 * number of events and webhooks. None when no webhook takes any of them.
 */
export function deliveryWrites(
  events: readonly EventRecord[],
  webhooks: readonly WebhookRegistration[],
  nowMs: number,
  /** The `externalId` of each invoice this commit marks paid, by payment hash (hex): its `payment-received` carries it. */
  externalIds: ReadonlyMap<string, string> = new Map(),
): { sk: string; data: Uint8Array }[] {
  if (webhooks.length === 0 || events.length === 0) return [];
  const createdAt = new Date(nowMs).toISOString();
  const out: { sk: string; data: Uint8Array }[] = [];
  let payloads: Record<string, string> = {};
  let deliveries: Delivery[] = [];
  let first: bigint | undefined;
  let bytes = 0;
  const flush = () => {
    if (first === undefined || deliveries.length === 0) return;
    const batch: DeliveryBatch = { firstEventId: first.toString(), createdAtMs: nowMs, dueAtMs: nowMs, payloads, deliveries };
    out.push({ sk: SortKey.webhookDelivery(first), data: encodeDeliveryBatch(batch) });
    out.push({ sk: SortKey.webhookDue(nowMs, first), data: DUE_MARKER });
    payloads = {};
    deliveries = [];
    first = undefined;
    bytes = 0;
  };
  for (const record of events) {
    const e = record.event;
    const externalId = e.kind === 'payment-claimed' ? externalIds.get(toHex(e.paymentHash)) : undefined;
    // Subscriptions name the kinds the API shows (the core's `payment-claimed` is `payment-received`).
    const { kind, payload } = renderPayload(record, createdAt, externalId === undefined ? {} : { externalId });
    const takers = webhooks.filter((w) => subscribes(w, kind));
    if (takers.length === 0) continue;
    const size = payload.length + takers.length * 200;
    if (first !== undefined && bytes + size > MAX_DELIVERY_ITEM_BYTES) flush();
    first ??= record.id;
    payloads[record.id.toString()] = payload;
    for (const w of takers) deliveries.push({ webhookId: w.id, eventId: record.id.toString(), status: DeliveryStatus.pending, attempts: 0, nextAttemptAtMs: nowMs });
    bytes += size;
  }
  flush();
  return out;
}

/** The bytes of a `WEBHOOK_DUE#` marker (its key says everything). */
export const DUE_MARKER = Uint8Array.of(RECORD_VERSION);
