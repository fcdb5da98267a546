// Round-trip and garbage-input properties of BigSize, TLV streams and struct codecs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DECODE_ERROR_REASONS,
  DecodeError,
  EncodeError,
  bytesToHex,
  decode,
  decodeBigSize,
  encode,
  encodeBigSize,
  fixedBytes,
  point,
  repeated,
  restBytes,
  struct,
  tu16,
  u16,
  u16PrefixedBytes,
  u32,
  u64,
  u8,
} from '../../shared/codec/index.js';
import type { Codec, DecodeResult, UnknownTlvRecord } from '../../shared/codec/index.js';
import { n1, n2 } from './tlv-test-namespaces.js';

const u64Arb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** A decode result is a value or a typed DecodeError with a reason of the closed set. */
function expectTyped<T>(result: DecodeResult<T>): void {
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(DecodeError);
    expect(DECODE_ERROR_REASONS).toContain(result.error.reason);
  }
}

describe('BigSize properties', () => {
  it('decode(encode(v)) = v, in 1/3/5/9 bytes by range', () => {
    fc.assert(
      fc.property(u64Arb, (v) => {
        const bytes = encodeBigSize(v);
        const expectedLength = v < 0xfdn ? 1 : v <= 0xffffn ? 3 : v <= 0xffffffffn ? 5 : 9;
        expect(bytes.length).toBe(expectedLength);
        expect(decodeBigSize(bytes)).toEqual({ ok: true, value: v });
      }),
      { numRuns: 500 },
    );
  });

  it('any bytes: a typed result, and a valid decode is the canonical encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), (bytes) => {
        const result = decodeBigSize(bytes);
        expectTyped(result);
        if (result.ok) expect(bytesToHex(encodeBigSize(result.value))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('every strict prefix of an encoding is a short-read', () => {
    fc.assert(
      fc.property(u64Arb, fc.nat(), (v, cut) => {
        const bytes = encodeBigSize(v);
        const result = decodeBigSize(bytes.subarray(0, cut % bytes.length));
        expect(!result.ok && result.error.reason).toBe('short-read');
      }),
    );
  });

  it('refuses to encode outside 0..2^64-1', () => {
    expect(() => encodeBigSize(1n << 64n)).toThrow(EncodeError);
    expect(() => encodeBigSize(-1n)).toThrow(EncodeError);
  });
});

const pointArb = fc
  .tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([prefix, x]) => Uint8Array.of(prefix, ...x));

/** Kept unknown records: odd types outside `known`, distinct, in increasing order (as decode returns them). */
function unknownArb(known: readonly bigint[]): fc.Arbitrary<UnknownTlvRecord[]> {
  return fc
    .uniqueArray(
      fc.record({
        type: u64Arb.map((t) => t | 1n).filter((t) => !known.includes(t)),
        value: fc.uint8Array({ maxLength: 300 }),
      }),
      { selector: (r) => r.type, maxLength: 4 },
    )
    .map((recs) => [...recs].sort((a, b) => (a.type < b.type ? -1 : 1)));
}

/** Adds `unknownTlvs` only when non-empty, the way decode reports it. */
function withUnknown<T extends object>(value: T, unknown: UnknownTlvRecord[]): T {
  return unknown.length > 0 ? { ...value, unknownTlvs: unknown } : value;
}

const n1Arb = fc
  .tuple(
    fc.record(
      {
        tlv1: fc.record({ amountMsat: u64Arb }),
        tlv2: fc.record({ scid: u64Arb }),
        tlv3: fc.record({ nodeId: pointArb, amountMsat1: u64Arb, amountMsat2: u64Arb }),
        tlv4: fc.record({ cltvDelta: fc.integer({ min: 0, max: 0xffff }) }),
      },
      { requiredKeys: [] },
    ),
    unknownArb([1n, 3n]),
  )
  .map(([known, unknown]) => withUnknown(known, unknown));

const n2Arb = fc
  .tuple(
    fc.record(
      {
        tlv1: fc.record({ amountMsat: u64Arb }),
        tlv2: fc.record({ cltvExpiry: fc.integer({ min: 0, max: 0xffffffff }) }),
      },
      { requiredKeys: [] },
    ),
    unknownArb([11n]),
  )
  .map(([known, unknown]) => withUnknown(known, unknown));

describe('TLV stream properties', () => {
  it('n1: decode(encode(x)) = x, unknown odd records re-emitted', () => {
    fc.assert(
      fc.property(n1Arb, (value) => {
        expect(decode(n1, encode(n1, value))).toEqual({ ok: true, value });
      }),
      { numRuns: 300 },
    );
  });

  it('n2: decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(n2Arb, (value) => {
        expect(decode(n2, encode(n2, value))).toEqual({ ok: true, value });
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });

  it('any bytes: a typed result, and a valid stream re-encodes to the same bytes', () => {
    // Small odd/even types and short lengths make valid streams likely, not just garbage.
    const recordBytes = fc
      .tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 9 }))
      .map(([t, v]) => Uint8Array.of(t, v.length, ...v));
    const streamish = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(recordBytes, { maxLength: 4 }).map((rs) => Uint8Array.from(rs.flatMap((r) => [...r]))),
    );
    let valid = 0;
    fc.assert(
      fc.property(streamish, (bytes) => {
        for (const stream of [n1, n2] as Codec<object>[]) {
          const result = decode(stream, bytes);
          expectTyped(result);
          if (result.ok) {
            valid++;
            expect(bytesToHex(encode(stream, result.value))).toBe(bytesToHex(bytes));
          }
        }
      }),
      { numRuns: 2000 },
    );
    expect(valid).toBeGreaterThan(100);
  });

  it('refuses to encode a kept even record or one that reuses a known type', () => {
    expect(() => encode(n1, { unknownTlvs: [{ type: 4n, value: new Uint8Array(0) }] })).toThrow(EncodeError);
    expect(() =>
      encode(n1, { tlv1: { amountMsat: 1n }, unknownTlvs: [{ type: 1n, value: new Uint8Array(0) }] }),
    ).toThrow(EncodeError);
    expect(() =>
      encode(n1, {
        unknownTlvs: [
          { type: 5n, value: new Uint8Array(0) },
          { type: 5n, value: new Uint8Array(1) },
        ],
      }),
    ).toThrow(EncodeError);
  });
});

