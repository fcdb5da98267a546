import { describe, expect, it } from 'vitest';
import { CURVE_ORDER, bigintTo32Bytes, bytesToBigint, checkScalarBytes, checkSecretBytes, scalarFrom, secretFrom } from '../../shared/crypto/scalar.js';

/** The byte-at-a-time forms the word-at-a-time ones replace. */
function slowToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}
function slowTo32Bytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

describe('scalar byte conversions', () => {
  it('read and write the same integers as byte-at-a-time loops (any length, offsets, wide and negative values)', () => {
    let x = 0x1234567;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) & 0xff;
    for (let t = 0; t < 300; t++) {
      const backing = Uint8Array.from({ length: 80 }, next);
      const start = t % 9;
      const bytes = backing.subarray(start, start + (t % 41));
      expect(bytesToBigint(bytes)).toBe(slowToBigint(bytes));
      const n = slowToBigint(backing.subarray(0, 40));
      for (const v of [n, n >> 70n, -n, -(n >> 200n), 0n, (1n << 256n) - 1n]) expect(bigintTo32Bytes(v)).toEqual(slowTo32Bytes(v));
    }
  });

  it('check scalars and secrets as scalarFrom / secretFrom do (same errors, zero reported)', () => {
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() };
      } catch (e) {
        return { error: String(e), code: (e as { code?: string }).code };
      }
    };
    const values = [0n, 1n, 2n, CURVE_ORDER - 1n, CURVE_ORDER, CURVE_ORDER + 1n, (1n << 256n) - 1n, CURVE_ORDER >> 1n, 0xffn << 240n];
    const cases = values.map(bigintTo32Bytes);
    cases.push(new Uint8Array(31), new Uint8Array(33));
    for (const bytes of cases) {
      const tweak = outcome(() => scalarFrom(bytes));
      const checked = outcome(() => checkScalarBytes(bytes));
      expect(checked.error).toBe(tweak.error);
      expect(checked.code).toBe(tweak.code);
      if (tweak.error === undefined) expect(checked.value).toBe(tweak.value === 0n);
      const secret = outcome(() => secretFrom(bytes));
      const checkedSecret = outcome(() => checkSecretBytes(bytes));
      expect(checkedSecret.error).toBe(secret.error);
      expect(checkedSecret.code).toBe(secret.code);
    }
  });
});
