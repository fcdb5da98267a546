/**
 * The invoice routes of the HTTP API (docs/invoices-api.md): create, read,
 * list and cancel invoices. Bodies and query strings are validated by the
 * valibot schemas below, and the OpenAPI document's JSON Schemas are
 * generated from the same schemas (route-kit.ts `jsonSchemaOf`).
 */
import * as v from 'valibot';
import { INVOICE_STATES } from '../invoices/invoice-record.js';
import { HttpError, HttpErrorCode } from './errors.js';
import type { InvoiceInfo } from './invoice-api.js';
import { requestFingerprint } from './idempotency.js';
import { schemaRef, type SchemaObject } from './openapi.js';
import { IDEMPOTENCY_KEY_PATTERN, bodiless, emptyBody, idempotencyKeyOf, jsonSchemaOf, parseWith, withBody, type Route } from './route-kit.js';

/** Invoice expiry bounds (seconds): one minute to one year (the payment secret carries at most a year). */
export const INVOICE_EXPIRY_MIN_SECS = 60;
export const INVOICE_EXPIRY_MAX_SECS = 31_536_000;
export const INVOICE_EXPIRY_DEFAULT_SECS = 3600;
/** The largest amount: amounts are JSON integers, exact up to 2^53 - 1 msat (about 90,000 BTC). */
export const INVOICE_MAX_AMOUNT_MSAT = Number.MAX_SAFE_INTEGER;
/** BOLT 11's `d` field holds at most 639 bytes (1023 five-bit words). */
export const INVOICE_DESCRIPTION_MAX_BYTES = 639;
/** A merchant's reference: 1 to 128 visible ASCII characters (no spaces). */
export const EXTERNAL_ID_PATTERN = '^[\\x21-\\x7e]{1,128}$';
export const PAYMENT_HASH_PATTERN = '^[0-9a-fA-F]{64}$';
export const INVOICE_LIST_DEFAULT_LIMIT = 50;
export const INVOICE_LIST_MAX_LIMIT = 200;

const MESSAGES = {
  amountMsat: `must be an integer from 1 to ${INVOICE_MAX_AMOUNT_MSAT}`,
  description: `must be a string of at most ${INVOICE_DESCRIPTION_MAX_BYTES} bytes (UTF-8)`,
  descriptionHash: 'must be 32 bytes in hex (64 characters): the SHA-256 of the description',
  expirySecs: `must be an integer from ${INVOICE_EXPIRY_MIN_SECS} to ${INVOICE_EXPIRY_MAX_SECS}`,
  externalId: 'must be 1 to 128 visible ASCII characters (no spaces)',
  state: `must be one of ${INVOICE_STATES.join(', ')}`,
  limit: `must be an integer from 1 to ${INVOICE_LIST_MAX_LIMIT}`,
  after: 'must be a payment hash (64 hex characters)',
} as const;

/** The body of `POST /v1/invoices`, validated (unknown fields are rejected). */
export const CreateInvoiceBody = v.strictObject({
  amountMsat: v.optional(
    v.pipe(v.number(MESSAGES.amountMsat), v.integer(MESSAGES.amountMsat), v.minValue(1, MESSAGES.amountMsat), v.maxValue(INVOICE_MAX_AMOUNT_MSAT, MESSAGES.amountMsat), v.description('The amount asked, in msat; leave out for an invoice of any amount.')),
  ),
  description: v.optional(v.pipe(v.string(MESSAGES.description), v.maxBytes(INVOICE_DESCRIPTION_MAX_BYTES, MESSAGES.description), v.description('What is paid for (BOLT 11 `d`); empty when neither it nor `descriptionHash` is sent.'))),
  descriptionHash: v.optional(
    v.pipe(v.string(MESSAGES.descriptionHash), v.regex(new RegExp(PAYMENT_HASH_PATTERN), MESSAGES.descriptionHash), v.toLowerCase(), v.description('SHA-256 of a longer description (BOLT 11 `h`), hex; not with `description`.')),
  ),
  expirySecs: v.optional(
    v.pipe(
      v.number(MESSAGES.expirySecs),
      v.integer(MESSAGES.expirySecs),
      v.minValue(INVOICE_EXPIRY_MIN_SECS, MESSAGES.expirySecs),
      v.maxValue(INVOICE_EXPIRY_MAX_SECS, MESSAGES.expirySecs),
      v.description(`Seconds until the invoice expires (default ${INVOICE_EXPIRY_DEFAULT_SECS}).`),
    ),
  ),
  externalId: v.optional(v.pipe(v.string(MESSAGES.externalId), v.regex(new RegExp(EXTERNAL_ID_PATTERN), MESSAGES.externalId), v.description('Your reference (an order id), echoed in `payment-received`.'))),
});

