/**
 * Message codecs declared as field tables (BOLT 1, "Lightning Message
 * Format"): a message's payload is its fixed fields in order, then its
 * `extension`, a TLV stream that runs to the end of the message.
 */
import { catchDecodeError, ByteReader, ByteWriter, struct, tlvStream, UNKNOWN_TLVS } from '../codec/index.js';
import type { DecodeResult, FieldTable, FieldsOf, TlvSchema, TlvStreamValue } from '../codec/index.js';

/**
 * The codec of one message type. `encode` and `decode` handle the payload
 * only (the bytes after the 2-byte type); `encodeMessage` / `decodeMessage`
 * add and read the type.
 */
export interface MessageCodec<M extends { readonly type: number }> {
  readonly type: M['type'];
  /** The BOLT name of the message, e.g. `init`. */
  readonly name: string;
  readonly encode: (message: M) => Uint8Array;
  /** Never throws: a typed `DecodeError` for any bad payload. */
  readonly decode: (payload: Uint8Array) => DecodeResult<M>;
}

/**
 * The record a message field table decodes to: its `type`, its fixed fields
 * and the values of its TLV records (plus `unknownTlvs` when unknown odd
 * records arrived).
 */
export type MessageOf<T extends number, F extends FieldTable, S extends TlvSchema> = {
  readonly type: T;
} & FieldsOf<F> &
  TlvStreamValue<S>;

/** The declaration of one message: its type, BOLT name, fixed fields, TLV stream. */
export interface MessageSpec<T extends number, F extends FieldTable, S extends TlvSchema> {
  readonly type: T;
  readonly name: string;
  readonly fields: F;
  readonly tlvs: S;
}

/**
 * Builds a message codec from its field table. BOLT 1: bytes after the known
 * fields are the `extension` TLV stream, so a message with no TLVs of its own
 * still keeps unknown odd records and fails on unknown even ones.
 */
export function defineMessage<const T extends number, const F extends FieldTable, const S extends TlvSchema>(
  spec: MessageSpec<T, F, S>,
): MessageCodec<MessageOf<T, F, S>> {
  const names = [...spec.fields.map(([n]) => n), ...Object.keys(spec.tlvs)];
  if (new Set(names).size !== names.length || names.includes('type') || names.includes(UNKNOWN_TLVS)) {
    throw new TypeError(`defineMessage(${spec.name}): field names must be distinct and not 'type' or '${UNKNOWN_TLVS}'`);
  }
  const fixed = struct(spec.fields);
  const extension = tlvStream(spec.tlvs);
  return {
    type: spec.type as MessageOf<T, F, S>['type'],
    name: spec.name,
    encode: (message) => {
      const w = new ByteWriter();
      fixed.write(w, message);
      extension.write(w, message);
      return w.finish();
    },
    decode: (payload) =>
      catchDecodeError(() => {
        const r = new ByteReader(payload);
        const fields = fixed.read(r);
        const tlvs = extension.read(r);
        return { type: spec.type, ...fields, ...tlvs } as MessageOf<T, F, S>;
      }),
  };
}

/**
 * The record a signed gossip message decodes to (BOLT 7
 * `channel_announcement`, `node_announcement`, `channel_update`): its fixed
 * fields, then `excessData`, every byte after them, present only when there
 * are some.
 */
export type GossipMessageOf<T extends number, F extends FieldTable> = {
  readonly type: T;
} & FieldsOf<F> & { readonly excessData?: Uint8Array };

/**
 * Builds the codec of a signed gossip message. BOLT 7: the signature covers
 * the bytes after the known fields too, so they are kept verbatim as
 * `excessData` (LDK's `excess_data`) and written back unchanged, rather than
 * read as a TLV stream that would refuse or reorder them.
 */
export function defineGossipMessage<const T extends number, const F extends FieldTable>(spec: {
  readonly type: T;
  readonly name: string;
  readonly fields: F;
}): MessageCodec<GossipMessageOf<T, F>> {
  const names = spec.fields.map(([n]) => n);
  if (new Set(names).size !== names.length || names.includes('type') || names.includes('excessData')) {
    throw new TypeError(`defineGossipMessage(${spec.name}): field names must be distinct and not 'type' or 'excessData'`);
  }
  const fixed = struct(spec.fields);
  return {
    type: spec.type as GossipMessageOf<T, F>['type'],
    name: spec.name,
    encode: (message) => {
      const w = new ByteWriter();
      fixed.write(w, message);
      if (message.excessData !== undefined) w.bytes(message.excessData);
      return w.finish();
    },
    decode: (payload) =>
      catchDecodeError(() => {
        const r = new ByteReader(payload);
        const fields = fixed.read(r);
        const excess = r.isAtEnd() ? {} : { excessData: r.rest() };
        return { type: spec.type, ...fields, ...excess } as GossipMessageOf<T, F>;
      }),
  };
}
