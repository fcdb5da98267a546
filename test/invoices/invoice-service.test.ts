/**
 * Invoices over HTTP against DynamoDB Local, through the real handler and
 * the store-backed API (what `npm start` and AWS run): the bolt11 decoded
 * independently by the npm `bolt11` package; 200 concurrent creates all 201
 * without the node's lease ever being taken; Idempotency-Key replays (also
 * concurrent ones) answer the first invoice and store one; expiry computed
 * at read time; pages with a cursor; cancel (409 for a paid invoice); the
 * a mainnet invoice on bitcoin; `payment-claimed` shown as `payment-received`.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import bolt11 from 'bolt11';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { eventInfoOf, storeNodeApi } from '../../functions/http/store-node-api.js';
import { decodeInvoiceRecord, encodeInvoiceRecord, paidInvoice } from '../../functions/invoices/invoice-record.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { fromHex, sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable } from '../../shared/store/index.js';
import { API_KEY_SHA256, AUTH, apiEvent, jsonOf } from '../http/support/events.js';
import { quiet } from '../support/wallet-node.js';

let client: DynamoDBClient;

beforeAll(() => {
  client = localDynamoClient(inject('dynamoEndpoint'));
});
afterAll(() => client.destroy());

interface Node {
  readonly ctx: NodeContext;
  readonly handler: HttpHandler;
  /** The node's clock (unix seconds), movable. */
  now: number;
}

async function node(network: 'regtest' | 'bitcoin' = 'regtest'): Promise<Node> {
  const tableName = `invoices-${randomUUID()}`;
  await ensureNodeTable(client, tableName);
  const seed = Uint8Array.from(randomUUID().replace(/-/g, '').repeat(2).slice(0, 64).match(/../g)!.map((h) => parseInt(h, 16)));
  const base = createNodeContext({ seed, network, store: new NodeStore({ client, tableName }), outbound: {} as FifoQueue, logger: quiet });
  const n = { now: 1_800_000_000 } as Node;
  const ctx: NodeContext = { ...base, managerPorts: { ...base.managerPorts, clock: { nowSecs: () => n.now } } };
  return Object.assign(n, { ctx, handler: createHttpHandler({ api: storeNodeApi(ctx), apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) }) });
}

type Json = Record<string, unknown>;

async function call(n: Node, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}) {
  const result = await n.handler({
    ...apiEvent({ method, path, headers: { ...AUTH, ...options.headers }, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) }),
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
  });
  return { status: result.statusCode, body: jsonOf(result) as Json };
}

const iso = (secs: number) => new Date(secs * 1000).toISOString().replace('.000Z', 'Z');

