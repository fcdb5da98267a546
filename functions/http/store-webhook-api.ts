/** The WebhookApi over the store (functions/webhooks/webhook-service.ts), its refusals as API errors. */
import type { NodeContext } from '../runtime/node-context.js';
import { WebhookError, WebhookErrorCode, createWebhook, deleteWebhook, listDeliveries, listWebhooks, redeliver } from '../webhooks/webhook-service.js';
import { HttpError, HttpErrorCode, busyError } from './errors.js';
import type { WebhookApi } from './webhook-api.js';

function asHttpError(error: unknown): unknown {
  if (!(error instanceof WebhookError)) return error;
  switch (error.code) {
    case WebhookErrorCode.invalidUrl:
      return new HttpError(HttpErrorCode.invalidRequest, error.message);
    case WebhookErrorCode.tooMany:
      return new HttpError(HttpErrorCode.tooManyWebhooks, error.message);
    case WebhookErrorCode.unknownWebhook:
    case WebhookErrorCode.unknownDelivery:
      return new HttpError(HttpErrorCode.notFound, error.message);
    case WebhookErrorCode.contention:
      return busyError(0);
  }
}

async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asHttpError(error);
  }
}

export function storeWebhookApi(ctx: NodeContext): WebhookApi {
  return {
    createWebhook: (request, idempotency) => mapped(() => createWebhook(ctx, request, idempotency === undefined ? {} : { idempotency })),
    listWebhooks: () => mapped(() => listWebhooks(ctx)),
    deleteWebhook: (id) => mapped(() => deleteWebhook(ctx, id)),
    listWebhookDeliveries: (id) => mapped(() => listDeliveries(ctx, id)),
    redeliverWebhook: (id, deliveryId) => mapped(() => redeliver(ctx, id, deliveryId)),
  };
}
