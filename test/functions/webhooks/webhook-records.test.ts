/** The delivery items a commit writes for its events (docs/webhooks.md): subscriptions, payload shape, size bound, ids. */
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../shared/manager/index.js';
import { SortKey } from '../../../shared/store/index.js';
import {
  MAX_DELIVERY_ITEM_BYTES,
  decodeDeliveryBatch,
  decodeWebhooks,
  deliveryIdOf,
  deliveryWrites,
  encodeWebhooks,
  parseDeliveryId,
  renderPayload,
  type WebhookRegistration,
} from '../../../functions/webhooks/webhook-records.js';

const PEER = Uint8Array.from([0x03, ...new Array<number>(32).fill(0x44)]);
const event = (id: bigint, message = 'm'): EventRecord => ({ id, event: { kind: 'unsupported-message', counterpartyNodeId: PEER, messageType: 1001, message } });
const hook = (id: string, events?: string[]): WebhookRegistration => ({ id, url: 'https://x/', ...(events ? { events } : {}), secret: 'ab'.repeat(32), createdAt: '2026-01-01T00:00:00.000Z' });
const NOW = Date.parse('2026-12-06T18:00:00.000Z');

describe('delivery writes of a commit', () => {
  it('one item and one due marker for all of a commit\'s events and subscribed webhooks', () => {
    const writes = deliveryWrites([event(7n), event(8n)], [hook('wh_0000000000000001'), hook('wh_0000000000000002', ['unsupported-message']), hook('wh_0000000000000003', ['payment-received'])], NOW);
    expect(writes.map((w) => w.sk)).toEqual([SortKey.webhookDelivery(7n), SortKey.webhookDue(NOW, 7n)]);
    const batch = decodeDeliveryBatch(writes[0]!.data);
    expect(batch).toMatchObject({ firstEventId: '7', createdAtMs: NOW, dueAtMs: NOW });
    expect(batch.deliveries.map((d) => `${d.eventId}/${d.webhookId}/${d.status}/${d.attempts}/${d.nextAttemptAtMs}`)).toEqual([
      `7/wh_0000000000000001/pending/0/${NOW}`,
      `7/wh_0000000000000002/pending/0/${NOW}`,
      `8/wh_0000000000000001/pending/0/${NOW}`,
      `8/wh_0000000000000002/pending/0/${NOW}`,
    ]);
    expect(JSON.parse(batch.payloads['7']!)).toEqual({
      id: '7',
      kind: 'unsupported-message',
      createdAt: '2026-12-06T18:00:00.000Z',
      data: { counterpartyNodeId: '03' + '44'.repeat(32), messageType: 1001, message: 'm' },
    });
  });

  it('nothing without webhooks, events or a subscriber', () => {
    expect(deliveryWrites([event(1n)], [], NOW)).toEqual([]);
    expect(deliveryWrites([], [hook('wh_0000000000000001')], NOW)).toEqual([]);
    expect(deliveryWrites([event(1n)], [hook('wh_0000000000000001', ['channel-ready'])], NOW)).toEqual([]);
  });

  it('continues in another item (keyed by its own first event) before one would pass the size bound', () => {
    const big = 'x'.repeat(100 * 1024);
    const events = Array.from({ length: 7 }, (_, i) => event(BigInt(100 + i), big));
    const writes = deliveryWrites(events, [hook('wh_0000000000000001')], NOW);
    const items = writes.filter((w) => w.sk.startsWith(SortKey.webhookDeliveryPrefix));
    expect(items.length).toBeGreaterThan(1);
    expect(writes.filter((w) => w.sk.startsWith(SortKey.webhookDuePrefix))).toHaveLength(items.length);
    const batches = items.map((w) => decodeDeliveryBatch(w.data));
    expect(batches.flatMap((b) => b.deliveries.map((d) => d.eventId))).toEqual(events.map((e) => e.id.toString()));
    for (const [i, w] of items.entries()) {
      expect(w.data.length).toBeLessThanOrEqual(MAX_DELIVERY_ITEM_BYTES + 1024);
      expect(w.sk).toBe(SortKey.webhookDelivery(BigInt(batches[i]!.firstEventId)));
    }
  });

  it('delivery ids round-trip and refuse anything else', () => {
    const id = deliveryIdOf({ firstEventId: '7' }, { eventId: '8', webhookId: 'wh_00000000000000ff' });
    expect(id).toBe('7-8-wh_00000000000000ff');
    expect(parseDeliveryId(id)).toEqual({ firstEventId: 7n, eventId: '8', webhookId: 'wh_00000000000000ff' });
    for (const bad of ['', '7-8', '7-8-wh_xyz', 'a-8-wh_00000000000000ff', '7-8-wh_00000000000000ff-9']) expect(parseDeliveryId(bad)).toBeUndefined();
  });

  it('registrations round-trip; an item of a newer version fails loudly', () => {
    const hooks = [hook('wh_0000000000000001', ['a'])];
    expect(decodeWebhooks(encodeWebhooks(hooks))).toEqual(hooks);
    expect(decodeWebhooks(undefined)).toEqual([]);
    const newer = encodeWebhooks(hooks);
    newer[0] = 2;
    expect(() => decodeWebhooks(newer)).toThrow(/version 2/);
    expect(renderPayload(event(3n), 'T').payload).toBe(JSON.stringify({ id: '3', kind: 'unsupported-message', createdAt: 'T', data: { counterpartyNodeId: '03' + '44'.repeat(32), messageType: 1001, message: 'm' } }));
  });
});
