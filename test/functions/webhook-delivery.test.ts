/**
 * Webhooks over DynamoDB Local (docs/webhooks.md): deliveries are written in
 * the commit that creates their events (and survive the events'
 * acknowledgement), then delivered outside the lease to receivers this test
 * runs on 127.0.0.1: signed, retried with growing gaps, the same event id on
 * every attempt; the clock is injected instead of waiting for hours.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { acknowledgeEvents, pendingEvents } from '../../functions/events/event-service.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../../functions/runtime/manager-step.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { StepReads } from '../../functions/runtime/step-reads.js';
import { RETRY_WINDOW_MS } from '../../functions/webhooks/webhook-backoff.js';
import { deliverBatch, deliverDueWebhooks, type DeliveryOptions } from '../../functions/webhooks/webhook-delivery.js';
import { postWebhook } from '../../functions/webhooks/webhook-post.js';
import { decodeDeliveryBatch } from '../../functions/webhooks/webhook-records.js';
import { createWebhook, deleteWebhook, listDeliveries, redeliver } from '../../functions/webhooks/webhook-service.js';
import { verifySignature } from '../../functions/webhooks/webhook-signature.js';
import { createWebhookHandler } from '../../functions/webhooks/handler.js';
import { decodeDispatch, encodeDispatch } from '../../functions/webhooks/queue-dispatch.js';
import type { SQSRecord } from 'aws-lambda';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { HttpError } from '../../functions/http/errors.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable } from '../../shared/store/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];
const PEER = Uint8Array.from([0x02, ...new Array<number>(32).fill(0x33)]);

let dynamo: DynamoDBClient;
const tableName = `webhooks-${randomUUID()}`;
/** The commands each TransactWriteItems carried: the sort keys it wrote. */
const transactions: string[][] = [];

beforeAll(async () => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand') {
        const items = (args.input as { TransactItems: { Put?: { Item: { sk: { S: string } } } }[] }).TransactItems;
        transactions.push(items.flatMap((i) => (i.Put ? [i.Put.Item.sk.S] : [])));
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordTransactions' },
  );
  await ensureNodeTable(dynamo, tableName);
});
afterAll(() => dynamo.destroy());

let ctx: NodeContext;
beforeEach(() => {
  const seed = Uint8Array.from(randomUUID().replace(/-/g, '').repeat(2).slice(0, 64).match(/../g)!.map((h) => parseInt(h, 16)));
  ctx = createNodeContext({
    seed,
    network: 'regtest',
    store: new NodeStore({ client: dynamo, tableName }),
    // Never used: these steps send no message.
    outbound: new FifoQueue(new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }), 'http://127.0.0.1:9/none'),
    logger: quiet,
    webhooks: { allowLoopback: true },
  });
});

