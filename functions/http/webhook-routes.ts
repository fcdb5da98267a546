/**
 * The webhook routes of the HTTP API (docs/webhooks.md): register, list and
 * delete webhooks, read a webhook's deliveries, ask for one more attempt.
 * Request and response schemas are valibot schemas; the published JSON
 * Schemas are generated from them.
 */
import * as v from 'valibot';
import { IDEMPOTENCY_KEY_PATTERN, bodiless, emptyBody, idempotencyKeyOf, jsonSchemaOf, withBody, type Route } from './route-kit.js';
import { requestFingerprint } from './idempotency.js';
import { schemaRef } from './openapi.js';

/** A webhook id: `wh_` and 16 hex digits. */
export const WEBHOOK_ID_PATTERN = '^wh_[0-9a-f]{16}$';
/** A delivery id: `<first event id of its item>-<event id>-<webhook id>`. */
export const DELIVERY_ID_PATTERN = '^[0-9]{1,20}-[0-9]{1,20}-wh_[0-9a-f]{16}$';
/** An event kind (`payment-received`, `channel-ready`, ...). */
export const EVENT_KIND_PATTERN = '^[a-z][a-z0-9-]{0,63}$';
export const MAX_URL_LENGTH = 2048;
export const MAX_EVENT_KINDS = 32;

const URL_MESSAGE = `must be an https URL of at most ${MAX_URL_LENGTH} characters`;
const EVENTS_MESSAGE = `must be a list of 1 to ${MAX_EVENT_KINDS} event kinds (lower-case words joined by -)`;

/** The body of `POST /v1/webhooks`, validated (unknown fields are rejected). */
export const CreateWebhookBody = v.strictObject({
  url: v.pipe(v.string(URL_MESSAGE), v.minLength(1, URL_MESSAGE), v.maxLength(MAX_URL_LENGTH, URL_MESSAGE), v.regex(/^https?:\/\//i, URL_MESSAGE)),
  events: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(EVENTS_MESSAGE), v.regex(new RegExp(EVENT_KIND_PATTERN), EVENTS_MESSAGE)), EVENTS_MESSAGE),
      v.minLength(1, EVENTS_MESSAGE),
      v.maxLength(MAX_EVENT_KINDS, EVENTS_MESSAGE),
    ),
  ),
});

const WebhookSchema = v.object({
  id: v.pipe(v.string(), v.regex(new RegExp(WEBHOOK_ID_PATTERN))),
  url: v.string(),
  events: v.nullable(v.array(v.string())),
  createdAt: v.string(),
});

const CreatedWebhookSchema = v.object({
  ...WebhookSchema.entries,
  secret: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/), v.description('The signing secret (HMAC-SHA256 key, used as the UTF-8 text shown): shown once, never again.')),
});

const DeliverySchema = v.object({
  id: v.pipe(v.string(), v.regex(new RegExp(DELIVERY_ID_PATTERN))),
  eventId: v.string(),
  kind: v.string(),
  status: v.picklist(['pending', 'delivered', 'failed']),
  attempts: v.pipe(v.number(), v.integer(), v.minValue(0)),
  createdAt: v.string(),
  nextAttemptAt: v.nullable(v.string()),
  lastAttemptAt: v.nullable(v.string()),
  lastStatus: v.nullable(v.pipe(v.number(), v.integer())),
  lastError: v.nullable(v.string()),
});

export const WEBHOOK_SCHEMAS = {
  CreateWebhookRequest: jsonSchemaOf(CreateWebhookBody, 'A webhook to register: where to POST events, and which kinds (all when left out).'),
  Webhook: jsonSchemaOf(WebhookSchema, 'A registered webhook (never its secret).'),
  CreatedWebhook: jsonSchemaOf(CreatedWebhookSchema, 'The registered webhook with its signing secret, shown this once.'),
  WebhookList: jsonSchemaOf(v.object({ webhooks: v.array(WebhookSchema) })),
  WebhookDeleted: jsonSchemaOf(v.object({ id: v.string(), deleted: v.literal(true) })),
  WebhookDelivery: jsonSchemaOf(DeliverySchema, 'One delivery of an event to a webhook: its state, attempts, next attempt and last outcome.'),
  WebhookDeliveryList: jsonSchemaOf(v.object({ deliveries: v.array(DeliverySchema) })),
} as const;

