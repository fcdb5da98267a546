/** Stable codes of the transaction layer's typed errors (BOLT 3). */
export const TxErrorCode = {
  /** A public key is not 33 bytes, or a secret/hash/txid has the wrong length. */
  InvalidLength: 'invalid-length',
  /** An amount is negative or above the 21 million BTC supply. */
  AmountOutOfRange: 'amount-out-of-range',
  /** Balances plus HTLCs do not add up to the funding amount. */
  BalanceMismatch: 'balance-mismatch',
  /** More than 483 HTLCs offered (or received) on one commitment (BOLT 2 `max_accepted_htlcs`). */
  TooManyHtlcs: 'too-many-htlcs',
  /** The opener's balance cannot pay the commitment fee (and anchors) at this feerate. */
  OpenerCannotPayFee: 'opener-cannot-pay-fee',
  /** A feerate, delay, expiry or index outside its field's range. */
  InvalidParameter: 'invalid-parameter',
  /** A spend whose value after fees would be dust or negative. */
  OutputBelowDust: 'output-below-dust',
  /** A signature that is not 64 bytes compact / not low-S. */
  InvalidSignature: 'invalid-signature',
} as const;
export type TxErrorCode = (typeof TxErrorCode)[keyof typeof TxErrorCode];

/**
 * A broken invariant handed to a transaction builder: bad key lengths,
 * amounts out of range, too many HTLCs, a fee the opener cannot pay. The
 * channel layer validates peer input first; this error never signals peer
 * misbehaviour by itself.
 */
export class TxError extends Error {
  constructor(
    readonly code: TxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TxError';
  }
}
