/**
 * Typed errors of the onion layer. A packet that fails to peel is the
 * sending peer's problem and comes back as a value ({@link PeelFailure});
 * only broken invariants of our own calls throw {@link OnionError}.
 */

/** Stable codes of {@link OnionError}. */
export const OnionErrorCode = {
  /** A hop payload shorter than 2 bytes (BOLT 4 reserves lengths 0 and 1). */
  InvalidPayloadLength: 'invalid-payload-length',
  /** The hop payloads do not fit the 1,300-byte `hop_payloads`. */
  PayloadsTooLarge: 'payloads-too-large',
  /** A route without hops. */
  EmptyRoute: 'empty-route',
  /** A packet that is not 1,366 bytes, or a secret that is not 32. */
  InvalidLength: 'invalid-length',
  /** A hop payload that breaks BOLT 4's rules for a final or non-final hop. */
  InvalidHopPayload: 'invalid-hop-payload',
  /** A failure message longer than the requested padded length. */
  FailureTooLong: 'failure-too-long',
} as const;
export type OnionErrorCode = (typeof OnionErrorCode)[keyof typeof OnionErrorCode];

/** A broken invariant in a call into the onion layer (never a peer's doing). */
export class OnionError extends Error {
  override readonly name = 'OnionError';

  constructor(
    readonly code: OnionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Why a received onion packet could not be peeled. */
export const PeelFailureReason = {
  /** `version` is not 0: BADONION|PERM|4 `invalid_onion_version`. */
  InvalidVersion: 'invalid-version',
  /** `public_key` is not a valid point: BADONION|PERM|6 `invalid_onion_key`. */
  InvalidKey: 'invalid-key',
  /** The HMAC does not match: BADONION|PERM|5 `invalid_onion_hmac`. */
  InvalidHmac: 'invalid-hmac',
  /**
   * The HMAC is good but the decrypted hop payload framing is not (a bad
   * BigSize length, a length below 2, a payload running past the packet):
   * PERM|22 `invalid_onion_payload`, an ordinary failure (not BADONION),
   * since the packet is exactly what the origin built.
   */
  InvalidPayload: 'invalid-payload',
} as const;
export type PeelFailureReason = (typeof PeelFailureReason)[keyof typeof PeelFailureReason];

/**
 * A packet that cannot be peeled. For the BADONION reasons the caller
 * answers `update_fail_malformed_htlc` with `failureCode` and
 * `sha256OfOnion`; for `invalid-payload` it fails the HTLC with an
 * `invalid_onion_payload` failure message wrapped with `sharedSecret`.
 */
export type PeelFailure =
  | {
      readonly reason: 'invalid-version' | 'invalid-key' | 'invalid-hmac';
      /** 0x8000 (BADONION) | ...: the `failure_code` of `update_fail_malformed_htlc`. */
      readonly failureCode: number;
      /** SHA256 of the whole 1,366-byte packet, `sha256_of_onion`. */
      readonly sha256OfOnion: Uint8Array;
    }
  | {
      readonly reason: 'invalid-payload';
      /** PERM|22 `invalid_onion_payload`. */
      readonly failureCode: number;
      readonly sharedSecret: Uint8Array;
      readonly message: string;
    };
