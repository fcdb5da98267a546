/**
 * TLV streams (BOLT 1, "Type-Length-Value Format").
 *
 * A stream is declared as a schema: a camelCased record name per known
 * `type`, each with its own value codec. Decoding applies BOLT 1's receiver
 * rules; unknown odd records are kept (type and raw value) so they can be
 * re-emitted, unknown even records fail the stream.
 */
import type { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { DecodeError } from './decode-error.js';
import { EncodeError } from './encode-error.js';
import type { Codec, CodecValue } from './value-codec.js';

/** A known TLV record: its `type` and the codec of its value. */
export interface TlvRecordSchema<T> {
  readonly type: bigint;
  readonly codec: Codec<T>;
}

/** Declares a known TLV record of `type` whose value is read by `codec`. */
export function tlvRecord<T>(type: number | bigint, codec: Codec<T>): TlvRecordSchema<T> {
  return { type: BigInt(type), codec };
}

/** A TLV stream schema: record name -> known record. */
export type TlvSchema = { readonly [name: string]: TlvRecordSchema<unknown> };

/** A record of unknown odd type, kept as it arrived. */
export interface UnknownTlvRecord {
  readonly type: bigint;
  readonly value: Uint8Array;
}

/** The values of the known records of a schema; each is present only if the record was. */
export type TlvValues<S extends TlvSchema> = {
  readonly [K in keyof S]?: CodecValue<S[K]['codec']>;
};

/**
 * A decoded stream: known records by name, plus `unknownTlvs` (present only
 * when the stream held unknown odd records, in stream order).
 */
export type TlvStreamValue<S extends TlvSchema> = TlvValues<S> & {
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
};

/** The name of the field holding kept unknown odd records. */
export const UNKNOWN_TLVS = 'unknownTlvs';

/**
 * A codec for a TLV stream that runs to the end of its reader.
 *
 * Decoding (BOLT 1 receiver rules): `type` and `length` are minimal BigSize
 * (`non-minimal-encoding`); types strictly increase (`tlv-out-of-order`, also
 * for duplicates); `length` within the bytes left (`short-read`); a known
 * record's value must fill its `length` exactly (`invalid-value` otherwise);
 * an unknown even type is `unknown-even-type`; an unknown odd one is kept.
 *
 * Encoding writes known and kept unknown records in increasing type order.
 * Kept unknown records must be odd and must not reuse a known or repeated
 * type ({@link EncodeError} `invalid-tlv-stream`).
 */
export function tlvStream<const S extends TlvSchema>(schema: S): Codec<TlvStreamValue<S>> {
  const byType = new Map<bigint, { name: string; codec: Codec<unknown> }>();
  for (const [name, rec] of Object.entries(schema)) {
    if (name === UNKNOWN_TLVS) throw new TypeError(`tlvStream: '${UNKNOWN_TLVS}' is reserved`);
    if (byType.has(rec.type)) throw new TypeError(`tlvStream: type ${rec.type} declared twice`);
    byType.set(rec.type, { name, codec: rec.codec });
  }
  // Written in increasing type order: sorted once here, not at every write.
  const ordered: SchemaEntry[] = Object.entries(schema)
    .map(([name, rec]) => ({ name, type: rec.type, codec: rec.codec }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return {
    read: (r) => readStream(r, byType) as TlvStreamValue<S>,
    write: (w, value) => writeStream(w, ordered, value as Readonly<Record<string, unknown>>),
  };
}

function readStream(
  r: ByteReader,
  byType: ReadonlyMap<bigint, { name: string; codec: Codec<unknown> }>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const unknown: UnknownTlvRecord[] = [];
  let previous: bigint | undefined;
  while (!r.isAtEnd()) {
    const type = r.bigSize();
    if (previous !== undefined && type <= previous) {
      throw new DecodeError(
        'tlv-out-of-order',
        type === previous ? `duplicate TLV type ${type}` : `TLV type ${type} after ${previous}`,
      );
    }
    previous = type;
    const length = r.bigSize();
    if (length > BigInt(r.remaining)) {
      throw new DecodeError('short-read', `TLV type ${type}: length ${length} but ${r.remaining} byte(s) left`);
    }
    const valueReader = r.subReader(Number(length));
    const known = byType.get(type);
    if (known !== undefined) {
      out[known.name] = readKnownValue(type, known.codec, valueReader);
    } else if (type % 2n === 0n) {
      throw new DecodeError('unknown-even-type', `unknown even TLV type ${type}`);
    } else {
      unknown.push({ type, value: valueReader.rest() });
    }
  }
  if (unknown.length > 0) out[UNKNOWN_TLVS] = unknown;
  return out;
}

function readKnownValue(type: bigint, codec: Codec<unknown>, valueReader: ByteReader): unknown {
  try {
    const value = codec.read(valueReader);
    valueReader.expectEnd(`TLV type ${type}`);
    return value;
  } catch (e) {
    // The stream itself is long enough: a value shorter than its known
    // encoding is a wrong `length`, i.e. an invalid record (BOLT 1).
    if (e instanceof DecodeError && e.reason === 'short-read') {
      throw new DecodeError('invalid-value', `TLV type ${type}: length shorter than its encoding (${e.message})`);
    }
    throw e;
  }
}

/** A record to write: its value's bytes are `bytes`, or `start`..`end` of the stream's scratch writer. */
interface PendingRecord {
  readonly type: bigint;
  readonly bytes?: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** A known record of a schema, in the stream's type order. */
interface SchemaEntry {
  readonly name: string;
  readonly type: bigint;
  readonly codec: Codec<unknown>;
}

/**
 * Scratch writers of the streams being written, by nesting depth (a value
 * may itself hold a stream): each keeps its buffer, so a stream's values
 * are not written into a fresh 64-byte writer grown again at every call.
 * Writing is synchronous: a depth's writer is free once its stream is done.
 */
const scratchWriters: ByteWriter[] = [];
let scratchDepth = 0;

function writeStream(w: ByteWriter, ordered: readonly SchemaEntry[], value: Readonly<Record<string, unknown>>): void {
  const scratch = (scratchWriters[scratchDepth] ??= new ByteWriter());
  scratch.reset();
  scratchDepth++;
  try {
    writeRecords(w, scratch, ordered, value);
  } finally {
    scratchDepth--;
  }
}

function writeRecords(w: ByteWriter, scratch: ByteWriter, ordered: readonly SchemaEntry[], value: Readonly<Record<string, unknown>>): void {
  const unknown = value[UNKNOWN_TLVS] as readonly UnknownTlvRecord[] | undefined;
  if (unknown === undefined || unknown.length === 0) {
    // Known records only (the usual case): in schema order, each value written once into a scratch writer for its length.
    for (const rec of ordered) {
      const v = value[rec.name];
      if (v === undefined) continue;
      scratch.reset();
      rec.codec.write(scratch, v);
      w.bigSize(rec.type).bigSize(BigInt(scratch.length)).bytes(scratch.view(0, scratch.length));
    }
    return;
  }
  // The known values are written one after the other into one scratch writer
  // (each value's bytes are what `encode(codec, value)` gives), then copied out in type order with the kept unknown ones.
  const records: PendingRecord[] = [];
  for (const rec of ordered) {
    const v = value[rec.name];
    if (v === undefined) continue;
    const start = scratch.length;
    rec.codec.write(scratch, v);
    records.push({ type: rec.type, start, end: scratch.length });
  }
  const knownTypes = new Set(records.map((x) => x.type));
  for (const u of unknown) {
    if (u.type % 2n === 0n || knownTypes.has(u.type)) {
      throw new EncodeError('invalid-tlv-stream', `kept TLV type ${u.type} is even or a known type`);
    }
    records.push({ type: u.type, bytes: u.value, start: 0, end: u.value.length });
  }
  records.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  for (let i = 1; i < records.length; i++) {
    if (records[i]!.type === records[i - 1]!.type) {
      throw new EncodeError('invalid-tlv-stream', `TLV type ${records[i]!.type} twice`);
    }
  }
  for (const rec of records) {
    w.bigSize(rec.type).bigSize(BigInt(rec.end - rec.start)).bytes(rec.bytes ?? scratch.view(rec.start, rec.end));
  }
}
