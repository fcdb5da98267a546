/**
 * The payments routes of the HTTP handler over a fake node
 * (docs/payments-api.md): bodies and query strings validated before the
 * node is asked anything, the Idempotency-Key required and passed with the
 * fingerprint of the validated body, the node's refusals answered with their
 * documented status; every response checked against the OpenAPI document.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError, HttpErrorCode } from '../../functions/http/errors.js';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { requestFingerprint } from '../../functions/http/idempotency.js';
import type { PaymentInfo } from '../../functions/http/payment-api.js';
import { API_KEY_SHA256 } from './support/events.js';
import { FakeNodeApi } from './support/fake-node-api.js';
import { documentedRawCall } from './support/documented-call.js';

let api: FakeNodeApi;
let handler: HttpHandler;
const PAYEE = '03' + '4d'.repeat(32);
const BOLT11 = 'lnbcrt10u1pexample';

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

/** `method path` with the API key, `headers` and `query`; the status and body must be what the OpenAPI document says for `template`. */
async function call(method: string, path: string, options: { body?: unknown; key?: string; query?: Record<string, string>; template?: string } = {}) {
  const raw = options.body === undefined ? undefined : { body: JSON.stringify(options.body) };
  const extra = { headers: options.key === undefined ? {} : { 'idempotency-key': options.key }, ...(options.query === undefined ? {} : { query: options.query }) };
  const { status, body } = await documentedRawCall(handler, method, path, raw, options.template ?? path, extra);
  return { status, body: body as Record<string, unknown> };
}

const PAID: PaymentInfo = {
  paymentId: 'a1'.repeat(32),
  paymentHash: 'b2'.repeat(32),
  kind: 'bolt11',
  payeeNodeId: PAYEE,
  state: 'succeeded',
  amountMsat: 10_000_000n,
  maxFeeMsat: 150_000n,
  feeMsat: 12n,
  preimage: 'c3'.repeat(32),
  failureReason: null,
  createdAtSecs: 1_800_000_000,
  completedAtSecs: 1_800_000_002,
};

