/**
 * The event routes of the HTTP handler over a fake node: `GET /v1/events`
 * lists what the node returns, `POST /v1/events/ack` validates the id (a
 * u64 as a decimal string) and passes it on; responses checked against the
 * OpenAPI document.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import type { EventInfo } from '../../functions/http/node-api.js';
import { API_KEY_SHA256 } from './support/events.js';
import { documentedCall } from './support/documented-call.js';
import { FakeNodeApi } from './support/fake-node-api.js';

let api: FakeNodeApi;
let handler: HttpHandler;
const PEER = '02' + '3c'.repeat(32);

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

function call(method: string, path: string, body?: unknown) {
  return documentedCall(handler, method, path, body);
}

const EVENTS: EventInfo[] = [
  { id: '7', kind: 'channel-pending', counterpartyNodeId: PEER, channelId: 'ab'.repeat(32), temporaryChannelId: 'cd'.repeat(32), fundingTxid: 'ef'.repeat(32), fundingOutputIndex: 0, userChannelId: '18446744073709551615' },
  { id: '8', kind: 'channel-ready', counterpartyNodeId: PEER, channelId: 'ab'.repeat(32), userChannelId: '0', shortChannelId: '110x1x0' },
  { id: '9', kind: 'channel-closed', counterpartyNodeId: PEER, channelId: 'ab'.repeat(32), userChannelId: '0', reason: 'counterparty-error', message: 'the peer sent an error: bye' },
  { id: '10', kind: 'open-channel-request', counterpartyNodeId: PEER, temporaryChannelId: 'cd'.repeat(32), channelValueSat: '100000', pushMsat: '0', channelType: 'anchors_zero_fee_htlc_tx' },
];

describe('event routes', () => {
  it('GET /v1/events returns the pending events as the node lists them', async () => {
    api.events = [...EVENTS];
    expect(await call('GET', '/v1/events')).toEqual({ status: 200, body: { events: EVENTS } });
  });

  it('POST /v1/events/ack acknowledges up to the id, idempotently', async () => {
    api.events = [...EVENTS];
    expect(await call('POST', '/v1/events/ack', { upTo: '8' })).toEqual({ status: 200, body: { acknowledged: 2 } });
    expect(await call('POST', '/v1/events/ack', { upTo: '8' })).toEqual({ status: 200, body: { acknowledged: 0 } });
    expect(api.acknowledgements).toEqual([8n, 8n]);
    expect((await call('GET', '/v1/events')).body).toEqual({ events: EVENTS.slice(2) });
    expect(await call('POST', '/v1/events/ack', { upTo: '18446744073709551615' })).toEqual({ status: 200, body: { acknowledged: 2 } });
  });

  it('a bad id is a 400 naming the field; the node is not called', async () => {
    for (const body of [{ upTo: 8 }, { upTo: '-1' }, { upTo: '1e3' }, { upTo: '18446744073709551616' }, { upTo: '1'.repeat(21) }, {}, { upTo: '1', extra: true }]) {
      const { status, body: error } = await call('POST', '/v1/events/ack', body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(error).toMatchObject({ code: 'invalid-request' });
      expect(String((error as { message: unknown }).message)).toMatch(/upTo|extra/);
    }
    expect(api.acknowledgements).toEqual([]);
  });
});
