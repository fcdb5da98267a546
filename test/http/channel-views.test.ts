/**
 * Issue 16's channel views over a fake node: the balances of a channel
 * (`localBalanceMsat`, `remoteBalanceMsat`, `pendingHtlcs`, the capacities,
 * `balanceMsat` as the alias of `localBalanceMsat`), `GET /v1/channels`
 * paged by `limit` and `after`, the node's totals in `GET /v1/node`, and
 * `GET /v1/events?after=`; bad query strings answer 400 `invalid-request`
 * before the node is asked. Every response is checked against the OpenAPI
 * document.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import type { ChannelInfo, EventInfo } from '../../functions/http/node-api.js';
import * as v from 'valibot';
import { ChannelResponse } from '../../functions/http/channel-schemas.js';
import { jsonSchemaOf } from '../../functions/http/route-kit.js';
import { ListChannelsQuery, ListEventsQuery, openApi } from '../../functions/http/routes.js';
import { channelTotalsOf } from '../../functions/http/store-node-api.js';
import type { ChannelView } from '../../functions/channels/channel-service.js';
import type { ChannelDetails } from '../../shared/manager/index.js';
import { API_KEY_SHA256, AUTH, apiEvent, jsonOf } from './support/events.js';
import { FakeNodeApi } from './support/fake-node-api.js';
import { validate } from './support/json-schema.js';

let api: FakeNodeApi;
let handler: HttpHandler;
const PEER = '02' + '3c'.repeat(32);

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
});

/** `GET path?query` with the API key; the status must be documented for `template` and the body match its schema. */
async function get(path: string, query: Record<string, string> = {}, template = path): Promise<{ status: number; body: unknown }> {
  const event = { ...apiEvent({ method: 'GET', path, headers: AUTH }), rawQueryString: new URLSearchParams(query).toString(), queryStringParameters: query };
  const result = await handler(event);
  const body = jsonOf(result);
  const doc = openApi();
  const response = doc.paths[template]?.get?.responses[String(result.statusCode)];
  expect(response, `GET ${template} ${result.statusCode} documented`).toBeDefined();
  const resolved = '$ref' in response! ? doc.components.responses[response.$ref.split('/').pop() as 'Internal'] : response!;
  expect(validate(doc, resolved!.content!['application/json']!.schema, body)).toEqual([]);
  return { status: result.statusCode ?? 0, body };
}

const HASH = '5e'.repeat(32);

const READY: ChannelInfo = {
  channelId: 'ab'.repeat(32),
  temporaryChannelId: 'cd'.repeat(32),
  counterpartyNodeId: PEER,
  state: 'ready',
  channelType: 'static_remotekey',
  fundingTxid: 'ef'.repeat(32),
  fundingOutputIndex: 1,
  shortChannelId: '110x1x1',
  capacitySat: 250_000n,
  localBalanceMsat: 137_471_000n,
  remoteBalanceMsat: 100_000_000n,
  pendingHtlcs: [
    { direction: 'offered', amountMsat: 12_345_000n, paymentHash: HASH, expiryHeight: 844 },
    { direction: 'received', amountMsat: 1_000n, paymentHash: '6f'.repeat(32), expiryHeight: 850 },
  ],
  outboundCapacityMsat: 134_490_000n,
  inboundCapacityMsat: 97_500_000n,
  confirmations: 6,
  confirmationsRequired: 6,
  isOutbound: true,
  isChannelReady: true,
  isUsable: true,
  isPublic: false,
};

/** `n` ready channels with ids `01…01`, `02…02`, … (hex), listed by the node in reverse. */
function channels(n: number): ChannelInfo[] {
  return Array.from({ length: n }, (_, i) => ({ ...READY, channelId: (i + 1).toString(16).padStart(2, '0').repeat(32) })).reverse();
}

function idsOf(body: unknown): string[] {
  return (body as { channels: { channelId: string }[] }).channels.map((c) => c.channelId);
}

