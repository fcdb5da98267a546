/**
 * The channel routes of the HTTP handler over a fake node: open (validated
 * body, defaults, peer not connected as 409), list, get by id (path
 * parameter, 404), accept, reject; each response checked against the OpenAPI document.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError, HttpErrorCode } from '../../functions/http/errors.js';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import type { ChannelInfo } from '../../functions/http/node-api.js';
import { matchRoute, openApi } from '../../functions/http/routes.js';
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

function call(method: string, path: string, body?: unknown, template = path) {
  return documentedCall(handler, method, path, body, template);
}

const READY: ChannelInfo = {
  channelId: 'ab'.repeat(32),
  temporaryChannelId: 'cd'.repeat(32),
  counterpartyNodeId: PEER,
  state: 'ready',
  channelType: 'anchors_zero_fee_htlc_tx',
  fundingTxid: 'ef'.repeat(32),
  fundingOutputIndex: 1,
  shortChannelId: '110x1x1',
  capacitySat: 200_000n,
  localBalanceMsat: 200_000_000n,
  remoteBalanceMsat: 0n,
  pendingHtlcs: [],
  outboundCapacityMsat: 198_000_000n,
  inboundCapacityMsat: 0n,
  confirmations: 6,
  confirmationsRequired: 6,
  isOutbound: true,
  isChannelReady: true,
  isUsable: true,
  isPublic: false,
};

describe('channel routes', () => {
  it('POST /v1/channels validates the body, defaults pushMsat and public, and answers 202 with the id', async () => {
    expect(await call('POST', '/v1/channels', { nodeId: PEER.toUpperCase().replace('0X', ''), amountSat: 100_000 })).toEqual({ status: 202, body: { channelId: '11'.repeat(32) } });
    expect(api.openRequests).toEqual([{ nodeId: PEER, amountSat: 100_000n, pushMsat: 0n, public: false }]);
    await call('POST', '/v1/channels', { nodeId: PEER, amountSat: 50_000, pushMsat: 1_000, public: true });
    expect(api.openRequests[1]).toEqual({ nodeId: PEER, amountSat: 50_000n, pushMsat: 1_000n, public: true });
  });

  it.each([
    [{ nodeId: PEER, amountSat: 999 }, 'amountSat: must be an integer from 1000 to 16777215'],
    [{ nodeId: PEER, amountSat: 16_777_216 }, 'amountSat: must be an integer from 1000 to 16777215'],
    [{ nodeId: PEER, amountSat: 1.5e4 + 0.5 }, 'amountSat: must be an integer from 1000 to 16777215'],
    [{ nodeId: 'nope', amountSat: 10_000 }, 'nodeId: must be a 33-byte compressed public key in hex (02 or 03 prefix)'],
    [{ nodeId: PEER, amountSat: 10_000, pushMsat: -1 }, 'pushMsat: must be an integer from 0 to 16777215000'],
    [{ nodeId: PEER, amountSat: 10_000, public: 'yes' }, 'public: must be a boolean'],
    [{ nodeId: PEER, amountSat: 10_000, extra: 1 }, 'extra: unknown field'],
    [{ amountSat: 10_000 }, 'nodeId: is required'],
  ])('POST /v1/channels refuses %j', async (body, message) => {
    expect(await call('POST', '/v1/channels', body)).toEqual({ status: 400, body: { code: 'invalid-request', message } });
    expect(api.openRequests).toEqual([]);
  });

  it('POST /v1/channels to a peer that is not connected answers 409 peer-not-connected', async () => {
    api.openChannel = async () => {
      throw new HttpError(HttpErrorCode.peerNotConnected, `peer ${PEER} is not connected`);
    };
    expect(await call('POST', '/v1/channels', { nodeId: PEER, amountSat: 10_000 })).toEqual({
      status: 409,
      body: { code: 'peer-not-connected', message: `peer ${PEER} is not connected` },
    });
  });

  it('GET /v1/channels lists channels; funding fields are left out until known', async () => {
    const pending: ChannelInfo = { ...READY, channelId: '12'.repeat(32), state: 'outbound-awaiting-accept', fundingTxid: null, fundingOutputIndex: null, shortChannelId: null, isChannelReady: false, isUsable: false };
    api.channels = [READY, pending];
    const { status, body } = await call('GET', '/v1/channels');
    expect(status).toBe(200);
    const channels = (body as { channels: Record<string, unknown>[] }).channels.sort((a) => (a['channelId'] === READY.channelId ? -1 : 1));
    expect(channels[0]).toMatchObject({ channelId: READY.channelId, channelType: 'anchors_zero_fee_htlc_tx', shortChannelId: '110x1x1', capacitySat: 200_000, outboundCapacityMsat: 198_000_000, isUsable: true });
    expect(channels[1]).not.toHaveProperty('fundingTxid');
    expect(channels[1]).not.toHaveProperty('shortChannelId');
  });

  it('GET /v1/channels/{id} finds a channel by either id, in either case; 404 otherwise', async () => {
    api.channels = [READY];
    expect((await call('GET', `/v1/channels/${READY.channelId.toUpperCase()}`, undefined, '/v1/channels/{id}')).body).toMatchObject({ channelId: READY.channelId });
    expect((await call('GET', `/v1/channels/${READY.temporaryChannelId}`, undefined, '/v1/channels/{id}')).status).toBe(200);
    expect(await call('GET', `/v1/channels/${'00'.repeat(32)}`, undefined, '/v1/channels/{id}')).toEqual({
      status: 404,
      body: { code: 'not-found', message: `no channel ${'00'.repeat(32)}` },
    });
  });

  it('a held inbound request shows as awaiting-acceptance with its channel type', async () => {
    const held: ChannelInfo = { ...READY, channelId: '7a'.repeat(32), temporaryChannelId: '7a'.repeat(32), state: 'awaiting-acceptance', channelType: 'static_remotekey', fundingTxid: null, fundingOutputIndex: null, shortChannelId: null, isOutbound: false, isChannelReady: false, isUsable: false };
    api.channels = [held];
    const { body } = await call('GET', '/v1/channels');
    expect((body as { channels: unknown[] }).channels).toEqual([expect.objectContaining({ state: 'awaiting-acceptance', channelType: 'static_remotekey', isOutbound: false })]);
  });

  it('a closed channel shows its closure', async () => {
    api.channels = [{ ...READY, state: 'closed', channelType: null, closure: { reason: 'funding-not-provided', message: 'the wallet cannot fund the channel: insufficient funds' } }];
    expect((await call('GET', `/v1/channels/${READY.channelId}`, undefined, '/v1/channels/{id}')).body).toMatchObject({
      state: 'closed',
      closure: { reason: 'funding-not-provided' },
    });
    expect((await call('GET', `/v1/channels/${READY.channelId}`, undefined, '/v1/channels/{id}')).body).not.toHaveProperty('channelType');
  });

  it('POST /v1/channels/{id}/accept accepts a held request', async () => {
    const id = '7a'.repeat(32);
    expect(await call('POST', `/v1/channels/${id}/accept`, undefined, '/v1/channels/{id}/accept')).toEqual({ status: 200, body: { status: 'accepted', channelId: id } });
    expect(api.accepted).toEqual([id]);
  });

  it('POST /v1/channels/{id}/reject rejects a held request; 404 when there is none', async () => {
    const id = '7b'.repeat(32);
    expect(await call('POST', `/v1/channels/${id.toUpperCase()}/reject`, undefined, '/v1/channels/{id}/reject')).toEqual({ status: 200, body: { status: 'rejected', channelId: id } });
    expect(api.rejected).toEqual([id]);
    api.rejectChannel = async () => {
      throw new HttpError(HttpErrorCode.notFound, `no held inbound channel request ${id}`);
    };
    expect(await call('POST', `/v1/channels/${id}/reject`, undefined, '/v1/channels/{id}/reject')).toEqual({ status: 404, body: { code: 'not-found', message: `no held inbound channel request ${id}` } });
  });

  it('POST /v1/channels/{id}/accept and /reject take no body, or {}: any other is refused before the node is asked', async () => {
    const id = '7c'.repeat(32);
    for (const action of ['accept', 'reject'] as const) {
      const template = `/v1/channels/{id}/${action}`;
      for (const body of [{ reason: 'x' }, [], null, 'yes', 1]) {
        expect(await call('POST', `/v1/channels/${id}/${action}`, body, template)).toEqual({
          status: 400,
          body: { code: 'invalid-request', message: `POST ${template} takes no request body: send none, or {}` },
        });
      }
      expect((await call('POST', `/v1/channels/${id}/${action}`, {}, template)).status).toBe(200);
    }
    expect(api.accepted).toEqual([id]);
    expect(api.rejected).toEqual([id]);
  });

  it('POST /v1/channels/{id}/close answers 202 with the channel in shutdown-sent; 404 unknown; 409 not closable or peer offline', async () => {
    api.channels = [READY, { ...READY, channelId: '9a'.repeat(32), temporaryChannelId: '9b'.repeat(32), state: 'awaiting-confirmation', isChannelReady: false, isUsable: false }];
    const template = '/v1/channels/{id}/close';
    const closed = await call('POST', `/v1/channels/${READY.channelId.toUpperCase()}/close`, undefined, template);
    expect(closed.status).toBe(202);
    expect(closed.body).toMatchObject({ channelId: READY.channelId, state: 'shutdown-sent', isUsable: false });
    expect(api.closed).toEqual([READY.channelId]);
    expect(await call('POST', `/v1/channels/${'9a'.repeat(32)}/close`, {}, template)).toEqual({
      status: 409,
      body: { code: 'channel-not-closable', message: 'a cooperative close starts from ready, not awaiting-confirmation' },
    });
    expect((await call('POST', `/v1/channels/${READY.channelId}/close`, undefined, template)).status).toBe(409); // already closing
    expect(await call('POST', `/v1/channels/${'00'.repeat(32)}/close`, undefined, template)).toEqual({ status: 404, body: { code: 'not-found', message: `no channel ${'00'.repeat(32)}` } });
    api.closeChannel = async () => {
      throw new HttpError(HttpErrorCode.peerNotConnected, 'peer is not connected');
    };
    expect(await call('POST', `/v1/channels/${READY.channelId}/close`, undefined, template)).toEqual({ status: 409, body: { code: 'peer-not-connected', message: 'peer is not connected' } });
    expect(await call('POST', `/v1/channels/${READY.channelId}/close`, { force: 'yes' }, template)).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    expect((await call('POST', `/v1/channels/${READY.channelId}/close`, { force: true, fast: true }, template)).status).toBe(400);
    expect(api.closed).toEqual([READY.channelId]);
    const doc = openApi() as { paths: Record<string, { post: { responses: Record<string, unknown> } }> };
    expect(Object.keys(doc.paths[template]!.post.responses).sort()).toEqual(['202', '400', '401', '404', '409', '413', '500', '503']);
  });

  it('POST /v1/channels/{id}/close {"force": true} answers 202 with the channel closed by us and the commitment txid, whatever the peer', async () => {
    api.channels = [READY];
    const closed = await call('POST', `/v1/channels/${READY.channelId}/close`, { force: true }, '/v1/channels/{id}/close');
    expect(closed).toMatchObject({ status: 202, body: { channelId: READY.channelId, state: 'closed', closure: { reason: 'holder-force-closed', txid: 'ab'.repeat(32) } } });
    expect(api.forceClosed).toEqual([READY.channelId]);
    expect(api.closed).toEqual([]);
  });

  it('POST /v1/channels/close-all lists what happened to each open channel; a refusal of one leaves the others closing', async () => {
    const confirming = { ...READY, channelId: '9a'.repeat(32), temporaryChannelId: '9b'.repeat(32), state: 'awaiting-confirmation' as const, isChannelReady: false, isUsable: false };
    api.channels = [READY, confirming];
    const all = await call('POST', '/v1/channels/close-all', {}, '/v1/channels/close-all');
    expect(all).toEqual({
      status: 200,
      body: {
        channels: [
          { channelId: READY.channelId, state: 'shutdown-sent' },
          { channelId: confirming.channelId, error: { code: 'channel-not-closable', message: 'a cooperative close starts from ready, not awaiting-confirmation' } },
        ],
      },
    });
    api.channels = [READY, confirming];
    const forced = await call('POST', '/v1/channels/close-all', { force: true }, '/v1/channels/close-all');
    expect(forced).toEqual({ status: 200, body: { channels: [{ channelId: READY.channelId, state: 'closed' }, { channelId: confirming.channelId, state: 'closed' }] } });
    expect(api.forceClosed).toEqual([READY.channelId, confirming.channelId]);
    expect((await call('POST', '/v1/channels/close-all', { force: 1 }, '/v1/channels/close-all')).status).toBe(400);
  });

  it('PATCH /v1/channels/{id} sets the fields given and answers the channel with its policy; 400 for no field, a delta below 42, a wrong type or an unknown field; 404 unknown; 409 closed', async () => {
    api.channels = [READY, { ...READY, channelId: '9a'.repeat(32), state: 'closed', closure: { reason: 'cooperative-closure', message: 'closed' } }];
    const template = '/v1/channels/{id}';
    const patched = await call('PATCH', `/v1/channels/${READY.channelId.toUpperCase()}`, { feeBaseMsat: 2_500, cltvExpiryDelta: 90 }, template);
    expect(patched).toMatchObject({ status: 200, body: { channelId: READY.channelId, forwardingPolicy: { feeBaseMsat: 2_500, feeProportionalMillionths: 0, cltvExpiryDelta: 90 } } });
    const again = await call('PATCH', `/v1/channels/${READY.channelId}`, { feeProportionalMillionths: 150 }, template);
    expect(again.body).toMatchObject({ forwardingPolicy: { feeBaseMsat: 2_500, feeProportionalMillionths: 150, cltvExpiryDelta: 90 } });
    for (const body of [{}, undefined, { cltvExpiryDelta: 41 }, { feeBaseMsat: -1 }, { feeBaseMsat: 1.5 }, { feeBaseMsat: '100' }, { feeProportionalMillionths: 2 ** 32 }, { cltvExpiryDelta: 65_536 }, { feeBaseMsat: 1, htlcMinimumMsat: 5 }]) {
      expect(await call('PATCH', `/v1/channels/${READY.channelId}`, body, template)).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    }
    expect(await call('PATCH', `/v1/channels/${'00'.repeat(32)}`, { feeBaseMsat: 1 }, template)).toEqual({ status: 404, body: { code: 'not-found', message: `no channel ${'00'.repeat(32)}` } });
    expect(await call('PATCH', `/v1/channels/${'9a'.repeat(32)}`, { feeBaseMsat: 1 }, template)).toMatchObject({ status: 409, body: { code: 'channel-not-configurable' } });
    expect(api.channels[0]!.forwardingPolicy).toEqual({ feeBaseMsat: 2_500, feeProportionalMillionths: 150, cltvExpiryDelta: 90 });
  });

  it('matches path parameters by their pattern only', () => {
    expect(matchRoute('GET', `/v1/channels/${'ab'.repeat(32)}`)).toMatchObject({ kind: 'found', params: { id: 'ab'.repeat(32) } });
    expect(matchRoute('GET', '/v1/channels/xyz')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', `/v1/channels/${'ab'.repeat(32)}/extra`)).toEqual({ kind: 'not-found' });
    expect(matchRoute('DELETE', `/v1/channels/${'ab'.repeat(32)}`)).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'PATCH'] });
    expect(matchRoute('GET', `/v1/channels/${'ab'.repeat(32)}/accept`)).toEqual({ kind: 'method-not-allowed', allow: ['POST'] });
  });

  it('documents the path parameter of each channel route', () => {
    const doc = openApi();
    const get = doc.paths['/v1/channels/{id}']?.get;
    expect(get?.parameters).toEqual([{ name: 'id', in: 'path', required: true, description: 'The channel id (real or temporary), hex.', schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } }]);
    expect(doc.paths['/v1/channels/{id}/accept']?.post?.parameters).toHaveLength(1);
  });
});
