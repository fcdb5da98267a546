/**
 * The payments routes of the HTTP API (docs/payments-api.md): pay a BOLT 11
 * invoice or a keysend (an `Idempotency-Key` is required: the payment id is
 * derived from it), read a payment, list them. Bodies, query strings and
 * answers are valibot schemas; their JSON Schemas are generated from them.
 */
import * as v from 'valibot';
import { HttpErrorCode, HttpError } from './errors.js';
import { requestFingerprint } from './idempotency.js';
import { schemaRef, type DocumentedParameter, type SchemaObject } from './openapi.js';
import type { PaymentInfo } from './payment-api.js';
import { IDEMPOTENCY_KEY_PATTERN, bodiless, idempotencyKeyOf, jsonSchemaOf, parseWith, withBody, type Route, type RouteRequest } from './route-kit.js';

/** The largest amount the API takes (msat): JSON numbers are exact up to 2^53 - 1 (about 90,000 BTC). */
export const MAX_PAYMENT_MSAT = Number.MAX_SAFE_INTEGER;
/** Longest `bolt11` accepted (an invoice with many route hints is a few thousand characters). */
export const BOLT11_MAX_LENGTH = 8192;
/** A payment id or hash: 32 bytes, hex. */
export const PAYMENT_ID_PATTERN = '^[0-9a-fA-F]{64}$';
const NODE_ID_PATTERN = '^0[23][0-9a-fA-F]{64}$';
export const PAYMENT_LIST_MAX = 100;
export const PAYMENT_LIST_DEFAULT = 50;

const MESSAGES = {
  bolt11: `must be a BOLT 11 invoice (1 to ${BOLT11_MAX_LENGTH} visible ASCII characters)`,
  amountMsat: `must be an integer from 1 to ${MAX_PAYMENT_MSAT}`,
  maxFeeMsat: `must be an integer from 0 to ${MAX_PAYMENT_MSAT}`,
  nodeId: 'must be a 33-byte compressed public key in hex (02 or 03 prefix)',
  state: 'must be one of pending, succeeded, failed',
  limit: `must be an integer from 1 to ${PAYMENT_LIST_MAX}`,
  after: 'must be a payment id (64 hex digits): the nextAfter of an earlier page',
} as const;

const msat = (min: number, message: string) => v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(MAX_PAYMENT_MSAT, message));

/** The body of `POST /v1/payments` (unknown fields are refused). */
export const PayInvoiceBody = v.strictObject({
  bolt11: v.pipe(v.string(MESSAGES.bolt11), v.minLength(1, MESSAGES.bolt11), v.maxLength(BOLT11_MAX_LENGTH, MESSAGES.bolt11), v.regex(/^[\x21-\x7e]+$/, MESSAGES.bolt11)),
  amountMsat: v.optional(msat(1, MESSAGES.amountMsat)),
  maxFeeMsat: v.optional(msat(0, MESSAGES.maxFeeMsat)),
});

/** The body of `POST /v1/payments/keysend` (unknown fields are refused). */
export const KeysendBody = v.strictObject({
  nodeId: v.pipe(v.string(MESSAGES.nodeId), v.regex(new RegExp(NODE_ID_PATTERN), MESSAGES.nodeId), v.toLowerCase()),
  amountMsat: msat(1, MESSAGES.amountMsat),
});

const STATES = ['pending', 'succeeded', 'failed'] as const;

/** The query string of `GET /v1/payments`. */
export const PaymentListQuery = v.strictObject({
  state: v.optional(v.picklist(STATES, MESSAGES.state)),
  limit: v.optional(v.pipe(v.string(MESSAGES.limit), v.regex(/^[0-9]{1,3}$/, MESSAGES.limit), v.transform(Number), v.minValue(1, MESSAGES.limit), v.maxValue(PAYMENT_LIST_MAX, MESSAGES.limit))),
  after: v.optional(v.pipe(v.string(MESSAGES.after), v.regex(new RegExp(PAYMENT_ID_PATTERN), MESSAGES.after), v.toLowerCase())),
});

const hex32 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));

/** What a started payment answers (202). */
export const PaymentAcceptedSchema = v.strictObject({
  paymentId: v.pipe(hex32, v.description('Derived from the Idempotency-Key: the same key always names this payment.')),
  paymentHash: hex32,
  state: v.picklist(['pending']),
});

const nullable = <T extends v.GenericSchema>(s: T) => v.nullable(s);
const isoTime = v.pipe(v.string(), v.isoTimestamp());

