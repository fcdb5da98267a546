/**
 * A growable big-endian writer of BOLT 1 fundamental types. Values outside a
 * type's range throw {@link EncodeError} (our own values only: a bug, not
 * peer input).
 */
import { EncodeError } from './encode-error.js';

const U64_MAX = (1n << 64n) - 1n;

/** Throws unless `value` is an integer in [0, `max`] (`max` = 2^bits − 1 of u8, u16 or u32). */
function checkUint(value: number, max: 0xff | 0xffff | 0xffff_ffff, what: string): void {
  if (!(value >= 0 && value <= max && Number.isInteger(value))) {
    throw new EncodeError('value-out-of-range', `${what} out of range: ${value}`);
  }
}

function checkU64(value: bigint, what: string): void {
  if (value < 0n || value > U64_MAX) {
    throw new EncodeError('value-out-of-range', `${what} out of range: ${value}`);
  }
}

/** Number of bytes of the minimal big-endian form of `value` (0 for 0). */
function minimalLength(value: bigint): number {
  let n = 0;
  for (let v = value; v > 0n; v >>= 8n) n++;
  return n;
}

/** {@link minimalLength} of an integer below 2^32. */
function minimalNumberLength(value: number): number {
  return value === 0 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
}

/** Appends BOLT 1 fundamental types to a byte buffer. */
export class ByteWriter {
  #buf = new Uint8Array(64);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): number {
    const start = this.#len;
    const need = start + n;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, start));
      this.#buf = grown;
    }
    this.#len = need;
    return start;
  }

  #uintN(value: bigint, n: number): this {
    if (n <= 4) return this.#smallUint(Number(value), n);
    // Two 32-bit halves: the same big-endian bytes as a byte-by-byte loop, with two bigint operations instead of 2n.
    const at = this.#reserve(n);
    const high = Number(value >> 32n);
    const low = Number(value & 0xffffffffn);
    for (let i = n - 1, v = low; i >= n - 4; i--, v >>>= 8) this.#buf[at + i] = v & 0xff;
    for (let i = n - 5, v = high; i >= 0; i--, v >>>= 8) this.#buf[at + i] = v & 0xff;
    return this;
  }

  /** The low `n` ≤ 4 bytes of `value` (an integer below 2^32), big-endian. */
  #smallUint(value: number, n: number): this {
    const at = this.#reserve(n);
    const buf = this.#buf;
    // `>>>` reads the value as an unsigned 32-bit integer: exact below 2^32.
    for (let i = n - 1, v = value >>> 0; i >= 0; i--, v >>>= 8) buf[at + i] = v & 0xff;
    return this;
  }

  /** `byte` / `u8`. */
  u8(value: number): this {
    checkUint(value, 0xff, 'u8');
    const at = this.#reserve(1);
    this.#buf[at] = value;
    return this;
  }

  /** `u16`, big-endian. */
  u16(value: number): this {
    checkUint(value, 0xffff, 'u16');
    return this.#smallUint(value, 2);
  }

  /** `u32`, big-endian. */
  u32(value: number): this {
    checkUint(value, 0xffff_ffff, 'u32');
    return this.#smallUint(value, 4);
  }

  /** `u64`, big-endian. */
  u64(value: bigint): this {
    checkU64(value, 'u64');
    return this.#uintN(value, 8);
  }

  /** Raw bytes. */
  bytes(bytes: Uint8Array): this {
    const at = this.#reserve(bytes.length);
    this.#buf.set(bytes, at);
    return this;
  }

  /** `bigsize` (BOLT 1, "BigSize"), always in its minimal form. */
  bigSize(value: bigint): this {
    checkU64(value, 'bigsize');
    if (value < 0xfdn) {
      const at = this.#reserve(1);
      this.#buf[at] = Number(value);
      return this;
    }
    if (value <= 0xffffn) return this.u8(0xfd).#uintN(value, 2);
    if (value <= 0xffff_ffffn) return this.u8(0xfe).#uintN(value, 4);
    return this.u8(0xff).#uintN(value, 8);
  }

  /** `tu16`: the minimal big-endian bytes of `value` (none for 0). */
  tu16(value: number): this {
    checkUint(value, 0xffff, 'tu16');
    return this.#smallUint(value, minimalNumberLength(value));
  }

  /** `tu32`: the minimal big-endian bytes of `value` (none for 0). */
  tu32(value: number): this {
    checkUint(value, 0xffff_ffff, 'tu32');
    return this.#smallUint(value, minimalNumberLength(value));
  }

  /** `tu64`: the minimal big-endian bytes of `value` (none for 0). */
  tu64(value: bigint): this {
    checkU64(value, 'tu64');
    return this.#uintN(value, minimalLength(value));
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** Forgets what was written (the buffer is kept for the next writes). */
  reset(): void {
    this.#len = 0;
  }

  /** The bytes written from `start` to `end`, not copied: valid until the next write. */
  view(start: number, end: number): Uint8Array {
    return this.#buf.subarray(start, end);
  }
}