/** The query string of `GET /v1/invoices`. */
export const ListInvoicesQuery = v.strictObject({
  state: v.optional(v.pipe(v.picklist(INVOICE_STATES, MESSAGES.state), v.description('Only invoices in this state (`expired`: open ones past their expiry).'))),
  limit: v.optional(
    v.pipe(
      v.string(MESSAGES.limit),
      v.regex(/^[0-9]{1,3}$/, MESSAGES.limit),
      v.transform(Number),
      v.minValue(1, MESSAGES.limit),
      v.maxValue(INVOICE_LIST_MAX_LIMIT, MESSAGES.limit),
    ),
  ),
  after: v.optional(v.pipe(v.string(MESSAGES.after), v.regex(new RegExp(PAYMENT_HASH_PATTERN), MESSAGES.after), v.toLowerCase())),
});

const ISO_TIME: SchemaObject = { type: 'string', description: 'ISO-8601 UTC, second precision (`2026-12-06T18:09:05Z`).' };
const nullable = (schema: SchemaObject): SchemaObject => ({ anyOf: [schema, { type: 'null' }] });

/** The invoice as answered (a valibot schema only to generate its JSON Schema; answers are built by invoiceInfoOf). */
const InvoiceResponse = v.strictObject({
  paymentHash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  bolt11: v.pipe(v.string(), v.description('The BOLT 11 invoice to hand to the payer.')),
  amountMsat: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))),
  description: v.nullable(v.string()),
  descriptionHash: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))),
  externalId: v.nullable(v.string()),
  state: v.picklist(INVOICE_STATES),
  receivedMsat: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.description('What the payment paid (`paid`); may exceed `amountMsat`.'))),
  createdAt: v.string(),
  expiresAt: v.string(),
  paidAt: v.nullable(v.string()),
  canceledAt: v.nullable(v.string()),
});

function invoiceSchema(): SchemaObject {
  const generated = jsonSchemaOf(InvoiceResponse, 'An invoice. `state`: `open`, `paid`, `expired` (open past `expiresAt`), `canceled`.');
  const properties = { ...generated.properties, createdAt: ISO_TIME, expiresAt: ISO_TIME, paidAt: nullable(ISO_TIME), canceledAt: nullable(ISO_TIME) };
  return { ...generated, properties };
}

export const INVOICE_SCHEMAS = {
  CreateInvoiceRequest: jsonSchemaOf(CreateInvoiceBody, 'The invoice to make: at most one of `description` and `descriptionHash`.'),
  Invoice: invoiceSchema(),
  InvoiceList: {
    type: 'object',
    properties: {
      invoices: { type: 'array', items: schemaRef('Invoice'), description: 'In payment-hash order.' },
      nextAfter: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Pass as `after` for the next page; absent on the last.' },
    },
    required: ['invoices'],
    additionalProperties: false,
  },
} as const satisfies Readonly<Record<string, SchemaObject>>;

const PAYMENT_HASH_PARAMETER = { name: 'paymentHash', description: 'The invoice\'s payment hash, hex.', pattern: PAYMENT_HASH_PATTERN } as const;

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  description: 'Optional: the same key with the same body answers the first invoice again (24 hours at least); with another body, 409 `idempotency-key-reused`.',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
} as const;

