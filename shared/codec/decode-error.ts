/**
 * Typed decode errors and the result value every public decoder returns.
 *
 * BOLT 1 ("Lightning Message Format", "Type-Length-Value Format") tells a
 * receiver to fail a message or a TLV stream for a handful of reasons; this
 * module names them as a closed set so callers can react without parsing
 * message strings.
 */

/**
 * The closed set of reasons a decode can fail.
 *
 * - `short-read`: the input ended before a field was complete (BOLT 1: "a
 *   known message with insufficient length", a truncated BigSize, a TLV
 *   `length` running past the end of the stream).
 * - `non-minimal-encoding`: a BigSize or a truncated integer (`tu16`, `tu32`,
 *   `tu64`) was not minimally encoded.
 * - `invalid-value`: the bytes are complete but their value is not allowed
 *   (a point without an 02/03 prefix, a TLV record whose `length` does not
 *   match its known encoding, trailing bytes, ...).
 * - `unknown-even-type`: a TLV record of unknown even type ("it's ok to be
 *   odd").
 * - `tlv-out-of-order`: TLV types not strictly increasing. This one reason
 *   also covers duplicate types: BOLT 1 states both as a single rule
 *   ("not strictly-increasing (including situations when two or more
 *   occurrences of the same `type` are met)").
 */
export const DECODE_ERROR_REASONS = [
  'short-read',
  'non-minimal-encoding',
  'invalid-value',
  'unknown-even-type',
  'tlv-out-of-order',
] as const;

/** One of {@link DECODE_ERROR_REASONS}. */
export type DecodeErrorReason = (typeof DECODE_ERROR_REASONS)[number];

/** A decode failure: a {@link DecodeErrorReason} and a short human-readable message. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly reason: DecodeErrorReason;

  constructor(reason: DecodeErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The result of a public decode function: never an exception. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DecodeError };

/**
 * Runs a decoder that signals failure by throwing {@link DecodeError} and
 * turns the outcome into a {@link DecodeResult}. Any other exception is a bug
 * in our code, not bad input, and is rethrown.
 */
export function catchDecodeError<T>(decode: () => T): DecodeResult<T> {
  try {
    return { ok: true, value: decode() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e };
    throw e;
  }
}
