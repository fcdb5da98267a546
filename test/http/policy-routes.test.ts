/**
 * `GET /v1/node/policy` over a fake node: the policy the node answers, as
 * JSON numbers, checked against the OpenAPI document; the node's failure is
 * the API's error.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import * as v from 'valibot';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { ForwardingPolicyResponse } from '../../functions/http/policy-routes.js';
import { openApi } from '../../functions/http/routes.js';
import { API_KEY_SHA256 } from './support/events.js';
import { documentedCall } from './support/documented-call.js';
import { FakeNodeApi } from './support/fake-node-api.js';

let api: FakeNodeApi;
let handler: HttpHandler;

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

describe('GET /v1/node/policy', () => {
  it('answers the policy the node has in force', async () => {
    api.policy = { feeBaseMsat: 2500, feeProportionalMillionths: 150, cltvExpiryDelta: 90, htlcMinimumMsat: 1000n };
    const got = await documentedCall(handler, 'GET', '/v1/node/policy');
    expect(got).toEqual({ status: 200, body: { feeBaseMsat: 2500, feeProportionalMillionths: 150, cltvExpiryDelta: 90, htlcMinimumMsat: 1000 } });
    expect(v.is(ForwardingPolicyResponse, got.body)).toBe(true);
  });

  it('is in the OpenAPI document with its schema', () => {
    const doc = openApi() as unknown as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { required?: string[] }> } };
    expect(doc.paths['/v1/node/policy']?.['get']).toBeDefined();
    expect(doc.components.schemas['ForwardingPolicy']?.required).toEqual(['feeBaseMsat', 'feeProportionalMillionths', 'cltvExpiryDelta', 'htlcMinimumMsat']);
  });

  it('answers 500 internal when the node fails', async () => {
    api.failure = new Error('store down');
    expect(await documentedCall(handler, 'GET', '/v1/node/policy')).toMatchObject({ status: 500, body: { code: 'internal' } });
  });
});
