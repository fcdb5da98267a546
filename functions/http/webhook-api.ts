/** The webhook part of the node's port for the HTTP API (docs/webhooks.md). */

/** A registered webhook as reads show it (never its secret). */
export interface WebhookInfo {
  readonly id: string;
  readonly url: string;
  /** The event kinds sent; null: every kind. */
  readonly events: readonly string[] | null;
  readonly createdAt: string;
}

/** What `POST /v1/webhooks` answers: the webhook and its signing secret, shown this once. */
export interface CreatedWebhookInfo extends WebhookInfo {
  readonly secret: string;
}

/** One delivery of an event to a webhook. */
export interface WebhookDeliveryInfo {
  readonly id: string;
  readonly eventId: string;
  readonly kind: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

export interface WebhookApi {
  /**
   * Registers a webhook; rejects `invalid-request` (URL refused) or
   * `too-many-webhooks`. With `idempotency` (the request's `Idempotency-Key`
   * and fingerprint), the same key answers the first answer again, and
   * rejects `idempotency-key-reused` for a different request.
   */
  createWebhook(request: { readonly url: string; readonly events?: readonly string[] }, idempotency?: { readonly key: string; readonly fingerprint: string }): Promise<CreatedWebhookInfo>;
  listWebhooks(): Promise<readonly WebhookInfo[]>;
  /** Rejects `not-found` for an unknown id. */
  deleteWebhook(id: string): Promise<void>;
  /** The webhook's recent deliveries, newest first; rejects `not-found` for an unknown webhook. */
  listWebhookDeliveries(id: string): Promise<readonly WebhookDeliveryInfo[]>;
  /** Schedules one more attempt now; rejects `not-found` for an unknown webhook or delivery. */
  redeliverWebhook(id: string, deliveryId: string): Promise<WebhookDeliveryInfo>;
}
