/** Wallet errors with stable codes (the HTTP API answers some of them as they are). */
export const WalletErrorCode = {
  /** The spendable coins do not cover the amount plus the fee. */
  InsufficientFunds: 'insufficient-funds',
  /** The destination is not an address of the wallet's network (or not an address). */
  InvalidAddress: 'invalid-address',
  /** The amount is below the dust limit of its output, or not positive. */
  InvalidAmount: 'invalid-amount',
  /** BIP 32: the derived child is not a key (probability below 2^-127); use the next index. */
  InvalidChild: 'invalid-child',
  /**
   * The coins that would pay are change of a chain of our unconfirmed
   * payments already at Bitcoin Core's relay limit (25 unconfirmed
   * ancestors, 101 kvB): wait for a confirmation.
   */
  TooManyUnconfirmed: 'too-many-unconfirmed',
  /**
   * The payment or channel would leave the anchor reserve uncovered: the
   * confirmed coins kept to pay for the on-chain claims of anchor channels
   * (shared/wallet/anchor-reserve.ts).
   */
  AnchorReserve: 'anchor-reserve-not-covered',
  /** The persisted wallet state does not decode. */
  InvalidState: 'invalid-state',
} as const;
export type WalletErrorCode = (typeof WalletErrorCode)[keyof typeof WalletErrorCode];

export class WalletError extends Error {
  constructor(
    readonly code: WalletErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WalletError';
  }
}
