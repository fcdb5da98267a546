/** Stable codes of the keys layer's typed errors. */
export const KeysErrorCode = {
  /** A byte input had the wrong length (a seed, secret, point or digest). */
  InvalidLength: 'invalid-length',
  /** A commitment index outside [0, 2^48). */
  InvalidIndex: 'invalid-index',
  /** A 33-byte input that is not a point on the curve. */
  InvalidPublicKey: 'invalid-public-key',
  /** Persisted bytes that cannot be read (unknown version, short or garbled body). */
  InvalidEncoding: 'invalid-encoding',
  /** A per-commitment secret that has not been released or received. */
  UnknownSecret: 'unknown-secret',
} as const;
export type KeysErrorCode = (typeof KeysErrorCode)[keyof typeof KeysErrorCode];

/**
 * A broken invariant in a keys call (a wrong-length input, an index out of
 * range). Data from a peer is checked before it reaches these functions.
 */
export class KeysError extends Error {
  constructor(
    readonly code: KeysErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeysError';
  }
}

/** Throws `KeysError(InvalidLength)` unless `bytes` has exactly `length` bytes. */
export function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new KeysError(KeysErrorCode.InvalidLength, `${what} must be ${length} bytes`);
  }
}
