/**
 * The invoice routes of the HTTP handler over a fake node: validation of
 * bodies, query strings, path parameters and the Idempotency-Key (a bad
 * request is a documented 400 and the node is never asked), defaults, and
 * every answer checked against the OpenAPI document, whose request schema
 * is generated from the valibot schema that validates.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import * as v from 'valibot';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { CreateInvoiceBody } from '../../functions/http/invoice-routes.js';
import { requestFingerprint } from '../../functions/http/idempotency.js';
import { openApi } from '../../functions/http/routes.js';
import { API_KEY_SHA256, AUTH, apiEvent,} from './support/events.js';
import { FakeNodeApi } from './support/fake-node-api.js';
import { documentedRawCall } from './support/documented-call.js';
import { validate } from './support/json-schema.js';

let api: FakeNodeApi;
let handler: HttpHandler;

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

/** Calls the handler; the status must be documented for `template` and the body must match its schema. */
async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string>; template?: string } = {}) {
  const raw = options.body === undefined ? undefined : { body: JSON.stringify(options.body) };
  const extra = { headers: options.headers ?? {}, ...(options.query === undefined ? {} : { query: options.query }) };
  const { status, body } = await documentedRawCall(handler, method, path, raw, options.template ?? path, extra);
  return { status, body: body as Record<string, unknown> };
}

describe('POST /v1/invoices', () => {
  it('answers 201 with the invoice; expiry defaults to 3600 s and the body is passed on as validated', async () => {
    const created = await call('POST', '/v1/invoices', { body: { amountMsat: 50_000, description: 'coffee', externalId: 'order-1' } });
    expect(created).toMatchObject({ status: 201, body: { state: 'open', amountMsat: 50_000, description: 'coffee', externalId: 'order-1' } });
    expect(api.createRequests).toEqual([{ request: { amountMsat: 50_000n, description: 'coffee', externalId: 'order-1', expirySecs: 3600 }, idempotency: undefined }]);
    await call('POST', '/v1/invoices', { body: { descriptionHash: 'AB'.repeat(32), expirySecs: 60 } });
    expect(api.createRequests[1]!.request).toEqual({ descriptionHash: 'ab'.repeat(32), expirySecs: 60 });
    await call('POST', '/v1/invoices', { body: {} });
    expect(api.createRequests[2]!.request).toEqual({ expirySecs: 3600 });
  });

  it('passes the Idempotency-Key with the request fingerprint; a malformed key is a 400', async () => {
    const body = { amountMsat: 1000, description: 'x' };
    await call('POST', '/v1/invoices', { body, headers: { 'idempotency-key': 'order-1-attempt' } });
    expect(api.createRequests[0]!.idempotency).toEqual({ key: 'order-1-attempt', fingerprint: requestFingerprint('POST', '/v1/invoices', body) });
    const bad = await call('POST', '/v1/invoices', { body, headers: { 'idempotency-key': 'has space' } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    expect(api.createRequests).toHaveLength(1);
  });

  it('refuses bad bodies with 400 naming the field, and the node is not asked', async () => {
    const bad: unknown[] = [
      { amountMsat: 0 },
      { amountMsat: -5 },
      { amountMsat: 1.5 },
      { amountMsat: '1000' },
      { amountMsat: 2 ** 53 },
      { expirySecs: 59 },
      { expirySecs: 31_536_001 },
      { expirySecs: 600.5 },
      { description: 'x'.repeat(640) },
      { description: 'é'.repeat(320) },
      { description: 5 },
      { descriptionHash: 'ab'.repeat(31) },
      { descriptionHash: 'zz'.repeat(32) },
      { description: 'both', descriptionHash: 'ab'.repeat(32) },
      { externalId: '' },
      { externalId: 'has space' },
      { externalId: 'x'.repeat(129) },
      { unknown: true },
      [],
      'text',
    ];
    for (const body of bad) {
      const answer = await call('POST', '/v1/invoices', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body['code']).toBe('invalid-request');
    }
    expect(api.createRequests).toEqual([]);
  });

  it('the published request schema accepts and refuses the same bodies as the validation', () => {
    const doc = openApi();
    const schema = doc.components.schemas['CreateInvoiceRequest']!;
    const body = fc.record(
      {
        amountMsat: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53), fc.string()),
        descriptionHash: fc.oneof(fc.constantFrom('ab'.repeat(32), 'AB'.repeat(32), 'ab'), fc.string()),
        expirySecs: fc.oneof(fc.integer({ min: 50, max: 70 }), fc.constantFrom(31_536_000, 31_536_001), fc.double()),
        externalId: fc.oneof(fc.constantFrom('order-1', '', 'a b', 'x'.repeat(128), 'x'.repeat(129)), fc.string()),
        extra: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (value) => {
        const json = JSON.parse(JSON.stringify(value)) as unknown;
        return v.safeParse(CreateInvoiceBody, json).success === (validate(doc, schema, json).length === 0);
      }),
    );
  });
});

