/**
 * What the embedded deployment's HTTP server invokes: the HTTP API handler
 * (functions/http/handler.ts), as one tracked invocation, behind two gates
 * Lambda has no need for. While the deployment stops, every request is
 * answered 503 (nothing new starts). While DynamoDB Local is down (its JVM
 * exited and is being restarted), the routes that need it are answered 503
 * with Retry-After instead of 500; `GET /v1/health` and
 * `GET /v1/openapi.json` are still served.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpErrorCode } from '../../functions/http/errors.js';
import type { InFlight } from './in-flight.js';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** Seconds a client is told to wait before retrying. */
export const RETRY_AFTER_SEC = 5;

/** Routes served while DynamoDB is down: they do not read the store (health reports it down). */
const SERVED_WHILE_DOWN = new Set(['/v1/health', '/v1/openapi.json']);

/** The HTTP API's answer while it cannot serve a route: 503 with Retry-After, in the API's error shape. */
export function unavailableResponse(message: string, retryAfterSec = RETRY_AFTER_SEC): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'retry-after': String(retryAfterSec) },
    body: JSON.stringify({ code: HttpErrorCode.unavailable, message }),
    isBase64Encoded: false,
  };
}

export function embeddedHttpHandler(options: { readonly api: Handler; readonly inFlight: InFlight; readonly dynamoDown: () => boolean }): Handler {
  const { api, inFlight, dynamoDown } = options;
  const dynamoMessage = 'DynamoDB Local is down and being restarted; retry later';
  return async (event) => {
    if (!inFlight.accepting) return unavailableResponse('the node is stopping');
    const method = event.requestContext?.http?.method ?? '';
    const served = method === 'GET' && SERVED_WHILE_DOWN.has(event.rawPath);
    if (dynamoDown() && !served) return unavailableResponse(dynamoMessage);
    const result = await inFlight.run(`HTTP ${method} ${event.rawPath}`, () => api(event));
    // Down while it ran (the store refused the connection): the same 503, not an internal error.
    if (result.statusCode === 500 && dynamoDown()) return unavailableResponse(dynamoMessage);
    return result;
  };
}