describe('POST /v1/invoices through the store', () => {
  it('makes an invoice the npm bolt11 package decodes to the same amount, hash, expiry, description and payee', async () => {
    const n = await node();
    const { status, body } = await call(n, 'POST', '/v1/invoices', { body: { amountMsat: 123_456, description: 'two coffees', expirySecs: 900, externalId: 'order-17' } });
    expect(status).toBe(201);
    expect(body).toMatchObject({ amountMsat: 123_456, description: 'two coffees', externalId: 'order-17', state: 'open', createdAt: iso(n.now), expiresAt: iso(n.now + 900), paidAt: null, receivedMsat: null });
    const decoded = bolt11.decode(body['bolt11'] as string, { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] });
    expect(decoded.millisatoshis).toBe('123456');
    expect(decoded.payeeNodeKey).toBe(n.ctx.nodeKey);
    expect(decoded.timestamp).toBe(n.now);
    expect(decoded.timeExpireDate).toBe(n.now + 900);
    expect(decoded.tagsObject.payment_hash).toBe(body['paymentHash']);
    expect(decoded.tagsObject.description).toBe('two coffees');
    expect(decoded.tagsObject.payment_secret).toMatch(/^[0-9a-f]{64}$/);
    // Our own decoder agrees, and the invoice is stored open under its hash.
    expect(decodeInvoice(wasmSecp256k1, body['bolt11'] as string).ok).toBe(true);
    expect(await call(n, 'GET', `/v1/invoices/${body['paymentHash'] as string}`)).toEqual({ status: 200, body });
  });

  it('an invoice of any amount, and one with a description hash (BOLT 11 h)', async () => {
    const n = await node();
    const any = await call(n, 'POST', '/v1/invoices', { body: { description: 'tip jar' } });
    expect(any.body['amountMsat']).toBeNull();
    expect(bolt11.decode(any.body['bolt11'] as string, { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0] }).millisatoshis).toBeNull();
    const longDescription = 'a long description '.repeat(50);
    const hashed = toHex(sha256(new TextEncoder().encode(longDescription)));
    const withHash = await call(n, 'POST', '/v1/invoices', { body: { amountMsat: 1000, descriptionHash: hashed } });
    expect(withHash.body).toMatchObject({ description: null, descriptionHash: hashed });
    const decoded = bolt11.decode(withHash.body['bolt11'] as string, { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0] });
    expect(decoded.tagsObject.purpose_commit_hash).toBe(hashed);
    expect(decoded.tagsObject.description).toBeUndefined();
  });

  it('200 concurrent creates all answer 201 with distinct invoices, and the node lease is never taken', async () => {
    const n = await node();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => call(n, 'POST', '/v1/invoices', { body: { amountMsat: 1000 + i, externalId: `order-${i}` } })));
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(201));
    expect(new Set(answers.map((a) => a.body['paymentHash'])).size).toBe(200);
    expect(await n.ctx.store.readLease(n.ctx.nodeKey)).toBeUndefined();
    // All of them, paged 50 at a time in payment-hash order.
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { body } = await call(n, 'GET', '/v1/invoices', { query: after === undefined ? {} : { after } });
      const hashes = (body['invoices'] as Json[]).map((i) => i['paymentHash'] as string);
      expect(hashes.length).toBeLessThanOrEqual(50);
      seen.push(...hashes);
      if (body['nextAfter'] === undefined) break;
      after = body['nextAfter'] as string;
    }
    expect(seen).toEqual(answers.map((a) => a.body['paymentHash'] as string).sort());
  });

  it('an Idempotency-Key replays the first invoice (also under concurrency) and stores one; another body under it is 409', async () => {
    const n = await node();
    const body = { amountMsat: 5000, description: 'once', externalId: 'order-9' };
    const headers = { 'idempotency-key': 'order-9-create' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(n, 'POST', '/v1/invoices', { body, headers })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(await n.ctx.store.query(n.ctx.nodeKey, SortKey.invoicePrefix)).toHaveLength(1);
    n.now += 30;
    const again = await call(n, 'POST', '/v1/invoices', { body: { externalId: 'order-9', description: 'once', amountMsat: 5000 }, headers });
    expect(again).toEqual(answers[0]);
    const reused = await call(n, 'POST', '/v1/invoices', { body: { ...body, amountMsat: 6000 }, headers });
    expect(reused).toMatchObject({ status: 409, body: { code: 'idempotency-key-reused' } });
    expect(await n.ctx.store.query(n.ctx.nodeKey, SortKey.invoicePrefix)).toHaveLength(1);
  });

  it('on bitcoin mainnet (on-chain enforcement in place: docs/force-close.md) a mainnet invoice is made and stored', async () => {
    const n = await node('bitcoin');
    const made = await call(n, 'POST', '/v1/invoices', { body: { amountMsat: 1000 } });
    expect(made).toMatchObject({ status: 201, body: { amountMsat: 1000, state: 'open' } });
    expect((made.body as { bolt11: string }).bolt11.startsWith('lnbc10n1')).toBe(true);
    expect(await n.ctx.store.query(n.ctx.nodeKey, SortKey.invoicePrefix)).toHaveLength(1);
  });
});

