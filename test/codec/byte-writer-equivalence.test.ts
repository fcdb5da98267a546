import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../shared/codec/byte-writer.js';
import { EncodeError, restBytes, tlvRecord, tlvStream, u32, u8, versionedRecord, type Codec } from '../../shared/codec/index.js';

/** Big-endian bytes of `value`, `n` of them, byte by byte (the form the writer replaced). */
function be(value: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = 0, v = value; i < n; i++, v >>= 8n) out.unshift(Number(v & 0xffn));
  return out;
}
function minimal(value: bigint): number {
  let n = 0;
  for (let v = value; v > 0n; v >>= 8n) n++;
  return n;
}

describe('ByteWriter integers', () => {
  it('writes u16/u32/u64, tu16/tu32/tu64 and bigsize as byte-by-byte big-endian', () => {
    const samples = [0n, 1n, 0x7fn, 0xfcn, 0xfdn, 0xffn, 0x100n, 0xffffn, 0x10000n, 0xffffffn, 0x1000000n, 0xffffffffn, 0x100000000n, 0xffffffffffn, 0x123456789abcn, 0xffffffffffffffffn];
    for (const v of samples) {
      if (v <= 0xffffn) {
        expect([...new ByteWriter().u16(Number(v)).finish()]).toEqual(be(v, 2));
        expect([...new ByteWriter().tu16(Number(v)).finish()]).toEqual(be(v, minimal(v)));
      }
      if (v <= 0xffffffffn) {
        expect([...new ByteWriter().u32(Number(v)).finish()]).toEqual(be(v, 4));
        expect([...new ByteWriter().tu32(Number(v)).finish()]).toEqual(be(v, minimal(v)));
      }
      expect([...new ByteWriter().u64(v).finish()]).toEqual(be(v, 8));
      expect([...new ByteWriter().tu64(v).finish()]).toEqual(be(v, minimal(v)));
      const big = v < 0xfdn ? be(v, 1) : v <= 0xffffn ? [0xfd, ...be(v, 2)] : v <= 0xffffffffn ? [0xfe, ...be(v, 4)] : [0xff, ...be(v, 8)];
      expect([...new ByteWriter().bigSize(v).finish()]).toEqual(big);
    }
  });
});

describe('records written with the kept writers (versioned-record.ts, tlv-stream.ts)', () => {
  const inner = versionedRecord('inner', 1, { a: tlvRecord(0, u32), b: tlvRecord(2, restBytes) });
  // A field whose codec encodes a record of its own, and a stream inside a stream.
  const nested: Codec<{ a: number; b: Uint8Array }> = { read: () => ({ a: 0, b: new Uint8Array(0) }), write: (w, v) => void w.bytes(inner.encode(v)) };
  const outer = versionedRecord('outer', 1, {
    x: tlvRecord(1, nested),
    y: tlvRecord(3, tlvStream({ p: tlvRecord(0, u8), q: tlvRecord(2, restBytes) })),
    z: tlvRecord(5, u32),
  });
  const fresh = (tlvs: [number, Uint8Array][]) => {
    const w = new ByteWriter().u8(1);
    for (const [t, v] of tlvs) w.bigSize(BigInt(t)).bigSize(BigInt(v.length)).bytes(v);
    return w.finish();
  };

  it('give the bytes of a fresh writer, nested or not, after a failed encode too', () => {
    const big = new Uint8Array(3000).map((_, i) => i & 0xff);
    const innerBytes = fresh([[0, Uint8Array.of(0, 0, 1, 2)], [2, big]]);
    expect(inner.encode({ a: 0x0102, b: big })).toEqual(innerBytes);
    const stream = new ByteWriter().bigSize(0n).bigSize(1n).u8(7).bigSize(2n).bigSize(3n).bytes(Uint8Array.of(9, 9, 9)).finish();
    const expected = fresh([[1, innerBytes], [3, stream], [5, Uint8Array.of(0, 0, 0, 5)]]);
    expect(outer.encode({ x: { a: 0x0102, b: big }, y: { p: 7, q: Uint8Array.of(9, 9, 9) }, z: 5 })).toEqual(expected);
    // A value out of range throws in the middle of a record: the next records are whole.
    expect(() => outer.encode({ x: { a: -1, b: big }, z: 5 })).toThrow(EncodeError);
    expect(() => outer.encode({ y: { p: 256 }, z: 5 })).toThrow(EncodeError);
    expect(inner.encode({ a: 1 })).toEqual(fresh([[0, Uint8Array.of(0, 0, 0, 1)]]));
    expect(outer.encode({ x: { a: 0x0102, b: big }, y: { p: 7, q: Uint8Array.of(9, 9, 9) }, z: 5 })).toEqual(expected);
    // Each result is a copy: encoding again does not change an earlier result.
    const first = inner.encode({ a: 1, b: Uint8Array.of(1) });
    inner.encode({ a: 2, b: Uint8Array.of(2) });
    expect(first).toEqual(fresh([[0, Uint8Array.of(0, 0, 0, 1)], [2, Uint8Array.of(1)]]));
  });
});
