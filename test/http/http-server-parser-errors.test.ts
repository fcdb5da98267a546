/**
 * Requests Node's HTTP parser refuses before any handler runs (bad method,
 * header characters, Content-Length, URL, version, headers too large), a
 * missing Host, and CONNECT: the local server answers each in the API's
 * error shape, `{ code, message }` with `x-request-id` and
 * `connection: close`, never a bare 400/431 or silence. Sent over raw TCP
 * (node:net), since no HTTP client sends them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../functions/http/handler.js';
import { openApi } from '../../functions/http/routes.js';
import { clientErrorAnswer, startHttpServer, type LocalHttpServer } from '../../infra/local/http-server.js';
import { API_KEY, API_KEY_SHA256 } from './support/events.js';
import { FakeNodeApi } from './support/fake-node-api.js';
import { validate } from './support/json-schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const AUTH = `Authorization: Bearer ${API_KEY}\r\n`;

interface RawResponse {
  readonly statusLine: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Bytes after the first response (there must be none: the server closes). */
  readonly rest: string;
}

/** Sends `request` as is (latin1: one byte per char) and reads until the server closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close while we still write: what it answered is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(Buffer.from(request, 'latin1'));
  });
}

function parseResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  expect(split, `a complete head in ${JSON.stringify(raw.slice(0, 200))}`).toBeGreaterThan(0);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length']);
  const afterHead = raw.slice(split + 4);
  const bytes = Buffer.from(afterHead, 'utf8');
  return {
    statusLine: statusLine!,
    status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]),
    headers,
    body: bytes.subarray(0, length).toString('utf8'),
    rest: bytes.subarray(length).toString('utf8'),
  };
}

/** The response must be one complete JSON error in the API's shape, then the close. */
function expectApiError(response: RawResponse, status: number, code: string): { code: string; message: string } {
  expect(response.status, response.statusLine).toBe(status);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(response.headers['x-request-id']).toMatch(UUID);
  expect(response.headers['connection']).toBe('close');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(Buffer.byteLength(response.body)).toBe(Number(response.headers['content-length']));
  expect(response.rest).toBe('');
  const body = JSON.parse(response.body) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(validate(openApi(), { $ref: '#/components/schemas/Error' }, body)).toEqual([]);
  return body;
}

let server: LocalHttpServer;
let handled = 0;

