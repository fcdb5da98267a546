import { Logger } from '@aws-lambda-powertools/logger';
import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpHandler } from '../../functions/http/handler.js';
import { freePort } from '../../infra/local/free-port.js';
import { startHttpServer, type LocalHttpServer } from '../../infra/local/http-server.js';
import { API_KEY, API_KEY_SHA256 } from './support/events.js';
import { FakeNodeApi } from './support/fake-node-api.js';

const NODE_ID = '03' + '5e'.repeat(32);
const PEER = '02' + '77'.repeat(32);
const AUTH = { authorization: `Bearer ${API_KEY}` };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A raw HTTP/1.1 request, for what fetch cannot send (repeated headers). */
function rawRequest(url: string, options: { method: string; path: string; headers: Record<string, string | string[]>; body?: Uint8Array }) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({ hostname, port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('local HTTP server with the real handler', () => {
  let server: LocalHttpServer;
  const api = new FakeNodeApi({ nodeId: NODE_ID, network: 'regtest', peers: 0, features: '08a0' }, [
    { nodeId: PEER, address: '127.0.0.1:19735', inbound: false, features: '0aa0' },
  ]);

  beforeAll(async () => {
    const logger = new Logger({ serviceName: 'http-it', logLevel: 'SILENT' });
    server = await startHttpServer({ port: await freePort(), host: '127.0.0.1', handler: createHttpHandler({ api, apiKeySha256: API_KEY_SHA256, logger }) });
  });
  afterAll(() => server.stop());

  it('serves every route with the key', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const node = await fetch(`${server.url}/v1/node`, { headers: AUTH });
    expect(node.status).toBe(200);
    expect(node.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(node.headers.get('x-request-id')).toMatch(UUID);
    expect(await node.json()).toEqual({ nodeId: NODE_ID, network: 'regtest', peers: 1, features: '08a0', channelBalanceMsat: 0, inboundCapacityMsat: 0 });

    const peers = await fetch(`${server.url}/v1/peers`, { headers: AUTH });
    expect(await peers.json()).toEqual({ peers: [{ nodeId: PEER, address: '127.0.0.1:19735', inbound: false, features: '0aa0' }] });

    const connect = await fetch(`${server.url}/v1/peers`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ nodeId: NODE_ID.toUpperCase(), host: 'localhost', port: 9735 }),
    });
    expect(connect.status).toBe(202);
    expect(await connect.json()).toEqual({ status: 'connecting', nodeId: NODE_ID });
    expect(api.connectRequests).toEqual([{ nodeId: NODE_ID, host: 'localhost', port: 9735 }]);

    const doc = await fetch(`${server.url}/v1/openapi.json`, { headers: AUTH });
    expect(doc.status).toBe(200);
    const json = (await doc.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(json.openapi).toBe('3.1.0');
    expect(Object.keys(json.paths).sort()).toEqual(['/v1/channels', '/v1/channels/{id}', '/v1/channels/{id}/accept', '/v1/channels/{id}/close', '/v1/channels/{id}/reject', '/v1/events', '/v1/events/ack', '/v1/health', '/v1/node', '/v1/openapi.json', '/v1/peers', '/v1/wallet', '/v1/wallet/address', '/v1/wallet/send']);
  });

  it('answers errors as JSON { code, message }', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/v1/node', {}, 401, 'unauthorized'],
      ['/v1/node', { headers: { authorization: 'Bearer nope' } }, 401, 'unauthorized'],
      ['/v1/node', { headers: { authorization: `Bearer\t${API_KEY}` } }, 401, 'unauthorized'],
      ['/v1/node', { headers: { authorization: `Bearer  ${API_KEY}` } }, 401, 'unauthorized'],
      ['/v1/nothing', { headers: AUTH }, 404, 'not-found'],
      ['/v1/node', { method: 'PUT', headers: AUTH, body: '{}' }, 405, 'method-not-allowed'],
      ['/v1/peers', { method: 'POST', headers: AUTH, body: '{"nodeId":' }, 400, 'invalid-json'],
      ['/v1/peers', { method: 'POST', headers: AUTH, body: JSON.stringify({ nodeId: NODE_ID, host: 'h', port: 70000 }) }, 400, 'invalid-request'],
      ['/v1/peers', { method: 'POST', headers: AUTH, body: 'x'.repeat(64 * 1024 + 1) }, 413, 'payload-too-large'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await fetch(`${server.url}${path}`, init);
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(status);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe(code);
      expect(typeof body.message).toBe('string');
      expect(Object.keys(body).sort()).toEqual(['code', 'message']);
    }
    const invalid = await fetch(`${server.url}/v1/peers`, { method: 'POST', headers: AUTH, body: JSON.stringify({ nodeId: NODE_ID, host: 'h', port: 70000 }) });
    expect(await invalid.json()).toEqual({ code: 'invalid-request', message: 'port: must be an integer from 1 to 65535' });
    const notAllowed = await fetch(`${server.url}/v1/node`, { method: 'DELETE', headers: AUTH });
    expect(notAllowed.headers.get('allow')).toBe('GET');
  });

  it('answers 500 internal when the node fails, without the cause', async () => {
    api.failure = new Error('table unreachable: arn:aws:dynamodb:secret');
    try {
      const res = await fetch(`${server.url}/v1/peers`, { headers: AUTH });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ code: 'internal', message: 'internal error; see the server logs for this request id' });
      expect(text).not.toContain('secret');
    } finally {
      api.failure = undefined;
    }
  });
});

