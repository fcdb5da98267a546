/**
 * The embedded deployment's HTTP API: a node:http server that turns each
 * request into an API Gateway HTTP API (payload format 2.0) event, invokes the
 * same handler Lambda runs, and writes the result back as API Gateway would.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HTTP_ERROR_STATUS, HttpErrorCode, type ErrorBody } from '../../functions/http/errors.js';

/** What the server invokes: the HTTP API handler (functions/http/handler.ts) or any v2 handler. */
export type ApiGatewayV2Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpServerOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  readonly host?: string;
  readonly handler: ApiGatewayV2Handler;
  /** The environment variable that sets `port`, named in the port-in-use error; defaults to `PORT`. */
  readonly portVariable?: string;
  /** Largest request body passed on; larger ones get 413 as on API Gateway (10 MiB). */
  readonly maxBodyBytes?: number;
}

export interface LocalHttpServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** API Gateway's request payload limit for HTTP APIs. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `25/Nov/2026:22:56:47 +0000`, the format of `requestContext.time`. */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    req.on('data', (chunk: Uint8Array) => {
      length += chunk.length;
      if (length > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Headers as API Gateway v2 passes them: lower-cased names, repeats joined by commas, cookies apart. */
function headersOf(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

function queryParametersOf(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}

/** Builds the API Gateway HTTP API (2.0) event for one request. Exported for tests. */
export function toApiGatewayEvent(req: IncomingMessage, body: Uint8Array, nowMs: number): APIGatewayProxyEventV2 {
  const target = req.url ?? '/';
  const pathAndQuery = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '') || '/' : target;
  const q = pathAndQuery.indexOf('?');
  const rawPath = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const rawQueryString = q < 0 ? '' : pathAndQuery.slice(q + 1);
  const { headers, cookies } = headersOf(req);
  const domainName = (headers['host'] ?? 'localhost').replace(/:\d+$/, '');
  const queryStringParameters = queryParametersOf(rawQueryString);
  let text: string | undefined;
  if (body.length > 0) {
    try {
      text = UTF8_STRICT.decode(body);
    } catch {
      text = undefined;
    }
  }
  const method = req.method ?? 'GET';
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: { method, path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: requestTime(nowMs),
      timeEpoch: nowMs,
    },
    ...(body.length === 0 ? {} : { body: text ?? Buffer.from(body).toString('base64') }),
    isBase64Encoded: body.length > 0 && text === undefined,
  };
}

/** A JSON response from the server itself (not the handler), with a fresh `x-request-id` unless one is given. */
function writeJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-request-id': randomUUID(),
    ...extra,
  });
  res.end(text);
}

/** The API's error answer to a request the handler never sees: status and `{ code, message }`. */
export interface ServerErrorAnswer {
  readonly status: number;
  readonly body: ErrorBody;
}

const serverError = (code: HttpErrorCode, message: string): ServerErrorAnswer => ({ status: HTTP_ERROR_STATUS[code], body: { code, message } });

/**
 * The answer to an error of Node's HTTP parser (the server's `clientError`
 * event, `code` the error's): 431 when the request line and headers are too
 * large, 413 for oversized chunk extensions, 408 for a request that did not
 * arrive in time, else 400. `reason` is llhttp's fixed description (never
 * bytes of the request). Exported for tests.
 */
export function clientErrorAnswer(code: string | undefined, reason: string): ServerErrorAnswer {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return serverError(HttpErrorCode.headersTooLarge, 'the request line and headers are larger than 16 KiB');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return serverError(HttpErrorCode.payloadTooLarge, 'the chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return serverError(HttpErrorCode.requestTimeout, 'the request did not arrive in time');
    default:
      return serverError(HttpErrorCode.badRequest, `the request is not valid HTTP/1.1: ${reason}`);
  }
}

/**
 * A whole HTTP/1.1 response as bytes, for a socket with no ServerResponse
 * (parser errors, CONNECT): JSON body, `x-request-id`, `connection: close`.
 */
function rawJsonResponse(answer: ServerErrorAnswer, extra: Readonly<Record<string, string>> = {}): Buffer {
  const body = JSON.stringify(answer.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-request-id': randomUUID(),
    ...extra,
    connection: 'close',
  };
  const head = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`, ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`)].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'utf8');
}

/** How long a socket answered with an error may keep sending before it is closed. */
const LINGER_MS = 2_000;

