import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../functions/http/handler.js';
import { apiKeySha256, isAuthorized } from '../../functions/http/api-key.js';
import { openApi, ROUTES } from '../../functions/http/routes.js';
import { API_KEY, API_KEY_SHA256, AUTH, apiEvent, jsonOf } from './support/events.js';
import { FakeNodeApi } from './support/fake-node-api.js';
import { validate } from './support/json-schema.js';

const NODE_ID = '02' + '1f'.repeat(32);
const PEER_A = '03' + 'a0'.repeat(32);
const PEER_B = '02' + 'b1'.repeat(32);

let api: FakeNodeApi;
let handler: HttpHandler;
let logLines: string[];

beforeEach(() => {
  api = new FakeNodeApi({ nodeId: NODE_ID, network: 'regtest', peers: 0, features: '0a8a59a1', version: '0.1.0' }, [
    { nodeId: PEER_A, address: '127.0.0.1:9735', inbound: true, features: '0aa0' },
    { nodeId: PEER_B, address: '10.0.0.2:9736', inbound: false, features: '' },
  ]);
  logLines = [];
  // Powertools writes JSON lines to stdout; keep them for assertions instead of printing.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logLines.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logLines.push(String(chunk));
    return true;
  });
  handler = createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger: new Logger({ serviceName: 'http-test', logLevel: 'INFO' }) });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function logs(): Record<string, unknown>[] {
  return logLines.flatMap((chunk) => chunk.split('\n').filter((l) => l.trim() !== '')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Checks the response against the status's schema in the published OpenAPI document. */
function expectDocumented(method: string, path: string, status: number, body: unknown): void {
  const doc = openApi();
  const operation = doc.paths[path]?.[method.toLowerCase() as 'get' | 'post'];
  expect(operation, `${method} ${path} documented`).toBeDefined();
  const response = operation!.responses[String(status)];
  expect(response, `${method} ${path} ${status} documented`).toBeDefined();
  const resolved = '$ref' in response! ? doc.components.responses[response.$ref.split('/').pop() as 'Internal'] : response!;
  const schema = resolved?.content?.['application/json']?.schema;
  expect(schema).toBeDefined();
  expect(validate(doc, schema!, body)).toEqual([]);
}

async function call(method: string, path: string, options: { headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } = {}) {
  const result = await handler(apiEvent({ method, path, headers: { ...AUTH, ...options.headers }, ...options }));
  return { status: result.statusCode, headers: result.headers ?? {}, body: jsonOf(result) };
}

describe('routes', () => {
  it('GET /v1/node reports id, network, peer count, features and version', async () => {
    const res = await call('GET', '/v1/node');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ nodeId: NODE_ID, network: 'regtest', peers: 2, features: '0a8a59a1', version: '0.1.0', channelBalanceMsat: 0, inboundCapacityMsat: 0 });
    expect(res.headers['cache-control']).toBe('no-store');
    expectDocumented('GET', '/v1/node', 200, res.body);
  });

  it('GET /v1/node leaves version out when the node does not give it, and passes no extra field through', async () => {
    api.info = { nodeId: NODE_ID, network: 'regtest', peers: 0, features: '', internalSecret: 'x' } as typeof api.info;
    const res = await call('GET', '/v1/node');
    expect(res.body).toEqual({ nodeId: NODE_ID, network: 'regtest', peers: 2, features: '', channelBalanceMsat: 0, inboundCapacityMsat: 0 });
    expectDocumented('GET', '/v1/node', 200, res.body);
  });

  it('GET /v1/peers lists the peers', async () => {
    const res = await call('GET', '/v1/peers');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      peers: [
        { nodeId: PEER_A, address: '127.0.0.1:9735', inbound: true, features: '0aa0' },
        { nodeId: PEER_B, address: '10.0.0.2:9736', inbound: false, features: '' },
      ],
    });
    expectDocumented('GET', '/v1/peers', 200, res.body);
    api.peers = [];
    expect((await call('GET', '/v1/peers')).body).toEqual({ peers: [] });
  });

  it('POST /v1/peers asks the node to dial and answers 202 connecting', async () => {
    const upper = '03' + 'AB'.repeat(32);
    const res = await call('POST', '/v1/peers', { body: JSON.stringify({ nodeId: upper, host: 'peer.example', port: 9735 }) });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'connecting', nodeId: upper.toLowerCase() });
    expect(api.connectRequests).toEqual([{ nodeId: upper.toLowerCase(), host: 'peer.example', port: 9735 }]);
    expectDocumented('POST', '/v1/peers', 202, res.body);
  });

  it('POST /v1/peers accepts a base64-encoded body (API Gateway sends binary bodies that way)', async () => {
    const json = JSON.stringify({ nodeId: PEER_A, host: '127.0.0.1', port: 1 });
    const res = await call('POST', '/v1/peers', { body: Buffer.from(json).toString('base64'), isBase64Encoded: true });
    expect(res.status).toBe(202);
    expect(api.connectRequests).toEqual([{ nodeId: PEER_A, host: '127.0.0.1', port: 1 }]);
  });

  it('GET /v1/openapi.json returns the document built from the route table', async () => {
    const res = await call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApi())));
    expect((res.body as { openapi: string }).openapi).toBe('3.1.0');
  });
});

