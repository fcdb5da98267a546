// BOLT 1 Appendix B: every TLV decoding failure (33), success (19) and stream
// failure (5), in the n1 and n2 namespaces the spec defines.
import { describe, expect, it } from 'vitest';
import { ByteReader, bytesToHex, decode, encode, hexToBytes } from '../../shared/codec/index.js';
import type { Codec, DecodeErrorReason } from '../../shared/codec/index.js';
import vectors from '../vectors/bolt01-messaging.json' with { type: 'json' };
import { n1, n2 } from './tlv-test-namespaces.js';

type Ns = 'n1' | 'n2';
const streams: Record<Ns, Codec<object>> = { n1, n2 };

/** The namespaces a vector applies to ('any' / 'either' = both). */
function namespacesOf(ns: string): Ns[] {
  if (ns === 'any' || ns === 'either') return ['n1', 'n2'];
  if (ns === 'n1' || ns === 'n2') return [ns];
  throw new Error(`unknown namespace ${ns}`);
}

/** The spec's stated reason mapped to our closed set of reasons. */
function expectedReason(reason: string): DecodeErrorReason {
  const table: [RegExp, DecodeErrorReason][] = [
    [/^type truncated$/, 'short-read'],
    [/^missing length$/, 'short-read'],
    [/^\(length truncated\)$/, 'short-read'],
    [/^missing value$/, 'short-read'],
    [/^value truncated$/, 'short-read'],
    [/^not minimally encoded (type|length)$/, 'non-minimal-encoding'],
    [/is not minimal$/, 'non-minimal-encoding'],
    [/^unknown even (type|field)/, 'unknown-even-type'],
    [/^(greater|less) than encoding length/, 'invalid-value'],
    [/is not a valid point\.$/, 'invalid-value'],
    [/invalid ordering$/, 'tlv-out-of-order'],
    [/^duplicate TLV type/, 'tlv-out-of-order'],
  ];
  const hit = table.find(([re]) => re.test(reason));
  if (hit === undefined) throw new Error(`unmapped reason: ${reason}`);
  return hit[1];
}

/** `BxTxO` short channel id notation -> u64. */
function scid(text: string): bigint {
  const [block, tx, out] = text.split('x').map((x) => BigInt(x));
  return (block! << 40n) | (tx! << 16n) | out!;
}

/** The decoded record a success vector's `values_parsed` describes. */
function expectedRecord(parsed: Readonly<Record<string, string>>): object {
  switch (parsed['record']) {
    case 'tlv1':
      return { tlv1: { amountMsat: BigInt(parsed['amount_msat']!) } };
    case 'tlv2':
      return { tlv2: { scid: scid(parsed['scid']!) } };
    case 'tlv3':
      return {
        tlv3: {
          nodeId: hexToBytes(parsed['node_id']!),
          amountMsat1: BigInt(parsed['amount_msat_1']!),
          amountMsat2: BigInt(parsed['amount_msat_2']!),
        },
      };
    case 'tlv4':
      return { tlv4: { cltvDelta: Number(parsed['cltv_delta']) } };
    default:
      throw new Error(`unknown record ${parsed['record']}`);
  }
}

describe('BOLT 1 Appendix B: TLV decoding failures', () => {
  it('has all 33 vectors', () => expect(vectors.tlv_decoding_failures).toHaveLength(33));
  for (const v of vectors.tlv_decoding_failures) {
    for (const ns of namespacesOf(v.namespace)) {
      it(`${ns}: ${v.stream_spec.slice(0, 40)} (${v.reason})`, () => {
        const result = decode(streams[ns], hexToBytes(v.stream_hex));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.reason).toBe(expectedReason(v.reason));
      });
    }
  }
});