describe('struct / fixed-field codecs', () => {
  const sample = struct([
    ['a', u8],
    ['b', u16],
    ['c', u32],
    ['d', u64],
    ['e', fixedBytes(4)],
    ['f', u16PrefixedBytes],
    ['g', point],
    ['h', repeated(fixedBytes(2))],
  ]);
  const sampleArb = fc.record({
    a: fc.integer({ min: 0, max: 0xff }),
    b: fc.integer({ min: 0, max: 0xffff }),
    c: fc.integer({ min: 0, max: 0xffffffff }),
    d: u64Arb,
    e: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    f: fc.uint8Array({ maxLength: 50 }),
    g: pointArb,
    h: fc.array(fc.uint8Array({ minLength: 2, maxLength: 2 }), { maxLength: 5 }),
  });

  it('round-trips any value', () => {
    fc.assert(
      fc.property(sampleArb, (value) => {
        expect(decode(sample, encode(sample, value))).toEqual({ ok: true, value });
      }),
      { numRuns: 300 },
    );
  });

  it('an encoding cut before its last (repeated) field is a short-read', () => {
    fc.assert(
      fc.property(sampleArb, fc.nat(), (value, cut) => {
        const bytes = encode(sample, value);
        const fixedPart = bytes.length - 2 * value.h.length;
        const result = decode(sample, bytes.subarray(0, cut % fixedPart));
        expect(!result.ok && result.error.reason).toBe('short-read');
        expect(result.ok).toBe(false);
        expectTyped(result);
      }),
    );
  });

  it('garbage bytes into every codec: typed results only', () => {
    const codecs: Codec<unknown>[] = [
      sample,
      u8,
      u16,
      u32,
      u64,
      tu16,
      point,
      restBytes,
      u16PrefixedBytes,
      repeated(point),
      n1,
      n2,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        for (const codec of codecs) expectTyped(decode(codec, bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('a point must be 33 bytes with prefix 02 or 03', () => {
    const bad = new Uint8Array(33);
    bad[0] = 4;
    const result = decode(point, bad);
    expect(!result.ok && result.error.reason).toBe('invalid-value');
    expect(() => encode(point, bad)).toThrow(EncodeError);
    expect(() => encode(fixedBytes(4), new Uint8Array(3))).toThrow(EncodeError);
  });

  it('trailing bytes after a whole value are invalid-value', () => {
    const result = decode(u16, Uint8Array.of(0, 1, 2));
    expect(!result.ok && result.error.reason).toBe('invalid-value');
  });
});