/** A payment as the API reports it. */
export const PaymentSchema = v.strictObject({
  paymentId: hex32,
  paymentHash: hex32,
  kind: v.picklist(['bolt11', 'keysend']),
  payeeNodeId: v.pipe(v.string(), v.regex(/^0[23][0-9a-f]{64}$/)),
  state: v.picklist(STATES),
  amountMsat: v.pipe(v.number(), v.integer(), v.description('What the payee receives (msat).')),
  maxFeeMsat: v.pipe(v.number(), v.integer(), v.description('The routing fee limit it was sent with (msat).')),
  feeMsat: nullable(v.pipe(v.number(), v.integer(), v.description('Fees paid to the route (msat), once succeeded.'))),
  preimage: nullable(v.pipe(hex32, v.description('The payment preimage (proof of payment), once succeeded: its SHA-256 is the payment hash.'))),
  failureReason: nullable(
    v.pipe(
      v.string(),
      v.description('Why it failed: `RecipientRejected`, `RetriesExhausted`, `PaymentExpired`, `RouteNotFound`, `UserAbandoned` or `UnexpectedError` (LDK\'s PaymentFailureReason).'),
    ),
  ),
  createdAt: isoTime,
  completedAt: nullable(isoTime),
});

export const PaymentListSchema = v.strictObject({
  payments: v.array(PaymentSchema),
  nextAfter: v.optional(v.pipe(hex32, v.description('Pass as `after` for the next page; absent on the last page.'))),
});

const IDEMPOTENCY_HEADER: DocumentedParameter = {
  name: 'Idempotency-Key',
  description:
    'Required. 1 to 255 visible ASCII characters, unique per payment. The payment id is derived from it; the same key with the same body answers ' +
    'the first answer again (for at least 24 hours), with another body 409 `idempotency-key-reused`. Missing: 400 `idempotency-key-required`.',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  required: true,
};

/** JSON Schemas of the payments routes (`components.schemas`), generated from the valibot schemas above. */
export const PAYMENT_SCHEMAS: Readonly<Record<string, SchemaObject>> = {
  PayInvoiceRequest: jsonSchemaOf(PayInvoiceBody, 'A BOLT 11 invoice to pay. `amountMsat` only for an invoice without an amount; `maxFeeMsat` defaults to 1% of the amount plus 50 sat.'),
  KeysendRequest: jsonSchemaOf(KeysendBody, 'A spontaneous payment (keysend) to a node.'),
  PaymentAccepted: jsonSchemaOf(PaymentAcceptedSchema, 'The payment is committed and its HTLC on its way; follow it with `GET /v1/payments/{paymentId}` or the events.'),
  Payment: jsonSchemaOf(PaymentSchema, 'A payment sent over the API.'),
  PaymentList: jsonSchemaOf(PaymentListSchema, 'A page of payments, in payment-id order.'),
};

const isoOf = (secs: number): string => new Date(secs * 1000).toISOString();

/** The JSON of a payment. */
export function paymentJson(p: PaymentInfo): v.InferOutput<typeof PaymentSchema> {
  return {
    paymentId: p.paymentId,
    paymentHash: p.paymentHash,
    kind: p.kind,
    payeeNodeId: p.payeeNodeId,
    state: p.state,
    amountMsat: Number(p.amountMsat),
    maxFeeMsat: Number(p.maxFeeMsat),
    feeMsat: p.feeMsat === null ? null : Number(p.feeMsat),
    preimage: p.preimage,
    failureReason: p.failureReason,
    createdAt: isoOf(p.createdAtSecs),
    completedAt: p.completedAtSecs === null ? null : isoOf(p.completedAtSecs),
  };
}

/** The request's Idempotency-Key (required) and the fingerprint of its validated body. */
function identityOf(request: RouteRequest, path: string, body: unknown) {
  const idempotencyKey = idempotencyKeyOf(request, true)!;
  return { idempotencyKey, fingerprint: requestFingerprint('POST', path, body) };
}

const PAYMENT_ERRORS = ['PaymentConflict', 'PaymentUnroutable', 'Busy'] as const;