describe('GET /v1/invoices and /v1/invoices/{paymentHash}', () => {
  it('lists with the default limit and passes state, limit and after on', async () => {
    await call('POST', '/v1/invoices', { body: {} });
    const hash = [...api.invoices.keys()][0]!;
    expect(await call('GET', '/v1/invoices')).toMatchObject({ status: 200, body: { invoices: [{ paymentHash: hash }] } });
    const spy: unknown[] = [];
    const list = api.listInvoices.bind(api);
    api.listInvoices = async (q) => (spy.push(q), list(q));
    await call('GET', '/v1/invoices', { query: { state: 'expired', limit: '200', after: 'AA'.repeat(32) } });
    await call('GET', '/v1/invoices');
    expect(spy).toEqual([{ state: 'expired', limit: 200, after: 'aa'.repeat(32) }, { limit: 50 }]);
  });

  it('refuses a bad query with 400 naming the parameter', async () => {
    for (const query of [{ limit: '0' }, { limit: '201' }, { limit: '-1' }, { limit: 'ten' }, { limit: '1.5' }, { state: 'pending' }, { after: 'xyz' }, { page: '2' }]) {
      const answer = await call('GET', '/v1/invoices', { query });
      expect(answer.status, JSON.stringify(query)).toBe(400);
      expect(String(answer.body['message'])).toMatch(/limit|state|after|page/);
    }
  });

  it('an unknown hash is 404 not-found; a malformed one matches no route', async () => {
    expect(await call('GET', `/v1/invoices/${'ab'.repeat(32)}`, { template: '/v1/invoices/{paymentHash}' })).toMatchObject({ status: 404, body: { code: 'not-found' } });
    const malformed = await handler(apiEvent({ method: 'GET', path: '/v1/invoices/xyz', headers: AUTH }));
    expect(malformed.statusCode).toBe(404);
  });
});

describe('POST /v1/invoices/{paymentHash}/cancel', () => {
  const template = '/v1/invoices/{paymentHash}/cancel';

  it('cancels an open invoice; a paid one is 409 invoice-paid; an unknown one 404', async () => {
    await call('POST', '/v1/invoices', { body: {} });
    const [hash, invoice] = [...api.invoices.entries()][0]!;
    expect(await call('POST', `/v1/invoices/${hash}/cancel`, { template })).toMatchObject({ status: 200, body: { state: 'canceled' } });
    api.invoices.set(hash, { ...invoice, state: 'paid', receivedMsat: 1, paidAt: '2026-01-01T00:10:00Z' });
    expect(await call('POST', `/v1/invoices/${hash}/cancel`, { template })).toMatchObject({ status: 409, body: { code: 'invoice-paid' } });
    expect(await call('POST', `/v1/invoices/${'cd'.repeat(32)}/cancel`, { template })).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await call('POST', `/v1/invoices/${hash}/cancel`, { template, body: { reason: 'x' } })).toMatchObject({ status: 400 });
  });
});
