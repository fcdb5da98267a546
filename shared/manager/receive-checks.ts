/**
 * BOLT 4 "Requirements" of the final node: what we do with an HTLC whose
 * onion peeled to a final hop (`peelOnion` gave `next === null`,
 * `decodeHopPayload(..., true)` a {@link FinalPayload}). Either the HTLC is a
 * part of a payment we can claim (collected by `claimable-payments.ts`) or
 * the failure message to wrap and send back. Pure: the block height and the
 * clock come in (docs/payments-inbound.md).
 */
import { equalConstantTime, sha256 } from '../crypto/index.js';
import { failureMessage, type FinalPayload, type KnownFailureMessage } from '../onion/index.js';
import { CLTV_FAR_FAR_AWAY, HTLC_FAIL_BACK_BUFFER } from './final-cltv.js';
import { verifyInboundPayment, type ExpandedKey } from './inbound-payment.js';

/** How a payment to us was made: our invoice (preimage derived), keysend (preimage in the onion), an invoice for a caller's hash. */
export type ReceivePurpose = 'invoice' | 'spontaneous' | 'for-hash';

/** The incoming `update_add_htlc`'s fields the checks need. */
export interface ReceivedHtlc {
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  readonly paymentHash: Uint8Array;
}

export interface ReceiveInput {
  readonly htlc: ReceivedHtlc;
  readonly payload: FinalPayload;
  readonly bestBlockHeight: number;
  readonly expandedKey: ExpandedKey;
  /** The caller's clock, seconds since 1970 (the invoice expiry is checked against it). */
  readonly nowSecs: number;
}

/** One HTLC of a payment we can claim, once its parts add up to `totalMsat`. */
export interface ClaimablePart {
  readonly paymentHash: Uint8Array;
  /** What this HTLC pays us (the `update_add_htlc` amount, at least the sender's `amt_to_forward`). */
  readonly amountMsat: bigint;
  /** The payment's total over all its parts (`total_msat`; a single-part keysend: its `amt_to_forward`). */
  readonly totalMsat: bigint;
  readonly cltvExpiry: number;
  readonly paymentSecret?: Uint8Array;
  /** Known for `invoice` (derived) and `spontaneous` (from the onion); absent for `for-hash`. */
  readonly preimage?: Uint8Array;
  readonly purpose: ReceivePurpose;
}

/** Why an HTLC is refused (for logs; the peer only sees `failure`). */
export type ReceiveRefusal =
  | 'cltv-below-onion'
  | 'amount-below-onion'
  | 'expiry-too-soon'
  | 'expiry-too-far'
  | 'bad-keysend-preimage'
  | 'multi-part-keysend'
  | 'no-payment-secret'
  | 'unknown-payment'
  | 'amount-too-low'
  | 'expired'
  | 'below-min-final-cltv';

export type ReceiveCheck =
  | { readonly ok: true; readonly part: ClaimablePart }
  | { readonly ok: false; readonly reason: ReceiveRefusal; readonly failure: KnownFailureMessage };

/** BOLT 4 `incorrect_or_unknown_payment_details` (PERM|15) with `htlc_msat` and our `height`. */
export function unknownPaymentDetails(htlcMsat: bigint, height: number): KnownFailureMessage {
  return failureMessage('incorrectOrUnknownPaymentDetails', { htlcMsat, height });
}

/**
 * The final node's checks, in LDK's order (`create_recv_pending_htlc_info`,
 * then the payment checks of `process_pending_htlc_forwards`):
 *
 * 1. `outgoing_cltv_value` above the HTLC's `cltv_expiry`:
 *    `final_incorrect_cltv_expiry` (18) with the HTLC's `cltv_expiry`;
 * 2. `cltv_expiry <= height + HTLC_FAIL_BACK_BUFFER + 1` (no time left to
 *    claim on chain) or `> height + CLTV_FAR_FAR_AWAY`:
 *    `incorrect_or_unknown_payment_details`;
 * 3. `amt_to_forward` above the HTLC's amount: `final_incorrect_htlc_amount`
 *    (19) with the HTLC's amount;
 * 4. keysend: SHA256(preimage) must be the hash; single part only (a
 *    `payment_data` whose `total_msat` exceeds `amt_to_forward` is refused,
 *    as LDK's default `accept_mpp_keysend = false`); its secret is not checked;
 * 5. otherwise `payment_data` is required, its secret must verify for the
 *    hash (unknown hash, bad secret, total below the invoice amount, expired
 *    invoice), and, when the invoice was made with a chosen
 *    `min_final_cltv_expiry_delta`, `cltv_expiry` must be at least `height +`
 *    that delta (the default delta is covered by step 2, with 2 blocks of
 *    slack for a payer behind our tip, as LDK).
 *
 * Every refusal after step 3 is `incorrect_or_unknown_payment_details` with
 * `htlc_msat` = the HTLC's amount and `height` = our tip, so an unknown hash
 * and a bad secret look alike.
 */
export function checkReceivedHtlc(input: ReceiveInput): ReceiveCheck {
  const { htlc, payload, bestBlockHeight: height } = input;
  const refuse = (reason: ReceiveRefusal, failure = unknownPaymentDetails(htlc.amountMsat, height)): ReceiveCheck => ({ ok: false, reason, failure });
  if (payload.outgoingCltvValue > htlc.cltvExpiry) {
    return refuse('cltv-below-onion', failureMessage('finalIncorrectCltvExpiry', { cltvExpiry: htlc.cltvExpiry }));
  }
  if (htlc.cltvExpiry <= height + HTLC_FAIL_BACK_BUFFER + 1) return refuse('expiry-too-soon');
  if (htlc.cltvExpiry > height + CLTV_FAR_FAR_AWAY) return refuse('expiry-too-far');
  if (payload.amtToForward > htlc.amountMsat) {
    return refuse('amount-below-onion', failureMessage('finalIncorrectHtlcAmount', { incomingHtlcAmt: htlc.amountMsat }));
  }
  const data = payload.paymentData;
  if (payload.keysendPreimage !== undefined) {
    const preimage = payload.keysendPreimage;
    if (!equalConstantTime(sha256(preimage), htlc.paymentHash)) return refuse('bad-keysend-preimage');
    if (data !== undefined && data.totalMsat > payload.amtToForward) return refuse('multi-part-keysend');
    const part: ClaimablePart = {
      paymentHash: htlc.paymentHash,
      amountMsat: htlc.amountMsat,
      totalMsat: payload.amtToForward,
      cltvExpiry: htlc.cltvExpiry,
      preimage,
      purpose: 'spontaneous',
      ...(data === undefined ? {} : { paymentSecret: data.paymentSecret }),
    };
    return { ok: true, part };
  }
  if (data === undefined) return refuse('no-payment-secret');
  const verified = verifyInboundPayment(input.expandedKey, htlc.paymentHash, data.paymentSecret, data.totalMsat, input.nowSecs);
  if (!verified.ok) return refuse(verified.reason);
  if (verified.minFinalCltvExpiryDelta !== undefined && htlc.cltvExpiry < height + verified.minFinalCltvExpiryDelta) {
    return refuse('below-min-final-cltv');
  }
  const part: ClaimablePart = {
    paymentHash: htlc.paymentHash,
    amountMsat: htlc.amountMsat,
    totalMsat: data.totalMsat,
    cltvExpiry: htlc.cltvExpiry,
    paymentSecret: data.paymentSecret,
    purpose: verified.preimage === undefined ? 'for-hash' : 'invoice',
    ...(verified.preimage === undefined ? {} : { preimage: verified.preimage }),
  };
  return { ok: true, part };
}