describe('local HTTP server event and response mapping', () => {
  let server: LocalHttpServer;
  let seen: APIGatewayProxyEventV2[] = [];
  let reply: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

  beforeAll(async () => {
    server = await startHttpServer({
      port: 0,
      handler: (event) => {
        seen.push(event);
        return reply(event);
      },
      maxBodyBytes: 1024,
    });
  });
  afterAll(() => server.stop());

  it('builds a faithful API Gateway v2 event', async () => {
    seen = [];
    reply = async () => ({ statusCode: 204 });
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: '/v1/Some/Path?b=2&a=1&a=3&empty=',
      headers: { 'X-Mixed-Case': 'One', 'x-multi': ['a', 'b'], Cookie: 'c1=v1; c2=v2', 'content-type': 'application/json', 'User-Agent': 'it-test' },
      body: new TextEncoder().encode('{"hello":"wörld"}'),
    });
    expect(res.status).toBe(204);
    await rawRequest(server.url, { method: 'GET', path: '/', headers: {} });
    const [event, second] = seen;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/Some/Path',
      rawQueryString: 'b=2&a=1&a=3&empty=',
      queryStringParameters: { b: '2', a: '1,3', empty: '' },
      cookies: ['c1=v1', 'c2=v2'],
      body: '{"hello":"wörld"}',
      isBase64Encoded: false,
      requestContext: {
        routeKey: '$default',
        stage: '$default',
        domainName: '127.0.0.1',
        http: { method: 'POST', path: '/v1/Some/Path', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'it-test' },
      },
    });
    expect(event!.headers).toMatchObject({ 'x-mixed-case': 'One', 'x-multi': 'a,b', 'content-type': 'application/json', 'user-agent': 'it-test' });
    expect(Object.keys(event!.headers).every((h) => h === h.toLowerCase())).toBe(true);
    expect(event!.headers['cookie']).toBeUndefined();
    expect(event!.requestContext.requestId).toMatch(UUID);
    expect(event!.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event!.requestContext.timeEpoch - Date.now())).toBeLessThan(60_000);
    expect(second).toMatchObject({ rawPath: '/', rawQueryString: '', isBase64Encoded: false });
    expect(second!.body).toBeUndefined();
    expect(second!.queryStringParameters).toBeUndefined();
    expect(second!.requestContext.requestId).not.toBe(event!.requestContext.requestId);
  });

  it('passes a body that is not UTF-8 as base64', async () => {
    seen = [];
    reply = async () => ({ statusCode: 200, body: '{}' });
    const bytes = new Uint8Array([0x00, 0xff, 0xc3, 0x28, 0x80]);
    await rawRequest(server.url, { method: 'PUT', path: '/bin', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(seen[0]!.isBase64Encoded).toBe(true);
    expect(new Uint8Array(Buffer.from(seen[0]!.body!, 'base64'))).toEqual(bytes);
  });

  it('writes status, headers, cookies and a base64 body back', async () => {
    const payload = new Uint8Array([1, 2, 3, 250]);
    reply = async () => ({
      statusCode: 201,
      headers: { 'Content-Type': 'application/octet-stream', 'x-extra': 'yes' },
      cookies: ['a=1; Path=/', 'b=2'],
      body: Buffer.from(payload).toString('base64'),
      isBase64Encoded: true,
    });
    const res = await rawRequest(server.url, { method: 'GET', path: '/x', headers: {} });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-extra']).toBe('yes');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(new Uint8Array(res.body)).toEqual(payload);
  });

  it('answers 500 as API Gateway does when the handler throws', async () => {
    reply = async () => {
      throw new Error('handler bug with secret detail');
    };
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const res = await fetch(`${server.url}/v1/node`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ message: 'Internal Server Error' });
      expect(text).not.toContain('secret');
      expect(spy).toHaveBeenCalled();
      // The id the failure was logged under.
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      expect(String(spy.mock.calls[0]?.[0])).toContain(id!);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses a body over the limit with 413 before invoking the handler', async () => {
    seen = [];
    reply = async () => ({ statusCode: 200 });
    const res = await fetch(`${server.url}/v1/peers`, { method: 'POST', body: 'x'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 'payload-too-large', message: 'request body is larger than 1024 bytes' });
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(seen).toEqual([]);
    const ok = await fetch(`${server.url}/v1/peers`, { method: 'POST', body: 'x'.repeat(1024) });
    expect(ok.status).toBe(200);
    expect(seen[0]!.body).toHaveLength(1024);
  });
});

describe('local HTTP server start-up errors', () => {
  it('a port already in use rejects with one line naming the variable to change', async () => {
    const first = await startHttpServer({ port: 0, handler: async () => ({ statusCode: 200 }) });
    try {
      const error = await startHttpServer({ port: first.port, handler: async () => ({ statusCode: 200 }), portVariable: 'PORT' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toBe(`HTTP API: port ${first.port} on 127.0.0.1 is already in use; set PORT to a free port`);
      expect(message).not.toContain('\n');
      const named = await startHttpServer({ port: first.port, handler: async () => ({ statusCode: 200 }), portVariable: 'STORMCELL_HTTP_PORT' }).catch(
        (e: unknown) => e as Error,
      );
      expect((named as Error).message).toMatch(/set STORMCELL_HTTP_PORT to a free port$/);
    } finally {
      await first.stop();
    }
    // The first server really stopped: its port can be taken again.
    const again = await startHttpServer({ port: first.port, handler: async () => ({ statusCode: 200 }) });
    await again.stop();
  });
});