/** One receipt of a receiver: what a webhook consumer sees. */
interface Receipt {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver on 127.0.0.1 answering each request with the next status of `statuses` (the last one repeated; `hang`: never answers). */
async function receiver(statuses: readonly (number | 'hang')[]): Promise<{ url: string; receipts: Receipt[]; close(): Promise<void> }> {
  const receipts: Receipt[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      receipts.push({ headers: req.headers, body });
      const status = statuses[Math.min(receipts.length - 1, statuses.length - 1)]!;
      if (status !== 'hang') res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/stormcell`,
    receipts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Commits one manager input that emits one `unsupported-message` event per type (the cheapest event), through the step every handler runs. */
async function emitEvents(...messageTypes: number[]): Promise<string> {
  return applyInput(ctx, `test-${randomUUID()}`, async (store) => {
    const reads = new StepReads(ctx, store);
    const manager = await loadManager(ctx, store, { kind: 'unsupported-message' }, new Map(), reads);
    for (const type of messageTypes) manager.reportUnsupportedMessage(PEER, type, `type ${type}`);
    return takeChangesFunded(ctx, store, manager, reads);
  });
}

async function deliveryItems(): Promise<ReturnType<typeof decodeDeliveryBatch>[]> {
  return (await ctx.store.query(ctx.nodeKey, SortKey.webhookDeliveryPrefix)).map(({ data }) => decodeDeliveryBatch(data));
}

/** Delivery options over an injected clock, a fixed jitter draw and a short timeout. */
function clocked(start: number): DeliveryOptions & { at: number } {
  const options = {
    at: start,
    now: () => options.at,
    random: () => 0.5,
    post: (url: string, body: string, headers: Readonly<Record<string, string>>) => postWebhook(url, body, headers, { allowLoopback: true, timeoutMs: 300 }),
  };
  return options;
}

function signatureOk(receipt: Receipt, secret: string): boolean {
  const t = Number(/t=(\d+)/.exec(String(receipt.headers['stormcell-signature']))?.[1]);
  return verifySignature(String(receipt.headers['stormcell-signature']), receipt.body, secret, t).ok;
}

describe('delivery items in the commit', () => {
  it('are written in the transaction that writes the events, and outlive the events\' acknowledgement', async () => {
    const hook = await receiver([200]);
    try {
      const all = await createWebhook(ctx, { url: hook.url });
      const some = await createWebhook(ctx, { url: hook.url, events: ['channel-ready'] });
      transactions.length = 0;
      await emitEvents(1001, 1003);
      // One commit: the event item, one delivery item and its due marker, in one TransactWriteItems.
      const commit = transactions.find((keys) => keys.some((k) => k.startsWith('EVENT#')))!;
      expect(commit.filter((k) => k.startsWith(SortKey.webhookDeliveryPrefix))).toHaveLength(1);
      expect(commit.filter((k) => k.startsWith(SortKey.webhookDuePrefix))).toHaveLength(1);
      const [batch] = await deliveryItems();
      // Two events for the webhook taking every kind; none for the one taking only channel-ready.
      expect(batch!.deliveries.map((d) => [d.webhookId, d.status])).toEqual([
        [all.id, 'pending'],
        [all.id, 'pending'],
      ]);
      expect(batch!.deliveries.some((d) => d.webhookId === some.id)).toBe(false);
      const events = await pendingEvents(ctx);
      expect(events.map((e) => e.id.toString())).toEqual(batch!.deliveries.map((d) => d.eventId));

      // The pull consumer acknowledges every event: the deliveries stay, and are made.
      expect(await acknowledgeEvents(ctx, events[events.length - 1]!.id)).toBe(2);
      expect(await pendingEvents(ctx)).toEqual([]);
      expect(await ctx.store.query(ctx.nodeKey, SortKey.eventPrefix)).toEqual([]);
      expect(await deliverDueWebhooks(ctx)).toBe(1);
      expect(hook.receipts).toHaveLength(2);
      const bodies = hook.receipts.map((r) => JSON.parse(r.body) as { id: string; kind: string; createdAt: string; data: Record<string, unknown> });
      expect(bodies.map((b) => b.id)).toEqual(events.map((e) => e.id.toString()));
      expect(bodies[0]).toMatchObject({ kind: 'unsupported-message', data: { messageType: 1001, counterpartyNodeId: '02' + '33'.repeat(32) } });
      expect(Object.keys(bodies[0]!)).toEqual(['id', 'kind', 'createdAt', 'data']);
      expect(hook.receipts.every((r) => signatureOk(r, all.secret))).toBe(true);
      expect((await deliveryItems())[0]!.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
      // Nothing is due any more: the next tick finds nothing.
      expect(await deliverDueWebhooks(ctx)).toBe(0);
    } finally {
      await hook.close();
    }
  });

  it('are not written without webhooks, nor for steps without events', async () => {
    transactions.length = 0;
    await emitEvents(1005);
    expect(transactions.flat().filter((k) => k.startsWith('WEBHOOK'))).toEqual([]);
    await createWebhook(ctx, { url: 'http://127.0.0.1:9/x' });
    expect(await emitEvents(1005)).toBe('no-change'); // reported once already: no event, no write
    expect(await deliveryItems()).toEqual([]);
  });
});

describe('delivery attempts', () => {
  it('a receiver answering 500 twice then 200 gets the event three times, the same id, each signed', async () => {
    const hook = await receiver([500, 500, 200]);
    try {
      const created = await createWebhook(ctx, { url: hook.url });
      await emitEvents(2001);
      const [batch] = await deliveryItems();
      const clock = clocked(batch!.createdAtMs);
      const first = BigInt(batch!.firstEventId);
      expect(await deliverBatch(ctx, first, clock)).toBe(1);
      // Not due again before its backoff: nothing sent.
      clock.at += 1000;
      expect(await deliverBatch(ctx, first, clock)).toBe(0);
      for (let i = 0; i < 2; i++) {
        const [pending] = await listDeliveries(ctx, created.id);
        clock.at = Date.parse(pending!.nextAttemptAt!);
        expect(await deliverDueWebhooks(ctx, clock)).toBe(1);
      }
      expect(hook.receipts).toHaveLength(3);
      const ids = hook.receipts.map((r) => (JSON.parse(r.body) as { id: string }).id);
      expect(new Set(ids)).toEqual(new Set([batch!.deliveries[0]!.eventId]));
      expect(new Set(hook.receipts.map((r) => r.body)).size).toBe(1);
      for (const receipt of hook.receipts) {
        expect(receipt.headers['content-type']).toBe('application/json');
        expect(receipt.headers['stormcell-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        expect(signatureOk(receipt, created.secret)).toBe(true);
        expect(signatureOk(receipt, 'another secret')).toBe(false);
      }
      expect(await listDeliveries(ctx, created.id)).toEqual([
        expect.objectContaining({ eventId: ids[0], kind: 'unsupported-message', status: 'delivered', attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null }),
      ]);
    } finally {
      await hook.close();
    }
  });

  it('a receiver that never answers gets retries with growing gaps until 24 hours have passed; the delivery list shows them; redelivery tries once more', async () => {
    const hook = await receiver(['hang']);
    try {
      const created = await createWebhook(ctx, { url: hook.url });
      await emitEvents(3001);
      const [batch] = await deliveryItems();
      const clock = clocked(batch!.createdAtMs);
      const attemptTimes: number[] = [];
      for (let i = 0; i < 4; i++) {
        attemptTimes.push(clock.at);
        expect(await deliverDueWebhooks(ctx, clock)).toBe(1);
        const [d] = await listDeliveries(ctx, created.id);
        expect(d).toMatchObject({ status: 'pending', attempts: i + 1, lastStatus: null });
        expect(d!.lastError).toMatch(/timed out/);
        clock.at = Date.parse(d!.nextAttemptAt!);
      }
      const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]!);
      expect(gaps[0]).toBeGreaterThan(0);
      expect(gaps[1]).toBeGreaterThan(gaps[0]!);
      expect(gaps[2]).toBeGreaterThan(gaps[1]!);
      expect(hook.receipts).toHaveLength(4);
      // The same event, every time.
      expect(new Set(hook.receipts.map((r) => (JSON.parse(r.body) as { id: string }).id)).size).toBe(1);

      // A day later, one last attempt: the next would fall outside the window, so the delivery has failed.
      clock.at = batch!.createdAtMs + RETRY_WINDOW_MS - 1000;
      expect(await deliverDueWebhooks(ctx, clock)).toBe(1);
      const [failed] = await listDeliveries(ctx, created.id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 5, nextAttemptAt: null });
      clock.at += 3 * RETRY_WINDOW_MS;
      expect(await deliverDueWebhooks(ctx, clock)).toBe(0);
      expect(await ctx.store.query(ctx.nodeKey, SortKey.webhookDuePrefix)).toEqual([]);

      // Asked for again (over the API): one more attempt now.
      const api = storeNodeApi(ctx);
      const scheduled = await api.redeliverWebhook(created.id, failed!.id);
      expect(scheduled).toMatchObject({ id: failed!.id, status: 'pending', attempts: 5 });
      expect(await deliverBatch(ctx, BigInt(batch!.firstEventId), clock)).toBe(1);
      // Past the window, that one attempt is all: failed again.
      expect((await api.listWebhookDeliveries(created.id))[0]).toMatchObject({ status: 'failed', attempts: 6 });
      expect(hook.receipts).toHaveLength(6);
      await expect(api.redeliverWebhook(created.id, `${batch!.firstEventId}-999-${created.id}`)).rejects.toMatchObject({ code: 'not-found' });
      await expect(api.listWebhookDeliveries('wh_0000000000000000')).rejects.toBeInstanceOf(HttpError);
    } finally {
      await hook.close();
    }
  });

  it('a commit of many events is one delivery item, sent in rounds of at most 32 requests at once', async () => {
    let inFlight = 0;
    let most = 0;
    const ids: string[] = [];
    const server = createServer((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () =>
        setTimeout(() => {
          ids.push((JSON.parse(body) as { id: string }).id);
          inFlight--;
          res.writeHead(200).end();
        }, 30),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await createWebhook(ctx, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
      transactions.length = 0;
      await emitEvents(...Array.from({ length: 40 }, (_, i) => 8001 + 2 * i));
      expect(transactions.flat().filter((k) => k.startsWith(SortKey.webhookDeliveryPrefix))).toHaveLength(1);
      const [batch] = await deliveryItems();
      expect(batch!.deliveries).toHaveLength(40);
      expect(await deliverBatch(ctx, BigInt(batch!.firstEventId))).toBe(40);
      expect(new Set(ids).size).toBe(40);
      expect(most).toBeLessThanOrEqual(32);
      expect((await deliveryItems())[0]!.deliveries.every((d) => d.status === 'delivered')).toBe(true);
      expect(await ctx.store.query(ctx.nodeKey, SortKey.webhookDuePrefix)).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('two runners never send the same attempt twice', async () => {
    const hook = await receiver([200]);
    try {
      await createWebhook(ctx, { url: hook.url });
      await emitEvents(4001);
      const [batch] = await deliveryItems();
      const sent = await Promise.all([1, 2, 3].map(() => deliverBatch(ctx, BigInt(batch!.firstEventId))));
      expect(sent.reduce((a, b) => a + b, 0)).toBe(1);
      expect(hook.receipts).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('drops the deliveries of a deleted webhook without sending them', async () => {
    const hook = await receiver([200]);
    try {
      const created = await createWebhook(ctx, { url: hook.url });
      await emitEvents(5001);
      await deleteWebhook(ctx, created.id);
      expect(await deliverDueWebhooks(ctx)).toBe(1);
      expect(hook.receipts).toEqual([]);
      expect((await deliveryItems())[0]!.deliveries[0]).toMatchObject({ status: 'failed', lastError: 'webhook deleted' });
    } finally {
      await hook.close();
    }
  });
});

describe('the delivery function and the timer', () => {
  it('the timer hands due items to the dispatcher; the delivery function delivers what a queue message names', async () => {
    const hook = await receiver([200]);
    try {
      await createWebhook(ctx, { url: hook.url });
      await emitEvents(7001);
      const dispatched: bigint[][] = [];
      const withQueue = { ...ctx, webhooks: { allowLoopback: true, dispatch: async (ids: readonly bigint[]) => void dispatched.push([...ids]) } };
      expect(await deliverDueWebhooks(withQueue)).toBe(1);
      expect(hook.receipts).toEqual([]);
      const [batch] = await deliveryItems();
      expect(dispatched).toEqual([[BigInt(batch!.firstEventId)]]);
      const handler = createWebhookHandler(withQueue);
      const message = (body: string) => ({ messageId: randomUUID(), body }) as SQSRecord;
      expect(await handler({ Records: [message(encodeDispatch(dispatched[0]!)), message('not a dispatch')] }, {} as never)).toEqual({ batchItemFailures: [] });
      expect(hook.receipts).toHaveLength(1);
      expect(decodeDispatch(encodeDispatch([1n, 18446744073709551615n]))).toEqual([1n, 18446744073709551615n]);
      for (const bad of ['', '{}', '{"firstEventIds":[1]}', '{"firstEventIds":["-1"]}', JSON.stringify({ firstEventIds: Array.from({ length: 26 }, () => '1') })]) expect(decodeDispatch(bad)).toBeUndefined();
    } finally {
      await hook.close();
    }
  });

  it('a commit hands its new deliveries to the dispatcher right after it', async () => {
    const dispatched: bigint[][] = [];
    ctx = { ...ctx, webhooks: { allowLoopback: true, dispatch: async (ids) => void dispatched.push([...ids]) } };
    await createWebhook(ctx, { url: 'http://127.0.0.1:9/x' });
    await emitEvents(7101, 7103);
    const [batch] = await deliveryItems();
    expect(dispatched).toEqual([[BigInt(batch!.firstEventId)]]);
  });
});

describe('registrations', () => {
  it('keep at most 10 webhooks, never show a secret again, refuse private URLs, and 404 unknown ids', async () => {
    const api = storeNodeApi(ctx);
    const created = await api.createWebhook({ url: 'http://127.0.0.1:9/a', events: ['payment-received'] });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await api.listWebhooks()).toEqual([{ id: created.id, url: 'http://127.0.0.1:9/a', events: ['payment-received'], createdAt: created.createdAt }]);
    expect(JSON.stringify(await api.listWebhooks())).not.toContain(created.secret);
    await Promise.all(Array.from({ length: 9 }, (_, i) => api.createWebhook({ url: `http://127.0.0.1:9/${i}` })));
    expect(await api.listWebhooks()).toHaveLength(10);
    await expect(api.createWebhook({ url: 'http://127.0.0.1:9/x' })).rejects.toMatchObject({ code: 'too-many-webhooks', status: 409 });
    for (const url of ['https://10.0.0.1/', 'https://169.254.169.254/', 'http://[::ffff:10.0.0.1]/', 'https://user:pw@127.0.0.1/']) {
      await expect(api.createWebhook({ url })).rejects.toMatchObject({ code: 'invalid-request', status: 400 });
    }
    await api.deleteWebhook(created.id);
    await expect(api.deleteWebhook(created.id)).rejects.toMatchObject({ code: 'not-found' });
    expect(await api.listWebhooks()).toHaveLength(9);
  });

