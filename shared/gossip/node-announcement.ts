/**
 * The `node_announcement` message (BOLT 7, "The `node_announcement`
 * Message"), type 257: a node's features, colour, alias and addresses,
 * signed by its node key. Only nodes with an announced channel are kept.
 */
import { ByteReader, ByteWriter, DecodeError, EncodeError, fixedBytes, point, u16PrefixedBytes, u32 } from '../codec/index.js';
import type { Codec } from '../codec/index.js';
import { decodeAddressDescriptor, defineGossipMessage, encodeAddressDescriptor, signature } from '../wire/index.js';
import type { AddressDescriptor, MessageCodec } from '../wire/index.js';

/** `node_announcement`. */
export interface NodeAnnouncementMessage {
  readonly type: 257;
  /** By `node_id`, over the double-SHA256 of everything after this field. */
  readonly signature: Uint8Array;
  /** Node feature bits (BOLT 9, context N), big-endian as sent. */
  readonly features: Uint8Array;
  readonly timestamp: number;
  readonly nodeId: Uint8Array;
  /** 3 bytes: red, green, blue. */
  readonly rgbColor: Uint8Array;
  /** 32 bytes, UTF-8 padded with zeros by convention (not checked: it is only shown). */
  readonly alias: Uint8Array;
  /**
   * The address descriptors in order. Parsing stops at the first unknown
   * type (BOLT 7: its length cannot be known); that one and every byte after
   * it are one `unknown` descriptor, last, kept for the signature.
   */
  readonly addresses: readonly AddressDescriptor[];
  /** Bytes after the known fields, kept verbatim: the signature covers them. */
  readonly excessData?: Uint8Array;
}

/** A `node_announcement` before its signature. */
export type UnsignedNodeAnnouncement = Omit<NodeAnnouncementMessage, 'signature'>;

/** Lengths of the known fixed-size address types (BOLT 7 address descriptors 1..4). */
const FIXED_ADDRESS_BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 16, 3: 10, 4: 35 };

/** One descriptor's byte length from `offset` in `bytes`, or `undefined` for an unknown type. */
function descriptorLength(r: ByteReader, bytes: Uint8Array): number | undefined {
  const at = r.offset;
  const addressType = bytes[at]!;
  const fixed = FIXED_ADDRESS_BYTES[addressType];
  if (fixed !== undefined) return 1 + fixed + 2;
  if (addressType !== 5) return undefined;
  if (at + 1 >= bytes.length) throw new DecodeError('short-read', 'DNS hostname length missing');
  return 2 + bytes[at + 1]! + 2;
}

/**
 * `[u16:addrlen][addrlen*byte:addresses]`: the descriptors one after the
 * other. A known type that runs past `addrlen` is `short-read` (BOLT 7: the
 * connection SHOULD be failed); a bad DNS hostname is `invalid-value`.
 */
export const addressList: Codec<readonly AddressDescriptor[]> = {
  read: (outer) => {
    const bytes = outer.bytes(outer.u16());
    const r = new ByteReader(bytes);
    const out: AddressDescriptor[] = [];
    while (!r.isAtEnd()) {
      const length = descriptorLength(r, bytes);
      const one = length === undefined ? r.rest() : r.bytes(length);
      const decoded = decodeAddressDescriptor(one);
      if (!decoded.ok) throw decoded.error;
      out.push(decoded.value);
    }
    return out;
  },
  write: (w, addresses) => {
    const inner = new ByteWriter();
    addresses.forEach((a, i) => {
      if (a.kind === 'unknown' && i !== addresses.length - 1) {
        throw new EncodeError('value-out-of-range', 'an address of unknown type can only be the last one');
      }
      inner.bytes(encodeAddressDescriptor(a));
    });
    const bytes = inner.finish();
    if (bytes.length > 0xffff) throw new EncodeError('value-out-of-range', `${bytes.length} address bytes exceed a u16 length`);
    w.u16(bytes.length).bytes(bytes);
  },
};

/** Codec of `node_announcement`, declared as its BOLT 7 field table. */
export const nodeAnnouncementCodec: MessageCodec<NodeAnnouncementMessage> = defineGossipMessage({
  type: 257,
  name: 'node_announcement',
  fields: [
    ['signature', signature],
    ['features', u16PrefixedBytes],
    ['timestamp', u32],
    ['nodeId', point],
    ['rgbColor', fixedBytes(3)],
    ['alias', fixedBytes(32)],
    ['addresses', addressList],
  ],
});