/**
 * Answers a socket Node's parser gave up on: from now on what the client
 * sends is read and dropped (the parser must not see it again, and closing
 * with unread bytes would reset the connection and could lose the answer);
 * once `earlier` (the answers to complete requests before this one on the
 * connection, in order) are written, `response` is, then the socket closes.
 */
function answerAndClose(socket: Duplex, response: Buffer, earlier: readonly ServerResponse[] = []): void {
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.resume();
  const written = earlier.map((res) => (res.writableFinished || res.destroyed ? Promise.resolve() : new Promise<void>((done) => res.once('close', () => done()).once('finish', () => done()))));
  void Promise.all(written).then(() => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(response);
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  });
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = result.body === undefined ? new Uint8Array(0) : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = [...result.cookies];
  if (!('content-type' in headers) && body.length > 0) headers['content-type'] = 'application/json';
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number, variable: string): Error {
  if (error.code === 'EADDRINUSE') return new Error(`HTTP API: port ${port} on ${host} is already in use; set ${variable} to a free port`);
  if (error.code === 'EACCES') return new Error(`HTTP API: not allowed to listen on port ${port} on ${host}; set ${variable} to a port above 1023`);
  return new Error(`HTTP API: cannot listen on ${host}:${port} (${error.code ?? error.message}); check ${variable}`.replace(/\s+/g, ' '));
}

/** Starts the server; rejects with a one-line error naming `portVariable` when the port is taken. */
export function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const variable = options.portVariable ?? 'PORT';
  const maxBodyBytes = options.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;

  // The requests being answered on each connection, in order (pipelining), so
  // that a parser error on a later request is answered after them.
  const inFlight = new WeakMap<Duplex, { readonly req: IncomingMessage; readonly res: ServerResponse }[]>();

  // A missing Host is answered below in the API's shape, not with Node's bare 400.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    const onSocket = inFlight.get(req.socket) ?? [];
    inFlight.set(req.socket, onSocket);
    const entry = { req, res };
    onSocket.push(entry);
    res.once('close', () => {
      const at = onSocket.indexOf(entry);
      if (at >= 0) onSocket.splice(at, 1);
    });
    void (async () => {
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        req.resume();
        const answer = serverError(HttpErrorCode.badRequest, 'the request is not valid HTTP/1.1: no Host header');
        writeJson(res, answer.status, answer.body, { connection: 'close' });
        return;
      }
      let body: Uint8Array;
      try {
        body = await readBody(req, maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          const answer = serverError(HttpErrorCode.payloadTooLarge, `request body is larger than ${maxBodyBytes} bytes`);
          writeJson(res, answer.status, answer.body, { connection: 'close' });
        } else {
          res.destroy();
        }
        return;
      }
      let result: APIGatewayProxyStructuredResultV2;
      const event = toApiGatewayEvent(req, body, Date.now());
      try {
        result = await options.handler(event);
      } catch (error) {
        console.error(`HTTP API: the handler threw (request ${event.requestContext.requestId})`, error);
        writeJson(res, 500, { message: 'Internal Server Error' }, { 'x-request-id': event.requestContext.requestId });
        return;
      }
      try {
        writeResult(res, result);
      } catch (error) {
        // A result API Gateway could not send either (e.g. an invalid header): answer as it does.
        console.error('HTTP API: the handler returned an unsendable result', error);
        if (res.headersSent) res.destroy();
        else writeJson(res, 502, { message: 'Internal Server Error' }, { 'x-request-id': event.requestContext.requestId });
      }
    })();
  });

  // Node's parser refused the request (bad method, header characters, Content-Length,
  // URL, headers too large, ...): answer in the API's shape instead of Node's bare 400/431.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
      socket.destroy();
      return;
    }
    const reason = error.message.replace(/^Parse Error: /, '');
    // Requests received whole are answered first; one cut short by the error is the one refused.
    const earlier = (inFlight.get(socket) ?? []).filter((r) => r.req.complete).map((r) => r.res);
    answerAndClose(socket, rawJsonResponse(clientErrorAnswer(error.code, reason)), earlier);
  });
  // Not a proxy: CONNECT gets a 405 (without a listener Node would drop the connection unanswered).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const answer = serverError(HttpErrorCode.methodNotAllowed, 'CONNECT is not allowed: this server is not a proxy; use GET or POST');
    answerAndClose(socket, rawJsonResponse(answer, { allow: 'GET, POST' }));
  });

  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.close();
      reject(listenError(error, host, options.port, variable));
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${port}`,
        port,
        stop: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