describe('API key', () => {
  const anyRoute = [...ROUTES.map((r) => [r.method, r.path] as const), ['GET', '/nowhere'] as const];

  it.each(anyRoute)('%s %s without the header answers 401 unauthorized', async (method, path) => {
    const result = await handler(apiEvent({ method, path, body: '{}' }));
    expect(result.statusCode).toBe(401);
    expect(jsonOf(result)).toEqual({ code: 'unauthorized', message: 'missing or invalid API key' });
    expect(result.headers?.['www-authenticate']).toBe('Bearer');
    expect(api.connectRequests).toEqual([]);
  });

  it.each([
    ['a wrong key of the same length', `Bearer ${API_KEY.slice(0, -1)}X`],
    ['a shorter key', `Bearer ${API_KEY.slice(0, 5)}`],
    ['a longer key', `Bearer ${API_KEY}${API_KEY}`],
    ['the key without the scheme', API_KEY],
    ['another scheme', `Basic ${API_KEY}`],
    ['an empty bearer', 'Bearer '],
    ['the key with trailing garbage', `Bearer ${API_KEY} extra`],
    ['a tab after the scheme', `Bearer\t${API_KEY}`],
    ['two spaces after the scheme', `Bearer  ${API_KEY}`],
    ['a space and a tab after the scheme', `Bearer \t${API_KEY}`],
    ['a space after the key', `Bearer ${API_KEY} `],
    ['a tab after the key', `Bearer ${API_KEY}\t`],
    ['a space before the scheme', ` Bearer ${API_KEY}`],
    ['no space after the scheme', `Bearer${API_KEY}`],
  ])('%s answers 401', async (_what, header) => {
    const res = await call('GET', '/v1/node', { headers: { authorization: header } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'unauthorized', message: 'missing or invalid API key' });
    expectDocumented('GET', '/v1/node', 401, res.body);
  });

  it('accepts the scheme in any case', async () => {
    expect((await call('GET', '/v1/node', { headers: { authorization: `bearer ${API_KEY}` } })).status).toBe(200);
    expect((await call('GET', '/v1/node', { headers: { authorization: `BEARER ${API_KEY}` } })).status).toBe(200);
  });

  it('isAuthorized takes exactly `Bearer`, one space, the key', () => {
    const hash = apiKeySha256(API_KEY);
    expect(isAuthorized(`Bearer ${API_KEY}`, hash)).toBe(true);
    for (const separator of ['\t', '  ', ' \t', '\t ', '\u00a0', '']) expect(isAuthorized(`Bearer${separator}${API_KEY}`, hash), JSON.stringify(separator)).toBe(false);
    for (const after of [' ', '\t', '  ']) expect(isAuthorized(`Bearer ${API_KEY}${after}`, hash), JSON.stringify(after)).toBe(false);
  });

  it('is compared through SHA-256 digests, and the configured hash must be 32 bytes', () => {
    expect(isAuthorized(`Bearer ${API_KEY}`, apiKeySha256(API_KEY))).toBe(true);
    expect(isAuthorized(`Bearer ${API_KEY}`, apiKeySha256('other'))).toBe(false);
    expect(() => createHttpHandler({ api, apiKeySha256: new TextEncoder().encode(API_KEY) })).toThrow(RangeError);
  });
});

