/**
 * The payments area of the HTTP API's port (docs/payments-api.md): paying a
 * BOLT 11 invoice or a keysend under an Idempotency-Key, and reading the
 * payments back. `NodeApi` extends it.
 */

/** How a payment request identifies itself: its Idempotency-Key and the fingerprint of method, path and body. */
export interface PaymentRequestIdentity {
  readonly idempotencyKey: string;
  readonly fingerprint: string;
}

export interface PayInvoiceInput {
  readonly bolt11: string;
  readonly amountMsat?: bigint;
  readonly maxFeeMsat?: bigint;
}

export interface KeysendInput {
  /** The payee's node id, hex (lower case). */
  readonly nodeId: string;
  readonly amountMsat: bigint;
}

/** What `POST /v1/payments` and `/v1/payments/keysend` answer (202), and every replay of the request. */
export interface PaymentAccepted {
  readonly paymentId: string;
  readonly paymentHash: string;
  readonly state: 'pending';
}

export type PaymentStateName = 'pending' | 'succeeded' | 'failed';

/** A payment as `GET /v1/payments/{paymentId}` reports it. */
export interface PaymentInfo {
  readonly paymentId: string;
  readonly paymentHash: string;
  /** `bolt11` or `keysend`. */
  readonly kind: 'bolt11' | 'keysend';
  readonly payeeNodeId: string;
  readonly state: PaymentStateName;
  /** What the payee receives (msat). */
  readonly amountMsat: bigint;
  /** The routing fee limit it was sent with (msat). */
  readonly maxFeeMsat: bigint;
  /** Fees paid to the route (succeeded), else null. */
  readonly feeMsat: bigint | null;
  /** Hex (succeeded), else null. */
  readonly preimage: string | null;
  /** The core's `PaymentFailureReason` (failed), else null. */
  readonly failureReason: string | null;
  /** Seconds since 1970. */
  readonly createdAtSecs: number;
  readonly completedAtSecs: number | null;
}

export interface PaymentListQuery {
  readonly state?: PaymentStateName;
  readonly limit: number;
  /** A `nextAfter` of an earlier page. */
  readonly after?: string;
}

export interface PaymentApi {
  /** Pays a BOLT 11 invoice; rejects with the documented `HttpError`s (nothing stored, nothing paid). */
  payInvoice(input: PayInvoiceInput, identity: PaymentRequestIdentity): Promise<PaymentAccepted>;
  /** A spontaneous payment to a node (its preimage in the onion). */
  payKeysend(input: KeysendInput, identity: PaymentRequestIdentity): Promise<PaymentAccepted>;
  /** A payment by id; rejects `not-found`. */
  getPayment(paymentId: string): Promise<PaymentInfo>;
  /** Stops retrying a payment (LDK's `abandon_payment`) and answers it as it stands after; rejects `not-found`. */
  abandonPayment(paymentId: string): Promise<PaymentInfo>;
  /** A page of payments in payment-id order; `nextAfter` when more may follow. */
  listPayments(query: PaymentListQuery): Promise<{ readonly payments: readonly PaymentInfo[]; readonly nextAfter?: string }>;
}
