/**
 * A versioned record (shared/codec `versionedRecord`: a version byte, then a
 * TLV stream) taken apart into its records and put back together, so a test
 * can say exactly which records changed between two encodings of one item.
 */
import { ByteReader, ByteWriter } from '../../shared/codec/index.js';

export interface RecordTlvs {
  readonly version: number;
  /** The records in stream order (ascending type). */
  readonly records: ReadonlyArray<readonly [type: bigint, value: Uint8Array]>;
}

/** The version byte and TLV records of `bytes` (throws on a malformed stream: tests only). */
export function recordTlvs(bytes: Uint8Array): RecordTlvs {
  const r = new ByteReader(bytes);
  const version = r.u8();
  const records: Array<readonly [bigint, Uint8Array]> = [];
  while (!r.isAtEnd()) {
    const type = r.bigSize();
    const length = r.bigSize();
    records.push([type, r.bytes(Number(length))]);
  }
  return { version, records };
}

/** The bytes of `t` (the records written in the order given). */
export function recordBytes(t: RecordTlvs): Uint8Array {
  const w = new ByteWriter().u8(t.version);
  for (const [type, value] of t.records) w.bigSize(type).bigSize(BigInt(value.length)).bytes(value);
  return w.finish();
}

/** `bytes` with record `type` set to `value` (replaced, or inserted in type order). */
export function withRecord(bytes: Uint8Array, type: bigint, value: Uint8Array): Uint8Array {
  const t = recordTlvs(bytes);
  const records = [...t.records.filter(([k]) => k !== type), [type, value] as const].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return recordBytes({ version: t.version, records });
}

/** `bytes` without record `type`. */
export function withoutRecord(bytes: Uint8Array, type: bigint): Uint8Array {
  const t = recordTlvs(bytes);
  return recordBytes({ version: t.version, records: t.records.filter(([k]) => k !== type) });
}

/** The value of record `type` in `bytes`, if there. */
export function recordValue(bytes: Uint8Array, type: bigint): Uint8Array | undefined {
  return recordTlvs(bytes).records.find(([k]) => k === type)?.[1];
}