describe('errors', () => {
  it('an unknown path answers 404 not-found', async () => {
    for (const path of ['/', '/v1', '/v1/node/', '/v2/node', '/v1/peers/x']) {
      const res = await call('GET', path);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 'not-found', message: `no route for ${path}` });
    }
  });

  it('a known path with another method answers 405 with an allow header', async () => {
    const res = await call('DELETE', '/v1/peers');
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET, POST');
    expect(res.body).toMatchObject({ code: 'method-not-allowed' });
    const post = await call('POST', '/v1/node', { body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET');
  });

  it.each([
    ['{', 'request body is not valid JSON'],
    ['{"nodeId":', 'request body is not valid JSON'],
    ["{'nodeId':1}", 'request body is not valid JSON'],
  ])('malformed JSON %j answers 400 invalid-json', async (body, message) => {
    const res = await call('POST', '/v1/peers', { body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid-json', message });
    expectDocumented('POST', '/v1/peers', 400, res.body);
  });

  it('a body that is not UTF-8 answers 400 invalid-json', async () => {
    const res = await call('POST', '/v1/peers', { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'), isBase64Encoded: true });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid-json', message: 'request body is not UTF-8 text' });
  });

  const valid = { nodeId: PEER_A, host: 'peer.example', port: 9735 };
  it.each([
    ['nodeId', { ...valid, nodeId: '04' + 'aa'.repeat(32) }],
    ['nodeId', { ...valid, nodeId: '02' + 'aa'.repeat(31) }],
    ['nodeId', { ...valid, nodeId: '02' + 'zz'.repeat(32) }],
    ['nodeId', { ...valid, nodeId: 2 }],
    ['host', { ...valid, host: '' }],
    ['host', { ...valid, host: 'h'.repeat(254) }],
    ['host', { ...valid, host: 'a b' }],
    ['host', { ...valid, host: null }],
    ['port', { ...valid, port: 0 }],
    ['port', { ...valid, port: 65536 }],
    ['port', { ...valid, port: 9735.5 }],
    ['port', { ...valid, port: '9735' }],
  ])('a bad %s answers 400 invalid-request naming the field', async (field, body) => {
    const res = await call('POST', '/v1/peers', { body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid-request' });
    expect((res.body as { message: string }).message).toMatch(new RegExp(`^${field}: must be `));
    expectDocumented('POST', '/v1/peers', 400, res.body);
    expect(api.connectRequests).toEqual([]);
  });

  it('names missing and unknown fields, and rejects a body that is not an object', async () => {
    const missing = await call('POST', '/v1/peers', { body: JSON.stringify({ nodeId: PEER_A }) });
    expect(missing.body).toEqual({ code: 'invalid-request', message: 'host: is required; port: is required' });
    const unknown = await call('POST', '/v1/peers', { body: JSON.stringify({ ...valid, hots: 'x' }) });
    expect(unknown.body).toEqual({ code: 'invalid-request', message: 'hots: unknown field' });
    for (const body of ['[1]', '"x"', 'null', '42']) {
      const res = await call('POST', '/v1/peers', { body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid-request' });
    }
    const none = await call('POST', '/v1/peers');
    expect(none.body).toEqual({ code: 'invalid-request', message: 'request body must be a JSON object' });
  });

  it('a body over 64 KiB answers 413 payload-too-large, in text or base64', async () => {
    const big = JSON.stringify({ ...valid, host: 'h', pad: 'x'.repeat(64 * 1024) });
    const res = await call('POST', '/v1/peers', { body: big });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'payload-too-large', message: 'request body is larger than 65536 bytes' });
    expectDocumented('POST', '/v1/peers', 413, res.body);
    const b64 = await call('POST', '/v1/peers', { body: Buffer.from(big).toString('base64'), isBase64Encoded: true });
    expect(b64.status).toBe(413);
    // Multi-byte characters count in bytes: 22,000 three-byte characters are 66,000 bytes.
    const wide = await call('POST', '/v1/peers', { body: JSON.stringify({ ...valid, host: '€'.repeat(22_000) }) });
    expect(wide.status).toBe(413);
    // Exactly at the limit is accepted (and then fails the schema, not the size).
    const padded = JSON.stringify({ ...valid, pad: '' });
    const atLimit = JSON.stringify({ ...valid, pad: 'x'.repeat(64 * 1024 - padded.length) });
    expect(atLimit.length).toBe(64 * 1024);
    expect((await call('POST', '/v1/peers', { body: atLimit })).body).toEqual({ code: 'invalid-request', message: 'pad: unknown field' });
  });

  it('a failing node answers 500 internal without leaking the cause, and logs it under the request id', async () => {
    api.failure = new Error('dynamodb: lease held by 10.1.2.3 secret=hunter2');
    for (const [method, path, body] of [
      ['GET', '/v1/node', undefined],
      ['GET', '/v1/peers', undefined],
      ['POST', '/v1/peers', JSON.stringify(valid)],
    ] as const) {
      logLines = [];
      const event = apiEvent({ method, path, headers: AUTH, ...(body === undefined ? {} : { body }) });
      const result = await handler(event);
      expect(result.statusCode).toBe(500);
      const json = jsonOf(result);
      expect(json).toEqual({ code: 'internal', message: 'internal error; see the server logs for this request id' });
      expect(result.body).not.toContain('hunter2');
      expect(result.headers?.['x-request-id']).toBe(event.requestContext.requestId);
      expectDocumented(method, path, 500, json);
      const failure = logs().find((l) => l['message'] === 'http request failed');
      expect(failure).toMatchObject({ level: 'ERROR', requestId: event.requestContext.requestId });
      expect(JSON.stringify(failure)).toContain('lease held by');
    }
  });
});

describe('logs', () => {
  it('writes one structured line per request with method, route, status and request id', async () => {
    const event = apiEvent({ method: 'GET', path: '/v1/peers', headers: AUTH });
    await handler(event);
    await handler(apiEvent({ method: 'GET', path: '/nowhere', headers: AUTH }));
    const lines = logs().filter((l) => l['message'] === 'http request');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      service: 'http-test',
      method: 'GET',
      route: 'GET /v1/peers',
      status: 200,
      requestId: event.requestContext.requestId,
    });
    expect(typeof lines[0]!['durationMs']).toBe('number');
    expect(lines[1]).toMatchObject({ route: 'unmatched', path: '/nowhere', status: 404 });
  });

  it('never logs the key, the authorization header or the body', async () => {
    const secretBody = JSON.stringify({ nodeId: PEER_A, host: 'secret-host.example', port: 9735 });
    await call('POST', '/v1/peers', { body: secretBody });
    await call('GET', '/v1/node', { headers: { authorization: 'Bearer wrong-key-zzz' } });
    api.failure = new Error('boom');
    await call('POST', '/v1/peers', { body: secretBody });
    const all = logLines.join('');
    expect(logs().length).toBeGreaterThanOrEqual(4);
    for (const secret of [API_KEY, 'wrong-key-zzz', 'secret-host.example', 'authorization', 'Bearer']) {
      expect(all).not.toContain(secret);
    }
  });
});
