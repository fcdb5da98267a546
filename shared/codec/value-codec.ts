/**
 * Value codecs: one `{ read, write }` pair per BOLT 1 fundamental type, and
 * the two combinators messages are declared with: {@link struct} (a field
 * table, fields in order) and {@link repeated} (`...*type`, up to the end).
 */
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { catchDecodeError, DecodeError } from './decode-error.js';
import type { DecodeResult } from './decode-error.js';
import { EncodeError } from './encode-error.js';

/**
 * Reads a `T` from a {@link ByteReader} (throwing {@link DecodeError}) and
 * writes one to a {@link ByteWriter}.
 */
export interface Codec<T> {
  read(reader: ByteReader): T;
  write(writer: ByteWriter, value: T): void;
}

/** The value type of a codec. */
export type CodecValue<C> = C extends Codec<infer V> ? V : never;

/** `byte` / `u8` (BOLT 1, "Fundamental Types"). */
export const u8: Codec<number> = { read: (r) => r.u8(), write: (w, v) => void w.u8(v) };
/** `u16`. */
export const u16: Codec<number> = { read: (r) => r.u16(), write: (w, v) => void w.u16(v) };
/** `u32`. */
export const u32: Codec<number> = { read: (r) => r.u32(), write: (w, v) => void w.u32(v) };
/** `u64`, a bigint. */
export const u64: Codec<bigint> = { read: (r) => r.u64(), write: (w, v) => void w.u64(v) };
/** `bigsize` (BOLT 1, "BigSize"), minimal. */
export const bigSize: Codec<bigint> = { read: (r) => r.bigSize(), write: (w, v) => void w.bigSize(v) };
/** `tu16`: the last value of a TLV record, takes the rest of it. */
export const tu16: Codec<number> = { read: (r) => r.tu16(), write: (w, v) => void w.tu16(v) };
/** `tu32`: the last value of a TLV record, takes the rest of it. */
export const tu32: Codec<number> = { read: (r) => r.tu32(), write: (w, v) => void w.tu32(v) };
/** `tu64`: the last value of a TLV record, takes the rest of it. */
export const tu64: Codec<bigint> = { read: (r) => r.tu64(), write: (w, v) => void w.tu64(v) };

/** Exactly `length` bytes (`chain_hash`, `channel_id`, `sha256`, ...). */
export function fixedBytes(length: number): Codec<Uint8Array> {
  return {
    read: (r) => r.bytes(length),
    write: (w, v) => {
      if (v.length !== length) {
        throw new EncodeError('wrong-length', `expected ${length} bytes, got ${v.length}`);
      }
      w.bytes(v);
    },
  };
}

/** Every byte left (`...*byte`). */
export const restBytes: Codec<Uint8Array> = { read: (r) => r.rest(), write: (w, v) => void w.bytes(v) };

/** The rest of the input as UTF-8 text (for persisted records, not the wire). */
export const utf8Rest: Codec<string> = {
  read: (r) => new TextDecoder().decode(r.rest()),
  write: (w, v) => void w.bytes(new TextEncoder().encode(v)),
};

/** A `u16` length then that many bytes (`[u16:len] [len*byte:data]`); the length is implicit in the value. */
export const u16PrefixedBytes: Codec<Uint8Array> = {
  read: (r) => r.bytes(r.u16()),
  write: (w, v) => {
    if (v.length > 0xffff) throw new EncodeError('value-out-of-range', `${v.length} bytes exceed a u16 length`);
    w.u16(v.length).bytes(v);
  },
};

/**
 * `point` (BOLT 1): a 33-byte compressed secp256k1 public key. Only the
 * length and the 02/03 prefix are checked here (the codec layer has no curve
 * arithmetic); a prefix other than 02/03 is `invalid-value`.
 */
export const point: Codec<Uint8Array> = {
  read: (r) => {
    const p = r.bytes(33);
    if (p[0] !== 0x02 && p[0] !== 0x03) {
      throw new DecodeError('invalid-value', `point prefix 0x${(p[0] ?? 0).toString(16)} is not 02 or 03`);
    }
    return p;
  },
  write: (w, v) => {
    if (v.length !== 33 || (v[0] !== 0x02 && v[0] !== 0x03)) {
      throw new EncodeError('wrong-length', 'a point is 33 bytes starting with 02 or 03');
    }
    w.bytes(v);
  },
};

/**
 * `short_channel_id` (BOLT 7): 8 bytes, block height (3) | tx index (3) |
 * output index (2), kept as one u64 bigint.
 */
export const shortChannelId: Codec<bigint> = u64;

/** `...*T`: elements read until the end of the (sub)reader. */
export function repeated<T>(element: Codec<T>): Codec<readonly T[]> {
  return {
    read: (r) => {
      const out: T[] = [];
      while (!r.isAtEnd()) out.push(element.read(r));
      return out;
    },
    write: (w, values) => {
      for (const v of values) element.write(w, v);
    },
  };
}

/** One row of a field table: a camelCased BOLT field name and its codec. */
export type Field = readonly [name: string, codec: Codec<unknown>];

/** Fields in wire order. */
export type FieldTable = readonly Field[];

/** The readonly record a field table decodes to. */
export type FieldsOf<F extends FieldTable> = {
  readonly [E in F[number] as E[0]]: CodecValue<E[1]>;
};

/**
 * A codec for a record declared as a field table: fields read and written in
 * table order. Length prefixes (`u16:len` before `len*byte:data`) are part of
 * the field's codec (e.g. {@link u16PrefixedBytes}), not separate fields.
 */
export function struct<const F extends FieldTable>(fields: F): Codec<FieldsOf<F>> {
  const names = new Set(fields.map(([name]) => name));
  if (names.size !== fields.length) throw new TypeError('struct: duplicate field name');
  return {
    read: (r) => {
      const out: Record<string, unknown> = {};
      for (const [name, codec] of fields) out[name] = codec.read(r);
      return out as FieldsOf<F>;
    },
    write: (w, value) => {
      const record = value as Readonly<Record<string, unknown>>;
      for (const [name, codec] of fields) codec.write(w, record[name]);
    },
  };
}

/**
 * Decodes all of `bytes` with `codec`; left-over bytes are `invalid-value`.
 * Never throws on any input.
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array): DecodeResult<T> {
  return catchDecodeError(() => {
    const r = new ByteReader(bytes);
    const value = codec.read(r);
    r.expectEnd('the value');
    return value;
  });
}

/** Encodes `value` with `codec`. Throws {@link EncodeError} for a value that has no encoding. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new ByteWriter();
  codec.write(w, value);
  return w.finish();
}