export const INVOICE_ROUTES: readonly Route[] = [
  withBody(CreateInvoiceBody, {
    method: 'POST',
    path: '/v1/invoices',
    operationId: 'createInvoice',
    summary: 'Make a BOLT 11 invoice for a payment to this node.',
    description:
      'Answers at once, without the node\'s lease: the payment secret is derived from a key of the node, so nothing else is stored ' +
      'than the invoice itself. Private channels whose peer is connected are given as route hints. When the payment arrives in full ' +
      'before `expiresAt`, the node claims it and the invoice becomes `paid` (event `payment-received`).',
    requestBody: { description: 'The invoice.', schema: schemaRef('CreateInvoiceRequest') },
    headerParameters: [IDEMPOTENCY_HEADER],
    errors: ['IdempotencyKeyReused'],
    success: { status: 201, description: 'The invoice, `open`.', schema: schemaRef('Invoice') },
    async run(api, body, request): Promise<InvoiceInfo> {
      // valibot's strictObject takes an array too (every field here is optional): a body must be an object.
      if (Array.isArray(request.json)) throw new HttpError(HttpErrorCode.invalidRequest, 'request body must be a JSON object');
      if (body.description !== undefined && body.descriptionHash !== undefined) {
        throw new HttpError(HttpErrorCode.invalidRequest, 'description, descriptionHash: send one of them, not both');
      }
      const key = idempotencyKeyOf(request, false);
      return api.createInvoice(
        {
          expirySecs: body.expirySecs ?? INVOICE_EXPIRY_DEFAULT_SECS,
          ...(body.amountMsat === undefined ? {} : { amountMsat: BigInt(body.amountMsat) }),
          ...(body.description === undefined ? {} : { description: body.description }),
          ...(body.descriptionHash === undefined ? {} : { descriptionHash: body.descriptionHash }),
          ...(body.externalId === undefined ? {} : { externalId: body.externalId }),
        },
        key === undefined ? undefined : { key, fingerprint: requestFingerprint('POST', '/v1/invoices', request.json) },
      );
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/invoices',
    operationId: 'listInvoices',
    summary: 'A page of invoices, in payment-hash order.',
    queryParameters: [
      { name: 'state', description: 'Only invoices in this state.', schema: { type: 'string', enum: INVOICE_STATES } },
      { name: 'limit', description: `At most this many (default ${INVOICE_LIST_DEFAULT_LIMIT}, at most ${INVOICE_LIST_MAX_LIMIT}).`, schema: { type: 'integer', minimum: 1, maximum: INVOICE_LIST_MAX_LIMIT } },
      { name: 'after', description: 'The `nextAfter` of the previous page.', schema: { type: 'string', pattern: PAYMENT_HASH_PATTERN } },
    ],
    success: { status: 200, description: 'The page.', schema: schemaRef('InvoiceList') },
    async run(api, _params, request) {
      const query = parseWith(ListInvoicesQuery, request.query);
      return api.listInvoices({
        limit: query.limit ?? INVOICE_LIST_DEFAULT_LIMIT,
        ...(query.state === undefined ? {} : { state: query.state }),
        ...(query.after === undefined ? {} : { after: query.after }),
      });
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/invoices/{paymentHash}',
    operationId: 'getInvoice',
    summary: 'One invoice, by its payment hash.',
    pathParameters: [PAYMENT_HASH_PARAMETER],
    errors: ['NotFound'],
    success: { status: 200, description: 'The invoice.', schema: schemaRef('Invoice') },
    async run(api, params) {
      return api.getInvoice(params['paymentHash']!.toLowerCase());
    },
  }),
  emptyBody({
    method: 'POST',
    path: '/v1/invoices/{paymentHash}/cancel',
    operationId: 'cancelInvoice',
    summary: 'Cancel an open invoice: a payment arriving later is failed back.',
    description: 'Canceling a canceled invoice answers it again; an expired one can be canceled too. A paid invoice answers 409 `invoice-paid`.',
    pathParameters: [PAYMENT_HASH_PARAMETER],
    errors: ['NotFound', 'InvoicePaid'],
    success: { status: 200, description: 'The invoice, `canceled`.', schema: schemaRef('Invoice') },
    async run(api, params) {
      return api.cancelInvoice(params['paymentHash']!.toLowerCase());
    },
  }),
];
