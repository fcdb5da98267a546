/**
 * Address descriptors (BOLT 7, "The `node_announcement` Message"): one type
 * byte, then the address and a u16 port. Used to read `init`'s `remote_addr`.
 */
import { ByteReader, ByteWriter, DecodeError, EncodeError, catchDecodeError } from '../codec/index.js';
import type { DecodeResult } from '../codec/index.js';

/** A decoded BOLT 7 address descriptor. */
export type AddressDescriptor =
  /** Type 1: 4-byte IPv4 address. */
  | { readonly kind: 'ipv4'; readonly addr: Uint8Array; readonly port: number }
  /** Type 2: 16-byte IPv6 address. */
  | { readonly kind: 'ipv6'; readonly addr: Uint8Array; readonly port: number }
  /** Type 3 (deprecated): 10-byte Tor v2 onion address. */
  | { readonly kind: 'torv2'; readonly addr: Uint8Array; readonly port: number }
  /** Type 4: 35-byte Tor v3 onion address (pubkey, checksum, version). */
  | { readonly kind: 'torv3'; readonly addr: Uint8Array; readonly port: number }
  /** Type 5: DNS hostname of 1..255 printable ASCII bytes. */
  | { readonly kind: 'dns'; readonly hostname: string; readonly port: number }
  /** Any other type: its data cannot be delimited, so it is kept whole. */
  | { readonly kind: 'unknown'; readonly addressType: number; readonly data: Uint8Array };

const FIXED = [
  { kind: 'ipv4', type: 1, length: 4 },
  { kind: 'ipv6', type: 2, length: 16 },
  { kind: 'torv2', type: 3, length: 10 },
  { kind: 'torv3', type: 4, length: 35 },
] as const;

/** Decodes one address descriptor spanning all of `bytes`. Never throws. */
export function decodeAddressDescriptor(bytes: Uint8Array): DecodeResult<AddressDescriptor> {
  return catchDecodeError((): AddressDescriptor => {
    const r = new ByteReader(bytes);
    const addressType = r.u8();
    const fixed = FIXED.find((f) => f.type === addressType);
    let out: AddressDescriptor;
    if (fixed !== undefined) {
      out = { kind: fixed.kind, addr: r.bytes(fixed.length), port: r.u16() };
    } else if (addressType === 5) {
      const name = r.bytes(r.u8());
      if (name.length === 0 || name.some((b) => b < 0x21 || b > 0x7e)) {
        throw new DecodeError('invalid-value', 'DNS hostname must be 1..255 printable ASCII bytes');
      }
      out = { kind: 'dns', hostname: String.fromCharCode(...name), port: r.u16() };
    } else {
      return { kind: 'unknown', addressType, data: r.rest() };
    }
    r.expectEnd('the address descriptor');
    return out;
  });
}

/**
 * Encodes an address descriptor (the inverse of {@link decodeAddressDescriptor}).
 * Throws {@link EncodeError} for a wrong-length address, a hostname that is
 * not 1..255 printable ASCII characters, or an `unknown` with a known type.
 */
export function encodeAddressDescriptor(address: AddressDescriptor): Uint8Array {
  const w = new ByteWriter();
  if (address.kind === 'unknown') {
    if (address.addressType >= 1 && address.addressType <= 5) {
      throw new EncodeError('value-out-of-range', `address type ${address.addressType} is not unknown`);
    }
    return w.u8(address.addressType).bytes(address.data).finish();
  }
  if (address.kind === 'dns') {
    if (!/^[\x21-\x7e]{1,255}$/.test(address.hostname)) {
      throw new EncodeError('value-out-of-range', 'DNS hostname must be 1..255 printable ASCII characters');
    }
    const name = Uint8Array.from(address.hostname, (c) => c.charCodeAt(0));
    return w.u8(5).u8(name.length).bytes(name).u16(address.port).finish();
  }
  const fixed = FIXED.find((f) => f.kind === address.kind)!;
  if (address.addr.length !== fixed.length) {
    throw new EncodeError('wrong-length', `${fixed.kind} address must be ${fixed.length} bytes`);
  }
  return w.u8(fixed.type).bytes(address.addr).u16(address.port).finish();
}
