// BOLT 7 address descriptors, as carried by init's remote_addr.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError, bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import { decodeAddressDescriptor, encodeAddressDescriptor } from '../../shared/wire/index.js';
import type { AddressDescriptor } from '../../shared/wire/index.js';

describe('address descriptors (BOLT 7)', () => {
  const cases: [string, AddressDescriptor][] = [
    ['017f0000012607', { kind: 'ipv4', addr: hexToBytes('7f000001'), port: 9735 }],
    ['02' + '00'.repeat(15) + '01' + '2607', { kind: 'ipv6', addr: hexToBytes('00'.repeat(15) + '01'), port: 9735 }],
    ['04' + 'ab'.repeat(35) + '0050', { kind: 'torv3', addr: hexToBytes('ab'.repeat(35)), port: 80 }],
    ['05' + '0b' + bytesToHex(new TextEncoder().encode('example.com')) + '2607', { kind: 'dns', hostname: 'example.com', port: 9735 }],
    ['07' + 'abcd', { kind: 'unknown', addressType: 7, data: hexToBytes('abcd') }],
  ];
  for (const [hex, address] of cases) {
    it(`${address.kind}: ${hex.slice(0, 20)}`, () => {
      expect(decodeAddressDescriptor(hexToBytes(hex))).toEqual({ ok: true, value: address });
      expect(bytesToHex(encodeAddressDescriptor(address))).toBe(hex);
    });
  }

  it('rejects truncated, trailing and malformed descriptors with typed errors', () => {
    const reasons = ['017f00000126', '017f000001260700', '0500' + '2607', '0501' + '20' + '2607', ''].map((hex) => {
      const r = decodeAddressDescriptor(hexToBytes(hex));
      return r.ok ? 'ok' : r.error.reason;
    });
    expect(reasons).toEqual(['short-read', 'invalid-value', 'invalid-value', 'invalid-value', 'short-read']);
    expect(() => encodeAddressDescriptor({ kind: 'ipv4', addr: new Uint8Array(3), port: 1 })).toThrow(EncodeError);
    expect(() => encodeAddressDescriptor({ kind: 'dns', hostname: 'ä', port: 1 })).toThrow(EncodeError);
  });

  it('garbage never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (input) => {
        const r = decodeAddressDescriptor(input);
        if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
        else expect(bytesToHex(encodeAddressDescriptor(r.value))).toBe(bytesToHex(input));
      }),
      { numRuns: 1000 },
    );
  });
});
