/**
 * The error thrown when we are asked to encode a value that has no valid
 * encoding. Encoding only ever sees our own values, so this is a broken
 * invariant of the caller (a bug), never peer input.
 */

/** Stable codes of {@link EncodeError}. */
export const ENCODE_ERROR_CODES = [
  'value-out-of-range',
  'wrong-length',
  'invalid-tlv-stream',
  'message-too-large',
  'unknown-message-type',
] as const;

/** One of {@link ENCODE_ERROR_CODES}. */
export type EncodeErrorCode = (typeof ENCODE_ERROR_CODES)[number];

/** Thrown by encoders for a value that cannot be encoded. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  readonly code: EncodeErrorCode;

  constructor(code: EncodeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