export const PAYMENT_ROUTES: readonly Route[] = [
  withBody(PayInvoiceBody, {
    method: 'POST',
    path: '/v1/payments',
    operationId: 'payInvoice',
    summary: 'Pay a BOLT 11 invoice.',
    description:
      'Decodes the invoice, finds a route (a channel with the payee, or a route hint starting at one of our peers, within `maxFeeMsat`) and ' +
      'commits the payment, its record and the Idempotency-Key in one transaction before answering 202; the HTLC leaves after that commit. ' +
      'Errors: 400 `invalid-invoice`, `invoice-expired`, `wrong-network`, `invalid-request`, `idempotency-key-required`; 409 `duplicate-payment`, ' +
      '`idempotency-key-reused`; 422 `no-route`, `insufficient-balance`; 503 `busy`. Nothing is stored or paid on an error.',
    requestBody: { description: 'The invoice.', schema: schemaRef('PayInvoiceRequest') },
    headerParameters: [IDEMPOTENCY_HEADER],
    success: { status: 202, description: 'The payment is committed and pending.', schema: schemaRef('PaymentAccepted') },
    errors: PAYMENT_ERRORS,
    async run(api, body, request) {
      const identity = identityOf(request, '/v1/payments', body);
      const accepted = await api.payInvoice(
        {
          bolt11: body.bolt11,
          ...(body.amountMsat === undefined ? {} : { amountMsat: BigInt(body.amountMsat) }),
          ...(body.maxFeeMsat === undefined ? {} : { maxFeeMsat: BigInt(body.maxFeeMsat) }),
        },
        identity,
      );
      return { paymentId: accepted.paymentId, paymentHash: accepted.paymentHash, state: accepted.state };
    },
  }),
  withBody(KeysendBody, {
    method: 'POST',
    path: '/v1/payments/keysend',
    operationId: 'payKeysend',
    summary: 'Send a spontaneous payment (keysend) to a node.',
    description:
      'A payment without an invoice: the preimage is ours, random, carried in the onion to the payee (which must accept keysend). ' +
      'Committed before the 202 as `POST /v1/payments` is; the same errors apply except the invoice ones.',
    requestBody: { description: 'The payee and amount.', schema: schemaRef('KeysendRequest') },
    headerParameters: [IDEMPOTENCY_HEADER],
    success: { status: 202, description: 'The payment is committed and pending.', schema: schemaRef('PaymentAccepted') },
    errors: PAYMENT_ERRORS,
    async run(api, body, request) {
      const identity = identityOf(request, '/v1/payments/keysend', body);
      const accepted = await api.payKeysend({ nodeId: body.nodeId, amountMsat: BigInt(body.amountMsat) }, identity);
      return { paymentId: accepted.paymentId, paymentHash: accepted.paymentHash, state: accepted.state };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/payments',
    operationId: 'listPayments',
    summary: 'Payments sent over the API, a page at a time.',
    description: 'In payment-id order. `state` keeps only payments in that state; `limit` (1 to 100, default 50); `after`: the `nextAfter` of the previous page.',
    queryParameters: [
      { name: 'state', description: 'Only payments in this state.', schema: { type: 'string', enum: [...STATES] } },
      { name: 'limit', description: `At most this many payments (default ${PAYMENT_LIST_DEFAULT}).`, schema: { type: 'integer', minimum: 1, maximum: PAYMENT_LIST_MAX } },
      { name: 'after', description: 'The cursor: `nextAfter` of an earlier page.', schema: { type: 'string', pattern: PAYMENT_ID_PATTERN } },
    ],
    success: { status: 200, description: 'The page.', schema: schemaRef('PaymentList') },
    async run(api, _params, request) {
      const q = parseWith(PaymentListQuery, request.query);
      const page = await api.listPayments({ limit: q.limit ?? PAYMENT_LIST_DEFAULT, ...(q.state === undefined ? {} : { state: q.state }), ...(q.after === undefined ? {} : { after: q.after }) });
      return { payments: page.payments.map(paymentJson), ...(page.nextAfter === undefined ? {} : { nextAfter: page.nextAfter }) };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/payments/{paymentId}',
    operationId: 'getPayment',
    summary: 'One payment: its state, amount, fee, preimage or failure reason.',
    pathParameters: [{ name: 'paymentId', description: 'The id `POST /v1/payments` answered.', pattern: PAYMENT_ID_PATTERN }],
    success: { status: 200, description: 'The payment.', schema: schemaRef('Payment') },
    errors: ['NotFound'],
    async run(api, params) {
      const id = params['paymentId'];
      if (id === undefined) throw new HttpError(HttpErrorCode.notFound, 'no payment id');
      return paymentJson(await api.getPayment(id.toLowerCase()));
    },
  }),
  bodiless({
    method: 'POST',
    path: '/v1/payments/{paymentId}/abandon',
    operationId: 'abandonPayment',
    summary: 'Stop retrying a pending payment.',
    description:
      'LDK\'s `abandon_payment`: no new attempt starts. With no HTLC in flight the payment is `failed` (`UserAbandoned`) at once; with HTLCs in ' +
      'flight it stays `pending` until they come back, then fails, unless the payee claims one with the preimage first (then it is `succeeded`: ' +
      'the money reached the payee). A `succeeded` or `failed` payment is answered as it is. Repeating the call is harmless.',
    pathParameters: [{ name: 'paymentId', description: 'The id `POST /v1/payments` answered.', pattern: PAYMENT_ID_PATTERN }],
    success: { status: 200, description: 'The payment after the call.', schema: schemaRef('Payment') },
    errors: ['NotFound', 'Busy'],
    async run(api, params) {
      const id = params['paymentId'];
      if (id === undefined) throw new HttpError(HttpErrorCode.notFound, 'no payment id');
      return paymentJson(await api.abandonPayment(id.toLowerCase()));
    },
  }),
];
