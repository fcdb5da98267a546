import type { PaymentFailed, PaymentSent } from './outbound-payment.js';

export type { PaymentFailed, PaymentSent } from './outbound-payment.js';

/**
 * The payment events (LDK's `Event::PaymentClaimable`, `PaymentClaimed`,
 * `PaymentSent`, `PaymentPathFailed`, `PaymentFailed`), stored with the
 * other manager events (manager-event.ts) and replay-safe the same way: an
 * event exists exactly when the commit of its step does.
 */

/** How a payment to us was made: our invoice (preimage derivable), keysend (preimage in the onion), an invoice for a caller's hash. */
export type PaymentPurpose = 'invoice' | 'spontaneous' | 'for-hash';

/** Every part of a payment to us arrived: claim it (`claimFunds`) before `claimDeadline`, or fail it (`failHtlcBackwards`). */
export interface PaymentClaimable {
  readonly kind: 'payment-claimable';
  readonly paymentHash: Uint8Array;
  /** What the parts pay us together. */
  readonly amountMsat: bigint;
  readonly purpose: PaymentPurpose;
  /** Known for `invoice` and `spontaneous`: what `claimFunds` takes. */
  readonly paymentPreimage?: Uint8Array;
  readonly paymentSecret?: Uint8Array;
  /** The height before which it must be claimed (the earliest part's expiry less the fail-back buffer). */
  readonly claimDeadline: number;
}

/** The payment's parts were fulfilled (the preimage is committed to the monitors first). */
export interface PaymentClaimed {
  readonly kind: 'payment-claimed';
  readonly paymentHash: Uint8Array;
  readonly amountMsat: bigint;
  readonly purpose: PaymentPurpose;
}

/** One path of a payment we sent failed. */
export interface PaymentPathFailed {
  readonly kind: 'payment-path-failed';
  readonly paymentId: Uint8Array;
  readonly paymentHash: Uint8Array;
  /** The payee refused it (or the failure says no route can succeed): no retry. */
  readonly paymentFailedPermanently: boolean;
  /** The channel the failure names, when the failing hop is known. */
  readonly shortChannelId?: bigint;
  /** The failure, as text (BOLT 4 name and fields). */
  readonly failure: string;
}

/**
 * An HTLC we forwarded was fulfilled downstream and claimed upstream (LDK's
 * `PaymentForwarded`): `amountMsat` went out, `feeMsat` is what we earned.
 */
export interface PaymentForwarded {
  readonly kind: 'payment-forwarded';
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
  readonly inboundChannelId: Uint8Array;
  readonly outboundChannelId: Uint8Array;
}

export type PaymentEvent = PaymentClaimable | PaymentClaimed | PaymentSent | PaymentPathFailed | PaymentFailed | PaymentForwarded;
