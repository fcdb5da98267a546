/**
 * The webhook routes of the HTTP handler over a fake node: bodies validated
 * before the node is asked, documented statuses and schemas (checked against
 * the OpenAPI document), the secret only in the creation's answer.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { openApi } from '../../functions/http/routes.js';
import { API_KEY_SHA256, AUTH, apiEvent } from './support/events.js';
import { documentedCall } from './support/documented-call.js';
import { FakeNodeApi } from './support/fake-node-api.js';

let api: FakeNodeApi;
let handler: HttpHandler;

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

const call = (method: string, path: string, body?: unknown, template?: string) => documentedCall(handler, method, path, body, template);

describe('webhook routes', () => {
  it('POST /v1/webhooks registers and answers 201 with the secret; GET lists without it; DELETE removes it', async () => {
    const created = await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['payment-received', 'payment-sent'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://hooks.example.com/x', events: ['payment-received', 'payment-sent'], secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const id = (created.body as { id: string }).id;
    const list = await call('GET', '/v1/webhooks');
    expect(list).toEqual({ status: 200, body: { webhooks: [{ id, url: 'https://hooks.example.com/x', events: ['payment-received', 'payment-sent'], createdAt: '2026-01-01T00:00:00.000Z' }] } });
    expect(await call('DELETE', `/v1/webhooks/${id}`, undefined, '/v1/webhooks/{id}')).toEqual({ status: 200, body: { id, deleted: true } });
    expect(await call('DELETE', `/v1/webhooks/${id}`, undefined, '/v1/webhooks/{id}')).toMatchObject({ status: 404, body: { code: 'not-found' } });
  });

  it('passes an Idempotency-Key on with the request\'s fingerprint; a malformed key is 400', async () => {
    const send = (headers: Record<string, string>, body: unknown) => handler(apiEvent({ method: 'POST', path: '/v1/webhooks', headers: { ...AUTH, ...headers }, body: JSON.stringify(body) }));
    expect((await send({ 'idempotency-key': 'order-1' }, { url: 'https://hooks.example.com/x' })).statusCode).toBe(201);
    expect((await send({ 'idempotency-key': 'order-1' }, { url: 'https://hooks.example.com/y' })).statusCode).toBe(201);
    expect((await send({}, { url: 'https://hooks.example.com/z' })).statusCode).toBe(201);
    const [a, b, none] = api.webhookIdempotency;
    expect(a?.key).toBe('order-1');
    expect(a?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(b?.fingerprint).not.toBe(a?.fingerprint);
    expect(none).toBeUndefined();
    expect((await send({ 'idempotency-key': 'bad key with spaces' }, { url: 'https://hooks.example.com/x' })).statusCode).toBe(400);
    expect(api.webhookIdempotency).toHaveLength(3);
  });

  it('refuses bad bodies with 400 naming the field, without asking the node', async () => {
    for (const body of [
      {},
      { url: 42 },
      { url: '' },
      { url: 'ftp://x' },
      { url: `https://x/${'a'.repeat(2048)}` },
      { url: 'https://x', events: [] },
      { url: 'https://x', events: ['Payment Received'] },
      { url: 'https://x', events: 'payment-received' },
      { url: 'https://x', events: Array.from({ length: 33 }, (_, i) => `k${i}`) },
      { url: 'https://x', secret: 'mine' },
    ]) {
      const { status, body: error } = await call('POST', '/v1/webhooks', body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(error).toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/url|events|secret/) });
    }
    expect(api.webhooks).toEqual([]);
  });

  it('passes the node\'s refusals on: a refused URL is 400, the 11th webhook 409', async () => {
    expect(await call('POST', '/v1/webhooks', { url: 'http://hooks.example.com/x' })).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    for (let i = 0; i < 10; i++) expect((await call('POST', '/v1/webhooks', { url: `https://hooks.example.com/${i}` })).status).toBe(201);
    expect(await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/11' })).toMatchObject({ status: 409, body: { code: 'too-many-webhooks' } });
  });

  it('lists deliveries and schedules a redelivery; unknown or malformed ids are 404', async () => {
    const created = await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/x' });
    const id = (created.body as { id: string }).id;
    const delivery = {
      id: `7-8-${id}`,
      eventId: '8',
      kind: 'payment-received',
      status: 'failed' as const,
      attempts: 31,
      createdAt: '2026-01-01T00:00:00.000Z',
      nextAttemptAt: null,
      lastAttemptAt: '2026-01-02T00:00:00.000Z',
      lastStatus: 500,
      lastError: null,
    };
    api.deliveries.set(id, [delivery]);
    expect(await call('GET', `/v1/webhooks/${id}/deliveries`, undefined, '/v1/webhooks/{id}/deliveries')).toEqual({ status: 200, body: { deliveries: [delivery] } });
    const template = '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver';
    expect(await call('POST', `/v1/webhooks/${id}/deliveries/${delivery.id}/redeliver`, undefined, template)).toMatchObject({ status: 202, body: { id: delivery.id, status: 'pending' } });
    expect(api.redelivered).toEqual([delivery.id]);
    expect(await call('POST', `/v1/webhooks/${id}/deliveries/7-9-${id}/redeliver`, undefined, template)).toMatchObject({ status: 404 });
    expect(await call('GET', '/v1/webhooks/wh_ffffffffffffffff/deliveries', undefined, '/v1/webhooks/{id}/deliveries')).toMatchObject({ status: 404 });
    for (const path of ['/v1/webhooks/nope', '/v1/webhooks/wh_XYZ/deliveries', `/v1/webhooks/${id}/deliveries/x/redeliver`]) {
      const res = await handler(apiEvent({ method: path.endsWith('redeliver') ? 'POST' : 'GET', path, headers: AUTH }));
      expect(res.statusCode, path).toBe(404);
    }
    expect(await call('POST', `/v1/webhooks/${id}/deliveries/${delivery.id}/redeliver`, { extra: 1 }, template)).toMatchObject({ status: 400 });
  });

  it('documents every webhook route with JSON Schemas generated from the validating schemas', () => {
    const doc = openApi();
    expect(doc.paths['/v1/webhooks']?.post?.responses['201']).toBeDefined();
    expect(doc.paths['/v1/webhooks']?.post?.responses['409']).toEqual({ $ref: '#/components/responses/TooManyWebhooks' });
    expect(doc.paths['/v1/webhooks/{id}']?.delete?.responses['404']).toBeDefined();
    expect(doc.components.schemas['CreateWebhookRequest']).toMatchObject({ type: 'object', required: ['url'], properties: { url: { maxLength: 2048 }, events: { maxItems: 32 } } });
    expect(doc.components.schemas['CreatedWebhook']?.required).toContain('secret');
    expect(doc.components.schemas['Webhook']?.properties).not.toHaveProperty('secret');
  });
});
