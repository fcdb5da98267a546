// BOLT 7 extended-query vectors (test/vectors/bolt07-extended-queries.json,
// lightning/bolts a3772650 bolt07/extended-queries.json unchanged): each
// message decodes to the values the spec lists and encodes back to the same
// bytes. zlib (encoding 1) is kept as bytes, never inflated by the module;
// the test inflates it to check the listed values and the rules refuse it.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ByteReader, bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import {
  QUERY_OPTION,
  checkQueryShortChannelIds,
  checkReplyChannelRange,
  decodeGossipMessage,
  encodeGossipMessage,
} from '../../shared/gossip/index.js';
import type { EncodedArray, GossipMessage, QueryChannelRangeMessage } from '../../shared/gossip/index.js';
import file from '../vectors/bolt07-extended-queries.json' with { type: 'json' };

interface VectorArray {
  readonly encoding: string;
  readonly array?: readonly (string | number)[];
  readonly timestamps?: readonly { timestamp1: number; timestamp2: number }[];
}

/** `block x tx x output` as a u64. */
function scid(text: string): bigint {
  const [block, tx, output] = text.split('x').map(BigInt) as [bigint, bigint, bigint];
  return (block << 40n) | (tx << 16n) | output;
}

/** The values of an encoded array: as decoded, or inflated here for zlib. */
function valuesOf<T>(a: EncodedArray<T>, read: (r: ByteReader) => T): readonly T[] {
  if (a.encoding === 'uncompressed') return a.values;
  const r = new ByteReader(new Uint8Array(inflateSync(a.data)));
  const out: T[] = [];
  while (!r.isAtEnd()) out.push(read(r));
  return out;
}

function expectEncoding<T>(a: EncodedArray<T>, spec: VectorArray): void {
  expect(a.encoding).toBe(spec.encoding === 'UNCOMPRESSED' ? 'uncompressed' : 'zlib');
}

function decoded(hex: string): GossipMessage {
  const result = decodeGossipMessage(hexToBytes(hex));
  if (result.kind !== 'message') throw new Error(`not decoded: ${JSON.stringify(result)}`);
  return result.message;
}

const QUERY: QueryChannelRangeMessage = {
  type: 263,
  chainHash: hexToBytes('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206'),
  firstBlocknum: 0,
  numberOfBlocks: 0xffffffff,
};

describe('BOLT 7 extended queries: the spec vectors', () => {
  it('has the ten vectors of the spec file', () => {
    expect(file.source.commit).toBe('a3772650d8ebc06acf457fcadf97968ebfc4dfff');
    expect(file.vectors).toHaveLength(10);
  });

  it.each(file.vectors.map((v, i) => [i, v.msg.type, v] as const))('vector %i (%s) decodes to the listed values and encodes back byte for byte', (_i, _type, v) => {
    const m = decoded(v.hex);
    const msg = v.msg as Record<string, unknown> & { chainHash: string };
    if (!('chainHash' in m)) throw new Error(`type ${m.type} has no chain hash`);
    expect(bytesToHex(m.chainHash)).toBe(msg.chainHash);
    expect(bytesToHex(encodeGossipMessage(m))).toBe(v.hex);
    const ids = msg['shortChannelIds'] as VectorArray | undefined;
    switch (m.type) {
      case 263: {
        expect(msg['type']).toBe('QueryChannelRange');
        expect(m.firstBlocknum).toBe(msg['firstBlockNum']);
        expect(m.numberOfBlocks).toBe(msg['numberOfBlocks']);
        const records = (msg['tlvStream'] as { records: string[] }).records;
        if (records.length === 0) expect(m.queryOption).toBeUndefined();
        else expect(m.queryOption).toBe(QUERY_OPTION.wantTimestamps | QUERY_OPTION.wantChecksums);
        break;
      }
      case 264: {
        expect(msg['type']).toBe('ReplyChannelRange');
        expect(m.firstBlocknum).toBe(msg['firstBlockNum']);
        expect(m.numberOfBlocks).toBe(msg['numberOfBlocks']);
        expect(m.syncComplete).toBe(msg['complete']);
        expectEncoding(m.encodedShortIds, ids!);
        expect(valuesOf(m.encodedShortIds, (r) => r.u64())).toEqual(ids!.array!.map((s) => scid(s as string)));
        const ts = msg['timestamps'] as VectorArray | undefined;
        if (ts === undefined) expect(m.timestampsTlv).toBeUndefined();
        else {
          expectEncoding(m.timestampsTlv!, ts);
          expect(valuesOf(m.timestampsTlv!, (r) => ({ timestampNodeId1: r.u32(), timestampNodeId2: r.u32() }))).toEqual(
            ts.timestamps!.map((t) => ({ timestampNodeId1: t.timestamp1, timestampNodeId2: t.timestamp2 })),
          );
        }
        const cs = msg['checksums'] as { checksums: { checksum1: number; checksum2: number }[] } | undefined;
        expect(m.checksumsTlv).toEqual(cs?.checksums.map((c) => ({ checksumNodeId1: c.checksum1, checksumNodeId2: c.checksum2 })));
        // The rules refuse zlib; the uncompressed replies list ids of blocks
        // 0..70, outside their own ranges (the spec's values are synthetic).
        const verdict = checkReplyChannelRange(m, QUERY);
        const zlib = ids!.encoding !== 'UNCOMPRESSED' || ts?.encoding === 'COMPRESSED_ZLIB';
        expect(verdict).toMatchObject({ ok: false, reason: zlib ? 'deprecated-encoding' : 'out-of-range', action: 'warn' });
        break;
      }
      case 261: {
        expect(msg['type']).toBe('QueryShortChannelIds');
        expectEncoding(m.encodedShortIds, ids!);
        expect(valuesOf(m.encodedShortIds, (r) => r.u64())).toEqual(ids!.array!.map((s) => scid(s as string)));
        const records = (msg['tlvStream'] as { records: VectorArray[] }).records;
        if (records.length === 0) expect(m.queryFlags).toBeUndefined();
        else {
          expectEncoding(m.queryFlags!, records[0]!);
          expect(valuesOf(m.queryFlags!, (r) => r.bigSize())).toEqual(records[0]!.array!.map((n) => BigInt(n)));
        }
        expect(checkQueryShortChannelIds(m, QUERY.chainHash).ok).toBe(ids!.encoding === 'UNCOMPRESSED' && records.length === 0);
        break;
      }
      default:
        throw new Error(`unexpected type ${m.type}`);
    }
  });
});
