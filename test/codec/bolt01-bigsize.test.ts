// BOLT 1 Appendix A: every BigSize decoding and encoding vector.
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeBigSize, encodeBigSize, hexToBytes } from '../../shared/codec/index.js';
import type { DecodeErrorReason } from '../../shared/codec/index.js';
import vectors from '../vectors/bolt01-messaging.json' with { type: 'json' };

/** The spec's error strings (lnd's) mapped to our reasons. */
function expectedReason(expError: string): DecodeErrorReason {
  if (expError === 'decoded bigsize is not canonical') return 'non-minimal-encoding';
  if (expError === 'unexpected EOF' || expError === 'EOF') return 'short-read';
  throw new Error(`unmapped exp_error: ${expError}`);
}

describe('BOLT 1 Appendix A: BigSize decoding', () => {
  it('has all 18 vectors (10 invalid)', () => {
    expect(vectors.bigsize_decoding).toHaveLength(18);
    expect(vectors.bigsize_decoding.filter((v) => 'exp_error' in v)).toHaveLength(10);
  });
  for (const v of vectors.bigsize_decoding) {
    const expError = 'exp_error' in v ? v.exp_error : undefined;
    it(`${v.name} (${v.bytes || 'empty'})`, () => {
      const result = decodeBigSize(hexToBytes(v.bytes));
      if (expError === undefined) {
        expect(result).toEqual({ ok: true, value: BigInt(v.value) });
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.reason).toBe(expectedReason(expError));
      }
    });
  }
});

describe('BOLT 1 Appendix A: BigSize encoding', () => {
  it('has all 8 vectors', () => expect(vectors.bigsize_encoding).toHaveLength(8));
  for (const v of vectors.bigsize_encoding) {
    it(`${v.name} (${v.value})`, () => {
      expect(bytesToHex(encodeBigSize(BigInt(v.value)))).toBe(v.bytes);
    });
  }
});