describe('BOLT 1 Appendix B: TLV decoding successes', () => {
  it('has all 19 vectors', () => expect(vectors.tlv_decoding_successes).toHaveLength(19));
  for (const v of vectors.tlv_decoding_successes) {
    for (const ns of namespacesOf(v.namespace)) {
      it(`${ns}: ${v.stream_spec.slice(0, 40)}`, () => {
        const bytes = hexToBytes(v.stream_hex);
        const result = decode(streams[ns], bytes);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        if ('values_parsed' in v) {
          expect(result.value).toEqual(expectedRecord(v.values_parsed));
        } else if (bytes.length === 0) {
          expect(result.value).toEqual({});
        } else {
          // One unknown odd record of length 0, kept whole: its type and (empty) raw value.
          expect(v.stream_hex.endsWith('00')).toBe(true);
          expect(result.value).toEqual({
            unknownTlvs: [{ type: firstType(v.stream_hex), value: new Uint8Array(0) }],
          });
        }
        // Every valid stream re-encodes to the same bytes (unknown odd records re-emitted).
        expect(bytesToHex(encode(streams[ns], result.value))).toBe(v.stream_hex);
      });
    }
  }
});

describe('BOLT 1 Appendix B: TLV stream decoding failures', () => {
  const { vectors: streamVectors, spec_rules: rules } = vectors.tlv_stream_decoding_failures;
  it('has all 5 vectors', () => expect(streamVectors).toHaveLength(5));
  for (const v of streamVectors) {
    for (const ns of namespacesOf(v.namespace)) {
      it(`${ns}: ${v.stream_spec} (${v.reason})`, () => {
        const result = decode(streams[ns], hexToBytes(v.stream_hex));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.reason).toBe(expectedReason(v.reason));
      });
    }
  }

  const successes = (ns: Ns): string[] =>
    vectors.tlv_decoding_successes
      .filter((v) => namespacesOf(v.namespace).includes(ns) && v.stream_hex !== '')
      .map((v) => v.stream_hex);
  const failures = (ns: Ns): string[] =>
    vectors.tlv_decoding_failures.filter((v) => namespacesOf(v.namespace).includes(ns)).map((v) => v.stream_hex);

  it(`rule: "${rules[0]}"`, () => {
    for (const ns of ['n1', 'n2'] as const) {
      for (const valid of successes(ns)) {
        for (const invalid of failures(ns)) {
          expect(decode(streams[ns], hexToBytes(valid + invalid)).ok, `${ns} ${valid}+${invalid}`).toBe(false);
        }
      }
    }
  });

  it(`rule: "${rules[1]}"`, () => {
    let pairs = 0;
    for (const ns of ['n1', 'n2'] as const) {
      const typed = successes(ns).map((hex) => ({ hex, type: firstType(hex) }));
      for (const low of typed) {
        for (const high of typed) {
          if (high.type <= low.type) continue;
          pairs++;
          const result = decode(streams[ns], hexToBytes(low.hex + high.hex));
          expect(result.ok, `${ns} ${low.hex}+${high.hex}`).toBe(true);
          if (result.ok) expect(bytesToHex(encode(streams[ns], result.value))).toBe(low.hex + high.hex);
        }
      }
    }
    expect(pairs).toBeGreaterThan(50);
  });
});

/** The type of the first record of a stream (its leading BigSize). */
function firstType(hex: string): bigint {
  return new ByteReader(hexToBytes(hex)).bigSize();
}

describe('n2 namespace (beyond the vectors)', () => {
  it('decodes tlv1 amount_msat and tlv2 cltv_expiry', () => {
    const result = decode(n2, hexToBytes('0002012c0b03061a80'));
    expect(result).toEqual({ ok: true, value: { tlv1: { amountMsat: 300n }, tlv2: { cltvExpiry: 400000 } } });
  });
  it('rejects a non-minimal tu32 and a tu32 longer than 4 bytes', () => {
    const nonMinimal = decode(n2, hexToBytes('0b020001'));
    expect(!nonMinimal.ok && nonMinimal.error.reason).toBe('non-minimal-encoding');
    const tooLong = decode(n2, hexToBytes('0b050100000000'));
    expect(!tooLong.ok && tooLong.error.reason).toBe('invalid-value');
  });
});