describe('a channel as a merchant reads it', () => {
  it('shows both balances, the HTLCs in flight, the capacities and the short channel id; balanceMsat is localBalanceMsat', async () => {
    api.channels = [READY];
    const { status, body } = await get(`/v1/channels/${READY.channelId}`, {}, '/v1/channels/{id}');
    expect(status).toBe(200);
    // The valibot schema the document's `Channel` is generated from takes the answer as it is.
    expect(v.parse(ChannelResponse, body)).toEqual(body);
    expect(body).toMatchObject({
      shortChannelId: '110x1x1',
      localBalanceMsat: 137_471_000,
      remoteBalanceMsat: 100_000_000,
      balanceMsat: 137_471_000,
      outboundCapacityMsat: 134_490_000,
      inboundCapacityMsat: 97_500_000,
      pendingHtlcs: [
        { direction: 'offered', amountMsat: 12_345_000, paymentHash: HASH, expiryHeight: 844 },
        { direction: 'received', amountMsat: 1_000, paymentHash: '6f'.repeat(32), expiryHeight: 850 },
      ],
    });
  });

  it('documents the new fields (required) and balanceMsat as a deprecated alias, in the JSON Schema generated from the valibot schema', () => {
    const channel = openApi().components.schemas['Channel']!;
    expect(channel).toEqual(jsonSchemaOf(ChannelResponse));
    for (const field of ['localBalanceMsat', 'remoteBalanceMsat', 'pendingHtlcs', 'outboundCapacityMsat', 'inboundCapacityMsat', 'balanceMsat']) expect(channel.required).toContain(field);
    expect(channel.properties!['balanceMsat']!.description).toMatch(/alias of `localBalanceMsat`/);
    expect(channel.properties!['pendingHtlcs']!.items!.required).toEqual(['direction', 'amountMsat', 'paymentHash', 'expiryHeight']);
  });
});