describe('invoice state, lists and cancel through the store', () => {
  it('open turns expired at read time; lists filter by state; cancel is idempotent; a paid invoice cannot be canceled', async () => {
    const n = await node();
    const short = (await call(n, 'POST', '/v1/invoices', { body: { expirySecs: 60, externalId: 'short' } })).body['paymentHash'] as string;
    const toCancel = (await call(n, 'POST', '/v1/invoices', { body: { externalId: 'cancel-me' } })).body['paymentHash'] as string;
    const toPay = (await call(n, 'POST', '/v1/invoices', { body: { amountMsat: 7000, externalId: 'pay-me' } })).body['paymentHash'] as string;
    n.now += 60;
    expect((await call(n, 'GET', `/v1/invoices/${short}`)).body['state']).toBe('open');
    n.now += 1;
    expect((await call(n, 'GET', `/v1/invoices/${short}`)).body['state']).toBe('expired');

    const canceled = await call(n, 'POST', `/v1/invoices/${toCancel}/cancel`);
    expect(canceled).toMatchObject({ status: 200, body: { state: 'canceled', canceledAt: iso(n.now) } });
    expect(await call(n, 'POST', `/v1/invoices/${toCancel.toUpperCase()}/cancel`)).toEqual(canceled);

    // The claim's commit marks it paid (as claim-step.ts does, conditionally on open).
    const sk = SortKey.invoice(toPay);
    const stored = decodeInvoiceRecord((await n.ctx.store.get(n.ctx.nodeKey, sk))!);
    if (!stored.ok) throw new Error('invoice item does not decode');
    await n.ctx.store.putIf(n.ctx.nodeKey, { sk, data: encodeInvoiceRecord(paidInvoice(stored.value, 7000n, n.now)), state: 'paid', condition: { kind: 'state', state: 'open' } });
    expect(await call(n, 'POST', `/v1/invoices/${toPay}/cancel`)).toMatchObject({ status: 409, body: { code: 'invoice-paid' } });
    expect((await call(n, 'GET', `/v1/invoices/${toPay}`)).body).toMatchObject({ state: 'paid', receivedMsat: 7000, paidAt: iso(n.now) });

    const byState = async (state: string) => ((await call(n, 'GET', '/v1/invoices', { query: { state } })).body['invoices'] as Json[]).map((i) => i['externalId']);
    expect(await byState('expired')).toEqual(['short']);
    expect(await byState('canceled')).toEqual(['cancel-me']);
    expect(await byState('paid')).toEqual(['pay-me']);
    expect(await byState('open')).toEqual([]);
    const one = await call(n, 'GET', '/v1/invoices', { query: { limit: '1' } });
    expect((one.body['invoices'] as Json[]).length).toBe(1);
    expect(one.body['nextAfter']).toBe((one.body['invoices'] as Json[])[0]!['paymentHash']);
  });

  it('an unknown hash is 404 for GET and cancel, and cancel stores nothing', async () => {
    const n = await node();
    const unknown = 'ab'.repeat(32);
    expect(await call(n, 'GET', `/v1/invoices/${unknown}`)).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await call(n, 'POST', `/v1/invoices/${unknown}/cancel`)).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await n.ctx.store.query(n.ctx.nodeKey, SortKey.invoicePrefix)).toEqual([]);
  });
});

describe('payment-received', () => {
  it('the core payment-claimed shows as payment-received with the externalId given (null without one)', () => {
    const event = { id: 12n, event: { kind: 'payment-claimed', paymentHash: fromHex('cd'.repeat(32)), amountMsat: 5000n, purpose: 'invoice' } } as const;
    expect(eventInfoOf(event, { externalId: 'order-9' })).toEqual({ id: '12', kind: 'payment-received', paymentHash: 'cd'.repeat(32), amountMsat: '5000', externalId: 'order-9', purpose: 'invoice' });
    expect(eventInfoOf(event)).toMatchObject({ kind: 'payment-received', externalId: null });
  });
});
