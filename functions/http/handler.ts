/**
 * The HTTP API Lambda handler (API Gateway HTTP API, payload format 2.0),
 * wrapped in middy: access log, error responses, API key, then routing. It
 * parses and validates, calls the {@link NodeApi} port and shapes the
 * response; no protocol logic lives here. The local server
 * (infra/local/http-server.ts) invokes the same handler.
 */
import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { API_KEY_SHA256_LENGTH, isAuthorized } from './api-key.js';
import { HttpError, HttpErrorCode, INTERNAL_MESSAGE, type ErrorBody } from './errors.js';
import type { NodeApi } from './node-api.js';
import { DEFAULT_MAX_BODY_BYTES, parseJsonBody } from './request-body.js';
import { matchRoute } from './routes.js';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** The handler as its callers see it: the Lambda runtime, the local server, tests. */
export type HttpHandler = (event: Event, context?: Context) => Promise<Result>;

export interface HttpHandlerOptions {
  /** The node, behind its port. */
  readonly api: NodeApi;
  /** SHA-256 of the API key (32 bytes); never the key itself. */
  readonly apiKeySha256: Uint8Array;
  /** Structured logger; defaults to a Powertools logger with service `stormcell-http`. */
  readonly logger?: Logger;
  /** Largest accepted request body in bytes; defaults to 64 KiB. */
  readonly maxBodyBytes?: number;
}

function requestIdOf(event: Event): string {
  return event.requestContext?.requestId ?? 'unknown';
}

function jsonResponse(event: Event, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Result {
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-request-id': requestIdOf(event),
      ...headers,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** One structured line per request: method, route, status, request id (never headers or body). */
function accessLog(logger: Logger): MiddlewareObj<Event, Result> {
  const started = new WeakMap<object, number>();
  const log = (request: { event: Event; context: Context; response: Result | null }) => {
    const event = request.event;
    const method = event.requestContext?.http?.method ?? 'UNKNOWN';
    const path = event.rawPath ?? '';
    const match = matchRoute(method, path);
    const start = started.get(event);
    logger.info('http request', {
      method,
      route: match.kind === 'found' ? `${match.route.method} ${match.route.path}` : 'unmatched',
      path: path.slice(0, 256),
      status: request.response?.statusCode ?? null,
      requestId: requestIdOf(event),
      ...(typeof request.context?.awsRequestId === 'string' ? { awsRequestId: request.context.awsRequestId } : {}),
      ...(start === undefined ? {} : { durationMs: Date.now() - start }),
    });
  };
  return {
    before: (request) => {
      started.set(request.event, Date.now());
    },
    after: log,
    onError: log,
  };
}

/** Turns any error into a JSON `{ code, message }` response; unexpected errors become `internal` and are logged. */
function errorResponses(logger: Logger): MiddlewareObj<Event, Result> {
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof HttpError) {
        const body: ErrorBody = { code: error.code, message: error.message };
        request.response = jsonResponse(request.event, error.status, body, error.headers);
        return;
      }
      logger.error('http request failed', { requestId: requestIdOf(request.event), error });
      const body: ErrorBody = { code: HttpErrorCode.internal, message: INTERNAL_MESSAGE };
      request.response = jsonResponse(request.event, 500, body);
    },
  };
}

/** Rejects requests without the right `authorization: Bearer <key>` before any routing. */
function apiKeyAuth(apiKeySha256: Uint8Array): MiddlewareObj<Event, Result> {
  return {
    before: (request) => {
      if (!isAuthorized(request.event.headers?.['authorization'], apiKeySha256)) {
        throw new HttpError(HttpErrorCode.unauthorized, 'missing or invalid API key', { 'www-authenticate': 'Bearer' });
      }
    },
  };
}

/**
 * Builds the HTTP API handler around `api`. Every route requires the API
 * key (including `GET /v1/openapi.json`); see docs/http-api.md.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  if (options.apiKeySha256.length !== API_KEY_SHA256_LENGTH) throw new RangeError('apiKeySha256 must be the 32-byte SHA-256 of the key');
  const apiKeySha256 = Uint8Array.from(options.apiKeySha256);
  const logger = options.logger ?? new Logger({ serviceName: 'stormcell-http' });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { api } = options;

  const route = async (event: Event): Promise<Result> => {
    const method = event.requestContext?.http?.method ?? '';
    const match = matchRoute(method, event.rawPath ?? '');
    const path = (event.rawPath ?? '').slice(0, 256);
    if (match.kind === 'not-found') throw new HttpError(HttpErrorCode.notFound, `no route for ${path}`);
    if (match.kind === 'method-not-allowed') {
      const allow = match.allow.join(', ');
      throw new HttpError(HttpErrorCode.methodNotAllowed, `${method.slice(0, 16)} is not allowed on ${path}; use ${allow}`, { allow });
    }
    const json = match.route.requestBody === undefined ? undefined : parseJsonBody(event, maxBodyBytes);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = value;
    const body = await match.route.handle(api, { json, params: match.params, query, headers });
    return jsonResponse(event, match.route.success.status, body);
  };

  const wrapped = middy<Event, Result>()
    .use(accessLog(logger))
    .use(errorResponses(logger))
    .use(apiKeyAuth(apiKeySha256))
    .handler(route);
  // Outside Lambda (local server, tests) there is no context; middy accepts an empty one.
  return (event, context) => wrapped(event, context ?? ({} as Context));
}
