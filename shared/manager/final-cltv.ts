/**
 * The block margins of a payment we receive (LDK's `HTLC_FAIL_BACK_BUFFER`,
 * `MIN_FINAL_CLTV_EXPIRY_DELTA`, `CLTV_FAR_FAR_AWAY`), in one place so the
 * invoice we write, the checks on the HTLC that pays it and the claim
 * deadline agree (docs/payments-inbound.md).
 */

/** Blocks we allow to get a transaction confirmed on chain (LDK 0.1+ `MAX_BLOCKS_FOR_CONF`). */
export const MAX_BLOCKS_FOR_CONF = 18;

/**
 * Blocks before an HTLC's expiry at which we must go on chain to claim it
 * with the preimage: the commitment, then the HTLC-success transaction, each
 * may take {@link MAX_BLOCKS_FOR_CONF} blocks (LDK's `CLTV_CLAIM_BUFFER`).
 */
export const CLTV_CLAIM_BUFFER = 2 * MAX_BLOCKS_FOR_CONF;

/** Blocks a peer may lag behind our tip (LDK's `LATENCY_GRACE_PERIOD_BLOCKS`). */
export const LATENCY_GRACE_PERIOD_BLOCKS = 3;

/**
 * An HTLC paying us must not expire within this many blocks of our tip: we
 * need that long to claim it on chain, or to fail it back before the
 * on-chain logic would close the channel over it (LDK's `HTLC_FAIL_BACK_BUFFER`).
 */
export const HTLC_FAIL_BACK_BUFFER = CLTV_CLAIM_BUFFER + LATENCY_GRACE_PERIOD_BLOCKS;

/**
 * The `min_final_cltv_expiry_delta` (BOLT 11 `c`) our invoices must carry:
 * {@link HTLC_FAIL_BACK_BUFFER} plus three blocks of slack for a payer whose
 * tip is a little behind ours (LDK's `MIN_FINAL_CLTV_EXPIRY_DELTA`). Larger
 * than BOLT 11's reader default of 18, so an invoice of ours without a `c`
 * field would be paid with HTLCs we refuse: always write it.
 */
export const MIN_FINAL_CLTV_EXPIRY_DELTA = HTLC_FAIL_BACK_BUFFER + 3;

/** An HTLC expiring more than this many blocks after our tip is refused (two weeks; LDK's `CLTV_FAR_FAR_AWAY`). */
export const CLTV_FAR_FAR_AWAY = 2016;
