/**
 * The wallet routes of the HTTP handler over a fake node: balance, new
 * address, send (validated body, optional fee rate, insufficient funds as
 * 422), each response checked against the OpenAPI document.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError, HttpErrorCode } from '../../functions/http/errors.js';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { openApi } from '../../functions/http/routes.js';
import { API_KEY_SHA256 } from './support/events.js';
import { documentedCall, documentedRawCall } from './support/documented-call.js';
import { FakeNodeApi } from './support/fake-node-api.js';

let api: FakeNodeApi;
let handler: HttpHandler;

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

function call(method: string, path: string, body?: unknown) {
  return documentedCall(handler, method, path, body);
}

describe('wallet routes', () => {
  it('GET /v1/wallet reports confirmed and unconfirmed sat', async () => {
    api.walletInfo = { confirmedSat: 150_000n, unconfirmedSat: 2_500n };
    expect(await call('GET', '/v1/wallet')).toEqual({ status: 200, body: { confirmedSat: 150_000, unconfirmedSat: 2_500 } });
  });

  it('POST /v1/wallet/address hands out a fresh address each time', async () => {
    expect(await call('POST', '/v1/wallet/address')).toEqual({ status: 200, body: { address: 'bcrt1qfake0' } });
    expect((await call('POST', '/v1/wallet/address')).body).toEqual({ address: 'bcrt1qfake1' });
  });

  it('POST /v1/wallet/address takes no body, or {}', async () => {
    expect(await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body: '' })).toMatchObject({ status: 200, body: { address: 'bcrt1qfake0' } });
    expect(await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body: '{}' })).toMatchObject({ status: 200, body: { address: 'bcrt1qfake1' } });
    expect(await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body: ' { } \n' })).toMatchObject({ status: 200, body: { address: 'bcrt1qfake2' } });
    expect(await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body: 'e30=', isBase64Encoded: true })).toMatchObject({ status: 200 });
  });

  it('POST /v1/wallet/address refuses any other body with 400 and hands out no address', async () => {
    const notJson = ['{', 'x', ' ', '\n', '{}{}', '{} x', "{'a':1}", '{"a":1', 'undefined', 'NaN', '\u0000', '{}\u0000'];
    const notEmpty = ['[]', '[{}]', 'null', '0', '1e999', '"x"', '"{}"', 'true', 'false', '{"a":1}', '{"address":"bcrt1qabc"}', '{"":null}', '{"__proto__":{}}'];
    for (const body of notJson) {
      const res = await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body });
      expect(res, JSON.stringify(body)).toMatchObject({ status: 400, body: { code: 'invalid-json' } });
      expect(res.headers['x-request-id']).toMatch(/^req-\d+$/);
    }
    for (const body of notEmpty) {
      expect(await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body }), body).toEqual({
        status: 400,
        body: { code: 'invalid-request', message: 'POST /v1/wallet/address takes no request body: send none, or {}' },
        headers: expect.objectContaining({ 'x-request-id': expect.stringMatching(/^req-\d+$/) }),
      });
    }
    // Bytes that are not UTF-8 (passed base64-encoded, as API Gateway does).
    expect(await documentedRawCall(handler, 'POST', '/v1/wallet/address', { body: '/yg=', isBase64Encoded: true })).toMatchObject({ status: 400, body: { code: 'invalid-json' } });
    expect(api.addresses).toBe(0);
  });

  it('documents the optional empty body of POST /v1/wallet/address', () => {
    const operation = openApi().paths['/v1/wallet/address']?.post;
    expect(operation?.requestBody).toEqual({ description: 'None, or `{}`.', required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/EmptyRequest' } } } });
    expect(openApi().components.schemas['EmptyRequest']).toMatchObject({ type: 'object', properties: {}, additionalProperties: false });
    expect(operation?.responses['400']).toEqual({ $ref: '#/components/responses/InvalidRequest' });
  });

  it('POST /v1/wallet/send validates the body and passes sats as bigint', async () => {
    expect(await call('POST', '/v1/wallet/send', { address: 'bcrt1qabc', sats: 50_000 })).toEqual({ status: 200, body: { txid: 'ab'.repeat(32), feeSat: 141 } });
    expect(await call('POST', '/v1/wallet/send', { address: 'bcrt1qabc', sats: 50_000, feerateSatPerVb: 2.5 })).toMatchObject({ status: 200 });
    expect(api.sendRequests).toEqual([{ address: 'bcrt1qabc', sats: 50_000n }, { address: 'bcrt1qabc', sats: 50_000n, feerateSatPerVb: 2.5 }]);
    for (const bad of [{ address: 'bcrt1qabc' }, { address: 'bcrt1qabc', sats: 293 }, { address: 'bcrt1qabc', sats: 1.5 }, { address: 'a b', sats: 1000 }, { address: 'x', sats: 1000, feerateSatPerVb: 0 }, { address: 'x', sats: 1000, extra: 1 }]) {
      expect(await call('POST', '/v1/wallet/send', bad)).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    }
    expect(api.sendRequests).toHaveLength(2);
  });

  it('answers insufficient funds as 422 insufficient-funds', async () => {
    api.failure = new HttpError(HttpErrorCode.insufficientFunds, 'insufficient funds: 50000 sat plus fee needed, 1000 sat spendable');
    expect(await call('POST', '/v1/wallet/send', { address: 'bcrt1qabc', sats: 50_000 })).toEqual({
      status: 422,
      body: { code: 'insufficient-funds', message: 'insufficient funds: 50000 sat plus fee needed, 1000 sat spendable' },
    });
  });
});
