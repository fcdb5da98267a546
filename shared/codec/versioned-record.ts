/**
 * Persisted state as versioned bytes: one version byte, then a TLV stream
 * (BOLT 1 rules). A newer reader reads older state (new fields are new TLV
 * types, optional); an older reader fails loudly on a newer version byte or
 * on an unknown even TLV type, and skips unknown odd ones.
 */
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { DecodeError, catchDecodeError, type DecodeResult } from './decode-error.js';
import { tlvStream, type TlvSchema, type TlvStreamValue } from './tlv-stream.js';

export interface VersionedRecordCodec<S extends TlvSchema> {
  readonly name: string;
  readonly version: number;
  encode(value: TlvStreamValue<S>): Uint8Array;
  /** Never throws: a typed DecodeError for a newer version or bad bytes. */
  decode(bytes: Uint8Array): DecodeResult<TlvStreamValue<S>>;
}

/**
 * The writers of the records being encoded, by nesting depth (a field's
 * codec may encode a record of its own): each keeps its grown buffer, and
 * `finish` copies the record out, so a record is not written into a fresh
 * 64-byte writer doubled again and again. Encoding is synchronous.
 */
const recordWriters: ByteWriter[] = [];
let recordDepth = 0;

/** Declares a persisted record: its name (for errors), current version (1..255) and TLV schema. */
export function versionedRecord<const S extends TlvSchema>(name: string, version: number, schema: S): VersionedRecordCodec<S> {
  if (!Number.isInteger(version) || version < 1 || version > 255) throw new TypeError('version must be 1..255');
  const body = tlvStream(schema);
  return {
    name,
    version,
    encode(value) {
      const w = (recordWriters[recordDepth] ??= new ByteWriter());
      w.reset();
      recordDepth++;
      try {
        body.write(w.u8(version), value);
        return w.finish();
      } finally {
        recordDepth--;
      }
    },
    decode(bytes) {
      return catchDecodeError(() => {
        const r = new ByteReader(bytes);
        const found = r.u8();
        if (found === 0 || found > version) {
          throw new DecodeError('invalid-value', `${name}: stored version ${found}, this reader knows up to ${version}`);
        }
        return body.read(r);
      });
    },
  };
}
