// ByteReader / ByteWriter: fixed examples, round-trip properties, bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, DecodeError, EncodeError, bytesToHex, hexToBytes } from '../../shared/codec/index.js';

describe('ByteWriter / ByteReader examples (big-endian)', () => {
  it('writes each fundamental type big-endian', () => {
    const w = new ByteWriter()
      .u8(0xab)
      .u16(0x0102)
      .u32(0x03040506)
      .u64(0x0708090a0b0c0d0en)
      .bytes(hexToBytes('ff'))
      .tu16(0x00ff)
      .tu32(0)
      .tu64(0x0100n);
    expect(bytesToHex(w.finish())).toBe('ab' + '0102' + '03040506' + '0708090a0b0c0d0e' + 'ff' + 'ff' + '' + '0100');
  });

  it('reads u32 above 2^31 as a positive number and u64 as a bigint', () => {
    const r = new ByteReader(hexToBytes('ffffffff' + 'ffffffffffffffff'));
    expect(r.u32()).toBe(0xffffffff);
    expect(r.u64()).toBe(0xffffffffffffffffn);
    expect(r.isAtEnd()).toBe(true);
  });

  it('copies bytes out: a decoded value does not alias the input', () => {
    const input = hexToBytes('010203');
    const got = new ByteReader(input).bytes(3);
    input[0] = 0xee;
    expect(bytesToHex(got)).toBe('010203');
  });

  it('throws short-read DecodeError past the end, without moving', () => {
    const r = new ByteReader(hexToBytes('0102'));
    expect(() => r.u32()).toThrow(DecodeError);
    expect(r.offset).toBe(0);
    expect(r.u16()).toBe(0x0102);
    try {
      r.u8();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecodeError).reason).toBe('short-read');
    }
  });

  it('skips bytes it does not copy, with the same short-read past the end', () => {
    const r = new ByteReader(hexToBytes('0102030405'));
    expect(r.skip(2)).toBeUndefined();
    expect(r.offset).toBe(2);
    expect(() => r.skip(4)).toThrow(expect.objectContaining({ reason: 'short-read', message: expect.stringContaining('4 bytes') }));
    expect(r.offset).toBe(2);
    expect(r.u8()).toBe(3);
    r.skip(2);
    expect(r.isAtEnd()).toBe(true);
  });

  it('truncated integers take the rest of their reader and must be minimal', () => {
    expect(new ByteReader(hexToBytes('')).tu64()).toBe(0n);
    expect(new ByteReader(hexToBytes('0100')).tu16()).toBe(256);
    expect(() => new ByteReader(hexToBytes('00ff')).tu16()).toThrow(/leading zero/);
    expect(() => new ByteReader(hexToBytes('010000')).tu16()).toThrow(DecodeError);
    expect(() => new ByteReader(hexToBytes('0100000000')).tu32()).toThrow(DecodeError);
  });

  it('rejects out-of-range values with EncodeError', () => {
    const w = new ByteWriter();
    expect(() => w.u8(256)).toThrow(EncodeError);
    expect(() => w.u16(-1)).toThrow(EncodeError);
    expect(() => w.u32(1.5)).toThrow(EncodeError);
    expect(() => w.u64(1n << 64n)).toThrow(EncodeError);
    expect(() => w.bigSize(-1n)).toThrow(EncodeError);
    expect(() => w.tu16(0x10000)).toThrow(EncodeError);
    expect(w.length).toBe(0);
  });

  it('hexToBytes refuses malformed hex', () => {
    expect(() => hexToBytes('abc')).toThrow(TypeError);
    expect(() => hexToBytes('zz')).toThrow(TypeError);
    expect(bytesToHex(hexToBytes('ABcd'))).toBe('abcd');
  });
});

type Op =
  | { readonly kind: 'u8'; readonly v: number }
  | { readonly kind: 'u16'; readonly v: number }
  | { readonly kind: 'u32'; readonly v: number }
  | { readonly kind: 'u64'; readonly v: bigint }
  | { readonly kind: 'bigSize'; readonly v: bigint }
  | { readonly kind: 'bytes'; readonly v: Uint8Array }
  | { readonly kind: 'tu64'; readonly v: bigint };

const u64Arb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 0, max: 0xff }).map((v) => ({ kind: 'u8', v }) as const),
  fc.integer({ min: 0, max: 0xffff }).map((v) => ({ kind: 'u16', v }) as const),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ kind: 'u32', v }) as const),
  u64Arb.map((v) => ({ kind: 'u64', v }) as const),
  u64Arb.map((v) => ({ kind: 'bigSize', v }) as const),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ kind: 'bytes', v }) as const),
  u64Arb.map((v) => ({ kind: 'tu64', v }) as const),
);

/** Writes one op; a tu64 is written as a one-byte length then its bytes, the way a TLV carries it. */
function writeOp(w: ByteWriter, op: Op): void {
  switch (op.kind) {
    case 'u8':
      w.u8(op.v);
      return;
    case 'u16':
      w.u16(op.v);
      return;
    case 'u32':
      w.u32(op.v);
      return;
    case 'u64':
      w.u64(op.v);
      return;
    case 'bigSize':
      w.bigSize(op.v);
      return;
    case 'bytes':
      w.u8(op.v.length).bytes(op.v);
      return;
    case 'tu64': {
      const inner = new ByteWriter().tu64(op.v).finish();
      w.u8(inner.length).bytes(inner);
      return;
    }
  }
}

function readOp(r: ByteReader, kind: Op['kind']): unknown {
  switch (kind) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u32':
      return r.u32();
    case 'u64':
      return r.u64();
    case 'bigSize':
      return r.bigSize();
    case 'bytes':
      return r.bytes(r.u8());
    case 'tu64':
      return r.subReader(r.u8()).tu64();
  }
}

describe('reader/writer round trip (property)', () => {
  it('reads back every sequence of writes, consuming exactly what was written', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }), (ops) => {
        const w = new ByteWriter();
        for (const op of ops) writeOp(w, op);
        const bytes = w.finish();
        expect(bytes.length).toBe(w.length);
        const r = new ByteReader(bytes);
        for (const op of ops) expect(readOp(r, op.kind)).toEqual(op.v);
        expect(r.isAtEnd()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('any strict prefix of a non-empty write sequence fails with short-read when read back', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 10 }), fc.nat(), (ops, cut) => {
        const w = new ByteWriter();
        for (const op of ops) writeOp(w, op);
        const bytes = w.finish();
        const prefix = bytes.subarray(0, cut % bytes.length);
        const r = new ByteReader(prefix);
        try {
          for (const op of ops) readOp(r, op.kind);
          expect.unreachable('a truncated sequence read back whole');
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
          expect((e as DecodeError).reason).toBe('short-read');
        }
      }),
      { numRuns: 300 },
    );
  });
});
