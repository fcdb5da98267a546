/**
 * A bounds-checked, big-endian reader over a `Uint8Array` (BOLT 1,
 * "Fundamental Types"). Every read that would pass the end of the input
 * throws {@link DecodeError} `short-read`; public decoders catch it with
 * {@link catchDecodeError}.
 */
import { DecodeError } from './decode-error.js';

/** Reads BOLT 1 fundamental types from a byte array, front to back. */
/** Labels of reads whose error names their size (`${n} bytes`, `${n}-byte value`): the text is built only for an error. */
const SIZED_BYTES = '\u0000bytes';
const SIZED_VALUE = '\u0000value';
/** The one-byte bigsizes as bigints (TLV types and lengths): made once, not at every read. */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 0xfd }, (_, i) => BigInt(i));

export class ByteReader {
  readonly #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** True when every byte has been read. */
  isAtEnd(): boolean {
    return this.#pos === this.#bytes.length;
  }

  /** Fails with `invalid-value` if any byte is left (`what` names the thing read). */
  expectEnd(what: string): void {
    if (!this.isAtEnd()) {
      throw new DecodeError('invalid-value', `${this.remaining} trailing byte(s) after ${what}`);
    }
  }

  /** Throws the `short-read` of `n` bytes (`what` names them) unless they are left. */
  #need(n: number, what: string): void {
    if (n > this.#bytes.length - this.#pos) {
      const named = what === SIZED_BYTES ? `${n} bytes` : what === SIZED_VALUE ? `${n}-byte value` : what;
      throw new DecodeError(
        'short-read',
        `${named}: needs ${n} byte(s) at offset ${this.#pos}, ${this.remaining} left`,
      );
    }
  }

  #take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const view = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return view;
  }

  /** A copy of the next `n` bytes (sliced from the input, no view made first). */
  #copy(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const start = this.#pos;
    this.#pos += n;
    return this.#bytes.slice(start, start + n);
  }

  /** The big-endian u32 at `at` (checked by the caller). */
  #u32At(at: number): number {
    const b = this.#bytes;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  /** `byte` / `u8`. */
  u8(): number {
    // Integers are read in place, without a view per value: the hot path of every record decoded.
    this.#need(1, 'u8');
    return this.#bytes[this.#pos++]!;
  }

  /** `u16`, big-endian. */
  u16(): number {
    this.#need(2, 'u16');
    const at = this.#pos;
    this.#pos = at + 2;
    return (this.#bytes[at]! << 8) | this.#bytes[at + 1]!;
  }

  /** `u32`, big-endian. */
  u32(): number {
    this.#need(4, 'u32');
    const value = this.#u32At(this.#pos);
    this.#pos += 4;
    return value;
  }

  /** `u64`, big-endian, as a bigint. */
  u64(): bigint {
    this.#need(8, 'u64');
    const high = this.#u32At(this.#pos);
    const low = this.#u32At(this.#pos + 4);
    this.#pos += 8;
    return high === 0 ? BigInt(low) : (BigInt(high) << 32n) | BigInt(low);
  }

  /** Exactly `n` bytes, copied (the result never aliases the input). */
  bytes(n: number): Uint8Array {
    return this.#copy(n, SIZED_BYTES);
  }

  /** Passes over `n` bytes (a `short-read` when fewer are left); undefined, for a caller that reads a field only in some cases. */
  skip(n: number): undefined {
    this.#need(n, SIZED_BYTES);
    this.#pos += n;
    return undefined;
  }

  /** Every byte left, copied. */
  rest(): Uint8Array {
    return this.#copy(this.remaining, 'rest');
  }

  /**
   * A reader over the next `n` bytes, which this reader skips. Used for a TLV
   * record's value and for any length-prefixed sub-structure.
   */
  subReader(n: number): ByteReader {
    return new ByteReader(this.#take(n, SIZED_VALUE));
  }

  /**
   * `bigsize` (BOLT 1, "BigSize"): 1, 3, 5 or 9 bytes; a value that would fit
   * a shorter form is `non-minimal-encoding`.
   */
  bigSize(): bigint {
    const first = this.u8();
    if (first < 0xfd) return SMALL_BIGINTS[first]!;
    if (first === 0xfd) {
      const v = this.#uintN(2, 'bigsize');
      if (v < 0xfdn) throw new DecodeError('non-minimal-encoding', `bigsize 0x${v.toString(16)} in 3 bytes`);
      return v;
    }
    if (first === 0xfe) {
      const v = this.#uintN(4, 'bigsize');
      if (v < 0x1_0000n) throw new DecodeError('non-minimal-encoding', `bigsize 0x${v.toString(16)} in 5 bytes`);
      return v;
    }
    const v = this.#uintN(8, 'bigsize');
    if (v < 0x1_0000_0000n) throw new DecodeError('non-minimal-encoding', `bigsize 0x${v.toString(16)} in 9 bytes`);
    return v;
  }

  /** `tu16` over every byte left (at most 2, no leading zero). */
  tu16(): number {
    return Number(this.#truncated(2, 'tu16'));
  }

  /** `tu32` over every byte left (at most 4, no leading zero). */
  tu32(): number {
    return Number(this.#truncated(4, 'tu32'));
  }

  /** `tu64` over every byte left (at most 8, no leading zero), as a bigint. */
  tu64(): bigint {
    return this.#truncated(8, 'tu64');
  }

  #uintN(n: number, what: string): bigint {
    let v = 0n;
    for (const byte of this.#take(n, what)) v = (v << 8n) | BigInt(byte);
    return v;
  }

  /**
   * A truncated integer takes the rest of its (sub)reader: BOLT 1 allows it
   * only as the final value of a TLV record.
   */
  #truncated(maxBytes: number, what: string): bigint {
    const n = this.remaining;
    if (n > maxBytes) throw new DecodeError('invalid-value', `${what} of ${n} bytes (at most ${maxBytes})`);
    const b = this.#take(n, what);
    if (n > 0 && b[0] === 0) throw new DecodeError('non-minimal-encoding', `${what} with a leading zero byte`);
    let v = 0n;
    for (const byte of b) v = (v << 8n) | BigInt(byte);
    return v;
  }
}
