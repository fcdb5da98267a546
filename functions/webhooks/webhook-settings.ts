/**
 * What a deployment tells the webhook code (docs/webhooks.md): whether
 * loopback receivers are allowed (the embedded deployment only), and how a
 * commit's new deliveries reach the delivery function at once (an SQS
 * message on AWS, a call in the same process when embedded). Without a
 * dispatcher the timer finds them at its next tick.
 */
export interface WebhookSettings {
  /** Loopback receivers, and plain http to them, allowed (the embedded deployment). */
  readonly allowLoopback: boolean;
  /**
   * Hands delivery items due now (by their first event id) to the delivery
   * function, without waiting for the deliveries themselves. Best effort:
   * a failure is logged, the timer retries.
   */
  readonly dispatch?: (firstEventIds: readonly bigint[]) => Promise<void>;
}

/** No loopback, no dispatcher: what a context without settings gets. */
export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { allowLoopback: false };