  it('with an Idempotency-Key: the same request answers the same webhook and secret, registered once, even concurrently; another request with the key is refused', async () => {
    const api = storeNodeApi(ctx);
    const idempotency = { key: 'register-1', fingerprint: 'f'.repeat(64) };
    const answers = await Promise.all([1, 2, 3].map(() => api.createWebhook({ url: 'http://127.0.0.1:9/a' }, idempotency)));
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.secret)).size).toBe(1);
    expect(await api.createWebhook({ url: 'http://127.0.0.1:9/a' }, idempotency)).toEqual(answers[0]);
    expect(await api.listWebhooks()).toHaveLength(1);
    await expect(api.createWebhook({ url: 'http://127.0.0.1:9/b' }, { key: 'register-1', fingerprint: 'e'.repeat(64) })).rejects.toMatchObject({ code: 'idempotency-key-reused', status: 409 });
    expect(await api.listWebhooks()).toHaveLength(1);
  });

  it('refuse loopback where the deployment does not allow it', async () => {
    const strict = { ...ctx, webhooks: { allowLoopback: false } };
    await expect(createWebhook(strict, { url: 'https://127.0.0.1/x' })).rejects.toMatchObject({ code: 'invalid-url' });
    await expect(createWebhook(strict, { url: 'https://[::1]/x' })).rejects.toMatchObject({ code: 'invalid-url' });
  });
});

describe('redelivery of a delivered event', () => {
  it('sends it again with the same id', async () => {
    const hook = await receiver([200]);
    try {
      const created = await createWebhook(ctx, { url: hook.url });
      await emitEvents(6001);
      await deliverDueWebhooks(ctx);
      const [delivered] = await listDeliveries(ctx, created.id);
      expect(delivered).toMatchObject({ status: 'delivered', attempts: 1 });
      await redeliver(ctx, created.id, delivered!.id);
      await deliverDueWebhooks(ctx);
      expect(hook.receipts.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual([delivered!.eventId, delivered!.eventId]);
      expect((await listDeliveries(ctx, created.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await hook.close();
    }
  });
});
