/** Stable codes of the crypto layer's typed errors. */
export const CryptoErrorCode = {
  InvalidSecretKey: 'invalid-secret-key',
  InvalidPublicKey: 'invalid-public-key',
  InvalidTweak: 'invalid-tweak',
  InvalidSignature: 'invalid-signature',
  InvalidLength: 'invalid-length',
  PointAtInfinity: 'point-at-infinity',
} as const;
export type CryptoErrorCode = (typeof CryptoErrorCode)[keyof typeof CryptoErrorCode];

/**
 * A broken invariant in a crypto call (an invalid key or tweak handed in).
 * Peer-supplied keys are checked with `isValidPublicKey` before use, so this
 * never signals peer misbehaviour.
 */
export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CryptoError';
  }
}