beforeAll(async () => {
  const handler = createHttpHandler({
    api: new FakeNodeApi({ nodeId: '02' + '1f'.repeat(32), network: 'regtest', peers: 0, features: '' }),
    apiKeySha256: API_KEY_SHA256,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  server = await startHttpServer({
    port: 0,
    handler: (event) => {
      handled++;
      return handler(event);
    },
  });
});
afterAll(() => server.stop());

const HOST = 'Host: 127.0.0.1\r\n';

/** Each is refused by Node's parser (llhttp), named by what is wrong. */
const MALFORMED: readonly (readonly [string, string])[] = [
  ['a method with a space', `GE T /v1/node HTTP/1.1\r\n${HOST}${AUTH}\r\n`],
  ['a lower-case method', `get /v1/node HTTP/1.1\r\n${HOST}${AUTH}\r\n`],
  ['an unknown method', `FOO /v1/node HTTP/1.1\r\n${HOST}${AUTH}\r\n`],
  ['TLS bytes sent to the HTTP port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ['a space in a header name', `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}X Y: 1\r\n\r\n`],
  ['a separator in a header name', `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}X(Y: 1\r\n\r\n`],
  ['a space before the colon', `GET /v1/node HTTP/1.1\r\nHost : 127.0.0.1\r\n${AUTH}\r\n`],
  ['a control character in a header value', `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}X-Y: a\x01b\r\n\r\n`],
  ['a NUL in a header value', `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}X-Y: a\x00b\r\n\r\n`],
  ['an obsolete folded header line', `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}X-Y: a\r\n b\r\n\r\n`],
  ['conflicting Content-Length', `POST /v1/wallet/address HTTP/1.1\r\n${HOST}${AUTH}Content-Length: 1\r\nContent-Length: 2\r\n\r\n{}`],
  ['a Content-Length that is not a number', `POST /v1/wallet/address HTTP/1.1\r\n${HOST}${AUTH}Content-Length: 2x\r\n\r\n{}`],
  ['Content-Length with Transfer-Encoding', `POST /v1/wallet/address HTTP/1.1\r\n${HOST}${AUTH}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['a Transfer-Encoding not ending in chunked', `POST /v1/wallet/address HTTP/1.1\r\n${HOST}${AUTH}Transfer-Encoding: chunked, gzip\r\n\r\n`],
  ['a chunk size that is not hex', `POST /v1/wallet/address HTTP/1.1\r\n${HOST}${AUTH}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
  ['a non-ASCII path', `GET /v1/n\xc3\xb6de HTTP/1.1\r\n${HOST}${AUTH}\r\n`],
  ['a space in the path', `GET /v1/no de HTTP/1.1\r\n${HOST}${AUTH}\r\n`],
  ['an unknown HTTP version', `GET /v1/node HTTP/9.9\r\n${HOST}${AUTH}\r\n`],
  ['a protocol that is not HTTP', `GET /v1/node HTTX/1.1\r\n${HOST}${AUTH}\r\n`],
  ['bare LF line ends', `GET /v1/node HTTP/1.1\n${HOST.replace('\r', '')}${AUTH.replace('\r', '')}\n`],
  ['a CR without LF', `GET /v1/node HTTP/1.1\r${HOST}${AUTH}\r\n`],
];

describe('the local server answers what Node cannot parse in the API error shape', () => {
  it.each(MALFORMED)('%s: 400 bad-request', async (_what, request) => {
    const before = handled;
    const body = expectApiError(parseResponse(await rawExchange(server.port, request)), 400, 'bad-request');
    expect(body.message).toMatch(/^the request is not valid HTTP\/1\.1: \S/);
    expect(handled).toBe(before);
  });

  it('an HTTP/1.1 request without Host: 400 bad-request', async () => {
    const before = handled;
    const body = expectApiError(parseResponse(await rawExchange(server.port, `GET /v1/node HTTP/1.1\r\n${AUTH}\r\n`)), 400, 'bad-request');
    expect(body.message).toBe('the request is not valid HTTP/1.1: no Host header');
    expect(handled).toBe(before);
  });

  it('headers over 16 KiB (one large, or many): 431 headers-too-large', async () => {
    const large = `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}X-Large: ${'x'.repeat(20_000)}\r\n\r\n`;
    const many = `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}${Array.from({ length: 3000 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`;
    for (const request of [large, many]) {
      const body = expectApiError(parseResponse(await rawExchange(server.port, request)), 431, 'headers-too-large');
      expect(body.message).toBe('the request line and headers are larger than 16 KiB');
    }
  });

  it('CONNECT: 405 method-not-allowed with allow, and the connection closed', async () => {
    const before = handled;
    const response = parseResponse(await rawExchange(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
    expectApiError(response, 405, 'method-not-allowed');
    expect(response.headers['allow']).toBe('GET, POST');
    expect(handled).toBe(before);
  });

  it('a malformed request after a good one on the same connection: the good one is answered first, then the 400', async () => {
    const raw = await rawExchange(server.port, `GET /v1/node HTTP/1.1\r\n${HOST}${AUTH}\r\nGE T / HTTP/1.1\r\n${HOST}\r\n`);
    const first = raw.slice(0, raw.indexOf('}') + 1);
    const good = parseResponse(first);
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body)).toMatchObject({ network: 'regtest' });
    expectApiError(parseResponse(raw.slice(first.length)), 400, 'bad-request');
  });

  it('maps the timeout and chunk-extension errors too', () => {
    expect(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT', 'timeout')).toEqual({ status: 408, body: { code: 'request-timeout', message: 'the request did not arrive in time' } });
    expect(clientErrorAnswer('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'x')).toMatchObject({ status: 413, body: { code: 'payload-too-large' } });
    expect(clientErrorAnswer('HPE_INVALID_METHOD', 'Invalid method encountered')).toEqual({
      status: 400,
      body: { code: 'bad-request', message: 'the request is not valid HTTP/1.1: Invalid method encountered' },
    });
  });
});
