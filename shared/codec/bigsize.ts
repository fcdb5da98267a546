/**
 * BigSize (BOLT 1, "BigSize"): the variable-length unsigned integer used for
 * TLV `type` and `length`. Like Bitcoin's CompactSize but big-endian, and
 * only the minimal form is valid.
 */
import { bigSize, decode, encode } from './value-codec.js';
import type { DecodeResult } from './decode-error.js';

/** The minimal BigSize encoding of `value` (0 to 2^64-1). */
export function encodeBigSize(value: bigint): Uint8Array {
  return encode(bigSize, value);
}

/**
 * Decodes a BigSize that spans all of `bytes`: `short-read` when truncated,
 * `non-minimal-encoding` when a shorter form exists, `invalid-value` for
 * trailing bytes.
 */
export function decodeBigSize(bytes: Uint8Array): DecodeResult<bigint> {
  return decode(bigSize, bytes);
}
