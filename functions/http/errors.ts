/**
 * The HTTP API's errors: a closed set of stable codes, each with its status.
 * Every error response body is `{ "code", "message" }`.
 */

/** Stable error codes of the HTTP API (docs/http-api.md). */
export const HttpErrorCode = {
  unauthorized: 'unauthorized',
  notFound: 'not-found',
  methodNotAllowed: 'method-not-allowed',
  invalidJson: 'invalid-json',
  invalidRequest: 'invalid-request',
  payloadTooLarge: 'payload-too-large',
  insufficientFunds: 'insufficient-funds',
  tooManyUnconfirmed: 'too-many-unconfirmed',
  /** The payment or anchor channel would leave the anchor reserve (25,000 sat of confirmed coins per anchor channel) uncovered. */
  anchorReserveNotCovered: 'anchor-reserve-not-covered',
  peerNotConnected: 'peer-not-connected',
  /** The channel cannot be closed cooperatively now: not `ready` (still opening, already closing or closed), an HTLC of ours not yet signed or in the holding cell (a moment later it is), or a held request. HTLCs in flight are fine: they settle before the closing transaction. */
  channelNotClosable: 'channel-not-closable',
  /** The channel's forwarding policy cannot be set: it is closed, closing, or a held request. */
  channelNotConfigurable: 'channel-not-configurable',
  internal: 'internal',
  /** The node is busy with other inputs (its lease stayed taken for the request's wait budget): retry after `Retry-After` seconds. */
  busy: 'busy',
  /** The request is not valid HTTP/1.1 (answered by the local server before any handler; on AWS, API Gateway answers these). */
  badRequest: 'bad-request',
  /** The request line and headers are larger than the server reads (local server). */
  headersTooLarge: 'headers-too-large',
  /** The request did not arrive in time (local server). */
  requestTimeout: 'request-timeout',
  /** The node cannot serve now: the embedded deployment is stopping, or its DynamoDB Local is down and being restarted (`Retry-After`). */
  unavailable: 'unavailable',
  /** A request that must carry an `Idempotency-Key` header (a payment) came without one. */
  idempotencyKeyRequired: 'idempotency-key-required',
  /** The `Idempotency-Key` was used before with a different request: nothing was done. */
  idempotencyKeyReused: 'idempotency-key-reused',
  /** The invoice is paid: it cannot be canceled. */
  invoicePaid: 'invoice-paid',
  /** `bolt11` is not a BOLT 11 invoice the node can read. */
  invalidInvoice: 'invalid-invoice',
  /** The invoice's expiry has passed. */
  invoiceExpired: 'invoice-expired',
  /** The invoice is for another chain than the node's. */
  wrongNetwork: 'wrong-network',
  /** That payment hash is pending or paid already: nothing was done. */
  duplicatePayment: 'duplicate-payment',
  /** No usable channel path to the payee (its channel or a route hint) within the fee limit. */
  noRoute: 'no-route',
  /** Our channels towards the payee cannot send that much now. */
  insufficientBalance: 'insufficient-balance',
  /** The node has the most webhooks it keeps (10): delete one first. */
  tooManyWebhooks: 'too-many-webhooks',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** The status each code is answered with. */
export const HTTP_ERROR_STATUS: Readonly<Record<HttpErrorCode, number>> = {
  unauthorized: 401,
  'not-found': 404,
  'method-not-allowed': 405,
  'invalid-json': 400,
  'invalid-request': 400,
  'payload-too-large': 413,
  'insufficient-funds': 422,
  'too-many-unconfirmed': 422,
  'anchor-reserve-not-covered': 422,
  'peer-not-connected': 409,
  'channel-not-closable': 409,
  'channel-not-configurable': 409,
  internal: 500,
  busy: 503,
  'bad-request': 400,
  'headers-too-large': 431,
  'request-timeout': 408,
  unavailable: 503,
  'idempotency-key-required': 400,
  'idempotency-key-reused': 409,
  'invoice-paid': 409,
  'invalid-invoice': 400,
  'invoice-expired': 400,
  'wrong-network': 400,
  'duplicate-payment': 409,
  'no-route': 422,
  'insufficient-balance': 422,
  'too-many-webhooks': 409,
};

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly code: HttpErrorCode;
  readonly message: string;
}

/**
 * An error the API answers as it is: its message is meant for the client.
 * Anything else thrown while handling a request is answered as `internal`
 * with a fixed message, and logged.
 */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly status: number;
  /** Extra response headers (`allow` on 405, `www-authenticate` on 401, `retry-after` on 503). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: HttpErrorCode, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.status = HTTP_ERROR_STATUS[code];
    this.headers = headers;
  }
}

/** The message of every `internal` response: nothing of the cause leaks. */
export const INTERNAL_MESSAGE = 'internal error; see the server logs for this request id';

/** Seconds a `busy` (503) answer asks the client to wait before trying again (`Retry-After`). */
export const BUSY_RETRY_AFTER_SEC = 1;

/** 503 `busy` with `Retry-After`: the node's lease stayed taken by other inputs for the whole wait budget; nothing was done. */
export function busyError(waitedMs: number): HttpError {
  return new HttpError(HttpErrorCode.busy, `the node is busy with other requests (waited ${waitedMs} ms); nothing was done, retry after ${BUSY_RETRY_AFTER_SEC} s`, {
    'retry-after': String(BUSY_RETRY_AFTER_SEC),
  });
}