const WEBHOOK_ID_PARAMETER = { name: 'id', description: 'The webhook id.', pattern: WEBHOOK_ID_PATTERN } as const;
const DELIVERY_ID_PARAMETER = { name: 'deliveryId', description: 'The delivery id.', pattern: DELIVERY_ID_PATTERN } as const;

export const WEBHOOK_ROUTES: readonly Route[] = [
  withBody(CreateWebhookBody, {
    method: 'POST',
    path: '/v1/webhooks',
    operationId: 'createWebhook',
    summary: 'Register a webhook: every new event of the kinds named is POSTed to the URL, signed (docs/webhooks.md).',
    description:
      'The URL must be https and resolve to public addresses only (no private, link-local, CGNAT, multicast or metadata address; plain http to ' +
      'loopback only in the embedded deployment). The answer carries the signing secret, shown this once. At most 10 webhooks.',
    requestBody: { description: 'The URL and event kinds.', schema: schemaRef('CreateWebhookRequest') },
    headerParameters: [
      {
        name: 'Idempotency-Key',
        description: 'Optional: the same key with the same body answers the first answer again (the same id and secret) for 48 hours; with another body, 409 `idempotency-key-reused`.',
        schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
      },
    ],
    errors: ['TooManyWebhooks'],
    success: { status: 201, description: 'Registered.', schema: schemaRef('CreatedWebhook') },
    async run(api, body, request) {
      const key = idempotencyKeyOf(request, false);
      const input = { url: body.url, ...(body.events === undefined ? {} : { events: body.events }) };
      return api.createWebhook(input, key === undefined ? undefined : { key, fingerprint: requestFingerprint('POST', '/v1/webhooks', input) });
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/webhooks',
    operationId: 'listWebhooks',
    summary: 'The registered webhooks (without their secrets).',
    success: { status: 200, description: 'The webhooks.', schema: schemaRef('WebhookList') },
    async run(api) {
      return { webhooks: await api.listWebhooks() };
    },
  }),
  bodiless({
    method: 'DELETE',
    path: '/v1/webhooks/{id}',
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook; its pending deliveries are dropped.',
    pathParameters: [WEBHOOK_ID_PARAMETER],
    errors: ['NotFound'],
    success: { status: 200, description: 'Deleted.', schema: schemaRef('WebhookDeleted') },
    async run(api, params) {
      await api.deleteWebhook(params['id']!);
      return { id: params['id']!, deleted: true };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/webhooks/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'The webhook\'s recent deliveries, newest first: status, attempts, next attempt, last HTTP status or error.',
    pathParameters: [WEBHOOK_ID_PARAMETER],
    errors: ['NotFound'],
    success: { status: 200, description: 'The deliveries.', schema: schemaRef('WebhookDeliveryList') },
    async run(api, params) {
      return { deliveries: await api.listWebhookDeliveries(params['id']!) };
    },
  }),
  emptyBody({
    method: 'POST',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    operationId: 'redeliverWebhook',
    summary: 'Schedule one more attempt of a delivery now (delivered, failed or pending alike), with the same event id.',
    pathParameters: [WEBHOOK_ID_PARAMETER, DELIVERY_ID_PARAMETER],
    errors: ['NotFound'],
    success: { status: 202, description: 'Scheduled.', schema: schemaRef('WebhookDelivery') },
    async run(api, params) {
      return api.redeliverWebhook(params['id']!, params['deliveryId']!);
    },
  }),
];
