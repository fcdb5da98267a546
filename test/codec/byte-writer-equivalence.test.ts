import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../shared/codec/byte-writer.js';

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