describe('POST /v1/payments', () => {
  it('passes the invoice, its amounts and the key with the fingerprint of the validated body; 202 with the payment id', async () => {
    const answer = await call('POST', '/v1/payments', { body: { bolt11: BOLT11, maxFeeMsat: 5000 }, key: 'order-7' });
    expect(answer).toEqual({ status: 202, body: { paymentId: expect.stringMatching(/^[0-9a-f]{64}$/), paymentHash: expect.stringMatching(/^[0-9a-f]{64}$/), state: 'pending' } });
    expect(api.paymentCalls).toEqual([
      { kind: 'invoice', input: { bolt11: BOLT11, maxFeeMsat: 5000n }, identity: { idempotencyKey: 'order-7', fingerprint: requestFingerprint('POST', '/v1/payments', { bolt11: BOLT11, maxFeeMsat: 5000 }) } },
    ]);
  });

  it('answers the same key and body with the first answer, another body under the key with 409 idempotency-key-reused', async () => {
    const first = await call('POST', '/v1/payments', { body: { bolt11: BOLT11, amountMsat: 1000 }, key: 'k1' });
    // The same body with its fields in another order is the same request.
    expect(await call('POST', '/v1/payments', { body: { amountMsat: 1000, bolt11: BOLT11 }, key: 'k1' })).toEqual(first);
    const reused = await call('POST', '/v1/payments', { body: { bolt11: BOLT11, amountMsat: 1001 }, key: 'k1' });
    expect([reused.status, reused.body['code']]).toEqual([409, 'idempotency-key-reused']);
  });

  it('requires an Idempotency-Key of 1 to 255 visible ASCII characters, asking the node nothing otherwise', async () => {
    const missing = await call('POST', '/v1/payments', { body: { bolt11: BOLT11 } });
    expect([missing.status, missing.body['code']]).toEqual([400, 'idempotency-key-required']);
    const bad = await call('POST', '/v1/payments', { body: { bolt11: BOLT11 }, key: 'x'.repeat(256) });
    expect([bad.status, bad.body['code']]).toEqual([400, 'invalid-request']);
    expect(api.paymentCalls).toEqual([]);
  });

  it.each([
    [{}, 'bolt11: is required'],
    [{ bolt11: '' }, 'bolt11: must be a BOLT 11 invoice'],
    [{ bolt11: 'lnbc 1' }, 'bolt11: must be a BOLT 11 invoice'],
    [{ bolt11: 42 }, 'bolt11: must be a BOLT 11 invoice'],
    [{ bolt11: BOLT11, amountMsat: 0 }, 'amountMsat: must be an integer from 1'],
    [{ bolt11: BOLT11, amountMsat: 1.5 }, 'amountMsat: must be an integer from 1'],
    [{ bolt11: BOLT11, amountMsat: '1000' }, 'amountMsat: must be an integer from 1'],
    [{ bolt11: BOLT11, amountMsat: 2 ** 53 }, 'amountMsat: must be an integer from 1'],
    [{ bolt11: BOLT11, maxFeeMsat: -1 }, 'maxFeeMsat: must be an integer from 0'],
    [{ bolt11: BOLT11, extra: true }, 'extra: unknown field'],
  ])('refuses %j with 400 invalid-request, asking the node nothing', async (body, message) => {
    const refused = await call('POST', '/v1/payments', { body, key: 'k' });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: 'invalid-request', message: expect.stringContaining(message) });
    expect(api.paymentCalls).toEqual([]);
  });

  it('refuses a bolt11 longer than 8192 characters', async () => {
    const refused = await call('POST', '/v1/payments', { body: { bolt11: 'x'.repeat(8193) }, key: 'k' });
    expect([refused.status, refused.body['code']]).toEqual([400, 'invalid-request']);
    expect(api.paymentCalls).toEqual([]);
  });

  it.each([
    [HttpErrorCode.invalidInvoice, 400],
    [HttpErrorCode.invoiceExpired, 400],
    [HttpErrorCode.wrongNetwork, 400],
    [HttpErrorCode.duplicatePayment, 409],
    [HttpErrorCode.noRoute, 422],
    [HttpErrorCode.insufficientBalance, 422],
    [HttpErrorCode.busy, 503],
  ])('answers the node refusing with %s as %d, documented', async (code, status) => {
    api.paymentFailure = new HttpError(code, `refused: ${code}`);
    const refused = await call('POST', '/v1/payments', { body: { bolt11: BOLT11 }, key: `k-${code}` });
    expect(refused).toEqual({ status, body: { code, message: `refused: ${code}` } });
  });
});

describe('POST /v1/payments/keysend', () => {
  it('lower-cases the node id, requires the amount and the key', async () => {
    const answer = await call('POST', '/v1/payments/keysend', { body: { nodeId: PAYEE.toUpperCase(), amountMsat: 20_000 }, key: 'tip-1' });
    expect(answer.status).toBe(202);
    expect(api.paymentCalls[0]).toMatchObject({ kind: 'keysend', input: { nodeId: PAYEE, amountMsat: 20_000n }, identity: { idempotencyKey: 'tip-1' } });
    const noKey = await call('POST', '/v1/payments/keysend', { body: { nodeId: PAYEE, amountMsat: 20_000 } });
    expect([noKey.status, noKey.body['code']]).toEqual([400, 'idempotency-key-required']);
    for (const body of [{ nodeId: PAYEE }, { nodeId: '04' + '4d'.repeat(32), amountMsat: 1 }, { nodeId: PAYEE, amountMsat: 0 }, { nodeId: PAYEE, amountMsat: 1, maxFeeMsat: 1 }]) {
      const refused = await call('POST', '/v1/payments/keysend', { body, key: 'k' });
      expect([refused.status, refused.body['code']], JSON.stringify(body)).toEqual([400, 'invalid-request']);
    }
    expect(api.paymentCalls).toHaveLength(1);
  });
});