describe('GET /v1/channels pages', () => {
  it('50 channels a page by default, in channel id order, with nextAfter until the last page', async () => {
    api.channels = channels(120);
    const first = await get('/v1/channels');
    expect(idsOf(first.body)).toHaveLength(50);
    for (const c of (first.body as { channels: unknown[] }).channels) expect(v.safeParse(ChannelResponse, c).success).toBe(true);
    expect(idsOf(first.body)[0]).toBe('01'.repeat(32));
    const nextAfter = (first.body as { nextAfter: string }).nextAfter;
    expect(nextAfter).toBe((50).toString(16).repeat(32));
    const second = await get('/v1/channels', { after: nextAfter, limit: '70' });
    expect(idsOf(second.body)).toHaveLength(70);
    expect(idsOf(second.body)[0]).toBe((51).toString(16).repeat(32));
    // The last page (exactly the rest) has no nextAfter.
    expect(second.body).not.toHaveProperty('nextAfter');
    expect(new Set([...idsOf(first.body), ...idsOf(second.body)]).size).toBe(120);
  });

  it('limit from 1 to 200; after in either case; a page past the end is empty', async () => {
    api.channels = channels(201);
    expect(idsOf((await get('/v1/channels', { limit: '200' })).body)).toHaveLength(200);
    const one = await get('/v1/channels', { limit: '1', after: '0A'.repeat(32) });
    expect(idsOf(one.body)).toEqual(['0b'.repeat(32)]);
    expect(one.body).toMatchObject({ nextAfter: '0b'.repeat(32) });
    expect(await get('/v1/channels', { after: 'ff'.repeat(32) })).toEqual({ status: 200, body: { channels: [] } });
  });

  it.each([
    [{ limit: '0' }, 'limit: must be an integer from 1 to 200'],
    [{ limit: '201' }, 'limit: must be an integer from 1 to 200'],
    [{ limit: '-1' }, 'limit: must be an integer from 1 to 200'],
    [{ limit: '1.5' }, 'limit: must be an integer from 1 to 200'],
    [{ limit: 'ten' }, 'limit: must be an integer from 1 to 200'],
    [{ limit: '' }, 'limit: must be an integer from 1 to 200'],
    [{ after: 'xyz' }, 'after: must be a channel id (64 hex digits): the last channelId of the previous page'],
    [{ after: 'ab'.repeat(31) }, 'after: must be a channel id (64 hex digits): the last channelId of the previous page'],
  ])('refuses %j with 400 invalid-request, asking the node nothing', async (query, message) => {
    let asked = false;
    api.listChannels = async () => {
      asked = true;
      return [];
    };
    expect(await get('/v1/channels', query)).toEqual({ status: 400, body: { code: 'invalid-request', message } });
    expect(asked).toBe(false);
  });

  it('the documented query parameters accept exactly what the validator accepts', () => {
    const doc = openApi();
    const documented = (route: string, name: string) => doc.paths[route]!.get!.parameters!.find((p) => p.name === name)!.schema;
    // A query value as a client following the document would send it: numbers for integer parameters, else the text.
    const asSent = (schema: { type?: string }, text: string) => (schema.type === 'integer' && /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : text);
    const cases: [string, 'limit' | 'after', v.GenericSchema, string[]][] = [
      ['/v1/channels', 'limit', ListChannelsQuery, ['0', '1', '50', '199', '200', '201', '1.5', '-3', 'x', '']],
      ['/v1/channels', 'after', ListChannelsQuery, ['ab'.repeat(32), 'AB'.repeat(32), 'ab'.repeat(31), 'zz'.repeat(32), '']],
      // (The document cannot state the u64 bound of an event id, 2^64 - 1: the validator's only extra refusal, tested above.)
      ['/v1/events', 'after', ListEventsQuery, ['0', '7', '18446744073709551615', '-1', 'x', '']],
    ];
    for (const [route, name, schema, values] of cases) {
      const published = documented(route, name);
      for (const text of values) {
        const validated = v.safeParse(schema, { [name]: text }).success;
        expect(validate(doc, published, asSent(published, text)).length === 0, `${route} ${name}=${text}`).toBe(validated);
      }
    }
  });

  it('documents limit and after as query parameters, and the 400', () => {
    const list = openApi().paths['/v1/channels']!.get!;
    expect(list.parameters).toEqual([
      { name: 'limit', in: 'query', required: false, description: expect.stringContaining('50 when absent'), schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
      { name: 'after', in: 'query', required: false, description: expect.any(String), schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
    ]);
    expect(Object.keys(list.responses)).toContain('400');
  });
});

describe("GET /v1/node: the node's channel totals", () => {
  it('reports channelBalanceMsat and inboundCapacityMsat', async () => {
    api.info = { ...api.info, channelBalanceMsat: 237_471_000n, inboundCapacityMsat: 97_500_000n };
    expect((await get('/v1/node')).body).toMatchObject({ channelBalanceMsat: 237_471_000, inboundCapacityMsat: 97_500_000 });
  });

  it('sums local balances and inbound limits over the channels with signed commitments, not those still negotiated nor held requests', () => {
    const details = (state: string, local: bigint, inbound: bigint) =>
      ({ kind: 'open', details: { state, localBalanceMsat: local, nextInboundHtlcLimitMsat: inbound } as ChannelDetails }) as ChannelView;
    const held = { kind: 'request', request: { pushMsat: 5_000n } } as unknown as ChannelView;
    const views = [details('ready', 100n, 7n), details('awaiting-confirmation', 20n, 0n), details('shutdown-sent', 3n, 0n), details('outbound-awaiting-accept', 1_000n, 0n), details('awaiting-funding-tx', 1_000n, 0n), held];
    expect(channelTotalsOf(views)).toEqual({ channelBalanceMsat: 123n, inboundCapacityMsat: 7n });
    expect(channelTotalsOf([])).toEqual({ channelBalanceMsat: 0n, inboundCapacityMsat: 0n });
  });
});

describe('GET /v1/events?after=', () => {
  const EVENTS: EventInfo[] = [
    { id: '7', kind: 'channel-ready', counterpartyNodeId: PEER, channelId: 'ab'.repeat(32), userChannelId: '0', shortChannelId: '110x1x0' },
    { id: '8', kind: 'payment-received', paymentHash: HASH, amountMsat: '1000', purpose: 'invoice' },
  ];

  it('reads the events past an id without acknowledging any', async () => {
    api.events = [...EVENTS];
    expect((await get('/v1/events', { after: '7' })).body).toEqual({ events: [EVENTS[1]] });
    expect((await get('/v1/events')).body).toEqual({ events: EVENTS });
    expect(api.eventReads).toEqual([7n, undefined]);
    expect(api.acknowledgements).toEqual([]);
    expect((await get('/v1/events', { after: '18446744073709551615' })).body).toEqual({ events: [] });
  });

  it.each([['-1'], ['x'], ['18446744073709551616'], [''], ['1'.repeat(21)]])('refuses after=%s with 400 invalid-request', async (after) => {
    expect(await get('/v1/events', { after })).toEqual({
      status: 400,
      body: { code: 'invalid-request', message: 'after: must be an event id: a decimal string of 1 to 20 digits, at most 2^64 - 1' },
    });
    expect(api.eventReads).toEqual([]);
  });
});