describe('GET /v1/payments', () => {
  it('reports a payment by id with its amounts, preimage and times; 404 for an unknown id', async () => {
    api.payments = [PAID];
    const got = await call('GET', `/v1/payments/${PAID.paymentId.toUpperCase()}`, { template: '/v1/payments/{paymentId}' });
    expect(got).toEqual({
      status: 200,
      body: {
        paymentId: PAID.paymentId,
        paymentHash: PAID.paymentHash,
        kind: 'bolt11',
        payeeNodeId: PAYEE,
        state: 'succeeded',
        amountMsat: 10_000_000,
        maxFeeMsat: 150_000,
        feeMsat: 12,
        preimage: PAID.preimage,
        failureReason: null,
        createdAt: '2027-01-15T08:00:00.000Z',
        completedAt: '2027-01-15T08:00:02.000Z',
      },
    });
    const missing = await call('GET', `/v1/payments/${'00'.repeat(32)}`, { template: '/v1/payments/{paymentId}' });
    expect([missing.status, missing.body['code']]).toEqual([404, 'not-found']);
  });

  it('abandons a payment by id (POST /v1/payments/{id}/abandon): the payment as it stands after, 404 for an unknown id', async () => {
    const pending: PaymentInfo = { ...PAID, paymentId: 'd4'.repeat(32), state: 'pending', feeMsat: null, preimage: null, completedAtSecs: null };
    api.payments = [PAID, pending];
    const template = '/v1/payments/{paymentId}/abandon';
    const abandoned = await call('POST', `/v1/payments/${pending.paymentId.toUpperCase()}/abandon`, { template });
    expect([abandoned.status, abandoned.body['state'], abandoned.body['failureReason']]).toEqual([200, 'failed', 'UserAbandoned']);
    // A succeeded payment stays succeeded: the payee was paid.
    const paid = await call('POST', `/v1/payments/${PAID.paymentId}/abandon`, { template });
    expect([paid.status, paid.body['state'], paid.body['preimage']]).toEqual([200, 'succeeded', PAID.preimage]);
    const missing = await call('POST', `/v1/payments/${'00'.repeat(32)}/abandon`, { template });
    expect([missing.status, missing.body['code']]).toEqual([404, 'not-found']);
  });

  it('lists a page by state with a cursor', async () => {
    const failed: PaymentInfo = { ...PAID, paymentId: 'f0'.repeat(32), state: 'failed', feeMsat: null, preimage: null, failureReason: 'RecipientRejected', completedAtSecs: 1_800_000_009 };
    api.payments = [PAID, { ...PAID, paymentId: 'b0'.repeat(32) }, failed];
    const first = await call('GET', '/v1/payments', { query: { state: 'succeeded', limit: '1' } });
    expect(first.status).toBe(200);
    expect((first.body['payments'] as { paymentId: string }[]).map((p) => p.paymentId)).toEqual([PAID.paymentId]);
    expect(first.body['nextAfter']).toBe(PAID.paymentId);
    const next = await call('GET', '/v1/payments', { query: { state: 'succeeded', limit: '1', after: PAID.paymentId.toUpperCase() } });
    expect(next.body).toMatchObject({ payments: [{ paymentId: 'b0'.repeat(32) }] });
    expect(api.listQueries).toEqual([
      { state: 'succeeded', limit: 1 },
      { state: 'succeeded', limit: 1, after: PAID.paymentId },
    ]);
    const all = await call('GET', '/v1/payments');
    expect(all.body['payments']).toHaveLength(3);
    expect(api.listQueries.at(-1)).toEqual({ limit: 50 });
  });

  it.each([{ state: 'paid' }, { limit: '0' }, { limit: '101' }, { limit: 'ten' }, { after: 'xyz' }, { cursor: 'a' }])('refuses the query %j with 400 invalid-request', async (query) => {
    const refused = await call('GET', '/v1/payments', { query });
    expect([refused.status, refused.body['code']]).toEqual([400, 'invalid-request']);
    expect(api.listQueries).toEqual([]);
  });
});
